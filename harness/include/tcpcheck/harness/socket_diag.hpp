// What the kernel's socket diagnostics (NETLINK_SOCK_DIAG, what `ss` uses)
// tell about a socket on this host: the peer's unread bytes, a listener's
// backlog.
//
// A cut send promises that each piece reaches the peer as a read of its
// own. A pause between the writes keeps that promise only while the peer
// reads faster than the pause; a peer slowed by a sanitizer or a busy
// machine reads two pieces at once. On loopback the peer's socket is on
// this host and its receive queue can be seen: the driver waits for it to
// be empty before writing the next piece, so the promise holds however
// slow the peer is.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <optional>
#include <string>
#include <sys/socket.h>

namespace tcpcheck::harness {

namespace detail {
/// One exact lookup, as the kernel takes it.
struct diag_request {
  nlmsghdr header;
  inet_diag_req_v2 body;
};
} // namespace detail

/// The peer of one connected TCP socket. Its addresses are read once, when
/// it is made (a connection's do not change): each look after that is one
/// request and one reply on the thread's own diagnostics socket. A driver
/// that waits for its peer to read a cut send looks many times a send.
class connection_peer {
public:
  explicit connection_peer(int fd);
  /// The same for a socket whose remote address the caller knows, the one
  /// it connected to: only the local address is asked of the kernel, one
  /// system call less a connection (live fuzzing makes thousands a second).
  connection_peer(int fd, const sockaddr* remote, socklen_t remote_size);

  /// Bytes that the peer has received and not read, or nothing when that
  /// cannot be known: the peer is not on this host, the connection is
  /// gone, or the kernel does not answer.
  std::optional<std::size_t> unread() const;

private:
  std::optional<detail::diag_request> request_;
};

/// How long the next piece of a cut send waits for the peer to read the
/// one before, and how often it looks (the script runner and the proxy
/// both wait so). A peer that reads nothing for that long is not waited
/// for again on that connection.
inline constexpr std::chrono::milliseconds peer_read_patience{500};
/// The first look comes soon (most peers read within a millisecond), later
/// ones ever less often: many connections waiting on slow peers (clients
/// under a sanitizer, cases side by side) must not load the machine.
inline constexpr std::chrono::microseconds peer_read_first_poll{250};
inline constexpr std::chrono::microseconds peer_read_slowest_poll{8000};

/// connection_peer(fd).unread(), for one look.
std::optional<std::size_t> unread_by_peer(int fd);

/// A listening socket's accept queue: the connections waiting to be
/// accepted, and its backlog. The queue is full past the backlog: the kernel
/// then drops new handshakes, and their clients wait for a retransmit.
struct accept_queue {
  std::size_t waiting = 0;
  std::size_t backlog = 0;
  bool full() const { return waiting > backlog; }
};

/// The accept queue of the socket listening on `address`:`port` (numeric,
/// IPv4 or IPv6) on this host; nothing when no socket listens there.
std::optional<accept_queue> accept_queue_of(const std::string& address, std::uint16_t port);

/// How many times, in this network namespace, a connection found a
/// listener's accept queue full (TcpExt ListenOverflows in
/// /proc/net/netstat): its SYN or its handshake's last ACK was dropped,
/// and the client waited for a retransmit. Nothing when it cannot be read.
std::optional<std::uint64_t> listen_overflows();

} // namespace tcpcheck::harness
