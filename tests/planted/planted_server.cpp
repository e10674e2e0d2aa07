// A len:u16be echo server with one planted bug, for tcpcheck's live-fuzzing tests.
//
//   planted_server --bug none|length|pattern|hang|delay [--port N]
//
// Binds 127.0.0.1:N (0: any free port), prints "listening on 127.0.0.1:PORT",
// and serves each client on a thread of its own with blocking sockets. The
// protocol (README.md): the server sends "ready"; each frame P is answered
// with "ok:" + P; "bye" is answered with "bye" and the connection closed.
// Frames are read correctly, across as many recv() calls as they take, and
// a length above 1024 closes the connection. Each bug fires only on input a
// normal conversation never sends:
//
//   none     no bug
//   length   a length field of exactly 777 writes through a null pointer (SIGSEGV)
//   pattern  a payload holding the bytes DE AD 'F' 'Z' aborts (SIGABRT)
//   hang     the payload "stall" keeps the lock every thread takes before
//            serving, forever: no client, old or new, gets another answer
//   delay    no bug, a throttle: the payload "stall" keeps that lock for
//            1.5 s, then answers (every client waits meanwhile), as a
//            server that delays logins after a failed one does
//
// SIGTERM and SIGINT end it (their default action); a client idle for 30 s
// is dropped.
#include <arpa/inet.h>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <sys/time.h>
#include <thread>
#include <unistd.h>

namespace {

enum class bug { none, length, pattern, hang, delay };

// How long the delay "bug" keeps every client waiting.
constexpr auto throttle = std::chrono::milliseconds(1500);

// A correct server's limit: a longer length field closes the connection.
constexpr std::size_t largest_payload = 1024;
// A client that sends nothing (or reads nothing) for this long is dropped.
constexpr time_t idle_seconds = 30;

// Every thread takes this before it serves anything: the accept loop before
// it starts a connection's thread, a connection before each frame. Held only
// for a moment, except by the hang bug.
std::mutex serving;

// The length bug's victim: a session object that only the old protocol's
// 777-byte handshake ever created (volatile, so the compiler cannot see it is
// always null and turn the write into a trap).
struct legacy_session {
  std::size_t handshakes = 0;
};
legacy_session* volatile legacy = nullptr;

/// Reads exactly `size` bytes: false at EOF, on an error, or after the idle limit.
bool recv_all(int fd, char* into, std::size_t size) {
  std::size_t got = 0;
  while (got < size) {
    const ssize_t n = ::recv(fd, into + got, size - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false; // EOF, reset, or EAGAIN from SO_RCVTIMEO
    got += static_cast<std::size_t>(n);
  }
  return true;
}

/// Sends one frame (header and payload in one write): false if the peer is gone.
bool send_frame(int fd, std::string_view payload) {
  std::string wire;
  wire.reserve(2 + payload.size());
  wire.push_back(static_cast<char>((payload.size() >> 8) & 0xff));
  wire.push_back(static_cast<char>(payload.size() & 0xff));
  wire.append(payload);
  std::size_t sent = 0;
  while (sent < wire.size()) {
    const ssize_t n = ::send(fd, wire.data() + sent, wire.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

void serve(int fd, bug planted) {
  { const std::lock_guard gate(serving); }
  if (!send_frame(fd, "ready")) return;
  std::array<char, largest_payload> payload{};
  for (;;) {
    std::array<unsigned char, 2> header{};
    if (!recv_all(fd, reinterpret_cast<char*>(header.data()), header.size())) return;
    const std::size_t length = (std::size_t{header[0]} << 8) | header[1];
    if (planted == bug::length && length == 777)
      ++legacy->handshakes; // planted: null pointer write, SIGSEGV
    if (length > largest_payload) return;
    if (!recv_all(fd, payload.data(), length)) return;
    const std::string_view frame(payload.data(), length);

    std::unique_lock gate(serving);
    // DE AD 'F' 'Z' anywhere in the payload
    if (planted == bug::pattern && frame.find("\xde\xad\x46\x5a") != std::string_view::npos) {
      std::fputs("planted: payload pattern\n", stderr);
      std::abort();
    }
    if (planted == bug::hang && frame == "stall") {
      // planted: the lock every thread needs is kept, and this thread waits
      // for nothing. SIGTERM still ends the process.
      std::fputs("planted: stall\n", stderr);
      for (;;)
        ::pause();
    }
    if (planted == bug::delay && frame == "stall") std::this_thread::sleep_for(throttle);
    gate.unlock();

    if (frame == "bye") {
      send_frame(fd, "bye");
      return;
    }
    if (!send_frame(fd, "ok:" + std::string(frame))) return;
  }
}

int usage(const char* why) {
  std::fprintf(
      stderr,
      "planted_server: %s\nusage: planted_server --bug none|length|pattern|hang|delay [--port N]\n",
      why);
  return 2;
}

} // namespace

int main(int argc, char** argv) {
  bug planted = bug::none;
  std::uint16_t port = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i + 1 >= argc) return usage(("missing a value after " + std::string(arg)).c_str());
    const std::string_view value = argv[++i];
    if (arg == "--bug") {
      if (value == "none")
        planted = bug::none;
      else if (value == "length")
        planted = bug::length;
      else if (value == "pattern")
        planted = bug::pattern;
      else if (value == "hang")
        planted = bug::hang;
      else if (value == "delay")
        planted = bug::delay;
      else
        return usage(("unknown bug '" + std::string(value) + "'").c_str());
    } else if (arg == "--port") {
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), port);
      if (ec != std::errc{} || end != value.data() + value.size())
        return usage(("bad port '" + std::string(value) + "'").c_str());
    } else {
      return usage(("unknown option '" + std::string(arg) + "'").c_str());
    }
  }

  const int listen_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd < 0) {
    std::perror("planted_server: socket");
    return 1;
  }
  const int on = 1;
  ::setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  socklen_t size = sizeof address;
  if (::bind(listen_fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listen_fd, 128) != 0 ||
      ::getsockname(listen_fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    std::perror("planted_server: bind/listen");
    return 1;
  }
  std::printf("listening on 127.0.0.1:%u\n", unsigned{ntohs(address.sin_port)});
  std::fflush(stdout);

  for (;;) {
    const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue; // EINTR, ECONNABORTED, EMFILE: try again
    { const std::lock_guard gate(serving); }
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    const timeval idle{idle_seconds, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof idle);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &idle, sizeof idle);
    std::thread([fd, planted] {
      serve(fd, planted);
      ::close(fd);
    }).detach();
  }
}
