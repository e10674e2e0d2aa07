// Reports of script runs: for people (a terminal), JSON (tools), JUnit XML (CI).
#pragma once

#include "tcpcheck/harness/run.hpp"
#include "tcpcheck/script.hpp"

#include <ostream>
#include <string>
#include <vector>

namespace tcpcheck::harness {

/// One run, with what a report says about it.
struct run_report {
  std::string script_path;
  const script* steps = nullptr;
  target where;
  std::string framing; ///< canonical spec
  std::string plan;    ///< "random:7"
  std::string replay;  ///< the command line that runs it again
  run_result result;
};

/// Each step with ok / FAIL / not run, the failure's expected and got, the
/// replay command, and (when `verbose`) the wire log. `color`: ANSI colors.
void write_human(std::ostream& out, const run_report& report, bool verbose, bool color);

/// {"runs": [{"script", "target", "framing", "plan", "passed", "line", "reason",
///   "expected", "got", "elapsed_us", "replay", "steps": [...], "wire_log": [...]}]}
void write_json(std::ostream& out, const std::vector<run_report>& reports);

/// <testsuites><testsuite name=...><testcase .../></testsuite></testsuites>
void write_junit(std::ostream& out, const std::vector<run_report>& reports,
                 const std::string& suite_name);

/// Quotes an argument for a POSIX shell when it needs it.
std::string shell_quote(const std::string& argument);

} // namespace tcpcheck::harness
