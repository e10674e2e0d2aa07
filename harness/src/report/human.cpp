// The report for people: a header, then each kind of case as people read
// it (script runs step by step, the matrix area by area, findings one by
// one), then a summary line.
#include "tcpcheck/escape.hpp"
#include "tcpcheck/report/writers.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>

#include "text.hpp"

namespace tcpcheck::report {

namespace {

using namespace detail;

class painter {
public:
  explicit painter(bool color) : color_(color) {}
  std::string operator()(const char* code, const std::string& text) const {
    return color_ ? std::string("\033[") + code + "m" + text + "\033[0m" : text;
  }

private:
  bool color_;
};

void write_indented(std::ostream& out, const std::string& text, std::string_view prefix) {
  for (std::size_t start = 0; start < text.size();) {
    const auto nl = text.find('\n', start);
    const auto end = nl == std::string::npos ? text.size() : nl;
    out << prefix << std::string_view(text).substr(start, end - start) << "\n";
    start = end + 1;
  }
}

void write_wire_log(std::ostream& out, const std::vector<harness::wire_event>& log,
                    std::string_view indent) {
  for (const auto& e : log) {
    out << indent << e.at.count() << "us  #" << e.connection << "  " << event_name(e.what);
    if (e.size) out << "  " << e.size << " bytes  \"" << escape(e.bytes, "\"") << '"';
    if (e.bytes.size() < e.size) out << " (shortened)";
    if (!e.text.empty()) out << "  " << e.text;
    out << '\n';
  }
}

void write_server_stderr(std::ostream& out, const test_case& c, std::string_view indent) {
  const std::string said = death_report(c);
  if (said.empty()) return;
  out << indent << "the " << (c.death ? c.death->who : std::string("server")) << "'s stderr:\n";
  write_indented(out, said, std::string(indent) + "  | ");
}

void write_expected_got(std::ostream& out, const test_case& c, std::string_view indent) {
  if (!c.failed) return;
  if (!c.failed->expected.empty()) out << indent << "expected: " << c.failed->expected << "\n";
  if (!c.failed->got.empty()) out << indent << "got:      " << c.failed->got << "\n";
}

// --- script runs -----------------------------------------------------------

void write_script_run(std::ostream& out, const test_case& c, human_options o, const painter& p) {
  const script_run_facts& r = *c.run;
  out << "tcpcheck run " << r.script << " against " << r.target << " (framing " << r.framing
      << ", plan " << r.plan << ")\n";
  if (!c.title.empty()) out << "# " << c.title << '\n';
  for (const auto& s : c.steps) {
    if (s.state == step_line::mark::not_run && !o.verbose) continue;
    const std::string mark = s.state == step_line::mark::ok       ? p("32", "ok  ")
                             : s.state == step_line::mark::failed ? p("1;31", "FAIL")
                                                                  : p("90", "--  ");
    out << "  " << mark << "  line " << s.line << "  " << s.text << '\n';
  }
  if (c.failed) {
    const bool at_a_step = std::any_of(c.steps.begin(), c.steps.end(), [](const step_line& s) {
      return s.state == step_line::mark::failed;
    });
    out << (at_a_step ? "        " : "  " + p("1;31", "FAIL") + "  ") << c.failed->reason << '\n';
    write_expected_got(out, c, "        ");
  }
  if (o.verbose) {
    out << "wire log:\n";
    write_wire_log(out, c.wire_log, "  ");
  }
  char elapsed[32];
  std::snprintf(elapsed, sizeof elapsed, "%.1f ms", static_cast<double>(c.elapsed.count()) / 1e3);
  if (c.state == status::pass) {
    out << p("1;32", "PASS") << " in " << elapsed << '\n';
    return;
  }
  out << p("1;31", "FAIL") << (r.unreachable ? " (target unreachable)" : "") << " at line "
      << (c.failed ? c.failed->line : 0) << " in " << elapsed << "\nreplay: " << c.replay << '\n';
  if (!c.death) return;
  out << "the " << c.death->who << " died: " << c.death->how << '\n';
  // Its last words (a traceback, a sanitizer report) say why.
  std::istringstream said(death_report(c));
  for (std::string line; std::getline(said, line);)
    out << "  " << line << '\n';
}

void write_script_runs(std::ostream& out, const document& doc, human_options o, const painter& p) {
  std::size_t runs = 0, passed = 0;
  for (const auto& c : doc.cases)
    if (c.kind == case_kind::script) ++runs, passed += c.state == status::pass;
  if (runs == 0) return;
  const bool every_step = runs == 1 && doc.command == "run";
  for (const auto& c : doc.cases) {
    if (c.kind != case_kind::script) continue;
    if (o.verbose || every_step || c.state != status::pass)
      write_script_run(out, c, o, p);
    else
      out << "PASS  " << c.run->script << '\n';
  }
  if (every_step) return;
  out << '\n'
      << (passed == runs ? "PASS" : "FAIL") << "  " << passed << " of " << runs
      << " scripts passed against " << doc.target << '\n';
}

// --- the conformance matrix ------------------------------------------------

std::string mark_of(status s, const painter& p) {
  switch (s) {
  case status::pass:
    return p("32", "pass   ");
  case status::fail:
    return p("1;31", "FAIL   ");
  case status::flaky:
    return p("1;33", "FLAKY  ");
  case status::warn:
    return p("33", "warn   ");
  case status::not_run:
    return p("90", "not run");
  case status::skipped:
    return p("90", "skipped");
  }
  return {};
}

const test_case* find_case(const document& doc, std::string_view id) {
  for (const auto& c : doc.cases)
    if (c.id == id) return &c;
  return nullptr;
}

// A baseline that fails stops the check: only it is worth reading.
bool write_failed_baseline(std::ostream& out, const document& doc, const painter& p) {
  const check_facts& f = *doc.check;
  if (f.baseline_status != name_of(status::fail) && f.baseline_status != name_of(status::not_run))
    return false;
  const test_case* base = find_case(doc, f.baseline_id);
  out << "\n" << p("1;31", "The baseline conversation fails");
  if (base) {
    out << " (" << base->id << ": " << base->title << "):\n  " << base->summary << "\n";
    write_expected_got(out, *base, "  ");
    write_server_stderr(out, *base, "  ");
    if (!base->replay.empty()) out << "  replay: " << base->replay << "\n";
  } else {
    out << "\n";
  }
  out << "Nothing else was run: the other cases are judged against the baseline.\n";
  return true;
}

void write_area(std::ostream& out, const document& doc, const std::string& area, bool verbose,
                const painter& p) {
  const auto indexes = cases_in(doc.cases, area);
  std::map<status, std::size_t> tally;
  for (const auto i : indexes)
    ++tally[doc.cases[i].state];
  out << "\n"
      << p("1", area) << "  " << indexes.size() << " case" << (indexes.size() == 1 ? "" : "s")
      << ":";
  bool first = true;
  for (const auto& [s, n] : tally) {
    out << (first ? " " : ", ") << n << " " << name_of(s);
    first = false;
  }
  out << "\n";
  for (const auto i : indexes) {
    const test_case& c = doc.cases[i];
    if (!verbose && c.state == status::pass) continue;
    out << "  " << mark_of(c.state, p) << "  " << c.id;
    if (!c.summary.empty()) out << "  " << c.summary;
    out << "\n";
    if (verbose || c.state == status::warn)
      for (const auto& d : c.details)
        out << "             " << d << "\n";
  }
}

void write_matrix_failure(std::ostream& out, const test_case& c, const painter& p) {
  out << "\n" << mark_of(c.state, p) << "  " << c.id << ": " << c.title << "\n";
  out << "  " << c.summary << "\n";
  write_expected_got(out, c, "  ");
  if (!c.meaning.empty()) out << "  meaning:  " << c.meaning << "\n";
  for (const auto& d : c.details)
    out << "  " << d << "\n";
  write_server_stderr(out, c, "  ");
  if (!c.replay.empty()) out << "  replay:   " << c.replay << "\n";
}

void write_matrix(std::ostream& out, const document& doc, human_options o, const painter& p) {
  if (!doc.check) return;
  if (write_failed_baseline(out, doc, p)) return;
  if (doc.check->baseline_status == name_of(status::flaky))
    if (const test_case* base = find_case(doc, doc.check->baseline_id))
      out << p("1;33", "The baseline conversation is flaky") << ": " << base->summary << "\n";
  if (doc.check->serves_one_connection) out << one_connection_note << "\n";
  for (const auto& area : areas_of(doc.cases))
    write_area(out, doc, area, o.verbose, p);
  bool headed = false;
  for (const auto& c : doc.cases) {
    if (c.kind != case_kind::matrix || !is_problem(c.state)) continue;
    if (!headed) out << "\n" << p("1", "Failures") << "\n";
    headed = true;
    write_matrix_failure(out, c, p);
  }
}

void write_check_summary(std::ostream& out, const document& doc, const painter& p) {
  if (!doc.check) return;
  const check_facts& f = *doc.check;
  if (f.baseline_status == name_of(status::fail) || f.baseline_status == name_of(status::not_run))
    return;
  const counts c = count(doc.cases);
  out << "\n"
      << (c.all_passed() ? p("1;32", "PASS") : p("1;31", "FAIL")) << "  " << c.pass << " pass, "
      << c.fail << " fail, " << c.flaky << " flaky, " << c.warn << " warn, " << c.not_run
      << " not run" << (c.skipped ? ", " + std::to_string(c.skipped) + " skipped" : "") << " in "
      << duration_text(doc.elapsed) << " (baseline " << f.baseline_elapsed.count() / 1000 << " ms";
  for (const auto& [area, ms] : f.area_times)
    out << ", " << area << " " << duration_text(ms);
  out << ")\n";
}

// --- fuzzing ---------------------------------------------------------------

std::string feedback_text(const harness::guidance_summary& g) {
  switch (g.feedback) {
  case harness::feedback_kind::none:
    return "none (blind)";
  case harness::feedback_kind::responses:
    return "responses" + (g.why.empty() ? std::string() : " (" + g.why + ")");
  case harness::feedback_kind::coverage:
    return "coverage and responses";
  }
  return {};
}

void write_unreached(std::ostream& out, const std::vector<std::string>& names) {
  constexpr std::size_t shown = 20;
  if (names.empty()) return;
  out << "never reached:";
  for (std::size_t i = 0; i < names.size() && i < shown; ++i)
    out << (i ? ", " : " ") << names[i];
  if (names.size() > shown) out << ", and " << names.size() - shown << " more (--json lists them)";
  out << "\n";
}

void write_guidance(std::ostream& out, const fuzz_facts& f) {
  const harness::guidance_summary& g = f.guidance;
  out << "feedback: " << feedback_text(g);
  if (g.feedback != harness::feedback_kind::none)
    out << "; corpus " << f.corpus << " entries, " << g.states << " reply states, " << g.transitions
        << " transitions, " << g.learned_words << " words learned";
  out << "\n";
  if (!g.command_words.empty()) {
    out << "commands the server knows that no script sends:";
    for (const auto& w : g.command_words)
      out << ' ' << escape(as_bytes(w));
    out << "\n";
  }
  if (!g.edges_total) return;
  out << "coverage: " << g.edges_covered << " of " << g.edges_total << " edges, "
      << g.functions_reached << " of " << g.functions_total << " functions reached";
  if (g.processes_seen > 1) out << " (" << g.processes_seen << " server processes)";
  if (g.attribution_runs)
    out << "; " << g.attribution_runs << " cases run again in " << duration_text(g.attribution_time)
        << " to tell which reached new edges";
  out << "\n";
  write_unreached(out, g.unreached_functions);
}

void write_fuzz_header(std::ostream& out, const document& doc) {
  const fuzz_facts& f = *doc.fuzz;
  std::size_t findings = 0;
  for (const auto& c : doc.cases)
    findings += c.kind == case_kind::finding;
  char rate[32];
  std::snprintf(rate, sizeof rate, "%.0f", f.exec_per_second);
  out << "seed " << doc.seed.value_or(0) << ": " << f.runs << " runs in "
      << duration_text(doc.elapsed) << " (" << rate << " exec/s), " << findings << " finding"
      << (findings == 1 ? "" : "s") << "; stopped: " << f.stopped << "\n";
  if (f.delays)
    out << "delays: " << f.delays << " case" << (f.delays == 1 ? "" : "s")
        << " seemed to hang but were answered when given longer (--hang-timeout): "
        << "delays, not findings\n";
  write_guidance(out, f);
}

void write_finding(std::ostream& out, const test_case& c, std::size_t number, const painter& p) {
  const finding_facts& f = *c.finding;
  out << "\n"
      << p("1;31", "FINDING " + std::to_string(number)) << "  " << f.signature << "\n"
      << "  " << f.detail << "\n"
      << "  found by run " << f.run << " (" << f.mutations << ")";
  if (f.duplicates) out << "; seen " << f.duplicates << " more times";
  out << "\n  minimized from " << f.sends_found << " sends to " << f.sends_minimized << " in "
      << f.minimize_replays << " replays"
      << (f.confirmed ? "" : " (not confirmed: the target could not be restarted)") << "\n";
  write_server_stderr(out, c, "  ");
  if (!c.script_file.empty()) out << "  script:  " << c.script_file << "\n";
  if (!c.replay.empty()) out << "  replay:  " << c.replay << "\n";
}

void write_fuzz(std::ostream& out, const document& doc, const painter& p) {
  if (!doc.fuzz) return;
  write_fuzz_header(out, doc);
  std::size_t number = 0;
  for (const auto& c : doc.cases)
    if (c.kind == case_kind::finding) write_finding(out, c, ++number, p);
  out << "\n"
      << (number == 0 && doc.fuzz->runs > 0 ? p("1;32", "NO FINDINGS") : p("1;31", "FAIL")) << "\n";
}

void write_header(std::ostream& out, const document& doc) {
  if (!doc.check && !doc.fuzz) return; // script runs head their own blocks
  out << "tcpcheck " << doc.command << " " << doc.script << " against " << doc.target << "\n";
  if (doc.check) {
    std::size_t matrix = 0;
    for (const auto& c : doc.cases)
      matrix += c.kind == case_kind::matrix;
    out << "framing " << doc.framing << ", seed " << doc.seed.value_or(0) << ", " << matrix
        << " case" << (matrix == 1 ? "" : "s") << "\n";
  }
}

} // namespace

void write_human(std::ostream& out, const document& doc, human_options options) {
  const painter p(options.color);
  write_header(out, doc);
  write_script_runs(out, doc, options, p);
  write_matrix(out, doc, options, p);
  write_check_summary(out, doc, p);
  write_fuzz(out, doc, p);
}

} // namespace tcpcheck::report
