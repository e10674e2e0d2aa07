// One proxied connection: the client's socket, the upstream's, and a pump
// per direction that reads from one side, hands the bytes to that
// direction's stream_shaper and performs the timed actions it gives back
// on the other side.
#pragma once

#include "tcpcheck/harness/proxy.hpp"
#include "tcpcheck/harness/socket_diag.hpp"
#include "tcpcheck/proxy/stream_shaper.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include <asio.hpp>

namespace tcpcheck::harness::detail {

using asio::ip::tcp;

/// What every connection of one proxy shares: options, the current
/// disturbances, the recorder, the running totals, where events go.
struct proxy_context {
  asio::io_context& io;
  const proxy_options& options;
  framing_spec spec;
  tcp::resolver::results_type upstream;
  disturbance up, down;
  std::optional<conversation_recorder> recorder;
  proxy_summary summary;
  std::function<void(std::size_t)> on_finished; ///< a connection closed both sides

  void tell(proxy_event::kind what, std::size_t connection, std::string text) const;
};

class proxy_connection : public std::enable_shared_from_this<proxy_connection> {
  using clock = std::chrono::steady_clock;

public:
  proxy_connection(proxy_context& context, tcp::socket client, std::size_t id);

  /// Connects to the upstream, then forwards both ways.
  void start();
  /// A new disturbance for `direction`, from the bytes read next.
  void change(proxy_direction direction, const disturbance& d);
  /// Resets both sides (the control socket's `cut`, the proxy stopping).
  void cut() { close_all(true, "cut"); }

private:
  struct pump {
    pump(proxy_connection& owner, tcp::socket& source, tcp::socket& sink, traffic_side sender,
         stream_shaper shaping);
    tcp::socket& from;
    tcp::socket& to;
    traffic_side side;
    stream_shaper shaper;
    std::vector<std::uint8_t> buffer;
    asio::steady_timer timer;
    byte_buffer writing;
    bool write_in_flight = false;
    bool reading = false;
    bool source_ended = false;  ///< the sender's FIN or RST was read
    bool delivered_end = false; ///< the receiver was sent FIN (or the direction was cut)
    bool decode_error_told = false;
    // Cut pieces wait for the receiver to have read the piece before, as
    // the script runner's do (socket_diag.hpp): `held` is the next action
    // meanwhile. A receiver that reads nothing for peer_read_patience is no
    // longer waited for.
    std::optional<shaped_action> held;
    std::optional<connection_peer> receiver;
    bool watch_receiver = true;
    bool wrote_piece = false;
    clock::time_point stop_waiting_at{};
    std::chrono::microseconds poll{0};
    const char* name() const { return side == traffic_side::client ? "up" : "down"; }
  };

  void connected();
  void read(pump& p);
  void on_read(pump& p, std::error_code ec, std::size_t n);
  void drive(pump& p);
  void perform(pump& p, shaped_action action);
  void start_write(pump& p, byte_buffer bytes);
  void deliver_end(pump& p);
  void arm_timer(pump& p, clock::time_point due);
  bool wait_for_receiver(pump& p);
  void watch_idle();
  void note_decode_error(pump& p);
  void close_all(bool reset, const std::string& why);
  void record_end(pump& p, stream_end how);
  stream_shaper make_shaper(const disturbance& d, std::uint64_t salt) const;

  proxy_context& context_;
  std::size_t id_;
  std::size_t recorder_id_ = 0;
  tcp::socket client_;
  tcp::socket upstream_;
  asio::steady_timer connect_timer_;
  asio::steady_timer idle_timer_;
  clock::time_point last_activity_;
  pump up_;
  pump down_;
  bool connected_ = false; ///< the upstream accepted: bytes may flow
  bool closed_ = false;
};

} // namespace tcpcheck::harness::detail
