// What the benchmarks share: the greeting conversation, the reference
// server in a child process (so its CPU is not the client's), and the
// baseline every rate is compared with: the same conversation by a minimal
// blocking client.
#pragma once

#include "tcpcheck/harness/reference_server.hpp"

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace tcpcheck::bench {

/// The greeting conversation, as a script (the reference greeting server's).
extern const char* const greeting_script;

/// The same conversation for the hand-written clients: each line the server
/// sends, and what the client says after each but the last (both without
/// their newline).
inline constexpr std::array<std::string_view, 5> greeting_replies = {
    "Welcome!", "Hello, Michael", "Hello, Tracy", "Hello, Sarah", "Good bye!"};
inline constexpr std::array<std::string_view, 4> greeting_sayings = {"Michael", "Tracy", "Sarah",
                                                                     "exit"};

struct child_server {
  pid_t pid = -1;
  std::uint16_t port = 0;
};

/// Forks a process that serves `protocol` on loopback until SIGTERM.
child_server start_server(harness::reference_protocol protocol);
void stop_server(const child_server& c);

/// A TCP socket (of type SOCK_STREAM | `type_flags`, TCP_NODELAY on)
/// connected to loopback `port`, or, non-blocking, connecting; -1 if that
/// failed.
int connect_to_loopback(std::uint16_t port, int type_flags);

/// Sends `line` and its newline on `fd`; whether all of it went.
bool say_line(int fd, std::string_view line);

/// Takes the first line out of `pending`, which holds a newline, and
/// tells whether it was `want`.
bool take_line(std::string& pending, std::string_view want);

/// The greeting conversation with blocking sockets and nothing else: the
/// baseline. Returns whether every reply was right.
bool blocking_conversation(std::uint16_t port);

/// CPU time (user + system) this process has used so far, all its threads;
/// the servers run in child processes and are not counted. CPU per unit of
/// work is the figure that holds on a shared, noisy machine, where wall-time
/// rates swing with the neighbours.
double cpu_seconds();

/// Wall time and CPU time spent in one kind of work, accumulated over rounds.
struct work_clock {
  double wall = 0, cpu = 0;
  std::size_t units = 0;

  double per_second() const { return wall > 0 ? static_cast<double>(units) / wall : 0; }
  double cpu_us_per_unit() const { return units ? cpu * 1e6 / static_cast<double>(units) : 0; }
};

/// Runs `work`, which does `units` units, and adds its wall and CPU time.
template <class Work>
void timed(work_clock& clock, std::size_t units, Work&& work) {
  const auto wall0 = std::chrono::steady_clock::now();
  const double cpu0 = cpu_seconds();
  work();
  clock.cpu += cpu_seconds() - cpu0;
  clock.wall += std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  clock.units += units;
}

} // namespace tcpcheck::bench
