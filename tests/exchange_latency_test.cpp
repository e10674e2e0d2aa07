// Tests for exchange_latency.hpp: exchanges read off synthetic wire logs,
// timed from the last write to the last read of the reply, summarized per
// connection and ordinal over many runs.
#include "tcpcheck/harness/exchange_latency.hpp"

#include "tcpcheck/harness/run.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace tcpcheck::harness {
namespace {

using std::chrono::microseconds;
using kind = wire_event::kind;

wire_event event(kind what, long at_us, std::size_t connection = 0) {
  wire_event e;
  e.what = what;
  e.at = microseconds(at_us);
  e.connection = connection;
  e.size = (what == kind::write || what == kind::read) ? 4 : 0;
  e.bytes = byte_buffer(e.size, 'x');
  return e;
}

wire_event write_at(long at_us, std::size_t connection = 0) {
  return event(kind::write, at_us, connection);
}

wire_event read_at(long at_us, std::size_t connection = 0) {
  return event(kind::read, at_us, connection);
}

std::vector<exchange_stats> summary_of(const std::vector<std::vector<wire_event>>& logs) {
  latency_collector collector;
  for (const auto& log : logs)
    collector.add(log);
  return collector.summarize();
}

TEST(LatencyCollector, TimesAnExchangeFromTheWriteToTheRead) {
  const auto stats = summary_of({{event(kind::connect, 0), event(kind::connected, 10),
                                  write_at(100), read_at(150), event(kind::close, 200)}});
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].connection, 0u);
  EXPECT_EQ(stats[0].ordinal, 1u);
  EXPECT_EQ(stats[0].samples, 1u);
  EXPECT_EQ(stats[0].median, microseconds(50));
  EXPECT_EQ(stats[0].p99, microseconds(50));
}

TEST(LatencyCollector, AReplyInTwoReadsIsTimedToItsLastRead) {
  const auto stats = summary_of({{write_at(100), read_at(130), read_at(180)}});
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].samples, 1u);
  EXPECT_EQ(stats[0].median, microseconds(80));
}

TEST(LatencyCollector, ASendInSeveralWritesIsTimedFromItsLastWrite) {
  const auto stats = summary_of({{write_at(100), write_at(120), write_at(140), read_at(200)}});
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].median, microseconds(60));
}

TEST(LatencyCollector, ReadsWithNoWriteBeforeThemAreNotExchanges) {
  // The server's greeting, read before the client wrote anything.
  const auto stats = summary_of({{read_at(10), read_at(20), write_at(100), read_at(130)}});
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].samples, 1u);
  EXPECT_EQ(stats[0].median, microseconds(30));

  EXPECT_TRUE(summary_of({{read_at(10), read_at(20), event(kind::peer_fin, 30)}}).empty());
}

TEST(LatencyCollector, AWriteWithNoReplyIsNotAnExchange) {
  // "exit", then the server closes without a word.
  const auto stats = summary_of({{write_at(100), read_at(140), write_at(200),
                                  event(kind::peer_fin, 260), event(kind::close, 270)}});
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].ordinal, 1u);
  EXPECT_EQ(stats[0].median, microseconds(40));
}

TEST(LatencyCollector, ExchangesOfOneConversationAreNumberedInOrder) {
  const auto stats = summary_of({{read_at(5), write_at(100), read_at(110), write_at(200),
                                  read_at(230), write_at(300), read_at(370)}});
  ASSERT_EQ(stats.size(), 3u);
  for (std::size_t i = 0; i < stats.size(); ++i) {
    EXPECT_EQ(stats[i].connection, 0u);
    EXPECT_EQ(stats[i].ordinal, i + 1);
    EXPECT_EQ(stats[i].samples, 1u);
  }
  EXPECT_EQ(stats[0].median, microseconds(10));
  EXPECT_EQ(stats[1].median, microseconds(30));
  EXPECT_EQ(stats[2].median, microseconds(70));
}

TEST(LatencyCollector, SeparateConnectionsAreSeparateSeries) {
  // Interleaved: a write on 1 between 0's write and read changes nothing on 0.
  const auto stats = summary_of({{write_at(100, 0), write_at(110, 1), read_at(150, 1),
                                  read_at(190, 0), write_at(300, 1), read_at(305, 1)}});
  ASSERT_EQ(stats.size(), 3u);
  EXPECT_EQ(stats[0].connection, 0u);
  EXPECT_EQ(stats[0].ordinal, 1u);
  EXPECT_EQ(stats[0].median, microseconds(90));
  EXPECT_EQ(stats[1].connection, 1u);
  EXPECT_EQ(stats[1].ordinal, 1u);
  EXPECT_EQ(stats[1].median, microseconds(40));
  EXPECT_EQ(stats[2].connection, 1u);
  EXPECT_EQ(stats[2].ordinal, 2u);
  EXPECT_EQ(stats[2].median, microseconds(5));
}

TEST(LatencyCollector, ManyRunsGiveAMedianAndA99thPercentile) {
  // 101 runs whose one exchange takes 1, 2, ..., 101 us, added in shuffled order.
  std::vector<long> times;
  for (long t = 1; t <= 101; ++t)
    times.push_back(t);
  std::mt19937 shuffle(7);
  std::shuffle(times.begin(), times.end(), shuffle);

  latency_collector collector;
  for (const long t : times)
    collector.add({write_at(1000), read_at(1000 + t)});
  const auto stats = collector.summarize();
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].samples, 101u);
  EXPECT_EQ(stats[0].median, microseconds(51)); // the middle one of 101
  EXPECT_EQ(stats[0].p99, microseconds(100));   // the 100th of 101 (nearest rank)
}

TEST(LatencyCollector, AnOutlierMovesTheP99ButNotTheMedian) {
  latency_collector collector;
  for (int run = 0; run < 99; ++run)
    collector.add({write_at(0), read_at(20)});
  collector.add({write_at(0), read_at(40000)});
  collector.add({write_at(0), read_at(40000)});
  const auto stats = collector.summarize();
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].samples, 101u);
  EXPECT_EQ(stats[0].median, microseconds(20));
  EXPECT_EQ(stats[0].p99, microseconds(40000));
  EXPECT_LT(stats[0].median, slow_exchange);
}

TEST(LatencyCollector, EachExchangeOfManyRunsIsSummarizedApart) {
  latency_collector collector;
  for (int run = 0; run < 5; ++run)
    collector.add({write_at(0), read_at(10 + run), write_at(100), read_at(200), write_at(0, 1),
                   read_at(7, 1)});
  const auto stats = collector.summarize();
  ASSERT_EQ(stats.size(), 3u);
  EXPECT_EQ(stats[0].connection, 0u);
  EXPECT_EQ(stats[0].ordinal, 1u);
  EXPECT_EQ(stats[0].samples, 5u);
  EXPECT_EQ(stats[0].median, microseconds(12));
  EXPECT_EQ(stats[1].ordinal, 2u);
  EXPECT_EQ(stats[1].median, microseconds(100));
  EXPECT_EQ(stats[2].connection, 1u);
  EXPECT_EQ(stats[2].samples, 5u);
  EXPECT_EQ(stats[2].median, microseconds(7));
}

TEST(LatencyCollector, NothingCollectedSummarizesToNothing) {
  EXPECT_TRUE(latency_collector{}.summarize().empty());
  EXPECT_TRUE(summary_of({{}}).empty());
  EXPECT_TRUE(summary_of({{write_at(10), write_at(20)}}).empty());
}

// Nagle's pattern: the reply's first piece at once, the next a delayed ACK
// (40 ms) later. Counted per sample; the reply in one late piece is not it.
TEST(LatencyCollector, CountsRepliesWhosePiecesAreHeldBackByADelayedAck) {
  latency_collector collector;
  for (int run = 0; run < 3; ++run) // at once, then 40 ms later
    collector.add({write_at(0), read_at(50), read_at(40050)});
  collector.add({write_at(0), read_at(40000)});                 // one late piece
  collector.add({write_at(0), read_at(50), read_at(600)});      // pieces close together
  collector.add({write_at(0), read_at(35000), read_at(75000)}); // a late first piece
  const auto stats = collector.summarize();
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].samples, 6u);
  EXPECT_EQ(stats[0].held_back, 3u);
}

TEST(SlowExchange, NagleIsNamedOnlyWhenMostSamplesShowItsPattern) {
  exchange_stats nagle{.median = std::chrono::milliseconds(40), .samples = 10, .held_back = 9};
  const std::string why = explain_slow_exchange(nagle);
  EXPECT_NE(why.find("Nagle"), std::string::npos) << why;
  EXPECT_NE(why.find("TCP_NODELAY"), std::string::npos) << why;

  // PostgreSQL's first exchange: a backend started, the reply in one write.
  exchange_stats slow{.median = std::chrono::milliseconds(40), .samples = 10, .held_back = 2};
  const std::string other = explain_slow_exchange(slow);
  EXPECT_NE(other.find("slow to answer"), std::string::npos) << other;
  EXPECT_EQ(other.find("TCP_NODELAY"), std::string::npos) << other;
}

} // namespace
} // namespace tcpcheck::harness
