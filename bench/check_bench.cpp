// The conformance matrix's wall time: the whole default matrix for the
// greeting script against the reference greeting server (in a child
// process), run with cases side by side, beside the same matrix run one
// case at a time in the same process, as the baseline of the ratio.
//
//   tcpcheck_check_bench [--runs N] [--jobs J]
//
// Prints, per run, the wall time of each area, and the serial/side-by-side
// ratio of the totals. The target: the default matrix under 30 s.
#include "tcpcheck/check_matrix.hpp"
#include "tcpcheck/harness/check.hpp"
#include "tcpcheck/harness/reference_server.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "bench_support.hpp"

namespace {

using namespace tcpcheck::bench;

double seconds(std::chrono::milliseconds ms) {
  return static_cast<double>(ms.count()) / 1000.0;
}

} // namespace

int main(int argc, char** argv) {
  int runs = 3;
  std::size_t jobs = 8;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--runs")) runs = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--jobs")) jobs = static_cast<std::size_t>(std::atoi(argv[i + 1]));
  }
  tcpcheck::script_error bad;
  const auto s = tcpcheck::parse_script(greeting_script, bad);
  tcpcheck::spec_error bad_spec;
  const auto spec = tcpcheck::parse_framing_spec("line", bad_spec);
  if (!s || !spec) return 2;
  const auto cases = tcpcheck::generate_matrix(*s, *spec, {});

  const child_server server = start_server(tcpcheck::harness::reference_protocol::greeting);
  tcpcheck::harness::fixed_target where({"127.0.0.1", server.port});
  std::printf("default matrix: %zu cases against the reference greeting server\n", cases.size());
  for (int run = 1; run <= runs; ++run) {
    double totals[2] = {0, 0};
    for (const std::size_t j : {jobs, std::size_t{1}}) {
      tcpcheck::harness::check_options options;
      options.jobs = j;
      const auto outcome =
          tcpcheck::harness::run_check(cases.front(), cases, *spec, where, options);
      const auto counts = [&] {
        std::size_t bad_cases = 0;
        for (const auto& r : outcome.results)
          bad_cases += r.status == tcpcheck::harness::case_status::fail ||
                       r.status == tcpcheck::harness::case_status::flaky;
        return bad_cases;
      }();
      std::printf("run %d, jobs %2zu: %.2f s wall, %zu failing;", run, j, seconds(outcome.elapsed),
                  counts);
      for (const auto& [area, ms] : outcome.area_times)
        std::printf(" %s %.3f s", std::string(tcpcheck::name_of(area)).c_str(), seconds(ms));
      std::printf("\n");
      totals[j == 1 ? 1 : 0] = seconds(outcome.elapsed);
    }
    std::printf("run %d: one case at a time / side by side = %.2fx\n", run, totals[1] / totals[0]);
  }
  stop_server(server);
  return 0;
}
