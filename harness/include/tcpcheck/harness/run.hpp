// Running scripts against live servers: the Asio adapter of the session
// state machine, and the wire log it keeps.
//
// Every wait is bounded: connecting, each expect step, each sleep, and the
// whole run (run_options::run_timeout). Writes go out with TCP_NODELAY, a
// cut send's pieces `write_gap` apart, so each piece reaches the server as
// a read of its own.
#pragma once

#include "tcpcheck/delivery_plan.hpp"
#include "tcpcheck/framing_spec.hpp"
#include "tcpcheck/harness/transport.hpp"
#include "tcpcheck/script.hpp"
#include "tcpcheck/session.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tcpcheck::harness {

class memory_pool;

struct target {
  std::string host; ///< a name or an address ("127.0.0.1", "::1", "localhost")
  std::uint16_t port = 0;
  friend bool operator==(const target&, const target&) = default;
};

/// "HOST:PORT" or "[IPv6]:PORT". On failure returns nullopt and sets `error`.
std::optional<target> parse_target(std::string_view text, std::string& error);
/// The same for a place to listen, where port 0 means any free port.
std::optional<target> parse_listen_target(std::string_view text, std::string& error);
std::string to_string(const target& t);

/// One entry of the wire log, stamped from the start of the run.
struct wire_event {
  enum class kind {
    connect,
    connected,
    accept,   ///< waiting for the client under test to connect (`role server`)
    accepted, ///< it did
    write,
    read,
    peer_fin,
    peer_rst,
    shutdown,
    close,
    reset,
    error,
    dropped ///< `text` says how many events the log did not keep (run_options::wire_log_events)
  };
  kind what = kind::write;
  std::chrono::microseconds at{0};
  std::size_t connection = 0;
  byte_buffer bytes;    ///< write, read (cut at run_options::wire_log_bytes in total)
  std::size_t size = 0; ///< bytes written or read, even when not kept
  std::string text;     ///< error, or a note
};

struct run_options {
  session_options session;
  std::chrono::milliseconds run_timeout{60000}; ///< the whole run, whatever the script says
  std::size_t wire_log_bytes = 1u << 20;        ///< bytes of payload kept in the wire log
  /// Events kept in the wire log: the first half and the last half of a
  /// longer run, the ones between counted in a `dropped` event.
  std::size_t wire_log_events = 20000;
  /// Above zero: read as a slow client does, through a small receive buffer
  /// that does not grow and with this pause before each read (of at most
  /// 4 KiB), so that the peer's writes meet a full window.
  std::chrono::microseconds read_pause{0};
  /// With a pool (memory_budget.hpp): what the session holds beyond
  /// `own_bytes` (received frames and an unfinished one) is borrowed from
  /// it, and while it lends no more the session reads nothing.
  std::shared_ptr<memory_pool> pool;
  std::size_t own_bytes = SIZE_MAX;
};

struct run_result {
  verdict outcome;
  std::vector<wire_event> wire_log;
  std::chrono::microseconds elapsed{0};
  std::chrono::steady_clock::time_point
      started;              ///< when the run began (wire_event::at counts from it)
  bool unreachable = false; ///< the target refused or never answered the first connect
};

/// Cuts what `r` keeps of payload to `most_bytes` in its wire log and as
/// many in its transcript, first ones first; events, entries and sizes
/// stay, and each transcript entry cut says so, naming `why`.
void keep_payload(run_result& r, std::size_t most_bytes, std::string_view why);

/// Runs one script over connections that `make` provides (an in-memory
/// stream in tests), with real timers; blocks until its verdict.
run_result run_script_with(const transport_factory& make, const script& s, const framing_spec& spec,
                           const delivery_plan& plan, const run_options& options = {});

/// The run limit for `s`: the longest a run of it may take when every step
/// waits as long as it may (an expect its timeout, a connect the connect
/// timeout, a sleep its pause), one after another, and a margin; never
/// less than `options.run_timeout`. A --timeout of minutes is then not cut
/// short by the default limit.
std::chrono::milliseconds run_limit_for(const script& s, const run_options& options);

/// Runs one script against `where` and blocks until its verdict.
run_result run_script(const target& where, const script& s, const framing_spec& spec,
                      const delivery_plan& plan, const run_options& options = {});

/// Plays a `role server` script for a client under test: listens on
/// `where` (loopback only; port 0 takes a free one), calls `listening` with
/// the address bound (start the client there), takes the client's
/// connections as the script opens them, and blocks until the verdict.
/// `client_gone`, when given, is asked every 50 ms while the run lasts: a
/// non-empty answer ("the client exited with status 1") ends the run as a
/// failure with that reason, so that a client that died is not waited for.
/// A failed listen is an `unreachable` result with the reason.
run_result serve_script(const target& where, const script& s, const framing_spec& spec,
                        const delivery_plan& plan, const run_options& options,
                        const std::function<void(const target&)>& listening,
                        const std::function<std::string()>& client_gone = {});

/// Runs `count` sessions of the same script on `threads` threads, at most
/// `concurrency` at once (0: all at once), starting the next as one ends,
/// and calls `done` (from any of those threads, one call at a time) as each
/// ends. Returns when all have ended. Once `*stop` is true no further
/// session starts, as in run_each.
void run_many(const target& where, const script& s, const framing_spec& spec,
              const delivery_plan& plan, std::size_t count, std::size_t threads,
              const run_options& options, const std::function<void(std::size_t, run_result)>& done,
              std::size_t concurrency = 0, const std::atomic<bool>* stop = nullptr);

/// As run_many, but session i runs `scripts[i]` (fuzz cases, replays).
/// Once `*stop` is true no further session starts (those running end as
/// they would); sessions never started get no call to `done`.
void run_each(const target& where, const std::vector<script>& scripts, const framing_spec& spec,
              const delivery_plan& plan, std::size_t threads, const run_options& options,
              const std::function<void(std::size_t, run_result)>& done, std::size_t concurrency = 0,
              const std::atomic<bool>* stop = nullptr);

} // namespace tcpcheck::harness
