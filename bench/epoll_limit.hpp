// The harness's limit: the greeting conversation, many at once, by the
// smallest event-driven client this machine can run. It uses one thread,
// non-blocking sockets and one level-triggered epoll set, and it reads a
// socket only once epoll says it is readable, so a read finds bytes or the
// close rather than nothing (Asio tries a read before it waits).
// It has no framework, no script and no checks beyond each reply's text.
// The harness does more work per conversation than this client does, so
// its conversations per second are measured against this ceiling, in the
// same run as the blocking client.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tcpcheck::bench {

/// Runs `count` greeting conversations against the server on loopback
/// `port`, `at_once` of them open at a time. Returns how many failed.
/// Every wait is bounded: a conversation quiet for 5 s fails.
std::size_t epoll_conversations(std::uint16_t port, std::size_t count, std::size_t at_once);

} // namespace tcpcheck::bench
