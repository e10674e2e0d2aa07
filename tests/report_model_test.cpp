// Tests for the report model's writers (tcpcheck/report/writers.hpp) on
// documents made by hand: every format on a failing check, a fuzz run with
// findings, and a document full of hostile bytes (invalid UTF-8, NUL,
// `</script>`, control characters) that must still parse; SARIF checked
// against the structure SARIF 2.1.0 requires.
#include "tcpcheck/report/model.hpp"
#include "tcpcheck/report/writers.hpp"
#include "tcpcheck/version.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace tcpcheck::report {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

bool has(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

harness::wire_event event(harness::wire_event::kind what, std::string_view bytes) {
  harness::wire_event e;
  e.what = what;
  e.bytes.assign(bytes.begin(), bytes.end());
  e.size = bytes.size();
  return e;
}

test_case matrix_case(std::string id, std::string area, status state) {
  test_case c;
  c.kind = case_kind::matrix;
  c.id = std::move(id);
  c.area = std::move(area);
  c.title = "a case of " + c.area;
  c.state = state;
  c.attempts = 1;
  c.elapsed = 2500us;
  return c;
}

document failing_check() {
  document doc;
  doc.command = "check";
  doc.script = "scripts/greeting.tcs";
  doc.target = "127.0.0.1:4000";
  doc.framing = "line";
  doc.seed = 7;
  doc.elapsed = 1200ms;
  doc.cases.push_back(matrix_case("segmentation/whole", "segmentation", status::pass));
  test_case cut = matrix_case("segmentation/bytewise", "segmentation", status::fail);
  cut.summary = "line 6: expected \"Hello, Michael\", got \"Hello, M\"";
  cut.failed = failure{6, "the frame differs", "\"Hello, Michael\"", "\"Hello, M\""};
  cut.meaning = "the server takes one recv() as one message";
  cut.wire_log = {event(harness::wire_event::kind::write, "M"),
                  event(harness::wire_event::kind::read, "Hello, M\n")};
  cut.replay = "tcpcheck run /tmp/x/segmentation.bytewise.tcs --target 127.0.0.1:4000";
  doc.cases.push_back(cut);
  test_case flaky = matrix_case("faults/line-5/rst", "faults", status::flaky);
  flaky.summary = "timed out once";
  doc.cases.push_back(flaky);
  doc.cases.push_back(matrix_case("soak/sequential-20", "soak", status::warn));
  doc.cases.push_back(matrix_case("boundary/empty-frame", "boundary", status::not_run));
  check_facts f;
  f.baseline_id = "segmentation/whole";
  f.baseline_status = "pass";
  f.area_times = {{"segmentation", 800ms}, {"faults", 300ms}};
  doc.check = f;
  return doc;
}

document fuzz_with_findings() {
  document doc;
  doc.command = "fuzz";
  doc.script = "planted.tcs";
  doc.target = "spawned 'server --port {port}' on 127.0.0.1:5000";
  doc.seed = 1;
  doc.elapsed = 10s;
  test_case run;
  run.kind = case_kind::fuzz_run;
  run.id = "fuzz/seed-1";
  run.area = "fuzz";
  run.state = status::pass;
  doc.cases.push_back(run);
  for (const char* kind : {"died", "hang"}) {
    test_case c;
    c.kind = case_kind::finding;
    c.id = std::string("finding-") + (kind[0] == 'd' ? "1" : "2");
    c.area = "findings";
    c.state = status::fail;
    c.title = std::string(kind) + ": @ line 6";
    c.script_text = "# tcpcheck fuzz finding\nframing line\nsend \"boom\"\n";
    c.replay = "tcpcheck replay findings/" + c.id + ".tcs --spawn 'server --port {port}'";
    finding_facts f;
    f.kind = kind;
    f.signature = c.title;
    f.detail = "killed by signal 11 (SIGSEGV)";
    f.run = 78;
    f.confirmed = true;
    f.sends_found = 5;
    f.sends_minimized = 1;
    c.finding = f;
    if (kind[0] == 'd')
      c.death = harness::process_death{.how = "killed by signal 11 (SIGSEGV)", .stderr_tail = "x"};
    doc.cases.push_back(c);
  }
  fuzz_facts f;
  f.runs = 3000;
  f.exec_per_second = 300;
  f.stopped = "runs done";
  f.guidance.over_time = {{1s, 300, 10, 2, 3, 4}, {2s, 600, 12, 3, 4, 5}};
  doc.fuzz = f;
  return doc;
}

// Every string a server could have put in a report, at once.
const std::string hostile = std::string("caf\xc3\xa9 \xff\xfe\xc0\xaf\xed\xa0\x80 nul:") + '\0' +
                            " </script><img src=x onerror=alert(1)> \x01\x1b[31m\x7f]]>&";

document hostile_check() {
  document doc = failing_check();
  doc.script = hostile;
  test_case& c = doc.cases[1];
  c.id += hostile;
  c.summary = hostile;
  c.failed->got = hostile;
  c.failed->expected = hostile;
  c.details = {hostile};
  c.death = harness::process_death{.how = hostile, .sanitizer = hostile, .stderr_tail = hostile};
  c.wire_log.push_back(event(harness::wire_event::kind::read, hostile));
  c.wire_log.back().text = hostile;
  return doc;
}

std::string json_of(const document& doc) {
  std::ostringstream out;
  write_json(out, doc);
  return out.str();
}

std::string sarif_of(const document& doc) {
  std::ostringstream out;
  write_sarif(out, doc);
  return out.str();
}

std::string junit_of(const document& doc) {
  std::ostringstream out;
  write_junit(out, doc);
  return out.str();
}

// ---------------------------------------------------------------------------
// JSON

TEST(ReportJson, HoldsTheFormatVersionTheToolsVersionTheCommandAndEveryCase) {
  const document doc = failing_check();
  const json j = json::parse(json_of(doc));

  EXPECT_EQ(j["format_version"], format_version);
  EXPECT_EQ(j["tcpcheck_version"], std::string(tcpcheck::version));
  EXPECT_EQ(j["command"], "check");
  ASSERT_EQ(j["cases"].size(), doc.cases.size());
  for (std::size_t i = 0; i < doc.cases.size(); ++i) {
    EXPECT_EQ(j["cases"][i]["id"], doc.cases[i].id);
    EXPECT_EQ(j["cases"][i]["status"], name_of(doc.cases[i].state));
  }
  EXPECT_EQ(j["check"]["fail"], 1);
  EXPECT_EQ(j["check"]["flaky"], 1);
  EXPECT_EQ(j["check"]["warn"], 1);
  EXPECT_EQ(j["check"]["not_run"], 1);
  EXPECT_EQ(j["check"]["area_ms"]["segmentation"], 800);
  const json& cut = j["cases"][1];
  EXPECT_EQ(cut["line"], 6);
  EXPECT_EQ(cut["got"], "\"Hello, M\"");
  EXPECT_EQ(cut["meaning"], doc.cases[1].meaning);
  EXPECT_EQ(cut["wire_log"].size(), 2u);
  EXPECT_FALSE(j["cases"][0].contains("wire_log")) << "a case that passed has no wire log";
  EXPECT_FALSE(j.contains("findings"));
}

TEST(ReportJson, ListsFindingsAsCasesAndUnderFindings) {
  const json j = json::parse(json_of(fuzz_with_findings()));

  EXPECT_EQ(j["fuzz"]["runs"], 3000);
  EXPECT_EQ(j["fuzz"]["exec_per_second"], 300);
  EXPECT_EQ(j["fuzz"]["guidance"]["over_time"].size(), 2u);
  ASSERT_EQ(j["findings"].size(), 2u);
  EXPECT_EQ(j["findings"][0]["kind"], "died");
  EXPECT_EQ(j["findings"][1]["kind"], "hang");
  EXPECT_EQ(j["findings"][0]["script"], "# tcpcheck fuzz finding\nframing line\nsend \"boom\"\n");
  EXPECT_EQ(j["findings"][0]["sends_minimized"], 1);
  EXPECT_EQ(j["cases"].size(), 3u) << "the run itself and both findings";
  EXPECT_EQ(j["cases"][0]["type"], "fuzz_run");
}

TEST(ReportJson, HostileBytesStillMakeValidJsonAndStayReadable) {
  const std::string text = json_of(hostile_check());
  const json j = json::parse(text); // throws on invalid UTF-8 or a raw control character

  const json& c = j["cases"][1];
  const std::string got = c["got"];
  EXPECT_TRUE(has(got, "caf\xc3\xa9")) << "valid UTF-8 is kept as it is";
  EXPECT_TRUE(has(got, "\\xff\\xfe\\xc0\\xaf\\xed\\xa0\\x80")) << got;
  EXPECT_TRUE(has(got, std::string_view("nul:\0 ", 6))) << "NUL is a JSON escape, not lost";
  EXPECT_TRUE(has(got, "</script>")) << "JSON keeps markup as text";
  EXPECT_TRUE(has(text, "\\u0000")) << text;
  EXPECT_EQ(j["check"]["script"].get<std::string>().find('\xff'), std::string::npos);
}

// ---------------------------------------------------------------------------
// JUnit

TEST(ReportJunit, HostileBytesStillMakeWellFormedXml) {
  const std::string xml = junit_of(hostile_check());

  for (const char c : xml) {
    const auto b = static_cast<unsigned char>(c);
    EXPECT_FALSE(b < 0x20 && c != '\n' && c != '\t') << "a control character XML 1.0 forbids";
  }
  EXPECT_FALSE(has(xml, "<img")) << xml;
  EXPECT_FALSE(has(xml, "</script>")) << xml;
  EXPECT_TRUE(has(xml, "&lt;/script&gt;&lt;img src=x")) << xml;
  EXPECT_TRUE(has(xml, "\\x00")) << xml;
  EXPECT_TRUE(has(xml, "\\xff")) << xml;
  EXPECT_TRUE(has(xml, "caf\xc3\xa9")) << xml;
}

TEST(ReportJunit, HasASuitePerAreaAndATestcasePerCase) {
  const std::string xml = junit_of(failing_check());

  std::size_t suites = 0, testcases = 0;
  for (auto at = xml.find("<testsuite "); at != std::string::npos;
       at = xml.find("<testsuite ", at + 1))
    ++suites;
  for (auto at = xml.find("<testcase "); at != std::string::npos;
       at = xml.find("<testcase ", at + 1))
    ++testcases;
  EXPECT_EQ(suites, 4u); // segmentation, faults, soak, boundary
  EXPECT_EQ(testcases, 5u);
  EXPECT_TRUE(has(xml, "<failure message=\"flaky: timed out once\"")) << xml;
  EXPECT_TRUE(has(xml, "meaning: the server takes one recv() as one message")) << xml;
  EXPECT_TRUE(has(xml, "<skipped ")) << xml;
}

// ---------------------------------------------------------------------------
// SARIF

// What SARIF 2.1.0 requires of a log, as far as tcpcheck writes one.
void expect_sarif_structure(const json& log) {
  ASSERT_TRUE(log.is_object());
  EXPECT_EQ(log["version"], "2.1.0");
  ASSERT_TRUE(log["runs"].is_array());
  ASSERT_EQ(log["runs"].size(), 1u);
  const json& run = log["runs"][0];
  ASSERT_TRUE(run["tool"]["driver"]["name"].is_string());
  const json& rules = run["tool"]["driver"]["rules"];
  ASSERT_TRUE(rules.is_array());
  std::set<std::string> ids;
  for (const auto& rule : rules) {
    ASSERT_TRUE(rule["id"].is_string());
    EXPECT_TRUE(ids.insert(rule["id"].get<std::string>()).second) << "rule ids are unique";
  }
  ASSERT_TRUE(run["results"].is_array());
  for (const auto& result : run["results"]) {
    ASSERT_TRUE(result["message"]["text"].is_string());
    ASSERT_TRUE(result["ruleId"].is_string());
    const auto index = result["ruleIndex"].get<std::size_t>();
    ASSERT_LT(index, rules.size());
    EXPECT_EQ(rules[index]["id"], result["ruleId"]);
    const std::set<std::string> levels{"none", "note", "warning", "error"};
    EXPECT_TRUE(levels.count(result["level"].get<std::string>()));
    ASSERT_TRUE(result["locations"].is_array());
    for (const auto& location : result["locations"]) {
      const json& physical = location["physicalLocation"];
      ASSERT_TRUE(physical["artifactLocation"]["uri"].is_string());
      if (physical.contains("region")) {
        EXPECT_GE(physical["region"]["startLine"].get<int>(), 1);
      }
    }
  }
}

TEST(ReportSarif, HasOneResultPerFailingCaseWithItsRuleAndLine) {
  const json log = json::parse(sarif_of(failing_check()));
  expect_sarif_structure(log);

  const json& results = log["runs"][0]["results"];
  ASSERT_EQ(results.size(), 2u) << "the failing and the flaky case; not pass, warn or not run";
  EXPECT_EQ(results[0]["ruleId"], "segmentation/fail");
  EXPECT_EQ(results[0]["level"], "error");
  EXPECT_EQ(results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "scripts/greeting.tcs");
  EXPECT_EQ(results[0]["locations"][0]["physicalLocation"]["region"]["startLine"], 6);
  EXPECT_TRUE(
      has(results[0]["message"]["text"].get<std::string>(), "expected: \"Hello, Michael\""));
  EXPECT_EQ(results[1]["ruleId"], "faults/flaky");
  EXPECT_EQ(results[1]["level"], "warning");
  EXPECT_FALSE(results[1]["locations"][0]["physicalLocation"].contains("region"));
}

TEST(ReportSarif, HasOneResultPerFindingRuledByItsKind) {
  const json log = json::parse(sarif_of(fuzz_with_findings()));
  expect_sarif_structure(log);

  const json& results = log["runs"][0]["results"];
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0]["ruleId"], "findings/died");
  EXPECT_EQ(results[1]["ruleId"], "findings/hang");
  EXPECT_EQ(log["runs"][0]["tool"]["driver"]["rules"].size(), 2u);
}

TEST(ReportSarif, HostileBytesStillMakeValidSarif) {
  const json log = json::parse(sarif_of(hostile_check()));
  expect_sarif_structure(log);
  EXPECT_EQ(log["runs"][0]["results"].size(), 2u);
}

TEST(ReportSarif, ACleanRunHasNoResults) {
  document doc = failing_check();
  doc.cases.resize(1);
  const json log = json::parse(sarif_of(doc));
  expect_sarif_structure(log);
  EXPECT_TRUE(log["runs"][0]["results"].empty());
}

// ---------------------------------------------------------------------------
// Human

TEST(ReportHuman, ListsTheMatrixByAreaAndEachFailureWithItsMeaningAndReplay) {
  std::ostringstream out;
  write_human(out, failing_check(), {});
  const std::string text = out.str();

  EXPECT_TRUE(text.starts_with("tcpcheck check scripts/greeting.tcs against 127.0.0.1:4000\n"))
      << text;
  EXPECT_TRUE(has(text, "framing line, seed 7, 5 cases\n")) << text;
  EXPECT_TRUE(has(text, "segmentation  2 cases: 1 pass, 1 FAIL\n")) << text;
  EXPECT_TRUE(has(text, "  meaning:  the server takes one recv() as one message\n")) << text;
  EXPECT_TRUE(has(text, "  replay:   tcpcheck run /tmp/x/segmentation.bytewise.tcs")) << text;
  EXPECT_TRUE(has(text, "FAIL  1 pass, 1 fail, 1 flaky, 1 warn, 1 not run in 1.2 s")) << text;
}

TEST(ReportHuman, ShowsFindingsWithTheirReplay) {
  std::ostringstream out;
  write_human(out, fuzz_with_findings(), {});
  const std::string text = out.str();

  EXPECT_TRUE(has(text, "seed 1: 3000 runs in 10.0 s (300 exec/s), 2 findings; stopped: runs done"))
      << text;
  EXPECT_TRUE(has(text, "FINDING 1  died: @ line 6\n")) << text;
  EXPECT_TRUE(has(text, "FINDING 2  hang: @ line 6\n")) << text;
  EXPECT_TRUE(has(text, "  replay:  tcpcheck replay findings/finding-2.tcs")) << text;
  EXPECT_TRUE(text.ends_with("\nFAIL\n")) << text;
}

} // namespace
} // namespace tcpcheck::report
