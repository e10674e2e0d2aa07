// Tests for write_html (writers.hpp): documents built by hand (a failing
// check with wire logs, a failed baseline, a fuzz run with findings and
// coverage over time, and one full of hostile bytes) are written, and the
// page is checked for its structure (balanced, known tags and attributes,
// one constant script) and its content (case ids, the sequence diagram's
// lanes, arrows, cuts and pauses, the caps, the escaping).
#include "tcpcheck/bytes.hpp"
#include "tcpcheck/harness/fuzz.hpp"
#include "tcpcheck/harness/run.hpp"
#include "tcpcheck/report/model.hpp"
#include "tcpcheck/report/writers.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace tcpcheck::report {
namespace {

using namespace std::chrono_literals;
using event_kind = harness::wire_event::kind;

// ---------------------------------------------------------------------------
// Documents to write

harness::wire_event event(event_kind what, std::chrono::microseconds at, std::size_t connection,
                          std::string_view payload = {}, std::string note = {}) {
  harness::wire_event e;
  e.what = what;
  e.at = at;
  e.connection = connection;
  e.bytes.assign(payload.begin(), payload.end());
  e.size = payload.size();
  e.text = std::move(note);
  return e;
}

// The naive greeting server's bug as the wire shows it: the name sent in
// two pieces, answered twice.
std::vector<harness::wire_event> cut_name_answered_twice() {
  return {event(event_kind::connect, 0us, 1),
          event(event_kind::connected, 150us, 1),
          event(event_kind::read, 400us, 1, "What's your name?\n"),
          event(event_kind::write, 1000us, 1, "Mic"),
          event(event_kind::write, 2000us, 1, "hael\n"),
          event(event_kind::read, 2300us, 1, "Hello, Mic\n"),
          event(event_kind::read, 3100us, 1, "Hello, hael\n"),
          event(event_kind::close, 253100us, 1), // after a 250 ms wait for more
          event(event_kind::connect, 254000us, 2),
          event(event_kind::peer_rst, 254500us, 2, {}, "connection reset by peer")};
}

test_case passing(std::string id, std::string area) {
  test_case c;
  c.id = std::move(id);
  c.area = std::move(area);
  c.title = c.id;
  c.state = status::pass;
  c.attempts = 1;
  c.elapsed = 1200us;
  return c;
}

test_case bytewise_failure() {
  test_case c = passing("segmentation/bytewise", "segmentation");
  c.state = status::fail;
  c.summary = "line 7: the reply differs";
  c.failed = failure{7, "the reply differs", "Hello, Michael", "Hello, Mic"};
  c.meaning = "The server takes each recv() as one message.";
  c.wire_log = cut_name_answered_twice();
  c.replay = "tcpcheck replay /tmp/bytewise.tcs --spawn 'naive --port {port}'";
  c.script_file = "/tmp/bytewise.tcs";
  return c;
}

test_case rst_failure() {
  test_case c = passing("faults/line-7/rst", "faults");
  c.state = status::fail;
  c.summary = "the server died";
  c.death =
      harness::process_death{.how = "killed by signal 11 (SIGSEGV)",
                             .sanitizer = "==42==ERROR: AddressSanitizer: heap-use-after-free"};
  c.wire_log = {event(event_kind::connect, 0us, 1), event(event_kind::write, 10us, 1, "Mi"),
                event(event_kind::reset, 20us, 1)};
  c.replay = "tcpcheck replay /tmp/rst.tcs";
  return c;
}

document failing_check() {
  document doc;
  doc.command = "check";
  doc.script = "corpus/scripts/greeting.tcs";
  doc.target = "127.0.0.1:40000 (spawned)";
  doc.framing = "line";
  doc.seed = 1;
  doc.elapsed = 2500ms;
  doc.cases = {passing("segmentation/whole", "segmentation"), bytewise_failure(),
               passing("segmentation/chunk-2", "segmentation"), rst_failure()};
  test_case warned = passing("latency/exchanges", "latency");
  warned.state = status::warn;
  warned.summary = "3 exchanges keep taking tens of milliseconds";
  doc.cases.push_back(warned);
  doc.check = check_facts{};
  doc.check->baseline_status = std::string(name_of(status::pass));
  doc.check->area_times = {{"segmentation", 1500ms}, {"faults", 700ms}, {"latency", 300ms}};
  return doc;
}

document failed_baseline() {
  document doc = failing_check();
  doc.cases.clear();
  test_case baseline = bytewise_failure();
  baseline.id = "segmentation/whole";
  doc.cases.push_back(baseline);
  for (const char* id : {"segmentation/bytewise", "faults/line-7/rst"}) {
    test_case skipped = passing(id, std::string(id).substr(0, std::string(id).find('/')));
    skipped.state = status::not_run;
    skipped.summary = "the baseline failed";
    doc.cases.push_back(skipped);
  }
  doc.check->baseline_status = std::string(name_of(status::fail));
  return doc;
}

document fuzz_with_finding() {
  document doc;
  doc.command = "fuzz";
  doc.script = "tests/planted/planted.tcs";
  doc.target = "127.0.0.1:40001 (spawned)";
  doc.seed = 1;
  test_case run = passing("fuzz", "fuzzing");
  run.summary = "3000 runs";
  test_case found = passing("findings/died-1", "findings");
  found.kind = case_kind::finding;
  found.state = status::fail;
  found.summary = "died: killed by signal 11 (SIGSEGV)";
  found.finding = finding_facts{};
  found.finding->kind = "died";
  found.finding->signature = "died: killed by signal 11 (SIGSEGV) @ line 4";
  found.finding->sends_found = 5;
  found.finding->sends_minimized = 1;
  found.script_text = "framing len:u16be\nsend \"\\xde\\xad\"\n";
  found.replay = "tcpcheck replay finding-1.tcs";
  found.wire_log = {event(event_kind::connect, 0us, 1),
                    event(event_kind::write, 20us, 1, "\xde\xad"),
                    event(event_kind::peer_fin, 40us, 1)};
  doc.cases = {run, found};
  doc.fuzz = fuzz_facts{};
  doc.fuzz->runs = 3000;
  doc.fuzz->exec_per_second = 750;
  doc.fuzz->stopped = "a finding (--max-findings 1)";
  auto& g = doc.fuzz->guidance;
  g.feedback = harness::feedback_kind::coverage;
  g.edges_covered = 120;
  g.edges_total = 400;
  // Runs 100 in the first second, 200 in the second, 400 in the next two.
  g.over_time = {
      {1000ms, 100, 50, 3, 4, 1}, {2000ms, 300, 80, 4, 6, 2}, {4000ms, 700, 120, 5, 8, 3}};
  return doc;
}

// Everything a server or a script could put in a report, at its worst.
constexpr std::string_view hostile =
    "</script><script>alert(1)</script><img src=x onerror=alert(2)>\"' onclick=alert(3) "
    "&amp;\xff\xfe\xc3\x28"
    "\x1b[31m\r\x7f\xc2\x85";

std::string hostile_text() {
  return std::string(hostile) + std::string(1, '\0') + "end";
}

document hostile_document() {
  document doc = failing_check();
  const std::string h = hostile_text();
  doc.script = h;
  doc.target = h;
  doc.framing = h;
  test_case& c = doc.cases[1];
  c.id = "segmentation/" + h;
  c.title = h;
  c.summary = h;
  c.details = {h};
  c.failed = failure{7, h, h, h};
  c.meaning = h;
  c.death = harness::process_death{.how = h, .sanitizer = h, .stderr_tail = h};
  c.replay = h;
  c.script_file = h;
  c.script_text = h;
  c.steps = {step_line{7, h, step_line::mark::failed}};
  c.wire_log.push_back(event(event_kind::read, 300000us, 1, h));
  c.wire_log.push_back(event(event_kind::error, 300001us, 1, {}, h));
  doc.cases[4].summary = h; // the warning
  doc.check->baseline_status = h;
  return doc;
}

std::string page_of(const document& doc) {
  std::ostringstream out;
  write_html(out, doc);
  return out.str();
}

// ---------------------------------------------------------------------------
// Reading the page back

std::size_t occurrences(std::string_view haystack, std::string_view needle) {
  std::size_t n = 0;
  for (std::size_t at = haystack.find(needle); at != std::string_view::npos;
       at = haystack.find(needle, at + needle.size()))
    ++n;
  return n;
}

bool has(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

struct tag {
  std::string name;
  bool closing = false, self_closing = false;
  std::vector<std::string> attributes;
  bool unquoted_value = false;
};

std::string lower(std::string s) {
  for (char& c : s)
    c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return s;
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == ':';
}

// Reads the tag starting at page[at] == '<'; leaves `at` after its '>'.
tag read_tag(std::string_view page, std::size_t& at) {
  tag t;
  ++at;
  if (page[at] == '/') {
    t.closing = true;
    ++at;
  }
  while (at < page.size() && is_name_char(page[at]))
    t.name += page[at++];
  t.name = lower(t.name);
  while (at < page.size() && page[at] != '>') {
    if (page[at] == '/' && page[at + 1] == '>') {
      t.self_closing = true;
      ++at;
      continue;
    }
    if (!is_name_char(page[at])) {
      ++at;
      continue;
    }
    std::string attribute;
    while (at < page.size() && is_name_char(page[at]))
      attribute += page[at++];
    t.attributes.push_back(lower(attribute));
    if (page[at] != '=') continue;
    const char quote = page[++at];
    if (quote != '"' && quote != '\'') {
      t.unquoted_value = true;
      continue;
    }
    at = page.find(quote, at + 1) + 1;
  }
  ++at;
  return t;
}

// The page's tags in order; the contents of <script> and <style> (raw
// text) skipped, comments and the doctype too.
std::vector<tag> tags_of(std::string_view page) {
  std::vector<tag> tags;
  for (std::size_t at = page.find('<'); at != std::string_view::npos; at = page.find('<', at)) {
    if (page[at + 1] == '!') {
      at = page.find('>', at);
      continue;
    }
    tags.push_back(read_tag(page, at));
    const tag& t = tags.back();
    if (!t.closing && (t.name == "script" || t.name == "style")) at = page.find("</" + t.name, at);
  }
  return tags;
}

const std::set<std::string>& known_tags() {
  static const std::set<std::string> names = {
      "html",    "head", "meta",   "title", "style",   "body",    "header",     "h1",
      "h2",      "h3",   "h4",     "dl",    "dt",      "dd",      "p",          "span",
      "section", "div",  "a",      "label", "input",   "pre",     "code",       "ul",
      "li",      "ol",   "strong", "em",    "details", "summary", "table",      "thead",
      "tbody",   "tr",   "th",     "td",    "button",  "figure",  "figcaption", "svg",
      "g",       "rect", "text",   "line",  "polygon", "circle",  "polyline",   "script"};
  return names;
}

bool known_attribute(const std::string& a) {
  static const std::set<std::string> names = {
      "lang", "charset",    "http-equiv", "content", "name",  "class",  "id",
      "href", "title",      "type",       "xmlns",   "width", "height", "viewbox",
      "role", "aria-label", "x",          "y",       "x1",    "y1",     "x2",
      "y2",   "cx",         "cy",         "r",       "rx",    "points"};
  return names.count(a) > 0 || a.rfind("data-", 0) == 0;
}

// Fails the test unless every tag is known, every attribute is known and
// quoted, and every element that is opened is closed in order.
void expect_well_formed(std::string_view page) {
  std::vector<std::string> open;
  for (const tag& t : tags_of(page)) {
    EXPECT_TRUE(known_tags().count(t.name)) << "unexpected element <" << t.name << ">";
    EXPECT_FALSE(t.unquoted_value) << "an unquoted attribute value in <" << t.name << ">";
    for (const auto& a : t.attributes)
      EXPECT_TRUE(known_attribute(a)) << "unexpected attribute " << a << " in <" << t.name << ">";
    if (t.closing) {
      ASSERT_FALSE(open.empty()) << "</" << t.name << "> closes nothing";
      EXPECT_EQ(open.back(), t.name) << "</" << t.name << "> closes <" << open.back() << ">";
      open.pop_back();
    } else if (!t.self_closing && t.name != "meta" && t.name != "input") {
      open.push_back(t.name);
    }
  }
  EXPECT_TRUE(open.empty()) << open.size() << " elements left open";
}

// Valid UTF-8 (RFC 3629), written here again so the test does not trust
// the writer's own helper.
bool is_valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t n = b < 0x80                 ? 1
                    : b >= 0xC2 && b <= 0xDF ? 2
                    : b >= 0xE0 && b <= 0xEF ? 3
                    : b >= 0xF0 && b <= 0xF4 ? 4
                                             : 0;
    if (n == 0 || i + n > s.size()) return false;
    std::uint32_t cp = n == 1 ? b : b & (0x7F >> n);
    for (std::size_t k = 1; k < n; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = cp << 6 | (c & 0x3F);
    }
    const std::uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < least[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n;
  }
  return true;
}

// The text of the first element that starts with `opening`, up to `closing`.
std::string_view element(std::string_view page, std::string_view opening,
                         std::string_view closing) {
  const std::size_t start = page.find(opening);
  if (start == std::string_view::npos) return {};
  const std::size_t end = page.find(closing, start);
  return page.substr(start, end == std::string_view::npos ? end : end - start);
}

std::size_t points_in(std::string_view svg) {
  const std::string_view from = "points=\"";
  std::string_view pts = element(svg, "<polyline", "\"/>");
  pts.remove_prefix(std::min(pts.size(), pts.find(from) + from.size()));
  return pts.empty() ? 0 : occurrences(pts, " ") + 1;
}

// ---------------------------------------------------------------------------
// A failing check

TEST(HtmlReport, IsOneWellFormedPageWithNothingFetched) {
  const std::string page = page_of(failing_check());
  EXPECT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u);
  expect_well_formed(page);
  EXPECT_TRUE(is_valid_utf8(page));
  EXPECT_TRUE(has(page, "<meta charset=\"utf-8\">"));
  EXPECT_TRUE(has(page, "default-src 'none'"));
  for (const char* fetching : {"src=", "<link", "@import", "url(", "http://", "https://"})
    EXPECT_EQ(occurrences(page, fetching), fetching == std::string_view("http://") ? 2u : 0u)
        << fetching; // http:// twice: the SVG namespace of the two diagrams
}

TEST(HtmlReport, IsTheSameEveryTime) {
  EXPECT_EQ(page_of(failing_check()), page_of(failing_check()));
}

TEST(HtmlReport, DrawsTheMatrixAreaByAreaWithCountsAndTimes) {
  const std::string page = page_of(failing_check());
  EXPECT_EQ(occurrences(page, "<div class=\"area\""), 3u);
  EXPECT_TRUE(has(page, "<h3>segmentation</h3>\n<p class=\"area-counts\">3 cases: 2 pass, 1 fail"
                        " \xc2\xb7 1.5 s</p>"));
  EXPECT_EQ(occurrences(page, "<a class=\"cell pass\""), 2u);
  EXPECT_EQ(occurrences(page, "<a class=\"cell fail\""), 2u);
  EXPECT_EQ(occurrences(page, "<a class=\"cell warn\""), 1u);
  EXPECT_TRUE(has(page, "data-case-id=\"segmentation/bytewise\" data-status=\"fail\""));
  // A failing cell links to its section, a passing one to its table row.
  EXPECT_TRUE(has(page, "<a class=\"cell fail\" href=\"#case-1\""));
  EXPECT_TRUE(has(page, "<a class=\"cell pass\" href=\"#row-0\""));
  EXPECT_TRUE(has(page, "<tr id=\"row-0\""));
}

TEST(HtmlReport, ShowsEachFailureWithExpectedGotMeaningAndReplay) {
  const std::string page = page_of(failing_check());
  EXPECT_EQ(occurrences(page, "<section class=\"case fail\""), 2u);
  const std::string_view bytewise =
      element(page, "<section class=\"case fail\" id=\"case-1\"", "</section>");
  ASSERT_FALSE(bytewise.empty());
  EXPECT_TRUE(has(bytewise, "data-case-id=\"segmentation/bytewise\""));
  EXPECT_TRUE(has(bytewise, "<dd class=\"reason\">line 7: the reply differs</dd>"));
  EXPECT_TRUE(has(bytewise, "<pre class=\"expected\">Hello, Michael</pre>"));
  EXPECT_TRUE(has(bytewise, "<pre class=\"got\">Hello, Mic</pre>"));
  EXPECT_TRUE(has(bytewise, "The server takes each recv() as one message."));
  EXPECT_TRUE(has(bytewise, "<code id=\"replay-1\">tcpcheck replay /tmp/bytewise.tcs --spawn "
                            "&#39;naive --port {port}&#39;</code>"));
  EXPECT_TRUE(has(bytewise, "data-copy=\"replay-1\""));
  const std::string_view rst =
      element(page, "<section class=\"case fail\" id=\"case-3\"", "</section>");
  EXPECT_TRUE(has(rst, "killed by signal 11 (SIGSEGV)"));
  EXPECT_TRUE(has(rst, "<h4>Sanitizer report</h4>\n<pre class=\"stderr\">==42==ERROR: "
                       "AddressSanitizer: heap-use-after-free</pre>"));
  // The warning is listed with its summary, not as a failure.
  EXPECT_TRUE(has(page, "<section class=\"case warn\" id=\"warn-4\""));
  EXPECT_TRUE(has(page, "3 exchanges keep taking tens of milliseconds"));
}

TEST(HtmlReport, DrawsTheConversationWithLanesArrowsCutsAndPauses) {
  const std::string page = page_of(failing_check());
  const std::string_view svg =
      element(element(page, "<section class=\"case fail\" id=\"case-1\"", "</section>"),
              "<svg class=\"sequence\"", "</svg>");
  ASSERT_FALSE(svg.empty());
  EXPECT_EQ(occurrences(svg, "<g class=\"lane client\">"), 1u);
  EXPECT_EQ(occurrences(svg, "<g class=\"lane server\">"), 1u);
  EXPECT_EQ(occurrences(svg, "<g class=\"arrow write\" data-connection=\"1\""), 2u);
  EXPECT_EQ(occurrences(svg, "<g class=\"arrow read\" data-connection=\"1\""), 3u);
  EXPECT_EQ(occurrences(svg, "<g class=\"arrow connect\""), 2u);
  EXPECT_EQ(occurrences(svg, "<g class=\"mark connected\""), 1u);
  EXPECT_EQ(occurrences(svg, "<g class=\"arrow fault close\" data-connection=\"1\""), 1u);
  EXPECT_EQ(occurrences(svg, "<g class=\"arrow fault peer_rst\" data-connection=\"2\""), 1u);
  EXPECT_EQ(occurrences(svg, "data-event=\""), 10u);
  // "Mic" then "hael\n" with no read between: the plan's one cut.
  EXPECT_EQ(occurrences(svg, "<g class=\"cut\" data-connection=\"1\">"), 1u);
  EXPECT_TRUE(has(svg, "#1 write 5 B &quot;hael\\n&quot;"));
  EXPECT_TRUE(has(svg, "#1 read 11 B &quot;Hello, Mic\\n&quot;"));
  EXPECT_TRUE(has(svg, "#1 read 12 B &quot;Hello, hael\\n&quot;"));
  EXPECT_TRUE(has(svg, "+2.000 ms"));
  // The 250 ms between the last reply and the close.
  EXPECT_EQ(occurrences(svg, "<g class=\"pause\">"), 1u);
  EXPECT_TRUE(has(svg, "250 ms without a byte or an event"));
  EXPECT_TRUE(has(svg, "2 connections"));
  // The same events as a table.
  const std::string_view table = element(page, "<details class=\"wire-log\">", "</details>");
  EXPECT_EQ(occurrences(table, "<tr class="), 10u);
  EXPECT_TRUE(has(table, "<summary>Wire log: 10 events</summary>"));
}

TEST(HtmlReport, SaysHowManyEventsItLeftOutAndCutsLongPayloads) {
  document doc = failing_check();
  auto& log = doc.cases[1].wire_log;
  log.clear();
  const std::string big(5000, '\x01');
  for (int i = 0; i < 600; ++i)
    log.push_back(
        event(i % 2 ? event_kind::read : event_kind::write, std::chrono::microseconds(i), 1, big));
  const std::string page = page_of(doc);
  expect_well_formed(page);
  const std::string_view section =
      element(page, "<section class=\"case fail\" id=\"case-1\"", "</section>");
  EXPECT_EQ(occurrences(section, "data-event=\""), 500u);
  EXPECT_TRUE(has(page, "100 more events of 600 not drawn"));
  EXPECT_TRUE(has(page, "100 more events of 600 not listed"));
  // An arrow shows 48 characters, a tooltip 256, the table 1024: never 5000 bytes.
  const auto escaped_run = [](std::size_t n) {
    std::string run;
    for (std::size_t i = 0; i < n; ++i)
      run += "\\x01";
    return run;
  };
  EXPECT_TRUE(has(page, "&quot;" + escaped_run(12) + "...&quot;"));
  EXPECT_TRUE(has(page, "&quot;" + escaped_run(64) + "...&quot;"));
  EXPECT_TRUE(has(page, "<code>" + escaped_run(256) + "...</code>"));
  EXPECT_FALSE(has(page, escaped_run(257)));
  EXPECT_LT(page.size(), 2'000'000u);
}

TEST(HtmlReport, SaysWhenTheBaselineFailedAndLeavesTheRestNotRun) {
  const std::string page = page_of(failed_baseline());
  expect_well_formed(page);
  EXPECT_TRUE(has(page, "<p class=\"banner baseline\">"));
  EXPECT_EQ(occurrences(page, "<a class=\"cell not_run\""), 2u);
  EXPECT_EQ(occurrences(page, "<section class=\"case "), 1u); // the baseline alone in full
  EXPECT_TRUE(has(page, "<section class=\"case fail\" id=\"case-0\" "
                        "data-case-id=\"segmentation/whole\""));
  EXPECT_TRUE(has(page, "<svg class=\"sequence\""));
  EXPECT_TRUE(has(page, "2 not run"));
}

TEST(HtmlReport, LetsAFlakyBaselineRunTheMatrix) {
  document doc = failing_check();
  doc.check->baseline_status = std::string(name_of(status::flaky));
  EXPECT_FALSE(has(page_of(doc), "<p class=\"banner baseline\">"));
  EXPECT_FALSE(has(page_of(failing_check()), "<p class=\"banner baseline\">"));
}

// ---------------------------------------------------------------------------
// A script run (`replay`)

document failed_replay() {
  document doc;
  doc.command = "replay";
  doc.script = "corpus/regression/planted-length-777.tcs";
  doc.target = "spawned '/build/tests/planted/planted_server --bug length' on 127.0.0.1:4000";
  test_case c;
  c.kind = case_kind::script;
  c.id = "/src/corpus/regression/planted-length-777.tcs (plan whole)";
  c.area = "tcpcheck replay";
  c.state = status::fail;
  c.summary = "line 15: cannot connect";
  c.failed = failure{15, "cannot connect", "a connection", ""};
  c.steps = {{11, "send raw \"\\x03\\t\"", step_line::mark::ok},
             {15, "probe: connect", step_line::mark::failed},
             {16, "probe: expect \"ready\"", step_line::mark::not_run}};
  c.run = script_run_facts{doc.script, "127.0.0.1:4000", "len:u16be", "whole", false};
  c.wire_log = {event(event_kind::connect, 0us, 0),
                event(event_kind::write, 400us, 0, "\x03\t"),
                event(event_kind::shutdown, 410us, 0),
                event(event_kind::peer_fin, 2600us, 0),
                event(event_kind::connect, 30400us, 1),
                event(event_kind::error, 30600us, 1, {}, "connect: Connection refused")};
  doc.cases = {c};
  return doc;
}

TEST(HtmlReport, ShowsAScriptRunStepByStep) {
  const std::string page = page_of(failed_replay());
  expect_well_formed(page);
  // The cell names the script, not the directories above it.
  EXPECT_TRUE(has(page,
                  "data-status=\"fail\" title=\"/src/corpus/regression/planted-length-777.tcs "
                  "(plan whole): fail \xe2\x80\x94 line 15: cannot connect\">"
                  "planted-length-777.tcs (plan whole)</a>"));
  EXPECT_TRUE(has(page, "<li class=\"ok\"><code>line 11: send raw &quot;\\x03\\t&quot;</code>"));
  EXPECT_TRUE(has(page, "<li class=\"failed\"><code>line 15: probe: connect</code>"));
  EXPECT_TRUE(has(page, "<span class=\"mark\">not run</span>"));
  EXPECT_TRUE(has(page, "<dt>plan</dt><dd><code>whole</code></dd>"));
  // The summary only said where it failed: said once.
  const std::string_view section = element(page, "<section class=\"case fail\"", "</section>");
  EXPECT_EQ(occurrences(section, "line 15: cannot connect</"), 1u);
  EXPECT_TRUE(has(page, "<pre class=\"got\"></pre>"));
  // The server lane shows the address; its tooltip the whole description.
  EXPECT_TRUE(
      has(page, "<text class=\"lane-subtitle\" x=\"780.0\" y=\"36\">127.0.0.1:4000</text>"));
  EXPECT_TRUE(has(page, "<title>server: spawned &#39;/build/tests/planted/planted_server"));
  EXPECT_TRUE(has(page, "<g class=\"arrow fault shutdown\" data-connection=\"0\""));
  EXPECT_TRUE(has(page, "<g class=\"arrow fault peer_fin\" data-connection=\"0\""));
  EXPECT_TRUE(has(page, "<g class=\"mark error\" data-connection=\"1\""));
  EXPECT_TRUE(has(page, "#1 error: connect: Connection refused"));
}

// ---------------------------------------------------------------------------
// Fuzzing

TEST(HtmlReport, ShowsFindingsWithTheirMinimizedScripts) {
  const std::string page = page_of(fuzz_with_finding());
  expect_well_formed(page);
  const std::string_view findings =
      element(page, "<section id=\"findings\">", "</section>\n</section>");
  ASSERT_FALSE(findings.empty());
  EXPECT_TRUE(has(findings, "data-case-id=\"findings/died-1\""));
  EXPECT_TRUE(has(findings, "<h4>Minimized script</h4>\n<pre class=\"script\">framing len:u16be\n"
                            "send &quot;\\xde\\xad&quot;\n</pre>"));
  EXPECT_TRUE(has(findings, "died: killed by signal 11 (SIGSEGV) @ line 4"));
  EXPECT_TRUE(has(findings, "5 as found, 1 minimized"));
  EXPECT_TRUE(has(findings, "#1 write 2 B &quot;\\xde\\xad&quot;"));
  EXPECT_TRUE(has(findings, "<g class=\"arrow fault peer_fin\""));
  EXPECT_FALSE(has(page, "<section id=\"failures\">")); // a finding is not a matrix failure
}

TEST(HtmlReport, PlotsCoverageAndExecutionsPerSecondOverTime) {
  const std::string page = page_of(fuzz_with_finding());
  EXPECT_TRUE(has(page, "<dt>exec/s</dt><dd>750.0</dd>"));
  EXPECT_TRUE(has(page, "<dt>edges</dt><dd>120 of 400</dd>"));
  const std::string_view edges = element(page, "<svg class=\"plot coverage edges\"", "</svg>");
  EXPECT_EQ(points_in(edges), 4u);        // from the origin (nothing covered yet), then each sample
  EXPECT_TRUE(has(edges, ">120</text>")); // the top of its scale
  EXPECT_TRUE(has(edges, ">4.0 s</text>"));
  const std::string_view rate = element(page, "<svg class=\"plot rate\"", "</svg>");
  EXPECT_EQ(points_in(rate), 3u);
  EXPECT_TRUE(has(rate, ">200</text>")); // 100/s, 200/s, 200/s: the most is 200
  EXPECT_EQ(occurrences(element(page, "<details class=\"samples\">", "</details>"), "<tr>"), 4u);
}

TEST(HtmlReport, LeavesEdgesOutOfABlindRun) {
  document doc = fuzz_with_finding();
  doc.fuzz->guidance.feedback = harness::feedback_kind::none;
  for (auto& s : doc.fuzz->guidance.over_time)
    s.edges = 0;
  const std::string page = page_of(doc);
  EXPECT_FALSE(has(page, "<svg class=\"plot coverage edges\""));
  EXPECT_TRUE(has(page, "<svg class=\"plot coverage states\""));
}

// ---------------------------------------------------------------------------
// Hostile bytes

TEST(HtmlReport, EscapesEverythingAServerSent) {
  const std::string page = page_of(hostile_document());
  expect_well_formed(page);
  EXPECT_TRUE(is_valid_utf8(page));
  EXPECT_EQ(occurrences(page, "<script"), 1u);
  EXPECT_EQ(occurrences(page, "</script>"), 1u);
  EXPECT_FALSE(has(page, "<img"));
  EXPECT_EQ(page.find('\0'), std::string::npos);
  EXPECT_EQ(page.find('\x1b'), std::string::npos);
  EXPECT_EQ(page.find('\r'), std::string::npos);
  EXPECT_EQ(page.find('\x7f'), std::string::npos);
  EXPECT_FALSE(has(page, "\xc2\x85"));
  // As text, visibly: markup as references, the rest as \xNN.
  const std::string shown = "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img "
                            "src=x onerror=alert(2)&gt;&quot;&#39; onclick=alert(3) &amp;amp;"
                            "\\xff\\xfe\\xc3(\\x1b[31m\\x0d\\x7f\\xc2\\x85\\x00end";
  EXPECT_TRUE(has(page, "<pre class=\"got\">" + shown + "</pre>"));
  EXPECT_TRUE(has(page, "data-case-id=\"segmentation/" + shown + "\""));
  EXPECT_TRUE(has(page, "<pre class=\"stderr\">" + shown + "</pre>"));
  EXPECT_TRUE(has(page, "<pre class=\"script\">" + shown + "</pre>"));
  EXPECT_TRUE(has(page, "<title>tcpcheck check " + shown + ": 2 failing</title>"));
  // Wire bytes in tcpcheck's escape language, then as HTML text.
  EXPECT_TRUE(has(page, "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img "
                        "src=x onerror=alert(2)&gt;&quot;&#39; onclick=alert(3) &amp;amp;"
                        "\\xff\\xfe\\xc3(\\x1b[31m\\r\\x7f\\xc2\\x85\\0end"));
}

TEST(HtmlReport, KeepsModelDataOutOfItsScript) {
  const std::string page = page_of(hostile_document());
  const std::string_view script = element(page, "<script>", "</script>");
  ASSERT_FALSE(script.empty());
  EXPECT_EQ(script, element(page_of(failing_check()), "<script>", "</script>"));
  EXPECT_EQ(script, element(page_of(document{}), "<script>", "</script>"));
}

TEST(HtmlReport, WritesAnEmptyDocument) {
  const std::string page = page_of(document{});
  expect_well_formed(page);
  EXPECT_TRUE(has(page, "0 cases"));
  EXPECT_FALSE(has(page, "<section id=\"matrix\">"));
}

} // namespace
} // namespace tcpcheck::report
