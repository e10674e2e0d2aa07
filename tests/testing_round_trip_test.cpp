// Tests for tcpcheck/testing/round_trip.hpp: round_trips decodes what the
// encoder framed and expects the payloads back under every cutting.
#include "tcpcheck/testing/round_trip.hpp"
#include "tcpcheck/testing/spec_adapter.hpp"

#include <string>

#include <gtest/gtest.h>

#include "buggy_decoders.hpp"

namespace tcpcheck::test {
namespace {

using testing::round_trips;

const testing::byte_strings payloads{"hello", "", "hi", "sixteen bytes!!!"};

TEST(RoundTrips, PassesACorrectDecoderWithItsEncoder) {
  length_prefix_decoder decoder;
  EXPECT_TRUE(round_trips(decoder, frame_le32, payloads));
}

TEST(RoundTrips, PassesASpecWithTcpchecksEncoder) {
  testing::spec_adapter decoder("line,crlf");
  EXPECT_TRUE(round_trips(decoder, testing::spec_encoder(decoder.spec()), {"a", "", "b\rc"}));
}

TEST(RoundTrips, CatchesTheSeedArticlesBugOnTheSmallestPayload) {
  length_prefix_decoder decoder(decoder_bug::whole_header_per_read);
  const auto result = round_trips(decoder, frame_le32, payloads);
  ASSERT_FALSE(result);
  const std::string message = result.message();
  EXPECT_NE(message.find("round trip broken"), std::string::npos) << message;
  // The empty payload, tried first, already shows it: "\0\0\0\0" cut once
  // gives two empty messages.
  EXPECT_NE(message.find("of payload 2 framed alone, 4 bytes; shrunk to 4 bytes and 1 cut"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("expected:\n  message 1 (0 bytes): \"\"\n"), std::string::npos) << message;
}

TEST(RoundTrips, CatchesAHeaderDroppedAtTheEndOfARead) {
  length_prefix_decoder decoder(decoder_bug::drops_partial_header);
  const auto result = round_trips(decoder, frame_le32, payloads);
  ASSERT_FALSE(result);
  EXPECT_NE(std::string(result.message()).find("and 1 cut)"), std::string::npos)
      << result.message();
}

TEST(RoundTrips, ReportsAPayloadTheEncoderRefuses) {
  testing::spec_adapter decoder("len:u8");
  const auto result =
      round_trips(decoder, testing::spec_encoder(decoder.spec()), {"ok", std::string(300, 'x')});
  ASSERT_FALSE(result);
  EXPECT_NE(std::string(result.message()).find("the encoder refused payload 2"), std::string::npos)
      << result.message();
}

} // namespace
} // namespace tcpcheck::test
