// Which sockets a spawned target holds, read from /proc: whether the
// target listens is asked of the target's own sockets, so that another
// program that happens to listen on the same port (a test beside it, a
// server started meanwhile) is not taken for it.
#pragma once

#include <cstdint>
#include <sys/types.h>

namespace tcpcheck::harness {

/// Whether a process of process group `group` holds a socket listening on
/// `port`: a TCP socket in LISTEN (from /proc/net/tcp and tcp6), or for
/// `udp` an unconnected UDP socket bound there (/proc/net/udp and udp6).
/// Spawned targets lead a group of their own, which keeps the children a
/// shell or a forking server starts. No connection is made and no datagram
/// sent: a server that serves one client still has it to serve.
bool group_listens_on(pid_t group, std::uint16_t port, bool udp);

/// Whether any socket on this host listens on `port` (as above, whoever
/// holds it): to tell a server that never listened from one whose port a
/// program outside its group holds (docker's proxy, another test).
bool anyone_listens_on(std::uint16_t port, bool udp);

} // namespace tcpcheck::harness
