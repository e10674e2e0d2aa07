// Fuzz target: disturbance words and control lines, the text a user gives
// `tcpcheck proxy --disturb` and its control socket. Words that parse print
// canonical words that parse back to the same disturbance, a control `set`
// reads them alike, and whatever is refused says why on one line.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "disturbance_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 512) return 0; // words and one control line: longer inputs add nothing
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  tcpcheck::fuzz::check_words(text);
  tcpcheck::fuzz::check_control_line(text);
  return 0;
}
