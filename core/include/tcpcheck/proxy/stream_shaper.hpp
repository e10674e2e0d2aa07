// The stream shaper: one direction of one proxied connection, sans I/O.
//
// The proxy pushes the bytes it read from one side and when they were read;
// the shaper turns them into timed actions for the other side (writes cut
// and delayed as the disturbance says, then perhaps a close, a reset or a
// half-close) and decodes the frames it passes, with the framing spec, to
// count them and to tell them to an observer (`proxy -v`).
//
//   tcpcheck::stream_shaper up(*parse_disturbance("plan=bytewise", e), spec, seed);
//   up.push(bytes, now);
//   while (auto action = up.pop(now)) perform(*action);
//   if (auto due = up.next_due()) timer.expires_at(*due);
//
// Memory: queued bytes are what the proxy pushed and the receiver has not
// been given yet; the proxy stops reading while `queued_bytes()` is over its
// bound. A push is kept whole until its last piece is handed out, with its
// cut points (one per frame at most under split-header), never a buffer
// per piece. Beyond the queue a shaper holds less than most_held_bytes,
// whatever the spec's `max`: frames are found with frame_boundaries, which
// keeps a frame's first frame_head_bytes and follows a longer one to its
// end without holding it (a `raw` spec is not decoded: its one frame is the
// whole stream); split-header keeps the stream's last
// split_header_lookback bytes. A direction whose bytes stop decoding keeps
// being forwarded, uncounted, and the error (with its offset) is kept.
//
// Timing: a write is due at its push's time plus latency and a random
// 0..jitter, never before the write before it nor before that write's end
// at `rate`; the pieces of a cutting plan are cut_write_gap apart. Under
// `rate=R` writes are cut into slices of R/100 bytes (rate_slice of
// sending; at least 1 byte), each due when the one before it has had its
// time, so the bytes flow steadily rather than in bursts.
#pragma once

#include "tcpcheck/bytes.hpp"
#include "tcpcheck/framing_spec.hpp"
#include "tcpcheck/proxy/disturbance.hpp"
#include "tcpcheck/proxy/frame_boundaries.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <vector>

namespace tcpcheck {

/// Something the proxy does to the receiving side.
struct shaped_action {
  enum class kind {
    write,      ///< write `bytes`
    close,      ///< close the connection to the receiver (FIN), then stop this direction
    reset,      ///< abort it (RST): both directions end
    half_close, ///< shutdown(SHUT_WR) toward the receiver; keep reading from it
  };
  kind what = kind::write;
  byte_buffer bytes;
  std::chrono::steady_clock::time_point due;
};

class stream_shaper {
public:
  using clock = std::chrono::steady_clock;
  /// Called with each frame decoded from the bytes pushed, before they are
  /// shaped (its views are valid during the call only). A frame longer than
  /// frame_head_bytes on the wire is not held whole: its `payload` view then
  /// holds only the payload's first bytes (at least 4086 of them), while
  /// `offset` and `wire_size` are the whole frame's and `payload_size` is
  /// the whole payload's size (`payload_cut()` tells). A function taking
  /// `const frame&` is an observer too.
  using frame_observer = std::function<void(const observed_frame&)>;

  /// `seed` makes random cuts and jitter reproducible for this direction.
  stream_shaper(disturbance d, framing_spec spec, std::uint64_t seed);

  /// A new disturbance for the bytes pushed from now on (the control
  /// socket's `set`). What is already queued keeps its schedule; bytes held
  /// by `merged` are written as they stand. Byte and frame counts (stall=,
  /// *-after=) start again from here; an equal disturbance changes nothing.
  /// A direction ended stays ended.
  void change(disturbance d);
  const disturbance& current() const noexcept { return disturbance_; }

  void observe_frames(frame_observer observer) { observer_ = std::move(observer); }

  /// The sender sent `bytes`, read at `now`.
  void push(byte_view bytes, clock::time_point now);
  /// The sender's side ended normally (FIN) at `now`: a close is queued
  /// after the bytes queued before it (unless the disturbance ended the
  /// direction already).
  void push_end(clock::time_point now);
  /// The sender reset the connection at `now`: a reset is queued after the
  /// bytes queued before it, as push_end's close is (unless the direction
  /// ended already, or the sender's end came before). A partial frame is
  /// then neither counted nor an error: no eof policy applies. What is
  /// pushed after is dropped. The reset action it queues finds ended()
  /// false; the disturbance's own reset finds it true.
  void push_reset(clock::time_point now);

  /// The next action if it is due at `now`, in order; nullopt otherwise.
  std::optional<shaped_action> pop(clock::time_point now);
  /// When the next queued action falls due; nullopt when none is queued.
  std::optional<clock::time_point> next_due() const;

  /// Bytes queued and not yet handed out by pop().
  std::size_t queued_bytes() const noexcept { return queued_bytes_; }
  /// Bytes pushed, and frames decoded from them.
  std::uint64_t bytes_in() const noexcept { return bytes_in_; }
  std::uint64_t frames_in() const noexcept { return frames_in_; }
  /// The disturbance ended this direction (a close, reset or half-close is
  /// queued or done); what is pushed after is dropped.
  bool ended() const noexcept { return ended_; }
  /// The decode error, with its offset, once the bytes stopped decoding.
  const stream_error& decode_error() const noexcept { return frames_.error(); }
  /// Bytes held besides the queued ones: a partial frame's first bytes and
  /// split-header's lookback. Less than most_held_bytes.
  std::size_t held_bytes() const noexcept { return frames_.held_bytes() + recent_.size(); }

private:
  static constexpr std::size_t no_stall = static_cast<std::size_t>(-1);

  // One push's bytes (or a merge's) waiting to be written, cut into pieces
  // handed out one by one, or an ending. Pieces are cut lazily, at pop(),
  // so a bytewise megabyte costs a megabyte, not a million buffers.
  struct held_write {
    shaped_action::kind what = shaped_action::kind::write;
    byte_buffer bytes;
    std::vector<std::size_t> cuts;   // explicit cut points inside bytes, ascending
    std::size_t next_cut = 0;        // the first of `cuts` not passed yet
    std::size_t piece = 0;           // bytewise and chunk:N: at most this many bytes a write
    std::size_t stall_at = no_stall; // the piece from here waits the stall
    duration stall_length{0};
    clock::time_point stall_ready{}; // when the byte at stall_at came, plus latency
    std::size_t sent = 0;            // bytes handed out already
    clock::time_point ready;
    duration jitter{0};
    std::uint64_t rate = 0;
    std::size_t slice = 0;   // under rate: at most this many bytes a write
    bool spaced = false;     // a cutting plan: writes at least cut_write_gap apart
    clock::time_point due{}; // the next piece's, computed when it reaches the front
  };

  // What decoding a push found, in the push's offsets.
  struct decoded_push {
    std::vector<std::size_t> header_cuts; // split-header's
    std::optional<std::size_t> frame_end; // where the frame that ends the direction ends
  };

  decoded_push decode(byte_view bytes, std::uint64_t push_start, bool forwarding);
  void forward(byte_view bytes, std::uint64_t since_change, decoded_push decoded,
               std::uint64_t push_index, clock::time_point now);
  void header_cut(const frame& f, byte_view bytes, std::uint64_t push_start,
                  std::vector<std::size_t>& cuts) const;
  void remember_recent(byte_view bytes);
  std::optional<std::size_t> end_point(std::size_t size, std::uint64_t since_change,
                                       std::optional<std::size_t> frame_end) const;
  std::optional<std::size_t> stall_point(std::size_t size, std::uint64_t since_change) const;
  held_write cut_push(byte_view bytes, std::vector<std::size_t> cuts,
                      std::optional<std::size_t> stall, clock::time_point now);
  held_write timed_write(clock::time_point at) const;
  void hold_for_merge(byte_view bytes, std::optional<std::size_t> stall, clock::time_point now);
  void flush_merge(clock::time_point at);
  void enqueue(held_write write);
  void queue_end(shaped_action::kind what, clock::time_point ready);
  void sender_ended(shaped_action::kind what, clock::time_point now);
  static std::size_t piece_end(held_write& write);
  void schedule_front();
  std::uint64_t next_random();

  disturbance disturbance_;
  framing_spec spec_;
  frame_boundaries frames_;
  std::uint64_t seed_;
  std::uint64_t random_state_;
  frame_observer observer_;

  std::deque<held_write> queue_;
  std::size_t queued_bytes_ = 0;
  std::uint64_t bytes_in_ = 0;
  std::uint64_t frames_in_ = 0;
  std::uint64_t pushes_ = 0; // varies random cuts from push to push
  // Where the current disturbance took effect: its byte and frame counts
  // (stall=, *-after=) start there.
  std::uint64_t bytes_at_change_ = 0;
  std::uint64_t frames_at_change_ = 0;
  bool stalled_ = false; // the current disturbance's stall happened
  bool ended_ = false;
  bool sender_done_ = false; // push_end came: nothing more is pushed
  // The last write handed a due time: the next is due no earlier.
  bool has_previous_ = false;
  clock::time_point previous_due_{};
  clock::time_point previous_end_{}; // its due plus its time at `rate`
  clock::time_point last_push_{};
  // split-header: the stream's last bytes before the current push, for a
  // frame that began in an earlier push.
  byte_buffer recent_;
  // `merged`: bytes held until the sender pauses (merge_window of quiet).
  byte_buffer merging_;
  clock::time_point merge_due_{};
  std::size_t merge_stall_at_ = no_stall;
  clock::time_point merge_stall_ready_{};
};

/// Bytes of the stream kept for split-header's cuts of a frame that began
/// in an earlier push: more than any length header (offset 4096 + field).
inline constexpr std::size_t split_header_lookback = 8192;

/// Pieces of one cut push are written this far apart, so that loopback
/// delivers them as separate reads rather than coalescing them.
inline constexpr std::chrono::milliseconds cut_write_gap{1};

/// How long `merged` waits for more bytes before it writes what it holds.
inline constexpr std::chrono::milliseconds merge_window{20};

/// Under `rate=R`, writes are cut into slices of this much sending time:
/// R/100 bytes each (at least 1).
inline constexpr std::chrono::milliseconds rate_slice{10};

/// What held_bytes() stays under: frame_head_bytes of a partial frame,
/// split_header_lookback, and room to spare. With the frame decoder's own
/// buffers (it is given at most 32 KiB at a time), a shaper's memory beyond
/// its queue stays under it too, whatever the spec's `max`.
inline constexpr std::size_t most_held_bytes = 64u << 10;

} // namespace tcpcheck
