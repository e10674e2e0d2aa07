// Tests for bytes.hpp: views between text and bytes, without copies.
#include "tcpcheck/bytes.hpp"

#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace tcpcheck {
namespace {

using namespace std::string_literals;

TEST(Bytes, AsBytesViewsTheTextsOwnMemory) {
  const std::string text = "hello";
  const byte_view bytes = as_bytes(text);
  EXPECT_EQ(static_cast<const void*>(bytes.data()), static_cast<const void*>(text.data()));
  ASSERT_EQ(bytes.size(), 5u);
  EXPECT_EQ(bytes[0], 'h');
  EXPECT_EQ(bytes[4], 'o');
}

TEST(Bytes, AsTextViewsTheBytesOwnMemory) {
  const byte_buffer buffer{'a', 'b', 'c'};
  const std::string_view text = as_text(buffer);
  EXPECT_EQ(static_cast<const void*>(text.data()), static_cast<const void*>(buffer.data()));
  EXPECT_EQ(text, "abc");
}

TEST(Bytes, KeepsNulAndHighBytesBothWays) {
  const std::string text = "a\0\xff\x80z"s;
  const byte_view bytes = as_bytes(text);
  ASSERT_EQ(bytes.size(), 5u);
  EXPECT_EQ(bytes[1], 0x00);
  EXPECT_EQ(bytes[2], 0xff);
  EXPECT_EQ(bytes[3], 0x80);
  EXPECT_EQ(as_text(bytes), text);
}

TEST(Bytes, ViewsOfEmptyTextAreEmpty) {
  EXPECT_TRUE(as_bytes(std::string_view{}).empty());
  EXPECT_TRUE(as_text(byte_view{}).empty());
}

} // namespace
} // namespace tcpcheck
