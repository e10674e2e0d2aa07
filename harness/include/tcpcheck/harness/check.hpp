// Running a conformance matrix against a live server: each case to a
// verdict, failing ones retried, the server watched for its death.
//
// The baseline runs first: when the normal conversation itself fails,
// nothing else is meaningful, and every other case is reported as not run.
// Cases that measure time (concurrency, soak, latency) run alone; the rest
// run side by side on a fixed target, and one at a time on a spawned one,
// so that a server's death belongs to exactly one case.
#pragma once

#include "tcpcheck/check_matrix.hpp"
#include "tcpcheck/harness/memory_budget.hpp"
#include "tcpcheck/harness/run.hpp"
#include "tcpcheck/harness/target_process.hpp"

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tcpcheck::harness {

enum class case_status {
  pass,
  fail,
  flaky,   ///< failed, then passed on a re-run: never a pass
  warn,    ///< passed, with a finding worth reading (slow exchanges, resource growth)
  not_run, ///< the baseline failed, or the server could not be started
  skipped, ///< does not apply to this target (a server that serves one connection)
};

std::string_view name_of(case_status status);

struct case_result {
  const check_case* which = nullptr;
  case_status status = case_status::not_run;
  std::size_t attempts = 0;
  std::chrono::microseconds elapsed{0}; ///< all attempts
  std::string summary;                  ///< one line: why it failed, or what it measured
  std::vector<std::string> details;     ///< more lines: timings, resource growth, stderr
  std::optional<run_result> failed_run; ///< the first failing conversation, wire log included
  /// The program under test, when it died during the case: a spawned
  /// server, or a client under test that ended badly (process_death::who).
  std::optional<process_death> death;
};

/// One conversation of a script case, judged.
struct played_case {
  run_result result;
  std::optional<process_death> death; ///< the program under test's, when it ended badly
  std::vector<std::string> details;   ///< lines worth reporting (how a client ended)
};

/// What the cases run against: a server already running, or one tcpcheck
/// starts (and starts again after it dies); or a client it starts for
/// each case (client_check.hpp).
class check_target {
public:
  virtual ~check_target() = default;
  /// Plays one script case: by default the script run against where().
  virtual played_case play(const check_case& c, const framing_spec& spec,
                           const run_options& options);
  virtual target where() const = 0;
  /// Before each case: false (and why) when there is no server to test.
  virtual bool ready(std::string& why) = 0;
  /// After each case: the server's death during it, if it died. After a
  /// failed case a dying server is given a moment to be seen dead.
  virtual std::optional<process_death> died(bool case_failed) = 0;
  virtual std::optional<resource_sample> sample() const = 0;
  /// Whether cases must run one at a time (to know which one killed it).
  virtual bool one_at_a_time() const = 0;
  /// A fresh server (a spawned one is stopped and started again); false
  /// (and why) when there is no way to get one.
  virtual bool restart(std::string& why) = 0;
  /// Whether the server has shown that it serves one connection and exits
  /// (seed 000's first server): it is then started again for each case.
  virtual bool serves_one_connection() const { return false; }
};

class fixed_target final : public check_target {
public:
  explicit fixed_target(target where) : where_(std::move(where)) {}
  target where() const override { return where_; }
  bool ready(std::string&) override { return true; }
  std::optional<process_death> died(bool) override { return std::nullopt; }
  std::optional<resource_sample> sample() const override { return std::nullopt; }
  bool one_at_a_time() const override { return false; }
  bool restart(std::string& why) override {
    why = "a server given with --target cannot be restarted (--spawn can)";
    return false;
  }

private:
  target where_;
};

class spawned_target final : public check_target {
public:
  explicit spawned_target(target_process& process) : process_(process) {}
  target where() const override { return process_.where(); }
  bool ready(std::string& why) override;
  std::optional<process_death> died(bool case_failed) override;
  std::optional<resource_sample> sample() const override { return process_.sample(); }
  bool one_at_a_time() const override { return true; }
  bool restart(std::string& why) override { return process_.start(why); }
  bool serves_one_connection() const override { return one_connection_; }

private:
  target_process& process_;
  std::size_t case_mark_ = 0; ///< stderr written before the current case
  /// It exited with status 0 after a case that passed: a server that serves
  /// one connection. Its clean exits are no deaths from then on.
  bool one_connection_ = false;
  bool first_case_ = true;
};

struct check_options {
  run_options run; ///< every conversation's limits
  /// Shared by the conversations that run at once: the cases side by side,
  /// or a parallel case's conversations (memory_budget.hpp).
  std::size_t memory_budget = default_memory_budget;
  std::size_t retries = 2; ///< re-runs of a failing case
  std::size_t jobs = 8;    ///< cases side by side on a fixed target
  /// I/O threads of the parallel runner (soak and latency cases run one
  /// conversation at a time). One: the conversations at once come from the
  /// sessions, not the threads, and on a machine that also runs the server
  /// one thread spent less CPU per conversation and ran more of them than
  /// two (docs/performance.md).
  std::size_t threads = 1;
  /// Soak and latency cases start no new conversation after this long (nor
  /// after their first failure), and say how many ran.
  std::chrono::milliseconds soak_time{5000};
  /// Called (from any thread, one call at a time) as each case ends.
  std::function<void(const case_result&, std::size_t done, std::size_t total)> progress;
};

struct check_outcome {
  std::vector<case_result> results; ///< in the order of the cases given
  case_result baseline;             ///< the gate, whether selected or not
  std::chrono::milliseconds elapsed{0};
  /// Wall time of each area, in the order run (the baseline counts apart).
  std::vector<std::pair<check_area, std::chrono::milliseconds>> area_times;
  std::optional<resource_sample> resources_before, resources_after;
  bool unreachable = false; ///< the baseline could not connect at all
  /// The server served one connection and exited (status 0): started again
  /// for each case; the cases that need a second connection were narrowed
  /// to their first, or skipped (concurrency, soak, latency).
  bool serves_one_connection = false;
  /// The narrowed cases, which their results point at (case_result::which).
  std::deque<check_case> narrowed;
};

/// Runs `cases` (a selection of a matrix) against `where`, with `baseline`
/// (the matrix's segmentation/whole case) as the gate.
check_outcome run_check(const check_case& baseline, const std::vector<check_case>& cases,
                        const framing_spec& spec, check_target& where,
                        const check_options& options);

} // namespace tcpcheck::harness
