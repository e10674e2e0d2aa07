// The incremental frame decoder: the state machine around the frame probes.
//
// Where a frame starts decides where its bytes are looked at:
// - inside the caller's input ("fast path"): probed there, handed out as a view;
// - in the straddle buffer: the frame began in an earlier input; bytes are
//   appended until the probe says complete, and any appended bytes beyond
//   the frame are given back to the input, so the next frame starts there.
// The buffer is written only when no frame of the current batch points into
// it; when one does, the step ends early and the template in the header
// hands the batch out before asking for more.
#include "tcpcheck/frame_decoder.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <string>
#include <type_traits>

#include "frame_probes.hpp"

namespace tcpcheck {

using detail::probe_result;

namespace {

std::size_t longest_delimiter_of(const framing_spec& spec) {
  if (spec.kind == framing_kind::line) return 1;
  std::size_t longest = 1;
  for (const auto& d : spec.delimiters)
    longest = std::max(longest, d.size());
  return longest;
}

std::int64_t as_signed(std::uint64_t value, unsigned width) {
  if (width == 0 || width >= 8) return static_cast<std::int64_t>(value);
  const std::uint64_t sign = std::uint64_t{1} << (8 * width - 1);
  return static_cast<std::int64_t>((value ^ sign) - sign);
}

// Calls `run` with the length probe compiled for the spec's field width.
template <class Run>
auto with_length_probe(const framing_spec& spec, Run&& run) {
  switch (spec.field.width) {
  case 1:
    return run(detail::length_probe<1>(spec));
  case 2:
    return run(detail::length_probe<2>(spec));
  case 3:
    return run(detail::length_probe<3>(spec));
  case 4:
    return run(detail::length_probe<4>(spec));
  case 8:
    return run(detail::length_probe<8>(spec));
  default:
    return run(detail::length_probe<0>(spec));
  }
}

} // namespace

frame_decoder::frame_decoder(framing_spec spec)
    : spec_(std::move(spec)), longest_delimiter_(longest_delimiter_of(spec_)) {
  // Length-based and fixed probes ask for exact byte counts; the others are
  // bounded here, past the point where every probe answers too long.
  if (spec_.kind == framing_kind::length_prefixed)
    walk_range_ = detail::length_fast_range::of(spec_);
  buffer_cap_ = SIZE_MAX;
  if (spec_.kind == framing_kind::raw || spec_.kind == framing_kind::datagram ||
      spec_.is_delimiter_based())
    buffer_cap_ = static_cast<std::size_t>(spec_.max + longest_delimiter_ + 2);
}

void frame_decoder::reset() {
  buffer_.clear();
  buffer_head_ = 0;
  buffer_offset_ = 0;
  buffer_wants_ = 0;
  stream_offset_ = 0;
  skip_remaining_ = 0;
  discarding_to_delimiter_ = false;
  discard_tail_.clear();
  finished_ = false;
  discarded_ = 0;
  error_ = {};
  batch_.count = 0;
}

void frame_decoder::compact() {
  if (buffer_head_ == 0) return;
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(buffer_head_));
  buffer_head_ = 0;
}

// Doubling the buffer copies it whole on each step, and the last step may
// come when nearly the whole frame is in: for a moment, the frame twice.
// A frame whose size its header told (a length prefix, fixed:N) is given
// its whole size instead once a quarter of it has arrived: the copy is then
// of that quarter, and a length field's claim reserves nothing until the
// bytes bear it out.
void frame_decoder::reserve_for_frame(std::size_t holding) {
  if (buffer_wants_ == 0 || buffer_.capacity() >= holding) return;
  const bool size_known = spec_.kind == framing_kind::length_prefixed ||
                          spec_.kind == framing_kind::varint || spec_.kind == framing_kind::fixed;
  const std::size_t frame_size = buffer_.size() + buffer_wants_;
  if (size_known && holding <= frame_size && holding >= frame_size / 4) buffer_.reserve(frame_size);
}

bool frame_decoder::in_buffer(byte_view part) const {
  const std::less_equal<const std::uint8_t*> at_or_before;
  return !part.empty() && at_or_before(buffer_.data(), part.data()) &&
         at_or_before(part.data() + part.size(), buffer_.data() + buffer_.size());
}

byte_buffer frame_decoder::take(byte_view part) {
  // Below this a copy costs less than the allocation the buffer would need
  // again for the next straddling frame.
  constexpr std::size_t give_away_from = std::size_t{64} << 10;
  const auto copied = [&] { return byte_buffer(part.begin(), part.end()); };
  if (part.size() < give_away_from || !in_buffer(part)) return copied();
  // Other frames of the batch may lie in the buffer too (at the end of the
  // stream): they must stay where they are.
  const auto frames = std::span(batch_.frames).first(batch_.count);
  if (std::count_if(frames.begin(), frames.end(),
                    [&](const frame& f) { return in_buffer(f.payload); }) > 1)
    return copied();
  const auto from = static_cast<std::size_t>(part.data() - buffer_.data());
  const std::size_t to = from + part.size();
  byte_buffer given = std::move(buffer_);
  // What follows the frame is still to be decoded: the decoder keeps it.
  buffer_.assign(given.begin() + static_cast<std::ptrdiff_t>(std::max(to, buffer_head_)),
                 given.end());
  buffer_head_ = 0;
  given.resize(to);
  given.erase(given.begin(), given.begin() + static_cast<std::ptrdiff_t>(from));
  return given;
}

void frame_decoder::emit(byte_view payload, std::uint64_t offset, std::uint64_t wire_size) {
  batch_.frames[batch_.count++] = frame{payload, offset, wire_size};
}

void frame_decoder::fail(tcpcheck::error code, std::uint64_t offset, std::string reason) {
  if (failed()) return;
  error_ = stream_error{make_error_code(code), offset, std::move(reason)};
}

std::string frame_decoder::too_long_reason(std::uint64_t value, std::uint64_t total) const {
  const bool total_known = total != 0;
  const std::string max = std::to_string(spec_.max);
  switch (spec_.kind) {
  case framing_kind::length_prefixed:
  case framing_kind::varint:
    // A total of UINT64_MAX marks a field value too large to add up.
    if (spec_.max_of == max_applies_to::field || total == UINT64_MAX)
      return "length field value " + std::to_string(value) + " is above max=" + max;
    return "frame of " + std::to_string(value) + " bytes is above max=" + max;
  case framing_kind::line:
    // How much of an unterminated line had arrived depends on the cuts, so
    // only a line whose LF was seen quotes its length.
    if (total_known) return "line of " + std::to_string(value) + " bytes is above max=" + max;
    return "line longer than max=" + max + " bytes without an LF";
  case framing_kind::delimited:
    return "no delimiter within max=" + max + " bytes";
  case framing_kind::raw:
    return "stream longer than max=" + max + " bytes";
  case framing_kind::datagram:
    return "datagram longer than max=" + max + " bytes";
  case framing_kind::fixed:
    break;
  }
  return "frame above max=" + max;
}

std::string frame_decoder::failure_reason(tcpcheck::error code, std::uint64_t value) const {
  const length_field& f = spec_.field;
  switch (code) {
  case tcpcheck::error::negative_length:
    return "length field holds a negative value (" + std::to_string(as_signed(value, f.width)) +
           ")";
  case tcpcheck::error::length_below_header:
    return "length field value " + std::to_string(value) +
           " with adjust=" + std::to_string(f.adjust) + " gives a negative body size";
  case tcpcheck::error::frame_shorter_than_strip:
    return "frame of " + std::to_string(value) +
           " bytes is shorter than strip=" + std::to_string(f.strip.value_or(0));
  case tcpcheck::error::varint_overflow:
    return spec_.field.varint_bytes < framing_limits::longest_varint
               ? "varint length longer than " + std::to_string(spec_.field.varint_bytes) + " bytes"
               : "varint length longer than 10 bytes or above 2^64-1";
  case tcpcheck::error::bare_line_feed:
    return "LF without CR before it (framing requires CRLF)";
  default:
    return make_error_code(code).message();
  }
}

void frame_decoder::start_discarding() {
  ++discarded_;
  discarding_to_delimiter_ = true;
}

// One step of too-long=discard for delimiter-based kinds: look for the end
// of the frame being discarded, ignoring max. Returns input bytes consumed.
template <class Probe>
std::size_t frame_decoder::discard_some(const Probe& probe, byte_view input) {
  const std::size_t keep = longest_delimiter_ - 1;
  if (discard_tail_.empty()) {
    const probe_result r = probe(input.data(), input.size(), false, true);
    if (r.status == probe_result::complete) {
      discarding_to_delimiter_ = false;
      return static_cast<std::size_t>(r.total);
    }
    const std::size_t kept = std::min(keep, input.size());
    discard_tail_.assign(input.end() - static_cast<std::ptrdiff_t>(kept), input.end());
    return input.size();
  }
  const std::size_t tail = discard_tail_.size();
  const std::size_t chunk = std::min<std::size_t>(input.size(), 4096);
  discard_tail_.insert(discard_tail_.end(), input.begin(),
                       input.begin() + static_cast<std::ptrdiff_t>(chunk));
  const probe_result r = probe(discard_tail_.data(), discard_tail_.size(), false, true);
  if (r.status == probe_result::complete) {
    discarding_to_delimiter_ = false;
    const auto total = static_cast<std::size_t>(r.total);
    if (total >= tail) {
      discard_tail_.clear();
      return total - tail;
    }
    // The frame ended inside the old tail: the rest of it begins the next frame.
    buffer_.assign(discard_tail_.begin() + static_cast<std::ptrdiff_t>(total),
                   discard_tail_.begin() + static_cast<std::ptrdiff_t>(tail));
    buffer_head_ = 0;
    buffer_offset_ = stream_offset_ - (tail - total);
    discard_tail_.clear();
    return 0;
  }
  const std::size_t kept = std::min(keep, discard_tail_.size());
  discard_tail_.erase(discard_tail_.begin(),
                      discard_tail_.end() - static_cast<std::ptrdiff_t>(kept));
  return chunk;
}

// One step on a frame that began in an earlier input. Returns input bytes
// consumed (possibly fewer than appended: the rest was given back).
template <class Probe>
std::size_t frame_decoder::extend_buffer(const Probe& probe, byte_view input,
                                         bool& batch_uses_buffer) {
  compact();
  const std::size_t had = buffer_.size();
  // Length-based probes say exactly what they need; for delimiters, grow
  // geometrically so rescanning the buffer stays linear overall.
  std::size_t want = buffer_wants_ != 0 ? buffer_wants_ : std::max<std::size_t>(256, had);
  want = std::min({want, input.size(), buffer_cap_ > had ? buffer_cap_ - had : std::size_t{1}});
  reserve_for_frame(had + want);
  buffer_.insert(buffer_.end(), input.begin(), input.begin() + static_cast<std::ptrdiff_t>(want));
  // Growing geometrically does not help when the input comes in small
  // reads (4 KiB from a socket): a line of megabytes would be rescanned
  // from its start at each. A line ends only at a line feed, so new bytes
  // without one, the line still within max, leave the answer need_more.
  if (spec_.kind == framing_kind::line && buffer_.size() <= spec_.max &&
      std::memchr(input.data(), '\n', want) == nullptr) {
    buffer_wants_ = 0;
    return want;
  }
  const probe_result r = probe(buffer_.data(), buffer_.size(), false, false);
  buffer_wants_ = 0;
  switch (r.status) {
  case probe_result::need_more:
    buffer_wants_ = r.needed;
    return want;
  case probe_result::complete: {
    const auto total = static_cast<std::size_t>(r.total);
    emit(byte_view(buffer_).subspan(r.payload_begin, r.payload_end - r.payload_begin),
         buffer_offset_, total);
    batch_uses_buffer = true;
    const std::size_t give_back = std::min(want, buffer_.size() - total);
    buffer_.resize(buffer_.size() - give_back);
    buffer_head_ = total;
    buffer_offset_ += total;
    return want - give_back;
  }
  case probe_result::too_long:
    if (spec_.too_long == too_long_policy::fail) {
      fail(tcpcheck::error::frame_too_long, buffer_offset_, too_long_reason(r.value, r.total));
      return want;
    }
    if (r.total != 0) {
      ++discarded_;
      if (r.total >= buffer_.size()) {
        skip_remaining_ = r.total - buffer_.size();
        buffer_offset_ += buffer_.size();
        buffer_.clear();
        return want;
      }
      const auto total = static_cast<std::size_t>(r.total);
      const std::size_t give_back = std::min(want, buffer_.size() - total);
      buffer_.resize(buffer_.size() - give_back);
      buffer_head_ = total;
      buffer_offset_ += total;
      return want - give_back;
    }
    // Where the frame ends is the discard scan's job: the bytes just
    // appended are given back so that it reads them from the input.
    start_discarding();
    discard_tail_.assign(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(had));
    buffer_offset_ += had;
    buffer_.clear();
    return 0;
  case probe_result::failed:
    fail(r.code, buffer_offset_ + r.at, failure_reason(r.code, r.value));
    return want;
  }
  return want;
}

// The line walk (tcpcheck/detail/frame_walk.hpp) into the batch, for input
// that follows a straddling frame; consume() walks the rest inline.
std::size_t frame_decoder::scan_lines(const detail::line_probe& probe, byte_view input,
                                      std::size_t pos, std::size_t& batch_count) {
  std::size_t count = batch_count; // a local, so stores to the batch cannot alias it
  frame* const frames = batch_.frames.data();
  const std::uint64_t base = stream_offset_ + pos;
  const std::size_t used = detail::walk_lines(
      probe.max, probe.strict_crlf, input.data() + pos, input.size() - pos, batch_capacity - count,
      [&](byte_view payload, std::size_t at, std::uint64_t wire_size) {
        frames[count++] = frame{payload, base + at, wire_size};
      });
  batch_count = count;
  return pos + used;
}

template <class Probe>
std::size_t frame_decoder::decode_with(const Probe& probe, byte_view input) {
  bool batch_uses_buffer = false;
  std::size_t pos = 0;
  const std::size_t n = input.size();
  while (pos < n && batch_.count < batch_capacity && !failed()) {
    if (skip_remaining_ > 0) {
      const std::size_t k =
          static_cast<std::size_t>(std::min<std::uint64_t>(skip_remaining_, n - pos));
      skip_remaining_ -= k;
      pos += k;
      continue;
    }
    if (discarding_to_delimiter_) {
      if (batch_uses_buffer) break;
      stream_offset_ += pos; // discard_some places leftover bytes by stream offset
      const std::size_t k = discard_some(probe, input.subspan(pos));
      stream_offset_ -= pos;
      pos += k;
      continue;
    }
    if (buffered() > 0) {
      if (batch_uses_buffer) break;
      pos += extend_buffer(probe, input.subspan(pos), batch_uses_buffer);
      continue;
    }
    // Fast path: frames that start in this input, as many as the batch
    // holds, with the loop's state in locals so it stays in registers.
    const std::uint8_t* const data = input.data();
    const std::uint64_t base = stream_offset_;
    frame* const frames = batch_.frames.data();
    std::size_t count = batch_.count;
    if constexpr (std::is_same_v<Probe, detail::line_probe>) {
      pos = scan_lines(probe, input, pos, count);
      batch_.count = count;
      if (pos == n || count == batch_capacity) continue;
    }
    probe_result r;
    for (;;) {
      r = probe(data + pos, n - pos, false, false);
      if (r.status != probe_result::complete) break;
      frames[count++] =
          frame{byte_view(data + pos + r.payload_begin, r.payload_end - r.payload_begin),
                base + pos, r.total};
      pos += static_cast<std::size_t>(r.total);
      if (pos == n || count == batch_capacity) break;
    }
    batch_.count = count;
    const std::uint8_t* p = data + pos;
    const std::size_t avail = n - pos;
    switch (r.status) {
    case probe_result::complete:
      break;
    case probe_result::need_more:
      if (batch_uses_buffer) goto out;
      buffer_.assign(p, p + avail);
      buffer_head_ = 0;
      buffer_offset_ = stream_offset_ + pos;
      buffer_wants_ = r.needed;
      pos = n;
      break;
    case probe_result::too_long:
      if (spec_.too_long == too_long_policy::fail) {
        fail(tcpcheck::error::frame_too_long, stream_offset_ + pos,
             too_long_reason(r.value, r.total));
      } else if (r.total != 0) {
        ++discarded_;
        const std::uint64_t in_input = std::min<std::uint64_t>(r.total, avail);
        skip_remaining_ = r.total - in_input;
        pos += static_cast<std::size_t>(in_input);
      } else {
        start_discarding(); // the discard step rescans from this frame's start
      }
      break;
    case probe_result::failed:
      fail(r.code, stream_offset_ + pos + r.at, failure_reason(r.code, r.value));
      break;
    }
  }
out:
  stream_offset_ += pos;
  return pos;
}

template <class Probe>
bool frame_decoder::finish_with(const Probe& probe) {
  compact();
  if (skip_remaining_ > 0) {
    skip_remaining_ = 0; // the stream ended inside a discarded frame: nothing to say
    finished_ = true;
    return false;
  }
  if (discarding_to_delimiter_) {
    discarding_to_delimiter_ = false;
    const probe_result r = probe(discard_tail_.data(), discard_tail_.size(), true, true);
    if (r.status == probe_result::complete && r.total < discard_tail_.size()) {
      const auto total = static_cast<std::size_t>(r.total);
      buffer_.assign(discard_tail_.begin() + static_cast<std::ptrdiff_t>(total),
                     discard_tail_.end());
      buffer_offset_ = stream_offset_ - buffer_.size();
    }
    discard_tail_.clear();
  }
  while (buffered() > 0 && batch_.count < batch_capacity && !failed()) {
    const std::uint8_t* p = buffer_.data() + buffer_head_;
    const std::size_t avail = buffered();
    const probe_result r = probe(p, avail, true, false);
    std::size_t used = avail;
    switch (r.status) {
    case probe_result::complete:
      emit(byte_view(p + r.payload_begin, r.payload_end - r.payload_begin), buffer_offset_,
           r.total);
      used = static_cast<std::size_t>(r.total);
      break;
    case probe_result::need_more:
      if (spec_.at_eof == eof_policy::error)
        fail(tcpcheck::error::truncated_frame, buffer_offset_,
             "the stream ended " + std::to_string(avail) + " bytes into a frame");
      else if (spec_.at_eof == eof_policy::emit)
        emit(byte_view(p + r.payload_begin, r.payload_end - r.payload_begin), buffer_offset_,
             avail);
      break;
    case probe_result::too_long:
      if (spec_.too_long == too_long_policy::fail) {
        fail(tcpcheck::error::frame_too_long, buffer_offset_, too_long_reason(r.value, r.total));
        break;
      }
      ++discarded_;
      if (r.total != 0) {
        used = static_cast<std::size_t>(std::min<std::uint64_t>(r.total, avail));
      } else {
        const probe_result end = probe(p, avail, true, true);
        if (end.status == probe_result::complete) used = static_cast<std::size_t>(end.total);
      }
      break;
    case probe_result::failed:
      fail(r.code, buffer_offset_ + r.at, failure_reason(r.code, r.value));
      break;
    }
    if (failed()) break;
    buffer_head_ += used;
    buffer_offset_ += used;
  }
  if (buffered() > 0 && !failed()) return true;
  finished_ = true;
  return false;
}

std::size_t frame_decoder::decode_some(byte_view input) {
  if (failed()) return 0;
  if (finished_) {
    if (input.empty()) return 0;
    fail(tcpcheck::error::decoder_failed, stream_offset_, "input after the end of the stream");
    return 0;
  }
  if (!discarding_to_delimiter_ && buffered() == 0) {
    buffer_.clear();
    buffer_head_ = 0;
  }
  switch (spec_.kind) {
  case framing_kind::raw:
  case framing_kind::datagram: // a datagram's bytes alone: one frame, whole at their end
    return decode_with(detail::raw_probe{spec_.max}, input);
  case framing_kind::fixed:
    return decode_with(detail::fixed_probe{spec_.fixed_size}, input);
  case framing_kind::line:
    return decode_with(detail::line_probe{spec_.max, spec_.strict_crlf}, input);
  case framing_kind::delimited:
    return decode_with(detail::delimiter_probe{&spec_, longest_delimiter_}, input);
  case framing_kind::length_prefixed:
  case framing_kind::varint:
    return with_length_probe(spec_, [&](const auto& probe) { return decode_with(probe, input); });
  }
  return 0;
}

bool frame_decoder::finish_some() {
  if (failed() || finished_) return false;
  switch (spec_.kind) {
  case framing_kind::raw:
  case framing_kind::datagram:
    return finish_with(detail::raw_probe{spec_.max});
  case framing_kind::fixed:
    return finish_with(detail::fixed_probe{spec_.fixed_size});
  case framing_kind::line:
    return finish_with(detail::line_probe{spec_.max, spec_.strict_crlf});
  case framing_kind::delimited:
    return finish_with(detail::delimiter_probe{&spec_, longest_delimiter_});
  case framing_kind::length_prefixed:
  case framing_kind::varint:
    return with_length_probe(spec_, [&](const auto& probe) { return finish_with(probe); });
  }
  return false;
}

} // namespace tcpcheck
