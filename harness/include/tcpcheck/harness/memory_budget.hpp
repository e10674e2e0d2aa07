// One memory budget for a whole process, shared by the sessions it runs at
// once.
//
// What a session holds grows with what its peer sends, not with the
// script: frames received ahead of the script, the transcript and the wire
// log. Each is bounded per session (session_options, run_options), and
// those bounds are sized for one `run`. Sixty-four fuzz cases against a
// flooding server would each fill them; so a command that runs many
// sessions at once gives each its share of one budget instead.
//
// Half the budget is cut into the sessions' shares; the other half is a
// pool. What a session holds beyond its share (a frame as large as the
// spec allows: it is judged, never refused) is borrowed from the pool, and
// a session that cannot borrow reads no more until it can: its peer waits,
// as TCP makes it, and every wait keeps its timeout. Outside the budget:
// the process itself (code, the scripts, the corpus, a report being
// written).
#pragma once

#include "tcpcheck/harness/run.hpp"

#include <atomic>
#include <cstddef>
#include <memory>

namespace tcpcheck::harness {

/// The part of a budget that no session owns, lent to the sessions that
/// hold more than their share. Thread-safe.
class memory_pool {
public:
  explicit memory_pool(std::size_t bytes) : free_(bytes) {}
  /// Takes `bytes` from the pool, all or nothing.
  bool borrow(std::size_t bytes);
  void give_back(std::size_t bytes);
  std::size_t free() const { return free_.load(); }

private:
  std::atomic<std::size_t> free_;
};

/// The default budget: 256 MiB, shared by all the sessions that run at once.
inline constexpr std::size_t default_memory_budget = std::size_t{256} << 20;

/// `options` with each peer-driven bound of its session cut to a share of
/// `budget_bytes / sessions_at_once`: a quarter of the share for bytes
/// received ahead of the script, a quarter for the frames holding them (at
/// a cost counted per frame), an eighth each for the transcript's bytes,
/// its entries, the wire log's bytes and its events. A bound is never
/// raised above what `options` says (one `run` keeps its defaults), and
/// never cut below a floor at which an ordinary conversation is still
/// judged in full.
run_options within_budget(run_options options, std::size_t budget_bytes,
                          std::size_t sessions_at_once);

/// `options` for one of `sessions_at_once` sessions that share
/// `budget_bytes`: its bounds cut to its share of half the budget
/// (within_budget), and `pool` (made with pool_for) to borrow from for what
/// it holds beyond the bytes its share lets it hold ahead of the script.
run_options sharing(run_options options, std::size_t budget_bytes, std::size_t sessions_at_once,
                    std::shared_ptr<memory_pool> pool);

/// The pool of a budget shared by sessions: its other half.
std::shared_ptr<memory_pool> pool_for(std::size_t budget_bytes);

} // namespace tcpcheck::harness
