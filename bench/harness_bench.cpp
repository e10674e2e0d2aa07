// Harness throughput and capacity: conversations per second with K sessions
// at once against the reference greeting server, beside a minimal blocking
// client doing the same conversation in the same run, and beside about the
// smallest event-driven client there is (epoll_limit.hpp), a reference point
// for what keeping K conversations going costs on this machine; then how
// many sessions one process holds open at once, and at what resident memory.
//
//   tcpcheck_harness_bench [--sessions K] [--conversations N] [--hold H] [--check]
//                          [--threads T] [--harness-only]
//
// --harness-only runs the harness's conversations and nothing else, for a
// profiler (perf record, strace -c) to see the harness alone.
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

#include "bench_support.hpp"
#include "epoll_limit.hpp"

namespace {

using namespace tcpcheck::bench;
using clock_type = std::chrono::steady_clock;

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
  bool harness_only = false;
  std::size_t threads = 2;
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
    else if (a == "--threads")
      threads = value();
    else if (a == "--harness-only")
      harness_only = true;
    else {
      std::fprintf(stderr,
                   "usage: %s [--sessions K] [--conversations N] [--hold H] [--check] "
                   "[--threads T] [--harness-only]\n",
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
  work_clock baseline, harness, limit;
  std::size_t baseline_failures = 0, limit_failures = 0;
  std::atomic<std::size_t> harness_passed{0};
  const std::size_t rounds = 5;
  for (std::size_t round = 0; round < rounds; ++round) {
    const std::size_t serial = harness_only ? 0 : conversations / rounds / 4;
    timed(baseline, serial, [&] {
      for (std::size_t i = 0; i < serial; ++i)
        baseline_failures += blocking_conversation(greeter.port) ? 0 : 1;
    });
    timed(harness, conversations / rounds, [&] {
      tcpcheck::harness::run_options options;
      tcpcheck::harness::run_many(
          where, *greeting, *line, whole, conversations / rounds, threads, options,
          [&](std::size_t, tcpcheck::harness::run_result r) {
            harness_passed += r.outcome.passed ? 1 : 0;
          },
          sessions);
    });
    const std::size_t limit_count = harness_only ? 0 : conversations / rounds;
    timed(limit, limit_count,
          [&] { limit_failures += epoll_conversations(greeter.port, limit_count, sessions); });
  }
  stop_server(greeter);
  const double baseline_rate = baseline.per_second();
  const double harness_rate = harness.per_second();
  if (harness_only) {
    std::printf("conversations/s: harness with %zu sessions at once %.0f; client CPU per "
                "conversation %.1f us; failed %zu of %zu\n",
                sessions, harness_rate, harness.cpu_us_per_unit(), harness.units - harness_passed,
                harness.units);
    return 0;
  }
  std::printf("conversations/s: harness with %zu sessions at once %.0f, blocking client %.0f, "
              "ratio %.2fx (target >= 2x)\n",
              sessions, harness_rate, baseline_rate, harness_rate / baseline_rate);
  std::printf("client CPU per conversation: harness %.1f us, blocking client %.1f us, "
              "ratio %.2fx (target <= 1x)\n",
              harness.cpu_us_per_unit(), baseline.cpu_us_per_unit(),
              harness.cpu_us_per_unit() / baseline.cpu_us_per_unit());
  std::printf(
      "minimal event-driven client, %zu at once on one thread: %.0f conversations/s (%.2fx the "
      "blocking client), %.1f us CPU each; the harness reaches %.2f of its rate and "
      "spends %.2fx its CPU\n",
      sessions, limit.per_second(), limit.per_second() / baseline_rate, limit.cpu_us_per_unit(),
      harness_rate / limit.per_second(), harness.cpu_us_per_unit() / limit.cpu_us_per_unit());
  std::printf("failed conversations: harness %zu of %zu, blocking client %zu of %zu, "
              "event-driven client %zu of %zu\n",
              harness.units - harness_passed, harness.units, baseline_failures, baseline.units,
              limit_failures, limit.units);

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
  const bool met = harness_rate >= 2 * baseline_rate &&
                   harness.cpu_us_per_unit() <= baseline.cpu_us_per_unit() && held == hold &&
                   peak_kib < 200 * 1024 && harness_passed == harness.units &&
                   baseline_failures == 0 && limit_failures == 0;
  return check && !met ? 1 : 0;
}
