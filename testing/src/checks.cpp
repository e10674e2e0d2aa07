// Report text and the per-stream loop the checks share.
#include "checks.hpp"

namespace tcpcheck::testing::detail {

std::string indented(const std::string& text) {
  std::string out;
  bool line_start = true;
  for (const char c : text) {
    if (line_start) out += "  ";
    out += c;
    line_start = c == '\n';
  }
  return out;
}

std::string found_by(const cutting& how, std::string_view origin, std::size_t original_size,
                     const counterexample& small) {
  const std::size_t cuts = small.cuts.size();
  return "(found by " + how.name + " of " + std::string(origin) + ", " +
         std::to_string(original_size) + " bytes; shrunk to " +
         std::to_string(small.stream.size()) + " bytes and " + std::to_string(cuts) +
         (cuts == 1 ? " cut)\n" : " cuts)\n");
}

::testing::AssertionResult
each_stream(const byte_strings& streams,
            const std::function<std::optional<std::string>(byte_view, const std::string&)>& check) {
  for (std::size_t i = 0; i < streams.size(); ++i) {
    const std::string origin =
        "stream " + std::to_string(i + 1) + " of " + std::to_string(streams.size());
    if (auto report = check(streams.items()[i], origin))
      return ::testing::AssertionFailure() << *report;
  }
  return ::testing::AssertionSuccess();
}

} // namespace tcpcheck::testing::detail
