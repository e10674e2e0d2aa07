// `tcpcheck client`: a reference client for the seed articles' greeting protocol.
#include "tcpcheck/harness/reference_client.hpp"

#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>

#include "commands.hpp"
#include "exit_codes.hpp"

namespace tcpcheck::cli {

namespace {

struct client_options {
  std::string protocol;
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  unsigned silence_ms =
      static_cast<unsigned>(harness::reference_client_limits{}.silence_limit.count());
};

int exit_code_of(harness::reference_client_outcome outcome) {
  switch (outcome) {
  case harness::reference_client_outcome::done:
    return exit_ok;
  case harness::reference_client_outcome::server_misbehaved:
    return exit_failures;
  case harness::reference_client_outcome::not_loopback:
    return exit_usage;
  case harness::reference_client_outcome::cannot_connect:
    return exit_io_error;
  }
  return exit_internal;
}

int client(const client_options& o) {
  const auto protocol = harness::parse_reference_client_protocol(o.protocol);
  if (!protocol) {
    std::cerr << "tcpcheck client: unknown protocol '" << o.protocol
              << "' (greeting, naive-greeting)\n";
    return exit_usage;
  }
  harness::reference_client_limits limits;
  limits.silence_limit = std::chrono::milliseconds(o.silence_ms);
  const auto result = harness::run_reference_client(*protocol, o.host, o.port, std::cout, limits);
  if (!result.reason.empty()) std::cerr << "tcpcheck client: " << result.reason << '\n';
  return exit_code_of(result.outcome);
}

} // namespace

command add_client(CLI::App& app) {
  auto* sub = app.add_subcommand("client", "Run a reference client for the seed articles' "
                                           "greeting protocol, to check with `check --client`");
  auto o = std::make_shared<client_options>();
  sub->add_option("PROTOCOL", o->protocol,
                  "greeting, or naive-greeting (the seed articles' one-recv-one-message bug, "
                  "kept on purpose)")
      ->required()
      ->check(CLI::IsMember({"greeting", "naive-greeting"}));
  sub->add_option("--host", o->host, "Loopback address to connect to")->capture_default_str();
  sub->add_option("--port", o->port, "Port to connect to")->required()->check(CLI::Range(1, 65535));
  sub->add_option("--silence", o->silence_ms,
                  "Milliseconds without a byte from the server (or without the connection, or "
                  "without room to send) after which the client gives up")
      ->capture_default_str()
      ->check(CLI::Range(1u, 600000u));
  sub->footer("Reads the welcome, sends \"Michael\", \"Tracy\", \"Sarah\" and \"exit\", prints "
              "every message it reads, and waits for the server to close. Exit codes: 0 done, "
              "1 the server misbehaved (closed, reset, silent for --silence, a line over 64 KiB), "
              "2 bad usage, 3 cannot connect.");
  return [o] { return client(*o); };
}

} // namespace tcpcheck::cli
