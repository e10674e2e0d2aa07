// Tests for proxy/stream_shaper.hpp: cuts, timing, stalls, endings and frames of one direction.
#include "tcpcheck/proxy/stream_shaper.hpp"

#include "tcpcheck/decode_log.hpp"
#include "tcpcheck/escape.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace tcpcheck {
namespace {

using clock = stream_shaper::clock;
using log = std::vector<std::string>;

const clock::time_point t0 = clock::time_point{} + std::chrono::hours(1);

clock::time_point at(std::int64_t ms) {
  return t0 + std::chrono::milliseconds(ms);
}

disturbance disturbance_of(std::string_view words) {
  std::string error;
  const auto d = parse_disturbance(words, error);
  if (!d) throw std::invalid_argument("'" + std::string(words) + "': " + error);
  return *d;
}

stream_shaper shaper_of(std::string_view words, std::string_view spec = "raw",
                        std::uint64_t seed = 0) {
  return stream_shaper(disturbance_of(words), test::spec_of(spec), seed);
}

void push(stream_shaper& s, std::string_view text, std::int64_t ms) {
  s.push(as_bytes(text), at(ms));
}

/// "3ms 'abc'", "5ms close": when (from t0; microseconds unless whole
/// milliseconds) and what.
std::string shown(const shaped_action& action) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(action.due - t0).count();
  std::string out = us % 1000 == 0 ? std::to_string(us / 1000) + "ms" : std::to_string(us) + "us";
  switch (action.what) {
  case shaped_action::kind::write:
    return out + " '" + escape(action.bytes) + "'";
  case shaped_action::kind::close:
    return out + " close";
  case shaped_action::kind::reset:
    return out + " reset";
  case shaped_action::kind::half_close:
    return out + " half-close";
  }
  return out + " ?";
}

/// Every action due by `until`, each popped at the time next_due() named.
log drain(stream_shaper& s, clock::time_point until = at(10'000'000)) {
  log out;
  for (int i = 0; i < 100000; ++i) {
    const auto due = s.next_due();
    if (!due || *due > until) return out;
    if (const auto action = s.pop(*due)) {
      out.push_back(shown(*action));
      continue;
    }
    // Only a merge flushed into a delayed write may leave nothing due yet;
    // then the next due time must lie later, or the proxy would spin.
    const auto later = s.next_due();
    if (!later || *later <= *due) {
      ADD_FAILURE() << "next_due() named a time at which pop() gives nothing";
      return out;
    }
  }
  ADD_FAILURE() << "more than 100000 actions";
  return out;
}

/// The writes' bytes alone, in order.
std::vector<std::string> pieces(stream_shaper& s) {
  std::vector<std::string> out;
  for (int i = 0; i < 100000; ++i) {
    const auto due = s.next_due();
    if (!due) return out;
    const auto action = s.pop(*due);
    if (action && action->what == shaped_action::kind::write)
      out.emplace_back(as_text(action->bytes));
  }
  ADD_FAILURE() << "more than 100000 actions";
  return out;
}

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& part : parts)
    out += part;
  return out;
}

// --- Plans: where pushes are cut ------------------------------------------------

TEST(StreamShaper, WholeWritesEachPushAsItCame) {
  auto s = shaper_of("");
  push(s, "hello", 0);
  push(s, "world", 7);
  EXPECT_EQ(drain(s), (log{"0ms 'hello'", "7ms 'world'"}));
}

TEST(StreamShaper, BytewiseWritesOneByteAMillisecondApart) {
  auto s = shaper_of("plan=bytewise");
  push(s, "abc", 0);
  push(s, "de", 1); // due after "c", not with it
  EXPECT_EQ(drain(s), (log{"0ms 'a'", "1ms 'b'", "2ms 'c'", "3ms 'd'", "4ms 'e'"}));
}

TEST(StreamShaper, ChunkCutsEachPushIntoPiecesOfN) {
  auto s = shaper_of("plan=chunk:2");
  push(s, "hello", 0);
  push(s, "abc", 10);
  EXPECT_EQ(drain(s), (log{"0ms 'he'", "1ms 'll'", "2ms 'o'", "10ms 'ab'", "11ms 'c'"}));
}

TEST(StreamShaper, RandomCutsWherePlanCutsDoesForSeedZero) {
  const std::string first(40, 'x');
  const std::string second(25, 'y');
  auto s = shaper_of("plan=random:7");
  push(s, first, 0);
  push(s, second, 100);
  const auto writes = pieces(s);

  delivery_plan plan = disturbance_of("plan=random:7").plan;
  std::vector<std::string> expected;
  std::uint64_t index = 0;
  for (const std::string& send : {first, second}) {
    std::size_t from = 0;
    for (const std::size_t cut : plan_cuts(plan, framing_spec{}, as_bytes(send), false, index))
      expected.push_back(send.substr(from, cut - from)), from = cut;
    expected.push_back(send.substr(from));
    ++index;
  }
  EXPECT_EQ(writes, expected);
  EXPECT_GT(writes.size(), 2u) << "random cuts each push at least once";
}

TEST(StreamShaper, RandomCutsAreReproducibleForTheSameSeed) {
  const std::string send(64, 'z');
  const auto run = [&](std::uint64_t seed) {
    auto s = shaper_of("plan=random:3", "raw", seed);
    std::vector<std::size_t> sizes;
    for (int i = 0; i < 20; ++i) {
      push(s, send, i * 1000);
      for (const auto& piece : pieces(s))
        sizes.push_back(piece.size());
      sizes.push_back(0); // a push's end
    }
    return sizes;
  };
  EXPECT_EQ(run(11), run(11));
  EXPECT_NE(run(11), run(12)) << "another shaper seed cuts elsewhere";
}

TEST(StreamShaper, SplitHeaderCutsBeforeEachDelimiter) {
  auto s = shaper_of("plan=split-header", "line");
  push(s, "hello\nworld\nhal", 0);
  EXPECT_EQ(pieces(s), (std::vector<std::string>{"hello", "\nworld", "\nhal"}))
      << "the incomplete frame is written at once";
}

TEST(StreamShaper, SplitHeaderCutsInsideEachLengthHeader) {
  auto s = shaper_of("plan=split-header", "len:u16be");
  push(s, std::string("\0\3abc\0\2de", 9), 0);
  EXPECT_EQ(drain(s), (log{"0ms '\\0'", "1ms '\\x03abc\\0'", "2ms '\\x02de'"}));
}

TEST(StreamShaper, SplitHeaderCutsAFrameThatBeganInAnEarlierPush) {
  auto lines = shaper_of("plan=split-header", "line");
  push(lines, "hel", 0);
  push(lines, "lo\nab", 10);
  EXPECT_EQ(pieces(lines), (std::vector<std::string>{"hel", "lo", "\nab"}));

  // The u32 header's cut (after its 2nd byte) falls in the second push.
  auto lengths = shaper_of("plan=split-header", "len:u32be");
  push(lengths, std::string("\0", 1), 0);
  push(lengths, std::string("\0\0\3abc", 6), 10);
  EXPECT_EQ(pieces(lengths), (std::vector<std::string>{std::string("\0", 1), std::string("\0", 1),
                                                       std::string("\0\3abc", 5)}));
}

TEST(StreamShaper, SplitHeaderCutsALineLongerThanItsLookback) {
  auto s = shaper_of("plan=split-header", "line,max=64K");
  const std::string head(split_header_lookback + 100, 'a');
  push(s, head, 0);
  push(s, "bb\nc", 10);
  EXPECT_EQ(pieces(s), (std::vector<std::string>{head, "bb", "\nc"}));
}

TEST(StreamShaper, SplitHeaderCutsARawStreamsReadsInTheMiddle) {
  auto s = shaper_of("plan=split-header", "raw");
  push(s, "abcdef", 0);
  push(s, "ghi", 10);
  EXPECT_EQ(drain(s), (log{"0ms 'abc'", "1ms 'def'", "10ms 'g'", "11ms 'hi'"}));
}

TEST(StreamShaper, MergedHoldsBytesUntilTheSenderPauses) {
  auto s = shaper_of("plan=merged");
  push(s, "a", 0);
  push(s, "b", 5);
  push(s, "c", 10);
  EXPECT_EQ(s.next_due(), at(10) + merge_window);
  EXPECT_FALSE(s.pop(at(29)).has_value());
  EXPECT_EQ(s.queued_bytes(), 3u);
  push(s, "d", 100); // after the window: "abc" went at 30ms, "d" starts a new merge
  EXPECT_EQ(drain(s), (log{"30ms 'abc'", "120ms 'd'"}));
}

// --- Timing ------------------------------------------------------------------------

TEST(StreamShaper, LatencyDelaysEveryWrite) {
  auto s = shaper_of("latency=20ms plan=chunk:3");
  push(s, "abcdef", 0);
  push(s, "g", 50);
  EXPECT_EQ(s.next_due(), at(20));
  EXPECT_FALSE(s.pop(at(19)).has_value());
  EXPECT_EQ(drain(s), (log{"20ms 'abc'", "21ms 'def'", "70ms 'g'"}));
}

TEST(StreamShaper, JitterStaysInItsRangeKeepsOrderAndIsReproducible) {
  const auto dues = [](std::uint64_t seed) {
    auto s = shaper_of("latency=20ms jitter=10ms", "raw", seed);
    std::vector<clock::time_point> out;
    for (int i = 0; i < 200; ++i) {
      push(s, "x", i);
      while (const auto action = s.pop(at(1'000'000)))
        out.push_back(action->due);
    }
    return out;
  };
  const auto one = dues(5);
  ASSERT_EQ(one.size(), 200u);
  for (std::size_t i = 0; i < one.size(); ++i) {
    const auto pushed = at(static_cast<std::int64_t>(i));
    EXPECT_GE(one[i], pushed + std::chrono::milliseconds(20)) << i;
    if (i > 0) {
      EXPECT_GE(one[i], one[i - 1]) << "order kept at " << i;
    }
  }
  // Free of the order constraint, the first write shows the range's top.
  EXPECT_LE(one[0], at(30));
  EXPECT_EQ(dues(5), one);
  EXPECT_NE(dues(6), one);
}

TEST(StreamShaper, JitteredWritesAreNotAllDueAtTheLatency) {
  auto s = shaper_of("latency=20ms jitter=10ms", "raw", 9);
  int later = 0;
  for (int i = 0; i < 50; ++i) {
    push(s, "x", i * 100); // far apart: no write waits for the one before
    const auto action = s.pop(at(1'000'000));
    ASSERT_TRUE(action.has_value());
    const auto delay = action->due - at(i * 100);
    EXPECT_GE(delay, std::chrono::milliseconds(20));
    EXPECT_LE(delay, std::chrono::milliseconds(30));
    later += delay > std::chrono::milliseconds(20);
  }
  EXPECT_GT(later, 40);
}

TEST(StreamShaper, RateWritesSlicesOfTenMillisecondsWorth) {
  auto s = shaper_of("rate=1000"); // bytes a second: slices of 10 bytes, 10 ms each
  push(s, std::string(25, 'a'), 0);
  push(s, "c", 0);
  push(s, "d", 2000); // after the others' end: not held
  ASSERT_TRUE(s.pop(at(0)).has_value());
  EXPECT_FALSE(s.pop(at(9)).has_value()) << "the second slice waits the first one's time";
  EXPECT_EQ(s.next_due(), at(10));
  EXPECT_EQ(drain(s), (log{"10ms 'aaaaaaaaaa'", "20ms 'aaaaa'", "25ms 'c'", "2000ms 'd'"}));

  auto slow = shaper_of("rate=50"); // below 100 bytes a second: slices of 1 byte, 20 ms each
  push(slow, "xyz", 0);
  EXPECT_EQ(drain(slow), (log{"0ms 'x'", "20ms 'y'", "40ms 'z'"}));
}

TEST(StreamShaper, RateSlicesCarryItsBytesASecondOnAverage) {
  auto s = shaper_of("rate=1M"); // 1048576 bytes a second: slices of 10485 bytes
  const std::string read(64 << 10, 'r');
  for (int i = 0; i < 16; ++i) // a megabyte, read at once
    push(s, read, 0);
  std::vector<shaped_action> writes;
  while (const auto action = s.pop(at(1'000'000)))
    writes.push_back(*action);
  ASSERT_EQ(writes.size(), 16u * 7) << "65536 bytes are 6 slices and 2626 bytes";
  std::size_t bytes = 0;
  std::size_t by_half_second = 0;
  for (std::size_t i = 0; i < writes.size(); ++i) {
    const std::size_t size = writes[i].bytes.size();
    EXPECT_LE(size, 10485u) << i;
    if (i > 0) {
      // Each slice is due when the one before it has had its time: size / rate.
      const auto gap = writes[i].due - writes[i - 1].due;
      const double expected = static_cast<double>(writes[i - 1].bytes.size()) / (1 << 20);
      EXPECT_NEAR(std::chrono::duration<double>(gap).count(), expected, 1e-6) << i;
    }
    bytes += size;
    if (writes[i].due < at(500)) by_half_second += size;
  }
  EXPECT_EQ(bytes, std::size_t{1} << 20);
  // The last slice is due one second's sending less its own time after the first.
  const auto last = writes.back();
  const double took = std::chrono::duration<double>(last.due - t0).count() +
                      static_cast<double>(last.bytes.size()) / (1 << 20);
  EXPECT_NEAR(took, 1.0, 1e-6);
  EXPECT_NEAR(static_cast<double>(by_half_second), 512 * 1024, 10485) << "steady, not bursts";
}

TEST(StreamShaper, StallCutsTheWriteAndHoldsEverythingAfter) {
  auto s = shaper_of("stall=3:1s");
  push(s, "abcdef", 0);
  push(s, "gh", 10);
  push(s, "ij", 3000); // the stall happens once
  EXPECT_EQ(drain(s), (log{"0ms 'abc'", "1000ms 'def'", "1000ms 'gh'", "3000ms 'ij'"}));
}

TEST(StreamShaper, StallAtAPushBoundaryHoldsTheNextPush) {
  auto s = shaper_of("stall=3:1s latency=5ms");
  push(s, "abc", 0);
  push(s, "def", 10);
  EXPECT_EQ(drain(s), (log{"5ms 'abc'", "1015ms 'def'"}));
}

TEST(StreamShaper, StallWritesWhatMergedHeldAndHoldsTheRest) {
  auto s = shaper_of("plan=merged stall=3:1s");
  push(s, "ab", 0);
  push(s, "cde", 5);
  push(s, "f", 10);
  EXPECT_EQ(drain(s), (log{"5ms 'abc'", "1005ms 'def'"}));
}

TEST(StreamShaper, StallWorksUnderEveryPlanCut) {
  auto s = shaper_of("stall=2:100ms plan=chunk:3");
  push(s, "abcdefg", 0);
  EXPECT_EQ(drain(s), (log{"0ms 'ab'", "100ms 'cde'", "101ms 'fg'"}));
}

// --- Endings -----------------------------------------------------------------------

TEST(StreamShaper, EachEndingTruncatesTheWriteAfterItsBytes) {
  const std::pair<std::string_view, std::string_view> endings[] = {
      {"close-after=4", "close"}, {"reset-after=4", "reset"}, {"half-close-after=4", "half-close"}};
  for (const auto& [words, action] : endings) {
    auto s = shaper_of(words);
    push(s, "ab", 0);
    push(s, "cdef", 10); // ends inside this push
    EXPECT_TRUE(s.ended()) << words;
    push(s, "gh", 20);
    s.push_end(at(30));
    EXPECT_EQ(drain(s), (log{"0ms 'ab'", "10ms 'cd'", "10ms " + std::string(action)})) << words;
    EXPECT_EQ(s.bytes_in(), 8u) << "dropped bytes are counted";
    EXPECT_EQ(s.queued_bytes(), 0u);
  }
}

TEST(StreamShaper, AnEndingAtAPushsLastByteKeepsThePush) {
  auto s = shaper_of("reset-after=5 plan=bytewise latency=1s");
  push(s, "hey", 0);
  EXPECT_FALSE(s.ended());
  push(s, "yo", 10);
  EXPECT_TRUE(s.ended());
  EXPECT_EQ(drain(s), (log{"1000ms 'h'", "1001ms 'e'", "1002ms 'y'", "1010ms 'y'", "1011ms 'o'",
                           "1011ms reset"}));
}

TEST(StreamShaper, EndingsCountFramesOfTheSpec) {
  const std::pair<std::string_view, std::string_view> endings[] = {
      {"close-after-frame=2", "close"},
      {"reset-after-frame=2", "reset"},
      {"half-close-after-frame=2", "half-close"}};
  for (const auto& [words, action] : endings) {
    auto s = shaper_of(words, "line");
    push(s, "one\ntw", 0);
    push(s, "o\nthree\n", 10); // the 2nd frame ends inside this push
    EXPECT_TRUE(s.ended()) << words;
    EXPECT_EQ(drain(s), (log{"0ms 'one\\ntw'", "10ms 'o\\n'", "10ms " + std::string(action)}))
        << words;
    EXPECT_EQ(s.frames_in(), 3u) << "every frame pushed is decoded";
  }
}

TEST(StreamShaper, EndOfSenderQueuesACloseAfterTheBytes) {
  auto s = shaper_of("latency=50ms plan=chunk:2");
  push(s, "abc", 0);
  s.push_end(at(5));
  EXPECT_FALSE(s.ended()) << "the sender ended, not the disturbance";
  EXPECT_EQ(drain(s), (log{"50ms 'ab'", "51ms 'c'", "55ms close"}));
  push(s, "late", 60);
  EXPECT_FALSE(s.next_due().has_value()) << "nothing after the sender's end";
}

TEST(StreamShaper, EndOfSenderFlushesAMergeAtOnce) {
  auto s = shaper_of("plan=merged");
  push(s, "ab", 0);
  push(s, "cd", 5);
  s.push_end(at(6));
  EXPECT_EQ(drain(s), (log{"6ms 'abcd'", "6ms close"}));
}

TEST(StreamShaper, MergedEndsWithWhatItHeld) {
  auto s = shaper_of("plan=merged close-after=3");
  push(s, "ab", 0);
  push(s, "cd", 5);
  EXPECT_EQ(drain(s), (log{"5ms 'abc'", "5ms close"}));
}

TEST(StreamShaper, BlackholeQueuesNothing) {
  auto s = shaper_of("blackhole", "line");
  push(s, "one\ntwo\n", 0);
  s.push_end(at(10));
  EXPECT_FALSE(s.next_due().has_value());
  EXPECT_FALSE(s.pop(at(1'000'000)).has_value());
  EXPECT_EQ(s.queued_bytes(), 0u);
  EXPECT_EQ(s.bytes_in(), 8u);
  EXPECT_EQ(s.frames_in(), 2u);
  EXPECT_FALSE(s.ended());
}

// --- push_reset() -------------------------------------------------------------------

TEST(StreamShaper, ResetOfSenderQueuesAResetAfterTheBytes) {
  auto s = shaper_of("latency=50ms plan=chunk:2");
  push(s, "abc", 0);
  s.push_reset(at(5));
  EXPECT_FALSE(s.ended()) << "the sender reset, not the disturbance";
  EXPECT_EQ(s.next_due(), at(50));
  EXPECT_FALSE(s.pop(at(49)).has_value());
  EXPECT_EQ(drain(s), (log{"50ms 'ab'", "51ms 'c'", "55ms reset"}));
  push(s, "late", 60);
  s.push_end(at(70));
  EXPECT_FALSE(s.next_due().has_value()) << "nothing after the sender's reset";
  EXPECT_EQ(s.queued_bytes(), 0u);
}

TEST(StreamShaper, ResetOfSenderWaitsForTheBytesAtTheRate) {
  auto s = shaper_of("rate=1000");
  push(s, std::string(25, 'a'), 0);
  s.push_reset(at(1));
  EXPECT_EQ(drain(s), (log{"0ms 'aaaaaaaaaa'", "10ms 'aaaaaaaaaa'", "20ms 'aaaaa'", "25ms reset"}));
}

TEST(StreamShaper, ResetOfSenderFlushesAMergeAtOnce) {
  auto s = shaper_of("plan=merged latency=10ms");
  push(s, "ab", 0);
  push(s, "cd", 5);
  s.push_reset(at(6));
  EXPECT_EQ(drain(s), (log{"16ms 'abcd'", "16ms reset"}));
}

TEST(StreamShaper, ResetOfSenderAfterAnEndingQueuesNothing) {
  auto ended = shaper_of("close-after=2");
  push(ended, "abc", 0);
  ended.push_reset(at(1));
  EXPECT_EQ(drain(ended), (log{"0ms 'ab'", "0ms close"})) << "the disturbance ended it first";

  auto closed = shaper_of("latency=5ms");
  push(closed, "ab", 0);
  closed.push_end(at(1));
  closed.push_reset(at(2));
  EXPECT_EQ(drain(closed), (log{"5ms 'ab'", "6ms close"})) << "the sender's FIN came first";

  auto blackhole = shaper_of("blackhole");
  push(blackhole, "ab", 0);
  blackhole.push_reset(at(1));
  EXPECT_FALSE(blackhole.next_due().has_value()) << "a blackhole closes nothing";
}

TEST(StreamShaper, ResetOfSenderLeavesAPartialFrameUncounted) {
  auto s = shaper_of("", "line");
  push(s, "one\ntw", 0);
  s.push_reset(at(1));
  EXPECT_EQ(s.frames_in(), 1u);
  EXPECT_FALSE(s.decode_error()) << "no eof policy applies to a reset";
  EXPECT_EQ(drain(s), (log{"0ms 'one\\ntw'", "1ms reset"}));
}

// --- change() ----------------------------------------------------------------------

TEST(StreamShaper, ChangeAppliesToBytesPushedAfterIt) {
  auto s = shaper_of("latency=100ms");
  push(s, "ab", 0);
  s.change(disturbance_of("plan=bytewise"));
  EXPECT_EQ(s.current().plan.what, delivery_plan::kind::bytewise);
  push(s, "cd", 200);
  EXPECT_EQ(drain(s), (log{"100ms 'ab'", "200ms 'c'", "201ms 'd'"}));
}

TEST(StreamShaper, ChangeKeepsTheScheduleOfWhatIsQueued) {
  auto s = shaper_of("latency=100ms");
  push(s, "ab", 0);
  s.change(disturbance{});
  push(s, "cd", 10); // ready at 10ms, but not before "ab"
  EXPECT_EQ(drain(s), (log{"100ms 'ab'", "100ms 'cd'"}));
}

TEST(StreamShaper, ChangeFlushesAMergeAsItStands) {
  auto s = shaper_of("plan=merged");
  push(s, "ab", 0);
  push(s, "cd", 3);
  s.change(disturbance_of("plan=chunk:1"));
  push(s, "ef", 4);
  EXPECT_EQ(drain(s), (log{"3ms 'abcd'", "4ms 'e'", "5ms 'f'"}));
}

TEST(StreamShaper, ChangeCountsBytesAndFramesFromItself) {
  auto bytes = shaper_of("");
  push(bytes, "0123456789", 0);
  bytes.change(disturbance_of("close-after=3"));
  push(bytes, "abcdef", 10);
  EXPECT_EQ(drain(bytes), (log{"0ms '0123456789'", "10ms 'abc'", "10ms close"}));

  auto frames = shaper_of("", "line");
  push(frames, "a\nb\n", 0);
  frames.change(disturbance_of("reset-after-frame=1"));
  push(frames, "c\nd\n", 10);
  EXPECT_EQ(drain(frames), (log{"0ms 'a\\nb\\n'", "10ms 'c\\n'", "10ms reset"}));
}

TEST(StreamShaper, AnEqualChangeChangesNothing) {
  auto s = shaper_of("close-after=4");
  push(s, "abc", 0);
  s.change(disturbance_of("close-after=4"));
  push(s, "de", 10);
  EXPECT_EQ(drain(s), (log{"0ms 'abc'", "10ms 'd'", "10ms close"}));
}

TEST(StreamShaper, ChangeDoesNotReopenAnEndedDirection) {
  auto s = shaper_of("close-after=1");
  push(s, "ab", 0);
  s.change(disturbance{});
  push(s, "cd", 10);
  EXPECT_EQ(drain(s), (log{"0ms 'a'", "0ms close"}));
  EXPECT_TRUE(s.ended());
}

// --- Frames ------------------------------------------------------------------------

TEST(StreamShaper, TheObserverSeesEachFrameWhateverTheCuts) {
  auto s = shaper_of("plan=bytewise", "len:u8");
  std::vector<std::string> seen;
  std::vector<std::uint64_t> offsets;
  s.observe_frames([&](const frame& f) {
    seen.emplace_back(as_text(f.payload));
    offsets.push_back(f.offset);
  });
  push(s, std::string("\2hi\3", 4), 0);
  push(s, "you", 1);
  EXPECT_EQ(seen, (std::vector<std::string>{"hi", "you"}));
  EXPECT_EQ(offsets, (std::vector<std::uint64_t>{0, 3}));
  EXPECT_EQ(s.frames_in(), 2u);
  EXPECT_EQ(joined(pieces(s)), std::string("\2hi\3you", 7)) << "every byte forwarded";
}

TEST(StreamShaper, RawStreamsAreNotDecoded) {
  auto s = shaper_of("close-after-frame=1", "raw");
  push(s, "anything", 0);
  s.push_end(at(1));
  EXPECT_EQ(s.frames_in(), 0u);
  EXPECT_FALSE(s.ended());
  EXPECT_EQ(drain(s), (log{"0ms 'anything'", "1ms close"}));
}

TEST(StreamShaper, ADecodeErrorStopsCountingButNotForwarding) {
  auto s = shaper_of("", "len:u32be,max=16");
  push(s, std::string("\0\0\0\2ok", 6), 0);
  push(s, "\xff\xff\xff\xff", 1); // a 4 GiB length
  push(s, "more", 2);
  EXPECT_TRUE(static_cast<bool>(s.decode_error()));
  EXPECT_EQ(s.decode_error().code, make_error_code(error::frame_too_long));
  EXPECT_EQ(s.decode_error().offset, 6u);
  EXPECT_EQ(s.frames_in(), 1u);
  EXPECT_EQ(s.bytes_in(), 14u);
  EXPECT_EQ(joined(pieces(s)), std::string("\0\0\0\2ok\xff\xff\xff\xffmore", 14));
}

// --- Every disturbance ---------------------------------------------------------------

TEST(StreamShaper, EveryDisturbanceForwardsEachByteOnceInOrder) {
  const std::string_view disturbances[] = {
      "",
      "plan=bytewise",
      "plan=chunk:3",
      "plan=random:5",
      "plan=split-header",
      "plan=merged",
      "plan=chunk:7 latency=3ms jitter=2ms rate=100k",
      "plan=split-header stall=500:40ms jitter=1ms",
      "plan=merged stall=700:10ms rate=1M",
  };
  std::mt19937_64 rng(77);
  for (const std::string_view words : disturbances) {
    auto s = shaper_of(words, "line", rng());
    std::string sent;
    std::string received;
    clock::time_point last_due{};
    bool closed = false;
    const auto take_due = [&](clock::time_point now) {
      for (int i = 0; i < 100000; ++i) {
        const auto action = s.pop(now);
        if (!action) return;
        EXPECT_GE(action->due, last_due) << words;
        EXPECT_LE(action->due, now) << words;
        EXPECT_FALSE(closed) << words << ": an action after the close";
        last_due = action->due;
        received += as_text(action->bytes);
        closed = action->what == shaped_action::kind::close;
      }
      ADD_FAILURE() << words << ": more than 100000 actions at once";
    };
    std::int64_t now = 0;
    for (int i = 0; i < 200; ++i) {
      std::string piece;
      for (std::uint64_t n = rng() % 40; n > 0; --n)
        piece += rng() % 5 == 0 ? '\n' : static_cast<char>('a' + rng() % 26);
      now += static_cast<std::int64_t>(rng() % 30);
      take_due(at(now));
      push(s, piece, now);
      sent += piece;
    }
    s.push_end(at(now));
    take_due(at(now + 10'000'000));
    EXPECT_EQ(received, sent) << words;
    EXPECT_TRUE(closed) << words;
    EXPECT_EQ(s.queued_bytes(), 0u) << words;
    EXPECT_FALSE(s.next_due().has_value()) << words;
    EXPECT_EQ(s.bytes_in(), sent.size()) << words;
    EXPECT_EQ(s.frames_in(), static_cast<std::uint64_t>(std::count(sent.begin(), sent.end(), '\n')))
        << words;
  }
}

// --- Memory --------------------------------------------------------------------------

TEST(StreamShaper, QueuedBytesCountWhatIsNotHandedOutYet) {
  auto s = shaper_of("plan=bytewise");
  push(s, "abcde", 0);
  EXPECT_EQ(s.queued_bytes(), 5u);
  ASSERT_TRUE(s.pop(at(0)).has_value());
  EXPECT_EQ(s.queued_bytes(), 4u);
  EXPECT_FALSE(s.pop(at(0)).has_value()) << "the next byte is due 1 ms later";
  ASSERT_TRUE(s.pop(at(1)).has_value());
  EXPECT_EQ(s.queued_bytes(), 3u);
  drain(s);
  EXPECT_EQ(s.queued_bytes(), 0u);

  auto ending = shaper_of("reset-after=3");
  push(ending, "abcdef", 0);
  EXPECT_EQ(ending.queued_bytes(), 3u) << "bytes after the ending are dropped, not queued";
}

TEST(StreamShaper, ABytewiseMegabyteIsHandedOutByteByByte) {
  auto s = shaper_of("plan=bytewise");
  const std::string big(1 << 20, 'q');
  push(s, big, 0);
  EXPECT_EQ(s.queued_bytes(), big.size());
  std::size_t writes = 0;
  while (const auto action = s.pop(at(10'000'000))) {
    ASSERT_EQ(action->bytes.size(), 1u);
    ++writes;
  }
  EXPECT_EQ(writes, big.size());
  EXPECT_EQ(s.queued_bytes(), 0u);
}

/// A frame as the observer saw it: where, how long, its payload's size and first bytes.
struct seen_frame {
  std::uint64_t offset = 0;
  std::uint64_t wire_size = 0;
  std::uint64_t payload_size = 0;
  std::string head;
};

/// Pushes `stream` in pieces of `piece` bytes, popping what is due, and
/// checks after each push that the shaper holds less than most_held_bytes
/// besides its queue.
std::vector<seen_frame> push_long(stream_shaper& s, std::string_view stream, std::size_t piece,
                                  bool end = false) {
  std::vector<seen_frame> seen;
  s.observe_frames([&](const observed_frame& f) {
    seen.push_back({f.offset, f.wire_size, f.payload_size, std::string(as_text(f.payload))});
  });
  std::size_t most = 0;
  for (std::size_t at = 0; at < stream.size(); at += piece) {
    s.push(as_bytes(stream.substr(at, piece)), t0);
    while (s.pop(t0)) {
    }
    most = std::max(most, s.held_bytes());
  }
  if (end) s.push_end(t0);
  EXPECT_LT(most, most_held_bytes);
  EXPECT_LE(most, frame_head_bytes) << "a frame's first bytes at most";
  return seen;
}

TEST(StreamShaper, ALongLineIsCountedWithoutBeingHeld) {
  auto s = shaper_of("", "line");
  std::string stream(7 << 20, 'x');
  stream.replace(0, 5, "head:");
  stream.back() = '\n';
  stream += "ok\n";
  const auto seen = push_long(s, stream, 64 << 10);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(s.frames_in(), 2u);
  EXPECT_EQ(seen[0].offset, 0u);
  EXPECT_EQ(seen[0].wire_size, 7u << 20);
  EXPECT_EQ(seen[0].payload_size, (7u << 20) - 1);
  EXPECT_EQ(seen[0].head, stream.substr(0, seen[0].head.size()));
  EXPECT_GE(seen[0].head.size(), 4086u);
  EXPECT_LE(seen[0].head.size(), frame_head_bytes);
  EXPECT_EQ(seen[1].offset, 7u << 20);
  EXPECT_EQ(seen[1].head, "ok");
  EXPECT_FALSE(s.decode_error());
  EXPECT_EQ(s.held_bytes(), 0u);
}

TEST(StreamShaper, ALongLengthPrefixedFrameIsCountedWithoutBeingHeld) {
  auto s = shaper_of("close-after-frame=1", "len:u32be");
  const std::uint32_t body = (7u << 20) - 4;
  std::string stream{char(body >> 24), char(body >> 16 & 0xff), char(body >> 8 & 0xff),
                     char(body & 0xff)};
  stream.resize(7 << 20, 'y');
  stream += std::string("\0\0\0\2hi", 6); // after the ending: dropped, still counted
  const auto seen = push_long(s, stream, 64 << 10);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].offset, 0u);
  EXPECT_EQ(seen[0].wire_size, 7u << 20);
  EXPECT_EQ(seen[0].payload_size, body);
  EXPECT_EQ(seen[0].head, stream.substr(4, seen[0].head.size()));
  EXPECT_EQ(seen[1].offset, 7u << 20);
  EXPECT_EQ(seen[1].head, "hi");
  EXPECT_TRUE(s.ended()) << "the long frame's end ends the direction";
  EXPECT_FALSE(s.decode_error());
}

TEST(StreamShaper, ALongFrameAboveMaxIsTheDecodersError) {
  auto s = shaper_of("", "line,max=100K");
  const std::string stream(200 << 10, 'z'); // no LF
  push_long(s, stream, 1000);
  EXPECT_EQ(s.decode_error(), (stream_error{make_error_code(error::frame_too_long), 0,
                                            "line longer than max=102400 bytes without an LF"}));
  EXPECT_EQ(s.frames_in(), 0u);
}

// Frames of every kind, some far longer than frame_head_bytes, some above
// max, pushed in random pieces: what the observer sees and the error are
// the decoder's, the payload cut to its first bytes only past frame_head_bytes.
TEST(StreamShaper, LongFramesAreTheFramesTheDecoderFinds) {
  const std::string_view specs[] = {
      "line,max=40000",
      "line,crlf,max=40000",
      "line,max=40000,too-long=discard,eof=emit",
      "delim:\\r\\n|\\n,max=40000",
      "delim:XY|X,max=40000,too-long=discard,eof=emit",
      "delim:ABCD|BC,max=40000,keep",
      "delim:ABCDE|BC,max=40000,too-long=discard",
      "len:u16be",
      "len:u32be,max=40000",
      "len:u32be,max=40000,too-long=discard,eof=emit",
      "len:u16be,offset=2,adjust=-4,strip=1,eof=drop",
      "varint,max=40000",
      "fixed:9000,eof=emit",
  };
  std::mt19937_64 rng(2024);
  const auto below = [&](std::uint64_t n) { return static_cast<std::size_t>(rng() % n); };
  // Mostly filler; now and then a byte that may begin or end a frame.
  const std::string special("abXYABCD\r\n\0\1\2", 13);
  const auto content = [&](std::string& out, std::size_t size) {
    for (std::size_t i = 0; i < size; ++i)
      out += below(3000) == 0 ? special[below(special.size())] : 'q';
  };
  const std::string_view endings[] = {"\r\n", "\n", "X", "XY", "ABCD", "BC", "AB"};
  for (const std::string_view text : specs) {
    const framing_spec spec = test::spec_of(text);
    for (int round = 0; round < 12; ++round) {
      std::string stream;
      while (stream.size() < 150000) {
        // Sizes near frame_head_bytes and max (40000) and beyond, some small.
        const std::size_t size = below(4) == 0    ? below(100)
                                 : below(12) == 0 ? 35000 + below(10000)
                                                  : 7000 + below(28000);
        if (spec.is_length_based()) {
          const length_field& f = spec.field;
          content(stream, f.offset);
          auto value = static_cast<std::uint64_t>(static_cast<std::int64_t>(size) - f.adjust);
          if (f.width == 0) {
            for (; value >= 0x80; value >>= 7)
              stream += static_cast<char>(0x80 | (value & 0x7f));
            stream += static_cast<char>(value);
          } else {
            for (unsigned i = f.width; i-- > 0;)
              stream += static_cast<char>(i < 8 ? (value >> (8 * i)) & 0xff : 0);
          }
          content(stream, size);
        } else {
          content(stream, size);
          if (spec.kind == framing_kind::line)
            stream += below(8) == 0 ? endings[below(std::size(endings))] : "\r\n";
          else if (spec.kind == framing_kind::delimited)
            stream += endings[below(std::size(endings))];
        }
      }
      auto s = stream_shaper(disturbance{}, spec, 0);
      std::vector<seen_frame> seen;
      s.observe_frames([&](const observed_frame& f) {
        seen.push_back({f.offset, f.wire_size, f.payload_size, std::string(as_text(f.payload))});
        EXPECT_TRUE(f.payload_cut() || f.payload.size() == f.payload_size);
        if (f.wire_size <= frame_head_bytes) {
          EXPECT_FALSE(f.payload_cut());
        }
      });
      for (std::size_t at = 0; at < stream.size();) {
        const std::size_t n = std::min(stream.size() - at, 1 + below(below(3) == 0 ? 50 : 70000));
        s.push(as_bytes(std::string_view(stream).substr(at, n)), t0);
        while (s.pop(t0)) {
        }
        EXPECT_LT(s.held_bytes(), most_held_bytes) << text;
        at += n;
      }
      const bool end = round % 2 == 0;
      if (end) s.push_end(t0);
      const decode_log decoded = decode_in_pieces(spec, as_bytes(stream), {}, end);
      EXPECT_EQ(s.decode_error(), decoded.error) << text << " round " << round;
      ASSERT_EQ(seen.size(), decoded.frames.size()) << text << " round " << round;
      for (std::size_t i = 0; i < seen.size(); ++i) {
        const logged_frame& f = decoded.frames[i];
        const std::string payload(as_text(f.payload));
        EXPECT_EQ(seen[i].offset, f.offset) << text << " frame " << i;
        EXPECT_EQ(seen[i].wire_size, f.wire_size) << text << " frame " << i;
        EXPECT_EQ(seen[i].payload_size, payload.size()) << text << " frame " << i;
        EXPECT_EQ(seen[i].head, payload.substr(0, seen[i].head.size())) << text << " frame " << i;
        EXPECT_GE(seen[i].head.size(), std::min<std::size_t>(payload.size(), 4086)) << text;
      }
      EXPECT_EQ(s.frames_in(), decoded.frames.size());
    }
  }
}

// A long frame's delimiter, or the start of a longer one that may still
// match, at a push's end or at the stream's: the frames are the decoder's.
TEST(StreamShaper, LongFramesEndWhereverThePushesAreCut) {
  const std::string filler(9000, 'q');
  const std::string stream =
      filler + "ABCDq" + filler + "ABCDE" + filler + "XYX" + filler + "\r\n" + filler + "BCABCD";
  for (const std::string_view text :
       {"delim:ABCDE|BC,max=40000,eof=emit", "delim:XY|X,max=40000,eof=emit",
        "line,crlf,max=40000,eof=emit", "delim:ABCDE|BC,max=9002,too-long=discard,eof=emit"}) {
    const framing_spec spec = test::spec_of(text);
    const decode_log decoded = decode_in_pieces(spec, as_bytes(stream), {}, true);
    for (std::size_t special = 0; special < stream.size(); ++special) {
      if (stream[special] == 'q') continue;
      for (std::size_t cut = special - 5; cut <= std::min(special + 6, stream.size()); ++cut) {
        for (const std::size_t next : {1, 2, 3, 5}) {
          auto s = stream_shaper(disturbance{}, spec, 0);
          std::vector<seen_frame> seen;
          s.observe_frames([&](const observed_frame& f) {
            seen.push_back(
                {f.offset, f.wire_size, f.payload_size, std::string(as_text(f.payload))});
          });
          const std::string_view all(stream);
          s.push(as_bytes(all.substr(0, cut)), t0);
          s.push(as_bytes(all.substr(cut).substr(0, next)), t0);
          s.push(as_bytes(all.substr(std::min(all.size(), cut + next))), t0);
          s.push_end(t0);
          const std::string where =
              std::string(text) + " cut at " + std::to_string(cut) + "+" + std::to_string(next);
          EXPECT_EQ(s.decode_error(), decoded.error) << where;
          ASSERT_EQ(seen.size(), decoded.frames.size()) << where;
          for (std::size_t i = 0; i < seen.size(); ++i) {
            const logged_frame& f = decoded.frames[i];
            EXPECT_EQ(seen[i].offset, f.offset) << where << " frame " << i;
            const std::string payload(as_text(f.payload));
            EXPECT_EQ(seen[i].wire_size, f.wire_size) << where << " frame " << i;
            EXPECT_EQ(seen[i].payload_size, payload.size()) << where << " frame " << i;
            EXPECT_EQ(seen[i].head, payload.substr(0, seen[i].head.size())) << where;
          }
        }
      }
    }
  }
}

TEST(StreamShaper, NothingQueuedHasNoDueTime) {
  auto s = shaper_of("plan=bytewise");
  EXPECT_FALSE(s.next_due().has_value());
  EXPECT_FALSE(s.pop(at(0)).has_value());
  push(s, "", 0);
  EXPECT_FALSE(s.next_due().has_value());
}

} // namespace
} // namespace tcpcheck
