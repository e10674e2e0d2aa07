// The JSON report (nlohmann::json): every case under "cases", and, laid out
// as earlier versions wrote them, the script runs under "runs" and the
// findings under "findings", so that tools reading those keep working.
#include "tcpcheck/escape.hpp"
#include "tcpcheck/report/writers.hpp"
#include "tcpcheck/version.hpp"

#include <nlohmann/json.hpp>

#include "json_tree.hpp"

namespace tcpcheck::report {

namespace {

using json = nlohmann::ordered_json;
using namespace detail;

std::string_view name_of(case_kind k) {
  switch (k) {
  case case_kind::matrix:
    return "matrix";
  case case_kind::script:
    return "script";
  case case_kind::finding:
    return "finding";
  case case_kind::fuzz_run:
    return "fuzz_run";
  }
  return "?";
}

json wire_log_json(const std::vector<harness::wire_event>& log) {
  json out = json::array();
  for (const auto& e : log)
    out.push_back({{"at_us", e.at.count()},
                   {"connection", e.connection},
                   {"event", event_name(e.what)},
                   {"size", e.size},
                   {"bytes", escape(e.bytes)},
                   {"text", e.text}});
  return out;
}

json resources_json(const harness::resource_sample& r) {
  return {{"rss_kib", r.rss_kib}, {"open_fds", r.open_fds}, {"threads", r.threads}};
}

void add_failure(json& j, const test_case& c) {
  if (!c.failed) return;
  j["line"] = c.failed->line;
  j["expected"] = c.failed->expected;
  j["got"] = c.failed->got;
  j["reason"] = c.failed->reason;
}

void add_script_run(json& j, const test_case& c) {
  const auto& r = *c.run;
  j["script"] = r.script;
  j["target"] = r.target;
  j["framing"] = r.framing;
  j["plan"] = r.plan;
  j["passed"] = c.state == status::pass;
  j["unreachable"] = r.unreachable;
  if (!c.failed) j["line"] = 0, j["reason"] = "", j["expected"] = "", j["got"] = "";
  j["steps"] = json::array();
  for (const auto& s : c.steps)
    j["steps"].push_back({{"line", s.line}, {"step", s.text}, {"status", name_of(s.state)}});
  if (c.death) j[c.death->who + "_died"] = c.death->how;
}

void add_finding(json& j, const test_case& c) {
  const auto& f = *c.finding;
  j["signature"] = f.signature;
  j["kind"] = f.kind;
  j["detail"] = f.detail;
  j["run"] = f.run;
  j["duplicates"] = f.duplicates;
  j["confirmed"] = f.confirmed;
  j["sends_found"] = f.sends_found;
  j["sends_minimized"] = f.sends_minimized;
  j["minimize_replays"] = f.minimize_replays;
  j["mutations"] = f.mutations;
  j["stderr"] = death_report(c);
  if (!f.stderr_file.empty()) j["stderr_file"] = f.stderr_file;
  j["script"] = c.script_text;
}

json case_json(const test_case& c) {
  json j = {{"id", c.id},
            {"type", name_of(c.kind)},
            {"area", c.area},
            {"title", c.title},
            {"status", name_of(c.state)},
            {"attempts", c.attempts},
            {"elapsed_us", c.elapsed.count()},
            {"summary", c.summary},
            {"details", c.details}};
  add_failure(j, c);
  if (!c.meaning.empty()) j["meaning"] = c.meaning;
  if (c.run) add_script_run(j, c);
  if (c.finding) {
    add_finding(j, c);
  } else if (c.death) {
    j[c.death->who + "_died"] = c.death->how;
    j["sanitizer"] = c.death->sanitizer;
    j["stderr"] = c.death->stderr_tail;
  }
  if (!c.replay.empty()) j["replay"] = c.replay;
  if (!c.script_file.empty()) j["script_file"] = c.script_file;
  if (!c.wire_log.empty() || c.run) j["wire_log"] = wire_log_json(c.wire_log);
  return j;
}

json check_json(const document& doc, const check_facts& f) {
  const counts n = count(doc.cases);
  json j = {{"script", doc.script},
            {"target", doc.target},
            {"framing", doc.framing},
            {"seed", doc.seed.value_or(0)},
            {"elapsed_ms", doc.elapsed.count()},
            {"baseline", f.baseline_status},
            {"baseline_elapsed_us", f.baseline_elapsed.count()},
            {"unreachable", f.unreachable},
            {"serves_one_connection", f.serves_one_connection},
            {"pass", n.pass},
            {"fail", n.fail},
            {"flaky", n.flaky},
            {"warn", n.warn},
            {"not_run", n.not_run},
            {"skipped", n.skipped}};
  if (f.resources_before && f.resources_after) {
    j["resources_before"] = resources_json(*f.resources_before);
    j["resources_after"] = resources_json(*f.resources_after);
  }
  json areas = json::object();
  for (const auto& [area, ms] : f.area_times)
    areas[area] = ms.count();
  j["area_ms"] = std::move(areas);
  return j;
}

json guidance_json(const fuzz_facts& f) {
  const auto& g = f.guidance;
  json over_time = json::array();
  for (const auto& t : g.over_time)
    over_time.push_back({{"ms", t.at.count()},
                         {"runs", t.runs},
                         {"edges", t.edges},
                         {"states", t.states},
                         {"transitions", t.transitions},
                         {"corpus", t.corpus}});
  return {{"feedback", harness::name_of(g.feedback)},
          {"why", g.why},
          {"edges_covered", g.edges_covered},
          {"edges_total", g.edges_total},
          {"functions_reached", g.functions_reached},
          {"functions_total", g.functions_total},
          {"states", g.states},
          {"transitions", g.transitions},
          {"corpus", f.corpus},
          {"learned_words", g.learned_words},
          {"command_words", g.command_words},
          {"server_processes", g.processes_seen},
          {"attribution_runs", g.attribution_runs},
          {"attribution_ms", g.attribution_time.count()},
          {"unreached_functions", g.unreached_functions},
          {"over_time", std::move(over_time)}};
}

json fuzz_json(const document& doc, const fuzz_facts& f) {
  return {{"script", doc.script},
          {"target", doc.target},
          {"seed", doc.seed.value_or(0)},
          {"runs", f.runs},
          {"elapsed_ms", doc.elapsed.count()},
          {"exec_per_second", static_cast<std::uint64_t>(f.exec_per_second + 0.5)},
          {"stopped", f.stopped},
          {"unreachable", f.unreachable},
          {"delays", f.delays},
          {"guidance", guidance_json(f)}};
}

} // namespace

void write_json(std::ostream& out, const document& doc) {
  json j = {{"format_version", format_version},
            {"tcpcheck_version", std::string(tcpcheck::version)},
            {"command", doc.command}};
  if (doc.check) j["check"] = check_json(doc, *doc.check);
  if (doc.fuzz) j["fuzz"] = fuzz_json(doc, *doc.fuzz);
  json cases = json::array(), runs = json::array(), findings = json::array();
  for (const auto& c : doc.cases) {
    json one = case_json(c);
    if (c.kind == case_kind::script) runs.push_back(one);
    if (c.kind == case_kind::finding) findings.push_back(one);
    cases.push_back(std::move(one));
  }
  j["cases"] = std::move(cases);
  if (doc.command == "run" || doc.command == "replay") j["runs"] = std::move(runs);
  if (doc.fuzz) j["findings"] = std::move(findings);
  make_valid_utf8(j);
  out << j.dump(1) << '\n';
}

} // namespace tcpcheck::report
