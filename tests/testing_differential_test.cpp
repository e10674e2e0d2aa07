// Tests for tcpcheck/testing/differential.hpp: agrees_with compares a
// decoder with a reference adapter or a framing spec under every cutting.
#include "tcpcheck/testing/differential.hpp"
#include "tcpcheck/testing/spec_adapter.hpp"

#include <string>

#include <gtest/gtest.h>

#include "buggy_decoders.hpp"

namespace tcpcheck::test {
namespace {

using namespace std::literals;
using testing::agrees_with;
using testing::error_match;

// The spec that describes length_prefix_decoder with its default limit.
constexpr std::string_view same_format = "len:u32le,max=16,max-of=field";

const testing::byte_strings streams{"\x05\0\0\0hello\x00\0\0\0\x02\0\0\0hi"sv,
                                    "\x02\0\0\0hi\x11\0\0\0"sv, "\x03\0\0\0ab"sv};

TEST(AgreesWith, PassesACorrectDecoderAgainstTheSpecOfItsFormat) {
  length_prefix_decoder decoder;
  EXPECT_TRUE(agrees_with(decoder, same_format, streams));
  EXPECT_TRUE(agrees_with(decoder, testing::spec_from_text(same_format), streams));
}

TEST(AgreesWith, CatchesTheSeedArticlesBugAgainstTheSpec) {
  length_prefix_decoder decoder(decoder_bug::whole_header_per_read);
  const auto result = agrees_with(decoder, same_format, streams);
  ASSERT_FALSE(result);
  const std::string message = result.message();
  EXPECT_NE(message.find("the decoder disagrees with the framing spec "
                         "'len:u32le,max=16,max-of=field'"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("cut at"), std::string::npos) << message;
  EXPECT_NE(message.find("the decoder yields:\n"), std::string::npos) << message;
}

TEST(AgreesWith, CatchesAMissingLimitCheckAgainstTheSpec) {
  length_prefix_decoder decoder(decoder_bug::no_limit_check);
  const auto result = agrees_with(decoder, same_format, "\x11\0\0\0"s + std::string(17, 'x'));
  ASSERT_FALSE(result);
  const std::string message = result.message();
  EXPECT_NE(message.find("message 1 (17 bytes)"), std::string::npos) << message;
  EXPECT_NE(message.find("error: frame too long"), std::string::npos) << message;
}

TEST(AgreesWith, ComparesErrorTextOnlyWhenAskedTo) {
  length_prefix_decoder decoder;
  const auto truncated = "\x03\0\0\0ab"sv;
  EXPECT_TRUE(agrees_with(decoder, same_format, truncated, error_match::occurrence));
  const auto result = agrees_with(decoder, same_format, truncated, error_match::exact);
  ASSERT_FALSE(result);
  EXPECT_NE(std::string(result.message()).find("(comparing error text)"), std::string::npos)
      << result.message();
}

TEST(AgreesWith, ComparesWithAReferenceAdapter) {
  length_prefix_decoder reference;
  length_prefix_decoder same;
  EXPECT_TRUE(agrees_with(same, reference, streams, error_match::exact));
  length_prefix_decoder buggy(decoder_bug::drops_partial_header);
  const auto result = agrees_with(buggy, reference, streams, error_match::exact);
  ASSERT_FALSE(result);
  EXPECT_NE(std::string(result.message()).find("disagrees with the reference decoder"),
            std::string::npos)
      << result.message();
}

TEST(AgreesWith, FailsOnASpecThatDoesNotParse) {
  length_prefix_decoder decoder;
  const auto result = agrees_with(decoder, "len:u33"sv, streams);
  ASSERT_FALSE(result);
  EXPECT_NE(std::string(result.message()).find("does not parse: column 5"), std::string::npos)
      << result.message();
}

} // namespace
} // namespace tcpcheck::test
