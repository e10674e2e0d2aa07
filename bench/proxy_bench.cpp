// The proxy's cost with no disturbance: bulk throughput and the latency it
// adds per exchange, each beside the direct connection to the same echo
// server in the same run (rounds alternate, so both see the same machine).
//
//   tcpcheck_proxy_bench [--megabytes M] [--exchanges N] [--rounds R] [--check]
//
// Targets (issue 15): at least half the direct throughput, and under 100 us
// added per exchange on loopback. The echo server runs in a child process;
// the proxy runs on a thread of this one.
#include "tcpcheck/harness/proxy.hpp"

#include <arpa/inet.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "bench_support.hpp"

namespace {

using namespace tcpcheck;
using namespace tcpcheck::bench;
using clock_type = std::chrono::steady_clock;

int connect_to(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    std::perror("connect");
    std::exit(3);
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// Sends `total` bytes through the echo server and reads them all back (a
// thread writes while this one reads); returns the seconds it took.
double bulk_seconds(std::uint16_t port, std::size_t total) {
  const int fd = connect_to(port);
  const auto start = clock_type::now();
  std::thread writer([fd, total] {
    const std::vector<char> block(1 << 16, 'b');
    for (std::size_t sent = 0; sent < total;) {
      const ssize_t n =
          ::send(fd, block.data(), std::min(block.size(), total - sent), MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<std::size_t>(n);
    }
  });
  std::vector<char> buffer(1 << 16);
  std::size_t got = 0;
  while (got < total) {
    const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  writer.join();
  const double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  ::close(fd);
  if (got != total) {
    std::fprintf(stderr, "bulk transfer lost bytes: %zu of %zu\n", got, total);
    std::exit(1);
  }
  return seconds;
}

// `count` exchanges of 16 bytes, each waiting for its echo; seconds in all.
double exchange_seconds(std::uint16_t port, std::size_t count) {
  const int fd = connect_to(port);
  char message[16] = "0123456789abcde";
  char reply[16];
  const auto start = clock_type::now();
  for (std::size_t i = 0; i < count; ++i) {
    if (::send(fd, message, sizeof message, MSG_NOSIGNAL) != sizeof message) std::exit(1);
    for (std::size_t got = 0; got < sizeof reply;) {
      const ssize_t n = ::recv(fd, reply + got, sizeof reply - got, 0);
      if (n <= 0) std::exit(1);
      got += static_cast<std::size_t>(n);
    }
  }
  const double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  ::close(fd);
  return seconds;
}

struct arguments {
  std::size_t megabytes = 256;
  std::size_t exchanges = 20000;
  std::size_t rounds = 3;
  bool check = false;
};

arguments parse(int argc, char** argv) {
  arguments a;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto number = [&] { return i + 1 < argc ? std::strtoull(argv[++i], nullptr, 10) : 0; };
    if (arg == "--megabytes")
      a.megabytes = number();
    else if (arg == "--exchanges")
      a.exchanges = number();
    else if (arg == "--rounds")
      a.rounds = number();
    else if (arg == "--check")
      a.check = true;
    else {
      std::fprintf(stderr, "usage: %s [--megabytes M] [--exchanges N] [--rounds R] [--check]\n",
                   argv[0]);
      std::exit(2);
    }
  }
  if (!a.megabytes || !a.exchanges || !a.rounds) std::exit(2);
  return a;
}

} // namespace

int main(int argc, char** argv) {
  const arguments a = parse(argc, argv);
  const child_server echo = start_server(harness::reference_protocol::echo);
  harness::proxy_options o;
  o.upstream = {"127.0.0.1", echo.port};
  harness::proxy proxy(o);
  std::thread proxy_thread([&] { proxy.run(); });

  const std::size_t total = a.megabytes << 20;
  double direct_bulk = 0, proxied_bulk = 0, direct_exchange = 0, proxied_exchange = 0;
  for (std::size_t round = 0; round < a.rounds; ++round) {
    direct_bulk += bulk_seconds(echo.port, total);
    proxied_bulk += bulk_seconds(proxy.port(), total);
    direct_exchange += exchange_seconds(echo.port, a.exchanges);
    proxied_exchange += exchange_seconds(proxy.port(), a.exchanges);
  }
  proxy.stop();
  proxy_thread.join();
  stop_server(echo);

  const double mib = static_cast<double>(total * a.rounds) / (1 << 20);
  const double throughput_ratio = direct_bulk / proxied_bulk;
  const double per_exchange = 1e6 / static_cast<double>(a.exchanges * a.rounds);
  const double added_us = (proxied_exchange - direct_exchange) * per_exchange;
  std::printf("bulk echo of %zu MiB x %zu: direct %.0f MiB/s, through the proxy %.0f MiB/s, "
              "ratio %.2fx (target >= 0.5x)\n",
              a.megabytes, a.rounds, mib / direct_bulk, mib / proxied_bulk, throughput_ratio);
  std::printf("16-byte exchanges: direct %.1f us, through the proxy %.1f us, added %.1f us "
              "(target < 100 us)\n",
              direct_exchange * per_exchange, proxied_exchange * per_exchange, added_us);
  const bool met = throughput_ratio >= 0.5 && added_us < 100;
  if (a.check && !met) return 1;
  return 0;
}
