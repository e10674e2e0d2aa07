// Reports of a conformance check: the matrix for people, JSON for tools,
// JUnit XML (one testcase per case) for CI.
#pragma once

#include "tcpcheck/harness/check.hpp"

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace tcpcheck::harness {

struct check_report {
  std::string script_path;
  std::string target;  ///< "127.0.0.1:6379", or the spawned command
  std::string framing; ///< canonical spec
  std::uint64_t seed = 0;
  const check_outcome* outcome = nullptr;
  /// Per result (same index as outcome->results): the replay command and
  /// the script file written for it; empty for cases that passed.
  std::vector<std::string> replay;
  std::vector<std::string> script_file;
  std::string baseline_replay;
};

struct check_counts {
  std::size_t pass = 0, fail = 0, flaky = 0, warn = 0, not_run = 0;
  bool all_passed() const noexcept { return fail == 0 && flaky == 0 && not_run == 0; }
};

check_counts count(const check_outcome& outcome);

/// The matrix grouped by area (every case when `verbose`, else the ones
/// that did not simply pass), each failure with expected, got and replay,
/// then a summary line with the time per area. `color`: ANSI colors.
void write_human(std::ostream& out, const check_report& report, bool verbose, bool color);

/// {"check": {...}, "cases": [{"id", "area", "status", ..., "wire_log"}]}; wire
/// logs for the cases that failed.
void write_json(std::ostream& out, const check_report& report);

/// One <testsuite> per area, one <testcase> per case.
void write_junit(std::ostream& out, const check_report& report);

} // namespace tcpcheck::harness
