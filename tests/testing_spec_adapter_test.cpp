// Tests for tcpcheck/testing/spec_adapter.hpp: framing specs as adapter and encoder.
#include "tcpcheck/testing/decoder_run.hpp"
#include "tcpcheck/testing/spec_adapter.hpp"

#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

namespace tcpcheck::testing {
namespace {

using namespace std::literals;

TEST(SpecAdapter, DecodesFramesAndReportsTheErrorWithItsOffset) {
  spec_adapter decoder("line");
  const decoder_run run = run_decoder(decoder, as_bytes("ab\ncd"), {});
  ASSERT_EQ(run.messages.size(), 1u);
  EXPECT_EQ(as_text(run.messages[0]), "ab");
  ASSERT_TRUE(run.error);
  EXPECT_EQ(run.error->rfind("truncated frame at byte 3", 0), 0u) << *run.error;
}

TEST(SpecAdapter, StartsOverAfterReset) {
  spec_adapter decoder("fixed:2");
  run_decoder(decoder, as_bytes("abc"), {}, false);
  const decoder_run run = run_decoder(decoder, as_bytes("de"), {});
  ASSERT_EQ(run.messages.size(), 1u);
  EXPECT_EQ(as_text(run.messages[0]), "de");
}

TEST(SpecAdapter, RefusesASpecThatDoesNotParse) {
  EXPECT_THROW(spec_adapter("len:u33"), std::invalid_argument);
}

TEST(SpecEncoder, FramesPayloadsAboveMaxForTheLimitChecks) {
  const auto encode = spec_encoder(spec_from_text("len:u16be,max=4"));
  EXPECT_EQ(encode(as_bytes("abcdef")), (byte_buffer{0, 6, 'a', 'b', 'c', 'd', 'e', 'f'}));
}

TEST(SpecEncoder, ThrowsForAPayloadTheSpecCannotCarry) {
  const auto encode = spec_encoder(spec_from_text("line"));
  try {
    encode(as_bytes("a\nb"));
    FAIL() << "a line with an LF inside was encoded";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("delimiter"), std::string::npos) << e.what();
  }
}

} // namespace
} // namespace tcpcheck::testing
