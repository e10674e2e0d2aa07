// Tests for harness/src/session_timers.hpp: a session's timers on one Asio
// timer fire earliest first, a later timer does not set the wait anew, a
// wait set anew aborts the one before, and cancel() drops them all.
#include "session_timers.hpp"

#include <chrono>
#include <cstdint>
#include <system_error>
#include <vector>

#include <asio.hpp>
#include <gtest/gtest.h>

namespace tcpcheck::harness {
namespace {

using namespace std::chrono_literals;

// An io_context and the timers on its strand, and what fired, in order.
struct timers_fixture {
  asio::io_context io;
  runner_strand strand = asio::make_strand(io);
  session_timers timers{strand};
  std::vector<std::uint64_t> fired;
  std::vector<std::error_code> wait_results;

  // Waits, and on each wait's end takes the timers due and waits again,
  // as the runner's driver does.
  void wait() {
    timers.wait([this](std::error_code ec) {
      wait_results.push_back(ec);
      if (ec) return;
      std::vector<std::uint64_t> due;
      timers.take_due(due);
      fired.insert(fired.end(), due.begin(), due.end());
      if (timers.needs_wait()) wait();
    });
  }

  // Runs the io_context until nothing is left, at most two seconds.
  void run() { io.run_for(2s); }
};

TEST(SessionTimers, FireEarliestFirstWhateverOrderTheyWereStartedIn) {
  timers_fixture f;
  EXPECT_TRUE(f.timers.add(1, 30ms)); // nothing waits yet
  f.wait();
  EXPECT_TRUE(f.timers.add(2, 10ms)); // due before the wait: set anew
  f.wait();
  EXPECT_FALSE(f.timers.add(3, 20ms)); // due after it: only kept
  f.run();
  EXPECT_EQ(f.fired, (std::vector<std::uint64_t>{2, 3, 1}));
  EXPECT_FALSE(f.timers.needs_wait());
}

TEST(SessionTimers, AWaitSetAnewAbortsTheOneBefore) {
  timers_fixture f;
  f.timers.add(1, 200ms);
  f.wait();
  f.timers.add(2, 5ms);
  f.wait();
  f.run();
  ASSERT_GE(f.wait_results.size(), 2u);
  EXPECT_EQ(f.wait_results.front(), asio::error::operation_aborted);
  EXPECT_EQ(f.fired, (std::vector<std::uint64_t>{2, 1}));
}

TEST(SessionTimers, NothingIsDueBeforeItsTime) {
  timers_fixture f;
  f.timers.add(1, 0ms);
  f.timers.add(2, 10s);
  std::vector<std::uint64_t> due;
  f.timers.take_due(due);
  EXPECT_EQ(due, (std::vector<std::uint64_t>{1}));
  EXPECT_TRUE(f.timers.needs_wait()) << "timer 2 is still pending and nothing waits for it";
}

TEST(SessionTimers, ADelayPastTheClocksRangeWaitsForEver) {
  timers_fixture f;
  f.timers.add(1, std::chrono::milliseconds::max());
  f.timers.add(2, 1ms);
  f.wait();
  f.io.run_for(200ms);
  EXPECT_EQ(f.fired, (std::vector<std::uint64_t>{2}));
  EXPECT_FALSE(f.timers.needs_wait()) << "timer 1 is waited for, at the end of time";
}

TEST(SessionTimers, CancelDropsEveryTimerAndTheWait) {
  timers_fixture f;
  f.timers.add(1, 5ms);
  f.timers.add(2, 10ms);
  f.wait();
  f.timers.cancel();
  EXPECT_FALSE(f.timers.needs_wait());
  f.run();
  EXPECT_TRUE(f.fired.empty());
  ASSERT_EQ(f.wait_results.size(), 1u);
  EXPECT_EQ(f.wait_results.front(), asio::error::operation_aborted);
}

} // namespace
} // namespace tcpcheck::harness
