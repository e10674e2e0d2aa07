// The udp-echo reference server's loop: every datagram back to its sender.
// Internal to reference_server.cpp, which binds the socket and runs it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <system_error>
#include <vector>

#include <asio/ip/udp.hpp>

namespace tcpcheck::harness::detail {

/// Receives one datagram, sends exactly its bytes back to its sender from
/// the same socket, then receives the next. One datagram at a time: the
/// send completes before the next receive is posted, so nothing queues and
/// one buffer serves both. Used on its io_context's thread only.
class udp_echo_server {
public:
  /// Takes a socket already bound: binding, and its errors, stay with
  /// reference_server, as for the TCP protocols.
  explicit udp_echo_server(asio::ip::udp::socket bound);
  udp_echo_server(const udp_echo_server&) = delete;
  udp_echo_server& operator=(const udp_echo_server&) = delete;

  /// Posts the first receive.
  void start();
  /// For stop(): the pending receive or send completes with
  /// operation_aborted, and nothing more is posted.
  void close();

private:
  void receive();
  void on_received(std::error_code ec, std::size_t size);

  asio::ip::udp::socket socket_;
  asio::ip::udp::endpoint sender_;
  std::vector<std::uint8_t> datagram_;
};

} // namespace tcpcheck::harness::detail
