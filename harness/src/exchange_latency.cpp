// Exchange latency from wire logs.
#include "tcpcheck/harness/exchange_latency.hpp"

#include <algorithm>
#include <map>
#include <optional>

namespace tcpcheck::harness {

void latency_collector::add(const std::vector<wire_event>& log) {
  // An exchange: writes, then reads, on one connection. It is timed from
  // its last write to its last read: a reply that comes in two pieces, the
  // second held back by Nagle, counts as slow.
  struct connection_state {
    std::optional<std::chrono::microseconds> last_write;
    std::optional<std::chrono::microseconds> first_read, last_read; // of the reply to last_write
    bool held_back = false; // a piece of the reply came a delayed ACK after the one before
    std::size_t exchanges = 0;
  };
  std::map<std::size_t, connection_state> connections;
  const auto record = [&](std::size_t connection, connection_state& c) {
    if (!c.last_write || !c.last_read) return;
    const std::size_t ordinal = ++c.exchanges;
    auto it = std::find_if(series_.begin(), series_.end(), [&](const series& s) {
      return s.connection == connection && s.ordinal == ordinal;
    });
    if (it == series_.end()) it = series_.insert(series_.end(), {connection, ordinal, {}});
    it->times.push_back(*c.last_read - *c.last_write);
    it->held_back += c.held_back ? 1 : 0;
  };
  for (const auto& e : log) {
    auto& c = connections[e.connection];
    if (e.what == wire_event::kind::write) {
      if (c.last_read) {
        record(e.connection, c);
        c.first_read.reset();
        c.last_read.reset();
        c.held_back = false;
      }
      c.last_write = e.at;
    } else if (e.what == wire_event::kind::read && c.last_write) {
      // Nagle's pattern: the first piece comes at once, a later one after
      // a pause of a delayed ACK.
      if (c.last_read) {
        const auto pause = e.at - *c.last_read;
        const bool prompt_first = *c.first_read - *c.last_write < held_back_least;
        c.held_back =
            c.held_back || (prompt_first && pause >= held_back_least && pause <= held_back_most);
      } else {
        c.first_read = e.at;
      }
      c.last_read = e.at;
    }
  }
  for (auto& [connection, c] : connections)
    record(connection, c);
}

std::vector<exchange_stats> latency_collector::summarize() const {
  std::vector<exchange_stats> out;
  for (const auto& s : series_) {
    auto times = s.times;
    std::sort(times.begin(), times.end());
    const auto at = [&](double q) {
      return times[std::min(times.size() - 1, static_cast<std::size_t>(q * times.size()))];
    };
    out.push_back({s.connection, s.ordinal, at(0.5), at(0.99), times.size(), s.held_back});
  }
  std::sort(out.begin(), out.end(), [](const exchange_stats& a, const exchange_stats& b) {
    return a.connection != b.connection ? a.connection < b.connection : a.ordinal < b.ordinal;
  });
  return out;
}

std::string explain_slow_exchange(const exchange_stats& slow) {
  if (slow.held_back * 2 > slow.samples)
    return "the reply comes in pieces, the later held back about 40 ms: most likely a reply "
           "written in several small writes with Nagle's algorithm on (no TCP_NODELAY on the "
           "server's socket), each waiting for the client's delayed ACK";
  return "the server is slow to answer (the reply does not come in pieces held back by a "
         "delayed ACK, so not Nagle's algorithm: a worker or process started for the "
         "connection, a lookup, a deliberate delay)";
}

} // namespace tcpcheck::harness
