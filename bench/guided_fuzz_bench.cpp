// Guided fuzzing's cost and worth, against one instrumented server in the
// same run: executions per second of blind, response-guided and
// coverage-guided fuzzing (each a ratio to blind, measured in the same
// round), then how many cases and seconds guided fuzzing needs to find
// each planted bug of tests/planted/guided_server.c.
//
//   tcpcheck_guided_fuzz_bench [--seconds S] [--rounds R] [--bugs 0|1] [--round CASES]
//                              [--server PATH] [--script PATH]
//
// Targets (issue 18): coverage guidance costs at most 30% of blind exec/s,
// and runs at 1,000 exec/s or more against a C server on a 2-core machine.
#include "tcpcheck/conversation_mutator.hpp"
#include "tcpcheck/harness/coverage_channel.hpp"
#include "tcpcheck/harness/fuzz.hpp"
#include "tcpcheck/harness/target_process.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

namespace {

using namespace tcpcheck;
using feedback = harness::feedback_kind;

struct fuzz_run {
  double exec_per_second = 0;
  harness::fuzz_outcome outcome;
};

// One fuzzing run against a fresh server with --bug `bug`.
fuzz_run fuzz_once(const std::string& server, const std::string& bug,
                   const conversation_mutator& mutator, feedback mode, std::uint64_t seed,
                   std::uint64_t runs, std::chrono::seconds limit, std::size_t round = 0) {
  std::string error;
  auto channel = harness::coverage_channel::create(error);
  harness::spawn_options spawning;
  spawning.environment.push_back(channel->environment_entry());
  spawning.before_start = [c = channel.get()] { c->forget_processes(); };
  harness::target_process process({server, "--bug", bug, "--port", "{port}"}, spawning);
  if (!process.start(error)) {
    std::fprintf(stderr, "cannot start %s: %s\n", server.c_str(), error.c_str());
    std::exit(2);
  }
  harness::spawned_target where(process);
  harness::fuzz_options options;
  options.seed = seed;
  options.runs = runs;
  options.max_time = limit;
  options.feedback = mode;
  options.coverage = channel.get();
  options.run.session.default_timeout = duration(500);
  options.minimize_budget = 0;
  options.round_size = round;
  options.max_findings = bug == "none" ? 0 : 1; // a bug's run ends at its finding
  fuzz_run r;
  r.outcome = harness::run_fuzz(mutator, where, options);
  r.exec_per_second = static_cast<double>(r.outcome.runs) /
                      std::max(1e-3, static_cast<double>(r.outcome.elapsed.count()) / 1000.0);
  process.stop();
  return r;
}

// The use after free of --bug sequence shows only under ASan: its server
// is the ASan build beside the plain one.
std::string bug_server(const std::string& server, const std::string& bug) {
  return bug == "sequence" ? server + "_asan" : server;
}

} // namespace

int main(int argc, char** argv) {
  int seconds = 10, rounds = 3, bugs = 1;
  std::size_t round_size = 0;
  std::string server = TCPCHECK_GUIDED_SERVER, script_path = TCPCHECK_GUIDED_SCRIPT;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--seconds")) seconds = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--rounds")) rounds = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--bugs")) bugs = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--server")) server = argv[i + 1];
    if (!std::strcmp(argv[i], "--script")) script_path = argv[i + 1];
    if (!std::strcmp(argv[i], "--round")) round_size = std::strtoul(argv[i + 1], nullptr, 10);
  }
  std::ifstream in(script_path);
  std::stringstream text;
  text << in.rdbuf();
  script_error bad;
  const auto s = parse_script(text.str(), bad);
  spec_error bad_spec;
  const auto spec = s && s->framing ? parse_framing_spec(*s->framing, bad_spec) : std::nullopt;
  if (!s || !spec) {
    std::fprintf(stderr, "cannot read the script %s\n", script_path.c_str());
    return 2;
  }
  const conversation_mutator mutator(*s, *spec, {});
  const auto limit = std::chrono::seconds(seconds);

  std::printf("exec/s against %s --bug none, %d s per mode, modes alternating:\n", server.c_str(),
              seconds);
  for (int round = 1; round <= rounds; ++round) {
    const auto blind =
        fuzz_once(server, "none", mutator, feedback::none, round, ~0ull, limit, round_size);
    const auto replies =
        fuzz_once(server, "none", mutator, feedback::responses, round, ~0ull, limit, round_size);
    const auto edges =
        fuzz_once(server, "none", mutator, feedback::coverage, round, ~0ull, limit, round_size);
    const auto& g = edges.outcome.guidance;
    std::printf("round %d: blind %.0f exec/s (%zu edges); responses %.0f (%.2fx, %zu edges); "
                "coverage %.0f (%.2fx, %zu/%zu edges, corpus %zu, attribution %llu runs in "
                "%lld ms)\n",
                round, blind.exec_per_second, blind.outcome.guidance.edges_covered,
                replies.exec_per_second, replies.exec_per_second / blind.exec_per_second,
                replies.outcome.guidance.edges_covered, edges.exec_per_second,
                edges.exec_per_second / blind.exec_per_second, g.edges_covered, g.edges_total,
                edges.outcome.corpus.size(), static_cast<unsigned long long>(g.attribution_runs),
                static_cast<long long>(g.attribution_time.count()));
  }
  if (!bugs) return 0;
  std::printf("\ntime to find each planted bug (seed 1, at most 60 s):\n");
  for (const char* bug : {"magic", "nested", "command", "sequence"}) {
    for (const auto mode : {feedback::coverage, feedback::none}) {
      const auto r = fuzz_once(bug_server(server, bug), bug, mutator, mode, 1, ~0ull,
                               std::chrono::seconds(60));
      const auto& f = r.outcome.findings;
      std::printf("  %-8s %-8s %s", bug, std::string(harness::name_of(mode)).c_str(),
                  f.empty() ? "not found" : "found");
      if (!f.empty()) std::printf(" at run %llu", static_cast<unsigned long long>(f.front().run));
      std::printf(" (%llu runs, %.1f s, %.0f exec/s)\n",
                  static_cast<unsigned long long>(r.outcome.runs),
                  static_cast<double>(r.outcome.elapsed.count()) / 1000.0, r.exec_per_second);
    }
  }
  return 0;
}
