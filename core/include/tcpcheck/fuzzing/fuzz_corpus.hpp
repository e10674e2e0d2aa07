// The corpus of a guided fuzzer: conversations that reached something new,
// kept to be mutated further, saved and loaded as scripts.
//
// An entry is a fuzz case as it ran (its conversation; the liveness probe is
// added again when it runs) with the features it reached. Choosing a parent
// favours entries that hold rare features, small ones, and ones chosen less
// often, as libFuzzer's entropic scheduling does in spirit:
//
//   weight = (1 + sum over its features of 1 / entries holding it)
//            / (1 + bytes sent / 256) / sqrt(1 + times chosen)
//
// On disk an entry is a script (.tcs) in the language of scripts and
// findings, so a corpus kept by CI is also a set of replayable scripts.
#pragma once

#include "tcpcheck/conversation_mutator.hpp"
#include "tcpcheck/fuzzing/feature_set.hpp"
#include "tcpcheck/script.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace tcpcheck {

struct corpus_entry {
  fuzz_case conversation;        ///< without the liveness probe
  std::vector<feature> features; ///< sorted, unique
  std::size_t new_features = 0;  ///< features it was the first to reach
  std::uint64_t times_chosen = 0;
  std::string origin; ///< "run 1234", "loaded from corpus/x.tcs"
};

/// Bytes a case sends before its probe.
std::size_t bytes_sent(const fuzz_case& c);

/// `c` without its liveness probe.
fuzz_case without_probe(fuzz_case c);

class fuzz_corpus {
public:
  void add(corpus_entry entry);
  std::size_t size() const noexcept { return entries_.size(); }
  bool empty() const noexcept { return entries_.empty(); }
  const corpus_entry& operator[](std::size_t i) const { return entries_[i]; }
  const std::vector<corpus_entry>& entries() const noexcept { return entries_; }

  /// A parent for the next case, from a uniform random number.
  std::size_t choose(std::uint64_t random);

  /// The entries that keep every feature of the corpus: greedily, the entry
  /// that adds most features per byte first. Indices, in corpus order.
  std::vector<std::size_t> minimal_cover() const;

private:
  void reweigh();

  std::vector<corpus_entry> entries_;
  std::unordered_map<feature, std::uint32_t> holders_; ///< entries holding each feature
  std::vector<double> cumulative_;                     ///< of the weights
  bool stale_ = true;
};

/// The script an entry is saved as: a comment that says what it is, then the
/// conversation, canonical (printed and parsed back).
std::string corpus_entry_text(const corpus_entry& e, const script& baseline);

/// A saved entry (or any script) back as a case: steps after its first raw
/// send or relaxed expect count as mutated, and a closing half-close,
/// relaxed expect and pause as the settling steps. nullopt with `error` set
/// when the text is not a script.
std::optional<fuzz_case> corpus_case_from_text(std::string_view text, std::string& error);

} // namespace tcpcheck
