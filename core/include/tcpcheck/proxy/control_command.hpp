// The proxy's control protocol: a test changes the disturbances of a
// running `tcpcheck proxy` without restarting it, one line per command on
// a loopback TCP socket (`--control HOST:PORT`); each line is answered with
// one line, "ok ..." or "error: ...".
//
//   set up plan=bytewise latency=5ms   the client-to-server disturbance
//   set down reset-after=100           the server-to-client one
//   set both latency=50ms              both
//   clear [up|down|both]               no disturbance (default: both)
//   show                               "ok up=<words> | down=<words>"
//   connections                        "ok N open, M accepted"
//   cut                                reset every open connection
//   quit                               close the control connection
//
// Changes apply to new and open connections alike, to bytes read from then
// on. This header parses a line; the proxy carries it out.
#pragma once

#include "tcpcheck/proxy/disturbance.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace tcpcheck {

/// A proxied direction: `up` is client to server, `down` server to client.
enum class proxy_direction { up, down, both };

struct control_command {
  enum class kind { set, clear, show, connections, cut, quit };
  kind what = kind::show;
  proxy_direction direction = proxy_direction::both; ///< set, clear
  disturbance change;                                ///< set
};

/// Parses one line (without its newline; a trailing '\r' is ignored).
/// Nullopt with a one-line `error` for an unknown command or a bad
/// disturbance.
std::optional<control_command> parse_control_command(std::string_view line, std::string& error);

/// Longest control line read; a longer one is refused and the control
/// connection closed (the proxy's memory stays bounded).
inline constexpr std::size_t longest_control_line = 4096;

} // namespace tcpcheck
