// Tests for escape.hpp: escape, unescape and hex, and that they reverse each other.
#include "tcpcheck/escape.hpp"

#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace tcpcheck {
namespace {

using namespace std::string_literals;

std::string unescaped(std::string_view text, std::string_view escapable = {}) {
  unescape_error error;
  const auto bytes = unescape(text, error, escapable);
  if (!bytes) return "<error at " + std::to_string(error.index) + ": " + error.reason + ">";
  return std::string(as_text(*bytes));
}

TEST(Escape, WritesPrintableAsciiAsItIs) {
  EXPECT_EQ(escape(as_bytes("Hello, world! ~{}[]|\"'")), "Hello, world! ~{}[]|\"'");
}

TEST(Escape, WritesControlBytesAndBackslashAsNamedEscapes) {
  EXPECT_EQ(escape(as_bytes("\r\n\t\0\\"s)), "\\r\\n\\t\\0\\\\");
}

TEST(Escape, WritesOtherBytesAsLowercaseHex) {
  EXPECT_EQ(escape(as_bytes("\x01\x1f\x7f\x80\xab\xff"s)), "\\x01\\x1f\\x7f\\x80\\xab\\xff");
}

TEST(Escape, WritesCharactersToAlsoEscapeAsHex) {
  EXPECT_EQ(escape(as_bytes("a|b,c"), "|,"), "a\\x7cb\\x2cc");
  EXPECT_EQ(escape(as_bytes("say \"hi\""), "\""), "say \\x22hi\\x22");
}

TEST(Escape, WritesBackslashAsDoubleBackslashEvenWhenAskedToAlsoEscapeIt) {
  EXPECT_EQ(escape(as_bytes("\\"), "\\"), "\\\\");
}

TEST(Escape, WritesEmptyBytesAsEmptyText) {
  EXPECT_EQ(escape(byte_view{}), "");
}

TEST(Unescape, ReadsEveryDefinedEscape) {
  EXPECT_EQ(unescaped("\\r\\n\\t\\0\\\\"), "\r\n\t\0\\"s);
  EXPECT_EQ(unescaped("a\\x41\\x00z"), "aA\0z"s);
}

TEST(Unescape, AcceptsHexDigitsInEitherCase) {
  EXPECT_EQ(unescaped("\\xAb\\xaB\\xFF"), "\xab\xab\xff"s);
}

TEST(Unescape, LeavesTextWithoutBackslashesAsItIs) {
  EXPECT_EQ(unescaped("plain text, with | and ,"), "plain text, with | and ,");
  EXPECT_EQ(unescaped(""), "");
}

TEST(Unescape, ReversesEscapeForEveryByte) {
  byte_buffer all;
  for (int b = 0; b < 256; ++b)
    all.push_back(static_cast<std::uint8_t>(b));
  for (const std::string_view also : {std::string_view{}, std::string_view{"|,\""}}) {
    unescape_error error;
    const auto back = unescape(escape(all, also), error);
    ASSERT_TRUE(back.has_value()) << error.reason;
    EXPECT_EQ(*back, all);
  }
}

TEST(Unescape, RejectsAnUnknownEscapeNamingItsIndex) {
  unescape_error error;
  EXPECT_FALSE(unescape("ab\\q", error).has_value());
  EXPECT_EQ(error.index, 2u);
  EXPECT_NE(error.reason.find("\\q"), std::string::npos) << error.reason;
}

TEST(Unescape, RejectsATrailingBackslash) {
  unescape_error error;
  EXPECT_FALSE(unescape("abc\\", error).has_value());
  EXPECT_EQ(error.index, 3u);
  EXPECT_FALSE(error.reason.empty());
}

TEST(Unescape, RejectsHexEscapesWithoutTwoHexDigits) {
  for (const std::string_view text : {"\\x", "\\x4", "\\xg0", "\\x0g", "ok\\x4"}) {
    SCOPED_TRACE(text);
    unescape_error error;
    EXPECT_FALSE(unescape(text, error).has_value());
    EXPECT_EQ(error.index, text.find('\\'));
  }
}

TEST(Unescape, AcceptsBackslashBeforeAnEscapableCharacter) {
  EXPECT_EQ(unescaped("a\\|b\\,c", "|,"), "a|b,c");
}

TEST(Unescape, RejectsBackslashBeforeACharacterThatIsNotEscapable) {
  unescape_error error;
  EXPECT_FALSE(unescape("a\\|b", error).has_value());
  EXPECT_EQ(error.index, 1u);
  EXPECT_FALSE(unescape("a\\,b", error, "|").has_value());
  EXPECT_EQ(error.index, 1u);
}

TEST(ToHex, WritesSpaceSeparatedLowercasePairs) {
  EXPECT_EQ(to_hex(as_bytes("hello")), "68 65 6c 6c 6f");
  EXPECT_EQ(to_hex(as_bytes("\0\xff"s)), "00 ff");
  EXPECT_EQ(to_hex(byte_view{}), "");
}

TEST(HexNumber, WritesLowercaseHexAfter0xWithoutLeadingZeros) {
  EXPECT_EQ(hex_number(0), "0x0");
  EXPECT_EQ(hex_number(0x30), "0x30");
  EXPECT_EQ(hex_number(0xABCDEF), "0xabcdef");
  EXPECT_EQ(hex_number(0x100000000ull), "0x100000000");
  EXPECT_EQ(hex_number(~0ull), "0xffffffffffffffff");
}

} // namespace
} // namespace tcpcheck
