// The header of a length-prefixed frame, as scripts see it: named fields
// (`field=type:u8`) and the body after the whole header.
//
// Scripts judge the body and match fields by name, whatever `strip` says:
// `strip` shapes what the decoder hands to a user's code, not what a
// conversation means. So the session decodes with every header byte kept
// (`keeping_headers`) and splits each frame here.
//
//   auto spec = tcpcheck::keeping_headers(script_spec);
//   ... decode a frame f ...
//   auto [fields, body] = tcpcheck::split_header(script_spec, f.payload);
#pragma once

#include "tcpcheck/bytes.hpp"
#include "tcpcheck/framing_spec.hpp"

#include <cstdint>
#include <vector>

namespace tcpcheck {

/// Values of a spec's named header fields, in the spec's order.
using field_values = std::vector<std::uint64_t>;

struct split_frame {
  field_values fields;
  byte_view body;
};

/// `spec` with strip=0 when it is length-based: frames come out whole.
framing_spec keeping_headers(framing_spec spec);

/// Splits a frame decoded with `keeping_headers(spec)`. A frame cut short
/// inside its header (eof=emit) has an empty body, and the field bytes it
/// lacks read as zero. Other framings have no header: the frame is the body.
split_frame split_header(const framing_spec& spec, byte_view frame);

/// The largest value `f` holds: 2^(8*width) - 1.
std::uint64_t largest_value(const header_field& f) noexcept;

/// Appends `value` as a LEB128 varint (7 bits a byte, low first).
void append_varint(std::uint64_t value, byte_buffer& out);

/// Appends a length field holding `value`: a varint, or `field.width`
/// bytes in its byte order (the bytes before it are the caller's).
void append_length_field(const length_field& field, std::uint64_t value, byte_buffer& out);

/// Writes `f` holding `value` at `out + f.offset` (big or little endian).
void write_header_field(const header_field& f, std::uint64_t value, std::uint8_t* out) noexcept;

} // namespace tcpcheck
