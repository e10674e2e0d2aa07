// Fuzz target: the script parser never crashes, points its errors at a real
// line and column, and parse -> print -> parse gives the same script (line
// numbers aside) and the same text.
#include "tcpcheck/script.hpp"

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace {

[[noreturn]] void report(std::string_view input, const char* what, const std::string& detail) {
  std::fprintf(stderr, "script parser: %s\n-- input:\n%.*s\n-- detail:\n%s\n", what,
               static_cast<int>(input.size()), input.data(), detail.c_str());
  std::abort();
}

// The printed script numbers its lines afresh: `again` takes the line
// numbers of `parsed` so that the two compare on everything else (without
// copying either).
void take_lines(tcpcheck::script& again, const tcpcheck::script& parsed) {
  for (std::size_t i = 0; i < again.steps.size() && i < parsed.steps.size(); ++i)
    again.steps[i].line = parsed.steps[i].line;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  tcpcheck::script_error error;
  const auto parsed = tcpcheck::parse_script(text, error);
  if (!parsed) {
    if (error.line == 0 || error.column == 0 || error.expected.empty() || error.found.empty())
      report(text, "an error without a position or a reason", error.to_string("input"));
    return 0;
  }
  const std::string printed = tcpcheck::to_string(*parsed);
  auto again = tcpcheck::parse_script(printed, error);
  if (!again)
    report(text, "the printed script does not parse", printed + "\n" + error.to_string("printed"));
  take_lines(*again, *parsed);
  if (!(*again == *parsed)) report(text, "the printed script parses to another script", printed);
  if (tcpcheck::to_string(*again) != printed)
    report(text, "printing is not a fixed point", printed);
  return 0;
}
