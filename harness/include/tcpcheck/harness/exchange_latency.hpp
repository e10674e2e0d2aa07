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
  };
  std::vector<series> series_;
};

/// Exchanges slow enough to point at Nagle and delayed ACK: a median of
/// `slow` or more on loopback.
inline constexpr std::chrono::milliseconds slow_exchange{20};

/// "the reply to a send arrives after ~40 ms: likely a reply written in
/// several small writes with Nagle's algorithm on (no TCP_NODELAY), each
/// waiting for the client's delayed ACK"
std::string explain_slow_exchange();

} // namespace tcpcheck::harness
