// A conformance check as a document of the report model.
#include "tcpcheck/harness/check_report.hpp"

#include <algorithm>

namespace tcpcheck::harness {

namespace {

report::test_case to_case(const case_result& r, const std::string& replay,
                          const std::string& script_file) {
  report::test_case c;
  c.kind = report::case_kind::matrix;
  c.id = r.which->id;
  c.area = std::string(name_of(r.which->area));
  c.title = r.which->title;
  c.state = to_status(r.status);
  c.attempts = r.attempts;
  c.elapsed = r.elapsed;
  c.summary = r.summary;
  c.details = r.details;
  if (r.failed_run) {
    const verdict& v = r.failed_run->outcome;
    c.failed = report::failure{v.line, v.reason, v.expected, v.got};
    c.wire_log = r.failed_run->wire_log;
  }
  if (report::is_problem(c.state)) c.meaning = r.which->failure_hint;
  c.death = r.death;
  c.replay = replay;
  c.script_file = script_file;
  return c;
}

bool baseline_is_a_problem(case_status s) {
  return s == case_status::fail || s == case_status::flaky || s == case_status::not_run;
}

// The failing baseline among the cases: in place of its own result (which
// says only "not run") or, when it was not selected, first.
void add_failed_baseline(report::document& doc, const check_report& in) {
  const case_result& base = in.outcome->baseline;
  if (!base.which || !baseline_is_a_problem(base.status)) return;
  report::test_case c = to_case(base, in.baseline_replay, in.script_path);
  if (base.status == case_status::not_run && c.summary.empty())
    c.summary = "the baseline could not run";
  const auto same = std::find_if(doc.cases.begin(), doc.cases.end(),
                                 [&](const report::test_case& t) { return t.id == c.id; });
  if (same == doc.cases.end())
    doc.cases.insert(doc.cases.begin(), std::move(c));
  else if (!report::is_problem(same->state))
    *same = std::move(c);
}

} // namespace

report::status to_status(case_status s) {
  switch (s) {
  case case_status::pass:
    return report::status::pass;
  case case_status::fail:
    return report::status::fail;
  case case_status::flaky:
    return report::status::flaky;
  case case_status::warn:
    return report::status::warn;
  case case_status::not_run:
    return report::status::not_run;
  case case_status::skipped:
    return report::status::skipped;
  }
  return report::status::not_run;
}

report::document to_document(const check_report& in) {
  const check_outcome& o = *in.outcome;
  report::document doc;
  doc.command = "check";
  doc.script = in.script_path;
  doc.target = in.target;
  doc.framing = in.framing;
  doc.seed = in.seed;
  doc.elapsed = o.elapsed;
  for (std::size_t i = 0; i < o.results.size(); ++i)
    doc.cases.push_back(to_case(o.results[i], i < in.replay.size() ? in.replay[i] : "",
                                i < in.script_file.size() ? in.script_file[i] : ""));
  add_failed_baseline(doc, in);
  report::check_facts f;
  if (o.baseline.which) f.baseline_id = o.baseline.which->id;
  f.baseline_status = std::string(report::name_of(to_status(o.baseline.status)));
  f.baseline_elapsed = o.baseline.elapsed;
  for (const auto& [area, ms] : o.area_times)
    f.area_times.emplace_back(std::string(name_of(area)), ms);
  f.resources_before = o.resources_before;
  f.resources_after = o.resources_after;
  f.unreachable = o.unreachable;
  f.serves_one_connection = o.serves_one_connection;
  doc.check = std::move(f);
  return doc;
}

} // namespace tcpcheck::harness
