// Servers with the seed articles' classic bugs, for the harness's integration
// tests: tcpcheck must catch each one, with the right step and reason.
//
// They are written the way the articles write them, with blocking POSIX
// sockets and a thread per connection, and speak the reference servers'
// protocols (reference_server.hpp):
//
//   one_read_is_one_message   hello; takes whatever one recv(1024) returns
//                             as one whole name (seeds 002, 003)
//   single_read_framing       lenprefix; the header with one recv(4), the
//                             body with one recv(n), both taken as complete
//                             (seed 004's struct.pack('i') "fix")
//   one_client_at_a_time      hello, read correctly, but the accept loop
//                             serves each connection itself (seed 001)
//   dies_on_reset             hello, read correctly, but a reset or a broken
//                             pipe from any client ends the server: it stops
//                             accepting and drops every connection (seed
//                             000's `except: break` around the accept loop)
//   never_answers             accepts, reads and drops, never writes
//   silent_after_two          hello to its first two connections, then as
//                             never_answers (a server whose workers run out)
//   ignores_short_send        hello, read correctly, but each answer goes out
//                             with one non-blocking send() whose count is
//                             ignored: what the socket buffer has no room for
//                             is lost (the "partial send")
//
// Every server binds 127.0.0.1 on a free port. stop() is idempotent and
// bounded: every blocking wait also watches a wake-up pipe, and every send
// gives up after a couple of seconds.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tcpcheck::test {

enum class server_bug {
  one_read_is_one_message,
  single_read_framing,
  one_client_at_a_time,
  dies_on_reset,
  never_answers,
  silent_after_two, ///< serves the hello protocol to two connections, then never answers
  ignores_short_send,
};

class buggy_server {
public:
  /// Binds 127.0.0.1:0 and starts serving. Throws std::system_error.
  explicit buggy_server(server_bug bug);
  ~buggy_server(); ///< stops
  buggy_server(const buggy_server&) = delete;
  buggy_server& operator=(const buggy_server&) = delete;

  std::uint16_t port() const noexcept;
  /// dies_on_reset: a client's reset has ended the server.
  bool dead() const noexcept;
  /// Connections accepted so far.
  std::size_t accepted() const noexcept;
  /// Stops accepting, ends every connection, joins every thread. Idempotent.
  void stop();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// A correct raw echo server that records the size of every recv() it gets,
/// per connection, to show how a client's writes reached the server. It
/// sends `greeting` first, from the thread that then reads: a script that
/// expects the greeting before it sends knows the reader is already waiting,
/// so its first writes are not merged by a server that was slow to start.
class recording_server {
public:
  /// Binds 127.0.0.1:0; throws std::system_error. With a `read_pause`, the
  /// server sleeps that long before each recv(): a slow reader.
  explicit recording_server(std::string greeting = {},
                            std::chrono::milliseconds read_pause = std::chrono::milliseconds{0});
  ~recording_server();
  recording_server(const recording_server&) = delete;
  recording_server& operator=(const recording_server&) = delete;

  std::uint16_t port() const noexcept;
  void stop(); ///< as buggy_server::stop()

  /// Waits until `count` connections have ended (the client closed or
  /// reset), at most `limit`; says whether they did.
  bool wait_until_ended(std::size_t count, std::chrono::milliseconds limit) const;
  /// Connections accepted so far.
  std::size_t connections() const;
  /// The size of each recv() on connection `index` (in accept order), in
  /// order; empty for a connection that does not exist.
  std::vector<std::size_t> reads(std::size_t index) const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace tcpcheck::test
