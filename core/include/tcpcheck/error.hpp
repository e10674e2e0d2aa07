// tcpcheck's error codes and the conditions that group them.
//
// Every failure tcpcheck reports is a std::error_code in tcpcheck's category.
// Reports and exit codes never look at individual codes: they ask which
// condition a code belongs to (malformed input, a limit exceeded, a protocol
// violation, a timeout, an invalid spec or argument), so new codes can be
// added without touching the code that judges them.
//
//   std::error_code ec = tcpcheck::error::frame_too_long;
//   if (ec == tcpcheck::condition::limit_exceeded) { ... }
#pragma once

#include <cstdint>
#include <string>
#include <system_error>

namespace tcpcheck {

/// Individual failures. Values are stable: they appear in JSON reports.
enum class error {
  // A framing spec (the text a user types) that cannot be used.
  spec_syntax = 1,       ///< malformed text: a stray character, an empty part
  spec_unknown_kind,     ///< the framing kind is not one tcpcheck knows
  spec_unknown_option,   ///< no option has that name
  spec_option_not_valid, ///< the option exists but not for this kind
  spec_duplicate_option, ///< an option given twice
  spec_bad_value,        ///< a value that is not a number, or out of range
  spec_bad_escape,       ///< a backslash escape that is not defined
  spec_missing_argument, ///< `delim:`, `fixed:` or `len:` without its argument
  spec_inconsistent,     ///< options that contradict each other (the linter's errors)

  // A byte stream that does not follow its framing spec.
  frame_too_long = 20,      ///< above the spec's `max`
  negative_length,          ///< a signed length field holds a negative value
  length_below_header,      ///< field value plus adjustment is negative
  frame_shorter_than_strip, ///< the frame ends before the bytes to strip do
  varint_overflow,          ///< a varint longer than 10 bytes or above 2^64-1
  bare_line_feed,           ///< strict CRLF framing saw an LF without CR
  truncated_frame,          ///< the stream ended inside a frame
  decoder_failed,           ///< input offered after the decoder already failed

  // A payload that cannot be framed without changing it.
  payload_too_long = 40,    ///< the framed payload would exceed `max`
  length_not_representable, ///< the length does not fit the length field
  payload_has_delimiter,    ///< the payload would be cut at a delimiter inside it
  payload_wrong_size,       ///< `fixed:N` framing and a payload of another size
  spec_not_encodable,       ///< `raw` framing: there are no boundaries to write
  field_not_representable,  ///< a header field's value does not fit its width
};

/// What kind of failure a code is. Reports and exit codes key on these.
enum class condition {
  malformed_input = 1, ///< bytes that break the format's rules
  limit_exceeded,      ///< a size above a declared limit
  protocol_violation,  ///< a peer that broke the conversation's rules
  timeout,             ///< a wait that ran out
  invalid_argument,    ///< a spec, script or argument the user must fix
};

const std::error_category& error_category() noexcept;
const std::error_category& condition_category() noexcept;

std::error_code make_error_code(error e) noexcept;
std::error_condition make_error_condition(condition c) noexcept;

/// A failure in a byte stream: what, where (byte offset from the start of
/// the stream), and a one-line reason a person can act on.
struct stream_error {
  std::error_code code;
  std::uint64_t offset = 0;
  std::string reason;

  explicit operator bool() const noexcept { return static_cast<bool>(code); }
  friend bool operator==(const stream_error&, const stream_error&) = default;
};

/// "frame too long at byte 12: frame of 70000 bytes is above max=65536"
std::string to_string(const stream_error& e);

} // namespace tcpcheck

template <>
struct std::is_error_code_enum<tcpcheck::error> : std::true_type {};
template <>
struct std::is_error_condition_enum<tcpcheck::condition> : std::true_type {};
