// Sharing the process's memory budget among the sessions run at once.
#include "tcpcheck/harness/memory_budget.hpp"

#include <algorithm>

namespace tcpcheck::harness {

namespace {

// What one more queued frame, transcript entry or wire event costs beyond
// its payload: its record in a container and an allocation's overhead.
constexpr std::size_t cost_per_entry = 128;

// Cuts `bound` to `share`, but never below `floor` (nor raises it).
void cut(std::size_t& bound, std::size_t share, std::size_t floor) {
  bound = std::min(bound, std::max(share, floor));
}

} // namespace

bool memory_pool::borrow(std::size_t bytes) {
  std::size_t free = free_.load();
  do {
    if (free < bytes) return false;
  } while (!free_.compare_exchange_weak(free, free - bytes));
  return true;
}

void memory_pool::give_back(std::size_t bytes) {
  free_ += bytes;
}

run_options sharing(run_options options, std::size_t budget_bytes, std::size_t sessions_at_once,
                    std::shared_ptr<memory_pool> pool) {
  options = within_budget(std::move(options), budget_bytes / 2, sessions_at_once);
  options.own_bytes = options.session.most_unread_bytes;
  options.pool = std::move(pool);
  return options;
}

std::shared_ptr<memory_pool> pool_for(std::size_t budget_bytes) {
  return std::make_shared<memory_pool>(budget_bytes - budget_bytes / 2);
}

run_options within_budget(run_options options, std::size_t budget_bytes,
                          std::size_t sessions_at_once) {
  const std::size_t share = budget_bytes / std::max<std::size_t>(1, sessions_at_once);
  const std::size_t quarter = share / 4, eighth = share / 8;
  session_options& s = options.session;
  cut(s.most_unread_bytes, quarter, std::size_t{64} << 10);
  cut(s.most_unread_frames, quarter / cost_per_entry, 1024);
  cut(s.transcript_bytes, eighth, std::size_t{16} << 10);
  cut(s.transcript_entries, eighth / cost_per_entry, 256);
  cut(options.wire_log_bytes, eighth, std::size_t{16} << 10);
  cut(options.wire_log_events, eighth / cost_per_entry, 512);
  return options;
}

} // namespace tcpcheck::harness
