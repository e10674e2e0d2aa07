// tcpcheck's error category, condition category, and the mapping between them.
#include "tcpcheck/error.hpp"

namespace tcpcheck {

namespace {

class error_category_impl final : public std::error_category {
public:
  const char* name() const noexcept override { return "tcpcheck"; }

  std::string message(int value) const override {
    switch (static_cast<error>(value)) {
    case error::spec_syntax:
      return "malformed framing spec";
    case error::spec_unknown_kind:
      return "unknown framing kind";
    case error::spec_unknown_option:
      return "unknown framing option";
    case error::spec_option_not_valid:
      return "option not valid for this framing kind";
    case error::spec_duplicate_option:
      return "option given twice";
    case error::spec_bad_value:
      return "bad option value";
    case error::spec_bad_escape:
      return "bad escape sequence";
    case error::spec_missing_argument:
      return "framing kind needs an argument";
    case error::spec_inconsistent:
      return "framing options contradict each other";
    case error::frame_too_long:
      return "frame too long";
    case error::negative_length:
      return "negative length";
    case error::length_below_header:
      return "length below header size";
    case error::frame_shorter_than_strip:
      return "frame shorter than the bytes to strip";
    case error::varint_overflow:
      return "varint overflow";
    case error::bare_line_feed:
      return "bare line feed";
    case error::truncated_frame:
      return "truncated frame";
    case error::decoder_failed:
      return "decoder already failed or finished";
    case error::payload_too_long:
      return "payload too long";
    case error::length_not_representable:
      return "length not representable in the field";
    case error::payload_has_delimiter:
      return "payload contains a delimiter";
    case error::payload_wrong_size:
      return "payload of the wrong size";
    case error::spec_not_encodable:
      return "spec cannot encode";
    case error::field_not_representable:
      return "header field value not representable";
    }
    return "unknown tcpcheck error " + std::to_string(value);
  }

  std::error_condition default_error_condition(int value) const noexcept override {
    switch (static_cast<error>(value)) {
    case error::spec_syntax:
    case error::spec_unknown_kind:
    case error::spec_unknown_option:
    case error::spec_option_not_valid:
    case error::spec_duplicate_option:
    case error::spec_bad_value:
    case error::spec_bad_escape:
    case error::spec_missing_argument:
    case error::spec_inconsistent:
    case error::spec_not_encodable:
      return condition::invalid_argument;
    case error::frame_too_long:
    case error::payload_too_long:
    case error::length_not_representable:
    case error::field_not_representable:
      return condition::limit_exceeded;
    case error::negative_length:
    case error::length_below_header:
    case error::frame_shorter_than_strip:
    case error::varint_overflow:
    case error::bare_line_feed:
    case error::truncated_frame:
      return condition::malformed_input;
    case error::payload_has_delimiter:
    case error::payload_wrong_size:
      return condition::invalid_argument;
    case error::decoder_failed:
      return condition::protocol_violation;
    }
    return {value, *this};
  }
};

class condition_category_impl final : public std::error_category {
public:
  const char* name() const noexcept override { return "tcpcheck-condition"; }

  std::string message(int value) const override {
    switch (static_cast<condition>(value)) {
    case condition::malformed_input:
      return "malformed input";
    case condition::limit_exceeded:
      return "limit exceeded";
    case condition::protocol_violation:
      return "protocol violation";
    case condition::timeout:
      return "timeout";
    case condition::invalid_argument:
      return "invalid argument";
    }
    return "unknown tcpcheck condition " + std::to_string(value);
  }
};

} // namespace

const std::error_category& error_category() noexcept {
  static const error_category_impl category;
  return category;
}

const std::error_category& condition_category() noexcept {
  static const condition_category_impl category;
  return category;
}

std::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), error_category()};
}

std::error_condition make_error_condition(condition c) noexcept {
  return {static_cast<int>(c), condition_category()};
}

std::string to_string(const stream_error& e) {
  if (!e.code) return "no error";
  return e.code.message() + " at byte " + std::to_string(e.offset) + ": " + e.reason;
}

} // namespace tcpcheck
