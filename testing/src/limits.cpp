// Limits: no message above the declared limit comes out.
#include "tcpcheck/testing/limits.hpp"

#include "tcpcheck/testing/decoder_run.hpp"

#include <algorithm>
#include <exception>

#include "checks.hpp"

namespace tcpcheck::testing {

namespace {

std::size_t longest_message(const decoder_run& run) {
  std::size_t longest = 0;
  for (const auto& m : run.messages)
    longest = std::max(longest, m.size());
  return longest;
}

std::optional<std::string> over_limit(decoder_adapter& decoder, std::size_t limit, byte_view stream,
                                      const check_options& options, const std::string& origin) {
  const failure_test fails = [&](byte_view s, std::span<const std::size_t> cuts) {
    return longest_message(run_decoder(decoder, s, cuts, options.finish)) > limit;
  };
  for (const cutting& how : cuttings_for(stream, options)) {
    if (!fails(stream, how.cuts)) continue;
    const counterexample small = shrink({byte_buffer(stream.begin(), stream.end()), how.cuts},
                                        fails, shrink_scope::cuts_and_input);
    const decoder_run got = run_decoder(decoder, small.stream, small.cuts, options.finish);
    return "limit broken: the decoder handed out a message of " +
           std::to_string(longest_message(got)) + " bytes, above its declared limit of " +
           std::to_string(limit) + " bytes\n" +
           detail::found_by(how, origin, stream.size(), small) + describe(small) + "decoded:\n" +
           detail::indented(to_string(got));
  }
  return std::nullopt;
}

// Payload bytes that are letters: no line or delimiter framing cuts them.
byte_buffer filler(std::size_t size) {
  byte_buffer out(size);
  for (std::size_t i = 0; i < size; ++i)
    out[i] = static_cast<std::uint8_t>('a' + i % 26);
  return out;
}

template <class... Frames>
byte_buffer joined(const Frames&... frames) {
  byte_buffer out;
  (out.insert(out.end(), frames.begin(), frames.end()), ...);
  return out;
}

} // namespace

::testing::AssertionResult respects_limit(decoder_adapter& decoder, std::size_t limit,
                                          const encoder& encode, const check_options& options) {
  byte_buffer at_limit, over, small;
  try {
    at_limit = encode(filler(limit));
    over = encode(filler(limit + 1));
    small = encode(filler(1));
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure()
           << "the encoder refused a payload of " << limit << " or " << limit + 1
           << " bytes (it must frame payloads above the limit too): " << e.what();
  }

  const decoder_run expected{{filler(limit)}, std::nullopt};
  const failure_test refuses = [&](byte_view s, std::span<const std::size_t> cuts) {
    return !(run_decoder(decoder, s, cuts, options.finish) == expected);
  };
  for (const cutting& how : cuttings_for(at_limit, options)) {
    if (!refuses(at_limit, how.cuts)) continue;
    const counterexample shown = shrink({at_limit, how.cuts}, refuses, shrink_scope::cuts);
    return ::testing::AssertionFailure()
           << "limit off: a message of exactly the limit (" << limit
           << " bytes) does not come out whole\n"
           << detail::found_by(how, "a message of exactly the limit", at_limit.size(), shown)
           << describe(shown) << "decoded:\n"
           << detail::indented(
                  to_string(run_decoder(decoder, shown.stream, shown.cuts, options.finish)));
  }

  const std::string above = "a message of " + std::to_string(limit + 1) + " bytes";
  if (auto report = over_limit(decoder, limit, over, options, above + " alone"))
    return ::testing::AssertionFailure() << *report;
  if (auto report = over_limit(decoder, limit, joined(small, over, small), options,
                               above + " between two 1-byte messages"))
    return ::testing::AssertionFailure() << *report;
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult respects_limit(decoder_adapter& decoder, std::size_t limit,
                                          const byte_strings& streams,
                                          const check_options& options) {
  return detail::each_stream(streams, [&](byte_view stream, const std::string& origin) {
    return over_limit(decoder, limit, stream, options, origin);
  });
}

} // namespace tcpcheck::testing
