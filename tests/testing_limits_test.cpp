// Tests for tcpcheck/testing/limits.hpp: respects_limit catches a decoder
// that hands out messages above its declared limit, or refuses the limit.
#include "tcpcheck/testing/limits.hpp"
#include "tcpcheck/testing/spec_adapter.hpp"

#include <string>

#include <gtest/gtest.h>

#include "buggy_decoders.hpp"

namespace tcpcheck::test {
namespace {

using namespace std::literals;
using testing::respects_limit;

TEST(RespectsLimit, PassesACorrectDecoder) {
  length_prefix_decoder decoder(decoder_bug::none, 16);
  EXPECT_TRUE(respects_limit(decoder, 16, frame_le32));
}

TEST(RespectsLimit, CatchesADecoderThatAcceptsFramesOverItsLimit) {
  length_prefix_decoder decoder(decoder_bug::no_limit_check, 16);
  const auto result = respects_limit(decoder, 16, frame_le32);
  ASSERT_FALSE(result);
  const std::string message = result.message();
  EXPECT_NE(message.find("limit broken: the decoder handed out a message of 17 bytes, above its "
                         "declared limit of 16 bytes"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("found by fed whole of a message of 17 bytes alone"), std::string::npos)
      << message;
  EXPECT_NE(message.find("message 1 (17 bytes)"), std::string::npos) << message;
}

TEST(RespectsLimit, CatchesALimitOffByOne) {
  length_prefix_decoder decoder(decoder_bug::none, 15);
  const auto result = respects_limit(decoder, 16, frame_le32);
  ASSERT_FALSE(result);
  const std::string message = result.message();
  EXPECT_NE(message.find("limit off: a message of exactly the limit (16 bytes) does not come out"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("error: message of 16 bytes is above the limit of 15"), std::string::npos)
      << message;
}

TEST(RespectsLimit, ChecksGivenStreamsToo) {
  length_prefix_decoder decoder(decoder_bug::no_limit_check, 4);
  EXPECT_TRUE(respects_limit(decoder, 4, "\x04\0\0\0abcd"sv));
  const auto result = respects_limit(decoder, 4, {"\x04\0\0\0abcd"sv, "\x05\0\0\0abcde"sv});
  ASSERT_FALSE(result);
  EXPECT_NE(std::string(result.message()).find("of stream 2 of 2"), std::string::npos)
      << result.message();
}

TEST(RespectsLimit, PassesASpecThatDiscardsTooLongFrames) {
  // The too-long frame is skipped, never handed out: that respects the limit.
  testing::spec_adapter decoder("len:u32le,max=16,max-of=field,too-long=discard");
  EXPECT_TRUE(respects_limit(decoder, 16, testing::spec_encoder(decoder.spec())));
}

} // namespace
} // namespace tcpcheck::test
