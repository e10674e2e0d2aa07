// The TCP transport of the connections the script runner makes: a
// non-blocking socket on the io_context's own epoll set (socket_events.hpp),
// which reads only once an edge says bytes came.
//
// The transport's contract (transport.hpp) holds as with Asio's sockets:
// an operation that completes in the call that starts it completes through
// the strand; one an event completes is called from the set's look, which
// runs on the one thread of the io_context, outside every other handler.
// Error codes are Asio's: eof at the peer's FIN, operation_aborted for what
// close() ended, the system's errno otherwise.
#include "tcpcheck/harness/socket_diag.hpp"

#include <cerrno>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <optional>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <utility>

#include "socket_events.hpp"
#include "tcp_transport.hpp"

namespace tcpcheck::harness {

namespace {

using asio::ip::tcp;

std::error_code last_error() {
  return {errno, std::system_category()};
}

// The socket's pending error, which SO_ERROR gives once.
std::error_code pending_error(int fd) {
  int error = 0;
  socklen_t size = sizeof error;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) != 0) return last_error();
  return {error, std::system_category()};
}

// What one batch of events finished, called once the transport is done
// with itself: a handler may close or destroy it.
struct finished {
  transport::done_handler connected;
  std::error_code connected_ec;
  transport::read_handler read;
  std::error_code read_ec;
  std::size_t read_size = 0;
  transport::done_handler written;
  std::error_code written_ec;
  transport::done_handler failed;
  std::error_code failed_ec;

  void call() {
    if (connected) connected(connected_ec);
    if (read) read(read_ec, read_size);
    if (written) written(written_ec);
    if (failed) failed(failed_ec);
  }
};

class outgoing_tcp_transport final : public transport, private socket_events::watcher {
public:
  outgoing_tcp_transport(runner_strand strand, const tcp::resolver::results_type& endpoints)
      : strand_(std::move(strand)),
        events_(asio::use_service<socket_events>(strand_.get_inner_executor().context())),
        endpoints_(endpoints), next_(endpoints_.begin()) {}
  // Nobody is left to tell of what was pending.
  ~outgoing_tcp_transport() override { release(false, false); }
  outgoing_tcp_transport(const outgoing_tcp_transport&) = delete;
  outgoing_tcp_transport& operator=(const outgoing_tcp_transport&) = delete;

  void async_connect(done_handler done) override {
    connected_ = std::move(done);
    connect_next(asio::error::not_found);
  }
  void async_read_some(std::span<std::uint8_t> into, read_handler done) override {
    if (fd_ < 0) return post_read(std::move(done), asio::error::bad_descriptor, 0);
    read_into_ = into;
    read_ = std::move(done);
    if (readable_)
      try_read();
    else
      wait_for(read_waits_);
  }
  void async_write(byte_view bytes, done_handler done) override {
    if (fd_ < 0) return post_done(std::move(done), asio::error::bad_descriptor);
    write_left_ = bytes;
    written_ = std::move(done);
    try_write();
  }
  std::error_code shutdown_send() override {
    if (fd_ < 0) return asio::error::bad_descriptor;
    return ::shutdown(fd_, SHUT_WR) == 0 ? std::error_code() : last_error();
  }
  void close(bool reset) override { release(reset, true); }
  bool is_open() const override { return fd_ >= 0; }
  std::optional<std::size_t> peer_unread() const override {
    if (fd_ < 0) return std::nullopt;
    if (!peer_) peer_.emplace(fd_, remote_.data(), static_cast<socklen_t>(remote_.size()));
    return peer_->unread();
  }
  void async_wait_failure(done_handler done) override {
    if (fd_ < 0) return post_done(std::move(done), asio::error::bad_descriptor);
    failure_ = std::move(done);
    if (failed_)
      report_failure();
    else
      wait_for(failure_waits_);
  }
  void shrink_receive_buffer() override {
    // Fixed, it no longer grows with the traffic (to 6 MiB by Linux's
    // defaults). Not smaller: a window under loopback's 64 KiB segment makes
    // the sender wait for its persist timer, 200 ms a segment.
    constexpr int window = 128 * 1024;
    if (fd_ >= 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &window, sizeof window);
  }

private:
  // Tries the endpoints in turn, as asio::async_connect does, and reports
  // the last one's error when none answers.
  void connect_next(std::error_code last) {
    while (next_ != endpoints_.end()) {
      const tcp::endpoint to = (next_++)->endpoint();
      if (const std::error_code ec = open(to.protocol().family())) {
        last = ec;
        continue;
      }
      remote_ = to;
      if (::connect(fd_, to.data(), static_cast<socklen_t>(to.size())) == 0)
        return connect_done({});
      if (errno == EINPROGRESS) return wait_for(connect_waits_);
      last = last_error();
      release(false, false);
    }
    finish(connected_, last, &finished::connected, &finished::connected_ec);
  }

  std::error_code open(int family) {
    fd_ = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return last_error();
    readable_ = ended_ = urgent_ = failed_ = false;
    if (const std::error_code ec = events_.add(fd_, *this, token_)) {
      ::close(fd_);
      fd_ = -1;
      return ec;
    }
    return {};
  }

  void connect_done(std::error_code ec) {
    if (ec) {
      release(false, false);
      return connect_next(ec);
    }
    const int on = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    finish(connected_, {}, &finished::connected, &finished::connected_ec);
  }

  void on_events(std::uint32_t events) override {
    finished batch;
    now_ = &batch;
    const bool failing = (events & (EPOLLERR | EPOLLHUP)) != 0;
    // A hang-up alone is both directions closed cleanly (the peer's FIN
    // and ours acknowledged): the end of reading, not a failure.
    if (events & EPOLLERR) failed_ = true;
    if (failing || (events & EPOLLRDHUP)) ended_ = true;
    if (events & EPOLLPRI) urgent_ = true;
    if (ended_ || urgent_ || (events & EPOLLIN)) readable_ = true;
    if (connect_waits_ && (failing || (events & EPOLLOUT))) {
      stop_waiting(connect_waits_);
      // A connect that failed sets the socket's error, and epoll reports a
      // socket with an error as EPOLLERR when it is polled: writable with
      // neither flag, it is connected, and asking SO_ERROR would cost a
      // system call a connection to learn nothing.
      connect_done(failing ? pending_error(fd_) : std::error_code{});
    }
    if (read_waits_ && readable_ && fd_ >= 0) {
      stop_waiting(read_waits_);
      try_read();
    }
    if (write_waits_ && (failing || (events & EPOLLOUT)) && fd_ >= 0) {
      stop_waiting(write_waits_);
      try_write();
    }
    if (failure_waits_ && failed_ && fd_ >= 0) {
      stop_waiting(failure_waits_);
      report_failure();
    }
    now_ = nullptr;
    batch.call(); // last: this transport may be gone after it
  }

  // A read that finds nothing waits for the next edge; a read shorter
  // than the buffer drained the socket, so the next one waits too.
  void try_read() {
    for (;;) {
      const ssize_t n = ::recv(fd_, read_into_.data(), read_into_.size(), 0);
      if (n > 0) {
        // Short of the buffer, the socket is drained, unless the FIN or an
        // error is behind the bytes, or the read stopped at an urgent byte's
        // mark with bytes behind it: no edge will tell of them again.
        if (static_cast<std::size_t>(n) < read_into_.size() && !ended_ && !urgent_)
          readable_ = false;
        return finish_read({}, static_cast<std::size_t>(n));
      }
      if (n == 0) return finish_read(asio::error::eof, 0);
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        readable_ = urgent_ = false;
        return wait_for(read_waits_);
      }
      return finish_read(last_error(), 0);
    }
  }

  void try_write() {
    while (!write_left_.empty()) {
      const ssize_t n = ::send(fd_, write_left_.data(), write_left_.size(), MSG_NOSIGNAL);
      if (n >= 0) {
        write_left_ = write_left_.subspan(static_cast<std::size_t>(n));
        continue;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return wait_for(write_waits_);
      return finish(written_, last_error(), &finished::written, &finished::written_ec);
    }
    finish(written_, {}, &finished::written, &finished::written_ec);
  }

  void report_failure() {
    std::error_code ec = pending_error(fd_);
    if (!ec) ec = std::error_code(ECONNRESET, std::system_category()); // told already
    finish(failure_, ec, &finished::failed, &finished::failed_ec);
  }

  // Closes the socket; with `tell`, what was pending ends with
  // operation_aborted, posted.
  void release(bool reset, bool tell) {
    if (fd_ < 0) return;
    if (reset) {
      const linger abort{1, 0}; // close() sends RST instead of FIN
      ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
    }
    events_.remove(token_);
    ::close(fd_);
    fd_ = -1;
    peer_.reset();
    for (bool* waits : {&connect_waits_, &read_waits_, &write_waits_, &failure_waits_})
      stop_waiting(*waits);
    if (!tell) return;
    if (connected_) post_done(std::exchange(connected_, nullptr), asio::error::operation_aborted);
    if (read_) post_read(std::exchange(read_, nullptr), asio::error::operation_aborted, 0);
    if (written_) post_done(std::exchange(written_, nullptr), asio::error::operation_aborted);
    if (failure_) post_done(std::exchange(failure_, nullptr), asio::error::operation_aborted);
  }

  void wait_for(bool& waits) {
    if (waits) return;
    waits = true;
    events_.wait_begins();
  }
  void stop_waiting(bool& waits) {
    if (!waits) return;
    waits = false;
    events_.wait_ends();
  }

  // Hands `done` its result: into the batch an event finished, or posted
  // when the call that started the operation finished it.
  void finish(done_handler& slot, std::error_code ec, done_handler finished::*handler,
              std::error_code finished::*code) {
    if (!now_) return post_done(std::exchange(slot, nullptr), ec);
    now_->*handler = std::exchange(slot, nullptr);
    now_->*code = ec;
  }
  void finish_read(std::error_code ec, std::size_t n) {
    if (now_) {
      now_->read = std::exchange(read_, nullptr);
      now_->read_ec = ec;
      now_->read_size = n;
    } else {
      post_read(std::exchange(read_, nullptr), ec, n);
    }
  }
  void post_done(done_handler done, std::error_code ec) {
    asio::post(strand_, [done = std::move(done), ec] { done(ec); });
  }
  void post_read(read_handler done, std::error_code ec, std::size_t n) {
    asio::post(strand_, [done = std::move(done), ec, n] { done(ec, n); });
  }

  runner_strand strand_;
  socket_events& events_;
  const tcp::resolver::results_type endpoints_; // a copy: the driver may replace its own
  tcp::resolver::results_type::const_iterator next_;
  int fd_ = -1;
  std::uint64_t token_ = 0;
  // What the edges said: bytes (or the FIN) came since a read last found
  // the socket drained; an error or hang-up.
  bool readable_ = false;
  bool ended_ = false;  // the peer's FIN, an error or a hang-up came
  bool urgent_ = false; // an urgent byte came (a read stops at its mark)
  bool failed_ = false;
  // Which operations wait for an edge (each counts once in the set).
  bool connect_waits_ = false;
  bool read_waits_ = false;
  bool write_waits_ = false;
  bool failure_waits_ = false;
  finished* now_ = nullptr; // the batch an event is finishing
  done_handler connected_;
  std::span<std::uint8_t> read_into_;
  read_handler read_;
  byte_view write_left_;
  done_handler written_;
  done_handler failure_;
  // The peer's lookup, made at the first look (once connected).
  tcp::endpoint remote_; // what fd_ connects to: the peer's lookup needs it
  mutable std::optional<connection_peer> peer_;
};

} // namespace

std::unique_ptr<transport> make_tcp_transport(runner_strand strand,
                                              const tcp::resolver::results_type& endpoints) {
  return std::make_unique<outgoing_tcp_transport>(std::move(strand), endpoints);
}

} // namespace tcpcheck::harness
