// The TCP transport of the connections tcpcheck's listener accepts, when it
// plays the server (tcp_transport.hpp): an Asio socket. A run accepts a
// connection or a few; the connections it makes, often thousands, have a
// transport of their own (outgoing_tcp_transport.cpp).
#include "tcpcheck/harness/socket_diag.hpp"

#include <cerrno>
#include <optional>
#include <poll.h>
#include <sys/socket.h>

#include "tcp_transport.hpp"

namespace tcpcheck::harness {

namespace {

using asio::ip::tcp;

// It opens by taking the next connection `acceptor` accepts.
class accepted_tcp_transport final : public transport {
public:
  accepted_tcp_transport(runner_strand strand, tcp::acceptor& acceptor)
      : socket_(strand), acceptor_(&acceptor) {}

  void async_connect(done_handler done) override {
    const auto opened = [this, done = std::move(done)](std::error_code ec) {
      std::error_code ignored;
      if (!ec) socket_.set_option(tcp::no_delay(true), ignored);
      done(ec);
    };
    acceptor_->async_accept(socket_, opened);
  }
  void async_read_some(std::span<std::uint8_t> into, read_handler done) override {
    socket_.async_read_some(asio::buffer(into.data(), into.size()), std::move(done));
  }
  void async_write(byte_view bytes, done_handler done) override {
    asio::async_write(socket_, asio::buffer(bytes.data(), bytes.size()),
                      [done = std::move(done)](std::error_code ec, std::size_t) { done(ec); });
  }
  std::error_code shutdown_send() override {
    std::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    return ec;
  }
  void close(bool reset) override {
    std::error_code ignored;
    // SO_LINGER with a zero timeout: close() sends RST instead of FIN.
    if (reset) socket_.set_option(asio::socket_base::linger(true, 0), ignored);
    socket_.close(ignored);
    peer_.reset();
  }
  bool is_open() const override { return socket_.is_open(); }
  std::optional<std::size_t> peer_unread() const override {
    if (!socket_.is_open()) return std::nullopt;
    if (!peer_) peer_.emplace(const_cast<tcp::socket&>(socket_).native_handle());
    return peer_->unread();
  }
  void async_wait_failure(done_handler done) override {
    socket_.async_wait(
        tcp::socket::wait_error, [this, done = std::move(done)](std::error_code ec) mutable {
          if (ec) return done(ec);
          // The pending error, which SO_ERROR gives once.
          int error = 0;
          socklen_t size = sizeof error;
          if (::getsockopt(socket_.native_handle(), SOL_SOCKET, SO_ERROR, &error, &size) != 0)
            return done(std::error_code(errno, std::system_category()));
          if (error != 0) return done(std::error_code(error, std::system_category()));
          // None: both FINs (a hang-up, the clean end: nothing more can fail),
          // or an urgent byte, after which the watch goes on.
          pollfd state{socket_.native_handle(), 0, 0};
          if (::poll(&state, 1, 0) == 1 && (state.revents & POLLHUP)) return;
          async_wait_failure(std::move(done));
        });
  }
  void shrink_receive_buffer() override {
    // Fixed, it no longer grows with the traffic (to 6 MiB by Linux's
    // defaults). Not smaller: a window under loopback's 64 KiB segment makes
    // the sender wait for its persist timer, 200 ms a segment.
    constexpr int window = 128 * 1024;
    std::error_code ignored;
    socket_.set_option(asio::socket_base::receive_buffer_size(window), ignored);
  }

private:
  tcp::socket socket_;
  tcp::acceptor* acceptor_ = nullptr;
  // The peer's lookup, made at the first look (once connected).
  mutable std::optional<connection_peer> peer_;
};

} // namespace

std::unique_ptr<transport> make_tcp_transport(runner_strand strand, tcp::acceptor& acceptor) {
  return std::make_unique<accepted_tcp_transport>(std::move(strand), acceptor);
}

} // namespace tcpcheck::harness
