// `tcpcheck run`: one script against a live server, under one delivery plan.
#include "tcpcheck/harness/report.hpp"
#include "tcpcheck/harness/run.hpp"
#include "tcpcheck/report/writers.hpp"

#include <fstream>
#include <iostream>
#include <memory>
#include <thread>
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

struct run_options_cli {
  std::string script_path;
  target_arguments target;
  std::string framing;
  std::string plan = "whole";
  std::uint64_t seed = 1;
  unsigned timeout_ms = 0;
  unsigned gap_ms = 1;
  report_files reports;
  bool verbose = false;
};

int run(const run_options_cli& o) {
  constexpr std::string_view command = "tcpcheck run";
  auto s = load_script(o.script_path, command);
  if (!s) return exit_usage;
  if (o.timeout_ms) s->timeout = duration(o.timeout_ms); // the command line wins over the script
  const auto spec = script_framing(*s, o.script_path, o.framing, command);
  if (!spec) return exit_usage;
  std::string error;
  const std::string plan_text = o.plan == "random" ? "random:" + std::to_string(o.seed) : o.plan;
  const auto plan = parse_delivery_plan(plan_text, error);
  if (!plan) {
    std::cerr << "tcpcheck run: --plan: " << error << '\n';
    return exit_usage;
  }

  int exit = exit_ok;
  const auto chosen = choose_target(o.target, command, exit);
  if (!chosen) return exit;

  harness::run_options options;
  if (o.timeout_ms) options.session.connect_timeout = duration(o.timeout_ms);
  options.session.write_gap = duration(o.gap_ms);

  harness::run_report report;
  report.script_path = o.script_path;
  report.steps = &*s;
  report.where = chosen->where;
  report.framing = to_string(*spec);
  report.plan = to_string(*plan);
  report.replay = "tcpcheck run " + harness::shell_quote(o.script_path) + " " +
                  chosen->replay_arguments() + " --framing " +
                  harness::shell_quote(report.framing) + " --plan " + report.plan +
                  (o.timeout_ms ? " --timeout " + std::to_string(o.timeout_ms) : "") +
                  (o.gap_ms != 1 ? " --gap " + std::to_string(o.gap_ms) : "");
  report.result = harness::run_script(chosen->where, *s, *spec, *plan, options);

  if (chosen->process) {
    // A server that crashes as the connection closes needs a moment to be seen dead.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (auto death = chosen->process->death()) {
      if (report.result.outcome.passed) {
        report.result.outcome.passed = false;
        report.result.outcome.reason = "the server died: " + death->how;
        report.result.outcome.step = s->steps.size();
      }
      report.death = std::move(death);
    }
  }
  const auto doc = harness::to_document("run", chosen->describe(), {report});
  report::write_human(std::cout, doc, {o.verbose, isatty(STDOUT_FILENO) != 0});
  const bool written = write_report_files(doc, o.reports, command);
  if (report.result.unreachable) return exit_io_error;
  if (!written) return exit_io_error;
  return report.result.outcome.passed ? exit_ok : exit_failures;
}

} // namespace

command add_run(CLI::App& app) {
  auto* sub = app.add_subcommand("run", "Run a script (.tcs) against a live server under one "
                                        "delivery plan and judge its replies frame by frame");
  auto o = std::make_shared<run_options_cli>();
  sub->add_option("SCRIPT", o->script_path, "The script file (docs/scripts.md)")->required();
  add_target_options(*sub, o->target);
  sub->add_option("--framing,-f", o->framing, "Framing spec; overrides the script's 'framing' line")
      ->check(non_empty_spec);
  sub->add_option("--plan,-p", o->plan,
                  "How sends are cut into writes: whole, bytewise, chunk:N, random[:SEED], "
                  "split-header, merged, pipeline")
      ->capture_default_str();
  sub->add_option("--seed", o->seed, "Seed for --plan random")
      ->capture_default_str()
      ->check(unsigned_seed);
  sub->add_option("--timeout", o->timeout_ms,
                  "Milliseconds to wait for a connection and for each expect step without "
                  "'within'; overrides the script's 'timeout' line (default: that, else 5000)")
      ->check(CLI::Range(1u, 86400000u));
  sub->add_option("--gap", o->gap_ms, "Milliseconds between the writes of a cut send")
      ->capture_default_str()
      ->check(CLI::Range(0u, 60000u));
  add_report_options(*sub, o->reports, "the verdict, every step and the wire log");
  sub->add_flag("--verbose,-v", o->verbose, "Show every step and the wire log");
  sub->footer("Exit codes: 0 passed, 1 the server failed a check, 2 bad usage, script or spec, "
              "3 the target could not be reached.");
  return [o] { return run(*o); };
}

} // namespace tcpcheck::cli
