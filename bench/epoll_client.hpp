// A reference point for the harness: the greeting conversation, many at
// once, by about the smallest event-driven client there is. It uses one
// thread, non-blocking sockets and one level-triggered epoll set, and it
// reads a socket only once epoll says it is readable, so a read finds bytes
// or the close rather than nothing (as the harness's own connections do). It
// has no framework, no script and no checks beyond each reply's text. What
// the harness costs beyond it, in the same run, is what its machinery costs;
// a 2x over the blocking client that this client does not reach, the
// harness will not either.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tcpcheck::bench {

/// Runs `count` greeting conversations against the server on loopback
/// `port`, `at_once` of them open at a time. Returns how many failed.
/// Every wait is bounded: 5 s with no news from any conversation ends the
/// run, and those still open fail.
std::size_t epoll_conversations(std::uint16_t port, std::size_t count, std::size_t at_once);

} // namespace tcpcheck::bench
