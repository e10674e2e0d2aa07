// Differential checks: the decoder agrees with a reference adapter or spec.
#include "tcpcheck/testing/differential.hpp"

#include "tcpcheck/testing/spec_adapter.hpp"

#include <stdexcept>

#include "checks.hpp"

namespace tcpcheck::testing {

namespace detail {

std::optional<std::string> disagreement(decoder_adapter& decoder, decoder_adapter& reference,
                                        std::string_view reference_name, byte_view stream,
                                        std::span<const cutting> cuttings, error_match errors,
                                        bool finish, std::string_view origin) {
  const failure_test fails = [&](byte_view s, std::span<const std::size_t> cuts) {
    return !same_run(run_decoder(decoder, s, cuts, finish), run_decoder(reference, s, cuts, finish),
                     errors);
  };
  for (const cutting& how : cuttings) {
    if (!fails(stream, how.cuts)) continue;
    const counterexample small = shrink({byte_buffer(stream.begin(), stream.end()), how.cuts},
                                        fails, shrink_scope::cuts_and_input);
    return "the decoder disagrees with " + std::string(reference_name) +
           (errors == error_match::exact ? " (comparing error text)\n"
                                         : " (comparing where errors happen, not their text)\n") +
           found_by(how, origin, stream.size(), small) + describe(small) + "the decoder yields:\n" +
           indented(to_string(run_decoder(decoder, small.stream, small.cuts, finish))) +
           std::string(reference_name) + " yields:\n" +
           indented(to_string(run_decoder(reference, small.stream, small.cuts, finish)));
  }
  return std::nullopt;
}

} // namespace detail

namespace {

::testing::AssertionResult agrees_with_named(decoder_adapter& decoder, decoder_adapter& reference,
                                             const std::string& reference_name,
                                             const byte_strings& streams, error_match errors,
                                             const check_options& options) {
  return detail::each_stream(streams, [&](byte_view stream, const std::string& origin) {
    return detail::disagreement(decoder, reference, reference_name, stream,
                                cuttings_for(stream, options), errors, options.finish, origin);
  });
}

} // namespace

::testing::AssertionResult agrees_with(decoder_adapter& decoder, decoder_adapter& reference,
                                       const byte_strings& streams, error_match errors,
                                       const check_options& options) {
  return agrees_with_named(decoder, reference, "the reference decoder", streams, errors, options);
}

::testing::AssertionResult agrees_with(decoder_adapter& decoder, const framing_spec& reference,
                                       const byte_strings& streams, error_match errors,
                                       const check_options& options) {
  spec_adapter spec(reference);
  return agrees_with_named(decoder, spec, "the framing spec '" + to_string(reference) + "'",
                           streams, errors, options);
}

::testing::AssertionResult agrees_with(decoder_adapter& decoder, std::string_view reference_spec,
                                       const byte_strings& streams, error_match errors,
                                       const check_options& options) {
  try {
    return agrees_with(decoder, spec_from_text(reference_spec), streams, errors, options);
  } catch (const std::invalid_argument& e) {
    return ::testing::AssertionFailure() << e.what();
  }
}

} // namespace tcpcheck::testing
