// Tests for proxy/disturbance.hpp: the words, their errors, and the canonical form.
#include "tcpcheck/proxy/disturbance.hpp"

#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace tcpcheck {
namespace {

disturbance parsed(std::string_view text) {
  std::string error;
  const auto d = parse_disturbance(text, error);
  if (!d) throw std::invalid_argument("'" + std::string(text) + "': " + error);
  return *d;
}

/// The error `text` is refused with; fails the test when it parses.
std::string refusal(std::string_view text) {
  std::string error;
  const auto d = parse_disturbance(text, error);
  EXPECT_FALSE(d.has_value()) << "'" << text << "' parsed as '" << to_string(*d) << "'";
  EXPECT_FALSE(error.empty());
  return error;
}

TEST(Disturbance, EmptyTextIsNone) {
  EXPECT_TRUE(parsed("").is_none());
  EXPECT_TRUE(parsed("   ").is_none());
  EXPECT_EQ(to_string(disturbance{}), "");
}

TEST(Disturbance, ParsesEveryWord) {
  const disturbance d = parsed("plan=chunk:3 latency=20ms jitter=5ms rate=64k stall=1000:2s "
                               "reset-after=100");
  EXPECT_EQ(d.plan.what, delivery_plan::kind::chunk);
  EXPECT_EQ(d.plan.chunk, 3u);
  EXPECT_EQ(d.latency, duration(20));
  EXPECT_EQ(d.jitter, duration(5));
  EXPECT_EQ(d.rate, 64u * 1024);
  ASSERT_TRUE(d.stall.has_value());
  EXPECT_EQ(d.stall->after_bytes, 1000u);
  EXPECT_EQ(d.stall->length, duration(2000));
  EXPECT_EQ(d.end, disturbance::ending::reset);
  EXPECT_FALSE(d.end_counts_frames);
  EXPECT_EQ(d.end_after, 100u);
  EXPECT_FALSE(d.blackhole);
  EXPECT_FALSE(d.is_none());
}

TEST(Disturbance, ParsesEachProxyPlan) {
  EXPECT_EQ(parsed("plan=whole").plan.what, delivery_plan::kind::whole);
  EXPECT_EQ(parsed("plan=bytewise").plan.what, delivery_plan::kind::bytewise);
  EXPECT_EQ(parsed("plan=random:42").plan.seed, 42u);
  EXPECT_EQ(parsed("plan=split-header").plan.what, delivery_plan::kind::split_header);
  EXPECT_EQ(parsed("plan=merged").plan.what, delivery_plan::kind::merged);
  EXPECT_TRUE(parsed("plan=whole").is_none()) << "whole is what a proxy does anyway";
}

TEST(Disturbance, ParsesEachEnding) {
  struct expected {
    std::string_view text;
    disturbance::ending end;
    bool frames;
  };
  const expected cases[] = {
      {"close-after=7", disturbance::ending::close, false},
      {"reset-after=7", disturbance::ending::reset, false},
      {"half-close-after=7", disturbance::ending::half_close, false},
      {"close-after-frame=7", disturbance::ending::close, true},
      {"reset-after-frame=7", disturbance::ending::reset, true},
      {"half-close-after-frame=7", disturbance::ending::half_close, true},
  };
  for (const auto& c : cases) {
    const disturbance d = parsed(c.text);
    EXPECT_EQ(d.end, c.end) << c.text;
    EXPECT_EQ(d.end_counts_frames, c.frames) << c.text;
    EXPECT_EQ(d.end_after, 7u) << c.text;
    EXPECT_EQ(to_string(d), c.text);
  }
}

TEST(Disturbance, SizesTakeBinarySuffixes) {
  EXPECT_EQ(parsed("rate=512").rate, 512u);
  EXPECT_EQ(parsed("rate=2k").rate, 2048u);
  EXPECT_EQ(parsed("rate=3M").rate, 3u * 1024 * 1024);
  EXPECT_EQ(parsed("close-after=1k").end_after, 1024u);
  EXPECT_EQ(parsed("stall=4k:1s").stall->after_bytes, 4096u);
  EXPECT_EQ(parsed("stall=0:1s").stall->after_bytes, 0u) << "a stall before the first byte";
}

TEST(Disturbance, DurationsAreWrittenAsInScripts) {
  EXPECT_EQ(parsed("latency=250ms").latency, duration(250));
  EXPECT_EQ(parsed("latency=2s").latency, duration(2000));
  EXPECT_EQ(parsed("latency=0ms").latency, duration(0));
  EXPECT_EQ(parsed("latency=600s").latency, longest_disturbance_delay);
  EXPECT_EQ(parsed("jitter=600000ms").jitter, longest_disturbance_delay);
}

TEST(Disturbance, WordsMaySitBetweenSeveralSpaces) {
  EXPECT_EQ(parsed("  latency=5ms \t plan=bytewise  "), parsed("plan=bytewise latency=5ms"));
}

TEST(Disturbance, BlackholeIsABareFlag) {
  const disturbance d = parsed("blackhole");
  EXPECT_TRUE(d.blackhole);
  EXPECT_EQ(to_string(d), "blackhole");
}

TEST(Disturbance, RefusesErrorsNamingTheWord) {
  struct refused {
    std::string_view text;
    std::string_view word;   // the error names it
    std::string_view reason; // and says this
  };
  const refused cases[] = {
      {"latency=5ms lag=3ms", "'lag=3ms'", "unknown key"},
      {"latency=5ms latency=6ms", "'latency=6ms'", "twice"},
      {"close-after=5 reset-after=5", "'reset-after=5'", "second ending"},
      {"close-after=5 close-after-frame=2", "'close-after-frame=2'", "second ending"},
      {"latency=601s", "'latency=601s'", "at most 10 minutes"},
      {"jitter=600001ms", "'jitter=600001ms'", "at most 10 minutes"},
      {"stall=10:601s", "'stall=10:601s'", "at most 10 minutes"},
      {"latency=5", "'latency=5'", "250ms or 2s"},
      {"latency=1.5s", "'latency=1.5s'", "250ms or 2s"},
      {"latency=-1ms", "'latency=-1ms'", "250ms or 2s"},
      {"plan=pipeline", "'plan=pipeline'", "no meaning in a proxy"},
      {"plan=sideways", "'plan=sideways'", "unknown plan (plans: whole, bytewise"},
      {"plan=chunk:0", "'plan=chunk:0'", "chunk needs a size"},
      {"plan=random", "'plan=random'", "random needs a seed"},
      {"plan=merged:3", "'plan=merged:3'", "takes no argument"},
      {"rate=0", "'rate=0'", "at least 1"},
      {"rate=5G", "'rate=5G'", "64k"},
      {"rate=20000000000000M", "'rate=20000000000000M'", "64k"},
      {"close-after=0", "'close-after=0'", "at least 1"},
      {"reset-after-frame=2k", "'reset-after-frame=2k'", "frame count"},
      {"stall=1000", "'stall=1000'", "1000:2s"},
      {"stall=1000:0ms", "'stall=1000:0ms'", "at least 1ms"},
      {"latency", "'latency'", "key=value"},
      {"blackhole=yes", "'blackhole=yes'", "no value"},
      {"blackhole latency=5ms", "'blackhole'", "no other word"},
  };
  for (const auto& c : cases) {
    const std::string error = refusal(c.text);
    EXPECT_NE(error.find(c.word), std::string::npos) << c.text << ": " << error;
    EXPECT_NE(error.find(c.reason), std::string::npos) << c.text << ": " << error;
  }
}

TEST(Disturbance, CanonicalWordsComeInAFixedOrder) {
  EXPECT_EQ(to_string(parsed("reset-after=64k stall=2048:1000ms rate=1048576 jitter=5ms "
                             "latency=2000ms plan=bytewise")),
            "plan=bytewise latency=2s jitter=5ms rate=1M stall=2k:1s reset-after=64k");
}

/// A disturbance drawn from `rng`, valid for parse_disturbance.
disturbance random_disturbance(std::mt19937_64& rng) {
  const auto pick = [&](std::uint64_t below) { return rng() % below; };
  // Numbers with many digits and round ones alike, so suffixes are printed.
  const auto count = [&] {
    const std::uint64_t n = pick(2) ? rng() >> pick(64) : (pick(5000) + 1) << (10 * pick(3));
    return n == 0 ? 1 : n;
  };
  disturbance d;
  if (pick(3) == 0) {
    d.blackhole = true;
    return d;
  }
  static constexpr delivery_plan::kind plans[] = {
      delivery_plan::kind::whole,  delivery_plan::kind::bytewise,
      delivery_plan::kind::chunk,  delivery_plan::kind::random,
      delivery_plan::kind::merged, delivery_plan::kind::split_header};
  d.plan.what = plans[pick(std::size(plans))];
  if (d.plan.what == delivery_plan::kind::chunk) d.plan.chunk = count() % 100000 + 1;
  if (d.plan.what == delivery_plan::kind::random) d.plan.seed = rng();
  const auto delay = [&] {
    const auto limit = static_cast<std::uint64_t>(longest_disturbance_delay.count());
    return duration(static_cast<duration::rep>(pick(2) ? pick(limit + 1) : pick(601) * 1000));
  };
  if (pick(2)) d.latency = delay();
  if (pick(2)) d.jitter = delay();
  if (pick(2)) d.rate = count();
  if (pick(2)) d.stall = disturbance::stall_point{count() - 1, duration(pick(600000) + 1)};
  if (pick(2)) {
    d.end = static_cast<disturbance::ending>(pick(3) + 1);
    d.end_counts_frames = pick(2) != 0;
    d.end_after = count();
  }
  return d;
}

TEST(Disturbance, FrameEndingsConflictWithRawFraming) {
  const framing_spec raw;
  EXPECT_EQ(disturbance_conflict(parsed("close-after-frame=3"), raw),
            "close-after-frame needs a framing with frames: raw has none (give --framing)");
  EXPECT_EQ(disturbance_conflict(parsed("reset-after-frame=1 latency=5ms"), raw),
            "reset-after-frame needs a framing with frames: raw has none (give --framing)");
  EXPECT_EQ(disturbance_conflict(parsed("half-close-after-frame=2"), raw),
            "half-close-after-frame needs a framing with frames: raw has none (give --framing)");
}

TEST(Disturbance, EverythingElseWorksUnderEveryFraming) {
  spec_error error;
  const auto line = parse_framing_spec("line", error);
  ASSERT_TRUE(line.has_value());
  EXPECT_EQ(disturbance_conflict(parsed("close-after-frame=3"), *line), "");
  for (const std::string_view words : {"", "close-after=3", "reset-after=1k", "plan=split-header",
                                       "plan=merged rate=1k", "stall=10:1s", "blackhole"}) {
    EXPECT_EQ(disturbance_conflict(parsed(words), framing_spec{}), "") << words;
    EXPECT_EQ(disturbance_conflict(parsed(words), *line), "") << words;
  }
}

TEST(Disturbance, CanonicalWordsParseBackToTheSameValue) {
  std::mt19937_64 rng(20240615);
  for (int i = 0; i < 5000; ++i) {
    const disturbance d = random_disturbance(rng);
    const std::string text = to_string(d);
    std::string error;
    const auto back = parse_disturbance(text, error);
    ASSERT_TRUE(back.has_value()) << "'" << text << "': " << error;
    EXPECT_EQ(*back, d) << "'" << text << "' became '" << to_string(*back) << "'";
    EXPECT_EQ(to_string(*back), text);
  }
}

} // namespace
} // namespace tcpcheck
