// The live fuzzer: rounds of cases, confirmation, minimization, dedupe.
#include "tcpcheck/harness/fuzz.hpp"

#include <algorithm>
#include <atomic>
#include <set>
#include <stdexcept>

#include "fuzz_guidance.hpp"

namespace tcpcheck::harness {

namespace {

using clock = std::chrono::steady_clock;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

// A case without its probe, nor the settling pause that waits for it.
fuzz_case unprobed(fuzz_case c) {
  c = without_probe(std::move(c));
  if (!c.steps.empty() && c.steps.back().settles &&
      c.steps.back().step.what == script_step::kind::sleep)
    c.steps.pop_back();
  return c;
}

std::size_t probe_start(const fuzz_case& c) {
  std::size_t i = 0;
  while (i < c.steps.size() && !c.steps[i].probe)
    ++i;
  return i;
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

// "line 8 of the script: the server sent another frame than expected
// (expected ..., got ...)": the line of the user's script the failing
// step came from, not of the generated case.
std::string failure_in_script_terms(const fuzz_case& c, const verdict& v) {
  const std::size_t origin = v.step < c.steps.size() ? c.steps[v.step].origin_line : 0;
  std::string text = "line " + std::to_string(origin ? origin : v.line) + ": " + v.reason;
  if (!v.expected.empty() || !v.got.empty())
    text += " (expected " + v.expected + ", got " + v.got + ")";
  return text;
}

// What a case did to the server, from its verdict and the server's fate.
// A failure before the probe is not the server's: after a mutation every
// reply is accepted, so only a broken connection of the client's own
// making fails there, and the probe after it says whether the server is
// still well.
case_effect effect_of(const fuzz_case& c, const run_result& r, std::optional<process_death> death) {
  case_effect e;
  if (death) {
    e.what = case_effect::kind::died;
    e.detail = death->how;
    e.death = std::move(death);
    return e;
  }
  const verdict& v = r.outcome;
  // A refused connect is the server's wherever it happens.
  if (!v.passed && contains(v.reason, "cannot connect") && contains(v.reason, "refused")) {
    e.what = case_effect::kind::refused;
    e.detail = "line " + std::to_string(v.line) + ": " + v.reason;
    return e;
  }
  if (v.passed || v.step < probe_start(c)) return e;
  e.detail = (probe_start(c) == 0 ? "" : "on a fresh connection afterwards, ") +
             failure_in_script_terms(c, v);
  if (contains(v.reason, "refused") || contains(v.reason, "nothing is listening"))
    e.what = case_effect::kind::refused;
  else if (contains(v.reason, "reset"))
    e.what = case_effect::kind::reset;
  else if (contains(v.reason, "within") || contains(v.reason, "timed out") ||
           contains(v.reason, "longer than") || contains(v.reason, "no connection"))
    e.what = case_effect::kind::hang;
  else
    e.what = case_effect::kind::other;
  return e;
}

// The top frame of a sanitizer report: its first "#0 " line, trimmed.
std::string top_frame(const std::optional<process_death>& death) {
  if (!death || death->sanitizer.empty()) return {};
  const auto at = death->sanitizer.find("#0 ");
  if (at == std::string::npos) return {};
  auto end = death->sanitizer.find('\n', at);
  std::string frame = death->sanitizer.substr(at, end == std::string::npos ? end : end - at);
  // "#0 0x55d1c2 in parse_header /src/server.c:42:7": keep what follows "in ".
  if (const auto in = frame.find(" in "); in != std::string::npos) frame = frame.substr(in + 4);
  return frame;
}

// The line of the last mutated step of the conversation: where the case
// differs from the baseline last, which is where it broke the server.
std::size_t trigger_line(const fuzz_case& c) {
  std::size_t line = 0;
  for (std::size_t i = 0; i < probe_start(c); ++i)
    if (c.steps[i].mutated && c.steps[i].origin_line) line = c.steps[i].origin_line;
  return line;
}

std::string signature_of(const case_effect& e, const fuzz_case& c) {
  std::string s(name_of(e.what));
  if (e.what == case_effect::kind::died) s += ": " + e.detail;
  if (const auto frame = top_frame(e.death); !frame.empty()) s += " in " + frame;
  const auto line = trigger_line(c);
  s += line ? " @ line " + std::to_string(line) : " @ an inserted step";
  return s;
}

bool same_failure(const case_effect& a, const case_effect& b) {
  if (a.what != b.what) return false;
  if (a.what != case_effect::kind::died) return true;
  return a.detail == b.detail && top_frame(a.death) == top_frame(b.death);
}

class fuzzer {
public:
  fuzzer(const std::vector<const conversation_mutator*>& mutators, check_target& where,
         const fuzz_options& options, const std::function<void(const fuzz_progress&)>& progress)
      : mutators_(mutators), where_(where), options_(options), progress_(progress),
        started_(clock::now()), guidance_(mutators, options) {}

  fuzz_outcome run() {
    std::string why;
    if (!where_.ready(why)) return stop("the target could not be started: " + why, true);
    // The unmutated conversation first: a server that fails it is not
    // ready to be fuzzed, and every case would look like a finding.
    for (std::size_t k = 0; k < mutators_.size(); ++k) {
      const case_effect baseline = replay(plain_case(k));
      if (baseline.what != case_effect::kind::none)
        return stop("the unmutated conversation" +
                        (mutators_.size() > 1 ? " of seed script " + std::to_string(k + 1) : "") +
                        " fails: " + baseline.detail,
                    baseline.what == case_effect::kind::refused);
    }

    start_corpus();
    while (outcome_.runs < options_.runs && !time_is_up()) {
      if (options_.max_findings && outcome_.findings.size() >= options_.max_findings) {
        outcome_.stopped_because = std::to_string(outcome_.findings.size()) +
                                   " finding(s), as many as --max-findings asks";
        break;
      }
      const std::size_t round = static_cast<std::size_t>(
          std::min<std::uint64_t>(round_size(), options_.runs - outcome_.runs));
      if (!run_round(round)) break;
      report("fuzzing");
    }
    if (outcome_.stopped_because.empty())
      outcome_.stopped_because = time_is_up() ? "time is up" : "runs done";
    return finish();
  }

  // `tcpcheck fuzz --merge`: every entry alone, then the fewest that keep
  // every feature.
  std::vector<std::size_t> merge(const std::vector<fuzz_case>& entries, fuzz_outcome& out) {
    std::string why;
    if (!where_.ready(why)) {
      out = stop("the target could not be started: " + why, true);
      return {};
    }
    guidance_.start();
    for (std::size_t i = 0; i < entries.size() && !time_is_up(); ++i) {
      guidance_.add_alone(entries[i], "entry " + std::to_string(i + 1), true, run_group());
      report("merging entry " + std::to_string(i + 1) + " of " + std::to_string(entries.size()));
    }
    const bool all_ran = guidance_.corpus().size() == entries.size();
    outcome_.stopped_because = all_ran ? "merged" : "the entries could not all be run";
    auto kept = all_ran ? guidance_.corpus().minimal_cover() : std::vector<std::size_t>{};
    out = finish();
    return kept;
  }

private:
  bool time_is_up() const { return clock::now() - started_ >= options_.max_time; }

  // Each case's limits, with its run cut at --max-time: a round waits for
  // its slowest case, and a confirmation gives every wait --hang-timeout;
  // neither may carry the command past its bound.
  run_options bounded(run_options options) const {
    const auto left = duration_cast<milliseconds>(started_ + options_.max_time - clock::now());
    options.run_timeout = std::clamp(left, milliseconds{1}, options.run_timeout);
    return options;
  }

  fuzz_outcome finish() {
    outcome_.elapsed = duration_cast<milliseconds>(clock::now() - started_);
    outcome_.guidance = guidance_.summary(outcome_.runs, outcome_.elapsed);
    outcome_.corpus = guidance_.corpus().entries();
    return std::move(outcome_);
  }

  // The corpus starts with each seed script's conversation and the loaded
  // entries, each run alone for what it reaches.
  void start_corpus() {
    guidance_.start();
    report("seeding the corpus");
    if (!guidance_.guided()) return;
    for (std::size_t k = 0; k < mutators_.size(); ++k)
      guidance_.add_alone(seed_case(k), "seed script " + std::to_string(k + 1), true, run_group());
    for (std::size_t i = 0; i < options_.corpus.size() && !time_is_up(); ++i)
      guidance_.add_alone(options_.corpus[i], "loaded entry " + std::to_string(i + 1), true,
                          run_group());
  }

  // Runs cases side by side, without their probe, on a healthy server
  // (for attribution and for cases run alone); false when the server broke.
  fuzz_guidance::run_group run_group() {
    return [this](const std::vector<const fuzz_case*>& group,
                  std::vector<std::vector<transcript_entry>>* transcripts) {
      if (time_is_up() || !recover()) return false;
      std::vector<script> scripts;
      for (const fuzz_case* c : group) {
        // What the case reaches is counted once it has ended.
        auto s = try_to_script(unprobed(*c), baseline_of(*c));
        if (!s) return false;
        scripts.push_back(std::move(*s));
      }
      if (transcripts) transcripts->assign(group.size(), {});
      std::atomic<bool> refused{false};
      run_each(
          where_.where(), scripts, mutators_.front()->spec(), {}, options_.threads,
          bounded(options_.run),
          [&](std::size_t i, run_result r) {
            refused = refused || r.unreachable;
            if (transcripts) (*transcripts)[i] = std::move(r.outcome.transcript);
          },
          options_.jobs);
      if (refused || where_.died(false)) {
        healthy_ = false;
        return false;
      }
      return true;
    };
  }

  fuzz_outcome stop(std::string why, bool unreachable = false) {
    outcome_.stopped_because = std::move(why);
    outcome_.unreachable = unreachable;
    outcome_.elapsed = duration_cast<milliseconds>(clock::now() - started_);
    return std::move(outcome_);
  }

  void report(std::string activity) {
    if (!progress_) return;
    fuzz_progress p;
    p.runs = outcome_.runs;
    p.findings = outcome_.findings.size();
    p.elapsed = duration_cast<milliseconds>(clock::now() - started_);
    const double fuzzing_seconds =
        std::max(1e-3, duration_cast<std::chrono::duration<double>>(fuzzing_time_).count());
    p.exec_per_second = static_cast<double>(outcome_.runs) / fuzzing_seconds;
    p.activity = std::move(activity);
    p.coverage = guidance_.coverage_on();
    p.edges = guidance_.edges_covered();
    p.edges_total = options_.coverage ? options_.coverage->edges_total() : 0;
    p.states = guidance_.states();
    p.transitions = guidance_.transitions();
    p.corpus = guidance_.corpus().size();
    progress_(p);
  }

  // Cases per round: many, for throughput (a round waits for its slowest
  // case). With coverage, the first rounds are small and grow by half each
  // round to 64 x jobs: what a round teaches (comparison operands, new
  // entries) is used from the next round on, and early rounds teach most.
  std::size_t round_size() {
    if (options_.round_size) return options_.round_size;
    const std::size_t largest = options_.jobs * 64;
    if (!guidance_.coverage_on()) return largest;
    guided_round_ = guided_round_ == 0 ? options_.jobs * 2
                                       : std::min(largest, guided_round_ + guided_round_ / 2);
    return guided_round_;
  }

  // The case as run: without its probe (nor the pause that waits for it)
  // but one time in probe_every.
  fuzz_case as_run(fuzz_case c, std::uint64_t n) const {
    if (n % std::max<std::size_t>(1, options_.probe_every) == 0) return c;
    return unprobed(std::move(c));
  }

  // A round's cases and their scripts, cases `outcome_.runs` onwards.
  void make_round(std::size_t count, std::vector<fuzz_case>& cases, std::vector<script>& scripts) {
    for (std::size_t i = 0; i < count; ++i) {
      const std::uint64_t n = outcome_.runs + i;
      cases.push_back(guidance_.make_case(n, true));
      auto made = try_to_script(as_run(cases.back(), n), baseline_of(cases.back()));
      if (!made) {
        // Grown from a corpus entry, a case may not make a script (a send
        // on a connection the entry closed before): a seed script's case.
        cases.back() = guidance_.make_case(n, false);
        made = to_script(as_run(cases.back(), n), baseline_of(cases.back()));
      }
      scripts.push_back(std::move(*made));
    }
  }

  // What the cases of a round did, by case.
  struct round_run {
    std::vector<case_effect> effects;
    std::vector<bool> ran;
    std::vector<std::size_t> finished_as; // completion order, SIZE_MAX: did not run
    std::size_t finished = 0;
  };

  round_run run_side_by_side(const std::vector<fuzz_case>& cases,
                             const std::vector<script>& scripts) {
    const std::size_t count = cases.size();
    round_run r{std::vector<case_effect>(count), std::vector<bool>(count, false),
                std::vector<std::size_t>(count, SIZE_MAX), 0};
    // Once a case has broken the server, the rest of the round would only
    // wait out timeouts: no more cases start.
    std::atomic<bool> broken{false};
    const auto round_started = clock::now();
    guidance_.begin_round(count);
    run_each(
        where_.where(), scripts, mutators_.front()->spec(), {}, options_.threads,
        bounded(options_.run),
        [&](std::size_t i, run_result result) {
          r.ran[i] = true;
          guidance_.observe(i, cases[i], result.outcome.transcript, result.started, result.elapsed);
          r.finished_as[i] = r.finished++;
          if (result.unreachable)
            r.effects[i] = {case_effect::kind::refused, result.outcome.reason, std::nullopt};
          else
            r.effects[i] = effect_of(cases[i], result, std::nullopt);
          if (r.effects[i].what != case_effect::kind::none || time_is_up()) broken = true;
        },
        options_.jobs, &broken);
    fuzzing_time_ += clock::now() - round_started;
    outcome_.runs += static_cast<std::size_t>(std::count(r.ran.begin(), r.ran.end(), true));
    return r;
  }

  // Suspects: the cases whose probe failed, then every other case of the
  // round, those that ended nearest the first failure first: the case that
  // broke the server ended just before it. The others are suspects even
  // when the server did not die: a case that hangs it (a lock kept, a
  // thread stuck) fails before its own probe, where a failure is not the
  // server's, so only the other cases' probes see the hang.
  static std::vector<std::size_t> suspects_of(const round_run& r) {
    const std::size_t count = r.effects.size();
    std::vector<std::size_t> suspects;
    std::size_t first_failure = SIZE_MAX;
    for (std::size_t i = 0; i < count; ++i)
      if (r.effects[i].what != case_effect::kind::none) {
        suspects.push_back(i);
        first_failure = std::min(first_failure, r.finished_as[i]);
      }
    std::vector<std::size_t> others;
    for (std::size_t i = 0; i < count; ++i)
      if (r.ran[i] && r.effects[i].what == case_effect::kind::none) others.push_back(i);
    const std::size_t pivot = first_failure == SIZE_MAX ? r.finished : first_failure;
    const auto distance = [&](std::size_t i) {
      const std::size_t at = r.finished_as[i];
      return at < pivot ? pivot - at : at - pivot + count;
    };
    std::sort(others.begin(), others.end(),
              [&](std::size_t a, std::size_t b) { return distance(a) < distance(b); });
    suspects.insert(suspects.end(), others.begin(), others.end());
    return suspects;
  }

  // Runs the suspects alone, on a fresh server, until one fails again: it
  // is the finding. False when fuzzing cannot go on.
  bool confirm(const std::vector<std::size_t>& suspects, const std::vector<fuzz_case>& cases,
               const std::vector<case_effect>& effects, std::uint64_t first_run) {
    if (!recover()) {
      // A fixed target that no longer serves: the first suspect is the
      // finding, unconfirmed, and fuzzing is over.
      const std::size_t i = suspects.front();
      record(cases[i], effects[i], first_run + i, /*confirmed=*/false);
      return false;
    }
    report("confirming");
    for (const std::size_t i : suspects) {
      // A round or a replay cut short by --max-time proves nothing.
      if (time_is_up()) return false;
      case_effect again = replay(cases[i]);
      if (time_is_up()) return false;
      if (again.what == case_effect::kind::hang) {
        const bool hangs = still_hangs(cases[i], again);
        if (time_is_up()) {
          // It hung again when replayed; the replay with longer waits was
          // cut short. Reported, as not confirmed, rather than lost.
          again.detail += "; not confirmed with longer waits: --max-time ran out";
          record(cases[i], again, first_run + i, /*confirmed=*/false);
          return false;
        }
        if (!hangs) continue;
      }
      if (again.what == case_effect::kind::none) continue;
      record(cases[i], again, first_run + i, /*confirmed=*/true);
      // One finding per round: the round's other suspects were most likely
      // its victims, and the next rounds will find any other bug again.
      return recover();
    }
    return true;
  }

  // One round side by side. Returns false when fuzzing cannot go on.
  bool run_round(std::size_t count) {
    std::vector<fuzz_case> cases;
    std::vector<script> scripts;
    make_round(count, cases, scripts);
    const std::uint64_t first_run = outcome_.runs;
    const round_run r = run_side_by_side(cases, scripts);

    const auto failed = std::find_if(r.effects.begin(), r.effects.end(), [](const case_effect& e) {
      return e.what != case_effect::kind::none;
    });
    auto death = where_.died(failed != r.effects.end());
    if (failed == r.effects.end() && !death) {
      guidance_.end_round(cases, r.ran, outcome_.runs,
                          duration_cast<milliseconds>(clock::now() - started_), run_group());
      return true;
    }
    guidance_.round_broke();

    // A failure like a known finding's is counted, not chased: without a
    // sanitizer report, crashes by the same signal are one finding (build
    // the server with ASan to tell them apart by their top frame).
    const case_effect seen =
        death ? case_effect{case_effect::kind::died, death->how, death} : *failed;
    healthy_ = false;
    if (finding* known = known_finding(seen)) {
      ++known->duplicates;
      return recover();
    }
    const auto suspects = suspects_of(r);
    if (suspects.empty()) return recover();
    return confirm(suspects, cases, r.effects, first_run);
  }

  // A server to go on with: a spawned one restarted when broken, a fixed
  // one checked with the unmutated conversation. False (with the reason in
  // the outcome) when there is none.
  bool recover() {
    if (healthy_) return true;
    std::string why;
    if (where_.restart(why) || still_serves()) {
      healthy_ = true;
      return true;
    }
    outcome_.stopped_because = "the target broke and cannot be restarted: " + why;
    return false;
  }

  bool still_serves() {
    const fuzz_case plain = plain_case(0);
    const run_result r = run_script(where_.where(), to_script(plain, baseline_of(plain)),
                                    mutators_.front()->spec(), {}, bounded(options_.run));
    return r.outcome.passed;
  }

  // Runs one case alone, on a server restarted if the last replay broke it.
  // nullopt when it cannot be run: a candidate of the minimizer that no
  // longer makes a script, or no server to run it on.
  std::optional<case_effect> try_replay(const fuzz_case& c) {
    const auto as_script = try_to_script(c, baseline_of(c));
    if (!as_script || !recover()) return std::nullopt;
    const run_result r = run_script(where_.where(), *as_script, mutators_.front()->spec(), {},
                                    bounded(options_.run));
    auto death = where_.died(!r.outcome.passed);
    // A server the case killed may refuse what follows before its death is
    // seen (a UDP port unreachable at once): the death is what it did.
    case_effect e = r.unreachable && !death
                        ? case_effect{case_effect::kind::refused, r.outcome.reason, {}}
                        : effect_of(c, r, std::move(death));
    healthy_ = e.what == case_effect::kind::none;
    return e;
  }

  case_effect replay(const fuzz_case& c) {
    auto e = try_replay(c);
    return e ? *std::move(e) : case_effect{};
  }

  // A case that seemed to hang, replayed with every wait at least
  // --hang-timeout: a server that answers then only delays (it throttles,
  // it is slow to start a worker), which is no finding; later hangs at the
  // same line are taken for the same delay. One that still does not answer
  // is a hang, and its finding says how long it was given.
  bool still_hangs(const fuzz_case& c, case_effect& hang) {
    const std::string signature = signature_of(hang, c);
    if (delay_signatures_.count(signature)) {
      ++outcome_.delays;
      return false;
    }
    auto patient = try_to_script(c, baseline_of(c));
    if (!patient || !recover()) return true;
    const duration longest = std::chrono::duration_cast<duration>(options_.hang_timeout);
    patient->timeout = std::max(patient->timeout.value_or(longest), longest);
    for (auto& step : patient->steps)
      if (step.within) step.within = std::max(*step.within, longest);
    run_options options = options_.run;
    options.session.connect_timeout = std::max(options.session.connect_timeout, longest);
    options.run_timeout = std::max(options.run_timeout, 3 * options_.hang_timeout);
    const run_result r =
        run_script(where_.where(), *patient, mutators_.front()->spec(), {}, bounded(options));
    if (time_is_up()) return true; // cut short at --max-time: no verdict, and the caller stops
    auto death = where_.died(!r.outcome.passed);
    const case_effect e = effect_of(c, r, std::move(death));
    healthy_ = e.what == case_effect::kind::none;
    if (e.what == case_effect::kind::none) {
      delay_signatures_.insert(signature);
      ++outcome_.delays;
      return false;
    }
    if (e.what != case_effect::kind::hang) {
      // Given longer, it failed otherwise (a frame too long that was still
      // arriving): that is the finding, under its own kind.
      hang = e;
      hang.detail +=
          " (when every wait was " + duration_text(longest) + "; at first it seemed to hang)";
      return true;
    }
    hang.detail += "; no answer either when every wait was " + duration_text(longest);
    return true;
  }

  // Whether the minimized case fails alone once more. A trial of the
  // minimizer can take a death that came late, from the trial before, for
  // its own, and keep a case without the step that mattered: its script
  // would replay as a pass. Such a finding keeps the confirmed case.
  bool holds_up(const fuzz_case& minimized, const case_effect& e) {
    const auto again = try_replay(minimized);
    return again && same_failure(*again, e);
  }

  finding* known_finding(const case_effect& e) {
    for (auto& f : outcome_.findings)
      if (same_failure(f.effect, e)) return &f;
    return nullptr;
  }

  void record(const fuzz_case& c, const case_effect& e, std::uint64_t run, bool confirmed) {
    if (finding* known = known_finding(e)) {
      ++known->duplicates;
      return;
    }
    finding f;
    f.effect = e;
    f.found = c;
    f.run = run;
    f.confirmed = confirmed;
    f.minimized = c;
    if (confirmed) {
      report("minimizing finding " + std::to_string(outcome_.findings.size() + 1));
      f.minimizing = minimize_case(c,
                                   [&](const fuzz_case& candidate) {
                                     if (time_is_up()) return false;
                                     const auto again = try_replay(candidate);
                                     return again && same_failure(*again, e);
                                   },
                                   {options_.minimize_budget});
      const fuzz_case& smallest = f.minimizing.smallest;
      const bool shrunk = smallest.steps.size() != c.steps.size();
      f.minimized = !shrunk || holds_up(smallest, e) ? smallest : c;
    }
    f.signature = signature_of(e, f.minimized);
    outcome_.findings.push_back(std::move(f));
  }

  const script& baseline_of(const fuzz_case& c) const { return mutators_[c.source]->baseline(); }

  // Seed script k's unmutated conversation, as the corpus's first entry.
  fuzz_case seed_case(std::size_t k) const {
    fuzz_case c;
    c.source = k;
    for (const auto& step : mutators_[k]->baseline().steps)
      c.steps.push_back({step, step.line, false, false});
    return c;
  }

  // Seed script k's unmutated conversation, as a case that is all probe.
  fuzz_case plain_case(std::size_t k) const {
    fuzz_case plain;
    plain.source = k;
    plain.steps = mutators_[k]->probe();
    return plain;
  }

  const std::vector<const conversation_mutator*>& mutators_;
  check_target& where_;
  const fuzz_options& options_;
  const std::function<void(const fuzz_progress&)> progress_;
  const clock::time_point started_;
  clock::duration fuzzing_time_{0};
  bool healthy_ = true;
  std::set<std::string> delay_signatures_; ///< apparent hangs found to be delays
  std::size_t guided_round_ = 0;
  fuzz_outcome outcome_;
  fuzz_guidance guidance_;
};

} // namespace

std::string_view name_of(case_effect::kind k) {
  switch (k) {
  case case_effect::kind::none:
    return "none";
  case case_effect::kind::died:
    return "died";
  case case_effect::kind::refused:
    return "refused";
  case case_effect::kind::reset:
    return "reset";
  case case_effect::kind::hang:
    return "hang";
  case case_effect::kind::other:
    return "broken";
  }
  return {};
}

std::string_view name_of(feedback_kind k) {
  switch (k) {
  case feedback_kind::none:
    return "none";
  case feedback_kind::responses:
    return "responses";
  case feedback_kind::coverage:
    return "coverage";
  }
  return {};
}

std::vector<std::size_t> merge_corpus(const std::vector<const conversation_mutator*>& mutators,
                                      check_target& where, const fuzz_options& options,
                                      const std::vector<fuzz_case>& entries, fuzz_outcome& outcome,
                                      const std::function<void(const fuzz_progress&)>& progress) {
  if (mutators.empty()) throw std::invalid_argument("merge_corpus: no seed script");
  fuzz_options merging = options;
  if (merging.feedback == feedback_kind::none) merging.feedback = feedback_kind::responses;
  return fuzzer(mutators, where, merging, progress).merge(entries, outcome);
}

fuzz_outcome run_fuzz(const std::vector<const conversation_mutator*>& mutators, check_target& where,
                      const fuzz_options& options,
                      const std::function<void(const fuzz_progress&)>& progress) {
  if (mutators.empty()) throw std::invalid_argument("run_fuzz: no seed script");
  fuzz_options shared = options;
  shared.run =
      sharing(options.run, options.memory_budget, options.jobs, pool_for(options.memory_budget));
  return fuzzer(mutators, where, shared, progress).run();
}

fuzz_outcome run_fuzz(const conversation_mutator& mutator, check_target& where,
                      const fuzz_options& options,
                      const std::function<void(const fuzz_progress&)>& progress) {
  const std::vector<const conversation_mutator*> one{&mutator};
  return run_fuzz(one, where, options, progress);
}

} // namespace tcpcheck::harness
