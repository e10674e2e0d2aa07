// --client, --listen, --client-timeout and --client-memory; playing the
// server for a client.
#include "client_argument.hpp"

#include "tcpcheck/harness/report.hpp"

#include <iostream>

#include "exit_codes.hpp"

namespace tcpcheck::cli {

harness::client_limits client_arguments::limits() const {
  harness::client_limits l;
  l.end_timeout = std::chrono::milliseconds(client_timeout_ms);
  l.memory_kib = std::size_t{client_memory_mib} * 1024;
  return l;
}

std::string client_arguments::limit_arguments() const {
  std::string args;
  if (client_timeout_ms != default_client_timeout_ms)
    args += " --client-timeout " + std::to_string(client_timeout_ms);
  if (client_memory_mib != default_client_memory_mib)
    args += " --client-memory " + std::to_string(client_memory_mib);
  return args;
}

void add_client_options(CLI::App& sub, client_arguments& a, bool with_listen) {
  auto* client = sub.add_option(
      "--client", a.client,
      "For a 'role server' script: start the client under test, a command with {port} where "
      "tcpcheck's port goes (tcpcheck listens on a free port of 127.0.0.1), split like a shell "
      "splits words; its exit status and stderr are judged");
  if (with_listen) {
    auto* listen = sub.add_option("--listen", a.listen,
                                  "For a 'role server' script: listen on HOST:PORT (loopback) and "
                                  "wait for a client started some other way");
    client->excludes(listen);
    listen->excludes(client);
  }
  sub.add_option("--client-timeout", a.client_timeout_ms,
                 "Milliseconds the client started with --client has to exit once the "
                 "conversation has ended (and to give up on a silent server)")
      ->capture_default_str()
      ->check(CLI::Range(1u, 600000u));
  sub.add_option("--client-memory", a.client_memory_mib,
                 "MiB of resident memory past which the client is stopped and fails (a length "
                 "field must not decide what it allocates)")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1048576u));
}

bool peer_fits_role(const script& s, const target_arguments& server, const client_arguments& client,
                    std::string_view command) {
  const bool serving = s.role == script_role::server;
  if (serving && (!server.target.empty() || !server.spawn.empty())) {
    std::cerr << command << ": the script says 'role server' (tcpcheck plays the server): "
              << "give the client with --client (tcpcheck run also takes --listen), not a server "
                 "with --target or --spawn\n";
    return false;
  }
  if (serving && !client.given()) {
    std::cerr << command
              << ": the script says 'role server': give the client to test with --client "
                 "\"CMD {port}\" (tcpcheck run also takes --listen HOST:PORT, for one started "
                 "some other way)\n";
    return false;
  }
  if (!serving && client.given()) {
    std::cerr << command << ": --client and --listen are for scripts that say 'role server'; "
              << "this one plays the client: give the server with --target or --spawn\n";
    return false;
  }
  return true;
}

std::optional<std::vector<std::string>> client_command(const client_arguments& a,
                                                       std::string_view command) {
  std::string error;
  auto argv = harness::target_process::split_command(a.client, error);
  if (!argv) std::cerr << command << ": --client: " << error << '\n';
  return argv;
}

std::optional<client_run> play_server(const client_arguments& a, const script& s,
                                      const framing_spec& spec, const delivery_plan& plan,
                                      const harness::run_options& options, std::string_view command,
                                      int& exit) {
  harness::target where{"127.0.0.1", 0};
  if (!a.listen.empty()) {
    std::string error;
    const auto parsed = harness::parse_listen_target(a.listen, error);
    if (!parsed) {
      std::cerr << command << ": --listen: " << error << '\n';
      exit = exit_usage;
      return std::nullopt;
    }
    where = *parsed;
  }
  std::vector<std::string> argv;
  if (!a.client.empty()) {
    auto words = client_command(a, command);
    if (!words) {
      exit = exit_usage;
      return std::nullopt;
    }
    argv = std::move(*words);
  }
  const auto announce = [&](const harness::target& bound) {
    if (argv.empty())
      std::cerr << command << ": listening on " << to_string(bound) << ": start the client\n";
  };
  auto played = harness::play_client(where, argv, s, spec, plan, options, a.limits(),
                                     harness::client_ending::succeeds, announce);
  if (played.result.unreachable || !played.start_error.empty()) {
    std::cerr << command << ": "
              << (played.start_error.empty()
                      ? played.result.outcome.reason
                      : "--client: cannot start the client: " + played.start_error)
              << '\n';
    exit = exit_io_error;
    return std::nullopt;
  }
  client_run run;
  run.result = std::move(played.result);
  run.death = std::move(played.death);
  run.describe = std::move(played.describe);
  run.replay_arguments = !argv.empty() ? "--client " + harness::shell_quote(a.client)
                                       : "--listen " + harness::shell_quote(to_string(where));
  run.replay_arguments += a.limit_arguments();
  return run;
}

} // namespace tcpcheck::cli
