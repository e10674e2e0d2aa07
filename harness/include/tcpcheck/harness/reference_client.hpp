// Reference clients: the client side of the seed articles' greeting
// protocol (reference_server.hpp's `greeting`), to test `tcpcheck check
// --client` with (`tcpcheck client`).
//
//   greeting        reads by the framing: bytes are buffered until an LF
//                   completes a line, however the reads cut them
//   naive-greeting  the seed articles' bug, kept on purpose: each recv() is
//                   taken as exactly one message (its trailing LF stripped),
//                   so "Hello, Michael" cut in two prints as "Hello, Mi" and
//                   "chael", and the client falls out of step
//
// Both connect, read the welcome, then send "Michael", "Tracy", "Sarah" and
// "exit", one line each, each after reading the previous answer; they print
// every message they read on `out`, one per line, flushed as it comes;
// after the answer to "exit" they wait for the server to close. A failure
// (a close or reset too early, silence, a line too long) is told in one line.
//
//   std::ostringstream printed;
//   auto result = run_reference_client(reference_client_protocol::greeting,
//                                       "127.0.0.1", server.port(), printed);
//   // printed: "Welcome!\nHello, Michael\nHello, Tracy\nHello, Sarah\nGood bye!\n"
//
// Loopback only, like everything tcpcheck connects to. Never raises
// SIGPIPE; every wait is bounded by `silence_limit`.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

namespace tcpcheck::harness {

enum class reference_client_protocol { greeting, naive_greeting };

/// "greeting", "naive-greeting"; nullopt for anything else.
std::optional<reference_client_protocol> parse_reference_client_protocol(std::string_view name);
std::string_view name_of(reference_client_protocol protocol);

struct reference_client_limits {
  /// How long the client waits for the server without a byte (or for the
  /// connection, or for room to send) before it gives up. Generous: the
  /// reference clients are what tcpcheck is checked against, under
  /// sanitizers on busy machines too, and a server that stalls for a
  /// moment is not one that went silent.
  std::chrono::milliseconds silence_limit{4000};
  /// The longest line `greeting` buffers (without its LF). The naive
  /// client reads at most 4096 bytes a message whatever this says; after
  /// its last message it drops at most this many unread bytes while it
  /// waits for the close. (`greeting` takes any byte there as a fault.)
  std::size_t max_line = 64 * 1024;
};

enum class reference_client_outcome {
  done,              ///< the conversation ended and the server closed
  server_misbehaved, ///< EOF or reset too early, silence, a line too long, ...
  not_loopback,      ///< the host is not 127.0.0.0/8, ::1 or localhost: nothing was tried
  cannot_connect,    ///< refused, or no connection within the silence limit
};

struct reference_client_result {
  reference_client_outcome outcome = reference_client_outcome::done;
  /// One line saying what went wrong and when; empty when done.
  std::string reason;
};

/// Plays the client side of the conversation against `host`:`port`,
/// printing what it reads on `out`. Returns how it ended; a server's
/// misbehaviour is an outcome, not an exception.
reference_client_result run_reference_client(reference_client_protocol protocol,
                                             const std::string& host, std::uint16_t port,
                                             std::ostream& out,
                                             const reference_client_limits& limits = {});

} // namespace tcpcheck::harness
