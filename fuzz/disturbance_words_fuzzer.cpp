// Fuzz target: disturbance words and control lines, the text a user gives
// `tcpcheck proxy --up/--down` and its control socket. Words that parse
// print canonical words that parse back to the same disturbance, and a
// control `set` reads them alike; a control line's `set` prints back and no
// other command carries a disturbance; whatever is refused says why on one
// line.
#include "tcpcheck/proxy/control_command.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "disturbance_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // A line just past the longest a control socket takes is refused; longer
  // inputs add nothing. A seed of that length (too_long_control_line) lets
  // libFuzzer make inputs that long.
  if (size > tcpcheck::longest_control_line + 64) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  tcpcheck::fuzz::check_words(text);
  tcpcheck::fuzz::check_control_line(text);
  return 0;
}
