// `tcpcheck demo`: the README's main command. `tcpcheck check` for the seed
// articles' greeting protocol, everything bundled in this executable:
// against two servers it spawns, a correct one and one with the articles'
// bug (one recv() taken as one message), and then, playing the server,
// against two clients with the same pair of behaviours. The correct ones
// pass every case; the naive ones fail the segmentation cases, each with
// its replay command.
#include "tcpcheck/harness/client_check.hpp"
#include "tcpcheck/harness/reference_client.hpp"
#include "tcpcheck/harness/report.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <unistd.h>

#include "check_run.hpp"
#include "commands.hpp"
#include "demo_script.hpp"
#include "exit_codes.hpp"
#include "option_checks.hpp"

namespace tcpcheck::cli {

namespace {

constexpr std::string_view command_name = "tcpcheck demo";

struct demo_options {
  std::uint64_t seed = 1;
  std::size_t soak = 1000;
  bool verbose = false;
};

// A built-in script, parsed, with its spec and the file it is written to
// (replay commands name it).
struct demo_script {
  script steps;
  framing_spec spec;
  std::string path;
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

std::optional<demo_script> load(const char* text, const std::string& path) {
  script_error bad;
  auto steps = parse_script(text, bad);
  if (!steps) {
    std::cerr << command_name << ": the built-in script does not parse: " << bad.to_string(path)
              << '\n';
    return std::nullopt;
  }
  spec_error bad_spec;
  auto spec = parse_framing_spec(steps->framing.value_or(""), bad_spec);
  if (!spec) {
    std::cerr << command_name << ": the built-in script's framing: " << to_string(bad_spec) << '\n';
    return std::nullopt;
  }
  std::ofstream(path) << text;
  return demo_script{*std::move(steps), *std::move(spec), path};
}

// Replay commands must work after the demo: the scripts and the failing
// cases' scripts go to a directory that stays. Empty on failure.
std::string make_demo_dir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = std::string(tmp && *tmp ? tmp : "/tmp") + "/tcpcheck-demo-XXXXXX";
  if (!mkdtemp(dir.data())) {
    std::cerr << command_name << ": cannot create a directory in " << (tmp ? tmp : "/tmp") << '\n';
    return {};
  }
  return dir;
}

// The demo's clients give up on a silent server after 2 s (`tcpcheck client
// --silence`) rather than their default 4: each silent-server case of the
// client matrix lasts that long, and they were half of the demo's 31 s.
// tcpcheck's longest pause in that matrix is far shorter (a slow server
// writes every 20 ms). A client has twice that to end after a conversation,
// which leaves a sanitizer build on a busy machine room to be slow.
constexpr std::chrono::milliseconds demo_client_silence{2000};

harness::client_limits demo_client_limits() {
  harness::client_limits limits;
  limits.end_timeout = 2 * demo_client_silence;
  return limits;
}

check_settings settings_for(const demo_options& o, const std::string& out_dir) {
  check_settings settings;
  settings.matrix.seed = o.seed;
  settings.matrix.soak = o.soak;
  settings.out_dir = out_dir;
  settings.verbose = o.verbose;
  settings.program = harness::shell_quote(this_executable());
  settings.matrix.client_wait = demo_client_limits().end_timeout; // role server scripts only
  return settings;
}

// What one side of the demo showed: the correct program passed, the naive
// one failed segmentation cases (the sticky-packet bug).
struct pair_outcome {
  check_summary correct, naive;
  bool as_expected() const {
    const bool sticky_found =
        std::any_of(naive.failed_ids.begin(), naive.failed_ids.end(),
                    [](const std::string& id) { return id.rfind("segmentation/", 0) == 0; });
    return correct.exit == exit_ok && sticky_found;
  }
};

std::optional<pair_outcome> check_servers(const demo_script& s, const demo_options& o,
                                          const std::string& dir, int& exit) {
  pair_outcome outcome;
  for (const std::string server : {"greeting", "naive-greeting"}) {
    std::cout << rule("tcpcheck check against the server " + server);
    target_arguments spawn;
    spawn.spawn = harness::shell_quote(this_executable()) + " serve " + server + " --port {port}";
    auto target = choose_target(spawn, command_name, exit);
    if (!target) return std::nullopt;
    const auto summary = run_check_command(s.path, s.steps, s.spec, peer_of(*target),
                                           settings_for(o, dir + "/" + server), std::cout);
    (server == "greeting" ? outcome.correct : outcome.naive) = summary;
  }
  return outcome;
}

pair_outcome check_clients(const demo_script& s, const demo_options& o, const std::string& dir) {
  pair_outcome outcome;
  for (const std::string client : {"greeting", "naive-greeting"}) {
    std::cout << rule("tcpcheck check against the client " + client);
    const std::string command_line = harness::shell_quote(this_executable()) + " client " + client +
                                     " --silence " + std::to_string(demo_client_silence.count()) +
                                     " --port {port}";
    std::string error;
    harness::client_target target(*harness::target_process::split_command(command_line, error),
                                  demo_client_limits());
    const check_peer peer{target, "client " + harness::shell_quote(command_line),
                          "--client " + harness::shell_quote(command_line) + " --client-timeout " +
                              std::to_string(demo_client_limits().end_timeout.count())};
    const auto summary = run_check_command(s.path, s.steps, s.spec, peer,
                                           settings_for(o, dir + "/client-" + client), std::cout);
    (client == "greeting" ? outcome.correct : outcome.naive) = summary;
  }
  return outcome;
}

void say_what_it_showed(const pair_outcome& servers, const pair_outcome& clients,
                        const std::string& dir) {
  std::cout << rule("what the demo shows");
  const auto line = [](std::string_view who, const pair_outcome& pair) {
    std::cout << who << " greeting:       "
              << (pair.correct.exit == exit_ok ? "every case passed" : "FAILED (unexpected)")
              << '\n'
              << who << " naive-greeting: " << pair.naive.failures << " failing case"
              << (pair.naive.failures == 1 ? "" : "s")
              << (pair.as_expected() ? "" : " (unexpected: the segmentation cases should fail)")
              << '\n';
  };
  line("server", servers);
  line("client", clients);
  std::cout << "The naive server takes a name cut across two reads for two names (\"Hello, "
               "Mi\" ...);\nthe naive client prints a greeting cut across two reads as two "
               "lines. Each failure\nabove has a replay command; the scripts are in "
            << dir << "\n";
}

int demo(const demo_options& o) {
  const std::string dir = make_demo_dir();
  if (dir.empty()) return exit_io_error;
  const auto server_script = load(demo_greeting_script, dir + "/greeting.tcs");
  const auto client_script = load(demo_client_greeting_script, dir + "/greeting-client.tcs");
  if (!server_script || !client_script) return exit_internal;

  std::cout << "tcpcheck demo: `tcpcheck check` for the seed articles' greeting protocol\n"
               "  greeting        correct: frames its input by lines\n"
               "  naive-greeting  the seed articles' bug: takes each recv() as one message\n"
               "First against two servers, then, tcpcheck playing the server, against two "
               "clients.\nAll four are built into this executable and run by it on loopback.\n"
               "The servers' conversation ("
            << server_script->path << "):\n\n"
            << demo_greeting_script;

  int exit = exit_ok;
  const auto servers = check_servers(*server_script, o, dir, exit);
  if (!servers) return exit;
  std::cout << rule("the clients' conversation, from the server's side") << "("
            << client_script->path << ")\n\n"
            << demo_client_greeting_script;
  const auto clients = check_clients(*client_script, o, dir);
  say_what_it_showed(*servers, clients, dir);
  return servers->as_expected() && clients.as_expected() ? exit_ok : exit_failures;
}

} // namespace

command add_demo(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "demo", "Run `tcpcheck check` on two bundled greeting servers and two bundled greeting "
              "clients, a correct one and one with the seed articles' one-recv-one-message "
              "bug of each, and show the difference");
  auto o = std::make_shared<demo_options>();
  sub->add_option("--seed", o->seed, "Seed of the random segmentations")
      ->capture_default_str()
      ->check(unsigned_seed);
  sub->add_option("--soak", o->soak, "Conversations in a row in the servers' soak case")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  sub->add_flag("--verbose,-v", o->verbose, "List every case, not only those that did not pass");
  sub->footer("Exit codes: 0 the demo showed what it should (the correct server and client "
              "passed, the naive ones failed), 1 it did not, 3 a server could not be started.");
  return [o] { return demo(*o); };
}

} // namespace tcpcheck::cli
