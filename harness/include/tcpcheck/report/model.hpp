// One model of a report, whatever made it: `run`, `replay`, `check` and
// `fuzz` each fill a document, and one writer per format (human text, JSON,
// JUnit XML, SARIF, HTML; writers.hpp) serves them all.
//
// A document is a run of cases. A case is a check's matrix case, a script
// run, a fuzz finding, or the fuzzing run itself: each has an id, an area,
// a status, and, when it failed, what was expected and what came, the
// server's death, the wire log and the command that replays it. Facts about
// the whole run (target, framing, seed, coverage, resources) sit beside.
#pragma once

#include "tcpcheck/harness/fuzz.hpp"
#include "tcpcheck/harness/run.hpp"
#include "tcpcheck/harness/target_process.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tcpcheck::report {

/// Bumped when a field of the JSON changes meaning or goes away.
inline constexpr int format_version = 2;

enum class status {
  pass,
  fail,
  flaky,   ///< failed, then passed on a re-run: never a pass
  warn,    ///< passed, with something worth reading
  not_run, ///< the baseline failed, or the server could not be started
  skipped, ///< does not apply to this target (a server that serves one connection)
};

/// "pass", "FAIL", "FLAKY", "warn", "not run", "skipped": as reports have always written them.
std::string_view name_of(status s);
inline bool is_problem(status s) {
  return s == status::fail || s == status::flaky;
}

enum class case_kind {
  matrix,   ///< a case of `check`'s conformance matrix
  script,   ///< one script run (`run`, `replay`), step by step
  finding,  ///< something `fuzz` did to the server, minimized
  fuzz_run, ///< the fuzzing run itself: fails when no case could run
};

/// A step of a script run and how far the run got.
struct step_line {
  enum class mark { ok, failed, not_run };
  std::size_t line = 0;
  std::string text; ///< the step as the script language writes it
  mark state = mark::ok;
};

std::string_view name_of(step_line::mark m);

/// Where and how a conversation failed.
struct failure {
  std::size_t line = 0; ///< the script line (0: not a line of the script)
  std::string reason;
  std::string expected, got;
};

/// What `fuzz` knows of a finding, beyond what every case has.
struct finding_facts {
  std::string kind;      ///< "died", "hang", "refused", ...
  std::string signature; ///< what deduplicates it
  std::string detail;    ///< "killed by signal 11 (SIGSEGV)"
  std::uint64_t run = 0; ///< the run that found it
  std::size_t duplicates = 0;
  bool confirmed = false; ///< reproduced alone on a fresh server
  std::size_t sends_found = 0, sends_minimized = 0, minimize_replays = 0;
  std::string mutations;   ///< how the case was made from its seed script
  std::string stderr_file; ///< the excerpt written beside the script, if any
};

/// What a script run was: the script, where, how it was cut.
struct script_run_facts {
  std::string script, target, framing, plan;
  bool unreachable = false;
};

struct test_case {
  case_kind kind = case_kind::matrix;
  std::string id;    ///< unique in the document: "segmentation/bytewise"
  std::string area;  ///< the group it is counted in: "segmentation", "findings"
  std::string title; ///< one line for people
  status state = status::not_run;
  std::size_t attempts = 0;
  std::chrono::microseconds elapsed{0};
  std::string summary;              ///< why it failed, or what it measured
  std::vector<std::string> details; ///< more lines: timings, resource growth
  std::optional<failure> failed;    ///< the conversation that failed
  std::string meaning;              ///< what such a failure usually means
  std::optional<harness::process_death> death;
  std::vector<harness::wire_event> wire_log; ///< of the failing conversation
  std::string replay;                        ///< the command that runs it again
  std::string script_file;                   ///< the script written for the replay
  std::string script_text;                   ///< that script, when it is short enough to carry
  std::vector<step_line> steps;              ///< script runs: every step
  std::optional<script_run_facts> run;       ///< script runs
  std::optional<finding_facts> finding;      ///< findings
};

/// `check`'s facts about the whole matrix.
struct check_facts {
  std::string baseline_id;     ///< the gate every case depends on: "segmentation/whole"
  std::string baseline_status; ///< name_of(status): a failing one is among the cases
  std::vector<std::pair<std::string, std::chrono::milliseconds>> area_times;
  std::chrono::microseconds baseline_elapsed{0};
  std::optional<harness::resource_sample> resources_before, resources_after;
  bool unreachable = false;
  bool serves_one_connection = false; ///< started again for each case
};

/// Said once in a check's reports about a server that serves one connection.
inline constexpr std::string_view one_connection_note =
    "The server serves one connection and exits (status 0): it was started again for each "
    "case; a case that goes on to a fresh conversation ran without it, judged by its own "
    "steps and how the server ended, and the cases that need several conversations were "
    "skipped.";

/// `fuzz`'s facts about the whole run.
struct fuzz_facts {
  std::uint64_t runs = 0;
  double exec_per_second = 0;
  std::string stopped; ///< why the run ended
  bool unreachable = false;
  std::size_t corpus = 0;
  std::size_t delays = 0; ///< apparent hangs answered given longer timeouts
  harness::guidance_summary guidance;
};

struct document {
  std::string command; ///< "run", "replay", "check", "fuzz"
  std::string script;  ///< the script (or the first of several)
  std::string target;  ///< as described for people
  std::string framing; ///< canonical spec, when there is one
  std::optional<std::uint64_t> seed;
  std::chrono::milliseconds elapsed{0};
  std::vector<test_case> cases;
  std::optional<check_facts> check;
  std::optional<fuzz_facts> fuzz;
};

struct counts {
  std::size_t pass = 0, fail = 0, flaky = 0, warn = 0, not_run = 0, skipped = 0;
  bool all_passed() const noexcept { return fail == 0 && flaky == 0 && not_run == 0; }
};

counts count(const std::vector<test_case>& cases);

/// The areas of `cases` in the order they first appear.
std::vector<std::string> areas_of(const std::vector<test_case>& cases);

/// The cases of one area, in order (indexes into `cases`).
std::vector<std::size_t> cases_in(const std::vector<test_case>& cases, std::string_view area);

/// What the program under test that died (server or client) left on stderr: its sanitizer
/// report, else its last lines.
std::string death_report(const test_case& c);

} // namespace tcpcheck::report
