// `tcpcheck check`, after the arguments: the matrix run and its reports.
#include "check_run.hpp"

#include "tcpcheck/harness/check.hpp"
#include "tcpcheck/harness/check_report.hpp"
#include "tcpcheck/harness/report.hpp"
#include "tcpcheck/report/writers.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <unistd.h>

#include "exit_codes.hpp"
#include "input_file.hpp"
#include "progress_line.hpp"

namespace tcpcheck::cli {

namespace {

constexpr std::string_view command = "tcpcheck check";

std::string file_name_of(const std::string& id) {
  std::string name = id;
  std::replace(name.begin(), name.end(), '/', '.');
  return name + ".tcs";
}

// The failing cases' scripts, written where replay commands can find them.
class replay_files {
public:
  replay_files(std::string dir) : dir_(std::move(dir)) {}

  /// The path written, or empty (after printing why).
  std::string write(const check_case& c) {
    if (!ensure_dir()) return {};
    const std::string path = (std::filesystem::path(dir_) / file_name_of(c.id)).string();
    const auto steps = case_script(c);
    if (!steps) return {};
    const bool ok = write_output_file(path, "replay script", command,
                                      [&](std::ostream& out) { out << to_string(*steps); });
    return ok ? path : std::string();
  }

  const std::string& dir() const { return dir_; }

private:
  bool ensure_dir() {
    if (ready_) return true;
    if (dir_.empty()) {
      const char* tmp = std::getenv("TMPDIR");
      std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/tcpcheck-check-XXXXXX";
      if (!mkdtemp(pattern.data())) {
        std::cerr << command << ": cannot create a directory for the replay scripts\n";
        return false;
      }
      dir_ = pattern;
    } else {
      std::error_code ec;
      std::filesystem::create_directories(dir_, ec);
      if (ec) {
        std::cerr << command << ": cannot create --out '" << dir_ << "': " << ec.message() << '\n';
        return false;
      }
    }
    return ready_ = true;
  }

  std::string dir_;
  bool ready_ = false;
};

// The failing cases' replay commands (and scripts) in `report`, whose
// outcome is set; the failures counted.
check_summary add_replays(harness::check_report& report, const std::string& script_path,
                          const script& baseline, const framing_spec& spec, const check_peer& peer,
                          const check_settings& settings) {
  // Replay commands: a generated script for the script cases, this very
  // check narrowed to the case for the rest.
  const std::string framing_arg = settings.framing_override.empty()
                                      ? std::string()
                                      : " --framing " + harness::shell_quote(to_string(spec));
  // Timing options matter to the failures that depend on timing. (A
  // --timeout is in the generated scripts' own timeout line.)
  const std::string target_args =
      peer.replay_arguments +
      (settings.gap_ms != 1 ? " --gap " + std::to_string(settings.gap_ms) : "");
  const std::string timeout_arg =
      baseline.timeout ? " --timeout " + std::to_string(baseline.timeout->count()) : "";
  // The counts are in the ids of the cases they shape (soak/sequential-M).
  const matrix_options defaults;
  const std::string runner_args =
      (settings.matrix.soak != defaults.soak ? " --soak " + std::to_string(settings.matrix.soak)
                                             : "") +
      (settings.matrix.parallel != defaults.parallel
           ? " --parallel " + std::to_string(settings.matrix.parallel)
           : "") +
      (settings.soak_time_ms != check_settings{}.soak_time_ms
           ? " --soak-time " + std::to_string(settings.soak_time_ms)
           : "");
  const harness::check_outcome& outcome = *report.outcome;
  report.replay.resize(outcome.results.size());
  report.script_file.resize(outcome.results.size());
  replay_files files(settings.out_dir);
  check_summary summary;
  for (std::size_t i = 0; i < outcome.results.size(); ++i) {
    const auto& r = outcome.results[i];
    if (r.status != harness::case_status::fail && r.status != harness::case_status::flaky) continue;
    ++summary.failures;
    summary.failed_ids.push_back(r.which->id);
    // A client's case is judged against the baseline run with it (and
    // started by the check), and `run` does not read as a slow reader: those
    // are replayed by the check, narrowed to them.
    if (r.which->runner == case_runner::script && baseline.role == script_role::client &&
        !r.which->slow_reader) {
      const std::string path = files.write(*r.which);
      if (path.empty()) continue;
      report.script_file[i] = path;
      report.replay[i] = settings.program + " run " + harness::shell_quote(path) + " " +
                         target_args + framing_arg + " --plan " + to_string(r.which->plan);
    } else {
      report.replay[i] = settings.program + " check " + harness::shell_quote(script_path) + " " +
                         target_args + framing_arg + timeout_arg +
                         (r.which->runner == case_runner::script ? "" : runner_args) + " --only " +
                         harness::shell_quote(r.which->id) + " --seed " +
                         std::to_string(settings.matrix.seed);
    }
  }
  report.baseline_replay = settings.program + " run " + harness::shell_quote(script_path) + " " +
                           target_args + framing_arg + timeout_arg + " --plan whole";

  return summary;
}

} // namespace

void list_cases(const std::vector<check_case>& cases, std::ostream& out) {
  std::size_t width = 0;
  for (const auto& c : cases)
    width = std::max(width, c.id.size());
  for (const auto& c : cases)
    out << c.id << std::string(width + 2 - c.id.size(), ' ') << c.title << '\n';
  out << cases.size() << " case" << (cases.size() == 1 ? "" : "s") << '\n';
}

check_peer peer_of(chosen_target& target) {
  return {*target.checked, target.describe(), target.replay_arguments()};
}

check_summary run_check_command(const std::string& script_path, const script& baseline,
                                const framing_spec& spec, const check_peer& peer,
                                const check_settings& settings, std::ostream& out) {
  const auto matrix = generate_matrix(baseline, spec, settings.matrix);
  const check_case& gate = matrix.front(); // segmentation/whole
  const auto cases = select_cases(matrix, settings.selection);

  harness::check_options options;
  options.retries = settings.retries;
  options.jobs = settings.jobs;
  options.run.session.write_gap = duration(settings.gap_ms);
  options.run.run_timeout = std::chrono::milliseconds(settings.case_timeout_ms);
  options.soak_time = std::chrono::milliseconds(settings.soak_time_ms);
  options.memory_budget = memory_bytes(settings.memory_mib);
  progress_line progress(settings.progress, command);
  std::size_t failing = 0;
  options.progress = [&](const harness::case_result& r, std::size_t done, std::size_t total) {
    failing += r.status == harness::case_status::fail || r.status == harness::case_status::flaky;
    progress.show("[" + std::to_string(done) + "/" + std::to_string(total) + "] " +
                      std::to_string(failing) + " failing; " + r.which->id + " " +
                      std::string(harness::name_of(r.status)),
                  done == total);
  };

  const harness::check_outcome outcome =
      harness::run_check(gate, cases, spec, peer.checked, options);
  progress.finish();

  harness::check_report report;
  report.script_path = script_path;
  report.target = peer.describe;
  report.framing = to_string(spec);
  report.seed = settings.matrix.seed;
  report.outcome = &outcome;
  check_summary summary = add_replays(report, script_path, baseline, spec, peer, settings);

  const auto doc = harness::to_document(report);
  report::write_human(out, doc, {settings.verbose, &out == &std::cout && isatty(STDOUT_FILENO)});
  const bool written = write_report_files(doc, settings.reports, command);

  const auto counts = report::count(doc.cases);
  if (outcome.unreachable) {
    summary.exit = exit_io_error;
  } else if (!counts.all_passed()) { // a failing baseline is among the cases
    summary.exit = exit_failures;
  } else {
    summary.exit = written ? exit_ok : exit_io_error;
  }
  return summary;
}

} // namespace tcpcheck::cli
