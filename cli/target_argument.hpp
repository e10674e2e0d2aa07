// The server a command runs against: `--target HOST:PORT`, or `--spawn
// "CMD ... {port}"`, which tcpcheck starts (and stops) itself.
#pragma once

#include "tcpcheck/harness/check.hpp"
#include "tcpcheck/harness/run.hpp"
#include "tcpcheck/harness/target_process.hpp"
#include "tcpcheck/script.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

namespace tcpcheck::cli {

struct target_arguments {
  std::string target;
  std::string spawn;
  unsigned startup_ms = 10000;
  std::string ready_when; ///< --ready-when: the text that says a spawned server is ready
};

/// Adds --target, --spawn and --startup-timeout; exactly one of the first two is required.
void add_target_options(CLI::App& sub, target_arguments& arguments);

struct chosen_target {
  harness::target where;                            ///< where it listens first
  std::unique_ptr<harness::target_process> process; ///< when spawned
  /// What check, fuzz and replay run against: the fixed target, or the
  /// spawned process (watched and restarted).
  std::unique_ptr<harness::check_target> checked;
  std::string ready_when; ///< --ready-when, given again in replay commands
  /// "127.0.0.1:6379", or "spawned 'CMD' on 127.0.0.1:PORT".
  std::string describe() const;
  /// The arguments that choose the same target again: "--target ..." or "--spawn '...'".
  std::string replay_arguments() const;
};

/// What a spawned server for `s` is: a UDP script's server listens once a
/// UDP port is bound.
harness::spawn_options spawn_options_for(const script& s);

/// What to do when a spawned server does not start listening.
enum class if_not_listening {
  give_up, ///< print why, set exit 3, choose nothing
  /// Print why, and choose its address all the same: the command runs,
  /// finds the target unreachable and says so in its reports (exit 3).
  report_unreachable,
};

/// Parses the target, or starts the spawned server and waits until it
/// listens. On failure prints why (prefixed with `command`) and sets
/// `exit` (2: bad arguments, 3: the server could not be started).
/// `spawning` carries what a spawned server gets besides (its environment,
/// a hook before each start); its startup timeout comes from `arguments`.
std::optional<chosen_target> choose_target(const target_arguments& arguments,
                                           std::string_view command, int& exit,
                                           harness::spawn_options spawning = {},
                                           if_not_listening policy = if_not_listening::give_up);

} // namespace tcpcheck::cli
