// Frame walks: the decoder's hot loops for the two common framings, as
// inline templates so that a caller's frame callback is inlined into them.
//
// A walk hands out only frames that need no decision beyond "complete and
// within limits", and stops at the first thing that does (a frame outside
// the limits, a partial frame, a bare LF under crlf); the decoder's general
// path takes over there. So a walk never changes what the decoder decides,
// only how fast it gets through the frames it would accept anyway.
// Internal to tcpcheck: not part of the supported interface.
#pragma once

#include "tcpcheck/bytes.hpp"
#include "tcpcheck/framing_spec.hpp"

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace tcpcheck::detail {

/// A fixed-width length field's limits folded into one range of field
/// values: a value v passes every check (not negative, body >= 0, within
/// max, at least strip) exactly when v - lowest <= span, unsigned.
struct length_fast_range {
  unsigned width = 0; ///< 0: no fast walk (varint, or no value passes)
  bool big_endian = true;
  std::uint64_t offset = 0;
  std::uint64_t header = 0;             ///< offset + width
  std::uint64_t stripped = 0;           ///< bytes removed from the front of a frame
  std::uint64_t header_plus_adjust = 0; ///< total = value + this (mod 2^64)
  std::uint64_t lowest = 0;
  std::uint64_t span = 0;

  static length_fast_range of(const framing_spec& spec) {
    length_fast_range r;
    const length_field& f = spec.field;
    if (!spec.is_length_based() || f.width == 0) return r;
    r.big_endian = f.order == byte_order::big;
    r.offset = f.offset;
    r.header = f.offset + f.width;
    r.stripped = f.strip.value_or(r.header);
    r.header_plus_adjust = r.header + static_cast<std::uint64_t>(f.adjust);
    const auto header = static_cast<std::int64_t>(r.header);
    std::int64_t low = std::max<std::int64_t>(0, -f.adjust); // body >= 0
    if (f.strip) low = std::max(low, static_cast<std::int64_t>(*f.strip) - header - f.adjust);
    std::int64_t high = spec.max_of == max_applies_to::field
                            ? static_cast<std::int64_t>(spec.max)
                            : static_cast<std::int64_t>(spec.max) - header - f.adjust;
    if (f.is_signed) high = std::min(high, static_cast<std::int64_t>(f.largest_value()));
    if (high < low) return r; // nothing passes: every frame takes the general path
    r.width = f.width;
    r.lowest = static_cast<std::uint64_t>(low);
    r.span = static_cast<std::uint64_t>(high - low);
    return r;
  }

  template <unsigned Width>
  [[gnu::always_inline]] std::uint64_t read(const std::uint8_t* field) const {
    std::uint64_t v = 0;
    if constexpr (std::endian::native == std::endian::little) {
      std::memcpy(&v, field, Width); // one unaligned load; the low bytes hold the field
      if (big_endian && Width > 1) v = __builtin_bswap64(v) >> (64 - 8 * Width);
    } else if (big_endian) {
      for (unsigned i = 0; i < Width; ++i)
        v = (v << 8) | field[i];
    } else {
      for (unsigned i = Width; i-- > 0;)
        v = (v << 8) | field[i];
    }
    return v;
  }

  [[gnu::always_inline]] bool accepts(std::uint64_t value) const { return value - lowest <= span; }
};

/// Hands `emit(payload, offset_in_data, wire_size)` every complete frame
/// from the start of [data, data + n) that `range` accepts, at most `limit`
/// of them. Returns the bytes those frames took.
template <unsigned Width, class Emit>
[[gnu::always_inline]] inline std::size_t
walk_length_frames(const length_fast_range& shared, const std::uint8_t* data, std::size_t n,
                   std::size_t limit, Emit&& emit) {
  // A local copy: whatever `emit` stores to cannot alias it, so its fields
  // stay in registers for the whole loop.
  const length_fast_range range = shared;
  std::size_t pos = 0;
  for (std::size_t count = 0; count < limit; ++count) {
    if (n - pos < range.header) break;
    const std::uint64_t value = range.read<Width>(data + pos + range.offset);
    if (!range.accepts(value)) break;
    const std::uint64_t total = value + range.header_plus_adjust;
    if (n - pos < total) break;
    emit(byte_view(data + pos + range.stripped, static_cast<std::size_t>(total - range.stripped)),
         pos, total);
    pos += static_cast<std::size_t>(total);
  }
  return pos;
}

template <class Emit>
[[gnu::always_inline]] inline std::size_t
walk_length_frames(const length_fast_range& range, const std::uint8_t* data, std::size_t n,
                   std::size_t limit, Emit&& emit) {
  switch (range.width) {
  case 1:
    return walk_length_frames<1>(range, data, n, limit, emit);
  case 2:
    return walk_length_frames<2>(range, data, n, limit, emit);
  case 4:
    return walk_length_frames<4>(range, data, n, limit, emit);
  case 8:
    return walk_length_frames<8>(range, data, n, limit, emit);
  default:
    return 0; // u24 and varint take the general path
  }
}

/// Bit i set where p[i] is an LF, for the 64 bytes at p.
[[gnu::always_inline]] inline std::uint64_t line_feed_mask(const std::uint8_t* p) {
#if defined(__SSE2__)
  const __m128i lf = _mm_set1_epi8('\n');
  std::uint64_t mask = 0;
  for (int i = 0; i < 4; ++i) {
    const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i));
    const auto hits = static_cast<std::uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(block, lf)));
    mask |= std::uint64_t{hits} << (16 * i);
  }
  return mask;
#else
  std::uint64_t mask = 0;
  for (int i = 0; i < 64; ++i)
    mask |= std::uint64_t{p[i] == '\n'} << i;
  return mask;
#endif
}

/// `line` framing's walk: LFs found 64 bytes at a time, so the branch on
/// "is there another LF" goes the same way for most blocks instead of
/// mispredicting once per line. Hands `emit` each line (without its LF and
/// one CR) whose content is at most `max` (and ends in CRLF under
/// `strict_crlf`), at most `limit` of them, and stops short of the last 64
/// bytes. Returns the bytes those lines took.
template <class Emit>
[[gnu::always_inline]] inline std::size_t walk_lines(std::uint64_t max, bool strict_crlf,
                                                     const std::uint8_t* data, std::size_t n,
                                                     std::size_t limit, Emit&& emit) {
  std::size_t line_start = 0;
  std::size_t count = 0;
  for (std::size_t block = 0; block + 64 <= n && count < limit; block += 64) {
    std::uint64_t mask = line_feed_mask(data + block);
    while (mask != 0) {
      const std::size_t lf = block + static_cast<std::size_t>(std::countr_zero(mask));
      mask &= mask - 1;
      const bool cr = lf > line_start && data[lf - 1] == '\r';
      const std::size_t end = lf - (cr ? 1 : 0);
      if (end - line_start > max || (strict_crlf && !cr)) return line_start;
      emit(byte_view(data + line_start, end - line_start), line_start, lf + 1 - line_start);
      line_start = lf + 1;
      if (++count == limit) return line_start;
    }
    if (block + 64 - line_start > max + 2) break; // too long: the general path says so
  }
  return line_start;
}

} // namespace tcpcheck::detail
