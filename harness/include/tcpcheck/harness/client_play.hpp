// Playing the server for a client under test: tcpcheck listens on
// loopback, starts the client (or waits for one started some other way),
// plays a `role server` script and then judges how the client ended. One
// conversation; `tcpcheck run --client` is one of these, and each case of
// `tcpcheck check --client` another, with a fresh client.
#pragma once

#include "tcpcheck/delivery_plan.hpp"
#include "tcpcheck/framing_spec.hpp"
#include "tcpcheck/harness/run.hpp"
#include "tcpcheck/harness/target_process.hpp"
#include "tcpcheck/script.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace tcpcheck::harness {

struct client_limits {
  /// How long the client has to exit once the conversation has ended.
  std::chrono::milliseconds end_timeout{5000};
  /// Resident memory past which the client is stopped and fails: a length
  /// field must not decide what a client allocates.
  std::size_t memory_kib = 512 * 1024;
};

/// What a client must do once the conversation has ended.
enum class client_ending {
  /// Exit with status 0 after a conversation that passed (`run`, and the
  /// segmentation cases); after one that failed, still end, not by a signal.
  succeeds,
  /// End by exiting, with any status, not by a signal or a sanitizer
  /// report (after a fault or an odd frame).
  ends,
};

struct client_outcome {
  run_result result; ///< the verdict covers the conversation and the client's end
  /// A client that ended badly: how (a signal, a status, a sanitizer
  /// report) with its stderr.
  std::optional<process_death> death;
  std::string ended;  ///< "exited with status 0", "still running (stopped)", ...
  std::string output; ///< its standard output (the latest spawn_options::output_limit bytes)
  std::size_t peak_rss_kib = 0; ///< the most resident memory seen (VmHWM)
  std::uint16_t port = 0;       ///< where tcpcheck listened
  std::string describe;         ///< "client 'CMD' (tcpcheck listening on 127.0.0.1:PORT)"
  std::string start_error;      ///< the client could not be started (nothing else holds then)
};

/// Plays `s` for the client `argv` ("{port}" in one word), on a free port
/// of `where`'s host; with `argv` empty waits on `where` for a client
/// started some other way, after calling `listening` with the address.
client_outcome play_client(const target& where, const std::vector<std::string>& argv,
                           const script& s, const framing_spec& spec, const delivery_plan& plan,
                           const run_options& options, const client_limits& limits,
                           client_ending ending,
                           const std::function<void(const target&)>& listening = {});

/// "12 MiB", rounded up.
std::string mib_text(std::size_t kib);

/// Fails `v` for what happened after the script's last step (the
/// client's end): no line of the script is at fault.
void fail_after_conversation(verdict& v, const script& s, std::string reason);

} // namespace tcpcheck::harness
