// The timers a session asks for, on one Asio timer set to the earliest.
//
// A session starts a timer at every expect and seldom lets one fire: a
// greeting conversation starts five and ends long before the first is
// due. An Asio timer each cost a timer object, a map node, a wait and a
// cancelled handler per expect, and the reactor's timerfd was set anew as
// sessions came and went. Here the session's timers are a heap of
// deadlines, and the one Asio timer waits for the earliest; a timer due
// later than that one costs a push on the heap.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

#include <asio.hpp>

#include "runner_strand.hpp"

namespace tcpcheck::harness {

class session_timers {
public:
  using clock = std::chrono::steady_clock;

  explicit session_timers(const runner_strand& strand) : timer_(strand) {}

  /// Adds timer `id`, due `delay` from now. True when the Asio timer must
  /// wait anew (wait()): none waits, or this timer is due before it.
  bool add(std::uint64_t id, std::chrono::milliseconds delay) {
    const clock::time_point now = clock::now();
    // Saturated: a delay past the clock's range is a wait for ever.
    const auto room =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock::time_point::max() - now);
    const clock::time_point due = delay >= room ? clock::time_point::max() : now + delay;
    pending_.push_back({due, id});
    std::push_heap(pending_.begin(), pending_.end(), later);
    return !waiting_ || due < waiting_for_;
  }

  /// Whether timers are pending and nothing waits for them.
  bool needs_wait() const { return !waiting_ && !pending_.empty(); }

  /// Waits for the earliest pending timer; `handler(std::error_code)` runs
  /// on the strand then. A wait set anew cancels the one before, whose
  /// handler gets operation_aborted (and must do nothing).
  template <class Handler>
  void wait(Handler&& handler) {
    waiting_for_ = pending_.front().due;
    waiting_ = true;
    timer_.expires_at(waiting_for_);
    timer_.async_wait(std::forward<Handler>(handler));
  }

  /// After a wait that ended without an error: the timers due now, the
  /// earliest first, taken off. Nothing waits after this (needs_wait()).
  void take_due(std::vector<std::uint64_t>& ids) {
    ids.clear();
    waiting_ = false;
    const clock::time_point now = clock::now();
    while (!pending_.empty() && pending_.front().due <= now) {
      std::pop_heap(pending_.begin(), pending_.end(), later);
      ids.push_back(pending_.back().id);
      pending_.pop_back();
    }
  }

  /// Drops every timer, and the wait.
  void cancel() {
    timer_.cancel();
    pending_.clear();
    waiting_ = false;
  }

private:
  struct pending_timer {
    clock::time_point due;
    std::uint64_t id;
  };
  // A min-heap by deadline; of two timers due at once, the one started
  // first fires first.
  static bool later(const pending_timer& a, const pending_timer& b) {
    return a.due != b.due ? a.due > b.due : a.id > b.id;
  }

  asio::steady_timer timer_;
  std::vector<pending_timer> pending_;
  clock::time_point waiting_for_{};
  bool waiting_ = false;
};

} // namespace tcpcheck::harness
