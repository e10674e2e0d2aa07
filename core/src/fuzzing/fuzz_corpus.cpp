// Corpus entries: scheduling weights, the minimal cover, scripts on disk.
#include "tcpcheck/fuzzing/fuzz_corpus.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_set>

namespace tcpcheck {

namespace {

using step_kind = script_step::kind;

bool is_relaxed_expect(const script_step& s) {
  return s.what == step_kind::expect && s.alternatives.size() > 1 &&
         std::any_of(s.alternatives.begin(), s.alternatives.end(),
                     [](const expectation& e) { return e.what == expectation::kind::any; });
}

// The half-close, relaxed expect and pause that end a mutated case (a case
// that closed every connection it waited on settles with the pause alone;
// a stall inserted at the very end is taken for one, which is harmless: it
// is made again as the settling pause).
void mark_settling_steps(std::vector<case_step>& steps) {
  std::size_t i = steps.size();
  if (i && steps[i - 1].step.what == step_kind::sleep) --i;
  while (i &&
         (is_relaxed_expect(steps[i - 1].step) || steps[i - 1].step.what == step_kind::shutdown))
    --i;
  if (i == steps.size()) return;
  for (std::size_t k = i; k < steps.size(); ++k)
    steps[k].settles = steps[k].mutated = true;
}

} // namespace

std::size_t bytes_sent(const fuzz_case& c) {
  std::size_t n = 0;
  for (const auto& s : c.steps)
    if (!s.probe && s.step.what == step_kind::send)
      for (const auto& seg : s.step.payload.segments)
        n += seg.bytes.size();
  return n;
}

fuzz_case without_probe(fuzz_case c) {
  c.steps.erase(
      std::remove_if(c.steps.begin(), c.steps.end(), [](const case_step& s) { return s.probe; }),
      c.steps.end());
  return c;
}

void fuzz_corpus::add(corpus_entry entry) {
  std::sort(entry.features.begin(), entry.features.end());
  entry.features.erase(std::unique(entry.features.begin(), entry.features.end()),
                       entry.features.end());
  for (const feature f : entry.features)
    ++holders_[f];
  entries_.push_back(std::move(entry));
  stale_ = true;
}

void fuzz_corpus::reweigh() {
  cumulative_.clear();
  double total = 0;
  for (const auto& e : entries_) {
    double rarity = 1;
    for (const feature f : e.features)
      rarity += 1.0 / holders_[f];
    const double size = 1 + static_cast<double>(bytes_sent(e.conversation)) / 256;
    total += rarity / size / std::sqrt(1.0 + static_cast<double>(e.times_chosen));
    cumulative_.push_back(total);
  }
  stale_ = false;
}

std::size_t fuzz_corpus::choose(std::uint64_t random) {
  if (entries_.empty()) return 0;
  // Weights are taken afresh every 64 choices and after every addition:
  // often enough for times_chosen to tell, seldom enough to cost nothing.
  if (stale_ || random % 64 == 0) reweigh();
  const double at =
      static_cast<double>(random >> 11) / static_cast<double>(1ull << 53) * cumulative_.back();
  const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), at);
  const std::size_t i = std::min<std::size_t>(it - cumulative_.begin(), entries_.size() - 1);
  ++entries_[i].times_chosen;
  return i;
}

std::vector<std::size_t> fuzz_corpus::minimal_cover() const {
  std::unordered_set<feature> covered;
  std::vector<bool> kept(entries_.size(), false);
  for (;;) {
    std::size_t best = SIZE_MAX;
    double best_score = 0;
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      if (kept[i]) continue;
      std::size_t adds = 0;
      for (const feature f : entries_[i].features)
        adds += !covered.count(f);
      const double score = static_cast<double>(adds) /
                           (1.0 + static_cast<double>(bytes_sent(entries_[i].conversation)));
      if (adds && score > best_score) best = i, best_score = score;
    }
    if (best == SIZE_MAX) break;
    kept[best] = true;
    covered.insert(entries_[best].features.begin(), entries_[best].features.end());
  }
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < kept.size(); ++i)
    if (kept[i]) out.push_back(i);
  return out;
}

std::string corpus_entry_text(const corpus_entry& e, const script& baseline) {
  script s = to_script(without_probe(e.conversation), baseline);
  s.description = "tcpcheck fuzz corpus entry: " + e.origin + ", " +
                  std::to_string(e.features.size()) + " features";
  return to_string(s);
}

std::optional<fuzz_case> corpus_case_from_text(std::string_view text, std::string& error) {
  script_error bad;
  const auto s = parse_script(text, bad);
  if (!s) {
    error = bad.to_string("");
    return std::nullopt;
  }
  fuzz_case c;
  bool mutated = false;
  for (const auto& step : s->steps) {
    mutated |= (step.what == step_kind::send && step.raw) || is_relaxed_expect(step);
    c.steps.push_back({step, step.line, mutated, false});
  }
  mark_settling_steps(c.steps);
  return c;
}

} // namespace tcpcheck
