// --target and --spawn.
#include "target_argument.hpp"

#include "tcpcheck/harness/report.hpp"

#include <iostream>

#include "exit_codes.hpp"

namespace tcpcheck::cli {

void add_target_options(CLI::App& sub, target_arguments& a) {
  auto* target = sub.add_option("--target,-t", a.target,
                                "The server, HOST:PORT (IPv6: [::1]:PORT), already running");
  auto* spawn = sub.add_option(
      "--spawn", a.spawn,
      "Start the server: a command with {port} where its port goes, split like a shell "
      "splits words (write sh -c '...' for pipes and variables); tcpcheck picks a free "
      "port on 127.0.0.1, captures its output, restarts it if it dies, and stops it at the end");
  target->excludes(spawn);
  spawn->excludes(target);
  sub.add_option("--startup-timeout", a.startup_ms,
                 "Milliseconds a spawned server has to start listening on its port")
      ->capture_default_str()
      ->check(CLI::Range(1u, 600000u));
  sub.add_option("--ready-when", a.ready_when,
                 "With --spawn: the server is ready once it listens and has written TEXT "
                 "(stdout or stderr), for servers that listen before they can serve")
      ->needs(spawn)
      ->option_text("TEXT");
}

std::string chosen_target::describe() const {
  if (!process) return to_string(where);
  return "spawned " + harness::shell_quote(process->command_line()) + " on " +
         to_string(process->where());
}

std::string chosen_target::replay_arguments() const {
  if (!process) return "--target " + harness::shell_quote(to_string(where));
  std::string out = "--spawn " + harness::shell_quote(process->command_template());
  if (!ready_when.empty()) out += " --ready-when " + harness::shell_quote(ready_when);
  return out;
}

harness::spawn_options spawn_options_for(const script& s) {
  harness::spawn_options options;
  options.udp = s.transport == script_transport::udp;
  return options;
}

std::optional<chosen_target> choose_target(const target_arguments& a, std::string_view command,
                                           int& exit, harness::spawn_options options,
                                           if_not_listening policy) {
  std::string error;
  if (a.target.empty() == a.spawn.empty()) {
    std::cerr << command << ": give the server with --target HOST:PORT or --spawn \"CMD {port}\"\n";
    exit = exit_usage;
    return std::nullopt;
  }
  chosen_target chosen;
  if (!a.target.empty()) {
    const auto where = harness::parse_target(a.target, error);
    if (!where) {
      std::cerr << command << ": --target: " << error << '\n';
      exit = exit_usage;
      return std::nullopt;
    }
    chosen.where = *where;
    chosen.checked = std::make_unique<harness::fixed_target>(chosen.where);
    return chosen;
  }
  const auto argv = harness::target_process::split_command(a.spawn, error);
  if (!argv) {
    std::cerr << command << ": --spawn: " << error << '\n';
    exit = exit_usage;
    return std::nullopt;
  }
  options.startup_timeout = std::chrono::milliseconds(a.startup_ms);
  options.ready_text = a.ready_when;
  chosen.ready_when = a.ready_when;
  chosen.process = std::make_unique<harness::target_process>(*argv, options);
  if (!chosen.process->start(error)) {
    std::cerr << command << ": --spawn: " << error << '\n';
    exit = exit_io_error;
    if (policy == if_not_listening::give_up) return std::nullopt;
    // Nothing listens there: the command's reports say so.
    chosen.where = chosen.process->where();
    chosen.checked = std::make_unique<harness::fixed_target>(chosen.where);
    return chosen;
  }
  chosen.where = chosen.process->where();
  chosen.checked = std::make_unique<harness::spawned_target>(*chosen.process);
  return chosen;
}

} // namespace tcpcheck::cli
