// Tests for framing_spec.hpp: the spec grammar, its errors, and canonical printing.
#include "tcpcheck/framing_spec.hpp"

#include "tcpcheck/framing_lint.hpp"

#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace tcpcheck {
namespace {

using test::spec_of;

// Asserts that `text` is refused with `code` at 1-based `column`, with a reason.
void expect_refused(std::string_view text, error code, std::size_t column) {
  SCOPED_TRACE("spec '" + std::string(text) + "'");
  spec_error e;
  const auto spec = parse_framing_spec(text, e);
  EXPECT_FALSE(spec.has_value()) << "parsed as " << to_string(*spec);
  EXPECT_EQ(e.code, code) << e.code.message() << ": " << to_string(e);
  EXPECT_EQ(e.column, column) << to_string(e);
  EXPECT_FALSE(e.reason.empty());
  EXPECT_EQ(e.code, condition::invalid_argument);
}

byte_buffer bytes(std::string_view text) {
  const byte_view v = as_bytes(text);
  return {v.begin(), v.end()};
}

// --- The kinds -------------------------------------------------------------

TEST(FramingSpec, DefaultsToRawWithTheDocumentedLimits) {
  const framing_spec s;
  EXPECT_EQ(s.kind, framing_kind::raw);
  EXPECT_EQ(s.max, 8u << 20);
  EXPECT_EQ(s.max_of, max_applies_to::frame);
  EXPECT_EQ(s.too_long, too_long_policy::fail);
  EXPECT_EQ(s.at_eof, eof_policy::error);
  EXPECT_FALSE(s.field.strip.has_value());
}

TEST(FramingSpec, ParsesRaw) {
  const framing_spec s = spec_of("raw");
  EXPECT_EQ(s.kind, framing_kind::raw);
  EXPECT_EQ(s, framing_spec{});
}

TEST(FramingSpec, ParsesLineAndLineCrlf) {
  const framing_spec line = spec_of("line");
  EXPECT_EQ(line.kind, framing_kind::line);
  EXPECT_FALSE(line.strict_crlf);
  EXPECT_TRUE(line.is_delimiter_based());
  const framing_spec crlf = spec_of("line,crlf");
  EXPECT_EQ(crlf.kind, framing_kind::line);
  EXPECT_TRUE(crlf.strict_crlf);
}

TEST(FramingSpec, ParsesDelimitersInTheOrderGiven) {
  const framing_spec s = spec_of("delim:\\r\\n|\\0|END");
  EXPECT_EQ(s.kind, framing_kind::delimited);
  ASSERT_EQ(s.delimiters.size(), 3u);
  EXPECT_EQ(s.delimiters[0], bytes("\r\n"));
  EXPECT_EQ(s.delimiters[1], byte_buffer{0});
  EXPECT_EQ(s.delimiters[2], bytes("END"));
  EXPECT_FALSE(s.keep_delimiter);
  EXPECT_TRUE(s.is_delimiter_based());
}

TEST(FramingSpec, ParsesEscapedSeparatorsInsideADelimiter) {
  const framing_spec s = spec_of("delim:a\\|b|\\,|\\x7c");
  ASSERT_EQ(s.delimiters.size(), 3u);
  EXPECT_EQ(s.delimiters[0], bytes("a|b"));
  EXPECT_EQ(s.delimiters[1], bytes(","));
  EXPECT_EQ(s.delimiters[2], bytes("|"));
}

TEST(FramingSpec, ParsesKeep) {
  EXPECT_TRUE(spec_of("delim:;,keep").keep_delimiter);
}

TEST(FramingSpec, ParsesFixedSizesInDecimalHexAndBinarySuffixes) {
  EXPECT_EQ(spec_of("fixed:16").fixed_size, 16u);
  EXPECT_EQ(spec_of("fixed:0x10").fixed_size, 16u);
  EXPECT_EQ(spec_of("fixed:2K").fixed_size, 2048u);
  EXPECT_EQ(spec_of("fixed:1m").fixed_size, 1u << 20);
  EXPECT_EQ(spec_of("fixed:1G").fixed_size, 1u << 30);
  EXPECT_EQ(spec_of("fixed:16").kind, framing_kind::fixed);
}

TEST(FramingSpec, ParsesVarintAsAFieldOfWidthZero) {
  const framing_spec s = spec_of("varint");
  EXPECT_EQ(s.kind, framing_kind::varint);
  EXPECT_EQ(s.field.width, 0);
  EXPECT_TRUE(s.is_length_based());
  EXPECT_FALSE(s.is_delimiter_based());
}

TEST(FramingSpec, ParsesEveryLengthFieldType) {
  struct type_case {
    std::string_view text;
    int width;
    bool is_signed;
    byte_order order;
  };
  const type_case cases[] = {
      {"u8", 1, false, byte_order::big},    {"i8", 1, true, byte_order::big},
      {"u16be", 2, false, byte_order::big}, {"u16le", 2, false, byte_order::little},
      {"i16be", 2, true, byte_order::big},  {"i16le", 2, true, byte_order::little},
      {"u24be", 3, false, byte_order::big}, {"u24le", 3, false, byte_order::little},
      {"u32be", 4, false, byte_order::big}, {"u32le", 4, false, byte_order::little},
      {"i32be", 4, true, byte_order::big},  {"i32le", 4, true, byte_order::little},
      {"u64be", 8, false, byte_order::big}, {"u64le", 8, false, byte_order::little},
      {"i64be", 8, true, byte_order::big},  {"i64le", 8, true, byte_order::little},
      {"u32", 4, false, byte_order::big},   {"i16", 2, true, byte_order::big},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    const framing_spec s = spec_of("len:" + std::string(c.text));
    EXPECT_EQ(s.kind, framing_kind::length_prefixed);
    EXPECT_EQ(s.field.width, c.width);
    EXPECT_EQ(s.field.is_signed, c.is_signed);
    EXPECT_EQ(s.field.order, c.order);
    EXPECT_EQ(s.header_size(), static_cast<std::uint64_t>(c.width));
  }
}

// --- The options -----------------------------------------------------------

TEST(FramingSpec, ParsesEveryLengthOption) {
  const framing_spec s = spec_of(
      "len:u16be,offset=2,adjust=-4,strip=0,max=1000,max-of=field,too-long=discard,eof=emit");
  EXPECT_EQ(s.field.offset, 2u);
  EXPECT_EQ(s.field.adjust, -4);
  EXPECT_EQ(s.field.strip, 0u);
  EXPECT_EQ(s.max, 1000u);
  EXPECT_EQ(s.max_of, max_applies_to::field);
  EXPECT_EQ(s.too_long, too_long_policy::discard);
  EXPECT_EQ(s.at_eof, eof_policy::emit);
  EXPECT_EQ(s.header_size(), 4u);
}

TEST(FramingSpec, ParsesAdjustWithEitherSign) {
  EXPECT_EQ(spec_of("len:u32be,adjust=+3").field.adjust, 3);
  EXPECT_EQ(spec_of("len:u32be,adjust=3").field.adjust, 3);
  EXPECT_EQ(spec_of("len:u32be,adjust=-3").field.adjust, -3);
  EXPECT_EQ(spec_of("len:u32be,adjust=-0x10").field.adjust, -16);
  EXPECT_EQ(spec_of("len:u32be,adjust=1G").field.adjust, 1 << 30);
}

TEST(FramingSpec, ParsesOffsetAndAdjustForVarint) {
  const framing_spec s = spec_of("varint,offset=3,adjust=2,max-of=field");
  EXPECT_EQ(s.field.offset, 3u);
  EXPECT_EQ(s.field.adjust, 2);
  EXPECT_EQ(s.max_of, max_applies_to::field);
}

TEST(FramingSpec, LeavesStripUnsetUnlessGiven) {
  EXPECT_FALSE(spec_of("len:u32be").field.strip.has_value());
  EXPECT_EQ(spec_of("len:u32be,strip=4").field.strip, 4u);
}

TEST(FramingSpec, ParsesMaxWithSuffixesUpToOneGibibyte) {
  EXPECT_EQ(spec_of("line,max=64K").max, 64u << 10);
  EXPECT_EQ(spec_of("line,max=0x200").max, 512u);
  EXPECT_EQ(spec_of("raw,max=3M").max, 3u << 20);
  EXPECT_EQ(spec_of("len:u32be,max=1G").max, framing_limits::largest_max);
  EXPECT_EQ(spec_of("delim:;,max=1").max, 1u);
}

TEST(FramingSpec, ParsesEveryEofPolicy) {
  EXPECT_EQ(spec_of("line,eof=error").at_eof, eof_policy::error);
  EXPECT_EQ(spec_of("line,eof=drop").at_eof, eof_policy::drop);
  EXPECT_EQ(spec_of("fixed:4,eof=emit").at_eof, eof_policy::emit);
}

TEST(FramingSpec, ParsesEveryTooLongPolicy) {
  EXPECT_EQ(spec_of("line,too-long=fail").too_long, too_long_policy::fail);
  EXPECT_EQ(spec_of("delim:;,too-long=discard").too_long, too_long_policy::discard);
  EXPECT_EQ(spec_of("varint,too-long=discard").too_long, too_long_policy::discard);
}

TEST(FramingSpec, ParsesMaxOfFrameAndField) {
  EXPECT_EQ(spec_of("len:u8,max-of=frame").max_of, max_applies_to::frame);
  EXPECT_EQ(spec_of("len:u8,max-of=field").max_of, max_applies_to::field);
}

TEST(FramingSpec, AcceptsOptionsInAnyOrder) {
  EXPECT_EQ(spec_of("line,eof=emit,crlf,max=10"), spec_of("line,crlf,max=10,eof=emit"));
}

// --- Canonical printing ----------------------------------------------------

TEST(FramingSpec, PrintsTheCanonicalForm) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"raw", "raw"},
      {"raw,max=1K", "raw,max=1K"},
      {"line", "line"},
      {"line,crlf", "line,crlf"},
      {"line,crlf,max=100,too-long=discard,eof=emit",
       "line,max=100,too-long=discard,eof=emit,crlf"},
      {"line,max=1048576", "line,max=1M"},
      {"line,max=0x400", "line,max=1K"},
      {"line,max=8M", "line"},
      {"line,eof=error,too-long=fail", "line"},
      {"delim:\\r\\n|\\0", "delim:\\r\\n|\\0"},
      {"delim:\\x0d\\x0A", "delim:\\r\\n"},
      {"delim:\\||\\,", "delim:\\x7c|\\x2c"},
      {"delim:;,keep,eof=drop", "delim:;,eof=drop,keep"},
      {"fixed:0x10", "fixed:16"},
      {"fixed:1K", "fixed:1024"},
      {"fixed:16,eof=emit", "fixed:16,eof=emit"},
      {"varint", "varint"},
      {"varint,max-of=field,max=64K,adjust=+2,offset=1",
       "varint,offset=1,adjust=2,max=64K,max-of=field"},
      {"len:u32", "len:u32be"},
      {"len:u8", "len:u8"},
      {"len:i8", "len:i8"},
      {"len:i64le,eof=error,too-long=fail,max-of=frame,max=8M", "len:i64le"},
      {"len:u16le,offset=2,adjust=-4,strip=0,max=1000,max-of=frame,too-long=discard,eof=emit",
       "len:u16le,offset=2,adjust=-4,strip=0,max=1000,too-long=discard,eof=emit"},
      {"len:i32le,max=64K", "len:i32le,max=64K"},
      {"len:u32be,max=1G", "len:u32be,max=1G"},
      {"len:u24le,strip=3", "len:u24le,strip=3"},
  };
  for (const auto& [text, canonical] : cases) {
    SCOPED_TRACE(text);
    EXPECT_EQ(to_string(spec_of(text)), canonical);
  }
}

TEST(FramingSpec, ParsesItsCanonicalFormBackToTheSameSpec) {
  const std::string_view specs[] = {
      "raw",
      "raw,max=100",
      "line",
      "line,crlf,max=1000,too-long=discard,eof=drop",
      "line,max=1G",
      "delim:\\r\\n|\\n|\\0",
      "delim:\\||\\,|\\\\|\\x00\\xff",
      "delim:END,keep,max=12K,too-long=discard,eof=emit",
      "fixed:1",
      "fixed:65536,eof=drop",
      "varint",
      "varint,offset=4096,adjust=-1073741824,max=1,max-of=field,eof=emit",
      "len:u8",
      "len:i8,adjust=-127",
      "len:u16le,offset=2,adjust=-4,strip=0,max=1000,too-long=discard,eof=emit",
      "len:u24be,offset=2,strip=0",
      "len:u32be,strip=4",
      "len:i32le,max=64K",
      "len:u64le,strip=4104",
      "len:i64be,adjust=1073741824,max=3,max-of=field",
  };
  for (const std::string_view text : specs) {
    SCOPED_TRACE(text);
    const framing_spec s = spec_of(text);
    const std::string canonical = to_string(s);
    spec_error e;
    const auto again = parse_framing_spec(canonical, e);
    ASSERT_TRUE(again.has_value()) << canonical << ": " << to_string(e);
    EXPECT_EQ(*again, s) << canonical;
    EXPECT_EQ(to_string(*again), canonical);
  }
}

TEST(FramingSpec, NamesEveryKindAsWrittenInASpec) {
  EXPECT_EQ(kind_name(framing_kind::raw), "raw");
  EXPECT_EQ(kind_name(framing_kind::line), "line");
  EXPECT_EQ(kind_name(framing_kind::delimited), "delim");
  EXPECT_EQ(kind_name(framing_kind::fixed), "fixed");
  EXPECT_EQ(kind_name(framing_kind::varint), "varint");
  EXPECT_EQ(kind_name(framing_kind::length_prefixed), "len");
}

TEST(FramingSpec, ParsesEveryExampleInItsDocumentation) {
  for (const std::string_view text :
       {"raw", "line", "line,crlf", "delim:\\r\\n|\\0", "fixed:16", "varint", "len:u32be",
        "len:i32le,max=64K",
        "len:u16be,offset=2,adjust=-4,strip=0,max=1000,max-of=frame,too-long=discard,eof=emit"}) {
    SCOPED_TRACE(text);
    spec_error e;
    EXPECT_TRUE(parse_framing_spec(text, e).has_value()) << to_string(e);
  }
}

// --- Refusals, each with its code and column --------------------------------

TEST(FramingSpec, RejectsAnEmptySpec) {
  expect_refused("", error::spec_syntax, 1);
}

TEST(FramingSpec, RejectsAnUnknownKind) {
  expect_refused("frob", error::spec_unknown_kind, 1);
  expect_refused("frob:12", error::spec_unknown_kind, 1);
  expect_refused("Line", error::spec_unknown_kind, 1);
}

TEST(FramingSpec, RejectsASpecThatStartsWithoutAKind) {
  expect_refused(",line", error::spec_syntax, 1);
}

TEST(FramingSpec, RejectsAnArgumentAfterAKindThatTakesNone) {
  expect_refused("line:", error::spec_syntax, 5);
  expect_refused("raw:x", error::spec_syntax, 4);
  expect_refused("varint:u8", error::spec_bad_value, 8); // varint:N takes a byte count
}

TEST(FramingSpec, RejectsAnUnknownLengthType) {
  expect_refused("len:u33", error::spec_bad_value, 5);
  expect_refused("len:i24be", error::spec_bad_value, 5);
  expect_refused("len:x32be", error::spec_bad_value, 5);
  expect_refused("len:u32xe", error::spec_bad_value, 5);
  expect_refused("len:u", error::spec_bad_value, 5);
  expect_refused("len:be", error::spec_bad_value, 5);
}

TEST(FramingSpec, RejectsAByteOrderOnAOneByteField) {
  expect_refused("len:u8le", error::spec_bad_value, 5);
  expect_refused("len:i8be", error::spec_bad_value, 5);
}

TEST(FramingSpec, RejectsAKindWithoutItsArgument) {
  expect_refused("delim:", error::spec_missing_argument, 7);
  expect_refused("fixed:", error::spec_missing_argument, 7);
  expect_refused("len:", error::spec_missing_argument, 5);
  expect_refused("len", error::spec_missing_argument, 4);
  expect_refused("delim,keep", error::spec_missing_argument, 6);
}

TEST(FramingSpec, RejectsFixedSizeZero) {
  expect_refused("fixed:0", error::spec_bad_value, 7);
}

TEST(FramingSpec, RejectsAFixedSizeThatIsNotANumberOrTooLarge) {
  expect_refused("fixed:abc", error::spec_bad_value, 7);
  expect_refused("fixed:-4", error::spec_bad_value, 7);
  expect_refused("fixed:2G", error::spec_bad_value, 7);
  expect_refused("fixed:4 ", error::spec_bad_value, 7);
}

TEST(FramingSpec, RejectsABadEscapeInADelimiterAtTheBackslash) {
  expect_refused("delim:\\q", error::spec_bad_escape, 7);
  expect_refused("delim:ab|\\q", error::spec_bad_escape, 10);
  expect_refused("delim:ab\\x4", error::spec_bad_escape, 9);
  expect_refused("delim:ab\\", error::spec_bad_escape, 9);
}

TEST(FramingSpec, RejectsAnEmptyDelimiter) {
  expect_refused("delim:a||b", error::spec_syntax, 9);
  expect_refused("delim:a|", error::spec_syntax, 9);
  expect_refused("delim:|a", error::spec_syntax, 7);
}

TEST(FramingSpec, RejectsTooManyOrTooLongDelimiters) {
  expect_refused("delim:a|b|c|d|e|f|g|h|i", error::spec_bad_value, 7);
  EXPECT_EQ(spec_of("delim:a|b|c|d|e|f|g|h").delimiters.size(), 8u);
  expect_refused("delim:x|" + std::string(65, 'd'), error::spec_bad_value, 9);
  EXPECT_EQ(spec_of("delim:" + std::string(64, 'd')).delimiters[0].size(), 64u);
}

TEST(FramingSpec, RejectsAnUnknownOption) {
  expect_refused("line,foo", error::spec_unknown_option, 6);
  expect_refused("len:u32be,foo=1", error::spec_unknown_option, 11);
  expect_refused("line,MAX=5", error::spec_unknown_option, 6);
}

TEST(FramingSpec, RejectsAnOptionGivenTwice) {
  expect_refused("line,max=5,max=6", error::spec_duplicate_option, 12);
  expect_refused("line,crlf,crlf", error::spec_duplicate_option, 11);
  expect_refused("len:u8,eof=drop,strip=1,eof=drop", error::spec_duplicate_option, 25);
}

TEST(FramingSpec, RejectsAnOptionThatDoesNotApplyToTheKind) {
  expect_refused("line,keep", error::spec_option_not_valid, 6);
  expect_refused("line,strip=1", error::spec_option_not_valid, 6);
  expect_refused("line,offset=1", error::spec_option_not_valid, 6);
  expect_refused("line,max-of=field", error::spec_option_not_valid, 6);
  expect_refused("delim:a,crlf", error::spec_option_not_valid, 9);
  expect_refused("delim:a,adjust=1", error::spec_option_not_valid, 9);
  expect_refused("fixed:4,max=3", error::spec_option_not_valid, 9);
  expect_refused("fixed:4,too-long=discard", error::spec_option_not_valid, 9);
  expect_refused("raw,eof=emit", error::spec_option_not_valid, 5);
  expect_refused("raw,too-long=discard", error::spec_option_not_valid, 5);
  expect_refused("raw,crlf", error::spec_option_not_valid, 5);
  expect_refused("line,strip=1", error::spec_option_not_valid, 6);
  expect_refused("len:u8,keep", error::spec_option_not_valid, 8);
}

TEST(FramingSpec, RejectsAValueThatIsNotANumberAtTheValue) {
  expect_refused("len:u8,max=abc", error::spec_bad_value, 12);
  expect_refused("len:u8,offset=1x", error::spec_bad_value, 15);
  expect_refused("len:u8,offset=-1", error::spec_bad_value, 15);
  expect_refused("len:u8,adjust=-abc", error::spec_bad_value, 16);
  expect_refused("len:u8,strip=0x", error::spec_bad_value, 14);
  expect_refused("line,max=K", error::spec_bad_value, 10);
  expect_refused("line,max=99999999999999999999", error::spec_bad_value, 10);
  expect_refused("line,max=17179869184G", error::spec_bad_value, 10);
}

TEST(FramingSpec, RejectsAValueOutOfRange) {
  expect_refused("len:u8,max=0", error::spec_bad_value, 12);
  expect_refused("len:u8,max=2G", error::spec_bad_value, 12);
  expect_refused("len:u8,max=1073741825", error::spec_bad_value, 12);
  expect_refused("len:u8,offset=4097", error::spec_bad_value, 15);
  expect_refused("len:u32be,adjust=1073741825", error::spec_bad_value, 18);
  expect_refused("len:u8,strip=5000", error::spec_bad_value, 14);
  EXPECT_EQ(spec_of("len:u8,offset=4096").field.offset, 4096u);
}

TEST(FramingSpec, RejectsAnUnknownChoice) {
  expect_refused("len:u8,max-of=both", error::spec_bad_value, 15);
  expect_refused("line,too-long=skip", error::spec_bad_value, 15);
  expect_refused("line,eof=ignore", error::spec_bad_value, 10);
}

TEST(FramingSpec, RejectsAMissingOrUnwantedOptionValue) {
  expect_refused("len:u8,max", error::spec_bad_value, 11);
  expect_refused("len:u8,max=", error::spec_bad_value, 11);
  expect_refused("line,crlf=yes", error::spec_bad_value, 10);
  expect_refused("delim:;,keep=", error::spec_bad_value, 13);
}

TEST(FramingSpec, RejectsAnEmptyOption) {
  expect_refused("line,", error::spec_syntax, 6);
  expect_refused("line,,max=5", error::spec_syntax, 6);
}

TEST(FramingSpec, RejectsSpecsWithLintErrorsAtTheOptionAtFault) {
  expect_refused("len:u16be,max=1", error::spec_inconsistent, 11);
  expect_refused("len:u8,adjust=-256", error::spec_inconsistent, 8);
  expect_refused("delim:a|a", error::spec_inconsistent, 1);
}

TEST(FramingSpec, AcceptsAStripUpToTheLargestOffsetPlusTheWidestField) {
  EXPECT_EQ(spec_of("len:u8,strip=4104").field.strip, 4104u);
  expect_refused("len:u8,strip=4105", error::spec_bad_value, 14);
}

TEST(FramingSpec, SyntaxOnlyParsingKeepsSpecsWithLintErrors) {
  for (const std::string_view text : {"len:u16be,max=1", "len:u8,adjust=-256", "delim:a|a"}) {
    SCOPED_TRACE(text);
    spec_error e;
    const auto spec = parse_framing_spec_syntax(text, e);
    ASSERT_TRUE(spec.has_value()) << to_string(e);
    EXPECT_FALSE(lint_framing_spec(*spec).empty());
  }
  spec_error e;
  const auto delim = parse_framing_spec_syntax("delim:a|a", e);
  ASSERT_TRUE(delim.has_value());
  EXPECT_EQ(delim->delimiters.size(), 2u);
}

TEST(FramingSpec, SyntaxOnlyParsingStillRefusesBadSyntaxAtItsColumn) {
  const std::pair<std::string_view, std::pair<error, std::size_t>> cases[] = {
      {"len:u33", {error::spec_bad_value, 5}},
      {"delim:\\q", {error::spec_bad_escape, 7}},
      {"line,foo", {error::spec_unknown_option, 6}},
      {"", {error::spec_syntax, 1}},
  };
  for (const auto& [text, expected] : cases) {
    SCOPED_TRACE(text);
    spec_error e;
    EXPECT_FALSE(parse_framing_spec_syntax(text, e).has_value());
    EXPECT_EQ(e.code, expected.first);
    EXPECT_EQ(e.column, expected.second);
  }
}

TEST(FramingSpec, SyntaxOnlyParsingGivesTheSameSpecAsFullParsingForValidSpecs) {
  for (const std::string_view text :
       {"line,crlf", "len:u16be,offset=1,adjust=1,strip=3", "varint"}) {
    SCOPED_TRACE(text);
    spec_error e;
    EXPECT_EQ(parse_framing_spec_syntax(text, e), parse_framing_spec(text, e));
  }
}

TEST(FramingSpec, PrintsAnErrorWithItsColumnAndReason) {
  spec_error e;
  ASSERT_FALSE(parse_framing_spec("len:u33", e).has_value());
  const std::string text = to_string(e);
  EXPECT_EQ(text.rfind("column 5: ", 0), 0u) << text;
  EXPECT_NE(text.find("u33"), std::string::npos) << text;
}

} // namespace
} // namespace tcpcheck
