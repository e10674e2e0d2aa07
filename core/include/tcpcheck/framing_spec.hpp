// A framing spec: how a byte stream is cut into messages, and its text form.
//
// Users type specs on the command line and in scripts, so the text is short
// and strict (docs/framing.md has the full grammar):
//
//   raw                      the whole stream is one message
//   line                     LF-terminated lines, one trailing CR dropped
//   line,crlf                lines that must end in CRLF
//   delim:\r\n|\0            any of the listed delimiters: the one that starts
//                            first ends the frame (the longer on a tie)
//   fixed:16                 16-byte messages
//   varint                   LEB128 length prefix (protobuf style)
//   len:u32be                a 4-byte big-endian length prefix
//   len:i32le,max=64K        the seed article's struct.pack('i') header, capped
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

enum class framing_kind { raw, line, delimited, fixed, varint, length_prefixed };

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
};

/// The length field of `len:` and `varint` framing.
struct length_field {
  /// Width in bytes: 1, 2, 3, 4 or 8; 0 for a varint.
  std::uint8_t width = 4;
  bool is_signed = false;
  byte_order order = byte_order::big;
  std::uint32_t offset = 0; ///< bytes before the field (part of the header)
  std::int64_t adjust = 0;  ///< added to the field's value: bytes after the field = value + adjust
  /// Bytes removed from the front of each frame before it is handed out;
  /// nullopt means "the whole header" (offset + field width).
  std::optional<std::uint64_t> strip;

  /// The largest value the field can hold: 2^(8*width) - 1, or 2^(8*width-1) - 1
  /// when signed; a varint holds any 64-bit value.
  std::uint64_t largest_value() const noexcept {
    if (width == 0) return UINT64_MAX;
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
