// The guided fuzzer's memory: corpus, features, learned words, attribution.
#include "fuzz_guidance.hpp"

#include <algorithm>
#include <optional>
#include <thread>

namespace tcpcheck::harness {

namespace {

using clock = std::chrono::steady_clock;

constexpr std::size_t most_states = 1024;        // distinct states (and transitions) kept apart
constexpr std::size_t most_learned_words = 4096; // the newest replace the oldest
constexpr std::size_t most_samples = 2000;
constexpr std::size_t replacements_per_value = 4;
constexpr std::size_t most_commands = 64;
constexpr std::chrono::milliseconds watch_interval{5};
constexpr std::size_t most_unreached_named = 500;
constexpr unsigned from_corpus_percent = 90; // cases grown from an entry, not a seed script
// Attribution runs cases one by one when a group has at most this many
// cases per unseen edge.
constexpr std::size_t dense_ratio = 4;
// Times an edge left without a case for want of runs is chased again.
constexpr std::uint8_t most_chases = 3;

std::uint64_t mix(std::uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Connection names of a case in the order its script numbers them (first
// use, "main" first when used), marked true unless the probe's.
std::vector<bool> watched_connections(const fuzz_case& c) {
  std::vector<std::string> names;
  std::vector<bool> probe;
  bool has_main = false;
  for (const auto& s : c.steps) {
    has_main |= s.step.connection == "main";
    if (std::find(names.begin(), names.end(), s.step.connection) != names.end()) continue;
    names.push_back(s.step.connection);
    probe.push_back(s.probe);
  }
  if (has_main) {
    const auto at = std::find(names.begin(), names.end(), "main") - names.begin();
    std::rotate(probe.begin(), probe.begin() + at, probe.begin() + at + 1);
  }
  std::vector<bool> watched;
  for (const bool p : probe)
    watched.push_back(!p);
  return watched;
}

} // namespace

fuzz_guidance::fuzz_guidance(const std::vector<const conversation_mutator*>& mutators,
                             const fuzz_options& options)
    : mutators_(mutators), options_(options), channel_(options.coverage),
      edge_seen_(feature_limits::most_edges, false), chases_(feature_limits::most_edges, 0) {
  for (const auto* m : mutators)
    for (const auto& word : script_dictionary(m->baseline(), m->spec()))
      known_words_.insert(std::string(as_text(first_word(word))));
  known_words_.erase("");
}

void fuzz_guidance::start() {
  coverage_on_ = options_.feedback == feedback_kind::coverage && channel_ && channel_->attached();
  if (!channel_ || !channel_->attached()) return;
  // What the server reached starting up (main, its setup) is covered, not
  // news for the first case to run.
  channel_->read_counts(counts_);
  for (std::size_t e = 0; e < counts_.size(); ++e)
    if (counts_[e] && !edge_seen_[e]) edge_seen_[e] = true, ++edges_covered_;
}

fuzz_case fuzz_guidance::make_case(std::uint64_t n, bool from_corpus) {
  const std::uint64_t r = mix(options_.seed * 0xD1B54A32D192ED03ull + n);
  std::size_t source = static_cast<std::size_t>(n % mutators_.size());
  mutation_sources from;
  if (guided()) {
    from.learned = &learned_;
    from.replacements = &replacements_;
    from.numbers = &learned_numbers_;
    from.commands = &commands_;
    if (from_corpus && !corpus_.empty() && r % 100 < from_corpus_percent) {
      const std::size_t parent = corpus_.choose(mix(r));
      from.parent = &corpus_[parent].conversation;
      source = from.parent->source;
      const std::size_t donor = static_cast<std::size_t>(mix(r + 1) % corpus_.size());
      if (donor != parent && corpus_[donor].conversation.source == source)
        from.donor = &corpus_[donor].conversation;
    }
  }
  fuzz_case c = mutators_[source]->make(options_.seed, n, from);
  c.source = source;
  return c;
}

void fuzz_guidance::begin_round(std::size_t count) {
  stop_watching();
  round_.assign(count, {});
  round_words_.clear();
  if (channel_ && channel_->attached()) channel_->read_counts(counts_);
  if (coverage_on_) start_watching();
}

// While the round runs, the counts are read every few milliseconds: when
// an unseen edge first shows, the cases running then are its suspects.
// From a round of thousands, some tens.
void fuzz_guidance::start_watching() {
  first_shown_.clear();
  watching_ = true;
  watcher_ = std::thread([this] {
    std::vector<std::uint8_t> now;
    auto last = clock::now();
    while (watching_) {
      std::this_thread::sleep_for(watch_interval);
      channel_->read_counts(now);
      const auto at = clock::now();
      for (std::size_t e = 0; e < now.size() && e < counts_.size(); ++e)
        if (now[e] != counts_[e] && !edge_seen_[e]) first_shown_.try_emplace(e, last, at);
      last = at;
    }
  });
}

void fuzz_guidance::stop_watching() {
  watching_ = false;
  if (watcher_.joinable()) watcher_.join();
}

void fuzz_guidance::observe(std::size_t slot, const fuzz_case& c,
                            const std::vector<transcript_entry>& transcript,
                            clock::time_point started, std::chrono::microseconds elapsed) {
  if (!guided() || slot >= round_.size()) return;
  const auto sig =
      read_responses(transcript, watched_connections(c), mutators_[c.source]->spec(), known_words_);
  round_[slot].features = response_features(sig);
  round_[slot].seen = true;
  round_[slot].began = started;
  round_[slot].ended = started + elapsed;
  round_words_.insert(round_words_.end(), sig.reply_words.begin(), sig.reply_words.end());
}

// The cases of `candidates` that ran while one of the round's new edges
// first showed; all of them when the watcher did not see one show.
std::vector<std::size_t> fuzz_guidance::suspects(const std::vector<std::size_t>& candidates) const {
  std::vector<std::pair<clock::time_point, clock::time_point>> windows;
  for (const feature f : round_new_edges_) {
    const auto it = first_shown_.find(f / 8);
    if (it == first_shown_.end()) return candidates;
    windows.push_back(it->second);
  }
  std::vector<std::size_t> out;
  for (const auto i : candidates)
    if (std::any_of(windows.begin(), windows.end(), [&](const auto& w) {
          return round_[i].began <= w.second && round_[i].ended >= w.first;
        }))
      out.push_back(i);
  return out;
}

// From observe (its calls come one at a time while the fuzzer waits for the
// round) and between rounds: never two at once.
std::vector<feature> fuzz_guidance::response_features(const response_signature& r) {
  std::vector<feature> out;
  // With coverage, edges tell the server's paths apart: new transitions are
  // counted but keep no case (there are many, each a corpus entry that
  // would dilute the ones holding new edges); new states still do.
  const auto count = [&](std::set<std::string>& seen, const std::string& text, char kind,
                         bool keeps) {
    if (seen.size() < most_states) seen.insert(text);
    if (keeps && seen.count(text)) out.push_back(response_feature(kind, text));
  };
  for (const auto& s : r.states)
    count(states_, s, 'S', true);
  for (const auto& t : r.transitions)
    count(transitions_, t, 'T', !coverage_on_);
  return out;
}

void fuzz_guidance::learn_comparisons(comparisons learned) {
  learn_words(std::move(learned.strings));
  for (auto& n : learned.numbers) {
    if (learned_numbers_.size() < most_learned_words)
      learned_numbers_.push_back(std::move(n));
    else
      learned_numbers_[next_number_++ % most_learned_words] = std::move(n);
  }
  // Every input compared with a constant makes a replacement: a few per
  // constant are kept, so that rare constants, a magic value, are drawn as
  // often as the command words every input is compared with. The first
  // seen are kept: they come from cases nearest the seed scripts, whose
  // bytes the corpus holds most. Constants the script itself holds, and
  // zeros, teach nothing.
  bool changed = false;
  for (auto& r : learned.replacements) {
    learn_command(r);
    const std::string to(as_text(r.to));
    if (std::all_of(r.to.begin(), r.to.end(), [](std::uint8_t b) { return b == 0; }) ||
        known_words_.count(to))
      continue;
    auto& kept = replacements_by_value_[to];
    if (kept.size() == replacements_per_value) continue;
    kept.push_back(std::move(r));
    changed = true;
  }
  if (!changed) return;
  replacements_.clear();
  for (const auto& [to, kept] : replacements_by_value_)
    replacements_.insert(replacements_.end(), kept.begin(), kept.end());
}

// A word the scripts send first, compared with a word they never send: a
// command the server looks for (a dispatcher tries each in turn), whatever
// the rest of the payload holds.
void fuzz_guidance::learn_command(const replacement& r) {
  // A word as a send is named by (known_words_ holds such first words).
  const auto is_word = [](const byte_buffer& w) {
    return !w.empty() && first_word(w).size() == w.size();
  };
  if (commands_.size() == most_commands || !is_word(r.from) || !is_word(r.to)) return;
  const std::string to(as_text(r.to));
  if (!known_words_.count(std::string(as_text(r.from))) || known_words_.count(to) ||
      !command_set_.insert(to).second)
    return;
  commands_.push_back(r.to);
}

void fuzz_guidance::learn_words(std::vector<byte_buffer> words) {
  for (auto& w : words) {
    if (w.empty() || !learned_set_.insert(std::string(as_text(w))).second) continue;
    if (learned_.size() < most_learned_words)
      learned_.push_back(std::move(w));
    else
      learned_[learned_set_.size() % most_learned_words] = std::move(w);
  }
}

std::vector<feature> fuzz_guidance::edge_features(const std::vector<std::uint8_t>& before,
                                                  const std::vector<std::uint8_t>& after) const {
  std::vector<feature> out;
  for (std::size_t e = 0; e < after.size(); ++e) {
    const auto hits = static_cast<std::uint8_t>(after[e] - (e < before.size() ? before[e] : 0));
    if (hits) out.push_back(edge_feature(e, hits));
  }
  return out;
}

bool fuzz_guidance::any_unseen_edge(const std::vector<feature>& features) const {
  return std::any_of(features.begin(), features.end(), [&](feature f) {
    return f < feature_limits::response_base && !edge_seen_[f / 8];
  });
}

void fuzz_guidance::keep(const fuzz_case& c, std::vector<feature> features, std::string origin) {
  corpus_entry e;
  for (const feature f : features) {
    e.new_features += seen_.insert(f);
    if (f < feature_limits::response_base && !edge_seen_[f / 8]) {
      edge_seen_[f / 8] = true;
      ++edges_covered_;
    }
  }
  e.conversation = without_probe(c);
  e.features = std::move(features);
  e.origin = std::move(origin);
  corpus_.add(std::move(e));
}

bool fuzz_guidance::all_seen(const std::vector<feature>& edges) const {
  return std::all_of(edges.begin(), edges.end(), [&](feature f) { return edge_seen_[f / 8]; });
}

// Runs `part` side by side: whether it reached an edge not seen yet (with
// the features it reached in `features`), nullopt when it cannot be run
// (the server broke, time is up, the budget is spent).
std::optional<bool> fuzz_guidance::run_part(const std::vector<fuzz_case>& cases,
                                            const std::vector<std::size_t>& part,
                                            const run_group& again,
                                            std::vector<feature>& features) {
  if (attribution_runs_ + part.size() > attribution_budget_) return std::nullopt;
  std::vector<const fuzz_case*> run;
  for (const auto i : part)
    run.push_back(&cases[i]);
  std::vector<std::uint8_t> before, after;
  channel_->read_counts(before);
  attribution_runs_ += part.size();
  if (!again(run, nullptr)) return std::nullopt;
  channel_->read_counts(after);
  features = edge_features(before, after);
  return any_unseen_edge(features);
}

void fuzz_guidance::keep_alone(const fuzz_case& c, std::size_t slot,
                               std::vector<feature> features) {
  if (round_[slot].kept) {
    // Kept already for its replies: its edges are counted, not kept twice.
    for (const feature f : features)
      if (seen_.insert(f) && f < feature_limits::response_base && !edge_seen_[f / 8])
        edge_seen_[f / 8] = true, ++edges_covered_;
    return;
  }
  const auto& replies = round_[slot].features;
  features.insert(features.end(), replies.begin(), replies.end());
  keep(c, std::move(features), "run " + std::to_string(c.index) + " (new edges)");
}

// Splits `group` (indices into `cases`, known to hold some of the round's
// new edges) down to the single cases that reach them. False when runs can
// no longer be made.
bool fuzz_guidance::attribute(const std::vector<fuzz_case>& cases,
                              const std::vector<std::size_t>& group, const run_group& again) {
  std::vector<feature> features;
  if (dense(group.size())) return attribute_one_by_one(cases, group, again);
  if (group.size() == 1) {
    const auto held = run_part(cases, group, again, features);
    if (held && *held) keep_alone(cases[group.front()], group.front(), std::move(features));
    return held.has_value();
  }
  const auto middle = group.begin() + static_cast<std::ptrdiff_t>(group.size() / 2);
  const std::vector<std::size_t> first(group.begin(), middle), second(middle, group.end());
  const auto held = run_part(cases, first, again, features);
  if (!held) return false;
  if (*held) {
    if (first.size() == 1)
      keep_alone(cases[first.front()], first.front(), std::move(features));
    else if (!attribute(cases, first, again))
      return false;
    if (all_seen(round_new_edges_)) return true;
    const auto rest = run_part(cases, second, again, features);
    if (!rest) return false;
    if (!*rest) return true;
    if (second.size() > 1) return attribute(cases, second, again);
    keep_alone(cases[second.front()], second.front(), std::move(features));
    return true;
  }
  // The first half reached none of them: the second half does, if the
  // server does the same again. It is split without being run whole.
  return attribute(cases, second, again);
}

// Halving pays when few of a group's cases hold new edges; when many do
// (the first rounds, where a case in four reaches something), it runs most
// cases several times over, and running each case alone costs less.
bool fuzz_guidance::dense(std::size_t group_size) const {
  const auto unseen =
      static_cast<std::size_t>(std::count_if(round_new_edges_.begin(), round_new_edges_.end(),
                                             [&](feature f) { return !edge_seen_[f / 8]; }));
  return group_size <= dense_ratio * unseen;
}

bool fuzz_guidance::attribute_one_by_one(const std::vector<fuzz_case>& cases,
                                         const std::vector<std::size_t>& group,
                                         const run_group& again) {
  std::vector<feature> features;
  for (const auto i : group) {
    if (all_seen(round_new_edges_)) return true;
    const auto held = run_part(cases, {i}, again, features);
    if (!held) return false;
    if (*held) keep_alone(cases[i], i, std::move(features));
  }
  return true;
}

// After attribution, the round's new edges that no case took. Those that
// no single case reproduced (the server's own timers, cases that only
// reach them together) count as covered and are not chased again; those
// left because the search ran out of runs are chased again when a later
// round reaches them, a few times.
void fuzz_guidance::settle_new_edges(const std::vector<feature>& features, bool searched) {
  for (const feature f : features) {
    const std::size_t e = f / 8;
    if (edge_seen_[e]) continue;
    if (!searched && chases_[e] < most_chases) {
      ++chases_[e];
      continue;
    }
    edge_seen_[e] = true, ++edges_covered_;
  }
}

void fuzz_guidance::end_round(const std::vector<fuzz_case>& cases, const std::vector<bool>& ran,
                              std::uint64_t runs, std::chrono::milliseconds elapsed,
                              const run_group& again) {
  stop_watching();
  // Cases kept for their replies stay candidates for the edges: they are
  // the likeliest to have reached new ones too.
  std::vector<std::size_t> candidates;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    if (!ran[i]) continue;
    candidates.push_back(i);
    const auto& f = round_[i].features;
    if (round_[i].seen &&
        std::any_of(f.begin(), f.end(), [&](feature x) { return !seen_.contains(x); })) {
      keep(cases[i], f, "run " + std::to_string(cases[i].index) + " (new replies)");
      round_[i].kept = true;
    }
  }
  if (guided()) learn_words(std::move(round_words_));
  if (channel_ && channel_->attached()) {
    const std::vector<std::uint8_t> before = counts_;
    channel_->read_counts(counts_);
    const auto features = edge_features(before, counts_);
    bool searched = true;
    if (coverage_on_ && any_unseen_edge(features)) {
      const auto started = clock::now();
      round_new_edges_.clear();
      for (const feature f : features)
        if (!edge_seen_[f / 8]) round_new_edges_.push_back(f);
      // Those that ran when the new edges first showed. A server that does
      // not do the same twice could send the search everywhere: it stops at
      // twice the round.
      attribution_budget_ = attribution_runs_ + 2 * candidates.size() + 16;
      const auto narrowed = suspects(candidates);
      searched = narrowed.empty() || attribute(cases, narrowed, again);
      attribution_time_ += clock::now() - started;
      channel_->read_counts(counts_);
    }
    settle_new_edges(features, searched);
    if (guided()) learn_comparisons(channel_->take_comparisons());
  }
  sample(runs, elapsed, false);
}

void fuzz_guidance::add_alone(const fuzz_case& c, std::string origin, bool keep_anyway,
                              const run_group& run) {
  std::vector<std::uint8_t> before, after;
  const bool counting = channel_ && channel_->attached();
  if (counting) channel_->read_counts(before);
  std::vector<std::vector<transcript_entry>> transcripts;
  if (!run({&c}, &transcripts)) return;
  std::vector<feature> features;
  if (!transcripts.empty())
    features = response_features(read_responses(transcripts.front(), watched_connections(c),
                                                mutators_[c.source]->spec(), known_words_));
  if (counting) {
    channel_->read_counts(after);
    const auto edges = edge_features(before, after);
    features.insert(features.end(), edges.begin(), edges.end());
    if (guided()) learn_comparisons(channel_->take_comparisons());
  }
  const bool fresh =
      std::any_of(features.begin(), features.end(), [&](feature f) { return !seen_.contains(f); });
  if (fresh || keep_anyway) keep(c, std::move(features), std::move(origin));
}

void fuzz_guidance::sample(std::uint64_t runs, std::chrono::milliseconds elapsed, bool force) {
  if (!force && !over_time_.empty() && elapsed - over_time_.back().at < std::chrono::seconds(1))
    return;
  over_time_.push_back(
      {elapsed, runs, edges_covered_, states_.size(), transitions_.size(), corpus_.size()});
  if (over_time_.size() > most_samples) {
    // Every other sample goes: the series keeps its span at half the detail.
    std::vector<coverage_sample> thinned;
    for (std::size_t i = 0; i < over_time_.size(); i += 2)
      thinned.push_back(over_time_[i]);
    over_time_ = std::move(thinned);
  }
}

guidance_summary fuzz_guidance::summary(std::uint64_t runs, std::chrono::milliseconds elapsed) {
  sample(runs, elapsed, true);
  guidance_summary s;
  s.feedback = options_.feedback == feedback_kind::coverage && !coverage_on_
                   ? feedback_kind::responses
                   : options_.feedback;
  if (options_.feedback == feedback_kind::coverage && !coverage_on_)
    s.why = channel_ ? "the server does not report coverage: not built with tcpcheck::coverage"
                     : "coverage needs a server started with --spawn";
  s.states = states_.size();
  s.transitions = transitions_.size();
  s.learned_words = learned_.size() + learned_numbers_.size();
  for (const auto& w : commands_)
    s.command_words.emplace_back(as_text(w));
  s.over_time = over_time_;
  s.attribution_runs = attribution_runs_;
  s.attribution_time = std::chrono::duration_cast<std::chrono::milliseconds>(attribution_time_);
  if (!channel_ || !channel_->attached()) return s;
  s.edges_total = channel_->edges_total();
  s.edges_covered = edges_covered_;
  s.processes_seen = channel_->processes_seen();
  auto functions = channel_->functions();
  s.functions_total = functions.size();
  std::erase_if(functions, [&](const server_function& f) {
    return f.edge < edge_seen_.size() && edge_seen_[f.edge];
  });
  s.functions_reached = s.functions_total - functions.size();
  if (functions.size() > most_unreached_named) functions.resize(most_unreached_named);
  const auto names = symbolize(functions);
  for (std::size_t i = 0; i < functions.size(); ++i) {
    char address[24];
    std::snprintf(address, sizeof address, "+0x%llx",
                  static_cast<unsigned long long>(functions[i].address));
    s.unreached_functions.push_back(!names[i].empty() ? names[i] : functions[i].module + address);
  }
  std::sort(s.unreached_functions.begin(), s.unreached_functions.end());
  s.unreached_functions.erase(
      std::unique(s.unreached_functions.begin(), s.unreached_functions.end()),
      s.unreached_functions.end());
  return s;
}

} // namespace tcpcheck::harness
