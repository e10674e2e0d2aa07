// Live fuzzing throughput: executions per second of `tcpcheck fuzz` against
// the reference greeting server, beside the baseline measured in the same
// run: a minimal blocking C++ client running the unmutated conversation one
// after another. Once against a server already running, once against one
// tcpcheck spawns (and watches) itself.
//
//   tcpcheck_fuzz_bench [--runs N] [--jobs J] [--rounds R] [--threads T]
//
// Targets: at least 2x the serial client, and at least 1,000 exec/s with
// --spawn and no crash.
#include "tcpcheck/conversation_mutator.hpp"
#include "tcpcheck/harness/fuzz.hpp"
#include "tcpcheck/harness/target_process.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "bench_support.hpp"

using namespace tcpcheck::bench;

int main(int argc, char** argv) {
  std::uint64_t runs = 10000;
  std::size_t jobs = 64;
  int rounds = 3;
  std::size_t threads = tcpcheck::harness::fuzz_options{}.threads;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--runs")) runs = std::strtoull(argv[i + 1], nullptr, 10);
    if (!std::strcmp(argv[i], "--jobs")) jobs = std::strtoul(argv[i + 1], nullptr, 10);
    if (!std::strcmp(argv[i], "--rounds")) rounds = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--threads")) threads = std::strtoul(argv[i + 1], nullptr, 10);
  }
  tcpcheck::script_error bad;
  const auto s = tcpcheck::parse_script(greeting_script, bad);
  tcpcheck::spec_error bad_spec;
  const auto spec = tcpcheck::parse_framing_spec("line", bad_spec);
  if (!s || !spec) return 2;
  tcpcheck::mutator_options quick;
  quick.quiet = tcpcheck::duration(std::getenv("QUIET") ? std::atoi(std::getenv("QUIET")) : 25);
  const tcpcheck::conversation_mutator mutator(*s, *spec, {}, quick);

  const child_server server = start_server(tcpcheck::harness::reference_protocol::greeting);
  const auto argv_spawn =
      std::vector<std::string>{TCPCHECK_EXECUTABLE, "serve", "greeting", "--port", "{port}"};
  tcpcheck::harness::target_process spawned_process(argv_spawn);
  std::string error;
  if (!spawned_process.start(error)) {
    std::fprintf(stderr, "cannot spawn the server: %s\n", error.c_str());
    return 2;
  }
  int failures = 0;
  for (int round = 1; round <= rounds; ++round) {
    // The baseline: serial, blocking, unmutated.
    const std::size_t serial_runs = 2000;
    work_clock serial, fixed_fuzz, spawned_fuzz;
    std::size_t serial_failed = 0;
    timed(serial, serial_runs, [&] {
      for (std::size_t i = 0; i < serial_runs; ++i)
        serial_failed += blocking_conversation(server.port) ? 0 : 1;
    });

    tcpcheck::harness::fuzz_options options;
    options.runs = runs;
    options.jobs = jobs;
    options.threads = threads;
    options.seed = static_cast<std::uint64_t>(round);
    options.max_time = std::chrono::seconds(120);
    tcpcheck::harness::fixed_target fixed({"127.0.0.1", server.port});
    tcpcheck::harness::fuzz_outcome against_fixed, against_spawned;
    timed(fixed_fuzz, 0,
          [&] { against_fixed = tcpcheck::harness::run_fuzz(mutator, fixed, options); });
    fixed_fuzz.units = against_fixed.runs;
    tcpcheck::harness::spawned_target spawned(spawned_process);
    timed(spawned_fuzz, 0,
          [&] { against_spawned = tcpcheck::harness::run_fuzz(mutator, spawned, options); });
    spawned_fuzz.units = against_spawned.runs;

    std::printf("round %d: serial blocking client %.0f conv/s (%zu failed); fuzz --target %.0f "
                "exec/s (%.2fx, %zu findings); fuzz --spawn %.0f exec/s (%.2fx, %zu findings)\n",
                round, serial.per_second(), serial_failed, fixed_fuzz.per_second(),
                fixed_fuzz.per_second() / serial.per_second(), against_fixed.findings.size(),
                spawned_fuzz.per_second(), spawned_fuzz.per_second() / serial.per_second(),
                against_spawned.findings.size());
    std::printf("round %d: client CPU per conversation: serial blocking client %.1f us; fuzz "
                "--target %.1f us (%.2fx); fuzz --spawn %.1f us (%.2fx)\n",
                round, serial.cpu_us_per_unit(), fixed_fuzz.cpu_us_per_unit(),
                fixed_fuzz.cpu_us_per_unit() / serial.cpu_us_per_unit(),
                spawned_fuzz.cpu_us_per_unit(),
                spawned_fuzz.cpu_us_per_unit() / serial.cpu_us_per_unit());
    failures += static_cast<int>(against_fixed.findings.size() + against_spawned.findings.size());
  }
  spawned_process.stop();
  stop_server(server);
  return failures ? 1 : 0;
}
