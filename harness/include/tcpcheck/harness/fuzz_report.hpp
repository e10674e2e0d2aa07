// A live fuzzing run as a document of the report model
// (tcpcheck/report/model.hpp): the run itself is a case (it fails when no
// case could run), and each finding is one.
#pragma once

#include "tcpcheck/harness/fuzz.hpp"
#include "tcpcheck/report/model.hpp"

#include <string>
#include <vector>

namespace tcpcheck::harness {

struct fuzz_report {
  std::string script_path;
  std::string target;                    ///< as described for people
  std::vector<const script*> baselines;  ///< the seed scripts, by fuzz_case::source
  std::vector<std::string> script_paths; ///< their files
  const fuzz_outcome* outcome = nullptr;
  std::uint64_t seed = 0;
  /// Per finding (same index): the script file written, its stderr excerpt
  /// file (or empty), and the command that replays it.
  std::vector<std::string> script_file, stderr_file, replay;
};

/// The script a finding is written as: comment lines that say what it is,
/// then the minimized case, canonical.
std::string finding_script(const finding& f, std::size_t number, const fuzz_report& report);

report::document to_document(const fuzz_report& report);

} // namespace tcpcheck::harness
