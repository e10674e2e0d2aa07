// Fuzz target: the framing spec parser never crashes, points its errors
// inside the text, and parse -> print -> parse is a fixed point.
#include "tcpcheck/framing_spec.hpp"

#include <cstdio>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  tcpcheck::spec_error error;
  const auto spec = tcpcheck::parse_framing_spec(text, error);
  if (!spec) {
    if (!error.code || error.column == 0 || error.column > text.size() + 1 ||
        error.reason.empty()) {
      std::fprintf(stderr, "bad error for '%.*s': column %zu, '%s'\n", static_cast<int>(size),
                   text.data(), error.column, error.reason.c_str());
      std::abort();
    }
    return 0;
  }
  const std::string printed = tcpcheck::to_string(*spec);
  const auto again = tcpcheck::parse_framing_spec(printed, error);
  if (!again || !(*again == *spec) || tcpcheck::to_string(*again) != printed) {
    std::fprintf(stderr, "not a fixed point: '%.*s' printed as '%s' (%s)\n", static_cast<int>(size),
                 text.data(), printed.c_str(), again ? "reparsed differently" : "refused");
    std::abort();
  }
  return 0;
}
