// What the script runner needs of one connection, so that its logic can be
// tested without sockets: an Asio TCP socket in production, an in-memory
// stream with scripted short reads, closes and failures in tests.
//
// Completion handlers must not be called from inside the call that started
// the operation; a transport hands them to the `post` function it was made
// with, which queues them on the runner's strand. (The TCP transport calls
// those an event completes from its io_context's one thread, outside every
// other handler, which is what the strand would give.) Error codes are Asio's
// (<asio/error.hpp>): the peer's FIN is asio::error::eof, an operation ended
// by close() is asio::error::operation_aborted; anything else on a read is
// taken as the peer resetting the connection.
#pragma once

#include "tcpcheck/bytes.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>

namespace tcpcheck::harness {

class transport {
public:
  using done_handler = std::function<void(std::error_code)>;
  using read_handler = std::function<void(std::error_code, std::size_t)>;

  virtual ~transport() = default;
  /// Connects to the run's target (TCP_NODELAY on success).
  virtual void async_connect(done_handler done) = 0;
  /// Reads at least one byte into `into`; eof at the peer's FIN.
  virtual void async_read_some(std::span<std::uint8_t> into, read_handler done) = 0;
  /// Writes all of `bytes` (the caller keeps them alive until `done`).
  virtual void async_write(byte_view bytes, done_handler done) = 0;
  /// Half-close: no more writes, keep reading.
  virtual std::error_code shutdown_send() = 0;
  /// Closes; with `reset`, aborts with RST (SO_LINGER 0) instead of FIN.
  /// Pending operations complete with operation_aborted.
  virtual void close(bool reset) = 0;
  virtual bool is_open() const = 0;
  /// Bytes written that the peer has received and not read yet, where that
  /// can be seen (a peer on this host); nothing otherwise.
  virtual std::optional<std::size_t> peer_unread() const { return std::nullopt; }
  /// Takes what the peer sends through a small receive buffer that does
  /// not grow (a slow client's window); nothing where there is none.
  virtual void shrink_receive_buffer() {}
  /// After the peer's FIN, reading has nothing more to tell: calls `done`
  /// when the connection fails later all the same (the peer's RST, for data
  /// sent after its FIN), with the error; operation_aborted when closed.
  /// Where that cannot be watched, `done` is never called.
  virtual void async_wait_failure(done_handler done) { (void)done; }
  /// Whether each read is one datagram (UDP): a read of no bytes is then
  /// an empty datagram, not news of nothing.
  virtual bool datagrams() const { return false; }
  /// Where the datagram read last came from, "HOST:PORT"; empty for a stream.
  virtual std::string last_source() const { return {}; }
  /// Where writes go, "HOST:PORT", where the transport knows it.
  virtual std::string peer_name() const { return {}; }
};

/// Queues a function on the runner's strand.
using poster = std::function<void(std::function<void()>)>;

/// Makes the transport for one connection of a run (called again when a
/// script reconnects after a close).
using transport_factory =
    std::function<std::unique_ptr<transport>(std::size_t connection, poster post)>;

} // namespace tcpcheck::harness
