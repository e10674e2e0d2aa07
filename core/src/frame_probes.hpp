// Frame probes: for each framing kind, where a frame that starts at the
// beginning of some contiguous bytes ends, or why it cannot.
//
// A probe is pure: it looks at the bytes it is shown and remembers nothing,
// which is what makes the decoder split-invariant by construction. The
// decoder shows it either the caller's input or its own straddle buffer.
#pragma once

#include "tcpcheck/detail/frame_walk.hpp"
#include "tcpcheck/error.hpp"
#include "tcpcheck/framing_spec.hpp"

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

// The probes run once per frame; the decoder's loop must see through them.
#define TCPCHECK_ALWAYS_INLINE [[gnu::always_inline]] inline

namespace tcpcheck::detail {

struct probe_result {
  enum status_kind : std::uint8_t { need_more, complete, too_long, failed };
  status_kind status = need_more;
  /// need_more: bytes that would let the probe progress; 0 when unknown.
  std::size_t needed = 0;
  /// complete, too_long: the frame's size on the wire (0 for too_long: not known yet).
  std::uint64_t total = 0;
  /// complete: the payload within the frame. need_more: what eof=emit hands out.
  std::size_t payload_begin = 0;
  std::size_t payload_end = 0;
  /// failed: the code and its position from the frame's start. too_long and
  /// failed: the number the reason quotes (a field value, a frame size).
  error code{};
  std::uint64_t at = 0;
  std::uint64_t value = 0;
};

inline probe_result need(std::size_t needed, std::size_t emit_begin, std::size_t emit_end) {
  probe_result r;
  r.needed = needed;
  r.payload_begin = emit_begin;
  r.payload_end = emit_end;
  return r;
}

inline probe_result done(std::uint64_t total, std::size_t begin, std::size_t end) {
  probe_result r;
  r.status = probe_result::complete;
  r.total = total;
  r.payload_begin = begin;
  r.payload_end = end;
  return r;
}

inline probe_result too_long(std::uint64_t total, std::uint64_t value) {
  probe_result r;
  r.status = probe_result::too_long;
  r.total = total;
  r.value = value;
  return r;
}

inline probe_result broken(error code, std::uint64_t at, std::uint64_t value) {
  probe_result r;
  r.status = probe_result::failed;
  r.code = code;
  r.at = at;
  r.value = value;
  return r;
}

// `raw`: the stream is one frame, complete only at its end.
struct raw_probe {
  std::uint64_t max;
  probe_result operator()(const std::uint8_t*, std::size_t n, bool at_eof, bool) const {
    if (n > max) return too_long(0, n);
    if (at_eof) return done(n, 0, n);
    return need(static_cast<std::size_t>(max + 1 - n), 0, n);
  }
};

// `fixed:N`
struct fixed_probe {
  std::uint64_t size;
  probe_result operator()(const std::uint8_t*, std::size_t n, bool, bool) const {
    if (n >= size) return done(size, 0, static_cast<std::size_t>(size));
    return need(static_cast<std::size_t>(size - n), 0, n);
  }
};

// `len:` and `varint`: a header of `offset` bytes, the length field, then
// value + adjust bytes. The checks run in a fixed order (negative, absurdly
// large, below header, above max, shorter than strip) so that a frame that
// breaks two rules is always reported for the same one.
//
// The field width is a template parameter (0: varint) and the spec's fields
// are copied in, so the per-frame path is a few loads and compares with
// everything in registers: this probe runs once per frame on the hot path.
template <unsigned Width>
struct length_probe {
  std::uint64_t offset;
  std::int64_t adjust;
  std::uint64_t max;
  std::uint64_t strip; // when has_strip
  bool has_strip;
  bool field_max;
  bool is_signed;
  unsigned varint_bytes; // a varint's longest encoding

  length_fast_range range; // the common case in one compare (tcpcheck/detail/frame_walk.hpp)

  explicit length_probe(const framing_spec& spec)
      : offset(spec.field.offset), adjust(spec.field.adjust), max(spec.max),
        strip(spec.field.strip.value_or(0)), has_strip(spec.field.strip.has_value()),
        field_max(spec.max_of == max_applies_to::field), is_signed(spec.field.is_signed),
        varint_bytes(spec.field.varint_bytes), range(length_fast_range::of(spec)) {}

  // Values above this are too long whatever the adjustment: max and |adjust|
  // are both at most 2^30, so no arithmetic below can overflow.
  static constexpr std::uint64_t huge = std::uint64_t{1} << 62;

  TCPCHECK_ALWAYS_INLINE probe_result operator()(const std::uint8_t* p, std::size_t n, bool,
                                                 bool) const {
    std::uint64_t value = 0;
    std::uint64_t header = 0;
    if constexpr (Width == 0) {
      if (!read_varint(p, n, value, header)) {
        if (header == 0) return broken(error::varint_overflow, offset, 0);
        return need(1, n, n);
      }
    } else {
      header = offset + Width;
      if (n < header) // eof=emit keeps what strip would keep of a partial header
        return need(
            static_cast<std::size_t>(header - n),
            static_cast<std::size_t>(std::min<std::uint64_t>(has_strip ? strip : header, n)), n);
      value = range.read<Width>(p + offset);
      if (range.width != 0 && range.accepts(value)) [[likely]] {
        // Wraps as intended for a negative adjust: value + adjust >= 0 here.
        const std::uint64_t total = value + range.header_plus_adjust;
        if (n < total) [[unlikely]]
          return need(static_cast<std::size_t>(total - n),
                      static_cast<std::size_t>(std::min<std::uint64_t>(range.stripped, n)), n);
        return done(total, static_cast<std::size_t>(range.stripped),
                    static_cast<std::size_t>(total));
      }
      if (is_signed && ((value >> (8 * Width - 1)) & 1u))
        return broken(error::negative_length, offset, value);
    }
    if (value > huge) return too_long(UINT64_MAX, value);
    const std::int64_t body = static_cast<std::int64_t>(value) + adjust;
    if (body < 0) return broken(error::length_below_header, offset, value);
    const std::uint64_t total = header + static_cast<std::uint64_t>(body);
    const std::uint64_t limited = field_max ? value : total;
    if (limited > max) return too_long(total, limited);
    const std::uint64_t stripped = has_strip ? strip : header;
    if (total < stripped) return broken(error::frame_shorter_than_strip, 0, total);
    if (n < total)
      return need(static_cast<std::size_t>(total - n),
                  static_cast<std::size_t>(std::min<std::uint64_t>(stripped, n)), n);
    return done(total, static_cast<std::size_t>(stripped), static_cast<std::size_t>(total));
  }

  // LEB128 after the offset. Returns true with the value and the header
  // size; false with header 0 for an overflow, or header 1 for "need more".
  bool read_varint(const std::uint8_t* p, std::size_t n, std::uint64_t& value,
                   std::uint64_t& header) const {
    value = 0;
    for (unsigned i = 0; i < varint_bytes; ++i) {
      if (offset + i >= n) {
        header = 1;
        return false;
      }
      const std::uint8_t b = p[offset + i];
      // The tenth byte may only carry bit 63.
      if (i == 9 && b > 1) {
        header = 0;
        return false;
      }
      value |= std::uint64_t{b & 0x7fu} << (7 * i);
      if (!(b & 0x80u)) {
        header = offset + i + 1;
        return true;
      }
    }
    header = 0;
    return false;
  }
};

// The first LF in [p, p + n): an inline SSE2 scan for the short distances
// of typical lines (a memchr call per line costs more than the scan), then
// memchr for long ones.
inline const std::uint8_t* find_line_feed(const std::uint8_t* p, std::size_t n) {
  std::size_t i = 0;
#if defined(__SSE2__)
  const __m128i lf = _mm_set1_epi8('\n');
  for (; i + 16 <= n && i < 256; i += 16) {
    const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const int hits = _mm_movemask_epi8(_mm_cmpeq_epi8(block, lf));
    if (hits != 0) return p + i + __builtin_ctz(static_cast<unsigned>(hits));
  }
#endif
  if (i == n) return nullptr;
  return static_cast<const std::uint8_t*>(std::memchr(p + i, '\n', n - i));
}

// `line`: LF-terminated; one CR before the LF is not part of the line.
// `max` limits the line without its terminator.
struct line_probe {
  std::uint64_t max;
  bool strict_crlf;

  TCPCHECK_ALWAYS_INLINE probe_result operator()(const std::uint8_t* p, std::size_t n, bool at_eof,
                                                 bool ignore_max) const {
    // Past max + 2 bytes (a CR and the LF) the line is too long anyway.
    const std::size_t scan =
        ignore_max ? n : static_cast<std::size_t>(std::min<std::uint64_t>(n, max + 2));
    const std::uint8_t* lf = find_line_feed(p, scan);
    if (lf != nullptr) {
      const auto at = static_cast<std::size_t>(lf - p);
      const bool cr = at > 0 && p[at - 1] == '\r';
      const std::size_t end = at - (cr ? 1 : 0);
      if (ignore_max) return done(at + 1, 0, end);
      if (end > max) return too_long(at + 1, end);
      if (strict_crlf && !cr) return broken(error::bare_line_feed, at, 0);
      return done(at + 1, 0, end);
    }
    const bool cr = n > 0 && p[n - 1] == '\r';
    const std::size_t content = at_eof ? n - (cr ? 1 : 0) : n - 1;
    if (!ignore_max && n > 0 && content > max) return too_long(0, content);
    return need(0, 0, n - (cr ? 1 : 0));
  }
};

// `delim:`: the frame ends at the delimiter that starts first; of two that
// start at the same byte, the longer. A delimiter that might still complete
// at or before the best match holds the decision back until its bytes
// arrive, so the answer never depends on where the input was cut.
struct delimiter_probe {
  const framing_spec* spec;
  std::size_t longest = 1;

  probe_result operator()(const std::uint8_t* p, std::size_t n, bool at_eof,
                          bool ignore_max) const {
    const std::string_view data(reinterpret_cast<const char*>(p), n);
    std::size_t best = std::string_view::npos;
    std::size_t best_len = 0;
    // A delimiter starting past max + 1 only matters for too-long, so the
    // search stops there unless the frame is being discarded.
    std::size_t window =
        ignore_max ? n : static_cast<std::size_t>(std::min<std::uint64_t>(n, spec->max + longest));
    for (const auto& d : spec->delimiters) {
      const std::string_view delim(reinterpret_cast<const char*>(d.data()), d.size());
      const std::size_t limit =
          std::min(window, best == std::string_view::npos ? n : best + delim.size());
      const std::size_t at = data.substr(0, limit).find(delim);
      if (at == std::string_view::npos) continue;
      if (at < best || (at == best && delim.size() > best_len)) {
        best = at;
        best_len = delim.size();
      }
    }
    const bool waiting = !at_eof && may_still_match(data, best, best_len);
    if (!waiting && best != std::string_view::npos) {
      const std::size_t total = best + best_len;
      // Too long; where it ends is left to the discard scan, which sees
      // past the window (a longer delimiter may start at `best`).
      if (!ignore_max && best > spec->max) return too_long(0, best);
      return done(total, 0, spec->keep_delimiter ? total : best);
    }
    // No frame yet. Too long when no delimiter can start within max + 1 bytes.
    if (!ignore_max && n > spec->max && !(waiting && first_candidate(data) <= spec->max))
      return too_long(0, n);
    return need(0, 0, n);
  }

  // True when some delimiter could complete, with more bytes, at a start
  // before `best` (or at `best` and longer than the match found there).
  bool may_still_match(std::string_view data, std::size_t best, std::size_t best_len) const {
    const std::size_t n = data.size();
    const std::size_t from = n > longest ? n - longest + 1 : 0;
    for (std::size_t q = from; q < n && q <= best; ++q)
      for (const auto& d : spec->delimiters)
        if (is_proper_prefix(data.substr(q), d) && (q < best || d.size() > best_len)) return true;
    return false;
  }

  std::size_t first_candidate(std::string_view data) const {
    const std::size_t n = data.size();
    const std::size_t from = n > longest ? n - longest + 1 : 0;
    for (std::size_t q = from; q < n; ++q)
      for (const auto& d : spec->delimiters)
        if (is_proper_prefix(data.substr(q), d)) return q;
    return n;
  }

  static bool is_proper_prefix(std::string_view tail, const byte_buffer& d) {
    return tail.size() < d.size() && std::memcmp(tail.data(), d.data(), tail.size()) == 0;
  }
};

} // namespace tcpcheck::detail
