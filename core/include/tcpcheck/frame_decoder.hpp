// The incremental frame decoder: bytes in, in whatever pieces the network
// gives them; complete frames out.
//
// The contract (after Boost.Beast's basic_parser::put):
// - `consume` takes every byte it is given unless the stream breaks the spec,
//   and calls `on_frame` once for each frame that became complete.
// - A frame that lies whole inside one input is handed out as a view into
//   that input: nothing is copied. Only a frame that straddles two inputs is
//   gathered in an internal buffer, which grows with the bytes that actually
//   arrived and never beyond the spec's `max` (plus a delimiter); a length
//   field that claims 4 GiB reserves nothing.
// - Frame views are valid only during the `on_frame` call.
// - Errors are sticky: after one, every call returns at once with the same
//   code, and `error()` tells the byte offset and the reason.
// - Cutting the stream differently never changes the frames, their offsets,
//   the discarded count, or the error and its offset (split invariance; the
//   tests and a fuzz target check it).
//
//   tcpcheck::frame_decoder decoder(spec);
//   std::error_code ec;
//   decoder.consume(bytes, [](const tcpcheck::frame& f) { use(f.payload); }, ec);
//   ...
//   decoder.finish(on_frame, ec); // the peer closed: apply the eof policy
#pragma once

#include "tcpcheck/bytes.hpp"
#include "tcpcheck/detail/frame_walk.hpp"
#include "tcpcheck/error.hpp"
#include "tcpcheck/framing_spec.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <system_error>
#include <utility>

namespace tcpcheck {

namespace detail {
struct line_probe;
} // namespace detail

/// One decoded message.
struct frame {
  byte_view payload;           ///< the message, header and delimiter removed as the spec says
  std::uint64_t offset = 0;    ///< stream offset of the frame's first byte on the wire
  std::uint64_t wire_size = 0; ///< bytes the frame took on the wire, header and delimiter included
};

class frame_decoder {
public:
  /// `spec` must be one that parse_framing_spec accepts (or passes the linter).
  explicit frame_decoder(framing_spec spec);

  /// Decodes `input`, calling `on_frame(const frame&)` for each complete frame.
  /// Returns the bytes consumed: all of them, unless `ec` is set.
  template <class OnFrame>
  std::size_t consume(byte_view input, OnFrame&& on_frame, std::error_code& ec);

  /// The stream ended: hands out what the eof policy says of a partial frame
  /// (and, for `raw`, the whole stream). Sets `ec` to truncated_frame under
  /// eof=error. Further input is refused.
  template <class OnFrame>
  void finish(OnFrame&& on_frame, std::error_code& ec);

  /// Forgets all state, including a sticky error: ready for a new stream.
  void reset();

  /// `part` (a piece of the payload of the frame being handed to on_frame)
  /// as a buffer of its own. A large frame that straddled inputs was
  /// gathered in the decoder's buffer: that buffer is given away rather
  /// than copied, so a frame of the spec's max costs its size once, not
  /// twice. Smaller frames, and views into the input, are copied. Call only
  /// from on_frame; the frame's views are then no longer valid.
  byte_buffer take(byte_view part);

  const framing_spec& spec() const noexcept { return spec_; }
  bool failed() const noexcept { return static_cast<bool>(error_.code); }
  /// The sticky error, with its offset and reason; empty while none.
  const stream_error& error() const noexcept { return error_; }
  /// Bytes consumed so far.
  std::uint64_t offset() const noexcept { return stream_offset_; }
  /// Bytes held for a frame that is not complete yet.
  std::size_t buffered() const noexcept { return buffer_.size() - buffer_head_; }
  /// Those bytes (for telling what came before a stream broke off).
  byte_view pending() const noexcept { return byte_view(buffer_).subspan(buffer_head_); }
  /// Frames skipped under too-long=discard.
  std::uint64_t discarded_frames() const noexcept { return discarded_; }

private:
  static constexpr std::size_t batch_capacity = 64;

  // Frames found by one step of decoding, handed to the callback by the
  // templates above, so the hot loop is compiled once, out of line, and
  // the callback is still inlined.
  struct frame_batch {
    std::array<frame, batch_capacity> frames;
    std::size_t count = 0;
  };

  // Frames of the common framings walked inline, with the caller's
  // callback inlined too, while no partial frame or discard is pending.
  // Not inlined into consume() itself: it runs once per input, and inlined
  // into a caller with a small constant buffer it draws GCC 12's
  // -Warray-bounds false positives on loads its loop guards never reach.
  template <class OnFrame>
  [[gnu::noinline]] std::size_t walk(byte_view input, OnFrame& on_frame);

  std::size_t decode_some(byte_view input);
  bool finish_some();

  template <class Probe>
  std::size_t decode_with(const Probe& probe, byte_view input);
  std::size_t scan_lines(const detail::line_probe& probe, byte_view input, std::size_t pos,
                         std::size_t& count);
  template <class Probe>
  std::size_t extend_buffer(const Probe& probe, byte_view input, bool& batch_uses_buffer);
  template <class Probe>
  std::size_t discard_some(const Probe& probe, byte_view input);
  template <class Probe>
  bool finish_with(const Probe& probe);
  void start_discarding();

  void compact();
  bool in_buffer(byte_view part) const;
  void reserve_for_frame(std::size_t holding);
  void emit(byte_view payload, std::uint64_t offset, std::uint64_t wire_size);
  void fail(tcpcheck::error code, std::uint64_t offset, std::string reason);
  std::string too_long_reason(std::uint64_t value, std::uint64_t total) const;
  std::string failure_reason(tcpcheck::error code, std::uint64_t value) const;

  framing_spec spec_;
  detail::length_fast_range walk_range_; // width 0: no length walk
  std::size_t longest_delimiter_ = 1;
  std::size_t buffer_cap_ = 0; // max + longest delimiter + 2: no probe needs more
  frame_batch batch_;
  byte_buffer buffer_;              // a straddling frame's bytes, from buffer_head_ on
  std::size_t buffer_head_ = 0;     // bytes before it already handed out
  std::uint64_t buffer_offset_ = 0; // stream offset of buffer_[buffer_head_]
  std::size_t buffer_wants_ = 0;    // bytes the last probe asked for; 0: unknown
  std::uint64_t stream_offset_ = 0;
  std::uint64_t skip_remaining_ = 0;     // too-long=discard of a length-prefixed frame
  bool discarding_to_delimiter_ = false; // too-long=discard of a delimited frame
  byte_buffer discard_tail_;             // its last bytes, which may begin a delimiter
  bool finished_ = false;
  std::uint64_t discarded_ = 0;
  stream_error error_;
};

template <class OnFrame>
std::size_t frame_decoder::walk(byte_view input, OnFrame& on_frame) {
  if (failed() || finished_ || buffered() != 0 || skip_remaining_ != 0 || discarding_to_delimiter_)
    return 0;
  const std::uint64_t base = stream_offset_;
  const auto emit = [&](byte_view payload, std::size_t at, std::uint64_t wire_size) {
    const frame f{payload, base + at, wire_size};
    on_frame(f);
  };
  std::size_t used = 0;
  if (walk_range_.width != 0)
    used = detail::walk_length_frames(walk_range_, input.data(), input.size(), SIZE_MAX, emit);
  else if (spec_.kind == framing_kind::line)
    used = detail::walk_lines(spec_.max, spec_.strict_crlf, input.data(), input.size(), SIZE_MAX,
                              emit);
  stream_offset_ += used;
  return used;
}

template <class OnFrame>
std::size_t frame_decoder::consume(byte_view input, OnFrame&& on_frame, std::error_code& ec) {
  std::size_t consumed = 0;
  for (;;) {
    consumed += walk(input.subspan(consumed), on_frame);
    batch_.count = 0;
    consumed += decode_some(input.subspan(consumed));
    for (std::size_t i = 0; i < batch_.count; ++i)
      on_frame(std::as_const(batch_.frames[i]));
    if (failed()) {
      ec = error_.code;
      return consumed;
    }
    if (consumed == input.size() && batch_.count < batch_capacity) return consumed;
  }
}

template <class OnFrame>
void frame_decoder::finish(OnFrame&& on_frame, std::error_code& ec) {
  for (bool more = true; more;) {
    batch_.count = 0;
    more = finish_some();
    for (std::size_t i = 0; i < batch_.count; ++i)
      on_frame(std::as_const(batch_.frames[i]));
  }
  if (failed()) ec = error_.code;
}

} // namespace tcpcheck
