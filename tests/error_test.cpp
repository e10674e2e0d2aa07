// Tests for error.hpp: codes, the conditions that group them, and stream errors.
#include "tcpcheck/error.hpp"

#include <set>
#include <string>
#include <system_error>
#include <vector>

#include <gtest/gtest.h>

namespace tcpcheck {
namespace {

const std::vector<error> spec_errors{
    error::spec_syntax,           error::spec_unknown_kind,     error::spec_unknown_option,
    error::spec_option_not_valid, error::spec_duplicate_option, error::spec_bad_value,
    error::spec_bad_escape,       error::spec_missing_argument, error::spec_inconsistent,
};

const std::vector<error> malformed_stream_errors{
    error::negative_length, error::length_below_header, error::frame_shorter_than_strip,
    error::varint_overflow, error::bare_line_feed,      error::truncated_frame,
};

std::vector<error> all_errors() {
  std::vector<error> all = spec_errors;
  all.insert(all.end(), malformed_stream_errors.begin(), malformed_stream_errors.end());
  for (const error e : {error::frame_too_long, error::decoder_failed, error::payload_too_long,
                        error::length_not_representable, error::payload_has_delimiter,
                        error::payload_wrong_size, error::spec_not_encodable})
    all.push_back(e);
  return all;
}

const std::vector<condition> all_conditions{
    condition::malformed_input, condition::limit_exceeded,   condition::protocol_violation,
    condition::timeout,         condition::invalid_argument,
};

TEST(Error, ConvertsImplicitlyToAnErrorCodeInTheTcpcheckCategory) {
  const std::error_code ec = error::frame_too_long;
  EXPECT_TRUE(ec);
  EXPECT_EQ(&ec.category(), &error_category());
  EXPECT_STREQ(ec.category().name(), "tcpcheck");
  EXPECT_EQ(ec, make_error_code(error::frame_too_long));
  EXPECT_EQ(ec, error::frame_too_long);
  EXPECT_NE(ec, error::negative_length);
}

TEST(Error, KeepsTheValuesReportsDependOn) {
  EXPECT_EQ(static_cast<int>(error::spec_syntax), 1);
  EXPECT_EQ(static_cast<int>(error::spec_inconsistent), 9);
  EXPECT_EQ(static_cast<int>(error::frame_too_long), 20);
  EXPECT_EQ(static_cast<int>(error::decoder_failed), 27);
  EXPECT_EQ(static_cast<int>(error::payload_too_long), 40);
  EXPECT_EQ(static_cast<int>(error::spec_not_encodable), 44);
  EXPECT_EQ(make_error_code(error::truncated_frame).value(), 26);
}

TEST(Error, GroupsEverySpecErrorUnderInvalidArgument) {
  for (const error e : spec_errors) {
    SCOPED_TRACE(static_cast<int>(e));
    EXPECT_EQ(make_error_code(e), condition::invalid_argument);
  }
}

TEST(Error, GroupsStreamsThatBreakTheFormatUnderMalformedInput) {
  for (const error e : malformed_stream_errors) {
    SCOPED_TRACE(static_cast<int>(e));
    EXPECT_EQ(make_error_code(e), condition::malformed_input);
  }
}

TEST(Error, GroupsSizesAboveLimitsUnderLimitExceeded) {
  const std::error_code too_long = error::frame_too_long;
  EXPECT_EQ(too_long, condition::limit_exceeded);
  EXPECT_EQ(std::error_code(error::payload_too_long), condition::limit_exceeded);
  EXPECT_EQ(std::error_code(error::length_not_representable), condition::limit_exceeded);
}

TEST(Error, GroupsEncoderRefusalsOfTheCallersInputUnderInvalidArgument) {
  EXPECT_EQ(std::error_code(error::payload_has_delimiter), condition::invalid_argument);
  EXPECT_EQ(std::error_code(error::payload_wrong_size), condition::invalid_argument);
  EXPECT_EQ(std::error_code(error::spec_not_encodable), condition::invalid_argument);
}

TEST(Error, GroupsInputAfterFailureUnderProtocolViolation) {
  EXPECT_EQ(std::error_code(error::decoder_failed), condition::protocol_violation);
}

TEST(Error, PutsEveryCodeInExactlyOneCondition) {
  for (const error e : all_errors()) {
    SCOPED_TRACE(static_cast<int>(e));
    int matches = 0;
    for (const condition c : all_conditions)
      matches += make_error_code(e) == c ? 1 : 0;
    EXPECT_EQ(matches, 1);
    EXPECT_NE(make_error_code(e), condition::timeout);
  }
}

TEST(Error, GivesEveryCodeItsOwnMessage) {
  std::set<std::string> messages;
  for (const error e : all_errors()) {
    const std::string message = make_error_code(e).message();
    SCOPED_TRACE(message);
    EXPECT_FALSE(message.empty());
    EXPECT_EQ(message.find("unknown tcpcheck error"), std::string::npos);
    EXPECT_TRUE(messages.insert(message).second) << "message used twice";
  }
}

TEST(Error, SaysAnUnknownValueIsUnknown) {
  const std::error_code ec(999, error_category());
  EXPECT_NE(ec.message().find("999"), std::string::npos) << ec.message();
  for (const condition c : all_conditions)
    EXPECT_NE(ec, c);
}

TEST(Error, DoesNotEqualUnrelatedStandardConditions) {
  const std::error_code ec = error::spec_syntax;
  EXPECT_NE(ec, std::errc::invalid_argument);
  EXPECT_NE(std::error_code(error::frame_too_long), std::errc::message_size);
}

TEST(Condition, HasItsOwnCategoryAndAMessageForEachCondition) {
  std::set<std::string> messages;
  for (const condition c : all_conditions) {
    const std::error_condition cond = c;
    EXPECT_EQ(&cond.category(), &condition_category());
    EXPECT_TRUE(messages.insert(cond.message()).second) << cond.message();
  }
  EXPECT_STREQ(condition_category().name(), "tcpcheck-condition");
  EXPECT_EQ(make_error_condition(condition::timeout).message(), "timeout");
  EXPECT_EQ(make_error_condition(condition::limit_exceeded).message(), "limit exceeded");
}

TEST(StreamError, IsFalseUntilItHoldsACode) {
  stream_error e;
  EXPECT_FALSE(e);
  e.code = error::truncated_frame;
  EXPECT_TRUE(e);
}

TEST(StreamError, ComparesCodeOffsetAndReason) {
  const stream_error a{error::frame_too_long, 12, "too long"};
  EXPECT_EQ(a, (stream_error{error::frame_too_long, 12, "too long"}));
  EXPECT_NE(a, (stream_error{error::frame_too_long, 13, "too long"}));
  EXPECT_NE(a, (stream_error{error::negative_length, 12, "too long"}));
  EXPECT_NE(a, (stream_error{error::frame_too_long, 12, "other"}));
}

TEST(StreamError, PrintsWhatWhereAndWhyOnOneLine) {
  const stream_error e{error::frame_too_long, 12, "frame of 70000 bytes is above max=65536"};
  const std::string text = to_string(e);
  EXPECT_EQ(text, make_error_code(error::frame_too_long).message() +
                      " at byte 12: frame of 70000 bytes is above max=65536");
  EXPECT_EQ(text.find('\n'), std::string::npos);
}

TEST(StreamError, PrintsNoErrorWhenEmpty) {
  EXPECT_EQ(to_string(stream_error{}), "no error");
}

} // namespace
} // namespace tcpcheck
