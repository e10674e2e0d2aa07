// End of stream: a stream that ends inside a message is handled as declared.
#include "tcpcheck/testing/end_of_stream.hpp"

#include "tcpcheck/testing/counterexample.hpp"
#include "tcpcheck/testing/cuttings.hpp"
#include "tcpcheck/testing/decoder_run.hpp"

#include <algorithm>
#include <exception>

#include "checks.hpp"

namespace tcpcheck::testing {

namespace {

// Where the stream ended, in terms of the messages framed into it.
struct ending {
  std::size_t complete = 0; // messages wholly before the end
  bool inside = false;      // the end falls inside message `complete`
};

bool as_declared(const decoder_run& got, const byte_strings& payloads, ending at,
                 eof_policy declared) {
  const auto& all = payloads.items();
  if (got.messages.size() < at.complete ||
      !std::equal(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(at.complete),
                  got.messages.begin()))
    return false;
  const std::size_t extra = got.messages.size() - at.complete;
  if (!at.inside || declared == eof_policy::drop) return extra == 0 && !got.error;
  if (declared == eof_policy::error) return extra == 0 && got.error.has_value();
  if (extra != 1 || got.error) return false;
  const byte_buffer& partial = got.messages.back();
  const byte_buffer& full = all[at.complete];
  return partial.size() <= full.size() && std::equal(partial.begin(), partial.end(), full.begin());
}

std::string expectation(ending at, eof_policy declared) {
  const std::string so_far = "the " + std::to_string(at.complete) + " complete messages";
  if (!at.inside) return so_far + " and no error";
  switch (declared) {
  case eof_policy::error:
    return so_far + ", then an error (declared: eof=error)";
  case eof_policy::drop:
    return so_far + " and no error (declared: eof=drop)";
  case eof_policy::emit:
    return so_far + ", then the partial message (a prefix of message " +
           std::to_string(at.complete + 1) + ") and no error (declared: eof=emit)";
  }
  return so_far;
}

} // namespace

::testing::AssertionResult handles_end_of_stream(decoder_adapter& decoder, eof_policy declared,
                                                 const encoder& encode,
                                                 const byte_strings& payloads) {
  byte_buffer stream;
  std::vector<std::size_t> ends; // where each message's frame ends
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    try {
      const byte_buffer frame = encode(payloads.items()[i]);
      stream.insert(stream.end(), frame.begin(), frame.end());
    } catch (const std::exception& e) {
      return ::testing::AssertionFailure()
             << "the encoder refused payload " << (i + 1) << ": " << e.what();
    }
    ends.push_back(stream.size());
  }
  check_options whole_and_bytewise;
  whole_and_bytewise.every_two_way_split = false;
  whole_and_bytewise.random_splits = 0;
  for (std::size_t length = 0; length <= stream.size(); ++length) {
    const byte_view prefix = byte_view(stream).first(length);
    ending at;
    at.complete =
        static_cast<std::size_t>(std::upper_bound(ends.begin(), ends.end(), length) - ends.begin());
    at.inside =
        at.complete < ends.size() && length > (at.complete == 0 ? 0 : ends[at.complete - 1]);
    const failure_test fails = [&](byte_view s, std::span<const std::size_t> cuts) {
      return !as_declared(run_decoder(decoder, s, cuts), payloads, at, declared);
    };
    for (const cutting& how : cuttings_for(prefix, whole_and_bytewise)) {
      if (!fails(prefix, how.cuts)) continue;
      const counterexample small =
          shrink({byte_buffer(prefix.begin(), prefix.end()), how.cuts}, fails, shrink_scope::cuts);
      return ::testing::AssertionFailure()
             << "end of stream mishandled: the stream ended "
             << (at.inside ? "inside message " + std::to_string(at.complete + 1)
                           : "after message " + std::to_string(at.complete))
             << " of " << payloads.size() << "\n"
             << detail::found_by(how, "the first " + std::to_string(length) + " bytes",
                                 prefix.size(), small)
             << describe(small) << "expected " << expectation(at, declared) << "; decoded:\n"
             << detail::indented(to_string(run_decoder(decoder, small.stream, small.cuts)));
    }
  }
  return ::testing::AssertionSuccess();
}

} // namespace tcpcheck::testing
