// Script runs (`run`, `replay`) as cases of the report model
// (tcpcheck/report/model.hpp), which every report writer serves.
#pragma once

#include "tcpcheck/harness/run.hpp"
#include "tcpcheck/report/model.hpp"
#include "tcpcheck/script.hpp"

#include <optional>
#include <string>
#include <vector>

namespace tcpcheck::harness {

/// One run, with what a report says about it.
struct run_report {
  std::string script_path;
  const script* steps = nullptr;
  target where;
  /// Who was tested, when not a server at `where` (`role server`): "client
  /// 'CMD' (tcpcheck listening on 127.0.0.1:PORT)".
  std::string peer;
  std::string framing; ///< canonical spec
  std::string plan;    ///< "random:7"
  std::string replay;  ///< the command line that runs it again
  run_result result;
  std::optional<process_death> death; ///< a spawned server that died during the run
};

/// The run as a case: every step marked ok, failed or not run; the
/// failure, the wire log and the replay command.
report::test_case to_case(const run_report& run, const std::string& area);

/// A document of script runs for `command` ("run", "replay") against
/// `target` (as described for people).
report::document to_document(const std::string& command, const std::string& target,
                             const std::vector<run_report>& runs);

/// Quotes an argument for a POSIX shell when it needs it.
std::string shell_quote(const std::string& argument);

} // namespace tcpcheck::harness
