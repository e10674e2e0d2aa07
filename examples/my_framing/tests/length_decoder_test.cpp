// my_framing's decoder, checked with tcpcheck's helpers for the properties
// every stream decoder needs.
#include <tcpcheck/testing.hpp>

#include <string>

#include <gtest/gtest.h>

#include "length_decoder_adapter.hpp"

namespace {

using namespace std::literals;
namespace tt = tcpcheck::testing;

// Three sends of "hello" read as one, an empty message, and a stream that
// ends inside a message.
const tt::byte_strings streams{"\x05\0\0\0hello\x05\0\0\0hello\x05\0\0\0hello"sv,
                               "\x00\0\0\0\x02\0\0\0hi"sv, "\x03\0\0\0ab"sv};

TEST(LengthDecoder, GivesTheSameMessagesHoweverTheStreamIsCut) {
  length_decoder_adapter decoder;
  EXPECT_TRUE(tt::split_invariant(decoder, streams));
}

TEST(LengthDecoder, AgreesWithTcpchecksSpecOfTheFormat) {
  // A 4-byte little-endian length whose value is limited to 1 KiB.
  length_decoder_adapter decoder;
  EXPECT_TRUE(tt::agrees_with(decoder, "len:u32le,max=1K,max-of=field", streams));
}

TEST(LengthDecoder, GivesBackWhatWasFramed) {
  length_decoder_adapter decoder;
  EXPECT_TRUE(tt::round_trips(decoder, encode_length_prefixed, {"hello", "", "\0\n\r"sv}));
}

TEST(LengthDecoder, NeverHandsOutAMessageAboveItsLimit) {
  length_decoder_adapter decoder(64);
  EXPECT_TRUE(tt::respects_limit(decoder, 64, encode_length_prefixed));
}

TEST(LengthDecoder, FailsWhenTheStreamEndsInsideAMessage) {
  length_decoder_adapter decoder;
  EXPECT_TRUE(tt::handles_end_of_stream(decoder, tcpcheck::eof_policy::error,
                                        encode_length_prefixed, {"hello", "", "hi"}));
}

} // namespace
