// Frame boundaries: where each frame of a stream begins and ends, in a small, fixed amount of
// memory.
//
// The stream shaper counts frames, ends a direction after one, cuts inside
// their headers and shows them to an observer (`proxy -v`); none of that
// needs more of a frame than where it lies and its first bytes. A
// frame_decoder holds a frame that straddles reads whole, up to the spec's
// `max` (8 MiB by default): twenty connections sending 7 MiB lines would
// hold 140 MiB. frame_boundaries finds the same frames (offsets, wire sizes)
// and the same error (code, offset, reason) as frame_decoder, but holds at
// most frame_head_bytes of a frame: a frame that grows past them is followed
// to its end (its length told by its header, or its delimiter scanned for)
// and its payload skipped, then handed out with its first bytes only.
//
//   tcpcheck::frame_boundaries frames(spec);
//   frames.consume(bytes, [](const tcpcheck::observed_frame& f) { show(f); });
//   frames.finish(on_frame); // the stream ended: the spec's eof policy
//
// A `raw` spec has no frames to find: nothing is handed out, nothing held
// (its one frame would be the whole stream).
#pragma once

#include "tcpcheck/bytes.hpp"
#include "tcpcheck/error.hpp"
#include "tcpcheck/frame_decoder.hpp"
#include "tcpcheck/framing_spec.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <system_error>
#include <utility>

namespace tcpcheck {

/// A frame as frame_boundaries hands it out. `offset` and `wire_size` are
/// always the whole frame's; `payload` holds the whole payload unless the
/// frame was longer than frame_head_bytes on the wire: then it holds the
/// payload's bytes that lie within the frame's first frame_head_bytes (at
/// least its first 4086 bytes: no header is longer than 4106), and
/// `payload_size` tells the whole payload's size.
struct observed_frame : frame {
  std::uint64_t payload_size = 0; ///< the whole payload's size
  /// The payload view holds only the payload's first bytes.
  bool payload_cut() const noexcept { return payload.size() < payload_size; }
};

/// Bytes of a frame held at most: a frame longer than this on the wire is
/// followed without being held, its first frame_head_bytes kept.
inline constexpr std::size_t frame_head_bytes = 8u << 10;

class frame_boundaries {
public:
  /// `spec` must be one that parse_framing_spec accepts.
  explicit frame_boundaries(framing_spec spec);

  /// Finds the frames that `input` completes and calls
  /// `on_frame(const observed_frame&)` for each (its views are valid during
  /// the call only). Once the stream breaks the spec, the error is kept
  /// (error()) and further input is ignored.
  template <class OnFrame>
  void consume(byte_view input, OnFrame&& on_frame);

  /// The stream ended: hands out or refuses a partial frame as the spec's
  /// eof policy says. Input after it is an error, as for frame_decoder.
  template <class OnFrame>
  void finish(OnFrame&& on_frame);

  bool failed() const noexcept { return static_cast<bool>(error_.code); }
  /// The error, with its stream offset and reason; empty while none.
  const stream_error& error() const noexcept { return error_; }
  /// Bytes held for the frame not complete yet: under frame_head_bytes
  /// after each consume(), whatever the frame's size and the spec's max.
  std::size_t held_bytes() const noexcept {
    return decoder_.buffered() + head_.size() + tail_.size();
  }

private:
  // What one step over a long frame found.
  struct long_step {
    std::size_t used = 0;              // input bytes taken
    bool ended = false;                // the frame ended: handed out, skipped or refused
    std::uint64_t end = 0;             // its end's stream offset, when ended
    std::optional<observed_frame> out; // the frame to hand out
    byte_buffer leftover;              // bytes after its end already taken: decode them again
  };

  bool start_long();
  long_step step_long(byte_view input);
  long_step step_length(byte_view input);
  long_step step_line(byte_view input);
  long_step step_delimited(byte_view input);
  long_step delimiter_found(std::size_t total, std::size_t best, byte_view window,
                            std::size_t window_tail);
  long_step finish_long();
  byte_buffer end_long(long_step& step);
  observed_frame head_frame(std::uint64_t payload_begin, std::uint64_t payload_size,
                            std::uint64_t wire_size) const;
  void too_long(std::uint64_t line_size);
  void fail(tcpcheck::error code, std::uint64_t offset, std::string reason);
  void take_decoder_error();

  framing_spec spec_;
  framing_spec scan_spec_; // delimiters without keep: a probe's payload end is the delimiter
  std::size_t longest_delimiter_ = 1;
  // Frames up to frame_head_bytes are the decoder's; its offsets count
  // from base_, the stream offset where it was (re)started.
  frame_decoder decoder_;
  std::uint64_t base_ = 0;
  // A long frame: the frame that outgrew frame_head_bytes, followed here.
  bool long_ = false;
  bool too_long_ = false;         // it is above max and discarded (too-long=discard)
  std::uint64_t start_ = 0;       // its stream offset
  std::uint64_t seen_ = 0;        // its bytes taken so far
  std::uint64_t remaining_ = 0;   // length-based and fixed: its bytes still to come
  std::size_t payload_begin_ = 0; // length-based: its header (or strip) size
  bool cr_ = false;               // line: its last byte so far is a CR
  byte_buffer head_;              // its first bytes
  byte_buffer tail_;              // delimited: its last bytes, which may begin a delimiter
  stream_error error_;
};

template <class OnFrame>
void frame_boundaries::consume(byte_view input, OnFrame&& on_frame) {
  if (spec_.kind == framing_kind::raw) return;
  const auto relay = [&](const frame& f) {
    observed_frame seen;
    static_cast<frame&>(seen) = f;
    seen.offset += base_;
    seen.payload_size = f.payload.size();
    on_frame(std::as_const(seen));
  };
  // Input bytes given to the decoder at a time while it holds nothing: a
  // partial frame at the end of them is what it then holds.
  constexpr std::size_t piece = 32u << 10;
  while (!input.empty() && !failed()) {
    if (long_) {
      long_step step = step_long(input);
      input = input.subspan(step.used);
      if (step.out) on_frame(std::as_const(*step.out));
      if (step.ended || failed()) {
        const byte_buffer again = end_long(step);
        if (!again.empty() && !failed()) consume(again, on_frame);
      }
      continue;
    }
    const std::size_t held = decoder_.buffered();
    if (held >= frame_head_bytes && start_long()) continue;
    // While the decoder holds a partial frame, it is given no more than
    // lets that frame reach frame_head_bytes.
    const std::size_t room =
        held == 0 || held >= frame_head_bytes ? piece : frame_head_bytes - held;
    const byte_view some = input.first(std::min(input.size(), room));
    std::error_code ec; // kept: error()
    decoder_.consume(some, relay, ec);
    input = input.subspan(some.size());
    if (decoder_.failed()) take_decoder_error();
  }
  if (!long_ && !failed() && decoder_.buffered() >= frame_head_bytes) start_long();
}

template <class OnFrame>
void frame_boundaries::finish(OnFrame&& on_frame) {
  if (spec_.kind == framing_kind::raw || failed()) return;
  if (long_) {
    long_step step = finish_long();
    if (step.out) on_frame(std::as_const(*step.out));
    const byte_buffer again = end_long(step);
    if (failed()) return;
    if (!again.empty()) consume(again, on_frame);
    if (failed()) return;
  }
  std::error_code ec;
  decoder_.finish(
      [&](const frame& f) {
        observed_frame seen;
        static_cast<frame&>(seen) = f;
        seen.offset += base_;
        seen.payload_size = f.payload.size();
        on_frame(std::as_const(seen));
      },
      ec);
  if (decoder_.failed()) take_decoder_error();
}

} // namespace tcpcheck
