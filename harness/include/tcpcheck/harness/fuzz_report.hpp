// Reports of a live fuzzing run: for people, JSON, JUnit XML (one testcase
// per finding, and one for the run).
#pragma once

#include "tcpcheck/harness/fuzz.hpp"

#include <ostream>
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

void write_human(std::ostream& out, const fuzz_report& report, bool color);
void write_json(std::ostream& out, const fuzz_report& report);
void write_junit(std::ostream& out, const fuzz_report& report);

} // namespace tcpcheck::harness
