// Fuzzing reports.
#include "tcpcheck/harness/fuzz_report.hpp"

#include <cstdio>

#include "report_formats.hpp"

namespace tcpcheck::harness {

using namespace detail;

namespace {

std::size_t sends_in(const fuzz_case& c) {
  std::size_t n = 0;
  for (const auto& s : c.steps)
    n += !s.probe && s.step.what == script_step::kind::send ? 1 : 0;
  return n;
}

std::string joined(const std::vector<std::string>& notes) {
  std::string out;
  for (const auto& n : notes)
    out += (out.empty() ? "" : "; ") + n;
  return out;
}

std::string stderr_of(const finding& f) {
  if (!f.effect.death) return {};
  return !f.effect.death->sanitizer.empty() ? f.effect.death->sanitizer
                                            : f.effect.death->stderr_tail;
}

std::string seconds_text(std::chrono::milliseconds ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(ms.count()) / 1000.0);
  return buf;
}

std::string rate(const fuzz_outcome& o) {
  char buf[32];
  const double s = std::max(1e-3, static_cast<double>(o.elapsed.count()) / 1000.0);
  std::snprintf(buf, sizeof buf, "%.0f", static_cast<double>(o.runs) / s);
  return buf;
}

std::string feedback_text(const guidance_summary& g) {
  switch (g.feedback) {
  case feedback_kind::none:
    return "none (blind)";
  case feedback_kind::responses:
    return "responses" + (g.why.empty() ? std::string() : " (" + g.why + ")");
  case feedback_kind::coverage:
    return "coverage and responses";
  }
  return {};
}

void write_guidance_human(std::ostream& out, const fuzz_outcome& o) {
  const guidance_summary& g = o.guidance;
  out << "feedback: " << feedback_text(g);
  if (g.feedback != feedback_kind::none)
    out << "; corpus " << o.corpus.size() << " entries, " << g.states << " reply states, "
        << g.transitions << " transitions, " << g.learned_words << " words learned";
  out << "\n";
  if (!g.edges_total) return;
  out << "coverage: " << g.edges_covered << " of " << g.edges_total << " edges, "
      << g.functions_reached << " of " << g.functions_total << " functions reached";
  if (g.processes_seen > 1) out << " (" << g.processes_seen << " server processes)";
  if (g.attribution_runs)
    out << "; " << g.attribution_runs << " cases run again in " << seconds_text(g.attribution_time)
        << " to tell which reached new edges";
  out << "\n";
  constexpr std::size_t shown = 20;
  if (g.unreached_functions.empty()) return;
  out << "never reached:";
  for (std::size_t i = 0; i < g.unreached_functions.size() && i < shown; ++i)
    out << (i ? ", " : " ") << g.unreached_functions[i];
  if (g.unreached_functions.size() > shown)
    out << ", and " << g.unreached_functions.size() - shown << " more (--json lists them)";
  out << "\n";
}

void write_guidance_json(std::ostream& out, const fuzz_outcome& o) {
  const guidance_summary& g = o.guidance;
  out << "\"guidance\": {\"feedback\": " << json_string(std::string(name_of(g.feedback)))
      << ", \"why\": " << json_string(g.why) << ", \"edges_covered\": " << g.edges_covered
      << ", \"edges_total\": " << g.edges_total
      << ", \"functions_reached\": " << g.functions_reached
      << ", \"functions_total\": " << g.functions_total << ", \"states\": " << g.states
      << ", \"transitions\": " << g.transitions << ", \"corpus\": " << o.corpus.size()
      << ", \"learned_words\": " << g.learned_words
      << ", \"server_processes\": " << g.processes_seen
      << ", \"attribution_runs\": " << g.attribution_runs
      << ", \"attribution_ms\": " << g.attribution_time.count() << ",\n \"unreached_functions\": [";
  for (std::size_t i = 0; i < g.unreached_functions.size(); ++i)
    out << (i ? ", " : "") << json_string(g.unreached_functions[i]);
  out << "],\n \"over_time\": [";
  for (std::size_t i = 0; i < g.over_time.size(); ++i) {
    const auto& t = g.over_time[i];
    out << (i ? ",\n  " : "\n  ") << "{\"ms\": " << t.at.count() << ", \"runs\": " << t.runs
        << ", \"edges\": " << t.edges << ", \"states\": " << t.states
        << ", \"transitions\": " << t.transitions << ", \"corpus\": " << t.corpus << "}";
  }
  out << "]}";
}

} // namespace

std::string finding_script(const finding& f, std::size_t number, const fuzz_report& report) {
  script s = to_script(f.minimized, *report.baselines.at(f.minimized.source));
  s.description = "tcpcheck fuzz finding " + std::to_string(number) + ": " + f.signature;
  std::string out = to_string(s);
  // Comments after the description line: what made it, and how to read it.
  std::string about;
  if (report.script_paths.size() > 1 && f.minimized.source < report.script_paths.size())
    about += "# mutates " + report.script_paths[f.minimized.source] + "\n";
  about += "# found by run " + std::to_string(f.run) + " of seed " + std::to_string(report.seed) +
           " against " + report.target + "\n";
  about += "# " +
           std::string(f.confirmed ? "reproduced alone on a fresh server"
                                   : "NOT confirmed: the target could not be restarted") +
           "; minimized from " + std::to_string(sends_in(f.found)) + " sends to " +
           std::to_string(sends_in(f.minimized)) + " in " + std::to_string(f.minimizing.trials) +
           " replays\n";
  about += "# mutations: " + joined(f.found.notes) + "\n";
  about += "# what failed: " + f.effect.detail + "\n";
  about += "# The steps after the first mutation accept any answer; the conversation at the\n"
           "# end, on fresh connections, fails while the bug is there and passes once fixed.\n";
  const auto first_line_end = out.find('\n');
  out.insert(first_line_end + 1, about);
  return out;
}

void write_human(std::ostream& out, const fuzz_report& report, bool color) {
  const auto paint = [color](const char* code, const std::string& text) {
    return color ? std::string("\033[") + code + "m" + text + "\033[0m" : text;
  };
  const fuzz_outcome& o = *report.outcome;
  out << "tcpcheck fuzz " << report.script_path << " against " << report.target << "\n"
      << "seed " << report.seed << ": " << o.runs << " runs in " << seconds_text(o.elapsed) << " ("
      << rate(o) << " exec/s), " << o.findings.size() << " finding"
      << (o.findings.size() == 1 ? "" : "s") << "; stopped: " << o.stopped_because << "\n";
  write_guidance_human(out, o);
  for (std::size_t i = 0; i < o.findings.size(); ++i) {
    const finding& f = o.findings[i];
    out << "\n"
        << paint("1;31", "FINDING " + std::to_string(i + 1)) << "  " << f.signature << "\n"
        << "  " << f.effect.detail << "\n"
        << "  found by run " << f.run << " (" << joined(f.found.notes) << ")";
    if (f.duplicates) out << "; seen " << f.duplicates << " more times";
    out << "\n  minimized from " << sends_in(f.found) << " sends to " << sends_in(f.minimized)
        << " in " << f.minimizing.trials << " replays"
        << (f.confirmed ? "" : " (not confirmed: the target could not be restarted)") << "\n";
    const std::string said = stderr_of(f);
    if (!said.empty()) {
      out << "  the server's stderr:\n";
      for (std::size_t start = 0; start < said.size();) {
        const auto nl = said.find('\n', start);
        const auto end = nl == std::string::npos ? said.size() : nl;
        out << "    | " << said.substr(start, end - start) << "\n";
        start = end + 1;
      }
    }
    if (i < report.script_file.size() && !report.script_file[i].empty())
      out << "  script:  " << report.script_file[i] << "\n";
    if (i < report.replay.size() && !report.replay[i].empty())
      out << "  replay:  " << report.replay[i] << "\n";
  }
  out << "\n"
      << (o.findings.empty() && o.runs > 0 ? paint("1;32", "NO FINDINGS") : paint("1;31", "FAIL"))
      << "\n";
}

void write_json(std::ostream& out, const fuzz_report& report) {
  const fuzz_outcome& o = *report.outcome;
  out << "{\"fuzz\": {\"script\": " << json_string(report.script_path)
      << ", \"target\": " << json_string(report.target) << ", \"seed\": " << report.seed
      << ", \"runs\": " << o.runs << ", \"elapsed_ms\": " << o.elapsed.count()
      << ", \"exec_per_second\": " << rate(o) << ", \"stopped\": " << json_string(o.stopped_because)
      << ", \"unreachable\": " << (o.unreachable ? "true" : "false") << ",\n ";
  write_guidance_json(out, o);
  out << "},\n\"findings\": [";
  for (std::size_t i = 0; i < o.findings.size(); ++i) {
    const finding& f = o.findings[i];
    out << (i ? ",\n" : "\n") << "{\"signature\": " << json_string(f.signature)
        << ", \"kind\": " << json_string(std::string(name_of(f.effect.what)))
        << ", \"detail\": " << json_string(f.effect.detail) << ", \"run\": " << f.run
        << ", \"duplicates\": " << f.duplicates
        << ", \"confirmed\": " << (f.confirmed ? "true" : "false")
        << ", \"sends_found\": " << sends_in(f.found)
        << ", \"sends_minimized\": " << sends_in(f.minimized)
        << ", \"minimize_replays\": " << f.minimizing.trials
        << ", \"mutations\": " << json_string(joined(f.found.notes))
        << ", \"stderr\": " << json_string(stderr_of(f));
    if (i < report.script_file.size())
      out << ", \"script_file\": " << json_string(report.script_file[i]);
    if (i < report.replay.size()) out << ", \"replay\": " << json_string(report.replay[i]);
    out << ",\n \"script\": "
        << json_string(to_string(to_script(f.minimized, *report.baselines.at(f.minimized.source))))
        << "}";
  }
  out << "\n]}\n";
}

void write_junit(std::ostream& out, const fuzz_report& report) {
  const fuzz_outcome& o = *report.outcome;
  const std::chrono::microseconds total = o.elapsed;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n<testsuite name=\""
      << xml_text("tcpcheck fuzz " + report.script_path) << "\" tests=\"" << o.findings.size() + 1
      << "\" failures=\"" << o.findings.size() << "\" errors=\"0\" time=\"" << seconds(total)
      << "\">\n";
  out << "  <testcase classname=\"fuzz\" name=\""
      << xml_text(std::to_string(o.runs) + " runs of seed " + std::to_string(report.seed))
      << "\" time=\"" << seconds(total) << "\"";
  if (o.runs == 0)
    out << ">\n    <failure message=\"" << xml_text(o.stopped_because) << "\"/>\n  </testcase>\n";
  else
    out << "/>\n";
  for (std::size_t i = 0; i < o.findings.size(); ++i) {
    const finding& f = o.findings[i];
    std::string body = f.effect.detail + "\n" + stderr_of(f);
    if (i < report.replay.size()) body += "\nreplay: " + report.replay[i];
    out << "  <testcase classname=\"fuzz.findings\" name=\"" << xml_text(f.signature)
        << "\" time=\"0\">\n    <failure message=\"" << xml_text(f.signature) << "\">"
        << xml_text(body) << "</failure>\n  </testcase>\n";
  }
  out << "</testsuite>\n</testsuites>\n";
}

} // namespace tcpcheck::harness
