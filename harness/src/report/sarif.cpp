// SARIF 2.1.0 (OASIS), the format GitHub code scanning and ClusterFuzzLite
// read: one result per failing case or finding. Its rule is the case's area
// and kind ("segmentation/fail", "findings/died"), its location the script
// and, when the failure has one, the line.
#include "tcpcheck/report/writers.hpp"
#include "tcpcheck/version.hpp"

#include <map>
#include <nlohmann/json.hpp>

#include "json_tree.hpp"

namespace tcpcheck::report {

namespace {

using json = nlohmann::ordered_json;
using detail::make_valid_utf8;

constexpr const char* schema = "https://json.schemastore.org/sarif-2.1.0.json";

bool reported(const test_case& c) {
  return c.finding || is_problem(c.state);
}

std::string rule_of(const test_case& c) {
  if (c.finding) return c.area + "/" + c.finding->kind;
  return c.area + "/" + (c.state == status::flaky ? "flaky" : "fail");
}

std::string rule_description(const test_case& c) {
  if (c.finding) return "tcpcheck fuzz found the server " + c.finding->kind;
  if (c.kind == case_kind::script) return "a script run failed against the server";
  return "a case of the conformance matrix's " + c.area + " area " +
         (c.state == status::flaky ? "failed, then passed" : "failed");
}

// The message: what a reader needs to act, in a few lines.
std::string message_of(const test_case& c) {
  std::string text = c.id + ": " + (c.summary.empty() ? c.title : c.summary);
  if (c.failed) {
    if (!c.failed->expected.empty()) text += "\nexpected: " + c.failed->expected;
    if (!c.failed->got.empty()) text += "\ngot: " + c.failed->got;
  }
  if (!c.meaning.empty()) text += "\nmeaning: " + c.meaning;
  if (c.death) text += "\nthe " + c.death->who + " " + c.death->how;
  if (!c.replay.empty()) text += "\nreplay: " + c.replay;
  return text;
}

json location_of(const test_case& c, const document& doc) {
  const std::string& script = c.run ? c.run->script : doc.script;
  json physical = {{"artifactLocation", {{"uri", script}}}};
  if (c.failed && c.failed->line) physical["region"] = {{"startLine", c.failed->line}};
  return json::array({{{"physicalLocation", std::move(physical)}}});
}

json result_of(const test_case& c, const document& doc, std::size_t rule_index) {
  json properties = {{"status", name_of(c.state)}};
  if (!c.replay.empty()) properties["replay"] = c.replay;
  if (!c.script_file.empty()) properties["script_file"] = c.script_file;
  if (!death_report(c).empty()) properties["server_stderr"] = death_report(c);
  return {{"ruleId", rule_of(c)},
          {"ruleIndex", rule_index},
          {"level", c.state == status::flaky ? "warning" : "error"},
          {"message", {{"text", message_of(c)}}},
          {"locations", location_of(c, doc)},
          {"partialFingerprints", {{"tcpcheckCase/v1", c.finding ? c.finding->signature : c.id}}},
          {"properties", std::move(properties)}};
}

} // namespace

void write_sarif(std::ostream& out, const document& doc) {
  json rules = json::array(), results = json::array();
  std::map<std::string, std::size_t> rule_index;
  for (const auto& c : doc.cases) {
    if (!reported(c)) continue;
    const std::string rule = rule_of(c);
    auto [it, added] = rule_index.emplace(rule, rules.size());
    if (added)
      rules.push_back(
          {{"id", rule},
           {"name", rule},
           {"shortDescription", {{"text", rule_description(c)}}},
           {"defaultConfiguration", {{"level", c.state == status::flaky ? "warning" : "error"}}}});
    results.push_back(result_of(c, doc, it->second));
  }
  json run = {{"tool",
               {{"driver",
                 {{"name", "tcpcheck"},
                  {"version", std::string(tcpcheck::version)},
                  {"rules", std::move(rules)}}}}},
              {"automationDetails", {{"id", "tcpcheck/" + doc.command + "/"}}},
              {"results", std::move(results)}};
  json j = {{"$schema", schema}, {"version", "2.1.0"}, {"runs", json::array({std::move(run)})}};
  make_valid_utf8(j);
  out << j.dump(1) << '\n';
}

} // namespace tcpcheck::report
