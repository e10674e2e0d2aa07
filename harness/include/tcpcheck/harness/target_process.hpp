// Servers that tcpcheck starts itself (`--spawn "CMD ARGS ... {port}"`).
//
// The command is split into argv like a POSIX shell splits words (quotes
// and backslashes; no variables, globs or pipes: write `sh -c '...'` for
// those), `{port}` becomes a free loopback port, and the server runs in a
// process group of its own, so that stopping it stops its children too.
// Its stdout and stderr are captured (the latest bytes, bounded); the
// process is watched for its death (exit status, signal, and a sanitizer
// report in stderr), started again on demand, and stopped at the end.
//
//   auto argv = target_process::split_command("./server --port {port}", error);
//   target_process server(*argv);
//   if (!server.start(error)) fail(error);
//   run_script(server.where(), ...);
//   if (auto death = server.death()) report(*death);
#pragma once

#include "tcpcheck/harness/run.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tcpcheck::harness {

/// What /proc says of a process at one moment.
struct resource_sample {
  std::uint64_t rss_kib = 0;
  std::uint64_t peak_rss_kib = 0; ///< VmHWM: the most it has been resident, between samples too
  std::size_t open_fds = 0;
  std::size_t threads = 0;
};

/// How a server process ended.
struct process_death {
  std::string how{};          ///< "exited with status 1", "killed by signal 11 (SIGSEGV)"
  std::string sanitizer{};    ///< the sanitizer report found in its stderr, if any (an excerpt)
  std::string stderr_tail{};  ///< its last stderr lines, when there is no sanitizer report
  bool clean = false;         ///< exited with status 0
  bool signaled = false;      ///< killed by a signal (not an exit, whatever its status)
  std::string who = "server"; ///< the program under test: "server", or "client" (`role server`)
};

struct spawn_options {
  std::chrono::milliseconds startup_timeout{10000}; ///< until the port listens (and is ready)
  /// A UDP server: "{port}" is a free UDP port, and it listens once a
  /// socket is bound there.
  bool udp = false;
  /// When not empty, a server that listens is ready only once its output
  /// (stdout or stderr) holds this text: some listen before they can serve
  /// (PostgreSQL answers "the database system is starting up" until it
  /// logs "ready to accept connections").
  std::string ready_text;
  std::chrono::milliseconds stop_timeout{2000}; ///< after SIGTERM, before SIGKILL
  std::size_t output_limit = 1u << 20;          ///< latest stderr bytes kept
  /// "NAME=value" entries added to (or replacing those of) tcpcheck's own
  /// environment: the coverage map's name, for one.
  std::vector<std::string> environment;
  /// Called before each start, the old process stopped (a coverage map
  /// forgets the old process's counters).
  std::function<void()> before_start;
};

/// The sanitizer report in `stderr_text` (AddressSanitizer, UBSan's
/// "runtime error:", LeakSanitizer, ThreadSanitizer, MemorySanitizer), cut
/// to its first lines; empty when there is none.
std::string find_sanitizer_report(std::string_view stderr_text);

class target_process {
public:
  /// Splits `command` into words; each must hold "{port}" in one of them.
  /// On failure returns nullopt and sets `error` (with the column).
  static std::optional<std::vector<std::string>> split_command(std::string_view command,
                                                               std::string& error);

  explicit target_process(std::vector<std::string> argv, spawn_options options = {});
  ~target_process(); ///< stops it
  target_process(const target_process&) = delete;
  target_process& operator=(const target_process&) = delete;

  /// Starts the server on a fresh free port and waits until it listens
  /// there (without connecting: a server may serve only one client). Stops a running one first. On
  /// failure (the command cannot run, exits, or never accepts) returns false and sets `error`, with
  /// the end of its stderr.
  bool start(std::string& error);

  /// Starts it as a client of tcpcheck's: "{port}" becomes `port` (where
  /// tcpcheck listens), and nothing is waited for. Stops a running one
  /// first. False with `error` when the command cannot run.
  bool start_client(std::uint16_t port, std::string& error);

  /// Waits up to `limit` for it to end: whether it has.
  bool wait_for_exit(std::chrono::milliseconds limit);

  /// Whether it is running; reaps it if it has ended.
  bool running();

  /// How it ended, once it has (nullopt while running). Reading the death
  /// report does not clear it; start() does.
  std::optional<process_death> death();

  /// Whether a socket of its own (held by a process of its process group)
  /// listens on its port now, read from /proc: no connection is made, and
  /// another program on the same port is not taken for it.
  bool listening() const;

  /// SIGTERM to its process group, then SIGKILL after stop_timeout.
  void stop();

  target where() const;
  /// The command as run, "{port}" replaced, quoted for a shell.
  std::string command_line() const;
  /// The command as given, for replay: "{port}" kept.
  std::string command_template() const;
  std::size_t starts() const noexcept;

  /// Bytes written to stderr so far; stderr_since(mark) gives those after.
  std::size_t stderr_mark() const;
  std::string stderr_since(std::size_t mark) const;
  /// The same for stdout (the latest output_limit bytes).
  std::size_t stdout_mark() const;
  std::string stdout_since(std::size_t mark) const;

  /// /proc/PID/status and /proc/PID/fd; nullopt when not running.
  std::optional<resource_sample> sample() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace tcpcheck::harness
