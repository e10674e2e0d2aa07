// Boundary frames, built per framing kind and classified by the decoder.
#include "tcpcheck/boundary_frames.hpp"

#include "tcpcheck/decode_log.hpp"
#include "tcpcheck/frame_encoder.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace tcpcheck {

namespace {

constexpr std::uint8_t filler = 'x';

// Invalid UTF-8 of every common kind: stray continuation-free lead bytes,
// an overlong encoding of '(' after a lead byte, and an encoded surrogate.
constexpr std::uint8_t not_utf8[] = {0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0xc0, 0x80};

byte_buffer payload_of(std::size_t size) {
  return byte_buffer(size, filler);
}

// The frame for `payload` as the encoder writes it; empty when it refuses.
byte_buffer encoded(const framing_spec& spec, byte_view payload, const field_values& fields = {}) {
  byte_buffer wire;
  if (encode_frame(spec, payload, fields, wire)) wire.clear();
  return wire;
}

// The largest payload (at most `ceiling` bytes) the encoder accepts. The
// header, strip and adjust make "max" mean slightly different payload
// sizes per spec, and a narrow length field (u8, u16) may hold less than
// max: the encoder knows, and refuses from some size on, so ask it.
std::optional<std::size_t> largest_encodable(const framing_spec& spec, std::size_t ceiling) {
  const auto fits = [&](std::size_t size) { return !encoded(spec, payload_of(size)).empty(); };
  if (!fits(0)) return std::nullopt;
  std::size_t low = 0, high = ceiling; // fits(low); the answer lies in [low, high]
  while (low < high) {
    const std::size_t mid = low + (high - low + 1) / 2;
    if (fits(mid))
      low = mid;
    else
      high = mid - 1;
  }
  return low;
}

// The bytes before the length field: the named fields, then zeros.
byte_buffer header_before_length(const framing_spec& spec, const field_values& fields) {
  byte_buffer wire(spec.field.offset, 0);
  for (std::size_t i = 0; i < spec.fields.size() && i < fields.size(); ++i)
    write_header_field(spec.fields[i], fields[i], wire.data());
  return wire;
}

// A length-prefixed frame built by hand: the header's fields, the length
// field holding `value`, then `payload_size` filler bytes.
byte_buffer with_length(const framing_spec& spec, const field_values& fields, std::uint64_t value,
                        std::size_t payload_size) {
  byte_buffer wire = header_before_length(spec, fields);
  append_length_field(spec.field, value, wire);
  wire.insert(wire.end(), payload_size, filler);
  return wire;
}

std::string size_text(std::size_t bytes) {
  if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  if (bytes >= 1024 && bytes % 1024 == 0) return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " bytes";
}

class builder {
public:
  builder(const framing_spec& spec, const field_values& fields) : spec_(spec), fields_(fields) {}

  void add(std::string name, std::string description, byte_buffer wire, bool over_max = false) {
    if (wire.empty()) return;
    // Classify: a frame the decoder neither refuses nor completes (a length
    // field promising more than was sent) also breaks the spec, for the
    // server is left waiting.
    const auto log = decode_in_pieces(spec_, wire, {}, /*finish=*/false);
    const bool breaks = static_cast<bool>(log.error.code) || log.frames.empty();
    frames_.push_back(
        {std::move(name), std::move(description), std::move(wire), breaks, breaks && over_max});
  }

  // The empty frame, the largest allowed and one byte over, for any kind
  // the encoder writes. `one_over` builds the over-long frame from the
  // largest payload size.
  template <class OneOver>
  void add_sizes(OneOver one_over) {
    add("empty-frame", "a frame with an empty payload", encoded(spec_, {}, fields_));
    const bool capped = spec_.max > boundary_limits::largest_payload;
    const std::size_t ceiling = static_cast<std::size_t>(
        std::min<std::uint64_t>(spec_.max, boundary_limits::largest_payload));
    const auto largest = largest_encodable(spec_, ceiling);
    if (!largest) return;
    if (capped && *largest == ceiling) {
      add("long-frame",
          "a " + size_text(*largest) + " frame (the spec allows up to " + size_text(spec_.max) +
              "; larger boundary frames are not generated)",
          encoded(spec_, payload_of(*largest), fields_));
      return;
    }
    add("largest-frame",
        "the largest frame the spec allows (" + size_text(*largest) + " of payload)",
        encoded(spec_, payload_of(*largest), fields_));
    if (auto over = one_over(*largest))
      add("one-over", "one byte more than the spec allows (" + size_text(*largest + 1) + ")",
          std::move(*over), /*over_max=*/true);
  }

  std::vector<boundary_frame> take() { return std::move(frames_); }

private:
  const framing_spec& spec_;
  const field_values& fields_;
  std::vector<boundary_frame> frames_;
};

void add_length_frames(builder& b, const framing_spec& spec, const field_values& fields) {
  const length_field& field = spec.field;
  // The field's value for `payload_size` bytes after the field: what the
  // receiver adds `adjust` to.
  const auto value_for = [&](std::size_t after_field) {
    return static_cast<std::uint64_t>(static_cast<std::int64_t>(after_field) - field.adjust);
  };
  b.add_sizes([&](std::size_t largest) -> std::optional<byte_buffer> {
    const byte_buffer fits = encoded(spec, payload_of(largest), fields);
    std::size_t header = spec.header_size();
    if (field.width == 0) // a varint: its bytes up to the first without the high bit
      while (header < fits.size() && (fits[header] & 0x80))
        ++header;
    if (field.width == 0) ++header;
    const std::size_t after_field = fits.size() - header + 1;
    const std::uint64_t value = value_for(after_field);
    // When the field itself is full, one more byte cannot be said: the
    // length-max case covers that edge.
    if (field.width != 0 && value > field.largest_value()) return std::nullopt;
    return with_length(spec, fields, value, after_field);
  });
  b.add("length-zero", "a length field of 0 and nothing after it", with_length(spec, fields, 0, 0));
  const std::uint64_t largest_value = field.largest_value();
  b.add("length-max",
        "a length field of " + std::to_string(largest_value) + " (its largest) with no payload",
        with_length(spec, fields, largest_value, 0));
  if (field.is_signed)
    b.add("length-negative", "a length field of -1 (all bits set)",
          with_length(spec, fields, UINT64_MAX, 0));
  if (field.width == 0) {
    const unsigned bytes = field.varint_bytes + 1u;
    byte_buffer overlong = header_before_length(spec, fields);
    overlong.insert(overlong.end(), bytes, 0x80);
    overlong.back() = 0x01;
    b.add("varint-overlong",
          "a varint of " + std::to_string(bytes) + " bytes, longer than the spec allows",
          std::move(overlong));
  }
}

void add_delimited_frames(builder& b, const framing_spec& spec) {
  b.add_sizes([&](std::size_t largest) -> std::optional<byte_buffer> {
    byte_buffer wire = encoded(spec, payload_of(largest));
    wire.insert(wire.begin(), filler);
    return wire;
  });
  // Servers often cap lines far below the spec's limit, or buffer without
  // one; a line this long finds both. (Under a larger max, the long frame
  // above already is one.)
  if (spec.max <= boundary_limits::largest_payload) {
    byte_buffer endless = payload_of(boundary_limits::largest_payload);
    const std::string_view delimiter = spec.kind == framing_kind::line
                                           ? (spec.strict_crlf ? "\r\n" : "\n")
                                           : as_text(spec.delimiters.front());
    endless.insert(endless.end(), delimiter.begin(), delimiter.end());
    b.add("long-line",
          "a " + size_text(boundary_limits::largest_payload) + " line, far over the spec's max",
          std::move(endless));
  }
  const byte_view bad_text(not_utf8, sizeof not_utf8);
  b.add("not-utf8", "a frame of bytes that are not UTF-8", encoded(spec, bad_text));
}

} // namespace

std::vector<boundary_frame> boundary_frames(const framing_spec& spec, const field_values& fields) {
  builder b(spec, fields);
  switch (spec.kind) {
  case framing_kind::raw:
  case framing_kind::datagram: // every size is a whole message: no boundary to probe
    break;
  case framing_kind::line:
  case framing_kind::delimited:
    add_delimited_frames(b, spec);
    break;
  case framing_kind::fixed:
    b.add("short-frame", "a frame one byte short, then nothing",
          payload_of(static_cast<std::size_t>(spec.fixed_size) - 1));
    break;
  case framing_kind::varint:
  case framing_kind::length_prefixed:
    add_length_frames(b, spec, fields);
    break;
  }
  return b.take();
}

} // namespace tcpcheck
