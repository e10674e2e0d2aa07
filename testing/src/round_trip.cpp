// Round trip: the decoder gives back what the encoder framed.
#include "tcpcheck/testing/round_trip.hpp"

#include "tcpcheck/escape.hpp"

#include <algorithm>
#include <exception>
#include <numeric>

#include "checks.hpp"

namespace tcpcheck::testing {

namespace {

struct trial {
  std::vector<std::size_t> payloads; // indices, in stream order
  std::string origin;
};

// Each payload alone, smallest first, then all of them: the first failure
// is then the smallest payload that shows it.
std::vector<trial> trials_for(const byte_strings& payloads) {
  std::vector<std::size_t> order(payloads.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return payloads.items()[a].size() < payloads.items()[b].size();
  });
  std::vector<trial> out;
  for (const std::size_t i : order)
    out.push_back({{i}, "payload " + std::to_string(i + 1) + " framed alone"});
  if (payloads.size() > 1) {
    std::sort(order.begin(), order.end());
    out.push_back({order, "all " + std::to_string(payloads.size()) + " payloads in one stream"});
  }
  return out;
}

} // namespace

::testing::AssertionResult round_trips(decoder_adapter& decoder, const encoder& encode,
                                       const byte_strings& payloads, const check_options& options) {
  std::vector<byte_buffer> frames;
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    try {
      frames.push_back(encode(payloads.items()[i]));
    } catch (const std::exception& e) {
      return ::testing::AssertionFailure()
             << "the encoder refused payload " << (i + 1) << " (\""
             << escape(payloads.items()[i], "\"") << "\"): " << e.what();
    }
  }
  for (const trial& t : trials_for(payloads)) {
    byte_buffer stream;
    decoder_run expected;
    for (const std::size_t i : t.payloads) {
      stream.insert(stream.end(), frames[i].begin(), frames[i].end());
      expected.messages.push_back(payloads.items()[i]);
    }
    const failure_test fails = [&](byte_view s, std::span<const std::size_t> cuts) {
      return !(run_decoder(decoder, s, cuts, options.finish) == expected);
    };
    for (const cutting& how : cuttings_for(stream, options)) {
      if (!fails(stream, how.cuts)) continue;
      // The stream must stay whole: its bytes are the payloads' frames.
      const counterexample small = shrink({stream, how.cuts}, fails, shrink_scope::cuts);
      return ::testing::AssertionFailure()
             << "round trip broken: decoding the encoder's frames does not give the payloads "
                "back\n"
             << detail::found_by(how, t.origin, stream.size(), small) << describe(small)
             << "expected:\n"
             << detail::indented(to_string(expected)) << "decoded:\n"
             << detail::indented(
                    to_string(run_decoder(decoder, small.stream, small.cuts, options.finish)));
    }
  }
  return ::testing::AssertionSuccess();
}

} // namespace tcpcheck::testing
