// Split invariance: the same messages and error whatever the cuts.
#include "tcpcheck/testing/split_invariance.hpp"

#include "checks.hpp"

namespace tcpcheck::testing {

namespace detail {

std::optional<std::string> split_variance(decoder_adapter& decoder, byte_view stream,
                                          std::span<const cutting> cuttings, bool finish,
                                          std::string_view origin) {
  const decoder_run whole = run_decoder(decoder, stream, {}, finish);
  for (const cutting& how : cuttings) {
    if (run_decoder(decoder, stream, how.cuts, finish) == whole) continue;
    const failure_test fails = [&](byte_view s, std::span<const std::size_t> cuts) {
      return !(run_decoder(decoder, s, cuts, finish) == run_decoder(decoder, s, {}, finish));
    };
    const counterexample small = shrink({byte_buffer(stream.begin(), stream.end()), how.cuts},
                                        fails, shrink_scope::cuts_and_input);
    return "split invariance broken: cutting the stream changes what the decoder yields\n" +
           found_by(how, origin, stream.size(), small) + describe(small) + "decoded whole:\n" +
           indented(to_string(run_decoder(decoder, small.stream, {}, finish))) +
           "decoded in pieces:\n" +
           indented(to_string(run_decoder(decoder, small.stream, small.cuts, finish)));
  }
  return std::nullopt;
}

} // namespace detail

::testing::AssertionResult split_invariant(decoder_adapter& decoder, const byte_strings& streams,
                                           const check_options& options) {
  return detail::each_stream(streams, [&](byte_view stream, const std::string& origin) {
    return detail::split_variance(decoder, stream, cuttings_for(stream, options), options.finish,
                                  origin);
  });
}

} // namespace tcpcheck::testing
