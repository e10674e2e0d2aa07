// Harness throughput and capacity: conversations per second with K sessions
// at once against the reference greeting server, beside a minimal blocking
// client doing the same conversation in the same run, and beside about the
// smallest event-driven client there is (epoll_client.hpp), a reference point
// for what keeping K conversations going costs on this machine; then how
// many sessions one process holds open at once, and at what resident memory.
//
//   tcpcheck_harness_bench [--sessions K] [--conversations N] [--hold H] [--check]
//                          [--threads T] [--rounds R] [--harness-only]
//
// With --rounds R the three clients are measured R times and the ratios'
// medians are what --check judges: on a shared machine one round's ratio
// swings by a third with the neighbours.
//
// --harness-only runs the harness's conversations and nothing else, for a
// profiler (perf record, strace -c) to see the harness alone.
// The server runs in a child process, so the memory figure is the harness's.
#include "tcpcheck/harness/check.hpp"
#include "tcpcheck/harness/reference_server.hpp"
#include "tcpcheck/harness/run.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <optional>
#include <signal.h>
#include <string>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "bench_support.hpp"
#include "epoll_client.hpp"

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

struct bench_options {
  std::size_t sessions = 64;
  std::size_t conversations = 3000;
  std::size_t hold = 10000;
  bool check = false;
  bool harness_only = false;
  std::size_t threads = tcpcheck::harness::check_options{}.threads; // check's parallel runs
  std::size_t rounds = 1;
};

std::optional<bench_options> parse_options(int argc, char** argv) {
  bench_options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto value = [&] { return i + 1 < argc ? std::strtoul(argv[++i], nullptr, 10) : 0ul; };
    if (a == "--sessions")
      o.sessions = value();
    else if (a == "--conversations")
      o.conversations = value();
    else if (a == "--hold")
      o.hold = value();
    else if (a == "--check")
      o.check = true;
    else if (a == "--threads")
      o.threads = value();
    else if (a == "--rounds")
      o.rounds = std::max(1ul, value());
    else if (a == "--harness-only")
      o.harness_only = true;
    else
      return std::nullopt;
  }
  return o;
}

// The three clients' work on the greeting conversation, and what failed.
struct rates {
  work_clock baseline, harness, event_driven;
  std::size_t baseline_failures = 0, event_driven_failures = 0, harness_passed = 0;

  bool all_passed() const {
    return harness_passed == harness.units && baseline_failures == 0 && event_driven_failures == 0;
  }
};

// The blocking client, the harness and the event-driven client take turns
// in rounds, so that all three see the same machine.
rates measure_rates(const bench_options& o) {
  tcpcheck::script_error bad;
  const auto greeting = tcpcheck::parse_script(greeting_script, bad);
  tcpcheck::spec_error bad_spec;
  const auto line = tcpcheck::parse_framing_spec("line", bad_spec);
  const child_server greeter = start_server(tcpcheck::harness::reference_protocol::greeting);
  const tcpcheck::harness::target where{"127.0.0.1", greeter.port};
  rates r;
  std::atomic<std::size_t> harness_passed{0};
  const std::size_t rounds = 5;
  const std::size_t per_round = o.conversations / rounds;
  const std::size_t serial = o.harness_only ? 0 : per_round / 4;
  const std::size_t event_driven_count = o.harness_only ? 0 : per_round;
  for (std::size_t round = 0; round < rounds; ++round) {
    timed(r.baseline, serial, [&] {
      for (std::size_t i = 0; i < serial; ++i)
        r.baseline_failures += blocking_conversation(greeter.port) ? 0 : 1;
    });
    timed(r.harness, per_round, [&] {
      tcpcheck::harness::run_options options;
      tcpcheck::harness::run_many(
          where, *greeting, *line, tcpcheck::delivery_plan{}, per_round, o.threads, options,
          [&](std::size_t, tcpcheck::harness::run_result result) {
            harness_passed += result.outcome.passed ? 1 : 0;
          },
          o.sessions);
    });
    timed(r.event_driven, event_driven_count, [&] {
      r.event_driven_failures += epoll_conversations(greeter.port, event_driven_count, o.sessions);
    });
  }
  stop_server(greeter);
  r.harness_passed = harness_passed;
  return r;
}

void print_rates(const rates& r, std::size_t sessions, std::size_t threads) {
  const double baseline_rate = r.baseline.per_second();
  const double harness_rate = r.harness.per_second();
  const double harness_cpu = r.harness.cpu_us_per_unit();
  std::printf("conversations/s: harness with %zu sessions at once on %zu I/O thread%s %.0f, "
              "blocking client %.0f, ratio %.2fx (target >= 2x)\n",
              sessions, threads, threads == 1 ? "" : "s", harness_rate, baseline_rate,
              harness_rate / baseline_rate);
  std::printf("client CPU per conversation: harness %.1f us, blocking client %.1f us, "
              "ratio %.2fx (target <= 1x)\n",
              harness_cpu, r.baseline.cpu_us_per_unit(),
              harness_cpu / r.baseline.cpu_us_per_unit());
  std::printf(
      "minimal event-driven client, %zu at once on one thread: %.0f conversations/s (%.2fx the "
      "blocking client), %.1f us CPU each; the harness reaches %.2f of its rate and "
      "spends %.2fx its CPU\n",
      sessions, r.event_driven.per_second(), r.event_driven.per_second() / baseline_rate,
      r.event_driven.cpu_us_per_unit(), harness_rate / r.event_driven.per_second(),
      harness_cpu / r.event_driven.cpu_us_per_unit());
  std::printf("failed conversations: harness %zu of %zu, blocking client %zu of %zu, "
              "event-driven client %zu of %zu\n",
              r.harness.units - r.harness_passed, r.harness.units, r.baseline_failures,
              r.baseline.units, r.event_driven_failures, r.event_driven.units);
}

// The harness against the blocking client: its rate and CPU per
// conversation as ratios, and whether every conversation passed.
struct ratios {
  double rate = 0, cpu = 0;
  bool all_passed = true;
};

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// Measures o.rounds times, printing each round; the medians of the
// ratios when there are several rounds.
ratios measure_rounds(const bench_options& o) {
  std::vector<double> rate_ratios, cpu_ratios;
  bool all_passed = true;
  for (std::size_t round = 1; round <= o.rounds; ++round) {
    if (o.rounds > 1) std::printf("round %zu of %zu:\n", round, o.rounds);
    const rates r = measure_rates(o);
    print_rates(r, o.sessions, o.threads);
    rate_ratios.push_back(r.harness.per_second() / r.baseline.per_second());
    cpu_ratios.push_back(r.harness.cpu_us_per_unit() / r.baseline.cpu_us_per_unit());
    all_passed = all_passed && r.all_passed();
  }
  const ratios judged{median(rate_ratios), median(cpu_ratios), all_passed};
  if (o.rounds > 1)
    std::printf("median of %zu rounds: rate %.2fx the blocking client's (target >= 2x), CPU per "
                "conversation %.2fx its (target <= 1x)\n",
                o.rounds, judged.rate, judged.cpu);
  return judged;
}

// Capacity: `hold` sessions open at once, each checked at the end; returns
// how many passed. The peak resident memory is read after.
std::size_t hold_sessions(std::size_t hold) {
  tcpcheck::script_error bad;
  const auto holding = tcpcheck::parse_script(hold_script, bad);
  tcpcheck::spec_error bad_spec;
  const auto raw = tcpcheck::parse_framing_spec("raw", bad_spec);
  const child_server echo = start_server(tcpcheck::harness::reference_protocol::echo);
  std::atomic<std::size_t> held{0};
  tcpcheck::harness::run_options options;
  options.session.connect_timeout = tcpcheck::duration(30000);
  const auto t0 = clock_type::now();
  tcpcheck::harness::run_many(
      {"127.0.0.1", echo.port}, *holding, *raw, tcpcheck::delivery_plan{}, hold, 2, options,
      [&](std::size_t, tcpcheck::harness::run_result r) { held += r.outcome.passed ? 1 : 0; });
  const double seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
  stop_server(echo);
  std::printf("held %zu of %zu sessions open at once (%.1f s); ", held.load(), hold, seconds);
  return held;
}

} // namespace

int main(int argc, char** argv) {
  const auto options = parse_options(argc, argv);
  if (!options) {
    std::fprintf(stderr,
                 "usage: %s [--sessions K] [--conversations N] [--hold H] [--check] "
                 "[--threads T] [--rounds R] [--harness-only]\n",
                 argv[0]);
    return 2;
  }
  const bench_options& o = *options;
  // Each held session needs a socket here and one in the server process.
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = files.rlim_max;
  setrlimit(RLIMIT_NOFILE, &files);

  if (o.harness_only) {
    const rates r = measure_rates(o);
    std::printf("conversations/s: harness with %zu sessions at once %.0f; client CPU per "
                "conversation %.1f us; failed %zu of %zu\n",
                o.sessions, r.harness.per_second(), r.harness.cpu_us_per_unit(),
                r.harness.units - r.harness_passed, r.harness.units);
    return 0;
  }
  const ratios judged = measure_rounds(o);
  const std::size_t held = hold_sessions(o.hold);
  const long peak_kib = resident_kib("VmHWM:");
  std::printf("peak resident %.1f MiB (target < 200 MiB)\n",
              static_cast<double>(peak_kib) / 1024.0);
  const bool met = judged.rate >= 2 && judged.cpu <= 1 && held == o.hold && peak_kib < 200 * 1024 &&
                   judged.all_passed;
  return o.check && !met ? 1 : 0;
}
