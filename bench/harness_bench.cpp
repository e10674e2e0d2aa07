// Harness throughput and capacity: conversations per second with K sessions
// at once against the reference greeting server, beside a minimal blocking
// client doing the same conversation in the same run; then how many
// sessions one process holds open at once, and at what resident memory.
//
//   tcpcheck_harness_bench [--sessions K] [--conversations N] [--hold H] [--check]
//
// The server runs in a child process, so the memory figure is the harness's.
#include "tcpcheck/harness/reference_server.hpp"
#include "tcpcheck/harness/run.hpp"

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <string>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using clock_type = std::chrono::steady_clock;

constexpr const char* greeting_script = R"(# the greeting conversation: welcome, three names, exit
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

// Holds the connection open for a while, then checks it still works.
constexpr const char* hold_script = R"(# hold a connection open, then echo through it
framing raw
timeout 60s
sleep 3s
send "ping"
shutdown
expect "ping"
expect close
)";

struct child_server {
  pid_t pid = -1;
  std::uint16_t port = 0;
};

// Forks a process that serves `protocol` until SIGTERM; returns its port.
child_server start_server(tcpcheck::harness::reference_protocol protocol) {
  int fds[2];
  if (pipe(fds) != 0) std::exit(2);
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, nullptr);
    tcpcheck::harness::reference_server server(protocol);
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

// The baseline: the same conversation with blocking sockets and nothing else.
bool blocking_conversation(std::uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  std::string pending;
  const auto read_line = [&](const std::string& want) {
    char buf[4096];
    while (pending.find('\n') == std::string::npos) {
      const ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return false;
      pending.append(buf, static_cast<std::size_t>(n));
    }
    const std::size_t nl = pending.find('\n');
    const bool same = pending.substr(0, nl) == want;
    pending.erase(0, nl + 1);
    return same;
  };
  const auto say = [&](const std::string& line) {
    const std::string wire = line + "\n";
    return send(fd, wire.data(), wire.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(wire.size());
  };
  ok = ok && read_line("Welcome!");
  for (const char* name : {"Michael", "Tracy", "Sarah"})
    ok = ok && say(name) && read_line(std::string("Hello, ") + name);
  ok = ok && say("exit") && read_line("Good bye!");
  char tail;
  ok = ok && recv(fd, &tail, 1, 0) == 0;
  close(fd);
  return ok;
}

long resident_kib(const char* field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind(field, 0) == 0)
      return std::strtol(line.c_str() + std::strlen(field), nullptr, 10);
  return -1;
}

} // namespace

int main(int argc, char** argv) {
  std::size_t sessions = 64;
  std::size_t conversations = 3000;
  std::size_t hold = 10000;
  bool check = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto value = [&] { return i + 1 < argc ? std::strtoul(argv[++i], nullptr, 10) : 0ul; };
    if (a == "--sessions")
      sessions = value();
    else if (a == "--conversations")
      conversations = value();
    else if (a == "--hold")
      hold = value();
    else if (a == "--check")
      check = true;
    else {
      std::fprintf(stderr, "usage: %s [--sessions K] [--conversations N] [--hold H] [--check]\n",
                   argv[0]);
      return 2;
    }
  }
  // Each held session needs a socket here and one in the server process.
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = files.rlim_max;
  setrlimit(RLIMIT_NOFILE, &files);

  tcpcheck::script_error bad;
  const auto greeting = tcpcheck::parse_script(greeting_script, bad);
  const auto holding = tcpcheck::parse_script(hold_script, bad);
  tcpcheck::spec_error bad_spec;
  const auto line = tcpcheck::parse_framing_spec("line", bad_spec);
  const auto raw = tcpcheck::parse_framing_spec("raw", bad_spec);
  const tcpcheck::delivery_plan whole;

  const child_server greeter = start_server(tcpcheck::harness::reference_protocol::greeting);
  const tcpcheck::harness::target where{"127.0.0.1", greeter.port};

  // Baseline and harness alternate in rounds, so both see the same machine.
  std::size_t baseline_done = 0, harness_done = 0, baseline_failures = 0;
  std::atomic<std::size_t> harness_passed{0};
  clock_type::duration baseline_time{}, harness_time{};
  const std::size_t rounds = 5;
  for (std::size_t round = 0; round < rounds; ++round) {
    auto t0 = clock_type::now();
    for (std::size_t i = 0; i < conversations / rounds / 4; ++i, ++baseline_done)
      baseline_failures += blocking_conversation(greeter.port) ? 0 : 1;
    auto t1 = clock_type::now();
    baseline_time += t1 - t0;
    tcpcheck::harness::run_options options;
    tcpcheck::harness::run_many(
        where, *greeting, *line, whole, conversations / rounds, 2, options,
        [&](std::size_t, tcpcheck::harness::run_result r) {
          harness_passed += r.outcome.passed ? 1 : 0;
        },
        sessions);
    harness_done += conversations / rounds;
    harness_time += clock_type::now() - t1;
  }
  stop_server(greeter);
  const auto rate = [](std::size_t n, clock_type::duration d) {
    return static_cast<double>(n) / std::chrono::duration<double>(d).count();
  };
  const double baseline_rate = rate(baseline_done, baseline_time);
  const double harness_rate = rate(harness_done, harness_time);
  std::printf("conversations/s: harness with %zu sessions at once %.0f, blocking client %.0f, "
              "ratio %.2fx (target >= 2x)\n",
              sessions, harness_rate, baseline_rate, harness_rate / baseline_rate);
  std::printf("failed conversations: harness %zu of %zu, blocking client %zu of %zu\n",
              harness_done - harness_passed, harness_done, baseline_failures, baseline_done);

  // Capacity: `hold` sessions open at once, each checked at the end.
  const child_server echo = start_server(tcpcheck::harness::reference_protocol::echo);
  std::atomic<std::size_t> held{0};
  tcpcheck::harness::run_options options;
  options.session.connect_timeout = tcpcheck::duration(30000);
  const auto t0 = clock_type::now();
  tcpcheck::harness::run_many(
      {"127.0.0.1", echo.port}, *holding, *raw, whole, hold, 2, options,
      [&](std::size_t, tcpcheck::harness::run_result r) { held += r.outcome.passed ? 1 : 0; });
  const double seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
  stop_server(echo);
  const long peak_kib = resident_kib("VmHWM:");
  std::printf("held %zu of %zu sessions open at once (%.1f s); peak resident %.1f MiB "
              "(target < 200 MiB)\n",
              held.load(), hold, seconds, static_cast<double>(peak_kib) / 1024.0);
  const bool met = harness_rate >= 2 * baseline_rate && held == hold && peak_kib < 200 * 1024 &&
                   harness_passed == harness_done && baseline_failures == 0;
  return check && !met ? 1 : 0;
}
