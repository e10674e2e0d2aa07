// UDP sockets behind the transport interface (udp_transport.hpp).
#include "udp_transport.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

namespace tcpcheck::harness {

namespace {

using asio::ip::udp;

class datagram_category final : public std::error_category {
public:
  const char* name() const noexcept override { return "tcpcheck.datagram"; }
  std::string message(int) const override {
    return "a datagram came from another address or port than the one asked";
  }
};

// ICMP errors reach an unconnected socket only with IP_RECVERR (IPv6:
// IPV6_RECVERR); the read after one fails with its error.
std::error_code learn_icmp_errors(udp::socket& socket) {
  const int on = 1;
  const bool v6 = socket.local_endpoint().address().is_v6();
  if (::setsockopt(socket.native_handle(), v6 ? IPPROTO_IPV6 : IPPROTO_IP,
                   v6 ? IPV6_RECVERR : IP_RECVERR, &on, sizeof on) != 0)
    return {errno, std::system_category()};
  return {};
}

class udp_transport final : public transport {
public:
  udp_transport(runner_strand strand, udp::endpoint peer) : socket_(strand), peer_(peer) {}

  // Nothing to connect: the socket opens on a free port, of the loopback
  // address for a loopback peer (nothing else on the host can send to it
  // then), else of any address of the peer's family.
  void async_connect(done_handler done) override {
    std::error_code ec;
    const bool v6 = peer_.address().is_v6();
    const bool loopback = peer_.address().is_loopback();
    const auto local = v6 ? asio::ip::address(loopback ? asio::ip::address_v6::loopback()
                                                       : asio::ip::address_v6::any())
                          : asio::ip::address(loopback ? asio::ip::address_v4::loopback()
                                                       : asio::ip::address_v4::any());
    socket_.open(peer_.protocol(), ec);
    if (!ec) socket_.bind(udp::endpoint(local, 0), ec);
    if (!ec) ec = learn_icmp_errors(socket_);
    asio::post(socket_.get_executor(), [done = std::move(done), ec] { done(ec); });
  }

  // The handler may run after the transport is gone (the driver opened the
  // connection anew meanwhile, and drops what it says): it touches only
  // what it holds.
  void async_read_some(std::span<std::uint8_t> into, read_handler done) override {
    socket_.async_receive_from(asio::buffer(into.data(), into.size()), *source_,
                               [source = source_, peer = peer_,
                                done = std::move(done)](std::error_code ec, std::size_t n) {
                                 if (!ec && *source != peer) ec = datagram_error::stray_source;
                                 done(ec, n);
                               });
  }

  void async_write(byte_view bytes, done_handler done) override {
    socket_.async_send_to(asio::buffer(bytes.data(), bytes.size()), peer_,
                          [done = std::move(done)](std::error_code ec, std::size_t) { done(ec); });
  }

  std::error_code shutdown_send() override {
    return std::make_error_code(std::errc::operation_not_supported);
  }
  void close(bool) override {
    std::error_code ignored;
    socket_.close(ignored);
  }
  bool is_open() const override { return socket_.is_open(); }
  bool datagrams() const override { return true; }
  std::string last_source() const override { return to_string(*source_); }
  std::string peer_name() const override { return to_string(peer_); }

private:
  udp::socket socket_;
  udp::endpoint peer_;
  // Of the datagram read last; shared with the pending read's handler.
  std::shared_ptr<udp::endpoint> source_ = std::make_shared<udp::endpoint>();
};

} // namespace

std::error_code make_error_code(datagram_error e) {
  static const datagram_category category;
  return {static_cast<int>(e), category};
}

std::unique_ptr<transport> make_udp_transport(runner_strand strand, udp::endpoint peer) {
  return std::make_unique<udp_transport>(std::move(strand), peer);
}

std::string to_string(const udp::endpoint& e) {
  const std::string host = e.address().to_string();
  return (e.address().is_v6() ? "[" + host + "]" : host) + ":" + std::to_string(e.port());
}

} // namespace tcpcheck::harness
