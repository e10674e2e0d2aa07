// A conformance check as a document of the report model
// (tcpcheck/report/model.hpp), which every report writer serves.
#pragma once

#include "tcpcheck/harness/check.hpp"
#include "tcpcheck/report/model.hpp"

#include <cstdint>
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

report::status to_status(case_status s);

/// Every case of the outcome, in order. A baseline that failed (or was
/// flaky) is a failing case too, with its expected, got and replay: in
/// place of its own result when it was selected, first otherwise; a
/// report that lists every case as "not run" would show no failure at all.
report::document to_document(const check_report& report);

} // namespace tcpcheck::harness
