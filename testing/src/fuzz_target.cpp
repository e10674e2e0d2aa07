// Fuzz inputs read as cuts plus a stream, checked for split invariance and
// agreement with a reference.
#include "tcpcheck/testing/fuzz_target.hpp"

#include "tcpcheck/testing/cuttings.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "checks.hpp"

namespace tcpcheck::testing {

std::optional<std::string> check_fuzz_input(decoder_adapter& decoder, decoder_adapter* reference,
                                            byte_view data) {
  constexpr std::size_t most_cuts = 8;
  constexpr std::size_t bytewise_up_to = 128; // longer streams: the fuzzed cuts are enough
  std::size_t pos = 0;
  const std::size_t count = data.empty() ? 0 : data[pos++] % most_cuts;
  std::vector<std::size_t> cuts;
  for (std::size_t i = 0; i < count && pos + 2 <= data.size(); ++i, pos += 2)
    cuts.push_back(data[pos] | static_cast<std::size_t>(data[pos + 1]) << 8);
  const byte_view stream = data.subspan(pos);
  for (auto& cut : cuts)
    cut %= stream.size() + 1;
  std::sort(cuts.begin(), cuts.end());

  check_options options;
  options.every_two_way_split = false;
  options.bytewise = stream.size() <= bytewise_up_to;
  options.random_splits = 0;
  std::vector<cutting> cuttings = cuttings_for(stream, options);
  cuttings.push_back({"the fuzzed cuts", cuts});

  if (auto report = detail::split_variance(decoder, stream, cuttings, true, "the fuzz input"))
    return report;
  if (reference)
    return detail::disagreement(decoder, *reference, "the reference", stream, cuttings,
                                error_match::occurrence, true, "the fuzz input");
  return std::nullopt;
}

void fuzz_decoder(decoder_adapter& decoder, decoder_adapter* reference, byte_view data) {
  if (const auto report = check_fuzz_input(decoder, reference, data)) {
    std::fputs(report->c_str(), stderr);
    std::abort();
  }
}

} // namespace tcpcheck::testing
