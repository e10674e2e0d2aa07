// Tests for framing_lint.hpp: every error and warning the linter emits.
#include "tcpcheck/framing_lint.hpp"

#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace tcpcheck {
namespace {

using test::spec_of;

std::vector<std::string> findings_of(const framing_spec& spec) {
  std::vector<std::string> out;
  for (const auto& f : lint_framing_spec(spec))
    out.push_back(to_string(f));
  return out;
}

// The single finding for `spec`, which must have exactly one.
lint_finding only_finding(const framing_spec& spec) {
  const auto findings = lint_framing_spec(spec);
  EXPECT_EQ(findings.size(), 1u) << ::testing::PrintToString(findings_of(spec));
  return findings.empty() ? lint_finding{} : findings.front();
}

framing_spec hand_built(framing_kind kind) {
  framing_spec s;
  s.kind = kind;
  return s;
}

TEST(FramingLint, FindsNothingInSensibleSpecs) {
  for (const std::string_view text :
       {"raw", "line", "line,crlf,max=100", "delim:\\r\\n|\\n", "delim:;,keep", "fixed:4", "varint",
        "varint,max=100", "len:u32be", "len:u8", "len:u8,max=256",
        "len:u16be,offset=1,adjust=1,strip=3", "len:u16be,adjust=-2,strip=0", "len:u64be,max=1K",
        "len:i8,adjust=-127", "len:u8,max=255,max-of=field"}) {
    SCOPED_TRACE(text);
    EXPECT_TRUE(lint_framing_spec(spec_of(text)).empty())
        << ::testing::PrintToString(findings_of(spec_of(text)));
  }
}

TEST(FramingLint, ReportsAnAdjustBelowTheLargestFieldValueAsAnError) {
  framing_spec s = spec_of("len:u8");
  s.field.adjust = -256;
  const lint_finding f = only_finding(s);
  EXPECT_EQ(f.severity, lint_severity::error);
  EXPECT_EQ(f.option, "adjust");
  EXPECT_NE(f.reason.find("-256"), std::string::npos) << f.reason;

  framing_spec i16 = spec_of("len:i16le");
  i16.field.adjust = -32768;
  EXPECT_EQ(only_finding(i16).option, "adjust");
}

TEST(FramingLint, AcceptsAnAdjustThatOnlyTheLargestValueSurvives) {
  framing_spec s = spec_of("len:u8");
  s.field.adjust = -255;
  EXPECT_TRUE(lint_framing_spec(s).empty());
  s.field.is_signed = true;
  EXPECT_EQ(only_finding(s).option, "adjust") << "i8 holds at most 127";
}

TEST(FramingLint, WarnsAboutAStripBeyondTheHeader) {
  const framing_spec s = spec_of("len:u16be,offset=1,strip=4");
  const lint_finding f = only_finding(s);
  EXPECT_EQ(f.severity, lint_severity::warning);
  EXPECT_EQ(f.option, "strip");
  EXPECT_NE(f.reason.find("3-byte header"), std::string::npos) << f.reason;
  EXPECT_TRUE(lint_framing_spec(spec_of("len:u16be,offset=1,strip=3")).empty());
}

TEST(FramingLint, ReportsAMaxBelowTheHeaderAsAnError) {
  framing_spec s = spec_of("len:u32be,offset=2");
  s.max = 5;
  const lint_finding f = only_finding(s);
  EXPECT_EQ(f.severity, lint_severity::error);
  EXPECT_EQ(f.option, "max");
  s.max = 6; // only empty frames fit, but they do
  EXPECT_TRUE(lint_framing_spec(s).empty());

  framing_spec v = spec_of("varint,offset=2");
  v.max = 2;
  EXPECT_EQ(only_finding(v).severity, lint_severity::error) << "a varint takes at least one byte";
}

TEST(FramingLint, DoesNotCompareAFieldMaxWithTheHeader) {
  EXPECT_TRUE(lint_framing_spec(spec_of("len:u32be,offset=8,max=1,max-of=field")).empty());
}

TEST(FramingLint, WarnsAboutAFrameMaxTheFieldCanNeverReach) {
  EXPECT_TRUE(lint_framing_spec(spec_of("len:u8,max=256")).empty());
  const lint_finding f = only_finding(spec_of("len:u8,max=257"));
  EXPECT_EQ(f.severity, lint_severity::warning);
  EXPECT_EQ(f.option, "max");
  EXPECT_NE(f.reason.find("256"), std::string::npos) << f.reason;
  EXPECT_TRUE(lint_framing_spec(spec_of("len:u8,adjust=10,max=266")).empty());
  EXPECT_EQ(only_finding(spec_of("len:u8,adjust=10,max=267")).option, "max");
  EXPECT_EQ(only_finding(spec_of("len:i16be,max=40000")).option, "max");
}

TEST(FramingLint, WarnsAboutAFieldMaxTheFieldCanNeverHold) {
  EXPECT_TRUE(lint_framing_spec(spec_of("len:u8,max=255,max-of=field")).empty());
  const lint_finding f = only_finding(spec_of("len:u8,max=256,max-of=field"));
  EXPECT_EQ(f.severity, lint_severity::warning);
  EXPECT_EQ(f.option, "max");
  EXPECT_NE(f.reason.find("value"), std::string::npos) << f.reason;
}

TEST(FramingLint, DoesNotWarnAboutTheDefaultMax) {
  EXPECT_TRUE(lint_framing_spec(spec_of("len:u8")).empty());
  EXPECT_TRUE(lint_framing_spec(spec_of("len:u16le,max-of=field")).empty());
}

TEST(FramingLint, ReportsARepeatedDelimiterAsAnError) {
  framing_spec s = spec_of("delim:a|b|c");
  s.delimiters[2] = s.delimiters[0];
  const lint_finding f = only_finding(s);
  EXPECT_EQ(f.severity, lint_severity::error);
  EXPECT_EQ(f.option, "delim");
  EXPECT_NE(f.reason.find("3"), std::string::npos) << f.reason;
  EXPECT_NE(f.reason.find("1"), std::string::npos) << f.reason;
}

TEST(FramingLint, WarnsThatKeepWithEofEmitGivesALastFrameWithoutDelimiter) {
  const lint_finding f = only_finding(spec_of("delim:\\n,keep,eof=emit"));
  EXPECT_EQ(f.severity, lint_severity::warning);
  EXPECT_EQ(f.option, "eof");
  EXPECT_TRUE(lint_framing_spec(spec_of("delim:\\n,keep,eof=drop")).empty());
  EXPECT_TRUE(lint_framing_spec(spec_of("delim:\\n,eof=emit")).empty());
}

TEST(FramingLint, ReportsADelimSpecWithoutDelimitersAsAnError) {
  const lint_finding f = only_finding(hand_built(framing_kind::delimited));
  EXPECT_EQ(f.severity, lint_severity::error);
  EXPECT_EQ(f.option, "delim");
}

TEST(FramingLint, ReportsFixedSizeZeroAsAnError) {
  const lint_finding f = only_finding(hand_built(framing_kind::fixed));
  EXPECT_EQ(f.severity, lint_severity::error);
  EXPECT_EQ(f.option, "fixed");
}

TEST(FramingLint, ReportsAMaxOutsideItsRangeAsAnError) {
  for (const std::uint64_t max : {std::uint64_t{0}, framing_limits::largest_max + 1}) {
    SCOPED_TRACE(max);
    framing_spec s = hand_built(framing_kind::line);
    s.max = max;
    const lint_finding f = only_finding(s);
    EXPECT_EQ(f.severity, lint_severity::error);
    EXPECT_EQ(f.option, "max");
  }
  framing_spec largest = hand_built(framing_kind::raw);
  largest.max = framing_limits::largest_max;
  EXPECT_TRUE(lint_framing_spec(largest).empty());
}

TEST(FramingLint, ListsErrorsBeforeWarnings) {
  // strip beyond the header (a warning) is found before max below the header (an error).
  framing_spec s = spec_of("len:u8,offset=4,strip=10");
  s.max = 3;
  const auto findings = lint_framing_spec(s);
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_EQ(findings[0].severity, lint_severity::error);
  EXPECT_EQ(findings[0].option, "max");
  EXPECT_EQ(findings[1].severity, lint_severity::warning);
  EXPECT_EQ(findings[1].option, "strip");
}

TEST(FramingLint, PrintsSeverityOptionAndReason) {
  const lint_finding error_finding{lint_severity::error, "strip", "strips 9 bytes"};
  EXPECT_EQ(to_string(error_finding), "error: strip: strips 9 bytes");
  const lint_finding warning{lint_severity::warning, "max", "can never be reached"};
  EXPECT_EQ(to_string(warning), "warning: max: can never be reached");
}

TEST(FramingLint, ParserRefusesErrorsButAcceptsWarnings) {
  spec_error e;
  EXPECT_FALSE(parse_framing_spec("len:u16be,max=1", e).has_value());
  EXPECT_EQ(e.code, error::spec_inconsistent);
  EXPECT_TRUE(parse_framing_spec("len:u8,max=1000", e).has_value()) << to_string(e);
  EXPECT_TRUE(parse_framing_spec("len:u8,strip=3", e).has_value()) << to_string(e);
  EXPECT_TRUE(parse_framing_spec("delim:;,keep,eof=emit", e).has_value()) << to_string(e);
}

} // namespace
} // namespace tcpcheck
