// Which sockets a spawned target holds, read from /proc: whether the
// target listens is asked of the target's own sockets, so that another
// program that happens to listen on the same port (a test beside it, a
// server started meanwhile) is not taken for it.
#pragma once

#include <cstdint>
#include <sys/types.h>

namespace tcpcheck::harness {

/// Who listens on `port`: nobody, a process of process group `group`, or
/// only programs outside it (docker's proxy, another test).
enum class port_listener { nobody, the_group, another_program };

/// A listener is a TCP socket in LISTEN (from /proc/net/tcp and tcp6), or
/// for `udp` an unconnected UDP socket bound there (/proc/net/udp and
/// udp6). Spawned targets lead a group of their own, which keeps the
/// children a shell or a forking server starts. No connection is made and
/// no datagram sent: a server that serves one client still has it to serve.
port_listener listener_on(std::uint16_t port, bool udp, pid_t group);

} // namespace tcpcheck::harness
