// A fuzzing run as a document of the report model, and its findings as scripts.
#include "tcpcheck/harness/fuzz_report.hpp"

#include <algorithm>

namespace tcpcheck::harness {

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

// The run itself: it fails when no case could run at all.
report::test_case run_case(const fuzz_outcome& o, std::uint64_t seed) {
  report::test_case c;
  c.kind = report::case_kind::fuzz_run;
  c.id = "fuzz/seed-" + std::to_string(seed);
  c.area = "fuzz";
  c.title = std::to_string(o.runs) + " runs of seed " + std::to_string(seed);
  c.state = o.runs > 0 ? report::status::pass : report::status::fail;
  c.attempts = 1;
  c.elapsed = o.elapsed;
  c.summary = "stopped: " + o.stopped_because;
  return c;
}

report::test_case finding_case(const finding& f, std::size_t i, const fuzz_report& in) {
  report::test_case c;
  c.kind = report::case_kind::finding;
  c.id = "finding-" + std::to_string(i + 1);
  c.area = "findings";
  c.title = f.signature;
  c.state = report::status::fail;
  c.attempts = 1;
  c.summary = f.effect.detail;
  c.death = f.effect.death;
  if (i < in.replay.size()) c.replay = in.replay[i];
  if (i < in.script_file.size()) c.script_file = in.script_file[i];
  c.script_text = to_string(to_script(f.minimized, *in.baselines.at(f.minimized.source)));
  report::finding_facts facts;
  facts.kind = std::string(name_of(f.effect.what));
  facts.signature = f.signature;
  facts.detail = f.effect.detail;
  facts.run = f.run;
  facts.duplicates = f.duplicates;
  facts.confirmed = f.confirmed;
  facts.sends_found = sends_in(f.found);
  facts.sends_minimized = sends_in(f.minimized);
  facts.minimize_replays = f.minimizing.trials;
  facts.mutations = joined(f.found.notes);
  if (i < in.stderr_file.size()) facts.stderr_file = in.stderr_file[i];
  c.finding = std::move(facts);
  return c;
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

report::document to_document(const fuzz_report& in) {
  const fuzz_outcome& o = *in.outcome;
  report::document doc;
  doc.command = "fuzz";
  doc.script = in.script_path;
  doc.target = in.target;
  doc.seed = in.seed;
  doc.elapsed = o.elapsed;
  if (!in.baselines.empty() && in.baselines.front())
    doc.framing = in.baselines.front()->framing.value_or("");
  doc.cases.push_back(run_case(o, in.seed));
  for (std::size_t i = 0; i < o.findings.size(); ++i)
    doc.cases.push_back(finding_case(o.findings[i], i, in));
  report::fuzz_facts f;
  f.runs = o.runs;
  const double s = std::max(1e-3, static_cast<double>(o.elapsed.count()) / 1000.0);
  f.exec_per_second = static_cast<double>(o.runs) / s;
  f.stopped = o.stopped_because;
  f.unreachable = o.unreachable;
  f.corpus = o.corpus.size();
  f.delays = o.delays;
  f.guidance = o.guidance;
  doc.fuzz = std::move(f);
  return doc;
}

} // namespace tcpcheck::harness
