// The session state machine: a script driven step by step from events.
//
// Sans I/O, like the frame decoder: the harness (or a test, or a fuzz
// target) feeds it what happened on the wire (connected, bytes received,
// peer FIN, peer RST, a timer expired) and carries out the actions it asks
// for (connect, write, shut down, close, reset, start a timer). Received
// bytes are decoded with the script's framing, so a reply written in three
// pieces, or two replies in one write, are judged frame by frame. Every
// run ends in a verdict: pass, or the failing step with its line, what was
// expected, what came, and the transcript.
//
//   tcpcheck::session s(script, spec, plan);
//   s.start();
//   while (!s.finished()) {
//     for (auto& action : s.take_actions()) carry_out(action);
//     feed_next_event(s); // s.on_received(conn, bytes), s.on_timer(id), ...
//   }
#pragma once

#include "tcpcheck/bytes.hpp"
#include "tcpcheck/delivery_plan.hpp"
#include "tcpcheck/frame_decoder.hpp"
#include "tcpcheck/framing_spec.hpp"
#include "tcpcheck/script.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace re2 {
class RE2;
}

namespace tcpcheck {

struct session_options {
  /// Makes this conversation's `${run}`, `${conn}` and `${token}` its own:
  /// the driver gives each conversation a different one.
  std::uint64_t conversation_id = 0;
  duration default_timeout{5000}; ///< expect steps, unless the script or step says otherwise
  duration connect_timeout{5000};
  duration write_gap{1};                     ///< pause between the writes of one cut send
  std::size_t most_unread_bytes = 16u << 20; ///< received but not yet expected: more fails the run
  /// Frames received but not yet expected, on one connection: more fails
  /// the run (a flood of empty frames holds no bytes, yet costs memory).
  std::size_t most_unread_frames = 1u << 16;
  std::size_t transcript_bytes = 1u << 20; ///< bytes of payload kept in the transcript
  /// Entries kept in the transcript; later ones are counted, not kept (the
  /// failure's own note always is).
  std::size_t transcript_entries = 10000;
};

/// What the session asks its driver to do, in order.
struct session_action {
  /// accept: take the next connection the client under test makes (a
  /// `role server` script), where a client's script would connect.
  enum class kind { connect, accept, write, shutdown, close, reset, start_timer };
  kind what = kind::write;
  std::size_t connection = 0; ///< index into script::connections()
  byte_buffer bytes;          ///< write
  duration delay{0};          ///< write: wait this long first; start_timer: the timeout
  std::uint64_t timer = 0;    ///< start_timer: the id to report to on_timer
  /// connect: "HOST:PORT" of another loopback endpoint (`connect HOST:PORT`);
  /// empty: the target
  std::string endpoint;
  friend bool operator==(const session_action&, const session_action&) = default;
};

/// One line of the transcript: what went over the wire, or happened.
struct transcript_entry {
  enum class kind { sent, received_frame, peer_closed, peer_reset, connected, note, ignored_frame };
  kind what = kind::note;
  std::size_t connection = 0;
  byte_buffer bytes; ///< sent bytes, or a frame's payload (cut at the transcript limit)
  std::string text;  ///< a note
};

struct verdict {
  bool passed = false;
  std::size_t step = 0; ///< index of the failing step (steps.size(): after the last)
  std::size_t line = 0; ///< its line in the script
  std::string expected; ///< printable: escapes for unprintable bytes
  std::string got;
  std::string reason; ///< one line
  std::string plan;   ///< the plan's name, seed included
  std::vector<transcript_entry> transcript;
};

/// "pass" or "line 7: expected \"Hello alice!\", got \"Hello bob!\"".
std::string to_string(const verdict& v);

/// A pointer to `s` that owns nothing (std::shared_ptr's aliasing
/// constructor), for sessions that `s` outlives: they share it at no cost.
inline std::shared_ptr<const script> borrowed_script(const script& s) {
  return std::shared_ptr<const script>(std::shared_ptr<void>(), &s);
}

class session {
public:
  session(script s, framing_spec spec, delivery_plan plan, session_options options = {});
  /// Runs a script shared with other sessions (ten thousand conversations
  /// of one script need one copy of it). borrowed_script() will do when
  /// the script outlives the session.
  session(std::shared_ptr<const script> s, framing_spec spec, delivery_plan plan,
          session_options options = {});
  ~session();
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  /// Begins: connects "main" (and nothing else) unless the first step does.
  void start();

  /// The connection is open: connected, or (`role server`) accepted.
  void on_connected(std::size_t connection);
  void on_connect_failed(std::size_t connection, std::string reason);
  void on_received(std::size_t connection, byte_view bytes);
  void on_peer_closed(std::size_t connection);
  void on_peer_reset(std::size_t connection);
  void on_write_failed(std::size_t connection, std::string reason);
  void on_timer(std::uint64_t timer);
  /// Ends the run as a failure at the current step (the driver's own limit
  /// ran out, or it was interrupted).
  void abort(std::string reason);

  /// The actions asked for since the last call, in order.
  std::vector<session_action> take_actions();
  /// The same into `into` (cleared first), whose buffer the session keeps
  /// for the next actions: a driver that passes the same vector each time
  /// allocates none after the first few.
  void take_actions(std::vector<session_action>& into);

  bool finished() const noexcept { return finished_; }
  /// Bytes received and held: frames not yet taken, and those of frames
  /// not complete yet (what a memory budget counts).
  std::size_t held_bytes() const noexcept;
  const verdict& result() const noexcept { return verdict_; }
  /// The verdict moved out, for a driver done with the session: a copy
  /// would copy every transcript entry. result() keeps `passed`, `step`
  /// and `line`; its texts and transcript are empty after.
  verdict take_result() noexcept { return std::move(verdict_); }
  const script& steps() const noexcept { return script_; }
  const std::vector<std::string>& connection_names() const noexcept { return names_; }

private:
  struct connection_state;
  struct regex_cache;
  enum class wait_for { nothing, implicit_connect, connect, expect, sleep };

  struct received_frame;

  void run(); // advances through steps while it can
  bool run_step(const script_step& step);
  bool check_expect(const script_step& step);
  bool match_frames(const script_step& step, connection_state& conn);
  bool match_end(const script_step& step, connection_state& conn);
  bool matches(const expectation& e, const received_frame& f, std::size_t connection,
               byte_buffer* captured) const;
  bool has_fields(const std::vector<field_setting>& fields, const received_frame& f,
                  const connection_state& conn) const;
  void drop_ignored(const script_step& step, std::size_t connection);
  void pop_frame(connection_state& conn);
  bool check_fields(const script_step& step);
  void change_framing(std::size_t connection, const std::string& spec_text);
  void decode(std::size_t connection, byte_view bytes);
  void decode_datagram(std::size_t connection, byte_view bytes);
  void send_step(std::size_t index);
  void pipeline_ahead();
  void wait(duration timeout);
  void wake(std::size_t connection); // an event on `connection`: re-check a waiting expect
  void fail(std::string expected, std::string got, std::string reason);
  void keep_last_note(std::string text);
  void pass();
  session_action open_action(std::size_t connection) const; // connect, or accept
  bool datagrams() const noexcept { return script_.transport == script_transport::udp; }
  std::string peer() const; // "the server", or "the client" tcpcheck plays the server for
  std::size_t connection_of(const script_step& step) const;
  const byte_buffer* value_of(const std::string& name, std::size_t connection) const;
  byte_buffer render(const script_text& text, std::size_t connection = 0) const;
  /// `text` rendered: its one literal as it is, else rendered into `scratch`.
  const byte_buffer& rendered(const script_text& text, std::size_t connection,
                              byte_buffer& scratch) const;
  const re2::RE2* regex_of(const expectation& e) const; // compiled, or null
  bool render_checked(const script_text& text, std::size_t connection, byte_buffer& out);
  std::string describe(const expectation& e) const;
  std::string describe(const script_step& step) const; // its alternatives, joined by "or"
  void queue_frame(std::size_t connection, const frame& f);
  void note(std::size_t connection, transcript_entry::kind what, byte_view bytes,
            std::string text = {});

  std::shared_ptr<const script> shared_script_; // never null; not changed while running
  const script& script_;
  framing_spec spec_;
  delivery_plan plan_;
  session_options options_;
  std::vector<std::string> names_;
  std::vector<std::unique_ptr<connection_state>> connections_;
  std::map<std::string, byte_buffer> variables_;
  byte_buffer run_value_;                // ${run}
  byte_buffer token_value_;              // ${token}
  std::vector<byte_buffer> conn_values_; // ${conn}, by connection
  bool changes_framing_ = false;         // a `framing` step: received bytes are kept to re-read
  std::unique_ptr<regex_cache> regexes_;
  std::vector<bool> sent_ahead_; // pipeline: sends already written
  std::size_t pc_ = 0;           // the step being run
  std::uint64_t next_timer_ = 1;
  std::uint64_t awaited_timer_ = 0;   // the timer that ends the current wait
  std::size_t timer_step_ = SIZE_MAX; // the step awaited_timer_ was started for
  wait_for wait_for_ = wait_for::nothing;
  bool waiting_ = false;
  bool started_ = false;
  bool finished_ = false;
  std::uint64_t sends_ = 0;
  std::size_t transcript_bytes_ = 0;
  std::size_t transcript_dropped_ = 0; ///< entries past transcript_entries
  std::vector<session_action> actions_;
  verdict verdict_;
};

} // namespace tcpcheck
