// Tests for tcpcheck/testing/end_of_stream.hpp: handles_end_of_stream ends
// the stream after every byte and checks the declared eof policy.
#include "tcpcheck/testing/end_of_stream.hpp"
#include "tcpcheck/testing/spec_adapter.hpp"

#include <string>

#include <gtest/gtest.h>

#include "buggy_decoders.hpp"

namespace tcpcheck::test {
namespace {

using testing::handles_end_of_stream;

const testing::byte_strings payloads{"hello", "", "hi"};

TEST(HandlesEndOfStream, PassesADecoderThatFailsAsDeclared) {
  length_prefix_decoder decoder;
  EXPECT_TRUE(handles_end_of_stream(decoder, eof_policy::error, frame_le32, payloads));
}

TEST(HandlesEndOfStream, CatchesADecoderThatDoesOtherThanDeclared) {
  length_prefix_decoder decoder;
  const auto result = handles_end_of_stream(decoder, eof_policy::drop, frame_le32, payloads);
  ASSERT_FALSE(result);
  const std::string message = result.message();
  // The shortest stream that shows it: the first byte of the first header.
  EXPECT_NE(message.find("end of stream mishandled: the stream ended inside message 1 of 3"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("input (1 bytes): \"\\x05\""), std::string::npos) << message;
  EXPECT_NE(message.find("expected the 0 complete messages and no error (declared: eof=drop)"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("error: stream ended inside a message"), std::string::npos) << message;
}

TEST(HandlesEndOfStream, CatchesADecoderThatIgnoresTheEnd) {
  // eof=drop forgets the partial message: not what eof=error declares.
  testing::spec_adapter decoder("len:u32le,eof=drop");
  const auto result = handles_end_of_stream(decoder, eof_policy::error, frame_le32, {"hello"});
  ASSERT_FALSE(result);
  EXPECT_NE(std::string(result.message()).find("then an error (declared: eof=error)"),
            std::string::npos)
      << result.message();
}

TEST(HandlesEndOfStream, PassesEachOfTcpchecksPolicies) {
  for (const auto* spec : {"line", "line,eof=drop", "line,eof=emit", "len:u16be,eof=emit"}) {
    testing::spec_adapter decoder(spec);
    SCOPED_TRACE(spec);
    EXPECT_TRUE(handles_end_of_stream(decoder, decoder.spec().at_eof,
                                      testing::spec_encoder(decoder.spec()), payloads));
  }
}

} // namespace
} // namespace tcpcheck::test
