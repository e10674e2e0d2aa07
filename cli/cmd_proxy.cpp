// `tcpcheck proxy`: between a real client and a real server, forwards both
// directions disturbed as told, shows the frames, records a script.
#include "tcpcheck/harness/proxy.hpp"
#include "tcpcheck/recording/conversation_recorder.hpp"

#include <fstream>
#include <iostream>
#include <memory>
#include <system_error>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "option_checks.hpp"
#include "spec_argument.hpp"

namespace tcpcheck::cli {

namespace {

struct proxy_arguments {
  std::string listen = "127.0.0.1:0";
  std::string upstream;
  std::string control;
  std::string framing = "raw";
  std::string up, down;
  std::uint64_t seed = 1;
  bool verbose = false;
  std::string record;
  std::string description = "recorded by tcpcheck proxy";
  unsigned record_timeout_ms = 0;
  std::size_t connections = 0;
  unsigned duration_ms = 0;
  std::size_t most_connections = 256;
  unsigned idle_timeout_ms = 300000;
  unsigned connect_timeout_ms = 5000;
};

// Reads a HOST:PORT option; prints the error and returns nullopt when bad.
std::optional<harness::target> endpoint_argument(const char* option, const std::string& text,
                                                 bool to_listen = false) {
  std::string error;
  auto where =
      to_listen ? harness::parse_listen_target(text, error) : harness::parse_target(text, error);
  if (!where) std::cerr << "tcpcheck proxy: " << option << ": " << error << '\n';
  return where;
}

std::optional<disturbance> disturbance_argument(const char* option, const std::string& text) {
  std::string error;
  auto d = parse_disturbance(text, error);
  if (!d) std::cerr << "tcpcheck proxy: " << option << ": " << error << '\n';
  return d;
}

// Fills `o` from the arguments; false (errors printed) when one is bad.
bool options_from(const proxy_arguments& a, harness::proxy_options& o) {
  auto listen = endpoint_argument("--listen", a.listen, true);
  auto upstream = endpoint_argument("--upstream", a.upstream);
  auto up = disturbance_argument("--up", a.up);
  auto down = disturbance_argument("--down", a.down);
  if (!listen || !upstream || !up || !down) return false;
  const auto spec = parse_spec_argument(a.framing, std::cerr);
  if (!spec) return false;
  for (const auto& [option, d] : {std::pair{"--up", *up}, std::pair{"--down", *down}})
    if (const std::string conflict = disturbance_conflict(d, *spec); !conflict.empty()) {
      std::cerr << "tcpcheck proxy: " << option << ": " << conflict << '\n';
      return false;
    }
  o.listen = *listen;
  o.upstream = *upstream;
  o.up = *up;
  o.down = *down;
  if (!a.control.empty()) {
    auto control = endpoint_argument("--control", a.control, true);
    if (!control) return false;
    o.control = *control;
  }
  o.framing = a.framing;
  o.seed = a.seed;
  o.verbose = a.verbose;
  o.most_connections = a.most_connections;
  o.idle_timeout = duration(a.idle_timeout_ms);
  o.connect_timeout = duration(a.connect_timeout_ms);
  if (a.connections) o.stop_after_connections = a.connections;
  if (a.duration_ms) o.run_for = duration(a.duration_ms);
  o.stop_on_signals = true;
  if (!a.record.empty()) {
    recording_options r;
    r.description = a.description;
    if (a.record_timeout_ms) r.timeout = duration(a.record_timeout_ms);
    o.record = r;
  }
  return true;
}

void print_event(const harness::proxy_event& e) {
  if (e.connection) std::cout << "[" << e.connection << "] ";
  std::cout << e.text << '\n';
}

int write_recording(harness::proxy& p, const std::string& path) {
  auto recorded = p.recording();
  if (!recorded) return exit_ok;
  const std::string text = recording_text(recorded->first, recorded->second);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    std::cerr << "tcpcheck proxy: cannot write the recording to " << path << '\n';
    return exit_io_error;
  }
  std::cout << "recorded " << recorded->first.steps.size() << " steps to " << path;
  if (!recorded->second.empty()) std::cout << " (" << recorded->second.size() << " notes)";
  std::cout << '\n';
  return exit_ok;
}

void print_summary(const harness::proxy_summary& s) {
  std::cout << "proxied " << s.accepted << " connections (" << s.refused
            << " refused): " << s.bytes_up << " bytes up in " << s.frames_up << " frames, "
            << s.bytes_down << " bytes down in " << s.frames_down << " frames";
  if (s.decode_errors) std::cout << "; " << s.decode_errors << " directions stopped decoding";
  std::cout << std::endl;
}

// A recording that cannot be written is found before the session, not
// after it: the file is made (empty) at the start.
bool recording_writable(const std::string& path) {
  if (path.empty()) return true;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (out) return true;
  std::cerr << "tcpcheck proxy: --record: cannot write " << path << '\n';
  return false;
}

int run_proxy(const proxy_arguments& a) {
  harness::proxy_options o;
  if (!options_from(a, o)) return exit_usage;
  if (!recording_writable(a.record)) return exit_io_error;
  o.on_event = print_event;
  try {
    harness::proxy p(std::move(o));
    std::cout << "proxy on " << a.listen.substr(0, a.listen.rfind(':')) << ":" << p.port() << " -> "
              << a.upstream << " (framing " << a.framing << ")";
    if (p.control_port()) std::cout << "; control on port " << p.control_port();
    std::cout << "; stop with Ctrl-C" << std::endl;
    p.run();
    print_summary(p.summary());
    if (!a.record.empty())
      if (const int code = write_recording(p, a.record)) return code;
    return p.summary().decode_errors ? exit_failures : exit_ok;
  } catch (const std::invalid_argument& e) {
    std::cerr << "tcpcheck proxy: " << e.what() << '\n';
    return exit_usage;
  } catch (const std::system_error& e) {
    std::cerr << "tcpcheck proxy: " << e.what() << '\n';
    return exit_io_error;
  }
}

} // namespace

command add_proxy(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "proxy", "Forward real clients to a real server, disturbed as told; show and record the "
               "frames");
  auto a = std::make_shared<proxy_arguments>();
  sub->add_option("--upstream", a->upstream, "The server to forward to, HOST:PORT")->required();
  sub->add_option("--listen", a->listen,
                  "Where clients connect, HOST:PORT (port 0: any free "
                  "port, printed)")
      ->capture_default_str();
  sub->add_option("--framing", a->framing, "Framing spec the frames are decoded with")
      ->capture_default_str()
      ->check(non_empty_spec);
  sub->add_option("--up", a->up,
                  "Disturbance of client-to-server bytes, as words: plan=PLAN latency=MS "
                  "jitter=MS rate=BYTES stall=BYTES:MS close-after=N reset-after=N "
                  "half-close-after=N (or -frame=N) blackhole (docs/proxy.md)");
  sub->add_option("--down", a->down, "Disturbance of server-to-client bytes, the same words");
  sub->add_option("--seed", a->seed, "Seed of random cuts and jitter")
      ->capture_default_str()
      ->check(unsigned_seed);
  sub->add_option("--control", a->control,
                  "Listen for control commands on HOST:PORT (set, clear, show, cut: "
                  "docs/proxy.md)");
  sub->add_flag("-v,--verbose", a->verbose, "Show every frame as it passes");
  sub->add_option("--record", a->record, "Write the connections as a script to this file");
  sub->add_option("--description", a->description, "The recorded script's description")
      ->capture_default_str();
  sub->add_option("--record-timeout", a->record_timeout_ms,
                  "Milliseconds: the recorded script's timeout line");
  sub->add_option("--connections", a->connections, "Stop once this many connections have ended");
  sub->add_option("--duration", a->duration_ms, "Milliseconds: stop after this long");
  sub->add_option("--max-connections", a->most_connections,
                  "Connections open at once; more "
                  "are refused")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{65536}));
  sub->add_option("--idle-timeout", a->idle_timeout_ms,
                  "Milliseconds: close a connection with no traffic this long")
      ->capture_default_str()
      ->check(CLI::Range(1u, 86400000u));
  sub->add_option("--connect-timeout", a->connect_timeout_ms,
                  "Milliseconds: give up connecting to the upstream")
      ->capture_default_str()
      ->check(CLI::Range(1u, 600000u));
  sub->footer("Runs until SIGINT or SIGTERM, --connections or --duration; then prints a "
              "summary and writes the recording. Exit codes: 0 stopped, 1 a direction "
              "stopped decoding, 2 bad usage, 3 cannot listen, reach the upstream's address "
              "or write the recording.");
  return [a] { return run_proxy(*a); };
}

} // namespace tcpcheck::cli
