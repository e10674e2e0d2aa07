// `tcpcheck fuzz`: mutated conversations against a live server; every
// finding minimized and written as a script that `tcpcheck replay` runs.
#include "tcpcheck/harness/coverage_channel.hpp"
#include "tcpcheck/harness/fuzz.hpp"
#include "tcpcheck/harness/fuzz_report.hpp"
#include "tcpcheck/harness/report.hpp"
#include "tcpcheck/report/writers.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <limits>
#include <memory>
#include <unistd.h>

#include "commands.hpp"
#include "corpus_directory.hpp"
#include "exit_codes.hpp"
#include "input_file.hpp"
#include "memory_option.hpp"
#include "option_checks.hpp"
#include "progress_line.hpp"
#include "report_files.hpp"
#include "script_argument.hpp"
#include "spec_argument.hpp"
#include "target_argument.hpp"

namespace tcpcheck::cli {

namespace {

constexpr std::string_view this_command = "tcpcheck fuzz";

struct fuzz_cli {
  std::vector<std::string> script_paths;
  target_arguments target;
  std::string framing;
  std::string dictionary_path;
  std::string out_dir = "tcpcheck-findings";
  report_files reports;
  std::string corpus_dir;
  std::string feedback = "coverage";
  bool merge = false;
  CLI::Option* max_time_option = nullptr; ///< to tell a --max-time given from the default
  harness::fuzz_options options;
  unsigned max_seconds = 60;
  unsigned timeout_ms = 0;
  unsigned hang_timeout_ms = 10000;
  unsigned quiet_ms = 25;
  unsigned memory_mib = default_memory_mib;
  bool no_progress = false;
};

// Each finding as finding-N-KIND.tcs (and .stderr.txt when the server said
// something as it died) in `dir`, created only when there are findings.
bool write_findings(harness::fuzz_report& report, const std::string& dir,
                    const std::string& replay_target) {
  const auto& findings = report.outcome->findings;
  report.script_file.assign(findings.size(), {});
  report.stderr_file.assign(findings.size(), {});
  report.replay.assign(findings.size(), {});
  if (findings.empty()) return true;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    std::cerr << this_command << ": cannot create --out '" << dir << "': " << ec.message() << '\n';
    return false;
  }
  bool ok = true;
  for (std::size_t i = 0; i < findings.size(); ++i) {
    const auto& f = findings[i];
    const std::string stem =
        (std::filesystem::path(dir) /
         ("finding-" + std::to_string(i + 1) + "-" + std::string(harness::name_of(f.effect.what))))
            .string();
    const std::string text = harness::finding_script(f, i + 1, report);
    if (write_output_file(stem + ".tcs", "finding", this_command,
                          [&](std::ostream& out) { out << text; })) {
      report.script_file[i] = stem + ".tcs";
      report.replay[i] =
          "tcpcheck replay " + harness::shell_quote(stem + ".tcs") + " " + replay_target;
    } else {
      ok = false;
    }
    if (f.effect.death) {
      const auto& d = *f.effect.death;
      const std::string said = d.sanitizer.empty() ? d.stderr_tail : d.sanitizer;
      if (!said.empty() && write_output_file(stem + ".stderr.txt", "stderr excerpt", this_command,
                                             [&](std::ostream& out) { out << said; }))
        report.stderr_file[i] = stem + ".stderr.txt";
    }
  }
  return ok;
}

std::string progress_text(const harness::fuzz_progress& p) {
  char text[256];
  int n = std::snprintf(text, sizeof text, "%llu runs, %.0f exec/s, %zu finding%s",
                        static_cast<unsigned long long>(p.runs), p.exec_per_second, p.findings,
                        p.findings == 1 ? "" : "s");
  if (p.coverage)
    n += std::snprintf(text + n, sizeof text - static_cast<std::size_t>(n), ", %zu/%zu edges",
                       p.edges, p.edges_total);
  if (p.corpus)
    n += std::snprintf(text + n, sizeof text - static_cast<std::size_t>(n),
                       ", %zu states, %zu transitions, corpus %zu", p.states, p.transitions,
                       p.corpus);
  std::snprintf(text + n, sizeof text - static_cast<std::size_t>(n), ", %.1f s: %s",
                static_cast<double>(p.elapsed.count()) / 1000.0, p.activity.c_str());
  return text;
}

// --merge: each entry of --corpus alone; the files of those that add
// nothing the others do not are removed.
int merge(const fuzz_cli& o, const std::vector<const conversation_mutator*>& mutators,
          harness::check_target& where, const loaded_corpus& corpus,
          const std::function<void(const harness::fuzz_progress&)>& show) {
  harness::fuzz_outcome outcome;
  const auto kept =
      harness::merge_corpus(mutators, where, o.options, corpus.entries, outcome, show);
  if (outcome.unreachable || (kept.empty() && !corpus.entries.empty())) {
    std::cerr << this_command << ": --merge: " << outcome.stopped_because << '\n';
    return outcome.unreachable ? exit_io_error : exit_failures;
  }
  std::vector<bool> keep(corpus.files.size(), false);
  for (const auto i : kept)
    keep[i] = true;
  std::size_t removed = 0;
  for (std::size_t i = 0; i < corpus.files.size(); ++i) {
    std::error_code ec;
    if (!keep[i] && std::filesystem::remove(corpus.files[i], ec)) ++removed;
  }
  std::cout << "merged " << o.corpus_dir << ": " << corpus.files.size() << " entries, kept "
            << kept.size() << ", removed " << removed << "; they reach "
            << outcome.guidance.edges_covered << " edges, " << outcome.guidance.states
            << " reply states, " << outcome.guidance.transitions << " transitions\n";
  return exit_ok;
}

// The seed scripts: the first gives the framing (unless --framing does),
// and the others must agree, for their cases run side by side. False after
// saying why.
bool load_seed_scripts(const fuzz_cli& o, std::vector<script>& scripts,
                       std::optional<framing_spec>& spec) {
  for (const auto& path : o.script_paths) {
    auto s = load_script(path, this_command);
    if (!s || !plays_the_client(*s, path, this_command)) return false;
    if (o.timeout_ms) s->timeout = duration(o.timeout_ms);
    auto this_spec = script_framing(*s, path, o.framing, this_command);
    if (!this_spec) return false;
    if (!scripts.empty() && s->transport != scripts.front().transport) {
      std::cerr << this_command << ": " << path << " and " << o.script_paths.front()
                << " have different transports: seed scripts of one run share theirs\n";
      return false;
    }
    if (spec && *this_spec != *spec) {
      std::cerr << this_command << ": " << path << " is framed '" << to_string(*this_spec)
                << "', but " << o.script_paths.front() << " '" << to_string(*spec)
                << "': seed scripts of one run share their framing\n";
      return false;
    }
    spec = this_spec;
    if (!s->framing || !o.framing.empty()) s->framing = to_string(*spec);
    scripts.push_back(std::move(*s));
  }
  return true;
}

// --dict: false after saying why.
bool load_dictionary(const fuzz_cli& o, std::vector<byte_buffer>& dictionary) {
  if (o.dictionary_path.empty()) return true;
  std::string error;
  const auto text = read_input(o.dictionary_path, error);
  if (text && parse_dictionary(as_text(*text), dictionary, error)) return true;
  std::cerr << this_command << ": --dict " << o.dictionary_path << ": " << error << '\n';
  return false;
}

// A spawned server gets a coverage map; one built with tcpcheck::coverage
// reports into it, any other ignores it. Null when there is none to give.
std::unique_ptr<harness::coverage_channel> attach_coverage(fuzz_cli& o,
                                                           harness::spawn_options& spawning) {
  if (o.target.spawn.empty() || o.options.feedback != harness::feedback_kind::coverage)
    return nullptr;
  std::string error;
  auto channel = harness::coverage_channel::create(error);
  if (!channel) {
    std::cerr << this_command << ": " << error << "; fuzzing with response feedback\n";
    return nullptr;
  }
  spawning.environment.push_back(channel->environment_entry());
  spawning.before_start = [c = channel.get()] { c->forget_processes(); };
  o.options.coverage = channel.get();
  return channel;
}

// What guides the run, said once the server has started.
std::string feedback_announcement(const harness::fuzz_progress& p, harness::feedback_kind asked) {
  if (p.coverage)
    return "coverage feedback on: the server reports " + std::to_string(p.edges_total) + " edges";
  switch (asked) {
  case harness::feedback_kind::none:
    return "no feedback: blind mutations of the seed scripts";
  case harness::feedback_kind::coverage:
    return "coverage feedback off: the server does not report coverage (see docs/fuzz.md, "
           "instrumenting a server); response feedback only";
  case harness::feedback_kind::responses:
    break;
  }
  return "response feedback";
}

// The findings' scripts, the human report and the report files; the exit code.
int report_outcome(const fuzz_cli& o, const harness::fuzz_outcome& outcome,
                   const std::vector<script>& scripts, const chosen_target& target) {
  harness::fuzz_report report;
  for (std::size_t i = 0; i < o.script_paths.size(); ++i)
    report.script_path += (i ? " " : "") + o.script_paths[i];
  report.script_paths = o.script_paths;
  for (const auto& s : scripts)
    report.baselines.push_back(&s);
  report.target = target.describe();
  report.seed = o.options.seed;
  report.outcome = &outcome;
  bool written = write_findings(report, o.out_dir, target.replay_arguments());
  const auto doc = harness::to_document(report);
  report::write_human(std::cout, doc, {false, isatty(STDOUT_FILENO) != 0});
  written &= write_report_files(doc, o.reports, this_command);
  if (outcome.unreachable) return exit_io_error;
  if (!outcome.findings.empty()) return exit_failures;
  if (outcome.runs == 0) return exit_failures; // the unmutated conversation failed
  return written ? exit_ok : exit_io_error;
}

int fuzz(fuzz_cli& o) {
  std::vector<script> scripts;
  std::optional<framing_spec> spec;
  std::vector<byte_buffer> dictionary;
  if (!load_seed_scripts(o, scripts, spec) || !load_dictionary(o, dictionary)) return exit_usage;
  mutator_options mutation;
  mutation.quiet = duration(o.quiet_ms);
  std::vector<std::unique_ptr<conversation_mutator>> owned;
  std::vector<const conversation_mutator*> mutators;
  for (const auto& s : scripts) {
    owned.push_back(std::make_unique<conversation_mutator>(s, *spec, dictionary, mutation));
    mutators.push_back(owned.back().get());
  }

  std::optional<loaded_corpus> corpus;
  if (!o.corpus_dir.empty()) {
    corpus = load_corpus(o.corpus_dir, this_command);
    if (!corpus) return exit_usage;
    o.options.corpus = corpus->entries;
  }
  o.options.feedback = o.feedback == "none"        ? harness::feedback_kind::none
                       : o.feedback == "responses" ? harness::feedback_kind::responses
                                                   : harness::feedback_kind::coverage;
  harness::spawn_options spawning = spawn_options_for(scripts.front());
  const auto channel = attach_coverage(o, spawning);
  int exit = exit_ok;
  auto target =
      choose_target(o.target, this_command, exit, spawning, if_not_listening::report_unreachable);
  if (!target) return exit;
  harness::check_target& where = *target->checked;

  // A merge that stops half way removes nothing: it is not bounded by the
  // fuzzing default.
  if (o.merge && o.max_time_option->count() == 0) o.max_seconds = 604800;
  o.options.max_time = std::chrono::seconds(o.max_seconds);
  o.options.hang_timeout = std::chrono::milliseconds(o.hang_timeout_ms);
  o.options.memory_budget = memory_bytes(o.memory_mib);
  if (o.timeout_ms) o.options.run.session.connect_timeout = duration(o.timeout_ms);
  // A case is a seed mutated, with steps repeated or spliced in from
  // another seed: room for twice the longest seed's waits.
  for (const auto& s : scripts)
    o.options.run.run_timeout =
        std::max(o.options.run.run_timeout, 2 * harness::run_limit_for(s, o.options.run));
  progress_line progress(!o.no_progress, this_command);
  bool announced = false;
  const auto show = [&](const harness::fuzz_progress& p) {
    if (!announced) progress.say(feedback_announcement(p, o.options.feedback));
    announced = true;
    progress.show(progress_text(p));
  };
  if (o.merge) return merge(o, mutators, where, *corpus, show);
  const auto outcome = harness::run_fuzz(mutators, where, o.options, show);
  progress.finish();
  if (corpus && !outcome.unreachable) {
    const auto saved = save_corpus(o.corpus_dir, outcome.corpus, scripts, this_command);
    if (!saved) return exit_io_error;
    std::cerr << this_command << ": corpus " << o.corpus_dir << ": " << outcome.corpus.size()
              << " entries, " << *saved << " new files\n";
  }
  return report_outcome(o, outcome, scripts, *target);
}

} // namespace

command add_fuzz(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "fuzz", "Fuzz a live server with mutations of a script's conversation; every finding "
              "(a crash, a hang, refused connections) is minimized and written as a script "
              "that `tcpcheck replay` reproduces");
  auto o = std::make_shared<fuzz_cli>();
  o->options.runs = std::numeric_limits<std::uint64_t>::max();
  sub->add_option("SCRIPT", o->script_paths,
                  "Scripts of normal conversations to mutate (docs/scripts.md); several take "
                  "turns, and share one framing")
      ->required();
  add_target_options(*sub, o->target);
  sub->add_option("--framing,-f", o->framing, "Framing spec; overrides the script's 'framing' line")
      ->check(non_empty_spec);
  sub->add_option("--seed", o->options.seed,
                  "Seed: the same seed, script and target give the "
                  "same cases in the same order")
      ->capture_default_str()
      ->check(unsigned_seed);
  sub->add_option("--runs", o->options.runs,
                  "Cases to run, at most (default: no bound; --max-time stops the run)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 40));
  o->max_time_option =
      sub->add_option("--max-time", o->max_seconds,
                      "Seconds to fuzz, at most, minimizing included (--merge: no bound unless "
                      "given)")
          ->capture_default_str()
          ->check(CLI::Range(1u, 604800u));
  sub->add_option("--jobs,-j", o->options.jobs, "Cases side by side")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  add_memory_option(*sub, o->memory_mib);
  sub->add_option("--dict", o->dictionary_path,
                  "A dictionary of words to insert (libFuzzer format: one \"word\" per line), "
                  "besides the script's own literals");
  sub->add_option("--out,-o", o->out_dir, "Directory for the findings' scripts and stderr excerpts")
      ->capture_default_str();
  sub->add_option("--timeout", o->timeout_ms,
                  "Milliseconds each expect waits (overrides the script's 'timeout'); a "
                  "server that does not answer the probe within it hangs")
      ->check(CLI::Range(1u, 86400000u));
  sub->add_option("--hang-timeout", o->hang_timeout_ms,
                  "Milliseconds every wait of a case that seems to hang is given when it is "
                  "replayed: a server that answers then only delayed is no finding")
      ->capture_default_str()
      ->check(CLI::Range(1u, 600000u));
  sub->add_option("--quiet", o->quiet_ms,
                  "Milliseconds of silence a mutated exchange accepts as an answer")
      ->capture_default_str()
      ->check(CLI::Range(1u, 60000u));
  sub->add_option("--minimize-budget", o->options.minimize_budget,
                  "Replays spent minimizing each finding")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  sub->add_option("--feedback", o->feedback,
                  "What guides the fuzzer: 'coverage' (edges of a server built with "
                  "tcpcheck::coverage and started with --spawn, plus replies; replies alone "
                  "when it is not instrumented), 'responses' (new reply states and "
                  "transitions, any server), 'none' (blind mutations of the seed scripts)")
      ->capture_default_str()
      ->check(CLI::IsMember({"coverage", "responses", "none"}));
  sub->add_option("--corpus", o->corpus_dir,
                  "Directory of the corpus: its .tcs entries are run first and mutated "
                  "further, and what reached something new is saved there at the end");
  sub->add_flag("--merge", o->merge,
                "Instead of fuzzing: run each entry of --corpus alone and remove the files "
                "of those that reach nothing the kept ones do not")
      ->needs(sub->get_option("--corpus"));
  sub->add_option("--max-findings", o->options.max_findings,
                  "Stop once this many distinct findings are confirmed and minimized (0: go "
                  "on until --runs or --max-time)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000000));
  add_report_options(*sub, o->reports, "the run and every finding");
  sub->add_flag("--no-progress", o->no_progress, "No progress line on stderr");
  sub->footer("Exit codes: 0 no findings, 1 findings (or the unmutated conversation fails), "
              "2 bad usage, script, spec or dictionary, 3 the target could not be reached or "
              "started.");
  return [o] { return fuzz(*o); };
}

} // namespace tcpcheck::cli
