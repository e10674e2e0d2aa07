// `tcpcheck check`: one script of a normal conversation turned into the
// conformance matrix, run against a live server.
#include "tcpcheck/harness/client_check.hpp"
#include "tcpcheck/harness/report.hpp"

#include <iostream>
#include <memory>

#include "check_run.hpp"
#include "client_argument.hpp"
#include "commands.hpp"
#include "exit_codes.hpp"
#include "option_checks.hpp"
#include "script_argument.hpp"
#include "spec_argument.hpp"
#include "target_argument.hpp"

namespace tcpcheck::cli {

namespace {

struct check_cli {
  std::string script_path;
  target_arguments target;
  client_arguments client;
  check_settings settings;
  std::string shard_text;
  std::string on_bad_frame = "close-or-ignore";
  unsigned timeout_ms = 0;
  unsigned quiet_ms = 200;
  bool list = false;
  bool no_progress = false;
};

// A `role server` script: the client under test is started for each case.
int check_client(const check_cli& o, const script& s, const framing_spec& spec) {
  const auto argv = client_command(o.client, "tcpcheck check");
  if (!argv) return exit_usage;
  harness::client_target client(*argv, o.client.limits());
  const check_peer peer{client, "client " + harness::shell_quote(o.client.client),
                        "--client " + harness::shell_quote(o.client.client) +
                            o.client.limit_arguments()};
  return run_check_command(o.script_path, s, spec, peer, o.settings, std::cout).exit;
}

int check(check_cli& o) {
  constexpr std::string_view command = "tcpcheck check";
  auto s = load_script(o.script_path, command);
  if (!s) return exit_usage;
  if (o.timeout_ms) s->timeout = duration(o.timeout_ms);
  const auto spec = script_framing(*s, o.script_path, o.settings.framing_override, command);
  if (!spec) return exit_usage;

  check_settings& settings = o.settings;
  const auto policy = parse_bad_frame_policy(o.on_bad_frame);
  if (!policy) {
    std::cerr << command << ": --on-bad-frame: '" << o.on_bad_frame
              << "' is not one of close-or-ignore, close, reply, ignore\n";
    return exit_usage;
  }
  settings.matrix.on_bad_frame = *policy;
  settings.matrix.quiet = duration(o.quiet_ms);
  settings.matrix.client_wait = duration(o.client.client_timeout_ms);
  if (!o.shard_text.empty()) {
    std::string error;
    const auto slice = parse_shard(o.shard_text, error);
    if (!slice) {
      std::cerr << command << ": --shard: " << error << '\n';
      return exit_usage;
    }
    settings.selection.slice = *slice;
  }
  settings.progress = !o.no_progress;

  auto matrix = generate_matrix(*s, *spec, settings.matrix);
  if (const auto unmatched = unmatched_patterns(matrix, settings.selection); !unmatched.empty()) {
    std::cerr << command << ": --only/--exclude '" << unmatched.front()
              << "' matches no case of this script (tcpcheck check SCRIPT --list shows them)\n";
    return exit_usage;
  }
  if (o.list) {
    list_cases(select_cases(std::move(matrix), settings.selection), std::cout);
    return exit_ok;
  }
  if (!peer_fits_role(*s, o.target, o.client, command)) return exit_usage;
  if (s->role == script_role::server) return check_client(o, *s, *spec);
  int exit = exit_ok;
  auto target = choose_target(o.target, command, exit, spawn_options_for(*s),
                              if_not_listening::report_unreachable);
  if (!target) return exit;
  return run_check_command(o.script_path, *s, *spec, peer_of(*target), settings, std::cout).exit;
}

} // namespace

command add_check(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "check", "Turn one script of a normal conversation into the conformance matrix "
               "(segmentation, faults, concurrency, soak, boundary frames, latency; for a "
               "'transport udp' script loss, duplication, reordering, burst, size, clients and "
               "amplification instead of segmentation and faults) and run "
               "it against a live server, or (a 'role server' script, --client) against a "
               "client; every failure comes with a replay command");
  auto o = std::make_shared<check_cli>();
  check_settings& s = o->settings;
  sub->add_option("SCRIPT", o->script_path, "The script of a normal conversation (docs/scripts.md)")
      ->required();
  add_target_options(*sub, o->target);
  add_client_options(*sub, o->client, false);
  sub->add_option("--framing,-f", s.framing_override,
                  "Framing spec; overrides the script's 'framing' line")
      ->check(non_empty_spec);
  sub->add_option("--seed", s.matrix.seed, "Seed of everything random (random plans)")
      ->capture_default_str()
      ->check(unsigned_seed);
  sub->add_option("--only", s.selection.only,
                  "Run only the cases whose id matches this glob, or lies below it "
                  "('faults', 'segmentation/random-*'); repeatable");
  sub->add_option("--exclude", s.selection.exclude,
                  "Skip the cases matching this glob; repeatable");
  sub->add_option("--shard", o->shard_text,
                  "Run slice I of N of the selected cases (1/4, 2/4, ...), for a CI matrix");
  sub->add_flag("--list", o->list, "List the selected cases and exit, running nothing");
  sub->add_option("--retries", s.retries,
                  "Re-runs of a failing case; one that then passes is "
                  "reported as flaky")
      ->capture_default_str()
      ->check(CLI::Range(0, 10));
  sub->add_option("--jobs,-j", s.jobs,
                  "Cases run side by side against --target (a --spawn server gets one at a "
                  "time, so that a crash belongs to one case)")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  sub->add_option("--parallel", s.matrix.parallel,
                  "Conversations at once in concurrency/parallel-N")
      ->capture_default_str()
      ->check(CLI::Range(2, 1024));
  sub->add_option("--soak", s.matrix.soak, "Conversations in a row in soak/sequential-M")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  sub->add_option("--soak-time", s.soak_time_ms,
                  "Milliseconds after which the soak and latency cases start no new "
                  "conversation (they also stop at their first failure)")
      ->capture_default_str()
      ->check(CLI::Range(100u, 3600000u));
  sub->add_option("--random-plans", s.matrix.random_plans,
                  "Random segmentations (seeds from --seed)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));
  sub->add_option("--on-bad-frame", o->on_bad_frame,
                  "What a server may do with a frame that breaks the spec: close-or-ignore, "
                  "close, reply or ignore (under close-or-ignore, a frame one byte over max "
                  "that is answered is a warning)")
      ->capture_default_str()
      ->check(CLI::IsMember({"close-or-ignore", "close", "reply", "ignore"}));
  sub->add_option("--burst", s.matrix.burst,
                  "UDP scripts: datagrams sent without waiting in burst/N")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  sub->add_option("--amplification-limit", s.matrix.amplification_limit,
                  "UDP scripts: how many times larger than its request (in bytes or datagrams) "
                  "an answer may be before amplification/exchanges fails (above 1 it warns)")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 1e9));
  sub->add_option("--quiet", o->quiet_ms, "Milliseconds of silence that count as ignoring a frame")
      ->capture_default_str()
      ->check(CLI::Range(1u, 60000u));
  sub->add_option("--timeout", o->timeout_ms,
                  "Milliseconds each expect step waits (overrides the script's 'timeout' line)")
      ->check(CLI::Range(1u, 86400000u));
  sub->add_option("--case-timeout", s.case_timeout_ms,
                  "Milliseconds one conversation may take in all, whatever its steps say")
      ->capture_default_str()
      ->check(CLI::Range(1u, 86400000u));
  add_memory_option(*sub, s.memory_mib);
  sub->add_option("--gap", s.gap_ms, "Milliseconds between the writes of a cut send")
      ->capture_default_str()
      ->check(CLI::Range(0u, 60000u));
  sub->add_option(
      "--out,-o", s.out_dir,
      "Directory for the failing cases' replay scripts (default: a new one in $TMPDIR)");
  add_report_options(*sub, s.reports, "every case, with failures' wire logs,");
  sub->add_flag("--verbose,-v", s.verbose, "List every case, not only those that did not pass");
  sub->add_flag("--no-progress", o->no_progress, "No progress line on stderr");
  sub->footer("Exit codes: 0 every case passed, 1 a case failed or was flaky, 2 bad usage, "
              "script or spec, 3 the target could not be reached or started (or the client "
              "could not be started).");
  return [o] { return check(*o); };
}

} // namespace tcpcheck::cli
