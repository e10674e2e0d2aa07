// The frame encoder: writes headers and delimiters, refusing what would not round-trip.
#include "tcpcheck/frame_encoder.hpp"

#include "tcpcheck/frame_decoder.hpp"
#include "tcpcheck/frame_header.hpp"

#include <algorithm>

namespace tcpcheck {

namespace {

// The header: the named fields, zeros up to the length field, the length.
void write_header(const framing_spec& spec, const field_values& fields, std::uint64_t value,
                  byte_buffer& out) {
  const length_field& f = spec.field;
  const std::size_t start = out.size();
  out.insert(out.end(), f.offset, 0);
  for (std::size_t i = 0; i < spec.fields.size() && i < fields.size(); ++i)
    write_header_field(spec.fields[i], fields[i], out.data() + start);
  append_length_field(f, value, out);
}

// Room at the end of `out` for `bytes` more, made at once: a payload
// appended and then its delimiter or after its header took two
// allocations a frame. It grows at least twofold, so that frames appended
// one after another to one buffer stay linear. Called once a frame is
// accepted: a refused one must not make room it will never use.
void make_room(byte_buffer& out, std::size_t bytes) {
  const std::size_t needed = out.size() + bytes;
  if (out.capacity() < needed) out.reserve(std::max(needed, 2 * out.capacity()));
}

std::size_t varint_size(std::uint64_t value) {
  std::size_t n = 1;
  while (value >>= 7)
    ++n;
  return n;
}

std::error_code encode_length_prefixed(const framing_spec& spec, byte_view payload,
                                       const field_values& fields, byte_buffer& out) {
  const length_field& f = spec.field;
  for (std::size_t i = 0; i < spec.fields.size() && i < fields.size(); ++i)
    if (fields[i] > largest_value(spec.fields[i])) return error::field_not_representable;
  const auto body = static_cast<std::int64_t>(payload.size());
  const std::int64_t value = body - f.adjust;
  if (value < 0 || static_cast<std::uint64_t>(value) > f.largest_value())
    return error::length_not_representable;
  const auto v = static_cast<std::uint64_t>(value);
  const std::uint64_t header = f.offset + (f.width == 0 ? varint_size(v) : f.width);
  const std::uint64_t limited = spec.max_of == max_applies_to::field ? v : header + payload.size();
  if (limited > spec.max) return error::payload_too_long;
  make_room(out, static_cast<std::size_t>(header) + payload.size());
  write_header(spec, fields, v, out);
  out.insert(out.end(), payload.begin(), payload.end());
  return {};
}

// Decodes `wire` whole: does it give back exactly `payload`, as one frame?
bool decodes_to(const framing_spec& spec, byte_view wire, byte_view payload) {
  // A frame handed out only by eof=emit has no delimiter: that is no frame.
  framing_spec strict = spec;
  strict.at_eof = eof_policy::error;
  frame_decoder decoder(strict);
  std::size_t frames = 0;
  bool same = false;
  std::error_code ec;
  const auto on_frame = [&](const frame& f) {
    ++frames;
    same = f.wire_size == wire.size() &&
           std::equal(f.payload.begin(), f.payload.end(), payload.begin(), payload.end());
  };
  decoder.consume(wire, on_frame, ec);
  if (!ec) decoder.finish(on_frame, ec);
  return !ec && frames == 1 && same;
}

} // namespace

std::error_code check_encodable(const framing_spec& spec) {
  if (spec.kind == framing_kind::raw) return error::spec_not_encodable;
  return {};
}

std::error_code encode_frame(const framing_spec& spec, byte_view payload, byte_buffer& out) {
  return encode_frame(spec, payload, {}, out);
}

std::error_code encode_frame(const framing_spec& spec, byte_view payload,
                             const field_values& fields, byte_buffer& out) {
  if (auto ec = check_encodable(spec)) return ec;
  const std::size_t start = out.size();
  switch (spec.kind) {
  case framing_kind::raw:
    return error::spec_not_encodable;
  case framing_kind::datagram: // the datagram's own edges frame it
    if (payload.size() > spec.max) return error::payload_too_long;
    out.insert(out.end(), payload.begin(), payload.end());
    return {};
  case framing_kind::fixed:
    if (payload.size() != spec.fixed_size) return error::payload_wrong_size;
    out.insert(out.end(), payload.begin(), payload.end());
    return {};
  case framing_kind::length_prefixed:
  case framing_kind::varint:
    return encode_length_prefixed(spec, payload, fields, out);
  case framing_kind::line: {
    if (payload.size() > spec.max) return error::payload_too_long;
    if (std::find(payload.begin(), payload.end(), '\n') != payload.end())
      return error::payload_has_delimiter;
    const bool cr = spec.strict_crlf || (!payload.empty() && payload.back() == '\r');
    make_room(out, payload.size() + 2);
    out.insert(out.end(), payload.begin(), payload.end());
    if (cr) out.push_back('\r');
    out.push_back('\n');
    return {};
  }
  case framing_kind::delimited: {
    std::size_t content = payload.size();
    if (spec.keep_delimiter) {
      // The frame's own delimiter is the longest one the payload ends with.
      std::size_t ending = 0;
      for (const auto& d : spec.delimiters)
        if (d.size() <= payload.size() && d.size() > ending &&
            std::equal(d.begin(), d.end(), payload.end() - static_cast<std::ptrdiff_t>(d.size())))
          ending = d.size();
      if (ending == 0) return error::payload_has_delimiter;
      content -= ending;
    }
    if (content > spec.max) return error::payload_too_long;
    make_room(out, payload.size() + (spec.keep_delimiter ? 0 : spec.delimiters[0].size()));
    out.insert(out.end(), payload.begin(), payload.end());
    if (!spec.keep_delimiter)
      out.insert(out.end(), spec.delimiters[0].begin(), spec.delimiters[0].end());
    // A delimiter may hide anywhere, even across the payload's end and the
    // delimiter written after it: only decoding tells for certain.
    const byte_view wire(out.data() + start, out.size() - start);
    if (!decodes_to(spec, wire, payload)) {
      // Whether a delimiter lies inside the payload or straddles its end
      // and the delimiter after it, the frame would be cut elsewhere.
      out.resize(start);
      return error::payload_has_delimiter;
    }
    return {};
  }
  }
  return error::spec_not_encodable;
}

std::string explain_refusal(const framing_spec& spec, byte_view payload, std::error_code ec) {
  const std::string size = std::to_string(payload.size()) + "-byte payload";
  if (ec == error::payload_too_long) return size + " is above max=" + std::to_string(spec.max);
  if (ec == error::length_not_representable)
    return size + " needs a length the " + to_string(spec) + " field cannot hold";
  if (ec == error::payload_has_delimiter)
    return size + (spec.keep_delimiter ? " does not end with exactly one delimiter"
                                       : " contains a delimiter, or ends with part of one");
  if (ec == error::payload_wrong_size)
    return size + " is not " + std::to_string(spec.fixed_size) + " bytes";
  if (ec == error::spec_not_encodable) return "raw framing has no boundaries to write";
  if (ec == error::field_not_representable) return "a header field's value does not fit its width";
  return ec.message();
}

} // namespace tcpcheck
