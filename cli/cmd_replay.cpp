// `tcpcheck replay`: scripts (fuzz findings, regression cases) run once
// each against a live server, as they are written: their cuts are baked in.
// A finding fails while its bug is there and passes once it is fixed, so a
// directory of past findings is a regression suite.
#include "tcpcheck/harness/check.hpp"
#include "tcpcheck/harness/report.hpp"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>
#include <unistd.h>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "input_file.hpp"
#include "script_argument.hpp"
#include "target_argument.hpp"

namespace tcpcheck::cli {

namespace {

constexpr std::string_view this_command = "tcpcheck replay";

struct replay_cli {
  std::vector<std::string> paths;
  target_arguments target;
  std::string framing;
  unsigned timeout_ms = 0;
  std::string json_path;
  std::string junit_path;
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
    if (!s) return exit_usage;
    if (o.timeout_ms) s->timeout = duration(o.timeout_ms);
    auto spec = script_framing(*s, path, o.framing, this_command);
    if (!spec) return exit_usage;
    scripts.push_back({path, std::move(*s), std::move(*spec)});
  }

  int exit = exit_ok;
  auto target = choose_target(o.target, this_command, exit);
  if (!target) return exit;
  harness::check_target& where = *target->checked;

  std::vector<harness::run_report> reports;
  std::size_t failed = 0;
  bool unreachable = false;
  const bool color = isatty(STDOUT_FILENO) != 0;
  for (const auto& s : scripts) {
    harness::run_report report;
    report.script_path = s.path;
    report.steps = &s.steps;
    report.framing = to_string(s.spec);
    report.plan = "whole";
    report.replay = "tcpcheck run " + harness::shell_quote(s.path) + " " +
                    target->replay_arguments() + " --plan whole";
    std::string why;
    if (!where.ready(why)) {
      std::cerr << this_command << ": " << why << '\n';
      return exit_io_error;
    }
    report.where = where.where();
    report.result = harness::run_script(where.where(), s.steps, s.spec, {}, {});
    unreachable |= report.result.unreachable;
    std::string died;
    if (auto death = where.died(!report.result.outcome.passed)) {
      died = death->how;
      if (report.result.outcome.passed) {
        report.result.outcome.passed = false;
        report.result.outcome.reason = "the server died: " + died;
        report.result.outcome.step = s.steps.steps.size();
      }
    }
    const bool passed = report.result.outcome.passed;
    failed += passed ? 0 : 1;
    if (o.verbose || !passed) {
      harness::write_human(std::cout, report, o.verbose, color);
      if (!died.empty()) std::cout << "the server died: " << died << '\n';
    } else {
      std::cout << "PASS  " << s.path << '\n';
    }
    reports.push_back(std::move(report));
  }
  std::cout << '\n'
            << (failed ? "FAIL" : "PASS") << "  " << scripts.size() - failed << " of "
            << scripts.size() << " scripts passed against " << target->describe() << '\n';
  bool written = true;
  if (!o.json_path.empty())
    written &= write_output_file(o.json_path, "JSON report", this_command,
                                 [&](std::ostream& out) { harness::write_json(out, reports); });
  if (!o.junit_path.empty())
    written &=
        write_output_file(o.junit_path, "JUnit report", this_command, [&](std::ostream& out) {
          harness::write_junit(out, reports, "tcpcheck replay");
        });
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
  sub->add_option("--framing,-f", o->framing, "Framing spec; overrides each script's 'framing'");
  sub->add_option("--timeout", o->timeout_ms,
                  "Milliseconds each expect waits (overrides the scripts' 'timeout')")
      ->check(CLI::Range(1u, 86400000u));
  sub->add_option("--json", o->json_path, "Write every run as JSON");
  sub->add_option("--junit", o->junit_path, "Write a JUnit XML report, one testcase per script");
  sub->add_flag("--verbose,-v", o->verbose, "Show every script's steps and wire log");
  sub->footer("Exit codes: 0 every script passed, 1 some failed, 2 bad usage or script, 3 the "
              "target could not be reached or started.");
  return [o] { return replay(*o); };
}

} // namespace tcpcheck::cli
