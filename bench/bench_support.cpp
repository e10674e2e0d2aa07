// The benchmarks' shared pieces.
#include "bench_support.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstdlib>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <string>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace tcpcheck::bench {

const char* const greeting_script = R"(# the greeting conversation: welcome, three names, exit
framing line
timeout 5s
expect "Welcome!"
send "Michael"
expect "Hello, Michael"
send "Tracy"
expect "Hello, Tracy"
send "Sarah"
expect "Hello, Sarah"
send "exit"
expect "Good bye!"
expect close
)";

// Forks a process that serves `protocol` until SIGTERM; returns its port.
child_server start_server(harness::reference_protocol protocol) {
  int fds[2];
  if (pipe(fds) != 0) std::exit(2);
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, nullptr);
    harness::reference_server server(protocol);
    const std::uint16_t port = server.port();
    if (write(fds[1], &port, sizeof port) != sizeof port) _exit(2);
    int received = 0;
    sigwait(&stop, &received);
    server.stop();
    _exit(0);
  }
  close(fds[1]);
  child_server c;
  c.pid = pid;
  if (read(fds[0], &c.port, sizeof c.port) != sizeof c.port) std::exit(2);
  close(fds[0]);
  return c;
}

void stop_server(const child_server& c) {
  kill(c.pid, SIGTERM);
  int status = 0;
  waitpid(c.pid, &status, 0);
}

int connect_to_loopback(std::uint16_t port, int type_flags) {
  const int fd = socket(AF_INET, SOCK_STREAM | type_flags, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 &&
      !((type_flags & SOCK_NONBLOCK) != 0 && errno == EINPROGRESS)) {
    close(fd);
    return -1;
  }
  return fd;
}

bool say_line(int fd, std::string_view line) {
  const std::string wire = std::string(line) + '\n';
  return send(fd, wire.data(), wire.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(wire.size());
}

bool take_line(std::string& pending, std::string_view want) {
  const std::size_t nl = pending.find('\n');
  const bool same = std::string_view(pending).substr(0, nl) == want;
  pending.erase(0, nl + 1);
  return same;
}

// The baseline: the same conversation with blocking sockets and nothing else.
bool blocking_conversation(std::uint16_t port) {
  const int fd = connect_to_loopback(port, 0);
  if (fd < 0) return false;
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  bool ok = true;
  std::string pending;
  const auto read_line = [&](std::string_view want) {
    char buf[4096];
    while (pending.find('\n') == std::string::npos) {
      const ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return false;
      pending.append(buf, static_cast<std::size_t>(n));
    }
    return take_line(pending, want);
  };
  ok = ok && read_line(greeting_replies[0]);
  for (std::size_t i = 0; i < greeting_sayings.size(); ++i)
    ok = ok && say_line(fd, greeting_sayings[i]) && read_line(greeting_replies[i + 1]);
  char tail;
  ok = ok && recv(fd, &tail, 1, 0) == 0;
  close(fd);
  return ok;
}

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

} // namespace tcpcheck::bench
