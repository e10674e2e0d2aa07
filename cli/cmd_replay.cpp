// `tcpcheck replay`: scripts (fuzz findings, regression cases) run once
// each against a live server, as they are written: their cuts are baked in.
// A finding fails while its bug is there and passes once it is fixed, so a
// directory of past findings is a regression suite.
#include "tcpcheck/harness/check.hpp"
#include "tcpcheck/harness/report.hpp"
#include "tcpcheck/report/writers.hpp"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>
#include <unistd.h>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "option_checks.hpp"
#include "report_files.hpp"
#include "script_argument.hpp"
#include "spec_argument.hpp"
#include "target_argument.hpp"

namespace tcpcheck::cli {

namespace {

constexpr std::string_view this_command = "tcpcheck replay";

struct replay_cli {
  std::vector<std::string> paths;
  target_arguments target;
  std::string framing;
  unsigned timeout_ms = 0;
  report_files reports;
  bool verbose = false;
};

// The .tcs files named, directories searched recursively, each sorted.
bool collect(const std::vector<std::string>& paths, std::vector<std::string>& files) {
  for (const auto& path : paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      std::vector<std::string> found;
      for (auto it = std::filesystem::recursive_directory_iterator(path, ec);
           !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
        if (it->is_regular_file() && it->path().extension() == ".tcs")
          found.push_back(it->path().string());
      if (ec) {
        std::cerr << this_command << ": cannot read '" << path << "': " << ec.message() << '\n';
        return false;
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (std::filesystem::exists(path, ec)) {
      files.push_back(path);
    } else {
      std::cerr << this_command << ": '" << path << "' does not exist\n";
      return false;
    }
  }
  if (files.empty()) {
    std::cerr << this_command << ": no .tcs scripts in " << paths.front()
              << (paths.size() > 1 ? " and the others" : "") << '\n';
    return false;
  }
  return true;
}

int replay(const replay_cli& o) {
  std::vector<std::string> files;
  if (!collect(o.paths, files)) return exit_usage;
  struct loaded {
    std::string path;
    script steps;
    framing_spec spec;
  };
  std::vector<loaded> scripts;
  for (const auto& path : files) {
    auto s = load_script(path, this_command);
    if (!s || !plays_the_client(*s, path, this_command)) return exit_usage;
    if (o.timeout_ms) s->timeout = duration(o.timeout_ms);
    auto spec = script_framing(*s, path, o.framing, this_command);
    if (!spec) return exit_usage;
    if (!scripts.empty() && s->transport != scripts.front().steps.transport) {
      std::cerr << this_command << ": " << path << " and " << scripts.front().path
                << " have different transports: replay them against their servers apart\n";
      return exit_usage;
    }
    scripts.push_back({path, std::move(*s), std::move(*spec)});
  }

  int exit = exit_ok;
  auto target =
      choose_target(o.target, this_command, exit, spawn_options_for(scripts.front().steps));
  if (!target) return exit;
  harness::check_target& where = *target->checked;

  std::vector<harness::run_report> runs;
  std::size_t failed = 0;
  bool unreachable = false;
  for (const auto& s : scripts) {
    harness::run_report run;
    run.script_path = s.path;
    run.steps = &s.steps;
    run.framing = to_string(s.spec);
    run.plan = "whole";
    run.replay = "tcpcheck run " + harness::shell_quote(s.path) + " " + target->replay_arguments() +
                 " --plan whole";
    std::string why;
    if (!where.ready(why)) {
      std::cerr << this_command << ": " << why << '\n';
      return exit_io_error;
    }
    run.where = where.where();
    run.result = harness::run_script(where.where(), s.steps, s.spec, {},
                                     run_options_for(s.steps, o.timeout_ms));
    unreachable |= run.result.unreachable;
    if (auto death = where.died(!run.result.outcome.passed)) {
      if (run.result.outcome.passed) {
        run.result.outcome.passed = false;
        run.result.outcome.reason = "the server died: " + death->how;
        run.result.outcome.step = s.steps.steps.size();
      }
      run.death = std::move(death);
    }
    failed += run.result.outcome.passed ? 0 : 1;
    runs.push_back(std::move(run));
  }
  const auto doc = harness::to_document("replay", target->describe(), runs);
  report::write_human(std::cout, doc, {o.verbose, isatty(STDOUT_FILENO) != 0});
  const bool written = write_report_files(doc, o.reports, this_command);
  if (unreachable && failed == scripts.size()) return exit_io_error;
  if (failed) return exit_failures;
  return written ? exit_ok : exit_io_error;
}

} // namespace

command add_replay(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "replay", "Run scripts (fuzz findings, a regression directory) once each against a live "
                "server, cuts and all; a finding fails while its bug is there");
  auto o = std::make_shared<replay_cli>();
  sub->add_option("PATH", o->paths, "Scripts (.tcs), or directories searched for them")->required();
  add_target_options(*sub, o->target);
  sub->add_option("--framing,-f", o->framing, "Framing spec; overrides each script's 'framing'")
      ->check(non_empty_spec);
  sub->add_option("--timeout", o->timeout_ms,
                  "Milliseconds each expect waits (overrides the scripts' 'timeout')")
      ->check(CLI::Range(1u, 86400000u));
  add_report_options(*sub, o->reports, "every script's run");
  sub->add_flag("--verbose,-v", o->verbose, "Show every script's steps and wire log");
  sub->footer("Exit codes: 0 every script passed, 1 some failed, 2 bad usage or script, 3 the "
              "target could not be reached or started.");
  return [o] { return replay(*o); };
}

} // namespace tcpcheck::cli
