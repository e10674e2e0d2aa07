// Frame boundaries: long frames followed to their end without being held.
//
// Frames up to frame_head_bytes are the frame_decoder's. When the partial
// frame it holds reaches frame_head_bytes, its first bytes are kept, the
// decoder is started afresh (which frees what it held), and the frame is
// followed here, with the decoder's own probes and rules, so that its end,
// its too-long verdict and its errors are the decoder's (the decoder's
// tests and fuzz targets pin those; stream_shaper_test compares).
#include "tcpcheck/proxy/frame_boundaries.hpp"

#include <cstring>
#include <string>

#include "../frame_probes.hpp"

namespace tcpcheck {

using detail::probe_result;

namespace {

// Bytes of a long delimited frame scanned at once after the kept tail (the
// decoder's discard scan takes the same steps).
constexpr std::size_t scan_step = 4096;

std::size_t longest_delimiter_of(const framing_spec& spec) {
  std::size_t longest = 1;
  if (spec.kind == framing_kind::delimited)
    for (const auto& d : spec.delimiters)
      longest = std::max(longest, d.size());
  return longest;
}

// The length-based or fixed probe's answer for a frame's first bytes.
probe_result probe_sized(const framing_spec& spec, byte_view bytes) {
  const std::uint8_t* p = bytes.data();
  const std::size_t n = bytes.size();
  if (spec.kind == framing_kind::fixed)
    return detail::fixed_probe{spec.fixed_size}(p, n, false, false);
  switch (spec.field.width) {
  case 1:
    return detail::length_probe<1>(spec)(p, n, false, false);
  case 2:
    return detail::length_probe<2>(spec)(p, n, false, false);
  case 3:
    return detail::length_probe<3>(spec)(p, n, false, false);
  case 4:
    return detail::length_probe<4>(spec)(p, n, false, false);
  case 8:
    return detail::length_probe<8>(spec)(p, n, false, false);
  default:
    return detail::length_probe<0>(spec)(p, n, false, false);
  }
}

} // namespace

frame_boundaries::frame_boundaries(framing_spec spec)
    : spec_(spec), scan_spec_(spec), longest_delimiter_(longest_delimiter_of(spec)),
      decoder_(std::move(spec)) {
  scan_spec_.keep_delimiter = false;
}

// The decoder holds at least frame_head_bytes of a frame: follow it here.
// False (the decoder keeps it) only if its header has not told its size,
// which no header of frame_head_bytes allows.
bool frame_boundaries::start_long() {
  const byte_view pending = decoder_.pending();
  switch (spec_.kind) {
  case framing_kind::fixed:
  case framing_kind::length_prefixed:
  case framing_kind::varint: {
    const probe_result r = probe_sized(spec_, pending);
    if (r.status != probe_result::need_more || r.needed == 0) return false;
    remaining_ = r.needed;
    payload_begin_ = r.payload_begin;
    break;
  }
  case framing_kind::line:
    // No LF in it: the decoder would have ended the frame there.
    cr_ = pending.back() == '\r';
    break;
  case framing_kind::delimited: {
    // A delimiter the decoder waits on (a longer one may still match
    // there) begins in the last longest - 1 bytes.
    const std::size_t kept = std::min(longest_delimiter_ - 1, pending.size());
    tail_.assign(pending.end() - static_cast<std::ptrdiff_t>(kept), pending.end());
    break;
  }
  case framing_kind::raw:
  case framing_kind::datagram:
    return false;
  }
  start_ = base_ + decoder_.offset() - pending.size();
  seen_ = pending.size();
  head_.assign(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(
                                                      pending.size(), frame_head_bytes)));
  too_long_ = false;
  long_ = true;
  decoder_ = frame_decoder(spec_);
  return true;
}

frame_boundaries::long_step frame_boundaries::step_long(byte_view input) {
  switch (spec_.kind) {
  case framing_kind::line:
    return step_line(input);
  case framing_kind::delimited:
    return step_delimited(input);
  default:
    return step_length(input);
  }
}

frame_boundaries::long_step frame_boundaries::step_length(byte_view input) {
  long_step step;
  step.used = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, input.size()));
  seen_ += step.used;
  remaining_ -= step.used;
  if (remaining_ == 0) {
    step.ended = true;
    step.end = start_ + seen_;
    step.out = head_frame(payload_begin_, seen_ - payload_begin_, seen_);
  }
  return step;
}

// The line probe's rules over the whole line: an LF at or before max + 1
// ends it (too long if its content, less one CR, is above max); max + 2
// bytes without one make it too long.
frame_boundaries::long_step frame_boundaries::step_line(byte_view input) {
  long_step step;
  const void* lf = std::memchr(input.data(), '\n', input.size());
  if (lf == nullptr) {
    step.used = input.size();
    seen_ += input.size();
    cr_ = input.back() == '\r';
    if (!too_long_ && seen_ >= spec_.max + 2) too_long(0);
    return step;
  }
  const auto i = static_cast<std::size_t>(static_cast<const std::uint8_t*>(lf) - input.data());
  const std::uint64_t at = seen_ + i;
  step.used = i + 1;
  step.ended = true;
  step.end = start_ + at + 1;
  if (too_long_) return step; // the end of a discarded line
  if (at > spec_.max + 1) {
    too_long(0);
    return step;
  }
  const bool cr = i > 0 ? input[i - 1] == '\r' : cr_;
  const std::uint64_t end = at - (cr ? 1 : 0);
  if (end > spec_.max) {
    too_long(end);
  } else if (spec_.strict_crlf && !cr) {
    fail(tcpcheck::error::bare_line_feed, start_ + at,
         "LF without CR before it (framing requires CRLF)");
  } else {
    step.out = head_frame(0, end, at + 1);
  }
  return step;
}

// The delimiter probe, ignoring max as the decoder's discard scan does,
// over the kept tail and the next bytes: the first delimiter to start ends
// the frame (the longer of two at one byte); too long if it starts past max.
frame_boundaries::long_step frame_boundaries::step_delimited(byte_view input) {
  const detail::delimiter_probe probe{&scan_spec_, longest_delimiter_};
  byte_buffer joined;
  byte_view window = input;
  if (!tail_.empty()) {
    joined = tail_;
    const std::size_t take = std::min(input.size(), scan_step);
    joined.insert(joined.end(), input.begin(), input.begin() + static_cast<std::ptrdiff_t>(take));
    window = joined;
  }
  const std::size_t old_tail = tail_.size();
  const probe_result r = probe(window.data(), window.size(), false, true);
  if (r.status == probe_result::complete)
    return delimiter_found(static_cast<std::size_t>(r.total), r.payload_end, window, old_tail);
  long_step step;
  step.used = window.size() - old_tail;
  seen_ += step.used;
  const std::size_t kept = std::min(longest_delimiter_ - 1, window.size());
  tail_.assign(window.end() - static_cast<std::ptrdiff_t>(kept), window.end());
  // A delimiter not found yet starts at seen_ - (longest - 1) or later.
  if (!too_long_ && seen_ >= spec_.max + longest_delimiter_) too_long(0);
  return step;
}

// A delimiter ends the long frame `total` bytes into `window`, whose first
// `window_tail` bytes are the tail kept from before; `best` is where the
// delimiter starts.
frame_boundaries::long_step frame_boundaries::delimiter_found(std::size_t total, std::size_t best,
                                                              byte_view window,
                                                              std::size_t window_tail) {
  long_step step;
  const std::uint64_t window_start = seen_ - window_tail; // in the frame
  const std::uint64_t end = window_start + total;
  step.ended = true;
  step.end = start_ + end;
  if (total >= window_tail) {
    step.used = total - window_tail;
  } else {
    // The frame ended inside the old tail: the rest of it begins the next frame.
    step.leftover.assign(window.begin() + static_cast<std::ptrdiff_t>(total),
                         window.begin() + static_cast<std::ptrdiff_t>(window_tail));
  }
  const std::uint64_t delimiter_at = window_start + best;
  if (too_long_) return step;
  if (delimiter_at > spec_.max)
    too_long(0);
  else
    step.out = head_frame(0, spec_.keep_delimiter ? end : delimiter_at, end);
  return step;
}

// The stream ended inside the long frame: what the decoder's finish does
// with a partial frame.
frame_boundaries::long_step frame_boundaries::finish_long() {
  long_step step;
  step.ended = true;
  step.end = start_ + seen_;
  std::uint64_t payload_begin = 0;
  std::uint64_t payload_size = seen_;
  switch (spec_.kind) {
  case framing_kind::line:
    if (too_long_) return step;
    payload_size = seen_ - (cr_ ? 1 : 0);
    if (payload_size > spec_.max) {
      too_long(0);
      return step;
    }
    break;
  case framing_kind::delimited: {
    // A delimiter the decoder waited on ends the frame after all.
    const detail::delimiter_probe probe{&scan_spec_, longest_delimiter_};
    const probe_result r = probe(tail_.data(), tail_.size(), true, true);
    if (!tail_.empty() && r.status == probe_result::complete)
      return delimiter_found(static_cast<std::size_t>(r.total), r.payload_end, tail_, tail_.size());
    if (too_long_) return step;
    if (seen_ > spec_.max) {
      too_long(0);
      return step;
    }
    break;
  }
  default:
    payload_begin = payload_begin_;
    payload_size = seen_ - payload_begin_;
    break;
  }
  switch (spec_.at_eof) {
  case eof_policy::error:
    fail(tcpcheck::error::truncated_frame, start_,
         "the stream ended " + std::to_string(seen_) + " bytes into a frame");
    break;
  case eof_policy::emit:
    step.out = head_frame(payload_begin, payload_size, seen_);
    break;
  case eof_policy::drop:
    break;
  }
  return step;
}

// Leaves the long frame: the decoder, fresh since start_long(), counts from
// the frame's end. Returns bytes to decode again before the input.
byte_buffer frame_boundaries::end_long(long_step& step) {
  long_ = false;
  too_long_ = false;
  base_ = step.end;
  head_ = {};
  tail_ = {};
  return std::move(step.leftover);
}

observed_frame frame_boundaries::head_frame(std::uint64_t payload_begin, std::uint64_t payload_size,
                                            std::uint64_t wire_size) const {
  observed_frame f;
  const std::size_t from =
      static_cast<std::size_t>(std::min<std::uint64_t>(payload_begin, head_.size()));
  const std::size_t to =
      static_cast<std::size_t>(std::min<std::uint64_t>(payload_begin + payload_size, head_.size()));
  f.payload = byte_view(head_).subspan(from, to - from);
  f.offset = start_;
  f.wire_size = wire_size;
  f.payload_size = payload_size;
  return f;
}

// The long frame is above max: the decoder's error, with its reason
// (`line_size`: the line's content size once its LF was seen, else 0), or
// under too-long=discard the frame is skipped to its end.
void frame_boundaries::too_long(std::uint64_t line_size) {
  too_long_ = true;
  if (spec_.too_long == too_long_policy::discard) return;
  const std::string max = std::to_string(spec_.max);
  std::string reason = "no delimiter within max=" + max + " bytes";
  if (spec_.kind == framing_kind::line)
    reason = line_size != 0 ? "line of " + std::to_string(line_size) + " bytes is above max=" + max
                            : "line longer than max=" + max + " bytes without an LF";
  fail(tcpcheck::error::frame_too_long, start_, std::move(reason));
}

void frame_boundaries::fail(tcpcheck::error code, std::uint64_t offset, std::string reason) {
  if (failed()) return;
  error_ = stream_error{make_error_code(code), offset, std::move(reason)};
}

void frame_boundaries::take_decoder_error() {
  error_ = decoder_.error();
  error_.offset += base_;
}

} // namespace tcpcheck
