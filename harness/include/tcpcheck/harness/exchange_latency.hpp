// Exchange latency: the time from a client's send to the last byte of the
// server's reply, read off wire logs, and the one loopback pattern that
// makes it slow for no good reason.
//
// On loopback a reply takes tens of microseconds. One that keeps taking
// about 40 ms is the classic meeting of Nagle's algorithm (a server writing
// its reply in several small writes without TCP_NODELAY holds the second
// back until the first is acknowledged) and the client's delayed ACK.
#pragma once

#include "tcpcheck/harness/run.hpp"

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace tcpcheck::harness {

/// The n-th exchange of a conversation over many runs: the send that
/// opened it on a connection, numbered from 1, and its times.
struct exchange_stats {
  std::size_t connection = 0;
  std::size_t ordinal = 0; ///< 1: the first write then read on that connection
  std::chrono::microseconds median{0};
  std::chrono::microseconds p99{0};
  std::size_t samples = 0;
  /// Samples whose reply came in pieces, a prompt first piece and a later
  /// one held back for about a delayed ACK (Nagle's pattern).
  std::size_t held_back = 0;
};

/// Collects exchanges from wire logs: on each connection, writes followed
/// by reads are one exchange, timed from the last write to the last read
/// before the next write.
class latency_collector {
public:
  void add(const std::vector<wire_event>& log);
  std::vector<exchange_stats> summarize() const;

private:
  struct series {
    std::size_t connection = 0;
    std::size_t ordinal = 0;
    std::vector<std::chrono::microseconds> times;
    std::size_t held_back = 0;
  };
  std::vector<series> series_;
};

/// Exchanges slow enough to point at Nagle and delayed ACK: a median of
/// `slow` or more on loopback.
inline constexpr std::chrono::milliseconds slow_exchange{20};

/// The pause between two pieces of one reply that a delayed ACK explains:
/// Linux delays an ACK by 40 ms at least and 200 ms at most.
inline constexpr std::chrono::milliseconds held_back_least{30};
inline constexpr std::chrono::milliseconds held_back_most{250};

/// Why an exchange is slow. Nagle's algorithm with the client's delayed
/// ACK only when most of its samples show the pattern (a reply in pieces,
/// the later held back about 40 ms); otherwise the server is slow to
/// answer, for a reason the wire cannot tell.
std::string explain_slow_exchange(const exchange_stats& slow);

} // namespace tcpcheck::harness
