// Tests for report.hpp: the human report, JSON (parsed back by a strict
// little parser), JUnit XML (checked for balanced, escaped markup), and
// shell_quote (checked against a real POSIX shell).
#include "tcpcheck/harness/report.hpp"

#include "tcpcheck/bytes.hpp"
#include "tcpcheck/escape.hpp"
#include "tcpcheck/harness/run.hpp"
#include "tcpcheck/script.hpp"
#include "tcpcheck/session.hpp"

#include <cctype>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
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
  write_human(out, r, verbose, color);
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

// ---------------------------------------------------------------------------
// A strict JSON reader (RFC 8259), enough to check write_json's output

struct json {
  enum class type { null, boolean, number, string, array, object };
  type what = type::null;
  bool boolean = false;
  double number = 0;
  std::string text;
  std::vector<json> items;
  // Names and values side by side: a pair<string, json> would need json
  // complete here, which clang's libstdc++ checks (a vector does not).
  std::vector<std::string> member_names;
  std::vector<json> member_values;

  const json& operator[](std::string_view key) const {
    for (std::size_t i = 0; i < member_names.size(); ++i)
      if (member_names[i] == key) return member_values[i];
    throw std::out_of_range("no member '" + std::string(key) + "'");
  }
  bool contains(std::string_view key) const {
    for (const auto& name : member_names)
      if (name == key) return true;
    return false;
  }
};

class json_reader {
public:
  explicit json_reader(std::string_view in) : in_(in) {}

  json document() {
    json value = read_value();
    skip_space();
    if (at_ != in_.size()) fail("text after the value");
    return value;
  }

private:
  [[noreturn]] void fail(const std::string& why) const {
    throw std::invalid_argument("invalid JSON at offset " + std::to_string(at_) + ": " + why);
  }
  void skip_space() {
    while (at_ < in_.size() &&
           (in_[at_] == ' ' || in_[at_] == '\n' || in_[at_] == '\r' || in_[at_] == '\t'))
      ++at_;
  }
  char peek() {
    skip_space();
    if (at_ == in_.size()) fail("unexpected end");
    return in_[at_];
  }
  void take(char c) {
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++at_;
  }
  bool take_word(std::string_view word) {
    if (in_.substr(at_, word.size()) != word) return false;
    at_ += word.size();
    return true;
  }

  json read_value() {
    json v;
    const char c = peek();
    if (c == '{') {
      v.what = json::type::object;
      ++at_;
      if (peek() == '}') return ++at_, v;
      for (;;) {
        std::string key = read_string();
        take(':');
        v.member_names.push_back(std::move(key));
        v.member_values.push_back(read_value());
        if (peek() == '}') return ++at_, v;
        take(',');
      }
    }
    if (c == '[') {
      v.what = json::type::array;
      ++at_;
      if (peek() == ']') return ++at_, v;
      for (;;) {
        v.items.push_back(read_value());
        if (peek() == ']') return ++at_, v;
        take(',');
      }
    }
    if (c == '"') {
      v.what = json::type::string;
      v.text = read_string();
      return v;
    }
    if (take_word("true")) {
      v.what = json::type::boolean;
      v.boolean = true;
      return v;
    }
    if (take_word("false")) {
      v.what = json::type::boolean;
      return v;
    }
    if (take_word("null")) return v;
    return read_number();
  }

  json read_number() {
    const std::size_t from = at_;
    const auto digits = [&] {
      const std::size_t start = at_;
      while (at_ < in_.size() && in_[at_] >= '0' && in_[at_] <= '9')
        ++at_;
      if (at_ == start) fail("expected a digit");
    };
    if (in_[at_] == '-') ++at_;
    if (at_ < in_.size() && in_[at_] == '0')
      ++at_;
    else
      digits();
    if (at_ < in_.size() && in_[at_] == '.') ++at_, digits();
    if (at_ < in_.size() && (in_[at_] == 'e' || in_[at_] == 'E')) {
      ++at_;
      if (at_ < in_.size() && (in_[at_] == '+' || in_[at_] == '-')) ++at_;
      digits();
    }
    json v;
    v.what = json::type::number;
    v.number = std::stod(std::string(in_.substr(from, at_ - from)));
    return v;
  }

  std::string read_string() {
    take('"');
    std::string out;
    for (;;) {
      if (at_ == in_.size()) fail("unterminated string");
      const char c = in_[at_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) fail("unescaped control character in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (at_ == in_.size()) fail("unterminated escape");
      const char e = in_[at_++];
      switch (e) {
      case '"':
      case '\\':
      case '/':
        out += e;
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        if (at_ + 4 > in_.size()) fail("short \\u escape");
        const unsigned code =
            static_cast<unsigned>(std::stoul(std::string(in_.substr(at_, 4)), nullptr, 16));
        at_ += 4;
        if (code >= 0x80) fail("only \\u escapes below 0x80 are expected here");
        out += static_cast<char>(code);
        break;
      }
      default:
        fail(std::string("unknown escape \\") + e);
      }
    }
  }

  std::string_view in_;
  std::size_t at_ = 0;
};

json parse_json(std::string_view text) {
  return json_reader(text).document();
}

std::string json_of(const std::vector<run_report>& reports) {
  std::ostringstream out;
  write_json(out, reports);
  return out.str();
}

// ---------------------------------------------------------------------------
// write_json

TEST(JsonReader, RefusesWhatIsNotJson) {
  // The reader the tests below rely on does refuse broken documents.
  for (const char* text : {"{", "{\"a\": 1,}", "[1 2]", "\"a\nb\"", "{\"a\" 1}", "tru", "{} x"})
    EXPECT_THROW(parse_json(text), std::invalid_argument) << text;
  EXPECT_EQ(parse_json(R"({"a": [true, -1.5e2, "x\u0001"]})")["a"].items[2].text, "x\x01");
}

TEST(WriteJson, WritesOneObjectPerRunWithEveryField) {
  const std::string text = json_of({passing_report(), failing_report()});
  const json doc = parse_json(text);

  ASSERT_EQ(doc.what, json::type::object) << text;
  const json& runs = doc["runs"];
  ASSERT_EQ(runs.what, json::type::array);
  ASSERT_EQ(runs.items.size(), 2u);
  for (const json& run : runs.items)
    for (const char* field :
         {"script", "target", "framing", "plan", "passed", "unreachable", "line", "reason",
          "expected", "got", "elapsed_us", "replay", "steps", "wire_log"})
      EXPECT_TRUE(run.contains(field)) << field;

  const json& pass = runs.items[0];
  EXPECT_EQ(pass["script"].text, "scripts/hello.tcs");
  EXPECT_EQ(pass["target"].text, "127.0.0.1:9999");
  EXPECT_EQ(pass["framing"].text, "line");
  EXPECT_EQ(pass["plan"].text, "whole");
  EXPECT_EQ(pass["passed"].what, json::type::boolean);
  EXPECT_TRUE(pass["passed"].boolean);
  EXPECT_FALSE(pass["unreachable"].boolean);
  EXPECT_EQ(pass["elapsed_us"].number, 12345);

  const json& fail = runs.items[1];
  EXPECT_FALSE(fail["passed"].boolean);
  EXPECT_EQ(fail["line"].number, 8);
  EXPECT_EQ(fail["reason"].text, "the server sent another frame than expected");
  EXPECT_EQ(fail["expected"].text, R"("Hello Michael!")");
  EXPECT_EQ(fail["got"].text, R"("Hello M!")");
  EXPECT_EQ(fail["replay"].text, failing_report().replay);
}

TEST(WriteJson, ListsEachStepWithItsLineAndStatus) {
  const json doc = parse_json(json_of({failing_report()}));
  const json& steps = doc["runs"].items.at(0)["steps"];

  ASSERT_EQ(steps.items.size(), hello_script().steps.size());
  const char* const statuses[] = {"ok", "ok", "ok", "failed", "not_run", "not_run"};
  for (std::size_t i = 0; i < steps.items.size(); ++i) {
    EXPECT_EQ(steps.items[i]["line"].number, static_cast<double>(hello_script().steps[i].line));
    EXPECT_EQ(steps.items[i]["status"].text, statuses[i]) << "step " << i;
    EXPECT_EQ(steps.items[i]["step"].text, to_string(hello_script().steps[i]));
  }
}

TEST(WriteJson, WritesTheWireLogWithTimesSizesAndEscapedBytes) {
  run_report r = failing_report();
  r.result.wire_log.push_back(
      event(wire_event::kind::read, 200us, std::string_view("\0\r\n\"\\\xff", 6)));
  r.result.wire_log.back().connection = 1;
  r.result.wire_log.back().text = "a note";
  const json doc = parse_json(json_of({r}));
  const json& log = doc["runs"].items.at(0)["wire_log"];

  ASSERT_EQ(log.items.size(), r.result.wire_log.size());
  EXPECT_EQ(log.items[0]["event"].text, "connect");
  EXPECT_EQ(log.items[0]["at_us"].number, 10);
  EXPECT_EQ(log.items[4]["event"].text, "write");
  EXPECT_EQ(log.items[4]["size"].number, 7); // the size written, not the bytes kept
  EXPECT_EQ(log.items[4]["bytes"].text, "ich");
  const json& last = log.items[5];
  EXPECT_EQ(last["event"].text, "read");
  EXPECT_EQ(last["connection"].number, 1);
  EXPECT_EQ(last["size"].number, 6);
  EXPECT_EQ(last["text"].text, "a note");
  // The bytes as tcpcheck escapes them, so that they can be pasted into a script.
  EXPECT_EQ(last["bytes"].text, escape(as_bytes(std::string_view("\0\r\n\"\\\xff", 6))));
}

TEST(WriteJson, EscapesQuotesBackslashesAndControlCharacters) {
  run_report r = failing_report();
  r.script_path = "dir \"quoted\"\\back\tslash.tcs";
  r.result.outcome.reason = "line one\nline two\r\x01\x1f end";
  r.replay = "tcpcheck run 'it'\\''s.tcs'";

  const std::string text = json_of({r});
  const json doc = parse_json(text); // throws on a raw control character or a bad escape
  const json& run = doc["runs"].items.at(0);

  EXPECT_EQ(run["script"].text, r.script_path);
  EXPECT_EQ(run["reason"].text, r.result.outcome.reason);
  EXPECT_EQ(run["replay"].text, r.replay);
  EXPECT_TRUE(has(text, R"(\u0001)")) << text;
  EXPECT_TRUE(has(text, R"(\u001f)")) << text;
}

TEST(WriteJson, WritesAnEmptyListForNoRuns) {
  const json doc = parse_json(json_of({}));
  EXPECT_EQ(doc["runs"].what, json::type::array);
  EXPECT_TRUE(doc["runs"].items.empty());
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

xml_element junit_of(const std::vector<run_report>& reports, const std::string& suite) {
  std::ostringstream out;
  write_junit(out, reports, suite);
  return xml_reader(out.str()).document();
}

// ---------------------------------------------------------------------------
// write_junit

TEST(XmlReader, RefusesWhatIsNotWellFormed) {
  for (const char* text : {"<a>", "<a></b>", "<a x=\"<\"/>", "<a>&</a>", "<a>x<y</a>", "<a/><b/>"})
    EXPECT_THROW(xml_reader(text).document(), std::invalid_argument) << text;
}

TEST(WriteJunit, WritesATestcasePerRunAndAFailureForEachFailedOne) {
  const xml_element root =
      junit_of({passing_report(), failing_report(), passing_report()}, "tcpcheck");

  EXPECT_EQ(root.name, "testsuites");
  ASSERT_EQ(root.children.size(), 1u);
  const xml_element& suite = root.children[0];
  EXPECT_EQ(suite.name, "testsuite");
  EXPECT_EQ(suite.attribute("name"), "tcpcheck");
  EXPECT_EQ(suite.attribute("tests"), "3");
  EXPECT_EQ(suite.attribute("failures"), "1");
  EXPECT_EQ(suite.attribute("errors"), "0");
  EXPECT_EQ(suite.attribute("time"), "0.037035");
  ASSERT_EQ(suite.children.size(), 3u);
  for (const auto& testcase : suite.children) {
    EXPECT_EQ(testcase.name, "testcase");
    EXPECT_EQ(testcase.attribute("classname"), "scripts/hello.tcs");
    EXPECT_EQ(testcase.attribute("time"), "0.012345");
  }
  EXPECT_EQ(suite.children[0].attribute("name"), "whole @ 127.0.0.1:9999");
  EXPECT_TRUE(suite.children[0].children.empty());
  EXPECT_TRUE(suite.children[2].children.empty());

  const xml_element& failed = suite.children[1];
  EXPECT_EQ(failed.attribute("name"), "bytewise @ 127.0.0.1:9999");
  ASSERT_EQ(failed.children.size(), 1u);
  const xml_element& failure = failed.children[0];
  EXPECT_EQ(failure.name, "failure");
  EXPECT_EQ(failure.attribute("message"), "line 8: the server sent another frame than expected");
  EXPECT_EQ(failure.text, "expected: &quot;Hello Michael!&quot;\ngot: &quot;Hello M!&quot;\n"
                          "replay: tcpcheck run scripts/hello.tcs --target 127.0.0.1:9999 "
                          "--plan bytewise");
}

TEST(WriteJunit, EscapesMarkupInNamesMessagesAndText) {
  run_report r = failing_report();
  r.script_path = "a<b>&\"c\".tcs";
  r.result.outcome.reason = "got <html> & \"quotes\"\x01";
  r.result.outcome.got = "\"</failure>\"";

  const xml_element root = junit_of({r}, "suite <&>");

  const xml_element& suite = root.children.at(0);
  EXPECT_EQ(suite.attribute("name"), "suite &lt;&amp;&gt;");
  const xml_element& testcase = suite.children.at(0);
  EXPECT_EQ(testcase.attribute("classname"), "a&lt;b&gt;&amp;&quot;c&quot;.tcs");
  const xml_element& failure = testcase.children.at(0);
  EXPECT_EQ(failure.attribute("message"), "line 8: got &lt;html&gt; &amp; &quot;quotes&quot;?");
  EXPECT_TRUE(has(failure.text, "got: &quot;&lt;/failure&gt;&quot;")) << failure.text;
}

TEST(WriteJunit, WritesAnEmptySuiteForNoRuns) {
  const xml_element root = junit_of({}, "empty");
  const xml_element& suite = root.children.at(0);
  EXPECT_EQ(suite.attribute("tests"), "0");
  EXPECT_EQ(suite.attribute("failures"), "0");
  EXPECT_TRUE(suite.children.empty());
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
