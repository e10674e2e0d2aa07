// `tcpcheck run`: one script against a live server, under one delivery plan.
#include "tcpcheck/harness/report.hpp"
#include "tcpcheck/harness/run.hpp"
#include "tcpcheck/report/writers.hpp"

#include <fstream>
#include <iostream>
#include <memory>
#include <thread>
#include <unistd.h>

#include "client_argument.hpp"
#include "commands.hpp"
#include "exit_codes.hpp"
#include "memory_option.hpp"
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
  client_arguments client;
  std::string framing;
  std::string plan = "whole";
  std::uint64_t seed = 1;
  unsigned timeout_ms = 0;
  unsigned gap_ms = 1;
  unsigned memory_mib = default_memory_mib;
  report_files reports;
  bool verbose = false;
};

constexpr std::string_view command_name = "tcpcheck run";

// The command line that runs it again, given what chooses the peer.
std::string replay_of(const run_options_cli& o, const harness::run_report& report,
                      const std::string& peer_arguments) {
  return "tcpcheck run " + harness::shell_quote(o.script_path) + " " + peer_arguments +
         " --framing " + harness::shell_quote(report.framing) + " --plan " + report.plan +
         (o.timeout_ms ? " --timeout " + std::to_string(o.timeout_ms) : "") +
         (o.gap_ms != 1 ? " --gap " + std::to_string(o.gap_ms) : "");
}

int report_run(const run_options_cli& o, harness::run_report& report, const std::string& peer) {
  const auto doc = harness::to_document("run", peer, {report});
  report::write_human(std::cout, doc, {o.verbose, isatty(STDOUT_FILENO) != 0});
  const bool written = write_report_files(doc, o.reports, command_name);
  if (report.result.unreachable) return exit_io_error;
  if (!written) return exit_io_error;
  return report.result.outcome.passed ? exit_ok : exit_failures;
}

// A `role server` script: tcpcheck listens and plays the server.
int run_against_client(const run_options_cli& o, const script& s, const framing_spec& spec,
                       const delivery_plan& plan, const harness::run_options& options) {
  int exit = exit_ok;
  auto played = play_server(o.client, s, spec, plan, options, command_name, exit);
  if (!played) return exit;
  harness::run_report report;
  report.script_path = o.script_path;
  report.steps = &s;
  report.framing = to_string(spec);
  report.plan = to_string(plan);
  report.replay = replay_of(o, report, played->replay_arguments);
  report.peer = played->describe;
  report.result = std::move(played->result);
  report.death = std::move(played->death);
  return report_run(o, report, played->describe);
}

int run(const run_options_cli& o) {
  auto s = load_script(o.script_path, command_name);
  if (!s) return exit_usage;
  if (o.timeout_ms) s->timeout = duration(o.timeout_ms); // the command line wins over the script
  const auto spec = script_framing(*s, o.script_path, o.framing, command_name);
  if (!spec) return exit_usage;
  std::string error;
  const std::string plan_text = o.plan == "random" ? "random:" + std::to_string(o.seed) : o.plan;
  const auto plan = parse_delivery_plan(plan_text, error);
  if (!plan) {
    std::cerr << "tcpcheck run: --plan: " << error << '\n';
    return exit_usage;
  }
  if (s->transport == script_transport::udp &&
      (plan->cuts_sends() || plan->what == delivery_plan::kind::merged)) {
    std::cerr << "tcpcheck run: --plan " << to_string(*plan) << " cuts or merges a byte stream; "
              << o.script_path << " is a UDP script, whose datagrams go whole "
              << "(tcpcheck check sends them lost, doubled, reordered and resized instead)\n";
    return exit_usage;
  }
  harness::run_options options =
      harness::within_budget(run_options_for(*s, o.timeout_ms), memory_bytes(o.memory_mib), 1);
  options.session.write_gap = duration(o.gap_ms);

  if (!peer_fits_role(*s, o.target, o.client, command_name)) return exit_usage;
  const bool serving = s->role == script_role::server;
  if (serving) return run_against_client(o, *s, *spec, *plan, options);

  int exit = exit_ok;
  const auto chosen = choose_target(o.target, command_name, exit, spawn_options_for(*s),
                                    if_not_listening::report_unreachable);
  if (!chosen) return exit;

  harness::run_report report;
  report.script_path = o.script_path;
  report.steps = &*s;
  report.where = chosen->where;
  report.framing = to_string(*spec);
  report.plan = to_string(*plan);
  report.replay = replay_of(o, report, chosen->replay_arguments());
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
  return report_run(o, report, chosen->describe());
}

} // namespace

command add_run(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "run", "Run a script (.tcs) against a live server under one delivery plan and judge its "
             "replies frame by frame; or, for a 'role server' script, play the server for a "
             "client (--client, --listen) and judge what it sends");
  auto o = std::make_shared<run_options_cli>();
  sub->add_option("SCRIPT", o->script_path, "The script file (docs/scripts.md)")->required();
  add_target_options(*sub, o->target);
  add_client_options(*sub, o->client);
  sub->add_option("--framing,-f", o->framing, "Framing spec; overrides the script's 'framing' line")
      ->check(non_empty_spec);
  sub->add_option("--plan,-p", o->plan,
                  "How sends are cut into writes; random without a seed takes --seed")
      ->capture_default_str()
      ->check(delivery_plan_check());
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
  add_memory_option(*sub, o->memory_mib);
  sub->add_flag("--verbose,-v", o->verbose, "Show every step and the wire log");
  sub->footer("Exit codes: 0 passed, 1 the server (or client) failed a check, 2 bad usage, "
              "script or spec, 3 the target could not be reached (or --listen could not listen).");
  return [o] { return run(*o); };
}

} // namespace tcpcheck::cli
