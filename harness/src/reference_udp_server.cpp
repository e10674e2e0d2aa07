// udp-echo: the reference server that answers every UDP datagram with itself.
#include "reference_udp_server.hpp"

#include <utility>

#include <asio/buffer.hpp>
#include <asio/error.hpp>

namespace tcpcheck::harness::detail {

namespace {

// Above the largest UDP payload there is (65,507 bytes over IPv4, 65,527
// over IPv6 without jumbograms), so no datagram is ever cut short.
constexpr std::size_t max_datagram = 64 * 1024;

} // namespace

udp_echo_server::udp_echo_server(asio::ip::udp::socket bound)
    : socket_(std::move(bound)), datagram_(max_datagram) {}

void udp_echo_server::start() {
  receive();
}

void udp_echo_server::close() {
  std::error_code ignored;
  socket_.close(ignored);
}

void udp_echo_server::receive() {
  socket_.async_receive_from(
      asio::buffer(datagram_), sender_,
      [this](std::error_code ec, std::size_t size) { on_received(ec, size); });
}

void udp_echo_server::on_received(std::error_code ec, std::size_t size) {
  if (ec == asio::error::operation_aborted || !socket_.is_open()) return; // stop()
  // Any other error concerns one datagram, not the socket (some systems
  // report an ICMP error for an earlier reply here: Windows' WSAECONNRESET):
  // skip it and wait for the next.
  if (ec) return receive();
  // An empty datagram is a message too, and gets an empty one back.
  socket_.async_send_to(asio::buffer(datagram_.data(), size), sender_,
                        [this](std::error_code sent, std::size_t) {
                          // A reply lost is what UDP allows; only stop() ends the loop.
                          if (sent != asio::error::operation_aborted && socket_.is_open())
                            receive();
                        });
}

} // namespace tcpcheck::harness::detail
