// Script runs as cases of the report model.
#include "tcpcheck/harness/report.hpp"

namespace tcpcheck::harness {

namespace {

report::step_line::mark mark_of(const verdict& v, std::size_t index) {
  using mark = report::step_line::mark;
  if (v.passed || index < v.step) return mark::ok;
  return index == v.step ? mark::failed : mark::not_run;
}

} // namespace

std::string shell_quote(const std::string& argument) {
  const bool plain = !argument.empty() && argument.find_first_not_of(
                                              "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                              "0123456789_-+=/.,:@%") == std::string::npos;
  if (plain) return argument;
  std::string out = "'";
  for (const char c : argument)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

report::test_case to_case(const run_report& r, const std::string& area) {
  const verdict& v = r.result.outcome;
  report::test_case c;
  c.kind = report::case_kind::script;
  c.id = r.script_path + " (plan " + r.plan + ")";
  c.area = area;
  c.title = r.steps ? r.steps->description : std::string();
  c.state = v.passed ? report::status::pass : report::status::fail;
  c.attempts = 1;
  c.elapsed = r.result.elapsed;
  if (!v.passed) {
    c.summary = v.reason;
    c.failed = report::failure{v.line, v.reason, v.expected, v.got};
  }
  c.replay = r.replay;
  c.death = r.death;
  c.wire_log = r.result.wire_log;
  c.script_file = r.script_path;
  if (r.steps)
    for (std::size_t i = 0; i < r.steps->steps.size(); ++i)
      c.steps.push_back({r.steps->steps[i].line, to_string(r.steps->steps[i]), mark_of(v, i)});
  c.run = report::script_run_facts{r.script_path, r.peer.empty() ? to_string(r.where) : r.peer,
                                   r.framing, r.plan, r.result.unreachable};
  return c;
}

report::document to_document(const std::string& command, const std::string& target,
                             const std::vector<run_report>& runs) {
  report::document doc;
  doc.command = command;
  doc.target = target;
  if (!runs.empty()) {
    doc.script = runs.front().script_path;
    doc.framing = runs.front().framing;
  }
  for (const auto& r : runs) {
    doc.cases.push_back(to_case(r, "tcpcheck " + command));
    doc.elapsed += std::chrono::duration_cast<std::chrono::milliseconds>(r.result.elapsed);
  }
  return doc;
}

} // namespace tcpcheck::harness
