// Tests for decode_log.hpp: decoding in chosen pieces, comparing and printing logs.
#include "tcpcheck/decode_log.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace tcpcheck {
namespace {

using test::payloads;
using test::spec_of;
using strings = std::vector<std::string>;

TEST(DecodeLog, RecordsEachFrameWithItsOffsetAndWireSize) {
  const decode_log log = decode_in_pieces(spec_of("line"), as_bytes("ab\r\nc\n"), {});
  ASSERT_EQ(log.frames.size(), 2u);
  EXPECT_EQ(log.frames[0], (logged_frame{{'a', 'b'}, 0, 4}));
  EXPECT_EQ(log.frames[1], (logged_frame{{'c'}, 4, 2}));
  EXPECT_FALSE(log.error);
  EXPECT_EQ(log.discarded, 0u);
}

TEST(DecodeLog, CopiesPayloadsSoTheyOutliveTheStream) {
  decode_log log;
  {
    std::string stream = "hello\n";
    log = decode_in_pieces(spec_of("line"), as_bytes(stream), {});
    stream.assign(stream.size(), 'x');
  }
  EXPECT_EQ(payloads(log), strings{"hello"});
}

TEST(DecodeLog, CutsTheStreamWhereAsked) {
  // A straddling frame is gathered from both pieces; each piece is consumed.
  const std::size_t cuts[] = {2, 5};
  const decode_log log = decode_in_pieces(spec_of("fixed:3"), as_bytes("abcdefg"), cuts, false);
  EXPECT_EQ(payloads(log), (strings{"abc", "def"}));
  EXPECT_FALSE(log.error);
}

TEST(DecodeLog, IgnoresCutsOutOfRangeOrRepeated) {
  const framing_spec spec = spec_of("len:u8,eof=emit");
  const std::string stream = "\x02"
                             "ab\x03"
                             "cd";
  const std::size_t odd[] = {0, 3, 3, 7, 100};
  const std::size_t plain[] = {3};
  EXPECT_EQ(decode_in_pieces(spec, as_bytes(stream), odd),
            decode_in_pieces(spec, as_bytes(stream), plain));
  EXPECT_EQ(payloads(decode_in_pieces(spec, as_bytes(stream), odd)), (strings{"ab", "cd"}));
}

TEST(DecodeLog, LeavesThePartialFrameAloneWithoutFinish) {
  const framing_spec spec = spec_of("line");
  const decode_log open = decode_in_pieces(spec, as_bytes("a\nb"), {}, false);
  EXPECT_EQ(payloads(open), strings{"a"});
  EXPECT_FALSE(open.error);
  const decode_log finished = decode_in_pieces(spec, as_bytes("a\nb"), {}, true);
  EXPECT_EQ(finished.error.code, error::truncated_frame);
  EXPECT_EQ(finished.error.offset, 2u);
}

TEST(DecodeLog, RecordsTheErrorWithItsOffsetAndReason) {
  const decode_log log = decode_in_pieces(spec_of("line,max=2"), as_bytes("ab\nabc\n"), {});
  EXPECT_EQ(payloads(log), strings{"ab"});
  EXPECT_EQ(log.error.code, error::frame_too_long);
  EXPECT_EQ(log.error.offset, 3u);
  EXPECT_FALSE(log.error.reason.empty());
}

TEST(DecodeLog, RecordsDiscardedFrames) {
  const decode_log log =
      decode_in_pieces(spec_of("line,max=2,too-long=discard"), as_bytes("abc\nab\nabcd\n"), {});
  EXPECT_EQ(payloads(log), strings{"ab"});
  EXPECT_EQ(log.discarded, 2u);
}

TEST(DecodeLog, BytewiseFeedsOneBytePerPiece) {
  const framing_spec spec = spec_of("delim:\\r\\n|\\n,eof=emit");
  const std::string stream = "a\r\nbb\ncc\r";
  EXPECT_EQ(decode_bytewise(spec, as_bytes(stream)), decode_in_pieces(spec, as_bytes(stream), {}));
  std::vector<std::size_t> every;
  for (std::size_t i = 1; i < stream.size(); ++i)
    every.push_back(i);
  EXPECT_EQ(decode_bytewise(spec, as_bytes(stream), false),
            decode_in_pieces(spec, as_bytes(stream), every, false));
  EXPECT_EQ(payloads(decode_bytewise(spec, as_bytes(stream))), (strings{"a", "bb", "cc\r"}));
}

TEST(DecodeLog, ComparesEqualOnlyWhenFramesErrorAndDiscardsAllMatch) {
  const decode_log base{{{{'a'}, 0, 2}}, {}, 0};
  decode_log other = base;
  EXPECT_EQ(base, other);
  other.frames[0].offset = 1;
  EXPECT_NE(base, other);
  other = base;
  other.frames[0].wire_size = 3;
  EXPECT_NE(base, other);
  other = base;
  other.frames[0].payload = {'b'};
  EXPECT_NE(base, other);
  other = base;
  other.discarded = 1;
  EXPECT_NE(base, other);
  other = base;
  other.error = {error::truncated_frame, 2, "ended"};
  EXPECT_NE(base, other);
  other = base;
  other.frames.push_back({{'a'}, 2, 2});
  EXPECT_NE(base, other);
}

TEST(DecodeLog, DecodesAsIsTrueForTheLogTheSameCutsMake) {
  const framing_spec spec = spec_of("line,max=3,too-long=discard,eof=emit");
  const std::string stream = "ab\nabcd\nc\r\nde";
  const std::size_t cuts[] = {1, 4, 4, 9, 200};
  const decode_log whole = decode_in_pieces(spec, as_bytes(stream), {});
  ASSERT_EQ(payloads(whole), (strings{"ab", "c", "de"}));
  ASSERT_EQ(whole.discarded, 1u);
  EXPECT_TRUE(decodes_as(whole, spec, as_bytes(stream), cuts));
  EXPECT_TRUE(decodes_bytewise_as(whole, spec, as_bytes(stream)));
  const decode_log open = decode_in_pieces(spec, as_bytes(stream), {}, false);
  EXPECT_TRUE(decodes_as(open, spec, as_bytes(stream), cuts, false));
  EXPECT_TRUE(decodes_bytewise_as(open, spec, as_bytes(stream), false));
  // Without finish the last frame is not handed out: the logs differ.
  EXPECT_FALSE(decodes_as(whole, spec, as_bytes(stream), cuts, false));
  EXPECT_FALSE(decodes_bytewise_as(open, spec, as_bytes(stream)));
}

TEST(DecodeLog, DecodesAsIsFalseWhereTheLogsCompareUnequal) {
  const framing_spec spec = spec_of("len:u8,max=4");
  const std::string stream = "\x02"
                             "ab\x01"
                             "c\x09";
  const decode_log base = decode_in_pieces(spec, as_bytes(stream), {});
  ASSERT_EQ(payloads(base), (strings{"ab", "c"}));
  ASSERT_TRUE(base.error);
  const std::size_t cuts[] = {2};
  ASSERT_TRUE(decodes_as(base, spec, as_bytes(stream), cuts));
  const auto differs = [&](const decode_log& other) {
    EXPECT_NE(other, base);
    EXPECT_FALSE(decodes_as(other, spec, as_bytes(stream), cuts));
    EXPECT_FALSE(decodes_bytewise_as(other, spec, as_bytes(stream)));
  };
  decode_log other = base;
  other.frames[1].offset += 1;
  differs(other);
  other = base;
  other.frames[0].wire_size += 1;
  differs(other);
  other = base;
  other.frames[1].payload = {'d'};
  differs(other);
  other = base;
  other.frames[1].payload = {'c', 'c'};
  differs(other);
  other = base;
  other.frames.pop_back();
  differs(other);
  other = base;
  other.frames.push_back({{'e'}, 5, 2});
  differs(other);
  other = base;
  other.error.offset += 1;
  differs(other);
  other = base;
  other.error.code = error::truncated_frame;
  differs(other);
  other = base;
  other.error.reason += " and more";
  differs(other);
  other = base;
  other.discarded = 1;
  differs(other);
}

TEST(DecodeLog, PrintsOneLinePerFrameThenDiscardsThenTheError) {
  decode_log log;
  log.frames.push_back({{'h', 'i'}, 0, 3});
  log.frames.push_back({{'"', '\n', 0xff}, 3, 4});
  log.discarded = 2;
  log.error = {error::truncated_frame, 7, "the stream ended 1 bytes into a frame"};
  EXPECT_EQ(to_string(log), "frame at 0 (3 bytes on the wire): \"hi\"\n"
                            "frame at 3 (4 bytes on the wire): \"\\x22\\n\\xff\"\n"
                            "discarded 2 frames\n"
                            "error: " +
                                to_string(log.error) + "\n");
}

TEST(DecodeLog, PrintsAnEmptyLogAsNothing) {
  EXPECT_EQ(to_string(decode_log{}), "");
}

TEST(DecodeLog, ShortensLongPayloadsSayingHowMuchIsLeftOut) {
  decode_log log;
  log.frames.push_back({byte_buffer(100, 'x'), 0, 101});
  const std::string text = to_string(log);
  EXPECT_NE(text.find("\"" + std::string(64, 'x') + "\" ... and 36 more bytes"), std::string::npos)
      << text;
  EXPECT_EQ(text.find(std::string(65, 'x')), std::string::npos) << text;
}

} // namespace
} // namespace tcpcheck
