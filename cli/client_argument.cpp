// --client, --listen and --client-timeout; playing the server for a client.
#include "client_argument.hpp"

#include "tcpcheck/harness/report.hpp"

#include <iostream>
#include <memory>

#include "exit_codes.hpp"

namespace tcpcheck::cli {

namespace {

// Polls in a row that must find the client gone before the run is ended
// for it: its last bytes and FIN reach the socket as it exits, and are
// judged first.
constexpr int polls_before_gone = 2;

void fail_after_end(verdict& v, const script& s, std::string reason) {
  v.passed = false;
  v.step = s.steps.size();
  v.reason = std::move(reason);
}

// How the client ended, once the conversation has: a client must exit, with
// status 0 after a conversation that passed, and never by a signal.
void judge_end(harness::target_process& client, std::chrono::milliseconds limit, const script& s,
               client_run& run) {
  verdict& v = run.result.outcome;
  const std::string within = std::to_string(limit.count()) + " ms";
  if (!client.wait_for_exit(limit)) {
    client.stop();
    if (v.passed)
      fail_after_end(v, s,
                     "the client did not exit within " + within +
                         " of the conversation's end (stopped)");
    else
      v.reason += "; and the client was still running " + within + " later (stopped)";
    return;
  }
  auto death = client.death();
  if (!death || death->clean) return;
  death->who = "client";
  if (v.passed) fail_after_end(v, s, "the client " + death->how);
  run.death = std::move(death);
}

} // namespace

void add_client_options(CLI::App& sub, client_arguments& a) {
  auto* client = sub.add_option(
      "--client", a.client,
      "For a 'role server' script: start the client under test, a command with {port} where "
      "tcpcheck's port goes (tcpcheck listens on a free port of 127.0.0.1), split like a shell "
      "splits words; its exit status and stderr are judged");
  auto* listen = sub.add_option("--listen", a.listen,
                                "For a 'role server' script: listen on HOST:PORT (loopback) and "
                                "wait for a client started some other way");
  client->excludes(listen);
  listen->excludes(client);
  sub.add_option("--client-timeout", a.client_timeout_ms,
                 "Milliseconds the client started with --client has to exit once the "
                 "conversation has ended")
      ->capture_default_str()
      ->check(CLI::Range(1u, 600000u));
}

std::optional<client_run> play_server(const client_arguments& a, const script& s,
                                      const framing_spec& spec, const delivery_plan& plan,
                                      const harness::run_options& options, std::string_view command,
                                      int& exit) {
  std::string error;
  harness::target where{"127.0.0.1", 0};
  if (!a.listen.empty()) {
    const auto parsed = harness::parse_target(a.listen, error);
    if (!parsed) {
      std::cerr << command << ": --listen: " << error << '\n';
      exit = exit_usage;
      return std::nullopt;
    }
    where = *parsed;
  }
  std::unique_ptr<harness::target_process> client;
  if (!a.client.empty()) {
    const auto argv = harness::target_process::split_command(a.client, error);
    if (!argv) {
      std::cerr << command << ": --client: " << error << '\n';
      exit = exit_usage;
      return std::nullopt;
    }
    client = std::make_unique<harness::target_process>(*argv);
  }

  client_run run;
  std::string start_error;
  const auto listening = [&](const harness::target& bound) {
    run.describe = "a client of tcpcheck listening on " + to_string(bound);
    if (!client) {
      std::cerr << command << ": listening on " << to_string(bound) << ": start the client\n";
      return;
    }
    client->start_client(bound.port, start_error);
    run.describe = "client " + harness::shell_quote(client->command_line()) +
                   " (tcpcheck listening on " + to_string(bound) + ")";
  };
  int gone_polls = 0;
  const auto client_gone = [&]() -> std::string {
    if (!start_error.empty()) return "the client could not be started: " + start_error;
    if (client->running() || ++gone_polls < polls_before_gone) return {};
    return "the client " + client->death()->how + " before the conversation ended";
  };
  run.result = harness::serve_script(where, s, spec, plan, options, listening,
                                     client ? client_gone : std::function<std::string()>{});
  if (run.result.unreachable || !start_error.empty()) {
    std::cerr << command << ": "
              << (start_error.empty() ? run.result.outcome.reason
                                      : "--client: cannot start the client: " + start_error)
              << '\n';
    exit = exit_io_error;
    return std::nullopt;
  }
  if (client) judge_end(*client, std::chrono::milliseconds(a.client_timeout_ms), s, run);
  run.replay_arguments = client ? "--client " + harness::shell_quote(client->command_template())
                                : "--listen " + harness::shell_quote(to_string(where));
  if (a.client_timeout_ms != client_arguments::default_client_timeout_ms)
    run.replay_arguments += " --client-timeout " + std::to_string(a.client_timeout_ms);
  return run;
}

} // namespace tcpcheck::cli
