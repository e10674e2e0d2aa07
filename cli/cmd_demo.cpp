// `tcpcheck demo`: the README's main command. `tcpcheck check` against two
// servers for the seed articles' greeting protocol, both bundled in this
// executable and spawned by it: a correct one, and one with the articles'
// bug (one recv() taken as one message). The first passes every case; the
// second fails the segmentation cases, each with its replay command.
#include "tcpcheck/harness/report.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <unistd.h>

#include "check_run.hpp"
#include "commands.hpp"
#include "demo_script.hpp"
#include "exit_codes.hpp"
#include "option_checks.hpp"

namespace tcpcheck::cli {

namespace {

struct demo_options {
  std::uint64_t seed = 1;
  std::size_t soak = 1000;
  bool verbose = false;
};

std::string this_executable() {
  std::error_code ec;
  const auto path = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("tcpcheck") : path.string();
}

std::string rule(std::string_view title) {
  return "\n== " + std::string(title) + " " +
         std::string(70 - std::min<std::size_t>(66, title.size()), '=') + "\n";
}

int demo(const demo_options& o) {
  constexpr std::string_view command = "tcpcheck demo";
  script_error bad;
  const auto baseline = parse_script(demo_greeting_script, bad);
  if (!baseline) {
    std::cerr << command
              << ": the built-in script does not parse: " << bad.to_string("greeting.tcs") << '\n';
    return exit_internal;
  }
  spec_error bad_spec;
  const auto spec = parse_framing_spec(baseline->framing.value_or(""), bad_spec);
  if (!spec) {
    std::cerr << command << ": the built-in script's framing: " << to_string(bad_spec) << '\n';
    return exit_internal;
  }

  // Replay commands must work after the demo: the script and the failing
  // cases' scripts go to a directory that stays.
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = std::string(tmp && *tmp ? tmp : "/tmp") + "/tcpcheck-demo-XXXXXX";
  if (!mkdtemp(dir.data())) {
    std::cerr << command << ": cannot create a directory in " << (tmp ? tmp : "/tmp") << '\n';
    return exit_io_error;
  }
  const std::string script_path = dir + "/greeting.tcs";
  std::ofstream(script_path) << demo_greeting_script;

  const std::string self = this_executable();
  std::cout << "tcpcheck demo: `tcpcheck check` on two servers for the seed articles' greeting "
               "protocol\n"
               "  greeting        a correct server: frames its input by lines\n"
               "  naive-greeting  the seed articles' bug: takes each recv() as one message\n"
               "Both are built into this executable and spawned by it on a free loopback port.\n"
               "The conversation ("
            << script_path << "):\n\n"
            << demo_greeting_script;

  struct outcome {
    std::string server;
    check_summary summary;
  };
  std::vector<outcome> outcomes;
  for (const std::string server : {"greeting", "naive-greeting"}) {
    std::cout << rule("tcpcheck check against " + server);
    target_arguments spawn;
    spawn.spawn = harness::shell_quote(self) + " serve " + server + " --port {port}";
    int exit = exit_ok;
    auto target = choose_target(spawn, command, exit);
    if (!target) return exit;
    check_settings settings;
    settings.matrix.seed = o.seed;
    settings.matrix.soak = o.soak;
    settings.out_dir = dir + "/" + server;
    settings.verbose = o.verbose;
    settings.program = harness::shell_quote(self);
    outcomes.push_back({server, run_check_command(script_path, *baseline, *spec, peer_of(*target),
                                                  settings, std::cout)});
  }

  std::cout << rule("what the demo shows");
  const check_summary& good = outcomes[0].summary;
  const check_summary& naive = outcomes[1].summary;
  const bool sticky_found =
      std::any_of(naive.failed_ids.begin(), naive.failed_ids.end(),
                  [](const std::string& id) { return id.rfind("segmentation/", 0) == 0; });
  std::cout << "greeting:       "
            << (good.exit == exit_ok ? "every case passed" : "FAILED (unexpected)")
            << "\nnaive-greeting: " << naive.failures << " failing case"
            << (naive.failures == 1 ? "" : "s");
  if (sticky_found)
    std::cout << ", the sticky-packet bug: a name cut across two reads gets two greetings\n"
                 "                (\"Hello, Mi\" ...), and the conversation falls out of step.\n"
                 "Each failure above has a replay command; the scripts are in "
              << dir << "\n";
  else
    std::cout << " (unexpected: the segmentation cases should have failed)\n";
  return good.exit == exit_ok && sticky_found ? exit_ok : exit_failures;
}

} // namespace

command add_demo(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "demo", "Run `tcpcheck check` on two bundled greeting servers, a correct one and one with "
              "the seed articles' one-recv-one-message bug, and show the difference");
  auto o = std::make_shared<demo_options>();
  sub->add_option("--seed", o->seed, "Seed of the random segmentations")
      ->capture_default_str()
      ->check(unsigned_seed);
  sub->add_option("--soak", o->soak, "Conversations in a row in the soak case")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  sub->add_flag("--verbose,-v", o->verbose, "List every case, not only those that did not pass");
  sub->footer("Exit codes: 0 the demo showed what it should (the correct server passed, the "
              "naive one failed), 1 it did not, 3 a server could not be started.");
  return [o] { return demo(*o); };
}

} // namespace tcpcheck::cli
