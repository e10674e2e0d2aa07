// Tests of the TCP transports through run_script and serve_script. The
// connections the runner makes (its own epoll set: outgoing_tcp_transport.cpp,
// socket_events.cpp): the edges the set reports are enough to see each
// reply, the FIN right behind it and the bytes behind an urgent byte; both
// FINs are a clean end; a write larger than the socket buffers waits for room
// and goes out whole. (Many conversations on one thread, and the run's end
// after them: RunMany in harness_run_test.cpp.) The connections tcpcheck's
// listener accepts (accepted_tcp_transport.cpp): both FINs are a clean end
// there too.
#include "tcpcheck/framing_spec.hpp"
#include "tcpcheck/harness/run.hpp"
#include "tcpcheck/script.hpp"

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string>
#include <sys/socket.h>
#include <sys/time.h>
#include <thread>
#include <unistd.h>

#include <gtest/gtest.h>

#include "loopback_support.hpp"
#include "test_support.hpp"

namespace tcpcheck::harness {
namespace {

using namespace std::chrono_literals;
using test::one_shot_server;

// The script's own framing and timeouts; the run's defaults otherwise.
run_result run_against(std::uint16_t port, const script& s) {
  return run_script({"127.0.0.1", port}, s, test::spec_of(s), {}, {});
}

std::size_t bytes_read(const run_result& r) {
  std::size_t total = 0;
  for (const auto& e : r.wire_log)
    if (e.what == wire_event::kind::read) total += e.size;
  return total;
}

bool saw(const run_result& r, wire_event::kind what) {
  for (const auto& e : r.wire_log)
    if (e.what == what) return true;
  return false;
}

// The FIN often comes with the reply's last bytes, in the event that told
// of them; no later edge tells of it. A read that fills the buffer (4 KiB)
// and one that stops short of it must both leave the FIN to be seen.
TEST(OutgoingConnection, SeesTheFinThatCameWithTheRepliesLastBytes) {
  const script s = test::script_of("framing line\ntimeout 2s\nexpect any\nexpect close\n");
  for (const std::size_t size : {1u, 4095u, 4096u, 4097u, 8192u, 100000u}) {
    SCOPED_TRACE(size);
    one_shot_server server(std::string(size - 1, 'x') + "\n", true);

    const run_result r = run_against(server.port(), s);

    EXPECT_TRUE(r.outcome.passed) << to_string(r.outcome);
    EXPECT_EQ(bytes_read(r), size);
    EXPECT_TRUE(saw(r, wire_event::kind::peer_fin));
  }
}

// An urgent byte (MSG_OOB) between two parts of a line: a read stops at
// its mark, short of the buffer, with the rest of the line behind it and
// no edge to come for it.
TEST(OutgoingConnection, ReadsOnPastAnUrgentBytesMark) {
  const script s = test::script_of("framing line\ntimeout 2s\nexpect \"abcdef\"\n");
  for (int attempt = 0; attempt < 5; ++attempt) {
    SCOPED_TRACE(attempt);
    test::one_connection_server server([](int client) {
      // Corked, the three go out as one segment: the client's first read
      // finds all of them, and stops at the mark.
      const int off = 0;
      const int on = 1;
      ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &off, sizeof off);
      ::setsockopt(client, IPPROTO_TCP, TCP_CORK, &on, sizeof on);
      (void)::send(client, "abc", 3, MSG_NOSIGNAL);
      (void)::send(client, "X", 1, MSG_NOSIGNAL | MSG_OOB);
      (void)::send(client, "def\n", 4, MSG_NOSIGNAL);
      ::setsockopt(client, IPPROTO_TCP, TCP_CORK, &off, sizeof off);
      char byte = 0;
      while (::recv(client, &byte, 1, 0) > 0) { // until the client closes
      }
    });

    const run_result r = run_against(server.port(), s);

    EXPECT_TRUE(r.outcome.passed) << to_string(r.outcome);
  }
}

// Both FINs, the peer's and then ours: the socket hangs up, which is a
// clean end, not a reset after the peer's FIN.
TEST(OutgoingConnection, TakesBothFinsForACleanEndNotAReset) {
  const script s = test::script_of(
      "framing line\ntimeout 2s\nexpect any\nexpect close\nshutdown\nsleep 300ms\n");
  one_shot_server server("bye\n", true);

  const run_result r = run_against(server.port(), s);

  EXPECT_TRUE(r.outcome.passed) << to_string(r.outcome);
  EXPECT_TRUE(saw(r, wire_event::kind::peer_fin));
  EXPECT_FALSE(saw(r, wire_event::kind::peer_rst));
}

// A server whose window is small and that starts reading late: counts what
// reaches it until the client's FIN.
class late_reader {
public:
  std::uint16_t port() const { return server_.port(); }
  /// What arrived; final once the run has ended and the server closed.
  std::size_t received() const { return received_; }

private:
  void serve(int client) {
    std::this_thread::sleep_for(200ms); // the client's buffers fill meanwhile
    char chunk[65536];
    for (ssize_t n; (n = ::recv(client, chunk, sizeof chunk, 0)) > 0;)
      received_ += static_cast<std::size_t>(n);
  }

  std::atomic<std::size_t> received_{0};
  test::one_connection_server server_{[this](int client) { serve(client); }, 4096};
};

// Larger than what the client's send buffer and the server's window hold
// together: the write finds no room part of the way and waits for the
// socket to become writable.
TEST(OutgoingConnection, WritesASendLargerThanTheSocketBuffersWhole) {
  const std::size_t size = 3u << 20; // the script may be 4 MiB at most
  const script s =
      test::script_of("framing raw\ntimeout 10s\nsend \"" + std::string(size, 'x') + "\"\nclose\n");
  late_reader server;

  const run_result r = run_against(server.port(), s);

  EXPECT_TRUE(r.outcome.passed) << to_string(r.outcome);
  EXPECT_FALSE(saw(r, wire_event::kind::error));
  EXPECT_TRUE(test::eventually([&] { return server.received() == size; }))
      << server.received() << " of " << size << " bytes arrived";
}

// The client's FIN, then tcpcheck's (`shutdown`): the accepted socket hangs
// up, the clean end, which is not a reset after the client's FIN.
TEST(AcceptedConnection, TakesBothFinsForACleanEndNotAReset) {
  const script s =
      test::script_of("role server\nframing line\ntimeout 2s\nexpect \"hi\"\nexpect close\n"
                      "shutdown\nsleep 300ms\n");
  std::thread client;
  const run_result r =
      serve_script({"127.0.0.1", 0}, s, test::spec_of(s), {}, {}, [&client](const target& bound) {
        client = std::thread([port = bound.port] {
          const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
          sockaddr_in address{};
          address.sin_family = AF_INET;
          address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
          address.sin_port = htons(port);
          if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) {
            (void)::send(fd, "hi\n", 3, MSG_NOSIGNAL);
            ::shutdown(fd, SHUT_WR);
            const timeval patience{2, 0};
            ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof patience);
            char byte = 0;
            while (::recv(fd, &byte, 1, 0) > 0) { // until tcpcheck's FIN
            }
          }
          ::close(fd);
        });
      });
  client.join();

  EXPECT_TRUE(r.outcome.passed) << to_string(r.outcome);
  EXPECT_TRUE(saw(r, wire_event::kind::peer_fin));
  EXPECT_FALSE(saw(r, wire_event::kind::peer_rst));
}

} // namespace
} // namespace tcpcheck::harness
