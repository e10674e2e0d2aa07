// Tests for tcpcheck/testing/split_invariance.hpp: split_invariant catches
// decoders that depend on how the stream is cut, and names the smallest case.
#include "tcpcheck/testing/split_invariance.hpp"

#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "buggy_decoders.hpp"

namespace tcpcheck::test {
namespace {

using namespace std::literals;
using testing::split_invariant;

// Three sends of "hello" read as one, then an empty message and a partial one.
const testing::byte_strings streams{"\x05\0\0\0hello\x05\0\0\0hello\x05\0\0\0hello"sv,
                                    "\x00\0\0\0\x02\0\0\0hi\x03\0\0"sv};

// The size in "input (N bytes)", the shrunk counterexample's.
std::size_t reported_input_size(const std::string& message) {
  const auto at = message.find("input (");
  if (at == std::string::npos) return SIZE_MAX;
  return std::stoul(message.substr(at + 7));
}

TEST(SplitInvariant, PassesACorrectDecoder) {
  length_prefix_decoder decoder;
  EXPECT_TRUE(split_invariant(decoder, streams));
}

TEST(SplitInvariant, CatchesTheSeedArticlesWholeHeaderPerRead) {
  length_prefix_decoder decoder(decoder_bug::whole_header_per_read);
  const auto result = split_invariant(decoder, streams);
  ASSERT_FALSE(result);
  const std::string message = result.message();
  EXPECT_NE(message.find("split invariance broken"), std::string::npos) << message;
  EXPECT_NE(message.find("found by cut at 1 of stream 1 of 2, 27 bytes"), std::string::npos)
      << message;
  // Shrunk to a header cut once: "\x01\0" decodes as a 1-byte length whole
  // but as length 1 then a body byte when cut after its first byte.
  EXPECT_NE(message.find("and 1 cut)"), std::string::npos) << message;
  EXPECT_LE(reported_input_size(message), 5u) << message;
  EXPECT_NE(message.find("cut at 1: "), std::string::npos) << message;
  EXPECT_NE(message.find("decoded whole:\n"), std::string::npos) << message;
  EXPECT_NE(message.find("decoded in pieces:\n"), std::string::npos) << message;
}

TEST(SplitInvariant, CatchesAHeaderDroppedAtTheEndOfARead) {
  length_prefix_decoder decoder(decoder_bug::drops_partial_header);
  const auto result = split_invariant(decoder, streams);
  ASSERT_FALSE(result);
  const std::string message = result.message();
  EXPECT_NE(message.find("split invariance broken"), std::string::npos) << message;
  EXPECT_NE(message.find("and 1 cut)"), std::string::npos) << message;
  EXPECT_LE(reported_input_size(message), 5u) << message;
}

TEST(SplitInvariant, DoesNotBlameADecoderForItsMissingLimit) {
  // Wrong, but the same wrong under every cut: respects_limit's job.
  length_prefix_decoder decoder(decoder_bug::no_limit_check, 4);
  EXPECT_TRUE(split_invariant(decoder, streams));
}

TEST(SplitInvariant, TriesOnlyTheCuttingsAsked) {
  length_prefix_decoder decoder(decoder_bug::whole_header_per_read);
  testing::check_options whole_only;
  whole_only.every_two_way_split = false;
  whole_only.bytewise = false;
  whole_only.random_splits = 0;
  EXPECT_TRUE(split_invariant(decoder, streams, whole_only));

  testing::check_options random_only = whole_only;
  random_only.random_splits = 16;
  const auto result = split_invariant(decoder, streams, random_only);
  ASSERT_FALSE(result);
  EXPECT_NE(std::string(result.message()).find("found by random split"), std::string::npos)
      << result.message();
}

TEST(SplitInvariant, PassesAnEmptyListAndAnEmptyStream) {
  length_prefix_decoder decoder(decoder_bug::whole_header_per_read);
  EXPECT_TRUE(split_invariant(decoder, std::vector<byte_buffer>{}));
  EXPECT_TRUE(split_invariant(decoder, ""sv));
}

// A decoder whose exception depends on the cut: the exception is its error.
class throws_on_short_reads final : public testing::decoder_adapter {
public:
  void reset() override {}
  void feed(byte_view piece, testing::message_sink& out) override {
    if (piece.size() < 2) throw std::runtime_error("short read");
    out.message(piece);
  }
};

TEST(SplitInvariant, CountsAnExceptionAsTheDecodersError) {
  throws_on_short_reads decoder;
  const auto result = split_invariant(decoder, "ab"sv);
  ASSERT_FALSE(result);
  EXPECT_NE(std::string(result.message()).find("error: threw: short read"), std::string::npos)
      << result.message();
}

} // namespace
} // namespace tcpcheck::test
