// Tests for frame_encoder.hpp: round trips through the decoder for every
// encodable kind, the bytes written, and each refusal (never a truncation).
#include "tcpcheck/frame_encoder.hpp"

#include "tcpcheck/decode_log.hpp"

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace tcpcheck {
namespace {

using test::payloads;
using test::spec_of;
using strings = std::vector<std::string>;

std::string bytes(std::initializer_list<unsigned> values) {
  std::string out;
  for (const unsigned v : values)
    out.push_back(static_cast<char>(v));
  return out;
}

// The wire bytes for `payload`, or "<refused: message>".
std::string encoded(std::string_view spec, const std::string& payload) {
  byte_buffer out;
  if (const auto ec = encode_frame(spec_of(spec), as_bytes(payload), out))
    return "<refused: " + ec.message() + ">";
  return std::string(as_text(out));
}

std::error_code refusal(std::string_view spec, const std::string& payload) {
  byte_buffer out;
  return encode_frame(spec_of(spec), as_bytes(payload), out);
}

// Encodes `payload`, decodes the wire (cut every way when it is short) and
// expects exactly that payload back as one frame covering the whole wire.
void expect_round_trip(const framing_spec& spec, const std::string& payload) {
  SCOPED_TRACE("spec " + to_string(spec) + ", " + std::to_string(payload.size()) + "-byte payload");
  byte_buffer wire;
  const std::error_code ec = encode_frame(spec, as_bytes(payload), wire);
  ASSERT_FALSE(ec) << ec.message() << ": " << explain_refusal(spec, as_bytes(payload), ec);
  const std::string_view text = as_text(wire);
  const decode_log log =
      text.size() <= 48 ? test::grind(spec, text) : decode_in_pieces(spec, as_bytes(text), {});
  if (text.size() > 48) {
    EXPECT_EQ(decode_bytewise(spec, as_bytes(text)), log);
  }
  EXPECT_FALSE(log.error) << to_string(log.error);
  EXPECT_EQ(payloads(log), strings{payload});
  ASSERT_EQ(log.frames.size(), 1u);
  EXPECT_EQ(log.frames[0].offset, 0u);
  EXPECT_EQ(log.frames[0].wire_size, wire.size());
}

struct round_trip_case {
  const char* spec;
  strings payloads;
};

std::vector<round_trip_case> round_trip_cases() {
  const std::string nul_ff = bytes({0x00, 0xff});
  return {
      {"line", {"", "a", "hello", "a\rb", "ends in CR\r", nul_ff, std::string(200, 'z')}},
      {"line,crlf", {"", "a", "a\rb", "ends in CR\r", nul_ff}},
      {"line,max=5", {"", "abcde"}},
      {"delim:\\r\\n", {"", "a", "a\rb", "x\r", "lone \n", nul_ff}},
      {"delim:\\r\\n|\\n|\\0", {"", "a", "a\rb", "x\r", "\r"}},
      {"delim:END", {"", "E", "EN", "ND", "xEN", "xE", "NDEN"}},
      {"delim:;,max=3", {"", "abc"}},
      {"delim:\\r\\n,keep", {"a\r\n", "\r\n", "x\ry\r\n"}},
      {"delim:\\r\\n|\\n,keep", {"a\n", "b\r\n", "\n"}},
      {"fixed:5", {"hello", bytes({0, 0, 0, 0, 0}), "12345"}},
      {"fixed:1", {"x"}},
      {"varint", {"", "a", std::string(127, 'x'), std::string(128, 'y'), std::string(300, 'z')}},
      {"varint,offset=2,adjust=-1", {"", "ab"}},
      {"varint,adjust=3", {"abc", "abcdef"}},
      {"varint,max=5", {"", "abcd"}},
      {"len:u8", {"", "a", std::string(255, 'x')}},
      {"len:i8", {"", std::string(127, 'x')}},
      {"len:u16be,offset=2", {"", "hi"}},
      {"len:u16be,adjust=-2", {"", "hi"}},
      {"len:u16be,strip=2", {"hi"}},
      {"len:u16le,offset=1,adjust=1,strip=3", {"abc", "a"}},
      {"len:u16be,max=10", {"", "12345678"}},
      {"len:u32be,max=10,max-of=field", {"", "0123456789"}},
      {"len:u64le,max=1K,max-of=field", {"hello"}},
  };
}

TEST(FrameEncoder, RoundTripsEveryEncodableKindThroughTheDecoder) {
  for (const auto& c : round_trip_cases()) {
    const framing_spec spec = spec_of(c.spec);
    for (const auto& payload : c.payloads)
      expect_round_trip(spec, payload);
  }
}

TEST(FrameEncoder, RoundTripsEveryLengthFieldType) {
  for (const char* type :
       {"u8", "i8", "u16be", "u16le", "i16be", "i16le", "u24be", "u24le", "u32be", "u32le", "i32be",
        "i32le", "u64be", "u64le", "i64be", "i64le"}) {
    const framing_spec spec = spec_of(std::string("len:") + type);
    expect_round_trip(spec, "hello");
    expect_round_trip(spec, "");
  }
}

TEST(FrameEncoder, RoundTripsASequenceOfFrames) {
  for (const auto& c : round_trip_cases()) {
    SCOPED_TRACE(c.spec);
    const framing_spec spec = spec_of(c.spec);
    byte_buffer wire;
    for (const auto& payload : c.payloads)
      ASSERT_FALSE(encode_frame(spec, as_bytes(payload), wire));
    const decode_log log = decode_in_pieces(spec, wire, {});
    EXPECT_FALSE(log.error) << to_string(log.error);
    EXPECT_EQ(payloads(log), c.payloads);
    EXPECT_EQ(decode_bytewise(spec, wire), log);
  }
}

TEST(FrameEncoder, WritesTheLengthFieldInItsWidthAndByteOrder) {
  EXPECT_EQ(encoded("len:u8", "hello"), bytes({5}) + "hello");
  EXPECT_EQ(encoded("len:u16be", "hello"), bytes({0, 5}) + "hello");
  EXPECT_EQ(encoded("len:u16le", "hello"), bytes({5, 0}) + "hello");
  EXPECT_EQ(encoded("len:u24be", "hello"), bytes({0, 0, 5}) + "hello");
  EXPECT_EQ(encoded("len:u24le", "hello"), bytes({5, 0, 0}) + "hello");
  EXPECT_EQ(encoded("len:u32be", "hello"), bytes({0, 0, 0, 5}) + "hello");
  // The seed article's struct.pack('i', len(msg)) on a little-endian machine.
  EXPECT_EQ(encoded("len:i32le", "hello world!"), bytes({12, 0, 0, 0}) + "hello world!");
  EXPECT_EQ(encoded("len:u64be", "hello"), bytes({0, 0, 0, 0, 0, 0, 0, 5}) + "hello");
  EXPECT_EQ(encoded("len:i64le", "hello"), bytes({5, 0, 0, 0, 0, 0, 0, 0}) + "hello");
  EXPECT_EQ(encoded("len:u16be", std::string(0x1234, 'x')),
            bytes({0x12, 0x34}) + std::string(0x1234, 'x'));
}

TEST(FrameEncoder, WritesZeroBytesBeforeTheFieldForAnOffset) {
  EXPECT_EQ(encoded("len:u16be,offset=2", "hi"), bytes({0, 0, 0, 2}) + "hi");
  EXPECT_EQ(encoded("varint,offset=1", ""), bytes({0, 0}));
}

TEST(FrameEncoder, SubtractsTheAdjustmentFromTheLengthItWrites) {
  EXPECT_EQ(encoded("len:u16be,adjust=-2", "hi"), bytes({0, 4}) + "hi");
  EXPECT_EQ(encoded("len:u8,adjust=2", "hello"), bytes({3}) + "hello");
  // Netty's "HDR1 LEN HDR2" example: the payload starts with HDR2.
  EXPECT_EQ(encoded("len:u16be,offset=1,adjust=1,strip=3", bytes({0xfe}) + "HELLO, WORLD"),
            bytes({0, 0, 12, 0xfe}) + "HELLO, WORLD");
}

TEST(FrameEncoder, WritesVarintLengthsInLeb128) {
  EXPECT_EQ(encoded("varint", ""), bytes({0}));
  EXPECT_EQ(encoded("varint", std::string(127, 'x')), bytes({0x7f}) + std::string(127, 'x'));
  EXPECT_EQ(encoded("varint", std::string(128, 'x')), bytes({0x80, 0x01}) + std::string(128, 'x'));
  EXPECT_EQ(encoded("varint", std::string(300, 'x')), bytes({0xac, 0x02}) + std::string(300, 'x'));
}

TEST(FrameEncoder, EndsALineWithLfOrCrlf) {
  EXPECT_EQ(encoded("line", "hi"), "hi\n");
  EXPECT_EQ(encoded("line,crlf", "hi"), "hi\r\n");
  EXPECT_EQ(encoded("line", "hi\r"), "hi\r\r\n") << "the decoder would drop a lone trailing CR";
}

TEST(FrameEncoder, EndsADelimitedFrameWithTheFirstDelimiter) {
  EXPECT_EQ(encoded("delim:\\r\\n|\\n", "hi"), "hi\r\n");
  EXPECT_EQ(encoded("delim:\\n|\\r\\n", "hi"), "hi\n");
  EXPECT_EQ(encoded("delim:;,keep", "hi;"), "hi;") << "under keep the payload brings its own";
}

TEST(FrameEncoder, WritesAFixedSizePayloadAsItIs) {
  EXPECT_EQ(encoded("fixed:2", "hi"), "hi");
}

TEST(FrameEncoder, AppendsToWhatTheOutputAlreadyHolds) {
  byte_buffer out{'>', '>'};
  ASSERT_FALSE(encode_frame(spec_of("line"), as_bytes("hi"), out));
  ASSERT_FALSE(encode_frame(spec_of("line"), as_bytes("yo"), out));
  EXPECT_EQ(as_text(out), ">>hi\nyo\n");
}

// --- Refusals ----------------------------------------------------------------

TEST(FrameEncoder, RefusesAPayloadAboveMax) {
  EXPECT_EQ(refusal("line,max=4", "hello"), error::payload_too_long);
  EXPECT_FALSE(refusal("line,max=4", "hell"));
  EXPECT_EQ(refusal("delim:;,max=4", "hello"), error::payload_too_long);
  EXPECT_EQ(refusal("delim:;,keep,max=4", "hello;"), error::payload_too_long);
  EXPECT_FALSE(refusal("delim:;,keep,max=4", "hell;"));
  // max-of=frame counts the header: 4 + 7 > 10.
  EXPECT_EQ(refusal("len:u32be,max=10", "1234567"), error::payload_too_long);
  EXPECT_FALSE(refusal("len:u32be,max=10", "123456"));
  EXPECT_EQ(refusal("len:u16be,offset=2,max=10", "1234567"), error::payload_too_long);
  EXPECT_FALSE(refusal("len:u16be,offset=2,max=10", "123456"));
  // max-of=field counts the value written.
  EXPECT_EQ(refusal("len:u32be,max=10,max-of=field", "0123456789a"), error::payload_too_long);
  EXPECT_EQ(refusal("len:u16be,adjust=-2,max=10,max-of=field", "123456789"),
            error::payload_too_long);
  EXPECT_FALSE(refusal("len:u16be,adjust=-2,max=10,max-of=field", "12345678"));
  EXPECT_EQ(refusal("varint,max=4", "abcd"), error::payload_too_long);
  EXPECT_FALSE(refusal("varint,max=4", "abc"));
  EXPECT_EQ(refusal("line,max=4", "hello"), condition::limit_exceeded);
}

TEST(FrameEncoder, RefusesALengthTheFieldCannotHold) {
  EXPECT_EQ(refusal("len:u8", std::string(256, 'x')), error::length_not_representable);
  EXPECT_EQ(refusal("len:i8", std::string(128, 'x')), error::length_not_representable);
  EXPECT_EQ(refusal("len:u16le", std::string(65536, 'x')), error::length_not_representable);
  EXPECT_FALSE(refusal("len:u16le", std::string(65535, 'x')));
  EXPECT_EQ(refusal("len:i16be", std::string(32768, 'x')), error::length_not_representable);
  EXPECT_FALSE(refusal("len:i16be", std::string(32767, 'x')));
  EXPECT_EQ(refusal("len:u8,adjust=-10", std::string(250, 'x')), error::length_not_representable);
  // A payload shorter than a positive adjustment needs a negative length.
  EXPECT_EQ(refusal("len:u8,adjust=5", "abc"), error::length_not_representable);
  EXPECT_EQ(refusal("varint,adjust=1", ""), error::length_not_representable);
  EXPECT_EQ(refusal("len:u8", std::string(256, 'x')), condition::limit_exceeded);
}

TEST(FrameEncoder, RefusesAPayloadThatContainsADelimiter) {
  EXPECT_EQ(refusal("line", "a\nb"), error::payload_has_delimiter);
  EXPECT_EQ(refusal("line", "\n"), error::payload_has_delimiter);
  EXPECT_EQ(refusal("line,crlf", "a\r\nb"), error::payload_has_delimiter);
  EXPECT_EQ(refusal("delim:\\r\\n", "a\r\nb"), error::payload_has_delimiter);
  EXPECT_EQ(refusal("delim:\\r\\n|\\n", "a\nb"), error::payload_has_delimiter)
      << "any delimiter, not only the one written";
  EXPECT_EQ(refusal("delim:END", "xENDy"), error::payload_has_delimiter);
  EXPECT_EQ(refusal("delim:;,keep", "a;b;"), error::payload_has_delimiter);
  EXPECT_EQ(refusal("line", "a\nb"), condition::invalid_argument);
}

TEST(FrameEncoder, RefusesAKeepPayloadThatDoesNotEndWithADelimiter) {
  EXPECT_EQ(refusal("delim:;,keep", "abc"), error::payload_has_delimiter);
  EXPECT_EQ(refusal("delim:;,keep", ""), error::payload_has_delimiter);
}

TEST(FrameEncoder, RefusesAPayloadWhoseEndMakesADelimiterWithTheOneWritten) {
  // "a\r" + "\n" is "a\r\n": the decoder would end the frame at "\r\n" and
  // hand out "a". Nothing in the payload is too long; its end is the problem.
  EXPECT_EQ(refusal("delim:\\n|\\r\\n", "a\r"), error::payload_has_delimiter);
  // "xa" + "aa" is "xaaa": the frame would end at the first "aa", giving "x".
  EXPECT_EQ(refusal("delim:aa", "xa"), error::payload_has_delimiter);
}

TEST(FrameEncoder, MeasuresAKeepPayloadAgainstMaxWithoutTheDelimiterItEndsWith) {
  // The decoder hands out "abc\r\n" under max=3: it ends at "\r\n" after 3 bytes.
  expect_round_trip(spec_of("delim:\\n|\\r\\n,keep,max=3"), "abc\r\n");
  expect_round_trip(spec_of("delim:\\r\\n|\\n,keep,max=3"), "abc\n");
  // The decoder refuses "abcd\n" under max=3 as too long, whichever delimiter is first.
  EXPECT_EQ(refusal("delim:\\r\\n|\\n,keep,max=3", "abcd\n"), error::payload_too_long);
  EXPECT_EQ(refusal("delim:\\n|\\r\\n,keep,max=3", "abcd\n"), error::payload_too_long);
}

TEST(FrameEncoder, RefusesAFixedPayloadOfAnotherSize) {
  EXPECT_EQ(refusal("fixed:4", "abc"), error::payload_wrong_size);
  EXPECT_EQ(refusal("fixed:4", "abcde"), error::payload_wrong_size);
  EXPECT_EQ(refusal("fixed:4", ""), error::payload_wrong_size);
  EXPECT_FALSE(refusal("fixed:4", "abcd"));
}

TEST(FrameEncoder, RefusesSpecsThatCannotEncode) {
  // Only raw framing has no boundaries to write.
  EXPECT_EQ(check_encodable(spec_of("raw")), error::spec_not_encodable);
  EXPECT_EQ(refusal("raw", "x"), error::spec_not_encodable);
  EXPECT_EQ(refusal("raw", "x"), condition::invalid_argument);
  // Every other spec encodes, whatever its strip: the payload is the body
  // after the whole header, which the encoder writes.
  for (const char* spec :
       {"line", "line,crlf", "delim:;", "delim:;,keep", "fixed:3", "varint", "len:u32be",
        "len:u16be,strip=2", "len:u16be,offset=1,strip=3", "len:u16be,strip=0", "len:u16be,strip=1",
        "len:u8,strip=3", "len:u24be,offset=2,strip=0", "varint,strip=0"}) {
    SCOPED_TRACE(spec);
    EXPECT_FALSE(check_encodable(spec_of(spec)));
  }
}

TEST(FrameEncoder, LeavesTheOutputAsItWasWhenItRefuses) {
  const std::pair<const char*, std::string> cases[] = {
      {"line,max=4", "hello"},
      {"line", "a\nb"},
      {"delim:;,max=2", "abc"},
      {"delim:;", "a;b"},
      {"delim:;,keep", "abc"},
      {"delim:\\n|\\r\\n", "a\r"},
      {"delim:aa", "xa"},
      {"fixed:4", "abcde"},
      {"len:u8", std::string(256, 'x')},
      {"len:u32be,max=10", "1234567"},
      {"len:u8,adjust=5", "abc"},
      {"varint,max=4", "abcd"},
      {"raw", "x"},
      {"len:u8,field=t:u8", std::string(256, 'x')},
  };
  for (const auto& [spec, payload] : cases) {
    SCOPED_TRACE(spec);
    byte_buffer out{'k', 'e', 'e', 'p'};
    EXPECT_TRUE(encode_frame(spec_of(spec), as_bytes(payload), out));
    EXPECT_EQ(as_text(out), "keep");
  }
}

// Encode-or-refuse over many generated payloads: whatever is written decodes
// to exactly the payload; whatever is refused leaves the output untouched.
TEST(FrameEncoder, EitherRoundTripsOrRefusesWithoutWriting) {
  std::uint32_t state = 12345; // a fixed-seed LCG: the same payloads every run
  const auto next = [&] {
    state = state * 1103515245u + 12345u;
    return state >> 16;
  };
  const std::string alphabet = std::string("aXY;\r\n") + '\0';
  for (const char* text : {"line", "line,crlf", "line,max=6", "delim:\\r\\n", "delim:\\n|\\r\\n",
                           "delim:XY|;", "delim:aXa", "delim:\\r\\n|\\n,keep", "delim:;,max=5",
                           "fixed:3", "varint", "varint,adjust=-2,offset=1", "len:u8,max=8",
                           "len:i8,adjust=2", "len:u16le,max=6,max-of=field"}) {
    SCOPED_TRACE(text);
    const framing_spec spec = spec_of(text);
    int encoded_count = 0;
    for (int i = 0; i < 300; ++i) {
      std::string payload;
      const std::size_t size = next() % 10;
      for (std::size_t k = 0; k < size; ++k)
        payload += alphabet[next() % alphabet.size()];
      byte_buffer out{'#'};
      const std::error_code ec = encode_frame(spec, as_bytes(payload), out);
      if (ec) {
        EXPECT_EQ(as_text(out), "#") << "refused with " << ec.message() << " but wrote";
        EXPECT_FALSE(explain_refusal(spec, as_bytes(payload), ec).empty());
        continue;
      }
      ++encoded_count;
      const byte_view wire = byte_view(out).subspan(1);
      const decode_log log = decode_in_pieces(spec, wire, {});
      EXPECT_FALSE(log.error) << to_string(log.error);
      EXPECT_EQ(payloads(log), strings{payload}) << "wire \"" << to_string(log) << "\"";
      EXPECT_EQ(decode_bytewise(spec, wire), log);
    }
    EXPECT_GT(encoded_count, 0);
  }
}

TEST(FrameEncoder, ExplainsARefusalInOneLine) {
  const framing_spec line = spec_of("line,max=4");
  const std::string too_long =
      explain_refusal(line, as_bytes("hello"), make_error_code(error::payload_too_long));
  EXPECT_NE(too_long.find("5-byte payload"), std::string::npos) << too_long;
  EXPECT_NE(too_long.find("max=4"), std::string::npos) << too_long;
  const std::string fixed = explain_refusal(spec_of("fixed:4"), as_bytes("abc"),
                                            make_error_code(error::payload_wrong_size));
  EXPECT_NE(fixed.find("4 bytes"), std::string::npos) << fixed;
  const std::string field = explain_refusal(spec_of("len:u8"), as_bytes(std::string(256, 'x')),
                                            make_error_code(error::length_not_representable));
  EXPECT_NE(field.find("len:u8"), std::string::npos) << field;
  const std::string raw =
      explain_refusal(spec_of("raw"), as_bytes("x"), make_error_code(error::spec_not_encodable));
  EXPECT_NE(raw.find("raw"), std::string::npos) << raw;
  const std::string header = explain_refusal(spec_of("len:u8,field=t:u8"), as_bytes("x"),
                                             make_error_code(error::field_not_representable));
  EXPECT_NE(header.find("field"), std::string::npos) << header;
  for (const auto& s : {too_long, fixed, field, raw, header})
    EXPECT_EQ(s.find('\n'), std::string::npos);
}

} // namespace
} // namespace tcpcheck
