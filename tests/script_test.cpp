// Tests for script.hpp: the .tcs grammar, its errors with line:column, and the canonical printer.
#include "tcpcheck/script.hpp"

#include "tcpcheck/escape.hpp"
#include "tcpcheck/framing_spec.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <optional>
#include <ostream>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace tcpcheck {

// Readable gtest output for the script types (found by ADL; internal to this file).
[[maybe_unused]] static void PrintTo(const script_text& t, std::ostream* os) {
  *os << '[';
  for (std::size_t i = 0; i < t.segments.size(); ++i) {
    if (i) *os << " | ";
    if (t.segments[i].is_variable)
      *os << "${" << t.segments[i].variable << '}';
    else
      *os << '"' << escape(t.segments[i].bytes) << '"';
  }
  *os << ']';
}

[[maybe_unused]] static void PrintTo(const script& s, std::ostream* os) {
  *os << "script with lines";
  for (const auto& step : s.steps)
    *os << ' ' << step.line;
  *os << ":\n" << to_string(s);
}

[[maybe_unused]] static void PrintTo(const script_step& step, std::ostream* os) {
  script s;
  s.steps.push_back(step);
  *os << "line " << step.line << ": " << to_string(s);
}

namespace {

using namespace std::string_literals;
using namespace std::chrono_literals;

// --- Helpers ---------------------------------------------------------------

constexpr std::string_view a_step =
    "a step (send, expect, sleep, connect, shutdown, close, reset, framing, sync)";
constexpr std::string_view a_duration = "a duration such as 250ms or 2s (at most 24 hours)";
constexpr std::string_view a_positive_duration =
    "a duration of at least 1ms, such as 250ms or 2s (at most 24 hours)";
constexpr std::string_view what_to_expect =
    "what to expect (a string, hex, regex, prefix, contains, any, close, reset, silence)";
constexpr std::string_view an_escape = R"(an escape (\r \n \t \0 \\ \" \$ \xNN))";
constexpr std::string_view end_of_line = "the end of the line";

/// The script `text` parses to. Throws std::invalid_argument, which fails the
/// running test with the parser's message, when it does not parse.
script parsed(std::string_view text) {
  script_error e;
  auto s = parse_script(text, e);
  if (!s) throw std::invalid_argument("script refused: " + e.to_string("script.tcs"));
  return *std::move(s);
}

/// The one step of `text`, which must parse to exactly one step.
script_step only_step(std::string_view text) {
  script s = parsed(text);
  if (s.steps.size() != 1)
    throw std::invalid_argument(std::to_string(s.steps.size()) + " steps, not 1");
  return s.steps[0];
}

/// What parse_script says about `text`, as a user sees it, or the canonical
/// text when it parses (so an unexpected success fails with something to read).
std::string refusal(std::string_view text) {
  script_error e;
  const auto s = parse_script(text, e);
  if (s) return "parsed as:\n" + to_string(*s);
  return e.to_string("script.tcs");
}

std::string refused_at(std::size_t line, std::size_t column, std::string_view expected,
                       std::string_view found) {
  return "script.tcs:" + std::to_string(line) + ":" + std::to_string(column) + ": expected " +
         std::string(expected) + ", found " + std::string(found);
}

byte_buffer bytes(std::string_view text) {
  const byte_view v = as_bytes(text);
  return {v.begin(), v.end()};
}

script_text::segment literal(std::string_view text) {
  return script_text::segment::literal(bytes(text));
}
script_text::segment variable(std::string name) {
  script_text::segment s;
  s.is_variable = true;
  s.variable = std::move(name);
  return s;
}

/// Text of literal bytes only, as the parser builds it (no segment when empty).
script_text text_of(std::string_view literal_bytes) {
  script_text t;
  if (!literal_bytes.empty()) t.segments.push_back(literal(literal_bytes));
  return t;
}

script_text text_of(std::vector<script_text::segment> segments) {
  script_text t;
  t.segments = std::move(segments);
  return t;
}

script without_lines(script s) {
  for (auto& step : s.steps)
    step.line = 0;
  return s;
}

/// Checks both round trips of the canonical form for the script `s`:
/// parse(print(s)) == s with line numbers set aside, and print is a fixed point.
void expect_round_trip(const script& s) {
  const std::string printed = to_string(s);
  SCOPED_TRACE("printed:\n" + printed);
  script_error e;
  const auto again = parse_script(printed, e);
  ASSERT_TRUE(again.has_value()) << "the printed script is refused: " << e.to_string("printed.tcs");
  EXPECT_EQ(without_lines(*again), without_lines(s));
  EXPECT_EQ(to_string(*again), printed);
}

// --- send ------------------------------------------------------------------

TEST(Script, SendParsesAQuotedStringAsFramedText) {
  const script_step step = only_step("send \"hello\"\n");
  EXPECT_EQ(step.what, script_step::kind::send);
  EXPECT_EQ(step.connection, "main");
  EXPECT_EQ(step.line, 1u);
  EXPECT_FALSE(step.raw);
  EXPECT_EQ(step.payload, text_of("hello"));
  EXPECT_FALSE(step.payload.has_variables());
  EXPECT_TRUE(step.alternatives.empty());
  EXPECT_FALSE(step.within.has_value());
}

TEST(Script, SendRawMarksTheBytesAsUnframed) {
  const script_step step = only_step("send raw \"GET / HTTP/1.0\\r\\n\\r\\n\"");
  EXPECT_EQ(step.what, script_step::kind::send);
  EXPECT_TRUE(step.raw);
  EXPECT_EQ(step.payload, text_of("GET / HTTP/1.0\r\n\r\n"));
}

TEST(Script, SendHexDecodesDigitPairsWithOptionalSpacesInEitherCase) {
  const script_step step = only_step("send hex \"48 65 6C6c   6f\"");
  EXPECT_FALSE(step.raw);
  EXPECT_EQ(step.payload, text_of("Hello"));
}

TEST(Script, SendRawHexCombinesBoth) {
  const script_step step = only_step("send raw hex \"00 ff 7F 80\"");
  EXPECT_TRUE(step.raw);
  EXPECT_EQ(step.payload, text_of("\x00\xff\x7f\x80"s));
}

TEST(Script, EmptyStringsAndEmptyHexAreTheSameEmptyPayload) {
  EXPECT_EQ(only_step("send \"\"").payload, script_text{});
  EXPECT_EQ(only_step("send hex \"\"").payload, script_text{});
  EXPECT_EQ(only_step("send hex \"   \"").payload, script_text{});
}

TEST(Script, DecodesEveryEscapeInAString) {
  const script_step step = only_step(R"(send "\r\n\t\0\\\"\$\x41\xfF\x00")");
  EXPECT_EQ(step.payload, text_of("\r\n\t\0\\\"$A\xff\x00"s));
}

TEST(Script, KeepsLiteralBytesOtherThanEscapes) {
  // Tabs, '#', a lone '$', '$' before anything but '{', bytes above 0x7f.
  const script_step step = only_step("send \"a\tb # $5 $x \xc3\xa9 $\"");
  EXPECT_EQ(step.payload, text_of("a\tb # $5 $x \xc3\xa9 $"));
  EXPECT_FALSE(step.payload.has_variables());
}

TEST(Script, EscapedDollarIsALiteralNotAVariable) {
  const script_step step = only_step(R"(send "\${name} costs \$5")");
  EXPECT_EQ(step.payload, text_of("${name} costs $5"));
  EXPECT_FALSE(step.payload.has_variables());
}

TEST(Script, InterpolatesCapturedVariablesBetweenLiterals) {
  const script s = parsed(R"tcs(expect regex "^Hello (\w+)!$" as name
expect regex "(.*)" as a_1-b
send "Hi ${name}, ${name}!"
send "${name}${a_1-b}"
)tcs");
  ASSERT_EQ(s.steps.size(), 4u);
  EXPECT_EQ(s.steps[2].payload, text_of({literal("Hi "), variable("name"), literal(", "),
                                         variable("name"), literal("!")}));
  EXPECT_TRUE(s.steps[2].payload.has_variables());
  EXPECT_EQ(s.steps[3].payload, text_of({variable("name"), variable("a_1-b")}));
}

TEST(Script, EscapesInsideInterpolatedTextStayLiteral) {
  const script s = parsed(R"tcs(expect regex "(.*)" as v
send "\"${v}\" \${v} \\${v}"
)tcs");
  ASSERT_EQ(s.steps.size(), 2u);
  EXPECT_EQ(s.steps[1].payload,
            text_of({literal("\""), variable("v"), literal("\" ${v} \\"), variable("v")}));
}

// --- expect ----------------------------------------------------------------

TEST(Script, ExpectParsesAnExactFrame) {
  const script_step step = only_step("expect \"Server: Welcome!\"");
  EXPECT_EQ(step.what, script_step::kind::expect);
  ASSERT_EQ(step.alternatives.size(), 1u);
  EXPECT_EQ(step.alternatives[0].what, expectation::kind::exact);
  EXPECT_EQ(step.alternatives[0].text, text_of("Server: Welcome!"));
  EXPECT_FALSE(step.within.has_value());
  EXPECT_TRUE(step.payload.segments.empty());
}

TEST(Script, ExpectHexIsAnExactFrameInHex) {
  const script_step step = only_step("expect hex \"0d 0A\"");
  ASSERT_EQ(step.alternatives.size(), 1u);
  EXPECT_EQ(step.alternatives[0].what, expectation::kind::exact);
  EXPECT_EQ(step.alternatives[0].text, text_of("\r\n"));
}

TEST(Script, ExpectRegexKeepsThePatternAsWritten) {
  const script_step step = only_step(R"(expect regex "^say \"hi\" \$\d+ \\ [${x}]$")");
  ASSERT_EQ(step.alternatives.size(), 1u);
  const expectation& e = step.alternatives[0];
  EXPECT_EQ(e.what, expectation::kind::regex);
  EXPECT_EQ(e.pattern, R"(^say \"hi\" \$\d+ \\ [${x}]$)");
  EXPECT_TRUE(e.capture.empty());
  EXPECT_TRUE(e.text.segments.empty());
}

TEST(Script, ExpectRegexAsNamesTheCapture) {
  const script_step step = only_step(R"(expect regex "^Hello (\w+)!$" as user_name-2)");
  ASSERT_EQ(step.alternatives.size(), 1u);
  EXPECT_EQ(step.alternatives[0].what, expectation::kind::regex);
  EXPECT_EQ(step.alternatives[0].pattern, R"(^Hello (\w+)!$)");
  EXPECT_EQ(step.alternatives[0].capture, "user_name-2");
}

TEST(Script, ExpectPrefixAndContainsTakeTextOrHex) {
  const script s = parsed(R"(expect prefix "HTTP/1.1 "
expect contains "\r\n\r\n"
expect prefix hex "16 03"
expect contains hex "00"
)");
  ASSERT_EQ(s.steps.size(), 4u);
  const expectation::kind kinds[] = {expectation::kind::prefix, expectation::kind::contains,
                                     expectation::kind::prefix, expectation::kind::contains};
  const script_text texts[] = {text_of("HTTP/1.1 "), text_of("\r\n\r\n"), text_of("\x16\x03"),
                               text_of("\0"s)};
  for (std::size_t i = 0; i < 4; ++i) {
    SCOPED_TRACE(i);
    ASSERT_EQ(s.steps[i].alternatives.size(), 1u);
    EXPECT_EQ(s.steps[i].alternatives[0].what, kinds[i]);
    EXPECT_EQ(s.steps[i].alternatives[0].text, texts[i]);
  }
}

TEST(Script, ExpectAnyCountsOneFrameUnlessToldMore) {
  const script s = parsed("expect any\nexpect any 3\nexpect any 1000000\nexpect any 1\n");
  ASSERT_EQ(s.steps.size(), 4u);
  const std::uint32_t counts[] = {1, 3, 1000000, 1};
  for (std::size_t i = 0; i < 4; ++i) {
    SCOPED_TRACE(i);
    ASSERT_EQ(s.steps[i].alternatives.size(), 1u);
    EXPECT_EQ(s.steps[i].alternatives[0].what, expectation::kind::any);
    EXPECT_EQ(s.steps[i].alternatives[0].count, counts[i]);
  }
}

TEST(Script, ExpectCloseResetAndSilence) {
  const script s = parsed("expect close\nexpect reset\nexpect silence 250ms\n");
  ASSERT_EQ(s.steps.size(), 3u);
  for (const auto& step : s.steps)
    ASSERT_EQ(step.alternatives.size(), 1u);
  EXPECT_EQ(s.steps[0].alternatives[0].what, expectation::kind::close);
  EXPECT_EQ(s.steps[1].alternatives[0].what, expectation::kind::reset);
  EXPECT_EQ(s.steps[2].alternatives[0].what, expectation::kind::silence);
  EXPECT_EQ(s.steps[2].alternatives[0].quiet, 250ms);
}

TEST(Script, ExpectAlternativesAreSeparatedByOrInOrder) {
  const script_step step =
      only_step(R"tcs(expect "Good bye!" or regex "bye (.*)" as who or prefix "x" or any 2 )tcs"
                R"tcs(or close or reset or silence 1s)tcs");
  ASSERT_EQ(step.alternatives.size(), 7u);
  EXPECT_EQ(step.alternatives[0].what, expectation::kind::exact);
  EXPECT_EQ(step.alternatives[0].text, text_of("Good bye!"));
  EXPECT_EQ(step.alternatives[1].what, expectation::kind::regex);
  EXPECT_EQ(step.alternatives[1].capture, "who");
  EXPECT_EQ(step.alternatives[2].what, expectation::kind::prefix);
  EXPECT_EQ(step.alternatives[3].what, expectation::kind::any);
  EXPECT_EQ(step.alternatives[3].count, 2u);
  EXPECT_EQ(step.alternatives[4].what, expectation::kind::close);
  EXPECT_EQ(step.alternatives[5].what, expectation::kind::reset);
  EXPECT_EQ(step.alternatives[6].what, expectation::kind::silence);
  EXPECT_EQ(step.alternatives[6].quiet, 1000ms);
  EXPECT_FALSE(step.within.has_value());
}

TEST(Script, WithinSetsTheWholeStepsTimeout) {
  const script_step one = only_step("expect \"a\" within 2s");
  ASSERT_EQ(one.alternatives.size(), 1u);
  EXPECT_EQ(one.within, std::optional<duration>(2000ms));
  const script_step two = only_step("expect \"a\" or close within 150ms");
  ASSERT_EQ(two.alternatives.size(), 2u);
  EXPECT_EQ(two.alternatives[1].what, expectation::kind::close);
  EXPECT_EQ(two.within, std::optional<duration>(150ms));
  EXPECT_EQ(only_step("expect any within 1ms").within, std::optional<duration>(1ms));
}

// --- sleep, connect, shutdown, close, reset, connections -------------------

TEST(Script, SleepTakesADuration) {
  const script_step step = only_step("sleep 250ms");
  EXPECT_EQ(step.what, script_step::kind::sleep);
  EXPECT_EQ(step.pause, 250ms);
}

TEST(Script, ParsesTheConnectionSteps) {
  const script s = parsed("connect\nshutdown\nclose\nreset\n");
  ASSERT_EQ(s.steps.size(), 4u);
  EXPECT_EQ(s.steps[0].what, script_step::kind::connect);
  EXPECT_EQ(s.steps[1].what, script_step::kind::shutdown);
  EXPECT_EQ(s.steps[2].what, script_step::kind::close);
  EXPECT_EQ(s.steps[3].what, script_step::kind::reset);
  for (const auto& step : s.steps)
    EXPECT_EQ(step.connection, "main");
}

TEST(Script, NamePrefixPicksTheConnectionOfEveryKindOfStep) {
  const script s = parsed(R"(db: connect
db: send "x"
db:    expect close
db-2_b: connect
db-2_b: sleep 1s
db: shutdown
db: close
db: reset
main: send "y"
)");
  ASSERT_EQ(s.steps.size(), 9u);
  const char* const names[] = {"db", "db", "db", "db-2_b", "db-2_b", "db", "db", "db", "main"};
  const script_step::kind kinds[] = {
      script_step::kind::connect, script_step::kind::send,  script_step::kind::expect,
      script_step::kind::connect, script_step::kind::sleep, script_step::kind::shutdown,
      script_step::kind::close,   script_step::kind::reset, script_step::kind::send};
  for (std::size_t i = 0; i < s.steps.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(s.steps[i].connection, names[i]);
    EXPECT_EQ(s.steps[i].what, kinds[i]);
    EXPECT_EQ(s.steps[i].line, i + 1);
  }
}

TEST(Script, ConnectionsListsMainFirstThenOthersInOrderOfFirstUse) {
  const script s = parsed(R"(b: connect
a: connect
a: send "x"
send "y"
c: connect
b: close
)");
  EXPECT_EQ(s.connections(), (std::vector<std::string>{"main", "b", "a", "c"}));
}

TEST(Script, ConnectionsListsOnlyTheConnectionsUsed) {
  EXPECT_EQ(parsed("").connections(), std::vector<std::string>{});
  EXPECT_EQ(parsed("# only a header\nframing line\n").connections(), std::vector<std::string>{});
  EXPECT_EQ(parsed("send \"x\"\n").connections(), std::vector<std::string>{"main"});
  EXPECT_EQ(parsed("z: connect\ny: connect\nz: send \"x\"\n").connections(),
            (std::vector<std::string>{"z", "y"}));
  EXPECT_EQ(parsed("main: connect\nq: connect\n").connections(),
            (std::vector<std::string>{"main", "q"}));
}

TEST(Script, AllowsSixtyFourConnectionsCountingMain) {
  std::string text;
  for (int i = 1; i <= 63; ++i)
    text += "c" + std::to_string(i) + ": connect\n";
  EXPECT_EQ(parsed(text).connections().size(), 63u);
  text += "send \"x\"\n";
  EXPECT_EQ(parsed(text).connections().size(), 64u);
  text += "  c64: connect\n";
  EXPECT_EQ(refusal(text), refused_at(65, 3, "at most 64 connections", "another one"));
}

// --- The header ------------------------------------------------------------

TEST(Script, FirstCommentLineIsTheDescriptionTrimmed) {
  const script s =
      parsed(" \t#  \t checks: the greeting server  \t\n# a second comment\nsend \"x\"\n");
  EXPECT_EQ(s.description, "checks: the greeting server");
  ASSERT_EQ(s.steps.size(), 1u);
  EXPECT_EQ(s.steps[0].line, 3u);
}

TEST(Script, DescriptionMayFollowBlankLinesAndEmptyComments) {
  EXPECT_EQ(parsed("\n  \n#\n#   \n# the description\n").description, "the description");
  EXPECT_EQ(parsed("## heading\n").description, "# heading");
}

TEST(Script, CommentAfterADirectiveOrStepIsNoDescription) {
  EXPECT_EQ(parsed("framing line\n# late\n").description, "");
  EXPECT_EQ(parsed("close\n# late\n").description, "");
  EXPECT_EQ(parsed("close # trailing\n").description, "");
}

TEST(Script, FramingIsAWordOrAQuotedStringKeptAsWritten) {
  EXPECT_EQ(parsed("framing len:u32be,max=64K\n").framing, "len:u32be,max=64K");
  EXPECT_EQ(parsed("framing \"line\"\n").framing, "line");
  EXPECT_EQ(parsed(R"(framing "delim:\r\n| |#")").framing, R"(delim:\r\n| |#)");
  EXPECT_EQ(parsed("send \"x\"\n").framing, std::nullopt);
}

TEST(Script, TimeoutIsTheDefaultForEveryExpect) {
  const script s = parsed("timeout 2s\nexpect \"a\"\n");
  EXPECT_EQ(s.timeout, std::optional<duration>(2000ms));
  ASSERT_EQ(s.steps.size(), 1u);
  EXPECT_FALSE(s.steps[0].within.has_value());
  EXPECT_EQ(parsed("expect \"a\"\n").timeout, std::nullopt);
}

TEST(Script, DirectivesComeInEitherOrderWithCommentsBetween) {
  const script s = parsed(R"(# greeting
timeout 500ms # per step

  # framing next
framing line
send "x"
)");
  EXPECT_EQ(s.description, "greeting");
  EXPECT_EQ(s.framing, "line");
  EXPECT_EQ(s.timeout, std::optional<duration>(500ms));
  ASSERT_EQ(s.steps.size(), 1u);
  EXPECT_EQ(s.steps[0].line, 6u);
}

TEST(Script, ParsesTheHeaderExample) {
  const script s =
      parsed(R"tcs(# checks: the greeting server welcomes a client and greets it by name
framing line
timeout 2s

expect "Server: Welcome!"
expect "What's your name?"
send "alice"
expect regex "^Hello (\w+)!$" as name
send "exit"
expect "Good bye!" or close
)tcs");
  EXPECT_EQ(s.description, "checks: the greeting server welcomes a client and greets it by name");
  EXPECT_EQ(s.framing, "line");
  EXPECT_EQ(s.timeout, std::optional<duration>(2000ms));
  ASSERT_EQ(s.steps.size(), 6u);
  ASSERT_EQ(s.steps[3].alternatives.size(), 1u);
  EXPECT_EQ(s.steps[0].line, 5u);
  EXPECT_EQ(s.steps[5].line, 10u);
  EXPECT_EQ(s.steps[3].alternatives[0].capture, "name");
  EXPECT_EQ(s.steps[5].alternatives.size(), 2u);
  EXPECT_EQ(s.connections(), std::vector<std::string>{"main"});
}

// --- Durations -------------------------------------------------------------

TEST(Script, DurationsAreMillisecondsOrSecondsUpToADay) {
  struct duration_case {
    std::string_view text;
    duration value;
  };
  const duration_case cases[] = {
      {"1ms", 1ms},     {"250ms", 250ms},       {"2s", 2000ms},
      {"007s", 7000ms}, {"86400s", 86400000ms}, {"86400000ms", 86400000ms},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    const std::string d(c.text);
    EXPECT_EQ(only_step("sleep " + d).pause, c.value);
    EXPECT_EQ(parsed("timeout " + d).timeout, std::optional<duration>(c.value));
    EXPECT_EQ(only_step("expect close within " + d).within, std::optional<duration>(c.value));
    const script_step silence = only_step("expect silence " + d);
    ASSERT_EQ(silence.alternatives.size(), 1u);
    EXPECT_EQ(silence.alternatives[0].quiet, c.value);
  }
  EXPECT_EQ(script_limits::longest_duration_ms, 86400000);
}

TEST(Script, SleepMayBeZeroButTimeLimitsAndSilenceMayNot) {
  EXPECT_EQ(only_step("sleep 0ms").pause, 0ms);
  EXPECT_EQ(only_step("sleep 0s").pause, 0ms);
  EXPECT_EQ(refusal("timeout 0ms"), refused_at(1, 9, a_positive_duration, "'0ms'"));
  EXPECT_EQ(refusal("timeout 0s"), refused_at(1, 9, a_positive_duration, "'0s'"));
  EXPECT_EQ(refusal("expect close within 0ms"), refused_at(1, 21, a_positive_duration, "'0ms'"));
  EXPECT_EQ(refusal("expect \"a\" or silence 0s"), refused_at(1, 23, a_positive_duration, "'0s'"));
}

TEST(Script, RefusesBadDurationsAtTheirColumn) {
  const char* const bad[] = {"86401s",
                             "86400001ms",
                             "1.5s",
                             "2m",
                             "ms",
                             "s",
                             "-1s",
                             "+1s",
                             "2S",
                             "2MS",
                             "1e3ms",
                             "0x10ms",
                             "2sec",
                             "99999999999999999999ms",
                             "9223372036854775807s"};
  for (const char* d : bad) {
    SCOPED_TRACE(d);
    const std::string found = "'"s + d + "'";
    EXPECT_EQ(refusal("sleep "s + d), refused_at(1, 7, a_duration, found));
    EXPECT_EQ(refusal("timeout "s + d), refused_at(1, 9, a_positive_duration, found));
    EXPECT_EQ(refusal("expect any within "s + d), refused_at(1, 19, a_positive_duration, found));
    EXPECT_EQ(refusal("expect silence "s + d), refused_at(1, 16, a_positive_duration, found));
  }
  EXPECT_EQ(refusal("sleep \"2s\""), refused_at(1, 7, a_duration, "the string \"2s\""));
  EXPECT_EQ(refusal("sleep 2 s"), refused_at(1, 7, a_duration, "'2'"));
  EXPECT_EQ(refusal("sleep"), refused_at(1, 6, a_duration, end_of_line));
  EXPECT_EQ(refusal("timeout"), refused_at(1, 8, a_positive_duration, end_of_line));
  EXPECT_EQ(refusal("timeout 1h"), refused_at(1, 9, a_positive_duration, "'1h'"));
  EXPECT_EQ(refusal("expect silence 5"), refused_at(1, 16, a_positive_duration, "'5'"));
  EXPECT_EQ(refusal("expect close within 1.0s"), refused_at(1, 21, a_positive_duration, "'1.0s'"));
  EXPECT_EQ(refusal("expect close within"), refused_at(1, 20, a_positive_duration, end_of_line));
}

TEST(Script, DurationTextPrefersWholeSeconds) {
  EXPECT_EQ(duration_text(0ms), "0ms");
  EXPECT_EQ(duration_text(1ms), "1ms");
  EXPECT_EQ(duration_text(999ms), "999ms");
  EXPECT_EQ(duration_text(1000ms), "1s");
  EXPECT_EQ(duration_text(1500ms), "1500ms");
  EXPECT_EQ(duration_text(60000ms), "60s");
  EXPECT_EQ(duration_text(86400000ms), "86400s");
}

// --- Comments, blank lines, line endings -----------------------------------

TEST(Script, CommentsMayFollowAnythingButAreTextInsideStrings) {
  const script s = parsed(R"(# description
send "a # not a comment" # a comment
expect "b"# touching
sleep 1s#touching a word
  # indented
	# after a tab
expect "c" # or close
)");
  ASSERT_EQ(s.steps.size(), 4u);
  EXPECT_EQ(s.steps[0].payload, text_of("a # not a comment"));
  EXPECT_EQ(s.steps[1].alternatives[0].text, text_of("b"));
  EXPECT_EQ(s.steps[2].pause, 1000ms);
  ASSERT_EQ(s.steps[3].alternatives.size(), 1u);
  EXPECT_EQ(s.steps[3].line, 7u);
}

TEST(Script, SkipsBlankAndWhitespaceOnlyLinesButCountsThem) {
  const script s = parsed("\n\n   \n\t\t\nsend \"a\"\n\n \t \nclose");
  ASSERT_EQ(s.steps.size(), 2u);
  EXPECT_EQ(s.steps[0].line, 5u);
  EXPECT_EQ(s.steps[1].line, 8u);
  EXPECT_EQ(s.steps[1].what, script_step::kind::close);
}

TEST(Script, EmptyAndCommentOnlyScriptsHaveNoSteps) {
  EXPECT_EQ(parsed(""), script{});
  EXPECT_EQ(parsed("\n\n"), script{});
  const script s = parsed("# just a description\n# and more\n");
  EXPECT_EQ(s.description, "just a description");
  EXPECT_TRUE(s.steps.empty());
}

TEST(Script, TabsSeparateTokensLikeSpaces) {
  const script_step step = only_step("\tdb:\tconnect\t");
  EXPECT_EQ(step.connection, "db");
  EXPECT_EQ(step.what, script_step::kind::connect);
  EXPECT_EQ(only_step("expect\t\"a\"\tor\tclose\twithin\t1s").alternatives.size(), 2u);
}

TEST(Script, CrlfLineEndingsParseLikeLf) {
  const std::string lf = R"tcs(# greeting server
framing line
timeout 2s

expect "Server: Welcome!"
send raw hex "0d0a"
expect regex "^Hello (\w+)!$" as name
db: connect
db: send "${name}" # comment
expect any 2 or close within 1s
sleep 10ms
)tcs";
  std::string crlf;
  for (const char c : lf) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  const script from_lf = parsed(lf);
  const script from_crlf = parsed(crlf);
  EXPECT_EQ(from_crlf, from_lf);
  EXPECT_EQ(from_crlf.description, "greeting server");
  ASSERT_EQ(from_crlf.steps.size(), 7u);
  EXPECT_EQ(from_crlf.steps[6].pause, 10ms);
  EXPECT_EQ(to_string(from_crlf), to_string(from_lf));
}

TEST(Script, CrlfKeepsACarriageReturnInsideAString) {
  // The CR before LF ends the line; a CR inside quotes is a byte of the text.
  EXPECT_EQ(only_step("send \"a\rb\"\r\n").payload, text_of("a\rb"));
}

TEST(Script, ReportsTheSameErrorsWithCrlfAsWithLf) {
  const char* const lines[] = {
      "sleep",
      "send",
      "send raw",
      "expect",
      "expect \"a\" or",
      "expect regex",
      "expect any 0",
      "framing",
      "timeout",
      "expect close within",
      "send hex \"486\"",
      "sned \"x\"",
      "send \"unterminated",
  };
  for (const char* line : lines) {
    SCOPED_TRACE(line);
    EXPECT_EQ(refusal("close\r\n"s + line + "\r\n"), refusal("close\n"s + line + "\n"));
  }
}

// --- script_error ----------------------------------------------------------

TEST(ScriptError, ToStringNamesFileLineColumnExpectedAndFound) {
  const script_error e{3, 1, "a step (send, expect, ...)", "'sned'"};
  EXPECT_EQ(e.to_string("script.tcs"), "script.tcs:3:1: expected a step (send, expect, ...), "
                                       "found 'sned'");
  EXPECT_EQ(e.to_string("dir/other.tcs"),
            "dir/other.tcs:3:1: expected a step (send, expect, ...), found 'sned'");
}

TEST(ScriptError, FieldsMatchTheMessage) {
  script_error e;
  EXPECT_FALSE(parse_script("close\n\n  sned \"x\"\n", e).has_value());
  EXPECT_EQ(e.line, 3u);
  EXPECT_EQ(e.column, 3u);
  EXPECT_EQ(e.expected, a_step);
  EXPECT_EQ(e.found, "'sned'");
  EXPECT_EQ(e.to_string("s.tcs"), "s.tcs:3:3: expected " + std::string(a_step) + ", found 'sned'");
}

// --- Errors ----------------------------------------------------------------

TEST(ScriptErrors, UnterminatedStringPointsAtItsOpeningQuote) {
  EXPECT_EQ(refusal("send \"abc"), refused_at(1, 6, "a closing '\"'", end_of_line));
  EXPECT_EQ(refusal("close\n\nexpect \"a\" or   \"b"),
            refused_at(3, 17, "a closing '\"'", end_of_line));
  // An escaped quote does not close the string, nor does a trailing backslash.
  EXPECT_EQ(refusal(R"(send "abc\")"), refused_at(1, 6, "a closing '\"'", end_of_line));
  EXPECT_EQ(refusal(R"(send "abc\)"), refused_at(1, 6, "a closing '\"'", end_of_line));
  EXPECT_EQ(refusal("framing \"line"), refused_at(1, 9, "a closing '\"'", end_of_line));
  // The string may not continue on the next line.
  EXPECT_EQ(refusal("send \"a\nb\""), refused_at(1, 6, "a closing '\"'", end_of_line));
}

TEST(ScriptErrors, UnknownStepNamesTheWord) {
  EXPECT_EQ(refusal("sned \"x\""), refused_at(1, 1, a_step, "'sned'"));
  EXPECT_EQ(refusal("# d\n\n   Send \"x\""), refused_at(3, 4, a_step, "'Send'"));
  EXPECT_EQ(refusal("\"x\""), refused_at(1, 1, a_step, "the string \"x\""));
  EXPECT_EQ(refusal("db: connect\ndb: expectt close"), refused_at(2, 5, a_step, "'expectt'"));
  EXPECT_EQ(refusal("db:"), refused_at(1, 4, a_step, end_of_line));
  EXPECT_EQ(refusal(":"), refused_at(1, 1, a_step, "':'"));
  EXPECT_EQ(refusal("db:connect"), refused_at(1, 1, a_step, "'db:connect'"));
  // A directive with a connection prefix is not a step.
  EXPECT_EQ(refusal("db: connect\ndb: timeout 1s"), refused_at(2, 5, a_step, "'timeout'"));
}

TEST(ScriptErrors, BadEscapePointsAtItsBackslash) {
  EXPECT_EQ(refusal(R"(send "ab\q")"), refused_at(1, 9, an_escape, R"('\q')"));
  EXPECT_EQ(refusal(R"(send "\X41")"), refused_at(1, 7, an_escape, R"('\X')"));
  EXPECT_EQ(refusal(R"(send "\x4g")"), refused_at(1, 7, an_escape, R"('\x4g')"));
  EXPECT_EQ(refusal(R"(send "ab\x4")"), refused_at(1, 9, an_escape, R"('\x4')"));
  EXPECT_EQ(refusal(R"(send "\x")"), refused_at(1, 7, an_escape, R"('\x')"));
  EXPECT_EQ(refusal(R"(send "\ ")"), refused_at(1, 7, an_escape, R"('\ ')"));
  EXPECT_EQ(refusal(R"(expect prefix "ok" or contains "\'")"),
            refused_at(1, 33, an_escape, R"('\'')"));
  EXPECT_EQ(refusal(R"(send "$\{x}")"), refused_at(1, 8, an_escape, R"('\{')"));
}

TEST(ScriptErrors, BadVariableReferencePointsAtTheDollar) {
  const std::string_view a_reference = "a variable reference such as ${name}";
  EXPECT_EQ(refusal(R"(send "a${}")"), refused_at(1, 8, a_reference, "'${}'"));
  EXPECT_EQ(refusal(R"(send "${1x}")"), refused_at(1, 7, a_reference, "'${1x}'"));
  EXPECT_EQ(refusal(R"(send "${a b}")"), refused_at(1, 7, a_reference, "'${a b}'"));
  EXPECT_EQ(refusal(R"(send "${name")"), refused_at(1, 7, a_reference, "'${name'"));
  // A long unterminated reference is shown by its first 20 bytes.
  EXPECT_EQ(refusal(R"(send "${abcdefghijklmnopqrstuvwxyz")"),
            refused_at(1, 7, a_reference, "'${abcdefghijklmnopqr'"));
}

TEST(ScriptErrors, BadHexDigitPointsAtTheDigit) {
  EXPECT_EQ(refusal("send hex \"4g\""), refused_at(1, 12, "a hex digit", "'g'"));
  EXPECT_EQ(refusal("send hex \"41 \\x42\""), refused_at(1, 14, "a hex digit", "'\\'"));
  EXPECT_EQ(refusal("send hex \"41\t42\""), refused_at(1, 13, "a hex digit", "'\t'"));
  EXPECT_EQ(refusal("expect hex \"0x41\""), refused_at(1, 14, "a hex digit", "'x'"));
  EXPECT_EQ(refusal("send hex 41"), refused_at(1, 10, "a quoted string of hex digits", "'41'"));
  EXPECT_EQ(refusal("send hex"), refused_at(1, 9, "a quoted string of hex digits", end_of_line));
  EXPECT_EQ(refusal("send hex raw \"41\""),
            refused_at(1, 10, "a quoted string of hex digits", "'raw'"));
}

TEST(ScriptErrors, OddHexDigitsPointAtWhereTheSecondDigitShouldBe) {
  // After the last digit: the closing quote.
  EXPECT_EQ(refusal("send hex \"486\""), refused_at(1, 14, "a second hex digit", "'\"'"));
  EXPECT_EQ(refusal("expect prefix hex \"4\" or close"),
            refused_at(1, 21, "a second hex digit", "'\"'"));
  // Between the digits of a pair: the space.
  EXPECT_EQ(refusal("send hex \"4 8\""), refused_at(1, 12, "a second hex digit", "' '"));
}

TEST(ScriptErrors, MissingOrWrongArguments) {
  EXPECT_EQ(refusal("send"),
            refused_at(1, 5, "what to send: a quoted string, hex or a computed part", end_of_line));
  EXPECT_EQ(refusal("send raw"),
            refused_at(1, 9, "what to send: a quoted string, hex or a computed part", end_of_line));
  EXPECT_EQ(refusal("send hello"),
            refused_at(1, 6, "what to send: a quoted string, hex or a computed part", "'hello'"));
  EXPECT_EQ(refusal("expect"), refused_at(1, 7, what_to_expect, end_of_line));
  EXPECT_EQ(refusal("expect within 2s"), refused_at(1, 8, what_to_expect, "'within'"));
  EXPECT_EQ(refusal("expect \"a\" or"), refused_at(1, 14, what_to_expect, end_of_line));
  EXPECT_EQ(refusal("expect \"a\" or or close"), refused_at(1, 15, what_to_expect, "'or'"));
  EXPECT_EQ(refusal("expect exact \"a\""), refused_at(1, 8, what_to_expect, "'exact'"));
  EXPECT_EQ(refusal("expect prefix"), refused_at(1, 14, "a quoted string", end_of_line));
  EXPECT_EQ(refusal("expect contains x"), refused_at(1, 17, "a quoted string", "'x'"));
  EXPECT_EQ(refusal("expect regex x"), refused_at(1, 14, "a quoted regular expression", "'x'"));
  EXPECT_EQ(refusal("expect regex"), refused_at(1, 13, "a quoted regular expression", end_of_line));
  EXPECT_EQ(refusal("expect regex \"(.*)\" as"), refused_at(1, 23, "a variable name", end_of_line));
  EXPECT_EQ(refusal("expect regex \"(.*)\" as 1x"), refused_at(1, 24, "a variable name", "'1x'"));
  EXPECT_EQ(refusal("expect regex \"(.*)\" as a.b"), refused_at(1, 24, "a variable name", "'a.b'"));
  EXPECT_EQ(refusal("expect regex \"(.*)\" as \"v\""),
            refused_at(1, 24, "a variable name", "the string \"v\""));
}

// RE2's own words follow "a valid regular expression"; the column is that
// of the part RE2 names, or of the opening quote when it cannot be placed.
std::string refused_regex(std::size_t line, std::size_t column, std::string_view complaint,
                          std::string_view pattern) {
  return refused_at(line, column, "a valid regular expression (" + std::string(complaint) + ")",
                    "the string \"" + std::string(pattern) + "\"");
}

TEST(ScriptErrors, InvalidRegexPointsAtTheRefusedPart) {
  EXPECT_EQ(refusal("expect regex \"(a\""), refused_regex(1, 15, "missing ): (a", "(a"));
  EXPECT_EQ(refusal("close\nexpect \"x\" or regex \"a{2,1}\" as v"),
            refused_regex(2, 23, "invalid repetition size: {2,1}", "a{2,1}"));
  EXPECT_EQ(refusal(R"(expect regex "[z-a]")"),
            refused_regex(1, 16, "invalid character class range: z-a", "[z-a]"));
  EXPECT_EQ(refusal(R"(expect regex "ab\q")"),
            refused_regex(1, 17, R"(invalid escape sequence: \q)", R"(ab\q)"));
  // Escapes reach the engine as written: a trailing \\ is an escaped backslash.
  EXPECT_NO_THROW(parsed(R"(expect regex "a\\")"));
  EXPECT_NO_THROW(parsed(R"(expect regex "\"(.*)\"")"));
}

TEST(ScriptErrors, ARefusedRegexIsRefusedAlikeWhenItComesAgain) {
  // Compiled patterns are kept for the process, the refused ones too: the
  // second parse takes RE2's complaint from the kept pattern.
  const std::string first = refusal("expect regex \"(b{3,2}\"");
  EXPECT_EQ(first, refused_regex(1, 17, "invalid repetition size: {3,2}", "(b{3,2}"));
  EXPECT_EQ(refusal("expect regex \"(b{3,2}\""), first);
  EXPECT_EQ(refusal("close\n  expect regex \"(b{3,2}\""),
            refused_regex(2, 19, "invalid repetition size: {3,2}", "(b{3,2}"));
}

TEST(ScriptErrors, RegexFeaturesThatNeedBacktrackingAreRefused) {
  // RE2 has no back-references or lookaround: it matches in linear time.
  EXPECT_EQ(refusal(R"(expect regex "(a)\1" as v)"),
            refused_regex(1, 18, R"(invalid escape sequence: \1)", R"((a)\1)"));
  EXPECT_EQ(refusal(R"re(expect regex "x(?=a)")re"),
            refused_regex(1, 16, "invalid perl operator: (?=", "x(?=a)"));
  EXPECT_EQ(refusal(R"(expect regex "(?<!a)b")"),
            refused_regex(1, 15, "invalid perl operator: (?<", "(?<!a)b"));
  // The full message, as the CLI prints it.
  script_error e;
  ASSERT_FALSE(parse_script("send \"x\"\n  expect regex \"(a)\\1\"\n", e));
  EXPECT_EQ(e.to_string("t.tcs"), R"(t.tcs:2:20: expected a valid regular expression )"
                                  R"((invalid escape sequence: \1), found the string "(a)\1")");
}

TEST(ScriptErrors, RegexErrorAtAnAmbiguousPartPointsAtTheQuote) {
  // "\1" occurs twice (the first after an escaped backslash): which one RE2
  // means is not known, so the pattern as a whole is pointed at.
  EXPECT_EQ(refusal(R"(expect regex "\\1(a)\1")"),
            refused_regex(1, 14, R"(invalid escape sequence: \1)", R"(\\1(a)\1)"));
}

TEST(ScriptErrors, RegexLongerThanTheLimitIsRefused) {
  const std::size_t limit = script_limits::longest_regex;
  EXPECT_EQ(limit, 1024u);
  EXPECT_NO_THROW(parsed("expect regex \"" + std::string(limit, 'a') + "\""));
  EXPECT_EQ(refusal("expect regex \"" + std::string(limit + 1, 'a') + "\""),
            refused_at(1, 14, "a regular expression of at most 1024 characters", "one of 1025"));
}

TEST(ScriptErrors, RegexAboveTheMemoryLimitIsRefused) {
  // 146 x .{1000} is 146000 instructions: over 1 MiB (RE2's default of 8 MiB
  // would take it). RE2 quotes no part, so the error is at the quote.
  EXPECT_EQ(script_limits::regex_memory, 1 << 20);
  std::string pattern;
  while (pattern.size() + 7 <= script_limits::longest_regex)
    pattern += ".{1000}";
  EXPECT_EQ(refusal("expect regex \"" + pattern + "\""),
            refused_regex(1, 14, "pattern too large - compile failed", pattern));
  EXPECT_NO_THROW(parsed("expect regex \".{1000}.{1000}\""));
}

TEST(Script, RegexPatternsAreBytesNotUtf8) {
  // Latin-1 for RE2: a byte that is not UTF-8 is a character like any other.
  const script_step step = only_step("expect regex \"caf\xe9 \xff+\"");
  EXPECT_EQ(step.alternatives[0].pattern, "caf\xe9 \xff+");
  EXPECT_NO_THROW(parsed(R"(expect regex "[\x00-\xff]\p{Latin}")"));
}

// A regex is checked when the script is parsed, so a pattern that is long
// or deeply nested (well within the script size limit) must end in a verdict,
// accepted or refused, and never crash the parser. Each parse runs in a child
// process, so a crash fails only its own test.
void expect_parse_finishes(const std::string& text) {
  EXPECT_EXIT(
      {
        script_error e;
        const auto s = parse_script(text, e);
        std::fprintf(stderr, "%s\n", s ? "accepted" : e.to_string("script.tcs").c_str());
        std::exit(0);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST(ScriptDeathTest, LongRegexIsParsedWithoutCrashing) {
  expect_parse_finishes("expect regex \"" + std::string(100000, 'a') + "\"\n");
}

TEST(ScriptDeathTest, DeeplyNestedRegexIsParsedWithoutCrashing) {
  // As deep as the length limit allows, so RE2 sees it, and far beyond it.
  const std::size_t depth = (script_limits::longest_regex - 1) / 2;
  expect_parse_finishes("expect regex \"" + std::string(depth, '(') + "a" +
                        std::string(depth, ')') + "\"\n");
  expect_parse_finishes("expect regex \"" + std::string(20000, '(') + "a" +
                        std::string(20000, ')') + "\"\n");
}

TEST(ScriptErrors, TooLargeOrZeroAnyCount) {
  const std::string_view a_count = "a frame count from 1 to 1000000";
  EXPECT_EQ(refusal("expect any 1000001"), refused_at(1, 12, a_count, "'1000001'"));
  EXPECT_EQ(refusal("expect any 4294967296"), refused_at(1, 12, a_count, "'4294967296'"));
  EXPECT_EQ(refusal("expect any 0"), refused_at(1, 12, a_count, "'0'"));
  EXPECT_EQ(refusal("expect any 5x"), refused_at(1, 12, a_count, "'5x'"));
  EXPECT_EQ(script_limits::most_frames_in_any, 1000000u);
}

TEST(ScriptErrors, BadConnectionNamePointsAtThePrefix) {
  const std::string_view a_name = "a connection name (letters, digits, '_', '-')";
  EXPECT_EQ(refusal("1db: connect"), refused_at(1, 1, a_name, "'1db:'"));
  EXPECT_EQ(refusal("  -x: connect"), refused_at(1, 3, a_name, "'-x:'"));
  EXPECT_EQ(refusal("d.b: connect"), refused_at(1, 1, a_name, "'d.b:'"));
}

TEST(ScriptErrors, ConnectionUsedBeforeConnect) {
  EXPECT_EQ(refusal("db: send \"x\""),
            refused_at(1, 1, "a connection opened by 'db: connect' first", "'db:'"));
  EXPECT_EQ(refusal("send \"x\"\n  other: close\nother: connect"),
            refused_at(2, 3, "a connection opened by 'other: connect' first", "'other:'"));
  // Names are case-sensitive.
  EXPECT_EQ(refusal("db: connect\nDB: close"),
            refused_at(2, 1, "a connection opened by 'DB: connect' first", "'DB:'"));
}

TEST(ScriptErrors, VariableUsedBeforeItIsCaptured) {
  EXPECT_EQ(refusal("send \"hi ${name}\""),
            refused_at(1, 1, "${name} captured by an earlier 'expect regex ... as name'",
                       "its first use"));
  EXPECT_EQ(
      refusal("db: connect\n  db: expect prefix \"${who}\""),
      refused_at(2, 3, "${who} captured by an earlier 'expect regex ... as who'", "its first use"));
  // Not in the step that captures it, even in a later alternative.
  EXPECT_EQ(
      refusal("expect regex \"(.*)\" as x or \"${x}\""),
      refused_at(1, 1, "${x} captured by an earlier 'expect regex ... as x'", "its first use"));
  // Captured after its use.
  EXPECT_EQ(
      refusal("send \"${x}\"\nexpect regex \"(.*)\" as x"),
      refused_at(1, 1, "${x} captured by an earlier 'expect regex ... as x'", "its first use"));
  // A capture on any connection serves every later step.
  EXPECT_NO_THROW(parsed("db: connect\ndb: expect regex \"(.*)\" as x\nsend \"${x}\"\n"));
}

TEST(ScriptErrors, DirectiveAfterAStep) {
  EXPECT_EQ(refusal("send \"x\"\n  timeout 2s"),
            refused_at(2, 3, "a step (directives such as 'timeout' come before the first step)",
                       "'timeout'"));
  EXPECT_EQ(refusal("framing line\nclose\n\nignore \"x\""),
            refused_at(4, 1, "a step (directives such as 'ignore' come before the first step)",
                       "'ignore'"));
  // After the first step, `framing` is a step of its own (framing per step).
  EXPECT_EQ(parsed("framing line\nclose\n\nframing raw").steps.back().framing, "raw");
}

TEST(ScriptErrors, DuplicateFramingOrTimeout) {
  EXPECT_EQ(refusal("framing line\nframing line"),
            refused_at(2, 1, "one framing directive", "a second one"));
  EXPECT_EQ(refusal("timeout 1s\nframing line\n # c\n  timeout 1s"),
            refused_at(4, 3, "one timeout directive", "a second one"));
}

TEST(ScriptErrors, BadFramingSpecPointsInsideTheSpec) {
  struct spec_case {
    std::string line;
    std::string_view spec; ///< the spec as parse_framing_spec sees it
    std::size_t column;    ///< in the script line
    std::string found;
  };
  const spec_case cases[] = {
      // "len:u33be": the spec's column 5, after "framing " (8 columns).
      {"framing len:u33be", "len:u33be", 13, "'len:u33be'"},
      // Quoted: one more for the quote.
      {"framing \"len:u33be\"", "len:u33be", 14, "the string \"len:u33be\""},
      {"  framing len:u32be,max=0", "len:u32be,max=0", 25, "'len:u32be,max=0'"},
      {R"(framing "delim:a|\q")", R"(delim:a|\q)", 18, R"(the string "delim:a|\q")"},
      {"framing \"\"", "", 10, "the string \"\""},
      {"framing lines", "lines", 9, "'lines'"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.line);
    spec_error bad;
    ASSERT_FALSE(parse_framing_spec(c.spec, bad).has_value());
    ASSERT_FALSE(bad.reason.empty());
    EXPECT_EQ(refusal(c.line),
              refused_at(1, c.column, "a framing spec (" + bad.reason + ")", c.found));
  }
  EXPECT_EQ(refusal("framing"),
            refused_at(1, 8, "a framing spec such as line or len:u32be", end_of_line));
  EXPECT_EQ(refusal("framing # none"),
            refused_at(1, 9, "a framing spec such as line or len:u32be", end_of_line));
}

TEST(ScriptErrors, TrailingGarbageAfterAStepOrDirective) {
  EXPECT_EQ(refusal("send \"x\" y"), refused_at(1, 10, end_of_line, "'y'"));
  EXPECT_EQ(refusal("send \"x\" within"), refused_at(1, 10, end_of_line, "'within'"));
  // Parts one after the other are one payload.
  EXPECT_EQ(parsed("send \"x\"\"y\"").steps[0].payload, parsed("send \"xy\"").steps[0].payload);
  EXPECT_EQ(refusal("close now"), refused_at(1, 7, end_of_line, "'now'"));
  EXPECT_EQ(refusal("connect db 1"), refused_at(1, 9,
                                                "a loopback endpoint HOST:PORT (127.0.0.1:PORT, "
                                                "[::1]:PORT or localhost:PORT; PORT a number or "
                                                "${name})",
                                                "'db'"));
  EXPECT_EQ(refusal("connect 127.0.0.1:80 x"), refused_at(1, 22, end_of_line, "'x'"));
  EXPECT_EQ(refusal("shutdown 1s"), refused_at(1, 10, end_of_line, "'1s'"));
  EXPECT_EQ(refusal("reset \"x\""), refused_at(1, 7, end_of_line, "the string \"x\""));
  EXPECT_EQ(refusal("sleep 1s 2s"), refused_at(1, 10, end_of_line, "'2s'"));
  EXPECT_EQ(refusal("expect close \"x\""), refused_at(1, 14, end_of_line, "the string \"x\""));
  EXPECT_EQ(refusal("expect \"a\" within 1s or close"), refused_at(1, 22, end_of_line, "'or'"));
  EXPECT_EQ(refusal("expect any -1"), refused_at(1, 12, end_of_line, "'-1'"));
  EXPECT_EQ(refusal("expect regex \"a\" \"b\""),
            refused_at(1, 18, end_of_line, "the string \"b\""));
  EXPECT_EQ(refusal("framing line extra"), refused_at(1, 14, end_of_line, "'extra'"));
  EXPECT_EQ(refusal("timeout 2s 3s"), refused_at(1, 12, end_of_line, "'3s'"));
}

TEST(ScriptErrors, NulBytePointsAtItselfAnywhere) {
  const std::string_view nul = "a NUL byte (write \\0 inside a string)";
  EXPECT_EQ(refusal("send \"a\0b\"\n"s), refused_at(1, 8, "text", nul));
  EXPECT_EQ(refusal("close\n# comment \0\n"s), refused_at(2, 11, "text", nul));
  EXPECT_EQ(refusal("\0"s), refused_at(1, 1, "text", nul));
  EXPECT_EQ(refusal("# description\0\n"s), refused_at(1, 14, "text", nul));
}

TEST(ScriptErrors, RefusesAScriptAboveTheSizeLimit) {
  EXPECT_EQ(script_limits::largest_script, 4u << 20);
  const std::string largest(script_limits::largest_script, ' ');
  EXPECT_NO_THROW(parsed(largest));
  EXPECT_EQ(refusal(largest + " "),
            refused_at(1, 1, "a script of at most 4194304 bytes", "4194305 bytes"));
}

TEST(ScriptErrors, RefusesMoreThanTheMostSteps) {
  std::string text;
  text.reserve(6 * (script_limits::most_steps + 1));
  for (std::size_t i = 0; i < script_limits::most_steps; ++i)
    text += "close\n";
  EXPECT_EQ(parsed(text).steps.size(), script_limits::most_steps);
  text += "close\n";
  EXPECT_EQ(refusal(text),
            refused_at(script_limits::most_steps + 1, 1, "at most 100000 steps", "more"));
}

TEST(ScriptErrors, ReportsTheFirstErrorOnly) {
  EXPECT_EQ(refusal("close\nsned\nsend \"x"), refused_at(2, 1, a_step, "'sned'"));
  EXPECT_EQ(refusal("send \"\\q\" \"x"), refused_at(1, 11, "a closing '\"'", end_of_line));
}

// --- The printer -----------------------------------------------------------

TEST(ScriptPrinter, PrintsTheCanonicalForm) {
  const script s = parsed(R"tcs(#   greeting server
timeout 2000ms
framing   line

  expect    "Server: Welcome!"   # the banner
send hex "61 6c 69 63 65"
expect regex "^Hello (\w+)!$" as name
# a comment
db: connect
db: send raw "${name}"
expect any 1 or any 2 or close or reset or silence 1500ms within 60000ms
main: sleep 0s
expect prefix hex "0d0a" or contains "x"
shutdown
close
reset
)tcs");
  EXPECT_EQ(to_string(s), R"tcs(# greeting server
framing line
timeout 2s

expect "Server: Welcome!"
send "alice"
expect regex "^Hello (\w+)!$" as name
db: connect
db: send raw "${name}"
expect any or any 2 or close or reset or silence 1500ms within 60s
sleep 0ms
expect prefix "\r\n" or contains "x"
shutdown
close
reset
)tcs");
}

TEST(ScriptPrinter, SeparatesTheHeaderFromTheStepsOnlyWhenThereAreBoth) {
  EXPECT_EQ(to_string(script{}), "");
  EXPECT_EQ(to_string(parsed("# d\n")), "# d\n");
  EXPECT_EQ(to_string(parsed("timeout 1s\n\n\n")), "timeout 1s\n");
  EXPECT_EQ(to_string(parsed("\n\nclose\n")), "close\n");
  EXPECT_EQ(to_string(parsed("# d\nclose\n")), "# d\n\nclose\n");
  EXPECT_EQ(to_string(parsed("framing raw\nclose\n")), "framing raw\n\nclose\n");
}

TEST(ScriptPrinter, QuotesAFramingSpecOnlyWhenAWordCannotHoldIt) {
  EXPECT_EQ(to_string(parsed("framing \"len:u32be,max=64K\"")), "framing len:u32be,max=64K\n");
  EXPECT_EQ(to_string(parsed(R"(framing delim:\r\n|\x20)")), "framing delim:\\r\\n|\\x20\n");
  EXPECT_EQ(to_string(parsed("framing \"delim:#\"")), "framing \"delim:#\"\n");
  EXPECT_EQ(to_string(parsed("framing \"delim: \"")), "framing \"delim: \"\n");
  EXPECT_EQ(to_string(parsed("framing \"delim:a\tb\"")), "framing \"delim:a\tb\"\n");
}

TEST(ScriptPrinter, WritesTrickyBytesAsEscapesThatReadBack) {
  struct text_case {
    std::string bytes;
    std::string_view printed;
  };
  const text_case cases[] = {
      {"\\x22", R"("\\x22")"}, // a literal backslash followed by "x22"
      {"\\x24", R"("\\x24")"},
      {"\\\"", R"("\\\"")"}, // a backslash, then a quote
      {"\"", R"("\"")"},
      {"$", R"("\$")"},
      {"${a}", R"("\${a}")"}, // looks like a variable but is text
      {"\\${a}", R"("\\\${a}")"},
      {"\\", R"("\\")"},
      {"\\\\n", R"("\\\\n")"},
      {"\r\n\t", R"("\r\n\t")"},
      {"\0"s, R"("\0")"},
      {"\0"s + "1", R"("\01")"}, // \0 then the digit 1
      {"\x01\x1f\x7f\x80\xff", R"("\x01\x1f\x7f\x80\xff")"},
      {"#", R"("#")"},
      {"x22", R"("x22")"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.printed);
    script s;
    script_step step;
    step.payload = text_of(c.bytes);
    s.steps.push_back(step);
    EXPECT_EQ(to_string(s), "send " + std::string(c.printed) + "\n");
    expect_round_trip(s);
  }
}

TEST(ScriptPrinter, RoundTripsEveryByteValue) {
  std::string all;
  for (int b = 0; b < 256; ++b)
    all += static_cast<char>(b);
  std::string pairs; // each byte after a backslash and before "x22"
  for (int b = 0; b < 256; ++b)
    pairs += "\\"s + static_cast<char>(b) + "x22";
  script s;
  for (const std::string& payload : {all, pairs}) {
    script_step step;
    step.payload = text_of(payload);
    s.steps.push_back(step);
    step.what = script_step::kind::expect;
    step.payload = {};
    expectation e;
    e.what = expectation::kind::contains;
    e.text = text_of(payload);
    step.alternatives = {e};
    s.steps.push_back(step);
  }
  expect_round_trip(s);
  // One line per step: no raw byte in the printed text ends a line.
  const std::string printed = to_string(s);
  EXPECT_EQ(std::count(printed.begin(), printed.end(), '\n'), 4);
  EXPECT_EQ(printed.find('\r'), std::string::npos);
  EXPECT_EQ(printed.find('\0'), std::string::npos);
}

TEST(ScriptPrinter, RoundTripsVariablesNextToEscapedText) {
  script s;
  script_step capture;
  capture.what = script_step::kind::expect;
  expectation e;
  e.what = expectation::kind::regex;
  e.pattern = R"(^\"(.*)\"\$ \\$)";
  e.capture = "v";
  capture.alternatives = {e};
  s.steps.push_back(capture);
  script_step send;
  send.payload = text_of(
      {literal("$"), variable("v"), literal("{\\"), variable("v"), variable("v"), literal("\"}$")});
  s.steps.push_back(send);
  EXPECT_EQ(to_string(s), R"(expect regex "^\"(.*)\"\$ \\$" as v
send "\$${v}{\\${v}${v}\"}\$"
)");
  expect_round_trip(s);
}

TEST(ScriptPrinter, RoundTripsHandWrittenScripts) {
  const char* const scripts[] = {
      "",
      "# only a description",
      "framing \"delim:\\r\\n| |#\"\ntimeout 1ms\n",
      R"tcs(# checks: the greeting server welcomes a client and greets it by name
framing line
timeout 2s

expect "Server: Welcome!"
expect "What's your name?"
send "alice"
expect regex "^Hello (\w+)!$" as name
send "exit ${name}"
expect "Good bye!" or close
)tcs",
      R"tcs(a: connect
b-2: connect
a: send raw hex "00 01 fe ff"
b-2: expect regex "(\d+) \"q\"" as n or any 7 or reset or silence 86400s within 86400000ms
send "\${n} ${n}\\x22 \" \$ \x7f\x80"
b-2: shutdown
a: sleep 1001ms
a: close
reset
)tcs",
      "expect contains \"\" or prefix hex \"\" or \"\"\nsend raw \"\"\n",
      "expect regex \"\" as x\nexpect regex \"a\tb\\\\\"\n",
  };
  for (const char* text : scripts) {
    SCOPED_TRACE(text);
    expect_round_trip(parsed(text));
  }
}

TEST(ScriptPrinter, RoundTripsAFramingSpecHoldingACarriageReturn) {
  // A quoted spec may hold any byte but NUL and LF; printing must keep it one token.
  const script s = parsed("framing \"delim:\r\"\nclose\n");
  EXPECT_EQ(s.framing, "delim:\r");
  expect_round_trip(s);
}

// Scripts built at random from every construct, with a fixed seed: the
// canonical printer's output parses back to the same script.
class script_generator {
public:
  explicit script_generator(std::uint32_t seed) : rng_(seed) {}

  script next() {
    script s;
    connections_ = {"main"};
    variables_.clear();
    if (chance(2)) s.description = description();
    if (chance(2))
      s.framing = pick<std::string>({"line", "raw", "len:u32be,max=64K", "varint", "delim:\\r\\n| ",
                                     "delim:#|\\x22", "fixed:16", "delim:a\tb", "line,crlf"});
    if (chance(2)) s.timeout = a_duration();
    const int steps = below(12);
    for (int i = 0; i < steps; ++i)
      s.steps.push_back(step());
    return s;
  }

private:
  int below(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  bool chance(int one_in) { return below(one_in) == 0; }
  template <class T>
  T pick(std::initializer_list<T> choices) {
    return *(choices.begin() + below(static_cast<int>(choices.size())));
  }

  std::string description() {
    std::string d(1, static_cast<char>('!' + below(94)));
    const int n = below(20);
    for (int i = 0; i < n; ++i)
      d += static_cast<char>(' ' + below(95));
    d += static_cast<char>('!' + below(94));
    return d;
  }

  // A time limit or quiet period is at least 1ms; a sleep may be 0ms.
  duration a_duration(std::int64_t least = 1) {
    const std::int64_t ms = chance(2) ? 1000 * (least > 0 ? 1 + below(86400) : below(86401))
                                      : std::uniform_int_distribution<std::int64_t>(
                                            least, script_limits::longest_duration_ms)(rng_);
    return duration(ms);
  }

  std::string name() {
    static constexpr std::string_view start = "abcxyzABZ_";
    static constexpr std::string_view rest = "abz09_-";
    std::string n(1, start[below(static_cast<int>(start.size()))]);
    const int more = below(4);
    for (int i = 0; i < more; ++i)
      n += rest[below(static_cast<int>(rest.size()))];
    return n;
  }

  script_text text() {
    script_text t;
    const int segments = below(5);
    bool last_literal = false;
    for (int i = 0; i < segments; ++i) {
      if (!variables_.empty() && (last_literal || chance(2))) {
        t.segments.push_back(variable(variables_[below(static_cast<int>(variables_.size()))]));
        last_literal = false;
      } else if (!last_literal) {
        script_text::segment lit;
        const int n = 1 + below(8);
        for (int j = 0; j < n; ++j)
          lit.bytes.push_back(static_cast<std::uint8_t>(
              chance(3) ? pick<int>({'\\', '"', '$', '{', '}', 'x', '2', '0', '\r', '\n'})
                        : below(256)));
        t.segments.push_back(std::move(lit));
        last_literal = true;
      }
    }
    return t;
  }

  // A valid ECMAScript pattern, built from atoms and quantifiers, with the
  // escapes and raw bytes (tab, CR, '#', '$', UTF-8) that stress the quoting.
  std::string pattern() {
    std::string p;
    const int n = below(8);
    for (int i = 0; i < n; ++i) {
      if (chance(3)) {
        p += pick<std::string_view>({R"(\")", R"(\\)", R"(\w)", R"(\$)", R"(\x41)", "(.*)",
                                     "[a-z${}]", "(?:ab|c)", ".", "\t", "\r", "#", "\xc3\xa9"});
      } else {
        static constexpr std::string_view special = "\"\\\n^$.|?*+()[]{}";
        char c = static_cast<char>(1 + below(255));
        if (special.find(c) != std::string_view::npos) c = 'q';
        p += c;
      }
      if (chance(4)) p += pick<std::string_view>({"*", "+", "?", "{2}", "{1,3}"});
    }
    if (chance(4)) p = "^" + p + "$";
    return p;
  }

  expectation alternative() {
    expectation e;
    switch (below(8)) {
    case 0:
      e.what = expectation::kind::exact;
      e.text = text();
      break;
    case 1:
      e.what = expectation::kind::prefix;
      e.text = text();
      break;
    case 2:
      e.what = expectation::kind::contains;
      e.text = text();
      break;
    case 3:
      e.what = expectation::kind::regex;
      e.pattern = pattern();
      if (chance(2)) e.capture = name();
      break;
    case 4:
      e.what = expectation::kind::any;
      e.count = chance(2) ? 1 : 1 + below(static_cast<int>(script_limits::most_frames_in_any));
      break;
    case 5:
      e.what = expectation::kind::close;
      break;
    case 6:
      e.what = expectation::kind::reset;
      break;
    default:
      e.what = expectation::kind::silence;
      e.quiet = a_duration();
      break;
    }
    return e;
  }

  script_step step() {
    script_step s;
    s.connection = connections_[below(static_cast<int>(connections_.size()))];
    switch (below(7)) {
    case 0:
      s.what = script_step::kind::connect;
      s.connection = chance(4) ? "main" : name();
      if (std::find(connections_.begin(), connections_.end(), s.connection) == connections_.end())
        connections_.push_back(s.connection);
      break;
    case 1:
      s.what = script_step::kind::send;
      s.raw = chance(2);
      s.payload = text();
      break;
    case 2: {
      s.what = script_step::kind::expect;
      const int n = 1 + below(3);
      for (int i = 0; i < n; ++i)
        s.alternatives.push_back(alternative());
      if (chance(2)) s.within = a_duration();
      for (const auto& e : s.alternatives)
        if (!e.capture.empty()) variables_.push_back(e.capture);
      break;
    }
    case 3:
      s.what = script_step::kind::sleep;
      s.pause = a_duration(0);
      break;
    case 4:
      s.what = script_step::kind::shutdown;
      break;
    case 5:
      s.what = script_step::kind::close;
      break;
    default:
      s.what = script_step::kind::reset;
      break;
    }
    return s;
  }

  std::mt19937 rng_;
  std::vector<std::string> connections_;
  std::vector<std::string> variables_;
};

TEST(ScriptPrinter, RoundTripsGeneratedScripts) {
  script_generator generate(20240601);
  for (int i = 0; i < 500; ++i) {
    SCOPED_TRACE("script " + std::to_string(i));
    const script s = generate.next();
    expect_round_trip(s);
    if (HasFailure()) break;
  }
}

// A spec given on a command line (a recording's) may hold bytes a script's
// word cannot: they are printed as the spec language's escapes, which mean
// the same delimiter.
TEST(Script, AFramingSpecWithAQuoteOrALineBreakPrintsAsEscapes) {
  for (const std::string raw : {"delim:\"", "delim:;\n", "delim:a\"b c"}) {
    script s;
    s.framing = raw;
    script_step first;
    first.payload.segments.push_back(script_text::segment::literal(byte_buffer{0x78}));
    s.steps.push_back(first);
    script_step framing_step;
    framing_step.what = script_step::kind::framing;
    framing_step.framing = raw;
    s.steps.push_back(framing_step);
    const std::string printed = to_string(s);
    script_error error;
    const auto back = parse_script(printed, error);
    ASSERT_TRUE(back) << printed << "\n" << error.to_string("printed");
    spec_error ignored;
    const auto original = parse_framing_spec(raw, ignored);
    ASSERT_TRUE(original) << raw;
    ASSERT_TRUE(back->framing);
    EXPECT_EQ(parse_framing_spec(*back->framing, ignored), original) << printed;
    EXPECT_EQ(parse_framing_spec(back->steps.at(1).framing, ignored), original) << printed;
  }
}

// `transport udp`: datagrams carry the conversation; the default stays TCP.
TEST(Script, TransportUdpIsADirectiveThatPrintsBack) {
  const script s = parsed("transport udp\nframing line\nsend \"ping\"\nexpect \"pong\"\n");
  EXPECT_EQ(s.transport, script_transport::udp);
  EXPECT_EQ(to_string(parsed(to_string(s))), to_string(s));
  EXPECT_NE(to_string(s).find("transport udp\n"), std::string::npos);
  EXPECT_EQ(parsed("send \"x\"\n").transport, script_transport::tcp);
  EXPECT_EQ(parsed("transport tcp\nsend \"x\"\n").transport, script_transport::tcp);
  EXPECT_EQ(to_string(parsed("transport tcp\nsend \"x\"\n")).find("transport"),
            std::string::npos); // the default is not written
}

TEST(Script, TransportTakesTcpOrUdpOnceBeforeTheSteps) {
  EXPECT_EQ(refusal("transport sctp\n"), refused_at(1, 11, "the transport: tcp or udp", "'sctp'"));
  EXPECT_EQ(refusal("transport udp\ntransport udp\n"),
            refused_at(2, 1, "one transport directive", "a second one"));
  EXPECT_EQ(refusal("send \"x\"\ntransport udp\n"),
            refused_at(2, 1, "a step (directives such as 'transport' come before the first step)",
                       "'transport'"));
}

// Steps that need a TCP stream are refused under UDP, with their line and
// column, not ignored.
TEST(Script, StreamOnlyStepsAreRefusedUnderUdp) {
  const std::string expected =
      "a step a datagram conversation has ('transport udp': send, expect, sleep, connect, "
      "close, framing, sync)";
  EXPECT_EQ(refusal("transport udp\nsend \"x\"\nshutdown\n"),
            refused_at(3, 1, expected, "'shutdown', which needs a TCP stream"));
  EXPECT_EQ(refusal("transport udp\nsend \"x\"\n  reset\n"),
            refused_at(3, 3, expected, "'reset', which needs a TCP stream"));
  EXPECT_EQ(refusal("transport udp\nsend \"x\"\nexpect \"y\" or close\n"),
            refused_at(3, 1, expected, "'expect close', which needs a TCP stream"));
  EXPECT_EQ(refusal("transport udp\nb: connect\nb: expect reset\n"),
            refused_at(3, 1, expected, "'expect reset', which needs a TCP stream"));
  // The same steps are fine over TCP, and close and named connections over UDP.
  EXPECT_NO_THROW(parsed("send \"x\"\nshutdown\nexpect close\n"));
  EXPECT_NO_THROW(parsed("transport udp\nb: connect\nb: send \"x\"\nb: close\n"));
}

// `framing datagram` on a TCP script is refused at the spec, wherever the
// header says it; with `transport udp` before or after it, it is fine.
TEST(Script, DatagramFramingLineNeedsTransportUdp) {
  const std::string expected = "a stream framing ('datagram' needs 'transport udp')";
  EXPECT_EQ(refusal("framing datagram\nsend \"x\"\n"), refused_at(1, 9, expected, "'datagram'"));
  EXPECT_EQ(refusal("# d\ntimeout 5s\nframing  datagram,max=100\n"),
            refused_at(3, 10, expected, "'datagram,max=100'"));
  EXPECT_NO_THROW(parsed("framing datagram\ntransport udp\nsend \"x\"\n"));
  EXPECT_NO_THROW(parsed("transport udp\nframing datagram\n"));
}

} // namespace
} // namespace tcpcheck
