// Tests for frame_decoder.hpp: every kind and option, the error and eof rules,
// bounded memory, frame views, split invariance, and the framings documented
// by Netty, Tokio and the seed article, written as tcpcheck specs.
#include "tcpcheck/frame_decoder.hpp"

#include "tcpcheck/decode_log.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <initializer_list>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"

// --- Allocation watch --------------------------------------------------------
// The test binary replaces the global operator new so that a test can ask for
// the largest single allocation made while it watched: "a length field that
// claims 4 GiB reserves nothing" is then something a test can check.
namespace {
std::atomic<bool> watching{false};
std::atomic<std::size_t> largest_request{0};

void* allocate(std::size_t size) {
  if (watching.load(std::memory_order_relaxed)) {
    std::size_t seen = largest_request.load(std::memory_order_relaxed);
    while (size > seen && !largest_request.compare_exchange_weak(seen, size)) {
    }
  }
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
} // namespace

// The replacements below pair malloc with free by design; GCC at -O1 and above
// sees the default new's pairing instead and warns (-Wmismatched-new-delete).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

void* operator new(std::size_t size) {
  return allocate(size);
}
void* operator new[](std::size_t size) {
  return allocate(size);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return allocate(size);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
  return operator new(size, tag);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}

namespace tcpcheck {
namespace {

using test::grind;
using test::payloads;
using test::spec_of;
using strings = std::vector<std::string>;

// Records the largest allocation requested while it lives.
class allocation_watch {
public:
  allocation_watch() {
    largest_request = 0;
    watching = true;
  }
  ~allocation_watch() { watching = false; }
  allocation_watch(const allocation_watch&) = delete;
  allocation_watch& operator=(const allocation_watch&) = delete;
  std::size_t largest() const { return largest_request.load(); }
};

// Bytes from numbers, so headers never run into the text after them the way
// "\x01a" (one byte, 0x1a) does.
std::string bytes(std::initializer_list<unsigned> values) {
  std::string out;
  for (const unsigned v : values)
    out.push_back(static_cast<char>(v));
  return out;
}

// A fixed-width length field holding `value`.
std::string field(unsigned width, byte_order order, std::uint64_t value) {
  std::string out;
  for (unsigned i = 0; i < width; ++i) {
    const unsigned shift = order == byte_order::big ? 8 * (width - 1 - i) : 8 * i;
    out.push_back(static_cast<char>((value >> shift) & 0xff));
  }
  return out;
}

std::string repeat(const std::string& s, int times) {
  std::string out;
  for (int i = 0; i < times; ++i)
    out += s;
  return out;
}

const auto ignore_frame = [](const frame&) {};

// ============================================================================
// Kinds
// ============================================================================

TEST(FrameDecoder, RawHandsOutTheWholeStreamAsOneFrameAtItsEnd) {
  const decode_log log = grind("raw", "hellohellohello");
  EXPECT_EQ(payloads(log), strings{"hellohellohello"});
  ASSERT_EQ(log.frames.size(), 1u);
  EXPECT_EQ(log.frames[0].offset, 0u);
  EXPECT_EQ(log.frames[0].wire_size, 15u);
  EXPECT_FALSE(log.error);
}

TEST(FrameDecoder, RawHandsOutNothingBeforeTheStreamEnds) {
  const decode_log log = grind("raw", "hello", false);
  EXPECT_TRUE(log.frames.empty());
  EXPECT_FALSE(log.error);
}

TEST(FrameDecoder, RawHandsOutNoFrameForAnEmptyStream) {
  const decode_log log = grind("raw", "");
  EXPECT_TRUE(log.frames.empty());
  EXPECT_FALSE(log.error);
}

TEST(FrameDecoder, RawRejectsAStreamAboveMax) {
  EXPECT_EQ(payloads(grind("raw,max=5", "hello")), strings{"hello"});
  const decode_log log = grind("raw,max=5", "hello!");
  EXPECT_TRUE(log.frames.empty());
  EXPECT_EQ(log.error.code, error::frame_too_long);
  EXPECT_EQ(log.error.offset, 0u);
}

TEST(FrameDecoder, LineSplitsAtLineFeeds) {
  const decode_log log = grind("line", "one\ntwo\n\nthree\n");
  EXPECT_EQ(payloads(log), (strings{"one", "two", "", "three"}));
  ASSERT_EQ(log.frames.size(), 4u);
  EXPECT_EQ(log.frames[2].offset, 8u);
  EXPECT_EQ(log.frames[2].wire_size, 1u);
  EXPECT_EQ(log.frames[3].offset, 9u);
  EXPECT_EQ(log.frames[3].wire_size, 6u);
  EXPECT_FALSE(log.error);
}

TEST(FrameDecoder, LineDropsOneCarriageReturnBeforeTheLineFeed) {
  const decode_log log = grind("line", "a\r\nb\r\r\n\r\nc\rd\n");
  EXPECT_EQ(payloads(log), (strings{"a", "b\r", "", "c\rd"}));
  EXPECT_EQ(log.frames[0].wire_size, 3u);
}

TEST(FrameDecoder, LineAcceptsABareLineFeedUnlessCrlfIsAsked) {
  EXPECT_EQ(payloads(grind("line", "ok\r\nab\n")), (strings{"ok", "ab"}));
}

TEST(FrameDecoder, LineCrlfAcceptsCrlfTerminatedLines) {
  const decode_log log = grind("line,crlf", "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(payloads(log), (strings{"GET / HTTP/1.1", "Host: x", ""}));
  EXPECT_FALSE(log.error);
}

TEST(FrameDecoder, LineCrlfRejectsABareLineFeedAtItsOffset) {
  const decode_log log = grind("line,crlf", "ok\r\nab\ncd\r\n");
  EXPECT_EQ(payloads(log), strings{"ok"});
  EXPECT_EQ(log.error.code, error::bare_line_feed);
  EXPECT_EQ(log.error.code, condition::malformed_input);
  EXPECT_EQ(log.error.offset, 6u);
  EXPECT_EQ(grind("line,crlf", "\n").error.offset, 0u);
}

TEST(FrameDecoder, LineMaxCountsTheLineWithoutItsTerminator) {
  EXPECT_EQ(payloads(grind("line,max=3", "abc\r\nabc\n")), (strings{"abc", "abc"}));
  const decode_log log = grind("line,max=3", "ab\nabcd\n");
  EXPECT_EQ(payloads(log), strings{"ab"});
  EXPECT_EQ(log.error.code, error::frame_too_long);
  EXPECT_EQ(log.error.offset, 3u);
}

TEST(FrameDecoder, DelimSplitsAtTheDelimiter) {
  const decode_log log = grind("delim:\\r\\n", "a\r\nbc\r\n\r\n");
  EXPECT_EQ(payloads(log), (strings{"a", "bc", ""}));
  ASSERT_EQ(log.frames.size(), 3u);
  EXPECT_EQ(log.frames[1].offset, 3u);
  EXPECT_EQ(log.frames[1].wire_size, 4u);
  EXPECT_FALSE(log.error);
}

TEST(FrameDecoder, DelimWithSeveralDelimitersEndsAtTheOneThatStartsFirst) {
  const std::string stream = "a\nb\r\nc" + bytes({0}) + "d\r\r\n";
  EXPECT_EQ(payloads(grind("delim:\\r\\n|\\n|\\0", stream)), (strings{"a", "b", "c", "d\r"}));
  EXPECT_EQ(payloads(grind("delim:\\n|\\0|\\r\\n", stream)), (strings{"a", "b", "c", "d\r"}));
}

TEST(FrameDecoder, DelimPrefersTheLongerOfTwoDelimitersStartingAtTheSameByte) {
  EXPECT_EQ(payloads(grind("delim:X|XY,eof=emit", "aXYbXc")), (strings{"a", "b", "c"}));
  EXPECT_EQ(payloads(grind("delim:XY|X,eof=emit", "aXYbXc")), (strings{"a", "b", "c"}));
  const decode_log log = grind("delim:X|XY|XYZ", "aXbXYcXYZd");
  EXPECT_EQ(payloads(log), (strings{"a", "b", "c"}));
  ASSERT_EQ(log.frames.size(), 3u);
  EXPECT_EQ(log.frames[2].wire_size, 4u);
}

TEST(FrameDecoder, DelimWaitsForALongerDelimiterBeforeEndingAFrame) {
  frame_decoder decoder(spec_of("delim:X|XY"));
  strings got;
  const auto on_frame = [&](const frame& f) { got.emplace_back(as_text(f.payload)); };
  std::error_code ec;
  decoder.consume(as_bytes("aX"), on_frame, ec);
  EXPECT_TRUE(got.empty()) << "'X' may still become 'XY'";
  decoder.consume(as_bytes("Yb"), on_frame, ec);
  EXPECT_EQ(got, strings{"a"});
  EXPECT_FALSE(ec);
  // At the end of the stream a complete shorter delimiter ends the frame.
  EXPECT_EQ(payloads(grind("delim:X|XY", "aX")), strings{"a"});
}

TEST(FrameDecoder, DelimKeepHandsOutFramesWithTheDelimiterThatEndedThem) {
  const decode_log log = grind("delim:\\r\\n|\\n,keep", "a\r\nb\n\n");
  EXPECT_EQ(payloads(log), (strings{"a\r\n", "b\n", "\n"}));
  EXPECT_EQ(log.frames[0].wire_size, 3u);
}

TEST(FrameDecoder, DelimMaxCountsThePayloadWithoutTheDelimiter) {
  EXPECT_EQ(payloads(grind("delim:\\r\\n,max=3", "abc\r\n")), strings{"abc"});
  EXPECT_EQ(payloads(grind("delim:\\r\\n,max=3,keep", "abc\r\n")), strings{"abc\r\n"});
  const decode_log log = grind("delim:\\r\\n,max=3", "abc\r\nabcd\r\n");
  EXPECT_EQ(payloads(log), strings{"abc"});
  EXPECT_EQ(log.error.code, error::frame_too_long);
  EXPECT_EQ(log.error.offset, 5u);
}

TEST(FrameDecoder, FixedCutsFramesOfTheGivenSize) {
  const decode_log log = grind("fixed:3", "abcdefghi");
  EXPECT_EQ(payloads(log), (strings{"abc", "def", "ghi"}));
  EXPECT_EQ(log.frames[2].offset, 6u);
  EXPECT_EQ(log.frames[2].wire_size, 3u);
  EXPECT_FALSE(log.error);
}

TEST(FrameDecoder, VarintReadsOneByteLeb128Lengths) {
  const std::string stream =
      bytes({0x00, 0x01}) + "a" + bytes({0x03}) + "abc" + bytes({0x81, 0x00}) + "x";
  const decode_log log = grind("varint", stream);
  EXPECT_EQ(payloads(log), (strings{"", "a", "abc", "x"}));
  ASSERT_EQ(log.frames.size(), 4u);
  EXPECT_EQ(log.frames[3].offset, 7u);
  EXPECT_EQ(log.frames[3].wire_size, 3u) << "a two-byte varint for 1";
  EXPECT_FALSE(log.error);
}

TEST(FrameDecoder, VarintReadsMultiByteLeb128Lengths) {
  const framing_spec spec = spec_of("varint");
  const std::string stream = bytes({0x7f}) + std::string(127, 'b') + bytes({0x80, 0x01}) +
                             std::string(128, 'c') + bytes({0xac, 0x02}) + std::string(300, 'd');
  const decode_log log = decode_in_pieces(spec, as_bytes(stream), {});
  EXPECT_EQ(payloads(log),
            (strings{std::string(127, 'b'), std::string(128, 'c'), std::string(300, 'd')}));
  ASSERT_EQ(log.frames.size(), 3u);
  EXPECT_EQ(log.frames[2].wire_size, 302u);
  EXPECT_EQ(decode_bytewise(spec, as_bytes(stream)), log);
}

TEST(FrameDecoder, LenReadsEveryFieldWidthAndByteOrder) {
  for (const char* type :
       {"u8", "i8", "u16be", "u16le", "i16be", "i16le", "u24be", "u24le", "u32be", "u32le", "i32be",
        "i32le", "u64be", "u64le", "i64be", "i64le"}) {
    SCOPED_TRACE(type);
    const framing_spec spec = spec_of(std::string("len:") + type);
    const std::string stream = field(spec.field.width, spec.field.order, 3) + "abc" +
                               field(spec.field.width, spec.field.order, 0) +
                               field(spec.field.width, spec.field.order, 1) + "z";
    const decode_log log = grind(spec, stream);
    EXPECT_EQ(payloads(log), (strings{"abc", "", "z"}));
    ASSERT_EQ(log.frames.size(), 3u);
    EXPECT_EQ(log.frames[1].offset, spec.field.width + 3u);
    EXPECT_EQ(log.frames[2].wire_size, spec.field.width + 1u);
    EXPECT_FALSE(log.error);
  }
}

TEST(FrameDecoder, LenReadsTheTopBitOfAnUnsignedFieldAsPartOfTheLength) {
  const framing_spec spec = spec_of("len:u8");
  const std::string stream = bytes({0x80}) + std::string(128, 'x');
  const decode_log log = decode_in_pieces(spec, as_bytes(stream), {});
  EXPECT_EQ(payloads(log), strings{std::string(128, 'x')});
  EXPECT_EQ(decode_bytewise(spec, as_bytes(stream)), log);
}

// ============================================================================
// Options
// ============================================================================

TEST(FrameDecoder, OffsetSkipsHeaderBytesBeforeTheField) {
  const decode_log log =
      grind("len:u16be,offset=3", "HDR" + bytes({0, 2}) + "abHDR" + bytes({0, 0}));
  EXPECT_EQ(payloads(log), (strings{"ab", ""}));
  ASSERT_EQ(log.frames.size(), 2u);
  EXPECT_EQ(log.frames[0].wire_size, 7u);
  EXPECT_EQ(log.frames[1].offset, 7u);
  EXPECT_EQ(log.frames[1].wire_size, 5u);
}

TEST(FrameDecoder, OffsetSkipsBytesBeforeAVarint) {
  const decode_log log = grind("varint,offset=2", "HH" + bytes({0x02}) + "abHH" + bytes({0x00}));
  EXPECT_EQ(payloads(log), (strings{"ab", ""}));
  EXPECT_EQ(log.frames[1].offset, 5u);
}

TEST(FrameDecoder, AdjustIsAddedToTheFieldValue) {
  EXPECT_EQ(payloads(grind("len:u8,adjust=2", bytes({1}) + "abc" + bytes({0}) + "xy")),
            (strings{"abc", "xy"}));
  EXPECT_EQ(payloads(grind("len:u8,adjust=-1", bytes({3}) + "ab" + bytes({1}))),
            (strings{"ab", ""}));
  EXPECT_EQ(payloads(grind("varint,adjust=-1", bytes({3}) + "ab" + bytes({1}))),
            (strings{"ab", ""}));
  EXPECT_EQ(payloads(grind("varint,adjust=1", bytes({1}) + "ab")), strings{"ab"});
}

TEST(FrameDecoder, StripZeroKeepsTheWholeHeader) {
  EXPECT_EQ(payloads(grind("len:u16be,strip=0", bytes({0, 2}) + "ab")),
            strings{bytes({0, 2}) + "ab"});
}

TEST(FrameDecoder, StripInsideTheHeaderKeepsTheRestOfIt) {
  EXPECT_EQ(payloads(grind("len:u16be,strip=1", bytes({0, 2}) + "ab")), strings{bytes({2}) + "ab"});
  EXPECT_EQ(payloads(grind("len:u16be,offset=2,strip=2", "HH" + bytes({0, 1}) + "a")),
            strings{bytes({0, 1}) + "a"});
}

TEST(FrameDecoder, StripBeyondTheHeaderCutsIntoThePayload) {
  const decode_log log = grind("len:u8,strip=3", bytes({3}) + "abc" + bytes({2}) + "xy");
  EXPECT_EQ(payloads(log), (strings{"c", ""}));
  EXPECT_FALSE(log.error);
}

TEST(FrameDecoder, RejectsAFrameShorterThanTheBytesToStrip) {
  const decode_log log = grind("len:u8,strip=3", bytes({3}) + "abc" + bytes({1}) + "a");
  EXPECT_EQ(payloads(log), strings{"c"});
  EXPECT_EQ(log.error.code, error::frame_shorter_than_strip);
  EXPECT_EQ(log.error.code, condition::malformed_input);
  EXPECT_EQ(log.error.offset, 4u);
}

TEST(FrameDecoder, MaxOfFrameLimitsTheWholeFrameBeforeStripping) {
  EXPECT_EQ(payloads(grind("len:u16be,max=5", bytes({0, 3}) + "abc")), strings{"abc"});
  const decode_log log = grind("len:u16be,max=5", bytes({0, 3}) + "abc" + bytes({0, 4}) + "abcd");
  EXPECT_EQ(payloads(log), strings{"abc"});
  EXPECT_EQ(log.error.code, error::frame_too_long);
  EXPECT_EQ(log.error.offset, 5u);
  EXPECT_EQ(grind("varint,max=3", bytes({2}) + "ab").error.code, std::error_code{});
  EXPECT_EQ(grind("varint,max=3", bytes({3}) + "abc").error.code, error::frame_too_long);
}

TEST(FrameDecoder, MaxOfFieldLimitsTheFieldValueBeforeAdjustment) {
  EXPECT_EQ(payloads(grind("len:u16be,max=4,max-of=field", bytes({0, 4}) + "abcd")),
            strings{"abcd"});
  EXPECT_EQ(grind("len:u16be,max=4,max-of=field", bytes({0, 5}) + "abcde").error.code,
            error::frame_too_long);
  // The value counts, not the body: 4 - 2 = 2 bytes pass, 5 - 2 = 3 bytes do not.
  EXPECT_EQ(payloads(grind("len:u16be,adjust=-2,max=4,max-of=field", bytes({0, 4}) + "ab")),
            strings{"ab"});
  EXPECT_EQ(grind("len:u16be,adjust=-2,max=4,max-of=field", bytes({0, 5}) + "abc").error.code,
            error::frame_too_long);
  EXPECT_EQ(payloads(grind("varint,max=3,max-of=field", bytes({3}) + "abc")), strings{"abc"});
  EXPECT_EQ(grind("varint,max=3,max-of=field", bytes({4}) + "abcd").error.code,
            error::frame_too_long);
}

TEST(FrameDecoder, ReportsATooLongFrameAtItsFirstByte) {
  struct too_long_case {
    const char* spec;
    std::string stream;
    std::uint64_t offset;
  };
  const too_long_case cases[] = {
      {"line,max=2", "ok\nabc\n", 3},
      {"line,max=2", "ok\nabcdefgh", 3},
      {"delim:;,max=2", "ok;abc;", 3},
      {"delim:;,max=2", "ok;abcdefgh", 3},
      {"len:u16be,offset=2,max=10", "HH" + bytes({0, 1}) + "aHH" + bytes({0, 20}), 5},
      {"varint,max=4", bytes({1}) + "a" + bytes({0x80, 0x01}), 2},
      {"raw,max=3", "abcd", 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.spec);
    const decode_log log = grind(c.spec, c.stream);
    EXPECT_EQ(log.error.code, error::frame_too_long);
    EXPECT_EQ(log.error.code, condition::limit_exceeded);
    EXPECT_EQ(log.error.offset, c.offset);
    EXPECT_NE(log.error.reason.find("max="), std::string::npos) << log.error.reason;
  }
}

TEST(FrameDecoder, TooLongDiscardSkipsALengthPrefixedFrameCountsItAndGoesOn) {
  const std::string stream = bytes({2}) + "ab" + bytes({5}) + "abcde" + bytes({1}) + "z" +
                             bytes({9}) + "abcdefghi" + bytes({0});
  const decode_log log = grind("len:u8,max=5,too-long=discard", stream);
  EXPECT_EQ(payloads(log), (strings{"ab", "z", ""}));
  EXPECT_EQ(log.discarded, 2u);
  EXPECT_FALSE(log.error);
  ASSERT_EQ(log.frames.size(), 3u);
  EXPECT_EQ(log.frames[1].offset, 9u);
  EXPECT_EQ(log.frames[2].offset, 21u);
}

TEST(FrameDecoder, TooLongDiscardSkipsAVarintFrame) {
  const decode_log log = grind("varint,max=4,too-long=discard",
                               bytes({2}) + "ab" + bytes({5}) + "abcde" + bytes({1}) + "z");
  EXPECT_EQ(payloads(log), (strings{"ab", "z"}));
  EXPECT_EQ(log.discarded, 1u);
  EXPECT_FALSE(log.error);
}

TEST(FrameDecoder, TooLongDiscardSkipsALongLineThroughItsLineFeed) {
  const decode_log log = grind("line,max=3,too-long=discard", "ab\nabcd\nabcdefghij\ncd\r\n");
  EXPECT_EQ(payloads(log), (strings{"ab", "cd"}));
  EXPECT_EQ(log.discarded, 2u);
  EXPECT_FALSE(log.error);
  ASSERT_EQ(log.frames.size(), 2u);
  EXPECT_EQ(log.frames[1].offset, 19u);
}

TEST(FrameDecoder, TooLongDiscardSkipsADelimitedFrameThroughItsDelimiter) {
  const decode_log log =
      grind("delim:\\r\\n,max=3,too-long=discard", "ab\r\nabcd\r\nabcdefghij\r\ncd\r\n");
  EXPECT_EQ(payloads(log), (strings{"ab", "cd"}));
  EXPECT_EQ(log.discarded, 2u);
  EXPECT_FALSE(log.error);
  ASSERT_EQ(log.frames.size(), 2u);
  EXPECT_EQ(log.frames[1].offset, 22u);
}

TEST(FrameDecoder, TooLongDiscardFindsAMultiByteDelimiterThatOverlapsAFalseStart) {
  const decode_log log = grind("delim:XYZ,max=2,too-long=discard", "aXYZabcdXYXYZbXYZ");
  EXPECT_EQ(payloads(log), (strings{"a", "b"}));
  EXPECT_EQ(log.discarded, 1u);
  ASSERT_EQ(log.frames.size(), 2u);
  EXPECT_EQ(log.frames[1].offset, 13u);
}

TEST(FrameDecoder, TooLongDiscardCountsEveryDiscardedFrame) {
  frame_decoder decoder(spec_of("line,max=1,too-long=discard"));
  std::error_code ec;
  decoder.consume(as_bytes("aaa\nbbbbbbbbbb\nc\ndddd\n"), ignore_frame, ec);
  EXPECT_FALSE(ec);
  EXPECT_EQ(decoder.discarded_frames(), 3u);
}

TEST(FrameDecoder, EofErrorReportsTheTruncatedFrameAtItsFirstByte) {
  struct eof_case {
    const char* spec;
    std::string stream;
    strings frames;
    std::uint64_t offset;
  };
  const eof_case cases[] = {
      {"line", "ab\ncd", {"ab"}, 3},
      {"line,crlf", "ab\r\ncd\r", {"ab"}, 4},
      {"delim:;", "a;bc", {"a"}, 2},
      {"fixed:3", "abcdefgh", {"abc", "def"}, 6},
      {"len:u16be", bytes({0, 1}) + "a" + bytes({0, 5}) + "abc", {"a"}, 3},
      {"len:u16be", bytes({0, 1}) + "a" + bytes({0}), {"a"}, 3},
      {"varint", bytes({1}) + "a" + bytes({0x85}), {"a"}, 2},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.spec);
    const decode_log log = grind(c.spec, c.stream);
    EXPECT_EQ(payloads(log), c.frames);
    EXPECT_EQ(log.error.code, error::truncated_frame);
    EXPECT_EQ(log.error.code, condition::malformed_input);
    EXPECT_EQ(log.error.offset, c.offset);
  }
}

TEST(FrameDecoder, EofErrorIsQuietWhenTheStreamEndsBetweenFrames) {
  EXPECT_FALSE(grind("line", "ab\n").error);
  EXPECT_FALSE(grind("fixed:2", "abcd").error);
  EXPECT_FALSE(grind("len:u8", bytes({1}) + "a").error);
  EXPECT_FALSE(grind("line", "").error);
}

TEST(FrameDecoder, EofDropForgetsThePartialFrame) {
  const std::pair<const char*, std::string> cases[] = {
      {"line,eof=drop", "ab\ncd"},
      {"delim:;,eof=drop", "ab;cd"},
      {"fixed:2,eof=drop", "abc"},
      {"len:u16be,eof=drop", bytes({0, 2}) + "ab" + bytes({0, 5}) + "abc"},
      {"varint,eof=drop", bytes({2}) + "ab" + bytes({5}) + "abc"},
  };
  for (const auto& [spec, stream] : cases) {
    SCOPED_TRACE(spec);
    const decode_log log = grind(spec, stream);
    EXPECT_EQ(payloads(log), strings{"ab"});
    EXPECT_FALSE(log.error);
    EXPECT_EQ(log.discarded, 0u);
  }
}

TEST(FrameDecoder, EofEmitHandsOutThePartialFrame) {
  struct emit_case {
    const char* spec;
    std::string stream;
    std::string last;
    std::uint64_t offset;
    std::uint64_t wire_size;
  };
  const emit_case cases[] = {
      {"line,eof=emit", "ab\ncd", "cd", 3, 2},
      {"line,eof=emit", "ab\ncd\r", "cd", 3, 3},
      {"delim:;,eof=emit", "ab;cd", "cd", 3, 2},
      {"fixed:2,eof=emit", "abc", "c", 2, 1},
      {"len:u16be,eof=emit", bytes({0, 2}) + "ab" + bytes({0, 5}) + "abc", "abc", 4, 5},
      {"len:u16be,strip=0,eof=emit", bytes({0, 2}) + "ab" + bytes({0, 5}) + "abc",
       bytes({0, 5}) + "abc", 4, 5},
      {"varint,eof=emit", bytes({2}) + "ab" + bytes({5}) + "abc", "abc", 3, 4},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.spec);
    const decode_log log = grind(c.spec, c.stream);
    EXPECT_FALSE(log.error);
    ASSERT_EQ(log.frames.size(), 2u) << ::testing::PrintToString(log);
    EXPECT_EQ(payloads(log).back(), c.last);
    EXPECT_EQ(log.frames.back().offset, c.offset);
    EXPECT_EQ(log.frames.back().wire_size, c.wire_size);
  }
}

TEST(FrameDecoder, EofEmitHandsOutAPartialHeaderThatStripWouldKeep) {
  // With strip=0 frames keep their header, and a partial frame's body is
  // handed out with it (above); a partial header is kept the same way.
  const decode_log log = grind("len:u16be,strip=0,eof=emit", bytes({0, 2}) + "ab" + bytes({0}));
  EXPECT_FALSE(log.error);
  EXPECT_EQ(payloads(log), (strings{bytes({0, 2}) + "ab", bytes({0})}));
  const decode_log partly = grind("len:u24be,strip=1,eof=emit", bytes({7, 0}));
  EXPECT_EQ(payloads(partly), strings{bytes({0})});
}

TEST(FrameDecoder, EofPolicyDoesNothingWithoutEndOfStream) {
  for (const char* spec : {"line,eof=emit", "line,eof=drop", "line"}) {
    SCOPED_TRACE(spec);
    const decode_log log = grind(spec, "ab\ncd", false);
    EXPECT_EQ(payloads(log), strings{"ab"});
    EXPECT_FALSE(log.error);
  }
}

// ============================================================================
// Malformed streams and the error contract
// ============================================================================

TEST(FrameDecoder, RejectsANegativeLengthInASignedFieldAtTheField) {
  for (const char* type : {"i8", "i16be", "i16le", "i32be", "i32le", "i64be", "i64le"}) {
    SCOPED_TRACE(type);
    const framing_spec spec = spec_of(std::string("len:") + type + ",offset=1");
    const unsigned w = spec.field.width;
    for (const std::uint64_t negative : {~std::uint64_t{0}, std::uint64_t{1} << (8 * w - 1)}) {
      const std::string stream =
          "H" + field(w, spec.field.order, 1) + "a" + "H" + field(w, spec.field.order, negative);
      const decode_log log = grind(spec, stream);
      EXPECT_EQ(payloads(log), strings{"a"});
      EXPECT_EQ(log.error.code, error::negative_length);
      EXPECT_EQ(log.error.offset, w + 3u) << "the field after the second frame's first byte";
      EXPECT_NE(log.error.reason.find("-"), std::string::npos) << log.error.reason;
    }
  }
}

TEST(FrameDecoder, RejectsAFieldValueThatAdjustTakesBelowZero) {
  const decode_log log = grind("len:u8,offset=1,adjust=-2", "H" + bytes({3}) + "aH" + bytes({1}));
  EXPECT_EQ(payloads(log), strings{"a"});
  EXPECT_EQ(log.error.code, error::length_below_header);
  EXPECT_EQ(log.error.code, condition::malformed_input);
  EXPECT_EQ(log.error.offset, 4u);
}

TEST(FrameDecoder, RejectsAVarintLongerThanTenBytes) {
  const std::string nine_ff(9, '\xff');
  const decode_log log = grind("varint", bytes({1}) + "a" + nine_ff + bytes({0x02}));
  EXPECT_EQ(payloads(log), strings{"a"});
  EXPECT_EQ(log.error.code, error::varint_overflow);
  EXPECT_EQ(log.error.code, condition::malformed_input);
  EXPECT_EQ(log.error.offset, 2u);
  EXPECT_EQ(grind("varint", std::string(10, '\x80') + bytes({0})).error.code,
            error::varint_overflow);
  const decode_log at_offset = grind("varint,offset=1", "H" + std::string(11, '\xff'));
  EXPECT_EQ(at_offset.error.code, error::varint_overflow);
  EXPECT_EQ(at_offset.error.offset, 1u);
}

TEST(FrameDecoder, ReadsTheLargestTenByteVarintAsTooLong) {
  const decode_log log = grind("varint", std::string(9, '\xff') + bytes({0x01}));
  EXPECT_EQ(log.error.code, error::frame_too_long);
  EXPECT_EQ(log.error.offset, 0u);
  EXPECT_EQ(grind("varint", std::string(9, '\x80') + bytes({0x01})).error.code,
            error::frame_too_long);
}

TEST(FrameDecoder, ReadsAHugeSixtyFourBitLengthAsTooLong) {
  const decode_log log = grind("len:u64be", std::string(8, '\xff'));
  EXPECT_EQ(log.error.code, error::frame_too_long);
  EXPECT_EQ(log.error.offset, 0u);
  EXPECT_EQ(grind("len:i64le", std::string(7, '\xff') + bytes({0x7f})).error.code,
            error::frame_too_long);
}

TEST(FrameDecoder, GivesEveryErrorAOneLineReason) {
  const std::pair<const char*, std::string> cases[] = {
      {"len:i8", bytes({0xff})},
      {"len:u8,adjust=-2", bytes({1})},
      {"len:u8,strip=3", bytes({1}) + "a"},
      {"varint", std::string(11, '\xff')},
      {"line,crlf", "a\n"},
      {"line", "abc"},
      {"line,max=2", "abc\n"},
      {"line,max=2", "abcdefgh"},
      {"delim:;,max=2", "abc;"},
      {"raw,max=2", "abc"},
      {"len:u32be,max=10", bytes({0, 0, 0, 9})},
      {"len:u32be,max=10,max-of=field", bytes({0, 0, 0, 11})},
  };
  for (const auto& [spec, stream] : cases) {
    SCOPED_TRACE(spec);
    const decode_log log = grind(spec, stream);
    ASSERT_TRUE(log.error);
    EXPECT_FALSE(log.error.reason.empty());
    EXPECT_EQ(log.error.reason.find('\n'), std::string::npos);
  }
}

TEST(FrameDecoder, KeepsItsErrorAndRefusesFurtherInput) {
  frame_decoder decoder(spec_of("len:i8"));
  strings got;
  const auto on_frame = [&](const frame& f) { got.emplace_back(as_text(f.payload)); };
  std::error_code ec;
  const std::string stream = bytes({1}) + "a" + bytes({0xff, 1}) + "b";
  decoder.consume(as_bytes(stream), on_frame, ec);
  EXPECT_EQ(ec, error::negative_length);
  EXPECT_TRUE(decoder.failed());
  EXPECT_EQ(decoder.error().offset, 2u);
  EXPECT_EQ(got, strings{"a"});
  const stream_error first = decoder.error();

  ec.clear();
  const std::string more = bytes({1}) + "c";
  EXPECT_EQ(decoder.consume(as_bytes(more), on_frame, ec), 0u);
  EXPECT_EQ(ec, error::negative_length);
  EXPECT_EQ(decoder.error(), first);

  ec.clear();
  decoder.finish(on_frame, ec);
  EXPECT_EQ(ec, error::negative_length);
  EXPECT_EQ(decoder.error(), first);
  EXPECT_EQ(got, strings{"a"});
}

TEST(FrameDecoder, RefusesInputAfterTheStreamEnded) {
  frame_decoder decoder(spec_of("line"));
  strings got;
  const auto on_frame = [&](const frame& f) { got.emplace_back(as_text(f.payload)); };
  std::error_code ec;
  decoder.consume(as_bytes("a\n"), on_frame, ec);
  decoder.finish(on_frame, ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(decoder.consume(byte_view{}, on_frame, ec), 0u);
  EXPECT_FALSE(ec) << "no bytes is not input";
  EXPECT_EQ(decoder.consume(as_bytes("b\n"), on_frame, ec), 0u);
  EXPECT_EQ(ec, error::decoder_failed);
  EXPECT_EQ(ec, condition::protocol_violation);
  EXPECT_EQ(decoder.error().offset, 2u);
  EXPECT_EQ(got, strings{"a"});
}

TEST(FrameDecoder, ConsumesEveryByteWhileTheStreamFollowsTheSpec) {
  frame_decoder decoder(spec_of("line"));
  std::error_code ec;
  EXPECT_EQ(decoder.consume(as_bytes("a\nbc"), ignore_frame, ec), 4u);
  EXPECT_EQ(decoder.consume(as_bytes("d\ne"), ignore_frame, ec), 3u);
  EXPECT_FALSE(ec);
  EXPECT_EQ(decoder.offset(), 7u);
  EXPECT_EQ(decoder.buffered(), 1u);
}

TEST(FrameDecoder, ResetForgetsTheErrorAndTheStream) {
  frame_decoder decoder(spec_of("len:u8,max=3,too-long=discard"));
  std::error_code ec;
  decoder.consume(as_bytes(bytes({9}) + "abc"), ignore_frame, ec);
  decoder.finish(ignore_frame, ec);
  decoder.consume(as_bytes("x"), ignore_frame, ec);
  ASSERT_TRUE(decoder.failed());
  EXPECT_EQ(decoder.discarded_frames(), 1u);

  decoder.reset();
  EXPECT_FALSE(decoder.failed());
  EXPECT_EQ(decoder.error(), stream_error{});
  EXPECT_EQ(decoder.offset(), 0u);
  EXPECT_EQ(decoder.buffered(), 0u);
  EXPECT_EQ(decoder.discarded_frames(), 0u);
  EXPECT_EQ(decoder.spec(), spec_of("len:u8,max=3,too-long=discard"));

  std::vector<frame> got;
  strings text;
  ec.clear();
  decoder.consume(
      as_bytes(bytes({1}) + "z"),
      [&](const frame& f) {
        got.push_back(f);
        text.emplace_back(as_text(f.payload));
      },
      ec);
  EXPECT_FALSE(ec);
  EXPECT_EQ(text, strings{"z"});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].offset, 0u);
}

// ============================================================================
// Memory: bounded buffering, no allocation on a length's say-so, views
// ============================================================================

TEST(FrameDecoder, RejectsALengthFieldClaimingFourGibibytesWithoutAllocatingForIt) {
  const std::string stream = bytes({0xff, 0xff, 0xff, 0xf0}) + "abc";
  frame_decoder decoder(spec_of("len:u32be"));
  std::error_code ec;
  std::size_t frames = 0;
  std::size_t largest = 0;
  {
    const allocation_watch watch;
    decoder.consume(
        as_bytes(stream), [&](const frame&) { ++frames; }, ec);
    largest = watch.largest();
  }
  EXPECT_EQ(ec, error::frame_too_long);
  EXPECT_EQ(ec, condition::limit_exceeded);
  EXPECT_EQ(decoder.error().offset, 0u);
  EXPECT_EQ(frames, 0u);
  EXPECT_LE(decoder.buffered(), 4u);
  EXPECT_LT(largest, 4096u);
}

TEST(FrameDecoder, RejectsAFourGibibyteHeaderFedByteByByteHoldingOnlyTheHeader) {
  const std::string stream = bytes({0xff, 0xff, 0xff, 0xf0}) + "abc";
  frame_decoder decoder(spec_of("len:u32be"));
  std::error_code ec;
  std::size_t most = 0;
  std::size_t largest = 0;
  {
    const allocation_watch watch;
    for (std::size_t i = 0; i < stream.size() && !ec; ++i) {
      decoder.consume(as_bytes(stream).subspan(i, 1), ignore_frame, ec);
      most = std::max(most, decoder.buffered());
    }
    largest = watch.largest();
  }
  EXPECT_EQ(ec, error::frame_too_long);
  EXPECT_EQ(decoder.error().offset, 0u);
  EXPECT_LE(most, 4u);
  EXPECT_LT(largest, 4096u);
}

TEST(FrameDecoder, GrowsItsBufferOnlyWithTheBytesThatArrived) {
  const std::size_t size = 1u << 20; // below the default 8 MiB max
  frame_decoder decoder(spec_of("len:u32be"));
  std::error_code ec;
  std::vector<std::size_t> sizes;
  const auto on_frame = [&](const frame& f) { sizes.push_back(f.payload.size()); };
  const std::string head = field(4, byte_order::big, size) + "0123456789";
  std::size_t largest = 0;
  {
    const allocation_watch watch;
    decoder.consume(as_bytes(head).first(2), on_frame, ec);
    decoder.consume(as_bytes(head).subspan(2), on_frame, ec);
    largest = watch.largest();
  }
  EXPECT_FALSE(ec);
  EXPECT_EQ(decoder.buffered(), 14u);
  EXPECT_LT(largest, 4096u) << "buffer reserved on the length field's say-so";

  const std::string chunk(64 * 1024, 'x');
  std::size_t left = size - 10;
  while (left > 0 && !ec) {
    const std::size_t n = std::min(left, chunk.size());
    decoder.consume(as_bytes(chunk).first(n), on_frame, ec);
    left -= n;
    EXPECT_LE(decoder.buffered(), size + 4);
  }
  EXPECT_FALSE(ec);
  EXPECT_EQ(sizes, std::vector<std::size_t>{size});
  EXPECT_EQ(decoder.buffered(), 0u);
}

// Doubling would copy nearly the whole frame on its last step (a 1 GiB
// frame held twice); once a quarter of a frame of known size is in, the
// buffer takes the frame's size in one step, and never more.
TEST(FrameDecoder, GivesAFrameOfKnownSizeItsSizeOnceAQuarterHasArrived) {
  const std::size_t size = 400000;
  frame_decoder decoder(spec_of("len:u32be,max=1M"));
  std::error_code ec;
  std::size_t frames = 0;
  const auto on_frame = [&](const frame& f) { frames += f.payload.size() == size; };
  const std::string wire = field(4, byte_order::big, size) + std::string(size, 'q');
  std::size_t largest = 0, largest_early = 0;
  {
    const allocation_watch watch;
    for (std::size_t at = 0; at < wire.size() && !ec; at += 4096) {
      decoder.consume(as_bytes(wire).subspan(at, std::min<std::size_t>(4096, wire.size() - at)),
                      on_frame, ec);
      if (at < size / 8) largest_early = watch.largest();
    }
    largest = watch.largest();
  }
  EXPECT_FALSE(ec);
  EXPECT_EQ(frames, 1u);
  EXPECT_LT(largest_early, size / 2) << "reserved on the length field's say-so";
  EXPECT_EQ(largest, size + 4) << "grown past the frame's size";
}

TEST(FrameDecoder, SkipsADiscardedLengthPrefixedFrameWithoutBufferingIt) {
  frame_decoder decoder(spec_of("len:u32be,max=1K,too-long=discard"));
  std::error_code ec;
  strings got;
  const auto on_frame = [&](const frame& f) { got.emplace_back(as_text(f.payload)); };
  const std::string chunk(4096, 'x');
  std::size_t most = 0;
  decoder.consume(as_bytes(field(4, byte_order::big, 1u << 20)), on_frame, ec);
  for (int i = 0; i < 256; ++i) {
    decoder.consume(as_bytes(chunk), on_frame, ec);
    most = std::max(most, decoder.buffered());
  }
  decoder.consume(as_bytes(field(4, byte_order::big, 2) + "ok"), on_frame, ec);
  EXPECT_FALSE(ec);
  EXPECT_EQ(most, 0u);
  EXPECT_EQ(got, strings{"ok"});
  EXPECT_EQ(decoder.discarded_frames(), 1u);
}

TEST(FrameDecoder, HoldsNoMoreThanMaxOfALongLineFedByteByByte) {
  frame_decoder decoder(spec_of("line,max=100"));
  std::error_code ec;
  std::size_t most = 0;
  std::size_t fed = 0;
  while (fed < 1000 && !ec) {
    decoder.consume(as_bytes("a"), ignore_frame, ec);
    ++fed;
    most = std::max(most, decoder.buffered());
  }
  EXPECT_EQ(ec, error::frame_too_long);
  EXPECT_EQ(decoder.error().offset, 0u);
  EXPECT_LE(most, 100u + 3);
  EXPECT_LE(fed, 100u + 3);
}

TEST(FrameDecoder, DiscardsALongLineFedByteByByteInBoundedMemory) {
  frame_decoder decoder(spec_of("line,max=100,too-long=discard"));
  std::error_code ec;
  strings got;
  const auto on_frame = [&](const frame& f) { got.emplace_back(as_text(f.payload)); };
  std::size_t most = 0;
  std::size_t largest = 0;
  {
    const allocation_watch watch;
    for (int i = 0; i < 10000; ++i) {
      decoder.consume(as_bytes("a"), on_frame, ec);
      most = std::max(most, decoder.buffered());
    }
    largest = watch.largest();
  }
  for (const char c : std::string("\nok\n"))
    decoder.consume(as_bytes(std::string(1, c)), on_frame, ec);
  EXPECT_FALSE(ec);
  EXPECT_LE(most, 100u + 3);
  EXPECT_LT(largest, 1024u);
  EXPECT_EQ(got, strings{"ok"});
  EXPECT_EQ(decoder.discarded_frames(), 1u);
}

TEST(FrameDecoder, DiscardsALongDelimitedFrameFedByteByByteInBoundedMemory) {
  frame_decoder decoder(spec_of("delim:\\r\\n,max=100,too-long=discard"));
  std::error_code ec;
  strings got;
  const auto on_frame = [&](const frame& f) { got.emplace_back(as_text(f.payload)); };
  std::size_t most = 0;
  const std::string stream = std::string(10000, 'a') + "\r\nok\r\n";
  for (std::size_t i = 0; i < stream.size(); ++i) {
    decoder.consume(as_bytes(stream).subspan(i, 1), on_frame, ec);
    most = std::max(most, decoder.buffered());
  }
  EXPECT_FALSE(ec);
  EXPECT_LE(most, 100u + 4);
  EXPECT_EQ(got, strings{"ok"});
  EXPECT_EQ(decoder.discarded_frames(), 1u);
}

TEST(FrameDecoder, HoldsNoMoreThanMaxOfARawStream) {
  frame_decoder decoder(spec_of("raw,max=100"));
  std::error_code ec;
  std::size_t most = 0;
  for (int i = 0; i < 1000 && !ec; ++i) {
    decoder.consume(as_bytes("a"), ignore_frame, ec);
    most = std::max(most, decoder.buffered());
  }
  EXPECT_EQ(ec, error::frame_too_long);
  EXPECT_LE(most, 100u + 3);
}

TEST(FrameDecoder, DoesNotReserveALargeFixedSizeAhead) {
  frame_decoder decoder(spec_of("fixed:1G"));
  std::error_code ec;
  std::size_t largest = 0;
  const std::string piece(100, 'x');
  {
    const allocation_watch watch;
    for (int i = 0; i < 10; ++i)
      decoder.consume(as_bytes(piece), ignore_frame, ec);
    largest = watch.largest();
  }
  EXPECT_FALSE(ec);
  EXPECT_EQ(decoder.buffered(), 1000u);
  EXPECT_LT(largest, 64u * 1024);
}

// True when `inner` lies within `outer`.
bool lies_within(byte_view inner, byte_view outer) {
  const std::less_equal<const std::uint8_t*> le;
  return le(outer.data(), inner.data()) &&
         le(inner.data() + inner.size(), outer.data() + outer.size());
}

TEST(FrameDecoder, HandsOutFramesThatLieInOneInputAsViewsIntoIt) {
  const std::pair<const char*, std::string> cases[] = {
      {"line", "one\ntwo\r\n\n"},
      {"line,crlf", "a\r\nb\r\n"},
      {"delim:\\r\\n|;", "a;b\r\n;"},
      {"delim:;,keep", "a;bb;"},
      {"fixed:2", "abcd"},
      {"varint", bytes({1}) + "a" + bytes({2}) + "bc"},
      {"len:u16le", bytes({1, 0}) + "a" + bytes({2, 0}) + "bc"},
      {"len:u8,strip=0", bytes({1}) + "a"},
      {"len:u16be,offset=1,adjust=-3,strip=3", "H" + bytes({0, 5}) + "Xab"},
  };
  for (const auto& [spec, input] : cases) {
    SCOPED_TRACE(spec);
    frame_decoder decoder(spec_of(spec));
    const byte_view in = as_bytes(input);
    std::size_t frames = 0;
    std::error_code ec;
    decoder.consume(
        in,
        [&](const frame& f) {
          ++frames;
          EXPECT_TRUE(lies_within(f.payload, in)) << "frame at " << f.offset << " was copied";
        },
        ec);
    EXPECT_FALSE(ec);
    EXPECT_GT(frames, 0u);
  }
}

TEST(FrameDecoder, HandsOutFramesAfterAStraddlingOneAsViewsIntoTheNewInput) {
  frame_decoder decoder(spec_of("line"));
  strings got;
  std::vector<bool> inside;
  std::error_code ec;
  const std::string first = "on";
  const std::string second = "e\ntwo\nthree\n";
  const auto on_frame = [&](const frame& f) {
    got.emplace_back(as_text(f.payload));
    inside.push_back(lies_within(f.payload, as_bytes(second)));
  };
  decoder.consume(as_bytes(first), on_frame, ec);
  decoder.consume(as_bytes(second), on_frame, ec);
  EXPECT_EQ(got, (strings{"one", "two", "three"}));
  EXPECT_EQ(inside, (std::vector<bool>{false, true, true}));
}

TEST(FrameDecoder, HandsOutEveryFrameOfAnInputHoldingThousands) {
  std::string input;
  for (int i = 0; i < 1000; ++i)
    input += std::to_string(i) + "\n";
  frame_decoder decoder(spec_of("line"));
  std::vector<frame> frames;
  strings text;
  std::error_code ec;
  const std::size_t consumed = decoder.consume(
      as_bytes(input),
      [&](const frame& f) {
        frames.push_back(f);
        text.emplace_back(as_text(f.payload));
      },
      ec);
  EXPECT_EQ(consumed, input.size());
  ASSERT_EQ(text.size(), 1000u);
  std::uint64_t offset = 0;
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(text[i], std::to_string(i));
    EXPECT_EQ(frames[i].offset, offset);
    offset += frames[i].wire_size;
  }
  EXPECT_EQ(offset, input.size());

  frame_decoder bytes_decoder(spec_of("fixed:1"));
  std::size_t count = 0;
  bytes_decoder.consume(
      as_bytes(std::string(1000, 'z')), [&](const frame&) { ++count; }, ec);
  EXPECT_EQ(count, 1000u);
}

TEST(FrameDecoder, HandsOutManyFramesThatFollowAStraddlingOne) {
  const std::string stream = "abc\n" + repeat("x\n", 200);
  const framing_spec spec = spec_of("line");
  const std::size_t cuts[] = {1};
  const decode_log log = decode_in_pieces(spec, as_bytes(stream), cuts);
  ASSERT_EQ(log.frames.size(), 201u);
  EXPECT_EQ(payloads(log).front(), "abc");
  EXPECT_EQ(log, decode_in_pieces(spec, as_bytes(stream), {}));
}

// ============================================================================
// Split invariance: however the stream is cut, the log is the same
// ============================================================================

struct split_case {
  std::string spec;
  std::string stream;
};

void PrintTo(const split_case& c, std::ostream* os) {
  *os << c.spec;
}

std::vector<split_case> split_cases() {
  const std::string nine_ff(9, '\xff');
  return {
      {"raw", "hello world"},
      {"raw", ""},
      {"raw,max=5", "hello world"},
      {"raw,max=5", "hello"},
      {"line", "a\nbc\r\n\nd\r\r\ne"},
      {"line,eof=emit", "a\nbc\r\n\nd\r\r\ne\r"},
      {"line,eof=drop", "a\nbc\r\n\nd"},
      {"line,crlf", "ab\r\ncd\r\nef\ngh\r\n"},
      {"line,crlf,eof=emit", "ab\r\ncd\r"},
      {"line,max=3", "abc\r\nabcd\n"},
      {"line,max=3", "ab\nabcdefgh\nxy\n"},
      {"line,max=3", "abc\r\nab\r\r\nabc\r\r\n"},
      {"line,max=3", "abcd"},
      {"line,max=3,too-long=discard", "ab\nabcd\nabcdefgh\nxy\r\nabcdefghij"},
      {"line,max=3,too-long=discard,eof=emit", "ab\nabcdefgh\nxy\nabc"},
      {"line,max=3,too-long=discard,eof=emit", "ab\nabcd"},
      {"line,max=3,too-long=discard,crlf", "ab\r\nabcdefgh\nxy\r\nz\n"},
      {"line,max=1", "\r\n\n\r\r\na\r\n"},
      {"delim:\\r\\n", "a\r\nb\r\r\n\r\nc"},
      {"delim:\\r\\n,eof=emit", "a\r\nb\r"},
      {"delim:\\r\\n|\\n|\\0", "a\r\nb\nc" + bytes({0}) + "d\r\r\n\n"},
      {"delim:X|XY|XYZ", "aXbXYcXYZdXYe"},
      {"delim:X|XY|XYZ,eof=emit", "aXbXYcXYZdXY"},
      {"delim:XYZ|Y", "aXYbXYZcYZ"},
      {"delim:aba", "xabababay"},
      {"delim:\\r\\n,keep", "a\r\nb\r\n"},
      {"delim:\\r\\n|\\n,keep,eof=drop", "a\nb\r\nc"},
      {"delim:\\r\\n,max=3", "abc\r\nabcd\r\n"},
      {"delim:\\r\\n,max=3", "abc\r\nab\r\r\n"},
      {"delim:\\r\\n,max=3,too-long=discard", "ab\r\nabcdefgh\r\ncd\r\nabcd\r\nef\r\n"},
      {"delim:XYZ,max=2,too-long=discard", "aXYZabcdXYXYZbXYZ"},
      {"delim:XYZ,max=2,too-long=discard", "abcXYabcXYZXYZ"},
      {"delim:X|XYZ,max=2,too-long=discard", "abcXYZdXeXYabcdefXYQXYZ"},
      {"delim:\\r\\n|\\n,max=3,too-long=discard,eof=emit", "abcd\nab\r\nabcdefg\r"},
      {"delim:abcd|bc,max=4,too-long=discard", "xxxxxabcbcdyabcdzbc"},
      {"delim:;,max=2,too-long=discard,keep", "a;abc;bc;abcdef"},
      {"fixed:3", "abcdefgh"},
      {"fixed:3,eof=emit", "abcdefgh"},
      {"fixed:3,eof=drop", "abcdefgh"},
      {"fixed:1", "abc"},
      {"varint", bytes({0x00, 0x01}) + "a" + bytes({0x03}) + "abc" + bytes({0x81, 0x00}) + "x"},
      {"varint,offset=1,adjust=-1", "H" + bytes({0x03}) + "abH" + bytes({0x01})},
      {"varint,max=4,too-long=discard",
       bytes({2}) + "ab" + bytes({5}) + "abcde" + bytes({1}) + "z"},
      {"varint", nine_ff + bytes({0x02})},
      {"varint", bytes({1}) + "a" + nine_ff + bytes({0x01})},
      {"varint", std::string(10, '\x80') + bytes({0})},
      {"varint,eof=emit", bytes({3}) + "ab"},
      {"varint,eof=emit", bytes({1}) + "a" + bytes({0x85})},
      {"varint,max=3,max-of=field", bytes({3}) + "abc" + bytes({4}) + "abcd"},
      {"len:u8", bytes({0, 1}) + "a" + bytes({2}) + "bc" + bytes({3}) + "de"},
      {"len:u16le,eof=emit", bytes({2, 0}) + "ab" + bytes({3, 0}) + "c"},
      {"len:u24be", bytes({0, 0, 2}) + "ab" + bytes({0, 0})},
      {"len:u24le,eof=drop", bytes({2, 0, 0}) + "ab" + bytes({1, 0, 0})},
      {"len:u32be,max=10", bytes({0, 0, 0, 2}) + "ab" + bytes({0, 0, 0, 7}) + "abcdefg"},
      {"len:u32be,max=10,too-long=discard",
       bytes({0, 0, 0, 2}) + "ab" + bytes({0, 0, 0, 7}) + "abcdefg" + bytes({0, 0, 0, 1}) + "z"},
      {"len:i16be", bytes({0, 1}) + "a" + bytes({0xff, 0xfe})},
      {"len:i32le", bytes({1, 0, 0, 0}) + "a" + bytes({0, 0, 0, 0x80})},
      {"len:u8,adjust=-2", bytes({3}) + "a" + bytes({1})},
      {"len:u8,strip=3", bytes({2}) + "ab" + bytes({3}) + "abc" + bytes({1}) + "a"},
      {"len:u16be,offset=2,adjust=-1,strip=1,eof=emit",
       "HH" + bytes({0, 3}) + "abHH" + bytes({0, 5}) + "xy"},
      {"len:u64le", bytes({1, 0, 0, 0, 0, 0, 0, 0}) + "a" + bytes({2, 0, 0, 0, 0, 0, 0, 0}) + "bc"},
      {"len:u64be", std::string(8, '\xff')},
      {"len:i64be", bytes({0x80, 0, 0, 0, 0, 0, 0, 0})},
      {"len:u8,max=3,too-long=discard", bytes({1}) + "a" + bytes({5}) + "abc"},
      {"len:u8,max=5,max-of=field,too-long=discard",
       bytes({5}) + "abcde" + bytes({6}) + "abcdef" + bytes({0})},
      {"len:u16be,offset=1,adjust=-3,strip=3,max=8,too-long=discard",
       "H" + bytes({0, 5}) + "XaH" + bytes({0, 9}) + "Xabcdef" + "H" + bytes({0, 4}) + "X"},
  };
}

class FrameDecoderSplitInvariance : public ::testing::TestWithParam<split_case> {};

TEST_P(FrameDecoderSplitInvariance, GivesTheSameLogHoweverTheStreamIsCut) {
  const split_case& c = GetParam();
  const decode_log finished = grind(c.spec, c.stream, true);
  const decode_log open = grind(c.spec, c.stream, false);
  // Ending the stream only adds: frames before the end are the same.
  ASSERT_LE(open.frames.size(), finished.frames.size());
  EXPECT_TRUE(std::equal(open.frames.begin(), open.frames.end(), finished.frames.begin()));
  std::uint64_t end = 0;
  for (const auto& f : finished.frames) {
    EXPECT_GE(f.offset, end) << "frames overlap";
    end = f.offset + f.wire_size;
  }
  EXPECT_LE(end, c.stream.size());
}

INSTANTIATE_TEST_SUITE_P(EveryKindAndPolicy, FrameDecoderSplitInvariance,
                         ::testing::ValuesIn(split_cases()),
                         [](const ::testing::TestParamInfo<split_case>& param) {
                           // "Case7_line_crlf": the index keeps names unique.
                           std::string name = "Case" + std::to_string(param.index) + "_";
                           for (const char c : param.param.spec)
                             name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return name;
                         });

// ============================================================================
// Documented framings from Netty, Tokio and the seed article, as specs
// ============================================================================

struct conformance_case {
  std::string name;
  std::string spec;
  std::string message; // one message on the wire; the test sends it twice
  std::string payload;
};

void PrintTo(const conformance_case& c, std::ostream* os) {
  *os << c.name << " (" << c.spec << ")";
}

class FrameDecoderConformance : public ::testing::TestWithParam<conformance_case> {};

TEST_P(FrameDecoderConformance, DecodesTheDocumentedExample) {
  const conformance_case& c = GetParam();
  const decode_log log = grind(c.spec, c.message + c.message);
  EXPECT_FALSE(log.error) << to_string(log.error);
  EXPECT_EQ(log.discarded, 0u);
  EXPECT_EQ(payloads(log), (strings{c.payload, c.payload}));
  ASSERT_EQ(log.frames.size(), 2u);
  EXPECT_EQ(log.frames[0].wire_size, c.message.size());
  EXPECT_EQ(log.frames[1].offset, c.message.size());
}

const std::string netty_content = "HELLO, WORLD"; // 12 bytes, as in the javadoc

// io.netty.handler.codec.LengthFieldBasedFrameDecoder's javadoc examples. The
// javadoc's lengthFieldOffset, lengthFieldLength, lengthAdjustment and
// initialBytesToStrip are offset, the field type, adjust and strip.
INSTANTIATE_TEST_SUITE_P(
    Netty, FrameDecoderConformance,
    ::testing::Values(
        // offset 0, length 2, adjustment 0, strip 0
        conformance_case{"TwoByteLengthNotStripped", "len:u16be,strip=0",
                         bytes({0x00, 0x0c}) + netty_content, bytes({0x00, 0x0c}) + netty_content},
        // offset 0, length 2, adjustment 0, strip 2
        conformance_case{"TwoByteLengthStripped", "len:u16be,strip=2",
                         bytes({0x00, 0x0c}) + netty_content, netty_content},
        // offset 0, length 2, adjustment -2, strip 0: the length counts the whole message
        conformance_case{"LengthCountingTheWholeMessage", "len:u16be,adjust=-2,strip=0",
                         bytes({0x00, 0x0e}) + netty_content, bytes({0x00, 0x0e}) + netty_content},
        // offset 2, length 3, adjustment 0, strip 0: HDR1 LENGTH CONTENT
        conformance_case{"ThreeByteLengthAfterATwoByteHeader", "len:u24be,offset=2,strip=0",
                         bytes({0xca, 0xfe, 0x00, 0x00, 0x0c}) + netty_content,
                         bytes({0xca, 0xfe, 0x00, 0x00, 0x0c}) + netty_content},
        // offset 0, length 3, adjustment 2, strip 0: LENGTH HDR1 CONTENT
        conformance_case{"ThreeByteLengthBeforeATwoByteHeader", "len:u24be,adjust=2,strip=0",
                         bytes({0x00, 0x00, 0x0c, 0xca, 0xfe}) + netty_content,
                         bytes({0x00, 0x00, 0x0c, 0xca, 0xfe}) + netty_content},
        // offset 1, length 2, adjustment 1, strip 3: HDR1 LEN HDR2 CONTENT
        conformance_case{"LengthBetweenTwoHeadersStrippingTheFirstAndTheLength",
                         "len:u16be,offset=1,adjust=1,strip=3",
                         bytes({0xca, 0x00, 0x0c, 0xfe}) + netty_content,
                         bytes({0xfe}) + netty_content},
        // offset 1, length 2, adjustment -3, strip 3: the length counts the whole message
        conformance_case{
            "WholeMessageLengthBetweenTwoHeaders", "len:u16be,offset=1,adjust=-3,strip=3",
            bytes({0xca, 0x00, 0x10, 0xfe}) + netty_content, bytes({0xfe}) + netty_content}),
    [](const auto& param) { return param.param.name; });

const std::string tokio_payload = "Hello world"; // 11 bytes, as in the docs

// tokio_util::codec::LengthDelimitedCodec's documented examples. Tokio reads
// value + length_adjustment bytes after skipping num_skip bytes, so its
// adjustment becomes tcpcheck's adjust = length_adjustment + num_skip - header.
INSTANTIATE_TEST_SUITE_P(
    Tokio, FrameDecoderConformance,
    ::testing::Values(
        // The defaults: big-endian u32 length, offset 0, num_skip = the header.
        conformance_case{"DefaultBigEndianU32Length", "len:u32be",
                         bytes({0, 0, 0, 0x0b}) + tokio_payload, tokio_payload},
        // length_field_type::<u16>(), length_adjustment(2), num_skip(0)
        conformance_case{"U16LengthKeepingTheHead", "len:u16be,strip=0",
                         bytes({0x00, 0x0b}) + tokio_payload, bytes({0x00, 0x0b}) + tokio_payload},
        // length_field_type::<u16>(), length_adjustment(-2): the length includes the head
        conformance_case{"U16LengthIncludingTheHead", "len:u16be,adjust=-2",
                         bytes({0x00, 0x0d}) + tokio_payload, tokio_payload},
        // length_field_length(3), length_adjustment(3 + 2), num_skip(0): LEN HDR PAYLOAD
        conformance_case{"ThreeByteLengthInAFiveByteHead", "len:u24be,adjust=2,strip=0",
                         bytes({0x00, 0x00, 0x0b, 0xca, 0xfe}) + tokio_payload,
                         bytes({0x00, 0x00, 0x0b, 0xca, 0xfe}) + tokio_payload},
        // length_field_offset(1), u16, length_adjustment(1), num_skip(3): HDR1 LEN HDR2 PAYLOAD
        conformance_case{
            "U16LengthAtOffsetOneOfAFourByteHead", "len:u16be,offset=1,adjust=1,strip=3",
            bytes({0xca, 0x00, 0x0b, 0xfe}) + tokio_payload, bytes({0xfe}) + tokio_payload},
        // length_field_offset(1), u16, length_adjustment(-3), num_skip(3): whole-frame length
        conformance_case{"U16WholeFrameLengthAtOffsetOne", "len:u16be,offset=1,adjust=-3,strip=3",
                         bytes({0xca, 0x00, 0x0f, 0xfe}) + tokio_payload,
                         bytes({0xfe}) + tokio_payload},
        // little_endian()
        conformance_case{"LittleEndianU32Length", "len:u32le",
                         bytes({0x0b, 0, 0, 0}) + tokio_payload, tokio_payload},
        // length_field_type::<u64>()
        conformance_case{"U64Length", "len:u64be",
                         bytes({0, 0, 0, 0, 0, 0, 0, 0x0b}) + tokio_payload, tokio_payload}),
    [](const auto& param) { return param.param.name; });

// The seed article (sticky packets): three sends of "hello" arrive as one read
// "hellohellohello"; a framing that marks boundaries gets them back.
INSTANTIATE_TEST_SUITE_P(
    SeedArticle, FrameDecoderConformance,
    ::testing::Values(conformance_case{"HelloLines", "line", "hello\n", "hello"},
                      // struct.pack('i', len(msg)): a native (little-endian) signed 4-byte length
                      conformance_case{"HelloWithStructPackHeader", "len:i32le",
                                       bytes({5, 0, 0, 0}) + "hello", "hello"},
                      conformance_case{"HelloAsFixedSizeMessages", "fixed:5", "hello", "hello"}),
    [](const auto& param) { return param.param.name; });

TEST(FrameDecoder, SeparatesThreeHellosThatArrivedAsOneRead) {
  EXPECT_EQ(payloads(grind("line", "hello\nhello\nhello\n")), (strings{"hello", "hello", "hello"}));
  const std::string packed = repeat(bytes({5, 0, 0, 0}) + "hello", 3);
  frame_decoder decoder(spec_of("len:i32le"));
  strings got;
  std::error_code ec;
  decoder.consume(
      as_bytes(packed), [&](const frame& f) { got.emplace_back(as_text(f.payload)); }, ec);
  EXPECT_FALSE(ec);
  EXPECT_EQ(got, (strings{"hello", "hello", "hello"}));
  // Without framing the three sends are one message, as the article saw.
  EXPECT_EQ(payloads(grind("raw", "hellohellohello")), strings{"hellohellohello"});
}

TEST(FrameDecoder, ReassemblesAMessageReadFiveBytesAtATime) {
  const std::string wire = bytes({12, 0, 0, 0}) + "hello world!"; // struct.pack('i', 12) + msg
  frame_decoder decoder(spec_of("len:i32le"));
  std::vector<std::pair<std::size_t, std::string>> got; // (read that completed it, payload)
  std::error_code ec;
  std::size_t read = 0;
  for (std::size_t at = 0; at < wire.size(); at += 5, ++read) {
    const byte_view piece = as_bytes(wire).subspan(at, std::min<std::size_t>(5, wire.size() - at));
    decoder.consume(
        piece, [&](const frame& f) { got.emplace_back(read, as_text(f.payload)); }, ec);
    ASSERT_FALSE(ec);
  }
  decoder.finish([&](const frame& f) { got.emplace_back(read, as_text(f.payload)); }, ec);
  EXPECT_FALSE(ec);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].second, "hello world!");
  EXPECT_EQ(got[0].first, 3u) << "the fourth recv(5) completes it";

  const std::size_t cuts[] = {5, 10, 15};
  const decode_log log = decode_in_pieces(spec_of("len:i32le"), as_bytes(wire), cuts);
  ASSERT_EQ(log.frames.size(), 1u);
  EXPECT_EQ(payloads(log), strings{"hello world!"});
  EXPECT_EQ(log.frames[0].wire_size, 16u);
}

TEST(FrameDecoder, SeparatesTheArticlesTwoMessagesReadFiveBytesAtATime) {
  const std::string wire =
      bytes({12, 0, 0, 0}) + "hello world!" + bytes({14, 0, 0, 0}) + "lift is smart!";
  std::vector<std::size_t> cuts;
  for (std::size_t at = 5; at < wire.size(); at += 5)
    cuts.push_back(at);
  const decode_log log = decode_in_pieces(spec_of("len:i32le"), as_bytes(wire), cuts);
  EXPECT_EQ(payloads(log), (strings{"hello world!", "lift is smart!"}));
  EXPECT_FALSE(log.error);
  EXPECT_EQ(grind("len:i32le", wire), log);
}

TEST(FrameDecoder, LimitsTheWholeFrameLikeNettysMaxFrameLength) {
  // maxFrameLength=15 with a 4-byte length: 4 + 11 bytes pass, 4 + 12 do not.
  const std::string ok = field(4, byte_order::big, 11) + "hello world";
  const std::string big = field(4, byte_order::big, 12) + "hello world!";
  EXPECT_EQ(payloads(grind("len:u32be,max=15", ok)), strings{"hello world"});
  const decode_log log = grind("len:u32be,max=15", ok + big);
  EXPECT_EQ(payloads(log), strings{"hello world"});
  EXPECT_EQ(log.error.code, error::frame_too_long);
  EXPECT_EQ(log.error.offset, 15u);
  // The limit is on the frame before stripping: strip=0 changes nothing.
  EXPECT_EQ(grind("len:u32be,strip=0,max=15", ok + big).error.offset, 15u);
}

TEST(FrameDecoder, LimitsTheFieldValueLikeTokiosMaxFrameLength) {
  // max_frame_length(11) compares the length field's value, before adjustment.
  const std::string ok = field(4, byte_order::big, 11) + "hello world";
  const std::string big = field(4, byte_order::big, 12) + "hello world!";
  EXPECT_EQ(payloads(grind("len:u32be,max=11,max-of=field", ok)), strings{"hello world"});
  const decode_log log = grind("len:u32be,max=11,max-of=field", ok + big);
  EXPECT_EQ(payloads(log), strings{"hello world"});
  EXPECT_EQ(log.error.code, error::frame_too_long);
  EXPECT_EQ(log.error.offset, 15u);
  // The same max on the whole frame (Netty's reading) refuses the 15-byte frame.
  EXPECT_EQ(grind("len:u32be,max=11", ok).error.code, error::frame_too_long);
  // A length that includes the head (length_adjustment(-2)) is limited as written.
  const std::string with_head = bytes({0x00, 0x0d}) + "Hello world";
  EXPECT_EQ(payloads(grind("len:u16be,adjust=-2,max=13,max-of=field", with_head)),
            strings{"Hello world"});
  EXPECT_EQ(grind("len:u16be,adjust=-2,max=12,max-of=field", with_head).error.code,
            error::frame_too_long);
  // num_skip(0) keeps the head, yet the head is not counted either.
  EXPECT_EQ(
      payloads(grind("len:u16be,strip=0,max=11,max-of=field", bytes({0, 11}) + "Hello world")),
      strings{bytes({0, 11}) + "Hello world"});
}

TEST(FrameDecoder, DiscardsTooLongFramesAndGoesOnLikeNetty) {
  const std::string ok = bytes({0x00, 0x0c}) + netty_content;
  const std::string big = bytes({0x00, 0x10}) + netty_content + "!!!!";
  const decode_log log = grind("len:u16be,max=16,too-long=discard", ok + big + ok);
  EXPECT_EQ(payloads(log), (strings{netty_content, netty_content}));
  EXPECT_EQ(log.discarded, 1u);
  EXPECT_FALSE(log.error);
  ASSERT_EQ(log.frames.size(), 2u);
  EXPECT_EQ(log.frames[1].offset, ok.size() + big.size());
}

} // namespace
} // namespace tcpcheck

namespace tcpcheck {

// Lines long enough to cross the decoder's 64-byte line-feed scan: every
// length from 0 to 150, some ending in CRLF, then a line over max and a
// bare LF under crlf, decoded whole, at every single cut and byte by byte.
namespace {

std::string lines_across_blocks(std::vector<std::string>& expected) {
  std::string stream;
  for (int length = 0; length <= 150; ++length) {
    std::string line(static_cast<std::size_t>(length), static_cast<char>('a' + length % 26));
    expected.push_back(line);
    stream += line + (length % 3 == 0 ? "\r\n" : "\n");
  }
  return stream;
}

void expect_same_at_every_cut(const framing_spec& spec, const std::string& stream,
                              const decode_log& expected) {
  const auto bytes = as_bytes(stream);
  EXPECT_EQ(decode_bytewise(spec, bytes), expected);
  for (std::size_t cut = 1; cut < stream.size(); ++cut) {
    const std::vector<std::size_t> cuts{cut};
    const auto log = decode_in_pieces(spec, bytes, cuts);
    ASSERT_EQ(log, expected) << "cut at " << cut;
  }
}

} // namespace

TEST(FrameDecoder, LineGivesTheSameFramesForLinesThatCrossSixtyFourByteBlocks) {
  std::vector<std::string> expected;
  const std::string stream = lines_across_blocks(expected);
  const auto spec = test::spec_of("line");
  const auto whole = decode_in_pieces(spec, as_bytes(stream), {});
  EXPECT_EQ(test::payloads(whole), expected);
  EXPECT_FALSE(whole.error);
  expect_same_at_every_cut(spec, stream, whole);
}

TEST(FrameDecoder, LineFindsATooLongLineAmongLongOnesWhereverTheStreamIsCut) {
  std::vector<std::string> expected;
  std::string stream = lines_across_blocks(expected);
  const auto fail = test::spec_of("line,max=120");
  const auto failed = decode_in_pieces(fail, as_bytes(stream), {});
  ASSERT_EQ(failed.frames.size(), 121u);
  EXPECT_EQ(failed.error.code, error::frame_too_long);
  EXPECT_EQ(failed.error.offset, failed.frames.back().offset + failed.frames.back().wire_size);
  expect_same_at_every_cut(fail, stream, failed);

  const auto discard = test::spec_of("line,max=120,too-long=discard");
  const auto discarded = decode_in_pieces(discard, as_bytes(stream), {});
  EXPECT_EQ(discarded.frames.size(), 121u);
  EXPECT_EQ(discarded.discarded, 30u);
  EXPECT_FALSE(discarded.error);
  expect_same_at_every_cut(discard, stream, discarded);
}

TEST(FrameDecoder, LineCrlfFindsABareLineFeedAfterManyBlocksWhereverTheStreamIsCut) {
  std::string stream;
  for (int i = 0; i < 40; ++i)
    stream += std::string(37, 'x') + "\r\n";
  const std::size_t bare = stream.size() + 5;
  stream += "hello\nworld\r\n";
  for (int i = 0; i < 4; ++i)
    stream += std::string(37, 'y') + "\r\n"; // blocks after it
  const auto spec = test::spec_of("line,crlf");
  const auto log = decode_in_pieces(spec, as_bytes(stream), {});
  EXPECT_EQ(log.frames.size(), 40u);
  EXPECT_EQ(log.error.code, error::bare_line_feed);
  EXPECT_EQ(log.error.offset, bare);
  expect_same_at_every_cut(spec, stream, log);
}

} // namespace tcpcheck

namespace tcpcheck {
namespace {

// Takes every frame's payload as its own buffer, noting where the payload
// lay when it was handed out.
byte_buffer buffer_of(const std::string& text) {
  return byte_buffer(text.begin(), text.end());
}

struct taken_frame {
  byte_buffer bytes;
  const std::uint8_t* handed_at = nullptr;
};

std::vector<taken_frame> take_all(frame_decoder& decoder, const std::vector<std::string>& pieces) {
  std::vector<taken_frame> taken;
  std::error_code ec;
  for (const auto& piece : pieces) {
    decoder.consume(
        as_bytes(piece),
        [&](const frame& f) {
          taken.push_back({decoder.take(f.payload), f.payload.data()});
        },
        ec);
    EXPECT_FALSE(ec) << ec.message();
  }
  return taken;
}

} // namespace

// A frame gathered across reads is handed over in the decoder's own buffer,
// its header shifted off: a frame of the spec's max is held once, not twice.
TEST(FrameDecoder, TakeGivesAwayTheBufferOfALargeFrameThatStraddledReads) {
  frame_decoder decoder(spec_of("len:u32be,max=1M"));
  const std::string payload(200000, 'x');
  const std::string wire = field(4, byte_order::big, payload.size()) + payload;
  const std::string small = field(4, byte_order::big, 3) + "end";

  const auto taken = take_all(
      decoder, {wire.substr(0, 70000), wire.substr(70000) + small.substr(0, 2), small.substr(2)});

  ASSERT_EQ(taken.size(), 2u);
  EXPECT_EQ(taken[0].bytes, buffer_of(payload));
  // Handed out 4 bytes into the gathered buffer, which the frame now owns.
  EXPECT_EQ(taken[0].handed_at - taken[0].bytes.data(), 4);
  // The decoder goes on with the next frame, which straddled too.
  EXPECT_EQ(taken[1].bytes, buffer_of("end"));
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(FrameDecoder, TakeCopiesSmallFramesAndFramesInTheInput) {
  frame_decoder decoder(spec_of("line"));
  const std::string long_line(100000, 'y');
  const auto taken = take_all(decoder, {"a\nb", "c\n" + long_line + "\n"});
  ASSERT_EQ(taken.size(), 3u);
  EXPECT_EQ(taken[0].bytes, buffer_of("a"));
  EXPECT_EQ(taken[1].bytes, buffer_of("bc"));
  EXPECT_EQ(taken[2].bytes, buffer_of(long_line));
  // A view into the input stays the input's: the frame is a copy.
  EXPECT_NE(taken[2].bytes.data(), taken[2].handed_at);
}

} // namespace tcpcheck
