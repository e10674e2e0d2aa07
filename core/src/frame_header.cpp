// Header fields of length-prefixed frames: split out on reading, written on sending.
#include "tcpcheck/frame_header.hpp"

#include <algorithm>

namespace tcpcheck {

framing_spec keeping_headers(framing_spec spec) {
  if (spec.is_length_based()) spec.field.strip = 0;
  return spec;
}

std::uint64_t largest_value(const header_field& f) noexcept {
  return f.width >= 8 ? UINT64_MAX : (std::uint64_t{1} << (8u * f.width)) - 1;
}

void append_varint(std::uint64_t value, byte_buffer& out) {
  do {
    const auto low = static_cast<std::uint8_t>(value & 0x7f);
    value >>= 7;
    out.push_back(value ? (low | 0x80) : low);
  } while (value);
}

void append_length_field(const length_field& field, std::uint64_t value, byte_buffer& out) {
  if (field.width == 0) return append_varint(value, out);
  for (unsigned i = 0; i < field.width; ++i) {
    const unsigned shift = field.order == byte_order::big ? 8u * (field.width - 1 - i) : 8u * i;
    out.push_back(static_cast<std::uint8_t>(value >> shift));
  }
}

void write_header_field(const header_field& f, std::uint64_t value, std::uint8_t* out) noexcept {
  for (unsigned i = 0; i < f.width; ++i) {
    const unsigned shift = f.order == byte_order::big ? 8 * (f.width - 1 - i) : 8 * i;
    out[f.offset + i] = static_cast<std::uint8_t>(value >> shift);
  }
}

namespace {

std::uint64_t read_header_field(const header_field& f, byte_view frame) {
  std::uint64_t value = 0;
  for (unsigned i = 0; i < f.width; ++i) {
    const std::size_t at = f.offset + i;
    const std::uint64_t byte = at < frame.size() ? frame[at] : 0;
    const unsigned shift = f.order == byte_order::big ? 8 * (f.width - 1 - i) : 8 * i;
    value |= byte << shift;
  }
  return value;
}

// Bytes of header: offset, then the field (a varint ends at its first byte
// without the continuation bit).
std::size_t header_length(const framing_spec& spec, byte_view frame) {
  std::size_t header = spec.field.offset;
  if (spec.field.width != 0) return header + spec.field.width;
  while (header < frame.size() && (frame[header] & 0x80u))
    ++header;
  return header + 1;
}

} // namespace

split_frame split_header(const framing_spec& spec, byte_view frame) {
  split_frame out;
  if (!spec.is_length_based()) {
    out.body = frame;
    return out;
  }
  for (const auto& f : spec.fields)
    out.fields.push_back(read_header_field(f, frame));
  const std::size_t header = std::min(header_length(spec, frame), frame.size());
  out.body = frame.subspan(header);
  return out;
}

} // namespace tcpcheck
