// One `tcpcheck check`: matrix, run, replay files, reports. Shared by the
// check command and the demo, which runs it against bundled servers.
#pragma once

#include "tcpcheck/check_matrix.hpp"
#include "tcpcheck/framing_spec.hpp"
#include "tcpcheck/script.hpp"

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "memory_option.hpp"
#include "report_files.hpp"
#include "target_argument.hpp"

namespace tcpcheck::cli {

struct check_settings {
  matrix_options matrix;
  case_selection selection;
  std::size_t retries = 2;
  std::size_t jobs = 8;
  unsigned gap_ms = 1;
  unsigned case_timeout_ms = 60000;
  unsigned soak_time_ms = 5000;
  unsigned memory_mib = default_memory_mib;
  std::string framing_override; ///< --framing, repeated in replay commands
  std::string out_dir;          ///< where failing cases' scripts go; empty: a new temporary one
  report_files reports;
  bool verbose = false;
  bool progress = true;             ///< a live line on a terminal, a line now and then elsewhere
  std::string program = "tcpcheck"; ///< how replay commands call tcpcheck
};

struct check_summary {
  int exit = 0;
  std::size_t failures = 0;            ///< failed and flaky cases
  std::vector<std::string> failed_ids; ///< in matrix order
};

/// What a check runs against, and how reports and replay commands name it.
struct check_peer {
  harness::check_target& checked;
  std::string describe;         ///< "127.0.0.1:6379", "client 'CMD'"
  std::string replay_arguments; ///< "--target ...", "--spawn '...'", "--client '...'"
};

/// The peer a chosen server target gives.
check_peer peer_of(chosen_target& target);

/// Runs the matrix of `baseline` against `peer` and reports to `out`.
check_summary run_check_command(const std::string& script_path, const script& baseline,
                                const framing_spec& spec, const check_peer& peer,
                                const check_settings& settings, std::ostream& out);

/// `--list`: the selected cases' ids and titles, without running them.
void list_cases(const std::vector<check_case>& cases, std::ostream& out);

} // namespace tcpcheck::cli
