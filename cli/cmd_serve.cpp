// `tcpcheck serve`: a reference server for the seed articles' protocols, and a UDP echo.
#include "tcpcheck/harness/reference_server.hpp"

#include <csignal>
#include <iostream>
#include <memory>
#include <string_view>
#include <system_error>

#include "commands.hpp"
#include "exit_codes.hpp"

namespace tcpcheck::cli {

namespace {

struct serve_options {
  std::string protocol;
  std::string bind = "127.0.0.1";
  std::uint16_t port = 0;
};

// The one protocol not on TCP says so: a TCP client pointed at its port
// would only be refused.
std::string_view transport_note(harness::reference_protocol protocol) {
  return protocol == harness::reference_protocol::udp_echo ? "UDP, " : "";
}

int serve(const serve_options& o) {
  const auto protocol = harness::parse_reference_protocol(o.protocol);
  if (!protocol) {
    std::cerr << "tcpcheck serve: unknown protocol '" << o.protocol
              << "' (echo, greeting, hello, lenprefix, naive-greeting, udp-echo)\n";
    return exit_usage;
  }
  // Block SIGINT and SIGTERM before the server's thread starts, so that
  // thread inherits the mask and sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  try {
    harness::reference_server server(*protocol, o.bind, o.port);
    std::cout << "serving " << harness::name_of(*protocol) << " on " << server.address() << ":"
              << server.port() << " (" << transport_note(*protocol) << "framing "
              << harness::framing_of(*protocol) << "); stop with Ctrl-C" << std::endl;
    int received = 0;
    sigwait(&stop_signals, &received);
    server.stop();
    std::cout << "stopped" << std::endl;
    return exit_ok;
  } catch (const std::system_error& e) {
    std::cerr << "tcpcheck serve: cannot listen on " << o.bind << ":" << o.port << ": "
              << e.code().message() << '\n';
    return exit_io_error;
  }
}

} // namespace

command add_serve(CLI::App& app) {
  auto* sub = app.add_subcommand("serve", "Run a reference server for the seed articles' "
                                          "protocols (or a UDP echo), to point scripts at");
  auto o = std::make_shared<serve_options>();
  sub->add_option("PROTOCOL", o->protocol,
                  "echo, greeting, hello, lenprefix, naive-greeting (the seed articles' "
                  "one-recv-one-message bug, kept on purpose), or udp-echo (every UDP "
                  "datagram back to its sender, whole; framing datagram)")
      ->required()
      ->check(
          CLI::IsMember({"echo", "greeting", "hello", "lenprefix", "naive-greeting", "udp-echo"}));
  sub->add_option("--bind", o->bind, "Address to listen on (loopback unless told otherwise)")
      ->capture_default_str();
  sub->add_option("--port", o->port, "Port to listen on (0: any free port, printed)")
      ->capture_default_str();
  sub->footer("Prints the bound address, serves until SIGINT or SIGTERM. Exit codes: 0 stopped, "
              "2 bad usage, 3 cannot listen.");
  return [o] { return serve(*o); };
}

} // namespace tcpcheck::cli
