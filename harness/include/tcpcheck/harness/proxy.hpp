// `tcpcheck proxy`: real clients connect to tcpcheck, which connects each
// to the upstream server and forwards both directions, disturbed as told
// (stream_shaper, per direction), decoded with the framing spec and, when
// asked, recorded as a script (conversation_recorder).
//
//   harness::proxy_options o;
//   o.upstream = {"127.0.0.1", 6379};
//   o.up = *parse_disturbance("plan=bytewise", error);
//   harness::proxy p(o);          // binds; p.port() is where clients connect
//   p.run();                      // until stop(), a stop condition or a signal
//
// One thread runs everything (an io_context of its own); stop() may be
// called from any thread. Memory is bounded per connection: a read buffer
// of its own per direction, reading paused while the shaper holds more than
// `queue_bound` bytes, frames decoded up to the spec's max, and at most
// `most_connections` open at once (more are refused with a note).
#pragma once

#include "tcpcheck/framing_spec.hpp"
#include "tcpcheck/harness/run.hpp"
#include "tcpcheck/proxy/control_command.hpp"
#include "tcpcheck/proxy/disturbance.hpp"
#include "tcpcheck/recording/conversation_recorder.hpp"
#include "tcpcheck/script.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tcpcheck::harness {

/// Something the proxy tells as it runs: a connection opened or ended, a
/// frame seen and each write made (with `verbose`), a decode error, an upstream that refused.
struct proxy_event {
  enum class kind { opened, closed, frame, write, decode_error, refused, note };
  kind what = kind::note;
  std::size_t connection = 0; ///< 1-based, in accept order; 0: the proxy itself
  std::string text;           ///< one line, for people
};

struct proxy_options {
  target listen{"127.0.0.1", 0}; ///< port 0: any free port (port() tells)
  target upstream;
  /// The control socket (control_command.hpp); none when unset.
  std::optional<target> control;
  std::string framing = "raw"; ///< the spec frames are decoded with, as written
  disturbance up;              ///< client to server
  disturbance down;            ///< server to client
  std::uint64_t seed = 1;      ///< connection N's directions are seeded from it and N
  bool verbose = false;        ///< tell every frame and write, not only connections and errors

  std::size_t most_connections = 256;   ///< open at once; more are refused
  std::size_t queue_bound = 256u << 10; ///< bytes a direction holds before reading pauses
  duration connect_timeout{5000};       ///< to the upstream
  duration idle_timeout{300000};        ///< a connection with no traffic this long is closed
  /// Stop once this many connections have ended (for tests and scripted use).
  std::optional<std::size_t> stop_after_connections;
  /// Stop after this long, whatever is open.
  std::optional<duration> run_for;
  bool stop_on_signals = false; ///< stop on SIGINT and SIGTERM

  /// Record every connection (recording_options's framing is `framing`).
  std::optional<recording_options> record;
  std::function<void(const proxy_event&)> on_event;
};

struct proxy_summary {
  std::size_t accepted = 0;
  std::size_t refused = 0; ///< over most_connections, or the upstream refused
  std::uint64_t bytes_up = 0, bytes_down = 0;
  std::uint64_t frames_up = 0, frames_down = 0;
  std::size_t decode_errors = 0;
};

class proxy {
public:
  /// Binds the listening (and control) sockets. Throws std::system_error
  /// when one cannot be bound, std::invalid_argument for a bad framing.
  explicit proxy(proxy_options options);
  ~proxy();
  proxy(const proxy&) = delete;
  proxy& operator=(const proxy&) = delete;

  std::uint16_t port() const noexcept;
  std::uint16_t control_port() const noexcept; ///< 0 without a control socket

  /// Serves until stop(), a stop condition or (if asked) a signal; then
  /// resets what is still open. Call once.
  void run();
  /// Thread-safe; run() returns soon after.
  void stop();

  /// The totals (a connection's bytes and frames are added when it ends).
  /// Read after run() returns: the proxy's thread writes them meanwhile.
  proxy_summary summary() const;
  /// The recording made so far (options.record), with its notes; nullopt
  /// when not recording. Call after run() returns.
  std::optional<std::pair<script, std::vector<std::string>>> recording();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace tcpcheck::harness
