// What the benchmarks share: the greeting conversation, the reference
// server in a child process (so its CPU is not the client's), and the
// baseline every rate is compared with: the same conversation by a minimal
// blocking client.
#pragma once

#include "tcpcheck/harness/reference_server.hpp"

#include <cstdint>
#include <sys/types.h>

namespace tcpcheck::bench {

/// The greeting conversation, as a script (the reference greeting server's).
extern const char* const greeting_script;

struct child_server {
  pid_t pid = -1;
  std::uint16_t port = 0;
};

/// Forks a process that serves `protocol` on loopback until SIGTERM.
child_server start_server(harness::reference_protocol protocol);
void stop_server(const child_server& c);

/// The greeting conversation with blocking sockets and nothing else: the
/// baseline. Returns whether every reply was right.
bool blocking_conversation(std::uint16_t port);

} // namespace tcpcheck::bench
