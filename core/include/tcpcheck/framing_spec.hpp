// A framing spec: how a byte stream is cut into messages, and its text form.
//
// Users type specs on the command line and in scripts, so the text is short
// and strict (docs/framing.md has the full grammar):
//
//   raw                      the whole stream is one message
//   datagram                 each UDP datagram is one message (`transport udp`)
//   line                     LF-terminated lines, one trailing CR dropped
//   line,crlf                lines that must end in CRLF
//   delim:\r\n|\0            any of the listed delimiters: the one that starts
//                            first ends the frame (the longer on a tie)
//   fixed:16                 16-byte messages
//   varint                   LEB128 length prefix (protobuf style)
//   varint:4,field=type:u8   MQTT: a type byte, then a varint of at most 4 bytes
//   len:u32be                a 4-byte big-endian length prefix
//   len:i32le,max=64K        the seed article's struct.pack('i') header, capped
//   len:u32be,field=type:u8,adjust=-4        PostgreSQL: a type byte, a length that counts itself
//   len:u16be,offset=2,adjust=-4,strip=0,max=1000,max-of=frame,too-long=discard,eof=emit
//
// `parse_framing_spec` checks syntax and runs the linter: a spec with a
// lint error is refused, so every parsed spec can be used as it is.
// `to_string` prints the canonical form (defaults omitted, options in a fixed
// order); parse(to_string(spec)) == spec for every spec.
#pragma once

#include "tcpcheck/bytes.hpp"
#include "tcpcheck/error.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tcpcheck {

/// `datagram` is for `transport udp` scripts: each datagram is one message.
/// On a stream it reads as `raw` does (one message, complete at the end),
/// which is what a datagram is once its bytes are fed to a decoder alone.
enum class framing_kind { raw, line, delimited, fixed, varint, length_prefixed, datagram };

/// What `max` is compared with. Netty limits the whole frame as it stands on
/// the wire (header included, before stripping); Tokio limits the length
/// field's value before adjustment. Both are common, so the spec says which.
enum class max_applies_to { frame, field };

/// What to do with a frame above `max`.
enum class too_long_policy {
  fail,    ///< a sticky frame_too_long error (the default)
  discard, ///< skip the frame's bytes, count it, resume at the next frame (Netty)
};

/// What to do with a partial frame when the stream ends.
enum class eof_policy {
  error, ///< truncated_frame error (the default)
  drop,  ///< forget the partial bytes silently
  emit,  ///< hand them out as a last, short frame
};

enum class byte_order { big, little };

/// The limits every spec obeys, whatever the user asks for.
struct framing_limits {
  static constexpr std::uint64_t default_max = 8u << 20; ///< 8 MiB, as Tokio
  static constexpr std::uint64_t largest_max = 1u << 30; ///< 1 GiB: `max` may not exceed it
  static constexpr std::uint32_t largest_offset = 4096;  ///< bytes before a length field
  static constexpr std::uint64_t largest_strip = largest_offset + 8; ///< offset + widest field
  static constexpr std::int64_t largest_adjust = 1 << 30;            ///< |adjust|
  static constexpr std::size_t most_delimiters = 8;
  static constexpr std::size_t longest_delimiter = 64;
  static constexpr std::size_t most_fields = 8; ///< named header fields
  static constexpr std::size_t longest_field_name = 32;
  static constexpr std::uint8_t longest_varint = 10; ///< bytes of a 64-bit LEB128 value
};

/// A named, fixed-width, unsigned field of a length-prefixed frame's header
/// (`field=type:u8`), before the length field: a message type, flags, a
/// channel. Scripts send frames with chosen values and match on them.
struct header_field {
  std::string name;
  std::uint8_t width = 1; ///< bytes: 1, 2, 3, 4 or 8
  byte_order order = byte_order::big;
  std::uint32_t offset = 0; ///< its first byte in the frame

  friend bool operator==(const header_field&, const header_field&) = default;
};

/// The length field of `len:` and `varint` framing.
struct length_field {
  /// Width in bytes: 1, 2, 3, 4 or 8; 0 for a varint.
  std::uint8_t width = 4;
  /// A varint's longest encoding in bytes (`varint:4`, MQTT); 10 holds any 64-bit value.
  std::uint8_t varint_bytes = framing_limits::longest_varint;
  bool is_signed = false;
  byte_order order = byte_order::big;
  std::uint32_t offset = 0; ///< bytes before the field (part of the header)
  std::int64_t adjust = 0;  ///< added to the field's value: bytes after the field = value + adjust
  /// Bytes removed from the front of each frame before it is handed out;
  /// nullopt means "the whole header" (offset + field width).
  std::optional<std::uint64_t> strip;

  /// The largest value the field can hold: 2^(8*width) - 1, or 2^(8*width-1) - 1
  /// when signed; a varint 2^(7*bytes) - 1, any 64-bit value at 10 bytes.
  std::uint64_t largest_value() const noexcept {
    if (width == 0)
      return varint_bytes >= 10 ? UINT64_MAX : (std::uint64_t{1} << (7u * varint_bytes)) - 1;
    if (width == 8) return is_signed ? INT64_MAX : UINT64_MAX;
    return (std::uint64_t{1} << (8u * width - (is_signed ? 1u : 0u))) - 1;
  }

  friend bool operator==(const length_field&, const length_field&) = default;
};

struct framing_spec {
  framing_kind kind = framing_kind::raw;

  /// `delim:` delimiters, in the order given. `line` uses "\n" internally.
  std::vector<byte_buffer> delimiters;
  bool keep_delimiter = false; ///< `delim:...,keep`: frames end with their delimiter
  bool strict_crlf = false;    ///< `line,crlf`: a bare LF is an error

  std::uint64_t fixed_size = 0; ///< `fixed:N`

  length_field field; ///< `len:` and `varint`
  /// `field=NAME:TYPE`: named header fields, in the order given, from the
  /// frame's first byte on; the length field's offset is at least their width.
  std::vector<header_field> fields;

  std::uint64_t max = framing_limits::default_max;
  max_applies_to max_of = max_applies_to::frame;
  too_long_policy too_long = too_long_policy::fail;
  eof_policy at_eof = eof_policy::error;

  friend bool operator==(const framing_spec&, const framing_spec&) = default;

  /// Bytes of header before the payload of a length-prefixed frame, for a
  /// fixed-width field (offset + width).
  std::uint64_t header_size() const noexcept { return field.offset + field.width; }
  bool is_length_based() const noexcept {
    return kind == framing_kind::length_prefixed || kind == framing_kind::varint;
  }
  /// The header field called `name`, or null.
  const header_field* field_named(std::string_view name) const noexcept {
    for (const auto& f : fields)
      if (f.name == name) return &f;
    return nullptr;
  }
  bool is_delimiter_based() const noexcept {
    return kind == framing_kind::line || kind == framing_kind::delimited;
  }
};

/// Where and why a spec's text was refused.
struct spec_error {
  std::error_code code;
  std::size_t column = 0; ///< 1-based column of the offending part
  std::string reason;
};

/// "column 5: unknown length type 'u33' (expected u8, u16, ...)"
std::string to_string(const spec_error& e);

/// Parses and lints `text`. On failure returns nullopt and fills `error`.
std::optional<framing_spec> parse_framing_spec(std::string_view text, spec_error& error);

/// Parses `text` without linting it: for `tcpcheck lint`, which reports
/// every finding rather than the first error. Do not decode with the result
/// unless lint_framing_spec found no errors.
std::optional<framing_spec> parse_framing_spec_syntax(std::string_view text, spec_error& error);

/// The canonical text of `spec`.
std::string to_string(const framing_spec& spec);

/// The kind's name as written in a spec: "raw", "line", "delim", ...
std::string_view kind_name(framing_kind kind) noexcept;

} // namespace tcpcheck
