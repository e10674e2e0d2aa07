// Tests for tcpcheck/testing/decoder_run.hpp (and the adapter and sink of
// decoder_adapter.hpp): feeding pieces, recording, comparing, printing.
#include "tcpcheck/error.hpp"
#include "tcpcheck/testing/byte_strings.hpp"
#include "tcpcheck/testing/decoder_run.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace tcpcheck::testing {
namespace {

using namespace std::literals;

// Emits each piece as a message; fails on 'E', reporting more after it.
class recorder final : public decoder_adapter {
public:
  void reset() override {
    ++resets;
    finished = false;
  }
  void feed(byte_view piece, message_sink& out) override {
    out.message(piece);
    if (as_text(piece).find('E') != std::string_view::npos) {
      out.error("saw E");
      out.error("a second error");
      out.message("after the error"sv);
    }
  }
  void finish(message_sink&) override { finished = true; }

  int resets = 0;
  bool finished = false;
};

std::vector<std::string> texts(const decoder_run& run) {
  std::vector<std::string> out;
  for (const auto& m : run.messages)
    out.emplace_back(as_text(m));
  return out;
}

TEST(RunDecoder, FeedsThePiecesBetweenTheCutsThenFinishes) {
  recorder r;
  const std::size_t cuts[] = {0, 2, 2, 3, 9};
  const decoder_run run = run_decoder(r, as_bytes("abcdef"), cuts);
  EXPECT_EQ(texts(run), (std::vector<std::string>{"ab", "c", "def"}));
  EXPECT_FALSE(run.error);
  EXPECT_EQ(r.resets, 1);
  EXPECT_TRUE(r.finished);
}

TEST(RunDecoder, StopsAtTheFirstErrorAndKeepsOnlyIt) {
  recorder r;
  const std::size_t cuts[] = {2, 4};
  const decoder_run run = run_decoder(r, as_bytes("abEdef"), cuts);
  EXPECT_EQ(texts(run), (std::vector<std::string>{"ab", "Ed"}));
  EXPECT_EQ(run.error, "saw E");
  EXPECT_FALSE(r.finished);
}

TEST(RunDecoder, LeavesTheStreamOpenWithoutFinish) {
  recorder r;
  run_decoder(r, as_bytes("ab"), {}, false);
  EXPECT_FALSE(r.finished);
}

TEST(MessageSink, WritesAnErrorCodeAsCategoryMessageAndValue) {
  decoder_run run;
  message_sink sink(run);
  sink.error(make_error_code(error::truncated_frame));
  EXPECT_EQ(run.error, "tcpcheck: truncated frame (26)");
}

TEST(SameRun, ComparesErrorsExactlyOrByOccurrence) {
  const decoder_run a{{{'x'}}, "one"};
  const decoder_run b{{{'x'}}, "two"};
  EXPECT_FALSE(same_run(a, b, error_match::exact));
  EXPECT_TRUE(same_run(a, b, error_match::occurrence));
  EXPECT_FALSE(same_run(a, {{{'x'}}, std::nullopt}, error_match::occurrence));
  EXPECT_FALSE(same_run(a, {{{'y'}}, "one"}, error_match::occurrence));
}

TEST(DecoderRunToString, PrintsOneLinePerMessageThenTheError) {
  EXPECT_EQ(to_string(decoder_run{{{'h', 'i'}, {}}, "bad"}),
            "message 1 (2 bytes): \"hi\"\nmessage 2 (0 bytes): \"\"\nerror: bad\n");
  EXPECT_EQ(to_string(decoder_run{}), "(no messages, no error)\n");
  const std::string shortened = to_string(decoder_run{{byte_buffer(100, 'x')}, std::nullopt});
  EXPECT_NE(shortened.find("... and 36 more bytes"), std::string::npos) << shortened;
}

TEST(ByteStrings, TakesLiteralsListsStringsAndBuffers) {
  EXPECT_EQ(byte_strings("a\0b"sv).items(), std::vector<byte_buffer>{byte_buffer({'a', 0, 'b'})});
  EXPECT_EQ(byte_strings({"a", "bc"}).size(), 2u);
  EXPECT_EQ(byte_strings(std::string("xy")).items()[0], byte_buffer({'x', 'y'}));
  EXPECT_EQ(byte_strings(byte_buffer{1, 2}).items()[0], byte_buffer({1, 2}));
}

} // namespace
} // namespace tcpcheck::testing
