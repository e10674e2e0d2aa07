// boundary/slow-reader: the seed articles' "partial send" from the
// server's side. A server that writes with one send() and ignores how much
// it took loses the rest as soon as its socket buffer is full, which a
// quick reader on loopback never lets happen. The case makes the server's
// answers add up to more than its buffers hold, while tcpcheck reads them
// slowly through a small receive buffer (check_case::slow_reader).
// Internal to the core (the server matrix).
#pragma once

#include "tcpcheck/framing_spec.hpp"
#include "tcpcheck/script.hpp"

#include <cstddef>
#include <optional>
#include <vector>

namespace tcpcheck::detail {

struct slow_reader_limits {
  /// The answers' total, and one text's most: more than Linux's largest
  /// send buffer on loopback (tcp_wmem's 4 MiB) and the reader's window
  /// together. A server that waits until its socket is writable and then
  /// sends once is caught only by an answer larger than the room a
  /// writable socket has (a third of its buffer): one answer of 8 MiB
  /// where the spec allows it.
  static constexpr std::size_t total_bytes = std::size_t{8} << 20;
  /// Below this a request would have to be repeated too often.
  static constexpr std::size_t smallest_text = std::size_t{4} << 10;
};

/// The baseline with main's first echo made large and repeated: an echo is
/// a send of literal text (no header fields, not raw) whose next expect on
/// main, before main sends again, holds that text literally (exactly, as a
/// prefix or contained: "Michael" answered "Hello, Michael"). The text is
/// grown to fill frames up to the spec's max (at most 8 MiB), and the send
/// written as many times as it takes for the answers to reach 8 MiB, then
/// each answer expected in turn (or a close or a reset: a server may refuse
/// frames this large), each with time to be read slowly; then `then` (the
/// liveness probe). The baseline's steps after the echo are left out: after
/// a refusal they could not run.
/// nullopt when the baseline has no echo, changes framing, the framing is
/// `raw` (its answers are not frames of their own), or the spec's max
/// leaves too little room.
std::optional<script> slow_reader_script(const script& baseline, const framing_spec& spec,
                                         const std::vector<script_step>& then);

/// What slow_reader_script would make, without making it (its script
/// holds megabytes): the echo's line, the text's size, the sends.
struct slow_reader_shape {
  std::size_t line = 0;
  std::size_t text_bytes = 0;
  std::size_t times = 0;
};
std::optional<slow_reader_shape> slow_reader_shape_of(const script& baseline,
                                                      const framing_spec& spec);

} // namespace tcpcheck::detail
