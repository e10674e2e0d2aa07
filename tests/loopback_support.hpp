// Helpers the socket tests share: a loopback port that refuses connections,
// a server for one connection, and waiting for a condition with a limit.
#pragma once

#include <arpa/inet.h>
#include <chrono>
#include <cstdint>
#include <functional>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <sys/time.h>
#include <thread>
#include <unistd.h>
#include <utility>

namespace tcpcheck::test {

/// A loopback port that refuses connections: bound, so no one else takes
/// it during the test, but not listening.
class refusing_port {
public:
  refusing_port() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0)
      throw std::runtime_error("cannot bind a loopback port");
    port_ = ntohs(address.sin_port);
  }
  ~refusing_port() { ::close(fd_); }
  refusing_port(const refusing_port&) = delete;
  refusing_port& operator=(const refusing_port&) = delete;
  std::uint16_t port() const { return port_; }

private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

/// How long a test server waits for its client, and for each receive and
/// send, before it gives up: a broken client fails a test, not hangs it.
inline constexpr std::chrono::seconds server_patience{5};

/// A loopback server on port 0 for one connection: its thread accepts the
/// client and plays `serve` on the connected socket (TCP_NODELAY: cut
/// replies stay cut), then closes it. With a `receive_buffer`, the socket
/// has that SO_RCVBUF from the handshake on (a small window).
class one_connection_server {
public:
  explicit one_connection_server(std::function<void(int)> serve, int receive_buffer = 0)
      : serve_(std::move(serve)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    if (listener_ < 0 ||
        (receive_buffer > 0 && ::setsockopt(listener_, SOL_SOCKET, SO_RCVBUF, &receive_buffer,
                                            sizeof receive_buffer) != 0) ||
        ::bind(listener_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener_, 1) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
      if (listener_ >= 0) ::close(listener_);
      throw std::runtime_error("cannot listen on a loopback port");
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~one_connection_server() {
    ::shutdown(listener_, SHUT_RDWR); // ends a wait for a client that never came
    thread_.join();
    ::close(listener_);
  }
  one_connection_server(const one_connection_server&) = delete;
  one_connection_server& operator=(const one_connection_server&) = delete;

  std::uint16_t port() const { return port_; }

private:
  void run() {
    pollfd waiting{listener_, POLLIN, 0};
    const auto patience = std::chrono::milliseconds(server_patience);
    if (::poll(&waiting, 1, static_cast<int>(patience.count())) != 1) return;
    const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    timeval limit{};
    limit.tv_sec = server_patience.count();
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    serve_(fd);
    ::close(fd);
  }

  std::function<void(int)> serve_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_; // last: started once everything else exists
};

/// A server for one connection that sends `text`, then closes at once
/// (`close_at_once`) or once the client has closed. Closed at once, what the
/// client writes after that reaches a socket that is gone, and the server's
/// kernel answers with a reset.
class one_shot_server : public one_connection_server {
public:
  one_shot_server(std::string text, bool close_at_once)
      : one_connection_server([text = std::move(text), close_at_once](int client) {
          (void)::send(client, text.data(), text.size(), MSG_NOSIGNAL);
          char byte = 0;
          if (!close_at_once)
            while (::recv(client, &byte, 1, 0) > 0) {
            }
        }) {}
};

/// Whether `condition` holds within `limit`, checked every millisecond.
template <class Condition>
bool eventually(Condition condition,
                std::chrono::milliseconds limit = std::chrono::milliseconds(10000)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return condition();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

} // namespace tcpcheck::test
