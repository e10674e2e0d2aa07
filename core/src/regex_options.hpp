// How `expect regex` patterns are compiled, the same for the parser (which
// refuses what does not compile) and the session (which matches frames).
// Internal to the core.
#pragma once

#include "tcpcheck/script.hpp"

#include <re2/re2.h>

namespace tcpcheck::detail {

/// Bytes as Latin-1, one character per byte, so that any frame can be
/// matched; RE2's memory bounded by script_limits::regex_memory; no logging
/// (errors come back to the caller).
inline RE2::Options regex_options() {
  RE2::Options options;
  options.set_encoding(RE2::Options::EncodingLatin1);
  options.set_max_mem(script_limits::regex_memory);
  options.set_log_errors(false);
  return options;
}

} // namespace tcpcheck::detail
