// How many bytes the other end of a loopback TCP connection has received
// and not yet read.
//
// A cut send promises that each piece reaches the peer as a read of its
// own. A pause between the writes keeps that promise only while the peer
// reads faster than the pause; a peer slowed by a sanitizer or a busy
// machine reads two pieces at once. On loopback the peer's socket is on
// this host, and the kernel's socket diagnostics (NETLINK_SOCK_DIAG, what
// `ss` uses) tell its receive queue: the driver waits for it to be empty
// before writing the next piece, so the promise holds however slow the
// peer is.
#pragma once

#include <cstddef>
#include <optional>

namespace tcpcheck::harness {

/// Bytes that the peer of the connected TCP socket `fd` has received and
/// not read, or nothing when that cannot be known: the peer is not on this
/// host, the connection is gone, or the kernel does not answer.
std::optional<std::size_t> unread_by_peer(int fd);

} // namespace tcpcheck::harness
