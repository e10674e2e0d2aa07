// Tests for boundary_frames.hpp: which frames each kind of spec gets, what
// they decode to, and that breaks_spec is the decoder's own verdict.
#include "tcpcheck/boundary_frames.hpp"

#include "tcpcheck/bytes.hpp"
#include "tcpcheck/decode_log.hpp"
#include "tcpcheck/frame_encoder.hpp"
#include "tcpcheck/framing_spec.hpp"

#include <algorithm>
#include <cstddef>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace tcpcheck {
namespace {

using test::spec_of;

std::vector<std::string> names_of(const std::vector<boundary_frame>& frames) {
  std::vector<std::string> out;
  for (const auto& f : frames)
    out.push_back(f.name);
  return out;
}

const boundary_frame* find_frame(const std::vector<boundary_frame>& frames, std::string_view name) {
  for (const auto& f : frames)
    if (f.name == name) return &f;
  return nullptr;
}

const boundary_frame& frame_named(const std::vector<boundary_frame>& frames,
                                  std::string_view name) {
  if (const auto* f = find_frame(frames, name)) return *f;
  throw std::invalid_argument("no boundary frame '" + std::string(name) + "'");
}

// How tcpcheck's decoder takes `wire` alone, the stream left open.
decode_log decoded(const framing_spec& spec, const byte_buffer& wire) {
  return decode_in_pieces(spec, wire, {}, /*finish=*/false);
}

bool refused(const decode_log& log) {
  return static_cast<bool>(log.error.code) || log.frames.empty();
}

// Whether the encoder writes a frame of `size` payload bytes.
bool encodes(const framing_spec& spec, std::size_t size) {
  byte_buffer wire;
  return !encode_frame(spec, byte_buffer(size, 'x'), wire);
}

// Specs of every kind that has boundary frames, and some options.
const std::vector<std::string_view> specs_with_frames = {
    "len:u32be,max=100",
    "len:i16le,max=1000",
    "len:u8",
    "len:u16be,offset=2,adjust=-4,max=1000",
    "len:u16be,offset=2,adjust=-4,strip=0,max=1000",
    "len:u32le,max=100,max-of=field",
    "varint,max=100",
    "line,max=64",
    "line,crlf,max=64",
    "line",
    "delim:\\r\\n|\\0,max=50",
    "fixed:8",
};

// ---------------------------------------------------------------------------
// Length-prefixed frames

TEST(BoundaryFrames, AnUnsignedLengthSpecGetsItsFramesInAFixedOrder) {
  const auto frames = boundary_frames(spec_of("len:u32be,max=100"));
  EXPECT_EQ(names_of(frames), (std::vector<std::string>{"empty-frame", "largest-frame", "one-over",
                                                        "length-zero", "length-max"}));
  EXPECT_EQ(find_frame(frames, "length-negative"), nullptr) << "an unsigned field has no -1";
  EXPECT_EQ(find_frame(frames, "varint-overlong"), nullptr);
}

TEST(BoundaryFrames, TheEmptyFrameDecodesToAnEmptyPayload) {
  const auto spec = spec_of("len:u32be,max=100");
  const auto frames = boundary_frames(spec);
  const auto& f = frame_named(frames, "empty-frame");
  EXPECT_EQ(f.wire, (byte_buffer{0, 0, 0, 0}));
  EXPECT_FALSE(f.breaks_spec);
  const auto log = decoded(spec, f.wire);
  ASSERT_EQ(log.frames.size(), 1u) << to_string(log);
  EXPECT_TRUE(log.frames[0].payload.empty());
}

TEST(BoundaryFrames, TheLargestFrameIsTheLargestTheSpecAllows) {
  const auto spec = spec_of("len:u32be,max=100");
  const auto frames = boundary_frames(spec);
  const auto& largest = frame_named(frames, "largest-frame");
  EXPECT_FALSE(largest.breaks_spec);

  const auto log = decoded(spec, largest.wire);
  ASSERT_FALSE(log.error) << to_string(log);
  ASSERT_EQ(log.frames.size(), 1u) << to_string(log);
  const std::size_t size = log.frames[0].payload.size();
  EXPECT_EQ(log.frames[0].wire_size, largest.wire.size());
  // max=100 limits the whole frame, its 4-byte header included.
  EXPECT_EQ(size, 100u - 4u);
  EXPECT_TRUE(encodes(spec, size));
  EXPECT_FALSE(encodes(spec, size + 1));
}

TEST(BoundaryFrames, ANarrowFieldLimitsTheLargestFrameAndHasNoOneOver) {
  // Under the default max (8 MiB), a u16 field is what limits the frame:
  // the largest frame holds 65535 bytes, and one more cannot be written.
  const auto spec = spec_of("len:u16be");
  const auto frames = boundary_frames(spec);
  const auto& largest = frame_named(frames, "largest-frame");
  EXPECT_FALSE(largest.breaks_spec);
  EXPECT_EQ(largest.wire.size(), 2u + 65535u);
  const auto names = names_of(frames);
  EXPECT_EQ(std::count(names.begin(), names.end(), "one-over"), 0) << testing::PrintToString(names);
  // The field's largest value, 65535, is a valid frame with nothing after
  // it yet: the server is left waiting, which breaks the spec.
  EXPECT_TRUE(frame_named(frames, "length-max").breaks_spec);
}

TEST(BoundaryFrames, OneOverIsOneByteLongerAndTheDecoderRefusesIt) {
  const auto spec = spec_of("len:u32be,max=100");
  const auto frames = boundary_frames(spec);
  const auto& largest = frame_named(frames, "largest-frame");
  const auto& over = frame_named(frames, "one-over");
  EXPECT_TRUE(over.breaks_spec);
  EXPECT_EQ(over.wire.size(), largest.wire.size() + 1);

  const auto log = decoded(spec, over.wire);
  EXPECT_TRUE(log.error) << to_string(log);
  EXPECT_TRUE(log.frames.empty()) << to_string(log);
  // The length field says so: it promises one byte more than the largest frame's.
  EXPECT_EQ(over.wire[3], largest.wire[3] + 1);
}

TEST(BoundaryFrames, LengthZeroIsValidAndLengthMaxIsNot) {
  const auto spec = spec_of("len:u32be,max=100");
  const auto frames = boundary_frames(spec);
  const auto& zero = frame_named(frames, "length-zero");
  EXPECT_EQ(zero.wire, (byte_buffer{0, 0, 0, 0}));
  EXPECT_FALSE(zero.breaks_spec);

  const auto& most = frame_named(frames, "length-max");
  EXPECT_EQ(most.wire, (byte_buffer{0xff, 0xff, 0xff, 0xff}));
  EXPECT_TRUE(most.breaks_spec);
  EXPECT_TRUE(decoded(spec, most.wire).error);
}

TEST(BoundaryFrames, ASignedLengthSpecGetsANegativeLength) {
  const auto spec = spec_of("len:i16le,max=1000");
  const auto frames = boundary_frames(spec);
  const auto& negative = frame_named(frames, "length-negative");
  EXPECT_EQ(negative.wire, (byte_buffer{0xff, 0xff}));
  EXPECT_TRUE(negative.breaks_spec);
  EXPECT_TRUE(decoded(spec, negative.wire).error);

  const auto& most = frame_named(frames, "length-max");
  EXPECT_EQ(most.wire, (byte_buffer{0xff, 0x7f})) << "i16's largest value, little-endian";
}

TEST(BoundaryFrames, AVarintSpecGetsAnOverlongVarint) {
  const auto spec = spec_of("varint,max=100");
  const auto frames = boundary_frames(spec);
  const auto& overlong = frame_named(frames, "varint-overlong");
  EXPECT_TRUE(overlong.breaks_spec);
  EXPECT_GT(overlong.wire.size(), 10u) << "longer than any 64-bit LEB128";
  EXPECT_TRUE(decoded(spec, overlong.wire).error);
  EXPECT_EQ(find_frame(frames, "length-negative"), nullptr);

  const auto& largest = frame_named(frames, "largest-frame");
  const auto log = decoded(spec, largest.wire);
  ASSERT_EQ(log.frames.size(), 1u) << to_string(log);
  EXPECT_EQ(log.frames[0].wire_size, 100u);
}

TEST(BoundaryFrames, HeaderOffsetsAndAdjustmentsAreRespected) {
  const auto spec = spec_of("len:u16be,offset=2,adjust=-4,max=1000");
  const auto frames = boundary_frames(spec);
  const auto& largest = frame_named(frames, "largest-frame");
  EXPECT_FALSE(largest.breaks_spec);
  EXPECT_EQ(largest.wire.size(), 1000u) << "max limits the whole frame";
  const auto log = decoded(spec, largest.wire);
  ASSERT_EQ(log.frames.size(), 1u) << to_string(log);
  EXPECT_EQ(log.frames[0].wire_size, 1000u);
  EXPECT_TRUE(frame_named(frames, "one-over").breaks_spec);
}

// ---------------------------------------------------------------------------
// Delimited frames

TEST(BoundaryFrames, ALineSpecGetsALongLineThatBreaksIt) {
  const auto spec = spec_of("line,max=64");
  const auto frames = boundary_frames(spec);
  EXPECT_EQ(names_of(frames), (std::vector<std::string>{"empty-frame", "largest-frame", "one-over",
                                                        "long-line", "not-utf8"}));
  const auto& long_line = frame_named(frames, "long-line");
  EXPECT_TRUE(long_line.breaks_spec);
  EXPECT_GT(long_line.wire.size(), 64u);
  EXPECT_EQ(long_line.wire.back(), '\n');
  EXPECT_TRUE(decoded(spec, long_line.wire).error);
}

TEST(BoundaryFrames, ALineOfSixtyFourIsTheLargestUnderMax64) {
  const auto spec = spec_of("line,max=64");
  const auto frames = boundary_frames(spec);
  const auto log = decoded(spec, frame_named(frames, "largest-frame").wire);
  ASSERT_EQ(log.frames.size(), 1u) << to_string(log);
  EXPECT_EQ(log.frames[0].payload.size(), 64u) << "max limits the line without its LF";
  EXPECT_TRUE(frame_named(frames, "one-over").breaks_spec);
  EXPECT_TRUE(decoded(spec, frame_named(frames, "one-over").wire).error);
}

TEST(BoundaryFrames, TextThatIsNotUtf8IsStillOneValidLine) {
  const auto spec = spec_of("line,max=64");
  const auto frames = boundary_frames(spec);
  const auto& f = frame_named(frames, "not-utf8");
  EXPECT_FALSE(f.breaks_spec);
  const auto log = decoded(spec, f.wire);
  ASSERT_EQ(log.frames.size(), 1u) << to_string(log);
  EXPECT_FALSE(log.error);
  const byte_buffer payload = log.frames[0].payload;
  EXPECT_EQ(payload.size() + 1, f.wire.size()) << "the payload is the line before its LF";
  EXPECT_TRUE(std::any_of(payload.begin(), payload.end(), [](std::uint8_t b) { return b >= 0x80; }))
      << "the frame holds bytes outside ASCII";
}

TEST(BoundaryFrames, ALineSpecWithTheDefaultMaxGetsALongFrameInstead) {
  const auto spec = spec_of("line");
  const auto frames = boundary_frames(spec);
  EXPECT_EQ(find_frame(frames, "largest-frame"), nullptr);
  EXPECT_EQ(find_frame(frames, "one-over"), nullptr);
  EXPECT_EQ(find_frame(frames, "long-line"), nullptr) << "the long frame already is one";

  const auto& f = frame_named(frames, "long-frame");
  EXPECT_FALSE(f.breaks_spec);
  const auto log = decoded(spec, f.wire);
  ASSERT_EQ(log.frames.size(), 1u) << to_string(log);
  EXPECT_EQ(log.frames[0].payload.size(), boundary_limits::largest_payload);
  EXPECT_TRUE(find_frame(frames, "empty-frame"));
  EXPECT_TRUE(find_frame(frames, "not-utf8"));
}

TEST(BoundaryFrames, ACrlfLineSpecEndsItsLongLineWithCrlf) {
  const auto spec = spec_of("line,crlf,max=64");
  const auto frames = boundary_frames(spec);
  const auto& long_line = frame_named(frames, "long-line");
  ASSERT_GE(long_line.wire.size(), 2u);
  EXPECT_EQ(long_line.wire[long_line.wire.size() - 2], '\r');
  EXPECT_EQ(long_line.wire.back(), '\n');
  const auto log = decoded(spec, frame_named(frames, "largest-frame").wire);
  ASSERT_EQ(log.frames.size(), 1u) << to_string(log);
  EXPECT_EQ(log.frames[0].payload.size(), 64u);
}

// ---------------------------------------------------------------------------
// Other kinds, and the invariants of every spec

TEST(BoundaryFrames, ARawSpecHasNone) {
  EXPECT_TRUE(boundary_frames(spec_of("raw")).empty());
}

TEST(BoundaryFrames, AFixedSpecGetsAShortFrameThatNeverCompletes) {
  const auto spec = spec_of("fixed:8");
  const auto frames = boundary_frames(spec);
  const auto& f = frame_named(frames, "short-frame");
  EXPECT_EQ(f.wire.size(), 7u);
  EXPECT_TRUE(f.breaks_spec);
  EXPECT_TRUE(decoded(spec, f.wire).frames.empty());
}

TEST(BoundaryFrames, BreaksSpecIsTheDecodersOwnVerdict) {
  for (const auto text : specs_with_frames) {
    const auto spec = spec_of(text);
    const auto frames = boundary_frames(spec);
    EXPECT_FALSE(frames.empty()) << text;
    for (const auto& f : frames)
      EXPECT_EQ(f.breaks_spec, refused(decoded(spec, f.wire))) << text << ": " << f.name;
  }
}

TEST(BoundaryFrames, NamesAreUniqueAndEveryFrameHasBytesAndADescription) {
  for (const auto text : specs_with_frames) {
    const auto frames = boundary_frames(spec_of(text));
    const auto names = names_of(frames);
    EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), names.size()) << text;
    for (const auto& f : frames) {
      EXPECT_FALSE(f.wire.empty()) << text << ": " << f.name;
      EXPECT_FALSE(f.description.empty()) << text << ": " << f.name;
      EXPECT_LE(f.wire.size(), boundary_limits::largest_payload + 16) << text << ": " << f.name;
    }
  }
}

TEST(BoundaryFrames, TheSameSpecGivesTheSameFrames) {
  for (const auto text : specs_with_frames) {
    const auto a = boundary_frames(spec_of(text));
    const auto b = boundary_frames(spec_of(text));
    ASSERT_EQ(a.size(), b.size()) << text;
    for (std::size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].name, b[i].name) << text;
      EXPECT_EQ(a[i].wire, b[i].wire) << text << ": " << a[i].name;
    }
  }
}

} // namespace
} // namespace tcpcheck
