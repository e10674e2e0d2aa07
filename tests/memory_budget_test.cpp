// Tests for memory_budget.hpp: one session keeps one run's bounds; many
// sessions share the budget without any of them exceeding its share; the
// floors hold however many share it.
#include "tcpcheck/harness/memory_budget.hpp"
// (first, apart: it proves memory_budget.hpp self-contained)

#include <cstddef>

#include <gtest/gtest.h>

namespace tcpcheck::harness {
namespace {

constexpr std::size_t mib = std::size_t{1} << 20;

// What a session may hold by its bounds, each entry counted at the cost
// the budget assumes for it.
std::size_t most_held(const run_options& o) {
  constexpr std::size_t per_entry = 128;
  return o.session.most_unread_bytes + o.session.most_unread_frames * per_entry +
         o.session.transcript_bytes + o.session.transcript_entries * per_entry + o.wire_log_bytes +
         o.wire_log_events * per_entry;
}

TEST(MemoryBudget, OneSessionKeepsTheBoundsOfOneRun) {
  const run_options defaults;
  const run_options one = within_budget(defaults, default_memory_budget, 1);
  EXPECT_EQ(one.session.most_unread_bytes, defaults.session.most_unread_bytes);
  EXPECT_EQ(one.session.most_unread_frames, defaults.session.most_unread_frames);
  EXPECT_EQ(one.session.transcript_bytes, defaults.session.transcript_bytes);
  EXPECT_EQ(one.session.transcript_entries, defaults.session.transcript_entries);
  EXPECT_EQ(one.wire_log_bytes, defaults.wire_log_bytes);
  EXPECT_EQ(one.wire_log_events, defaults.wire_log_events);
}

TEST(MemoryBudget, SessionsAtOnceTogetherStayWithinTheBudget) {
  for (const std::size_t sessions : {8u, 64u, 256u}) {
    const run_options shared = within_budget(run_options{}, default_memory_budget, sessions);
    EXPECT_LE(most_held(shared) * sessions, default_memory_budget) << sessions << " sessions";
    EXPECT_LT(shared.session.most_unread_bytes, run_options{}.session.most_unread_bytes)
        << sessions << " sessions";
  }
}

TEST(MemoryBudget, ABoundIsNeverRaisedAboveWhatTheOptionsSay) {
  run_options tight;
  tight.session.most_unread_bytes = 1000;
  tight.wire_log_events = 10;
  const run_options shared = within_budget(tight, 64 * default_memory_budget, 1);
  EXPECT_EQ(shared.session.most_unread_bytes, 1000u);
  EXPECT_EQ(shared.wire_log_events, 10u);
}

TEST(MemoryBudget, TheFloorsHoldHoweverManyShareIt) {
  const run_options shared = within_budget(run_options{}, mib, 100000);
  EXPECT_EQ(shared.session.most_unread_bytes, 64u << 10);
  EXPECT_EQ(shared.session.most_unread_frames, 1024u);
  EXPECT_EQ(shared.session.transcript_bytes, 16u << 10);
  EXPECT_EQ(shared.session.transcript_entries, 256u);
  EXPECT_EQ(shared.wire_log_bytes, 16u << 10);
  EXPECT_EQ(shared.wire_log_events, 512u);
  // Zero sessions at once is read as one.
  EXPECT_EQ(within_budget(run_options{}, mib, 0).session.most_unread_bytes, mib / 4);
}

TEST(MemoryBudget, SharingCutsHalfTheBudgetIntoSharesAndLendsTheOtherHalf) {
  const auto pool = pool_for(default_memory_budget);
  EXPECT_EQ(pool->free(), default_memory_budget / 2);
  const run_options shared = sharing(run_options{}, default_memory_budget, 64, pool);
  EXPECT_EQ(shared.pool, pool);
  EXPECT_EQ(shared.own_bytes, shared.session.most_unread_bytes);
  EXPECT_LE(most_held(shared) * 64, default_memory_budget / 2);
}

TEST(MemoryPool, LendsAllOrNothingAndTakesItBack) {
  memory_pool pool(100);
  EXPECT_TRUE(pool.borrow(60));
  EXPECT_FALSE(pool.borrow(41)) << "nothing is lent in part";
  EXPECT_EQ(pool.free(), 40u);
  EXPECT_TRUE(pool.borrow(40));
  pool.give_back(100);
  EXPECT_EQ(pool.free(), 100u);
}

} // namespace
} // namespace tcpcheck::harness
