// What the UDP matrix judges from a run's wire log once its script passed:
// whether an answer shows its datagram truncated, and how much larger the
// answers are than the requests (check_case::truncation_probe and
// check_case::amplification_limit).
#pragma once

#include "tcpcheck/bytes.hpp"
#include "tcpcheck/harness/run.hpp"

#include <optional>
#include <string>
#include <vector>

namespace tcpcheck::harness {

/// Why the answer to `datagram` shows it truncated: it repeats bytes from
/// the datagram's start (offset 512 on) but not its last 16 bytes, as a
/// server that reads through a smaller buffer echoes it. nullopt when the
/// answer repeats the end too, or nothing of the datagram (no echo: there
/// is nothing to tell), or when the wire log did not keep all its bytes.
std::optional<std::string> truncated_echo(byte_view datagram, const std::vector<wire_event>& log);

/// The same for a client under test, from what it printed (`role server`:
/// tcpcheck sent `datagram` as a reply).
std::optional<std::string> truncated_in_output(byte_view datagram, std::string_view output);

/// Requests sent one after another on a socket, and what came back on it
/// before the next request that follows an answer.
struct exchange_volume {
  std::size_t connection = 0;
  std::size_t request_bytes = 0;
  std::size_t request_datagrams = 0;
  std::size_t answer_bytes = 0;
  std::size_t answer_datagrams = 0;
};

/// The exchanges of the log, connection by connection, in order.
std::vector<exchange_volume> exchange_volumes(const std::vector<wire_event>& log);

struct amplification_verdict {
  double worst = 0;    ///< the largest answer/request ratio, bytes or datagrams
  bool warn = false;   ///< some answer larger than its request
  bool fail = false;   ///< some answer more than `limit` times its request
  std::string summary; ///< the worst exchange, in words
};

/// Judges the exchanges of `log` against `limit` (an empty request counts
/// as one byte: an answer of two bytes or more to it amplifies).
amplification_verdict judge_amplification(const std::vector<wire_event>& log, double limit);

} // namespace tcpcheck::harness
