// The client a `role server` script is played against: `--client "CMD ...
// {port}"`, which tcpcheck starts once it listens, or `--listen HOST:PORT`
// for a client started some other way.
#pragma once

#include "tcpcheck/delivery_plan.hpp"
#include "tcpcheck/framing_spec.hpp"
#include "tcpcheck/harness/client_play.hpp"
#include "tcpcheck/harness/run.hpp"
#include "tcpcheck/harness/target_process.hpp"
#include "tcpcheck/script.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "target_argument.hpp"

namespace tcpcheck::cli {

struct client_arguments {
  static constexpr unsigned default_client_timeout_ms = 5000;
  static constexpr unsigned default_client_memory_mib = 512;
  std::string client;
  std::string listen;
  unsigned client_timeout_ms = default_client_timeout_ms;
  unsigned client_memory_mib = default_client_memory_mib;
  bool given() const { return !client.empty() || !listen.empty(); }
  harness::client_limits limits() const;
  /// --client-timeout and --client-memory, when not the defaults, for
  /// replay commands.
  std::string limit_arguments() const;
};

/// Adds --client, --listen (unless `with_listen` is false: a command that
/// starts a client per case), --client-timeout and --client-memory.
void add_client_options(CLI::App& sub, client_arguments& arguments, bool with_listen = true);

/// Whether the peer options fit the script's role: a server (--target,
/// --spawn) for a script that plays the client, a client (--client,
/// --listen) for a `role server` one. Prints why not, prefixed with
/// `command`.
bool peer_fits_role(const script& s, const target_arguments& server, const client_arguments& client,
                    std::string_view command);

/// --client's command split into words; on failure prints why (prefixed
/// with `command`) and returns nullopt.
std::optional<std::vector<std::string>> client_command(const client_arguments& arguments,
                                                       std::string_view command);

/// A conversation played against a client, and how the client ended.
struct client_run {
  harness::run_result result;
  std::optional<harness::process_death> death; ///< a client that failed: how it ended
  std::string describe; ///< "client 'CMD' (tcpcheck listening on 127.0.0.1:PORT)"
  /// "--client 'CMD'" or "--listen HOST:PORT", and --client-timeout when not the default
  std::string replay_arguments;
};

/// Plays `s`, a `role server` script: listens, starts the client (or waits
/// for one), plays the conversation, then judges how the client ended. A
/// client of tcpcheck's must exit with status 0 within --client-timeout of
/// a conversation that passed; after one that failed it must still end in
/// that time, and not by a signal. On bad arguments prints why (prefixed
/// with `command`), sets `exit` and returns nullopt.
std::optional<client_run> play_server(const client_arguments& arguments, const script& s,
                                      const framing_spec& spec, const delivery_plan& plan,
                                      const harness::run_options& options, std::string_view command,
                                      int& exit);

} // namespace tcpcheck::cli
