// How a fuzz target says that a property it checks broke: what, and the
// input's story, on stderr, then abort() so that libFuzzer keeps the input.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

namespace tcpcheck::fuzz {

[[noreturn]] inline void report(const char* what, const std::string& detail) {
  std::fprintf(stderr, "%s\n%s\n", what, detail.c_str());
  std::abort();
}

} // namespace tcpcheck::fuzz
