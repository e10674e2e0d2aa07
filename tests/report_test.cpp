// Tests for report.hpp (script runs as report cases) through the report
// writers: the human report, JSON (parsed back by nlohmann::json), JUnit XML
// (checked for balanced, escaped markup), and shell_quote (checked against
// a real POSIX shell).
#include "tcpcheck/harness/report.hpp"

#include "tcpcheck/bytes.hpp"
#include "tcpcheck/escape.hpp"
#include "tcpcheck/harness/run.hpp"
#include "tcpcheck/report/writers.hpp"
#include "tcpcheck/script.hpp"
#include "tcpcheck/session.hpp"

#include <cctype>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace tcpcheck::harness {
namespace {

using namespace std::chrono_literals;

// ---------------------------------------------------------------------------
// Reports to write

constexpr std::string_view hello_text = R"(# checks: the hello server greets a name
framing line
timeout 2s

expect "Server: Welcome!"
expect "What's your name?"
send "Michael"
expect "Hello Michael!"
send "exit"
expect "Good bye!"
)";

const script& hello_script() {
  static const script s = [] {
    script_error error;
    auto parsed = parse_script(hello_text, error);
    if (!parsed) throw std::invalid_argument(error.to_string("hello"));
    return *std::move(parsed);
  }();
  return s;
}

wire_event event(wire_event::kind what, std::chrono::microseconds at, std::string_view bytes,
                 std::size_t size = SIZE_MAX) {
  wire_event e;
  e.what = what;
  e.at = at;
  e.bytes.assign(bytes.begin(), bytes.end());
  e.size = size == SIZE_MAX ? bytes.size() : size;
  return e;
}

run_report base_report() {
  run_report r;
  r.script_path = "scripts/hello.tcs";
  r.steps = &hello_script();
  r.where = {"127.0.0.1", 9999};
  r.framing = "line";
  r.plan = "bytewise";
  r.replay = "tcpcheck run scripts/hello.tcs --target 127.0.0.1:9999 --plan bytewise";
  r.result.elapsed = 12345us;
  r.result.wire_log = {event(wire_event::kind::connect, 10us, ""),
                       event(wire_event::kind::connected, 50us, ""),
                       event(wire_event::kind::read, 80us, "Server: Welcome!\n"),
                       event(wire_event::kind::write, 120us, "M"),
                       // kept shortened: 3 of 7 bytes
                       event(wire_event::kind::write, 130us, "ich", 7)};
  return r;
}

run_report passing_report() {
  run_report r = base_report();
  r.plan = "whole";
  r.result.outcome.passed = true;
  r.result.outcome.step = hello_script().steps.size();
  return r;
}

// Fails at the third step of six (line 8, `expect "Hello Michael!"`).
run_report failing_report() {
  run_report r = base_report();
  verdict& v = r.result.outcome;
  v.passed = false;
  v.step = 3;
  v.line = 8;
  v.expected = R"("Hello Michael!")";
  v.got = R"("Hello M!")";
  v.reason = "the server sent another frame than expected";
  v.plan = "bytewise";
  return r;
}

std::string human(const run_report& r, bool verbose = false, bool color = false) {
  std::ostringstream out;
  report::write_human(out, to_document("run", "127.0.0.1:9999", {r}), {verbose, color});
  return out.str();
}

bool has(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

std::size_t count(std::string_view text, std::string_view part) {
  std::size_t n = 0;
  for (std::size_t at = text.find(part); at != std::string_view::npos;
       at = text.find(part, at + part.size()))
    ++n;
  return n;
}

// ---------------------------------------------------------------------------
// write_human

TEST(WriteHuman, MarksEveryStepOkAndThePass) {
  const std::string out = human(passing_report());

  EXPECT_TRUE(out.starts_with("tcpcheck run scripts/hello.tcs against 127.0.0.1:9999 (framing "
                              "line, plan whole)\n"))
      << out;
  EXPECT_TRUE(has(out, "# checks: the hello server greets a name\n")) << out;
  EXPECT_EQ(count(out, "  ok    line "), hello_script().steps.size()) << out;
  EXPECT_TRUE(has(out, "  ok    line 8  expect \"Hello Michael!\"\n")) << out;
  EXPECT_TRUE(has(out, "PASS in 12.3 ms\n")) << out;
  EXPECT_FALSE(has(out, "FAIL")) << out;
  EXPECT_FALSE(has(out, "replay:")) << out;
  EXPECT_FALSE(has(out, "\033[")) << out;
}

TEST(WriteHuman, MarksTheFailingStepWithExpectedGotAndReplay) {
  const std::string out = human(failing_report());

  EXPECT_TRUE(has(out, "  ok    line 5  expect \"Server: Welcome!\"\n")) << out;
  EXPECT_TRUE(has(out, "  ok    line 7  send \"Michael\"\n")) << out;
  EXPECT_TRUE(has(out, "  FAIL  line 8  expect \"Hello Michael!\"\n")) << out;
  EXPECT_TRUE(has(out, "        the server sent another frame than expected\n")) << out;
  EXPECT_TRUE(has(out, "        expected: \"Hello Michael!\"\n")) << out;
  EXPECT_TRUE(has(out, "        got:      \"Hello M!\"\n")) << out;
  EXPECT_TRUE(has(out, "FAIL at line 8 in 12.3 ms\n")) << out;
  EXPECT_TRUE(has(out, "replay: tcpcheck run scripts/hello.tcs --target 127.0.0.1:9999 --plan "
                       "bytewise\n"))
      << out;
  // Steps after the failure are not run, and not shown unless verbose.
  EXPECT_FALSE(has(out, "line 9")) << out;
  EXPECT_FALSE(has(out, "wire log:")) << out;
  EXPECT_FALSE(has(out, "(target unreachable)")) << out;
}

TEST(WriteHuman, ShowsStepsNotRunAndTheWireLogWhenVerbose) {
  const std::string out = human(failing_report(), true);

  EXPECT_TRUE(has(out, "  --    line 9  send \"exit\"\n")) << out;
  EXPECT_TRUE(has(out, "  --    line 10  expect \"Good bye!\"\n")) << out;
  EXPECT_TRUE(has(out, "wire log:\n")) << out;
  EXPECT_TRUE(has(out, "  10us  #0  connect\n")) << out;
  EXPECT_TRUE(has(out, "  80us  #0  read  17 bytes  \"Server: Welcome!\\n\"\n")) << out;
  EXPECT_TRUE(has(out, "  120us  #0  write  1 bytes  \"M\"\n")) << out;
  EXPECT_TRUE(has(out, "  130us  #0  write  7 bytes  \"ich\" (shortened)\n")) << out;
}

TEST(WriteHuman, SaysWhenTheTargetWasUnreachable) {
  run_report r = failing_report();
  r.result.unreachable = true;
  r.result.outcome.step = 0;
  r.result.outcome.line = 5;
  r.result.outcome.reason = "cannot connect 'main': Connection refused";
  r.result.outcome.expected = "a connection";
  r.result.outcome.got = "";

  const std::string out = human(r);

  EXPECT_TRUE(has(out, "  FAIL  line 5  expect \"Server: Welcome!\"\n")) << out;
  EXPECT_TRUE(has(out, "        cannot connect 'main': Connection refused\n")) << out;
  EXPECT_FALSE(has(out, "got:")) << out; // nothing came: no empty "got" line
  EXPECT_TRUE(has(out, "FAIL (target unreachable) at line 5")) << out;
}

TEST(WriteHuman, PrintsAFailureAfterTheLastStepOnItsOwnLine) {
  run_report r = failing_report();
  r.result.outcome.step = hello_script().steps.size();
  r.result.outcome.line = 0;
  r.result.outcome.reason = "the whole run took longer than 1s";
  r.result.outcome.expected = "";
  r.result.outcome.got = "";

  const std::string out = human(r);

  EXPECT_EQ(count(out, "  ok    line "), hello_script().steps.size()) << out;
  EXPECT_TRUE(has(out, "  FAIL  the whole run took longer than 1s\n")) << out;
  EXPECT_FALSE(has(out, "expected:")) << out;
}

TEST(WriteHuman, PaintsMarksOnlyWhenAskedForColor) {
  const std::string plain = human(failing_report());
  const std::string painted = human(failing_report(), false, true);

  EXPECT_FALSE(has(plain, "\033[")) << plain;
  EXPECT_TRUE(has(painted, "\033[32mok  \033[0m")) << painted;
  EXPECT_TRUE(has(painted, "\033[1;31mFAIL\033[0m  line 8")) << painted;
  EXPECT_TRUE(has(painted, "\033[1;31mFAIL\033[0m at line 8")) << painted;
  EXPECT_TRUE(has(human(passing_report(), false, true), "\033[1;32mPASS\033[0m in"));
}

using json = nlohmann::json;

json parse_json(std::string_view text) {
  return json::parse(text); // strict: throws on anything that is not JSON
}

std::string json_of(const std::vector<run_report>& reports) {
  std::ostringstream out;
  report::write_json(out, to_document("replay", "127.0.0.1:9999", reports));
  return out.str();
}

// ---------------------------------------------------------------------------
// write_json

TEST(WriteJson, WritesOneObjectPerRunWithEveryField) {
  const std::string text = json_of({passing_report(), failing_report()});
  const json doc = parse_json(text);

  ASSERT_TRUE(doc.is_object()) << text;
  const json& runs = doc["runs"];
  ASSERT_TRUE(runs.is_array());
  ASSERT_EQ(runs.size(), 2u);
  for (const json& run : runs)
    for (const char* field :
         {"script", "target", "framing", "plan", "passed", "unreachable", "line", "reason",
          "expected", "got", "elapsed_us", "replay", "steps", "wire_log"})
      EXPECT_TRUE(run.contains(field)) << field;

  const json& pass = runs[0];
  EXPECT_EQ(pass["script"].get<std::string>(), "scripts/hello.tcs");
  EXPECT_EQ(pass["target"].get<std::string>(), "127.0.0.1:9999");
  EXPECT_EQ(pass["framing"].get<std::string>(), "line");
  EXPECT_EQ(pass["plan"].get<std::string>(), "whole");
  EXPECT_TRUE(pass["passed"].is_boolean());
  EXPECT_TRUE(pass["passed"].get<bool>());
  EXPECT_FALSE(pass["unreachable"].get<bool>());
  EXPECT_EQ(pass["elapsed_us"].get<double>(), 12345);

  const json& fail = runs[1];
  EXPECT_FALSE(fail["passed"].get<bool>());
  EXPECT_EQ(fail["line"].get<double>(), 8);
  EXPECT_EQ(fail["reason"].get<std::string>(), "the server sent another frame than expected");
  EXPECT_EQ(fail["expected"].get<std::string>(), R"("Hello Michael!")");
  EXPECT_EQ(fail["got"].get<std::string>(), R"("Hello M!")");
  EXPECT_EQ(fail["replay"].get<std::string>(), failing_report().replay);
}

TEST(WriteJson, ListsEachStepWithItsLineAndStatus) {
  const json doc = parse_json(json_of({failing_report()}));
  const json& steps = doc["runs"].at(0)["steps"];

  ASSERT_EQ(steps.size(), hello_script().steps.size());
  const char* const statuses[] = {"ok", "ok", "ok", "failed", "not_run", "not_run"};
  for (std::size_t i = 0; i < steps.size(); ++i) {
    EXPECT_EQ(steps[i]["line"].get<double>(), static_cast<double>(hello_script().steps[i].line));
    EXPECT_EQ(steps[i]["status"].get<std::string>(), statuses[i]) << "step " << i;
    EXPECT_EQ(steps[i]["step"].get<std::string>(), to_string(hello_script().steps[i]));
  }
}

TEST(WriteJson, WritesTheWireLogWithTimesSizesAndEscapedBytes) {
  run_report r = failing_report();
  r.result.wire_log.push_back(
      event(wire_event::kind::read, 200us, std::string_view("\0\r\n\"\\\xff", 6)));
  r.result.wire_log.back().connection = 1;
  r.result.wire_log.back().text = "a note";
  const json doc = parse_json(json_of({r}));
  const json& log = doc["runs"].at(0)["wire_log"];

  ASSERT_EQ(log.size(), r.result.wire_log.size());
  EXPECT_EQ(log[0]["event"].get<std::string>(), "connect");
  EXPECT_EQ(log[0]["at_us"].get<double>(), 10);
  EXPECT_EQ(log[4]["event"].get<std::string>(), "write");
  EXPECT_EQ(log[4]["size"].get<double>(), 7); // the size written, not the bytes kept
  EXPECT_EQ(log[4]["bytes"].get<std::string>(), "ich");
  const json& last = log[5];
  EXPECT_EQ(last["event"].get<std::string>(), "read");
  EXPECT_EQ(last["connection"].get<double>(), 1);
  EXPECT_EQ(last["size"].get<double>(), 6);
  EXPECT_EQ(last["text"].get<std::string>(), "a note");
  // The bytes as tcpcheck escapes them, so that they can be pasted into a script.
  EXPECT_EQ(last["bytes"].get<std::string>(),
            escape(as_bytes(std::string_view("\0\r\n\"\\\xff", 6))));
}

TEST(WriteJson, EscapesQuotesBackslashesAndControlCharacters) {
  run_report r = failing_report();
  r.script_path = "dir \"quoted\"\\back\tslash.tcs";
  r.result.outcome.reason = "line one\nline two\r\x01\x1f end";
  r.replay = "tcpcheck run 'it'\\''s.tcs'";

  const std::string text = json_of({r});
  const json doc = parse_json(text); // throws on a raw control character or a bad escape
  const json& run = doc["runs"].at(0);

  EXPECT_EQ(run["script"].get<std::string>(), r.script_path);
  EXPECT_EQ(run["reason"].get<std::string>(), r.result.outcome.reason);
  EXPECT_EQ(run["replay"].get<std::string>(), r.replay);
  EXPECT_TRUE(has(text, R"(\u0001)")) << text;
  EXPECT_TRUE(has(text, R"(\u001f)")) << text;
}

TEST(WriteJson, WritesAnEmptyListForNoRuns) {
  const json doc = parse_json(json_of({}));
  EXPECT_TRUE(doc["runs"].is_array());
  EXPECT_TRUE(doc["runs"].empty());
}

// ---------------------------------------------------------------------------
// A well-formedness check for write_junit's XML: tags balance, attribute
// values are quoted, and text never holds a raw '<' or a bare '&'.

struct xml_element {
  std::string name;
  std::vector<std::pair<std::string, std::string>> attributes; // values as written
  std::string text;                                            // direct text, as written
  std::vector<xml_element> children;

  std::string attribute(std::string_view key) const {
    for (const auto& [k, v] : attributes)
      if (k == key) return v;
    throw std::out_of_range("no attribute '" + std::string(key) + "' on <" + name + ">");
  }
};

class xml_reader {
public:
  explicit xml_reader(std::string_view in) : in_(in) {}

  xml_element document() {
    if (in_.starts_with("<?xml")) {
      const std::size_t end = in_.find("?>");
      if (end == std::string_view::npos) fail("unterminated declaration");
      at_ = end + 2;
    }
    skip_space();
    xml_element root = read_element();
    skip_space();
    if (at_ != in_.size()) fail("text after the root element");
    return root;
  }

private:
  [[noreturn]] void fail(const std::string& why) const {
    throw std::invalid_argument("invalid XML at offset " + std::to_string(at_) + ": " + why);
  }
  void skip_space() {
    while (at_ < in_.size() && (in_[at_] == ' ' || in_[at_] == '\n' || in_[at_] == '\t'))
      ++at_;
  }
  std::string read_name() {
    const std::size_t from = at_;
    while (at_ < in_.size() && (std::isalnum(static_cast<unsigned char>(in_[at_])) ||
                                in_[at_] == '_' || in_[at_] == '-'))
      ++at_;
    if (at_ == from) fail("expected a name");
    return std::string(in_.substr(from, at_ - from));
  }
  void check_escaped(std::string_view text) const {
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '<') fail("raw '<' in text or an attribute");
      if (static_cast<unsigned char>(text[i]) < 0x20 && text[i] != '\n' && text[i] != '\t' &&
          text[i] != '\r')
        fail("a control character XML 1.0 cannot hold");
      if (text[i] != '&') continue;
      const std::size_t end = text.find(';', i);
      const std::string_view entity =
          end == std::string_view::npos ? text.substr(i) : text.substr(i, end - i + 1);
      if (entity != "&lt;" && entity != "&gt;" && entity != "&amp;" && entity != "&quot;" &&
          entity != "&apos;")
        fail("a bare '&'");
    }
  }

  xml_element read_element() {
    if (at_ >= in_.size() || in_[at_] != '<') fail("expected '<'");
    ++at_;
    xml_element e;
    e.name = read_name();
    for (;;) {
      skip_space();
      if (in_.substr(at_, 2) == "/>") {
        at_ += 2;
        return e;
      }
      if (at_ < in_.size() && in_[at_] == '>') {
        ++at_;
        break;
      }
      std::string key = read_name();
      if (in_.substr(at_, 2) != "=\"") fail("expected =\"");
      at_ += 2;
      const std::size_t end = in_.find('"', at_);
      if (end == std::string_view::npos) fail("unterminated attribute");
      const std::string_view value = in_.substr(at_, end - at_);
      check_escaped(value);
      e.attributes.emplace_back(std::move(key), std::string(value));
      at_ = end + 1;
    }
    for (;;) {
      const std::size_t lt = in_.find('<', at_);
      if (lt == std::string_view::npos) fail("unterminated <" + e.name + ">");
      check_escaped(in_.substr(at_, lt - at_));
      e.text += in_.substr(at_, lt - at_);
      at_ = lt;
      if (in_.substr(at_, 2) == "</") {
        at_ += 2;
        if (read_name() != e.name) fail("mismatched closing tag for <" + e.name + ">");
        if (at_ >= in_.size() || in_[at_] != '>') fail("expected '>'");
        ++at_;
        return e;
      }
      e.children.push_back(read_element());
    }
  }

  std::string_view in_;
  std::size_t at_ = 0;
};

xml_element junit_of(const std::vector<run_report>& reports) {
  std::ostringstream out;
  report::write_junit(out, to_document("replay", "127.0.0.1:9999", reports));
  return xml_reader(out.str()).document();
}

// ---------------------------------------------------------------------------
// write_junit

TEST(XmlReader, RefusesWhatIsNotWellFormed) {
  for (const char* text : {"<a>", "<a></b>", "<a x=\"<\"/>", "<a>&</a>", "<a>x<y</a>", "<a/><b/>"})
    EXPECT_THROW(xml_reader(text).document(), std::invalid_argument) << text;
}

TEST(WriteJunit, WritesATestcasePerRunAndAFailureForEachFailedOne) {
  run_report other = passing_report();
  other.script_path = "scripts/other.tcs";
  const xml_element root = junit_of({passing_report(), failing_report(), other});

  EXPECT_EQ(root.name, "testsuites");
  EXPECT_EQ(root.attribute("name"), "tcpcheck replay scripts/hello.tcs");
  ASSERT_EQ(root.children.size(), 1u);
  const xml_element& suite = root.children[0];
  EXPECT_EQ(suite.name, "testsuite");
  EXPECT_EQ(suite.attribute("name"), "tcpcheck replay");
  EXPECT_EQ(suite.attribute("tests"), "3");
  EXPECT_EQ(suite.attribute("failures"), "1");
  EXPECT_EQ(suite.attribute("errors"), "0");
  EXPECT_EQ(suite.attribute("time"), "0.037035");
  ASSERT_EQ(suite.children.size(), 3u);
  for (const auto& testcase : suite.children) {
    EXPECT_EQ(testcase.name, "testcase");
    EXPECT_EQ(testcase.attribute("classname"), "tcpcheck replay");
    EXPECT_EQ(testcase.attribute("time"), "0.012345");
  }
  EXPECT_EQ(suite.children[0].attribute("name"), "scripts/hello.tcs (plan whole)");
  EXPECT_TRUE(suite.children[0].children.empty());
  EXPECT_EQ(suite.children[2].attribute("name"), "scripts/other.tcs (plan whole)");
  EXPECT_TRUE(suite.children[2].children.empty());

  const xml_element& failed = suite.children[1];
  EXPECT_EQ(failed.attribute("name"), "scripts/hello.tcs (plan bytewise)");
  ASSERT_EQ(failed.children.size(), 1u);
  const xml_element& failure = failed.children[0];
  EXPECT_EQ(failure.name, "failure");
  EXPECT_EQ(failure.attribute("message"), "the server sent another frame than expected");
  EXPECT_TRUE(has(failure.text, "line 8: the server sent another frame than expected\n"))
      << failure.text;
  EXPECT_TRUE(has(failure.text, "expected: &quot;Hello Michael!&quot;\ngot: &quot;Hello "
                                "M!&quot;\n"))
      << failure.text;
  EXPECT_TRUE(has(failure.text, "replay: tcpcheck run scripts/hello.tcs --target "
                                "127.0.0.1:9999 --plan bytewise\n"))
      << failure.text;
}

TEST(WriteJunit, EscapesMarkupInNamesMessagesAndText) {
  run_report r = failing_report();
  r.script_path = "a<b>&\"c\".tcs";
  r.result.outcome.reason = "got <html> & \"quotes\"\x01";
  r.result.outcome.got = "\"</failure>\"";

  const xml_element root = junit_of({r});

  EXPECT_EQ(root.attribute("name"), "tcpcheck replay a&lt;b&gt;&amp;&quot;c&quot;.tcs");
  const xml_element& testcase = root.children.at(0).children.at(0);
  EXPECT_EQ(testcase.attribute("name"), "a&lt;b&gt;&amp;&quot;c&quot;.tcs (plan bytewise)");
  const xml_element& failure = testcase.children.at(0);
  // A control character XML 1.0 cannot hold is written out, not dropped.
  EXPECT_EQ(failure.attribute("message"), "got &lt;html&gt; &amp; &quot;quotes&quot;\\x01");
  EXPECT_TRUE(has(failure.text, "got: &quot;&lt;/failure&gt;&quot;")) << failure.text;
}

TEST(WriteJunit, WritesBytesThatAreNotUtf8AsEscapes) {
  run_report r = failing_report();
  r.result.outcome.got = "caf\xc3\xa9 \xff\xfe end";

  std::ostringstream out;
  report::write_junit(out, to_document("replay", "127.0.0.1:9999", {r}));
  const std::string xml = out.str();

  EXPECT_TRUE(has(xml, "got: caf\xc3\xa9 \\xff\\xfe end")) << xml; // é stays, the rest is escaped
  EXPECT_FALSE(has(xml, "\xff")) << xml;
}

TEST(WriteJunit, WritesNoSuiteForNoRuns) {
  const xml_element root = junit_of({});
  EXPECT_EQ(root.name, "testsuites");
  EXPECT_TRUE(root.children.empty());
}

// ---------------------------------------------------------------------------
// shell_quote

// What /bin/sh makes of `quoted` as one word: printf's output.
std::string through_shell(const std::string& quoted) {
  const std::string command = "printf '%s' " + quoted;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  if (!pipe) throw std::runtime_error("popen failed");
  std::string out;
  char buffer[256];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe.get())) > 0)
    out.append(buffer, n);
  return out;
}

TEST(ShellQuote, LeavesPlainWordsAlone) {
  for (const char* word : {"hello.tcs", "scripts/hello.tcs", "127.0.0.1:9999", "random:42",
                           "--plan=chunk:3", "a,b", "user@host", "100%", "x+y"})
    EXPECT_EQ(shell_quote(word), word);
}

TEST(ShellQuote, QuotesWhatAShellWouldReadDifferently) {
  EXPECT_EQ(shell_quote(""), "''");
  EXPECT_EQ(shell_quote("two words"), "'two words'");
  EXPECT_EQ(shell_quote("it's"), R"('it'\''s')");
  EXPECT_EQ(shell_quote("$HOME"), "'$HOME'");
  EXPECT_EQ(shell_quote("*.tcs"), "'*.tcs'");
}

TEST(ShellQuote, GivesBackTheArgumentThroughARealShell) {
  for (const std::string& argument :
       {std::string("plain"), std::string(""), std::string("two words"), std::string("it's"),
        std::string("'"), std::string("''x''"), std::string("$HOME `id` $(id)"),
        std::string("a\\b\"c"), std::string("semi;colon&amp|pipe"), std::string("~user"),
        std::string("*?[x]"), std::string("new\nline"), std::string("tab\there"),
        std::string("#comment"), std::string("!bang"), std::string("-n")}) {
    const std::string quoted = shell_quote(argument);
    EXPECT_EQ(through_shell(quoted), argument) << "quoted as " << quoted;
  }
}

} // namespace
} // namespace tcpcheck::harness
