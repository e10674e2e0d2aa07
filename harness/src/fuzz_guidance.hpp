// What makes `tcpcheck fuzz` learn: the corpus, the features seen, the
// words learned, and the attribution of a round's new coverage to cases.
//
// The fuzzer runs a round of cases side by side; the guidance makes each
// case (from a corpus entry, most of the time), notes what each case's
// replies said as it ends, and after the round keeps the cases that reached
// something new. Coverage read after a round cannot say which case earned
// it, so a round with new edges is split in halves, run again side by side,
// down to the single cases that reach the new edges (group testing). A half
// that holds none of them tells that the other half does, which is then
// split without being run whole; a half is not run at all once every new
// edge has its case. When many of the cases hold new edges, they are run
// one by one instead. About one round's worth of runs per new case, and
// none in a round that found nothing.
#pragma once

#include "tcpcheck/conversation_mutator.hpp"
#include "tcpcheck/fuzzing/feature_set.hpp"
#include "tcpcheck/fuzzing/fuzz_corpus.hpp"
#include "tcpcheck/fuzzing/response_state.hpp"
#include "tcpcheck/harness/coverage_channel.hpp"
#include "tcpcheck/harness/fuzz.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace tcpcheck::harness {

class fuzz_guidance {
public:
  /// Runs the cases side by side on a healthy server; false when they could
  /// not run (the server broke).
  /// With `transcripts`, each case's transcript comes back in it.
  using run_group = std::function<bool(const std::vector<const fuzz_case*>&,
                                       std::vector<std::vector<transcript_entry>>* transcripts)>;

  fuzz_guidance(const std::vector<const conversation_mutator*>& mutators,
                const fuzz_options& options);
  ~fuzz_guidance() { stop_watching(); }
  fuzz_guidance(const fuzz_guidance&) = delete;
  fuzz_guidance& operator=(const fuzz_guidance&) = delete;

  /// Whether cases grow from a corpus (any feedback at all).
  bool guided() const noexcept { return options_.feedback != feedback_kind::none; }
  bool coverage_on() const noexcept { return coverage_on_; }

  /// Decides between coverage and responses once the server has started.
  void start();

  /// Case `n` of the run: grown from a corpus entry most of the time when
  /// `from_corpus`, else from a seed script.
  fuzz_case make_case(std::uint64_t n, bool from_corpus);

  /// A case ended with `transcript` (called one at a time, from any thread).
  void observe(std::size_t slot, const fuzz_case& c,
               const std::vector<transcript_entry>& transcript,
               std::chrono::steady_clock::time_point started, std::chrono::microseconds elapsed);
  /// Slots for a round of `count` cases; forgets the last round's.
  void begin_round(std::size_t count);

  /// A round that broke the server ends here instead of end_round.
  void round_broke() { stop_watching(); }

  /// After a round whose cases ran (`ran[i]`) without breaking the server:
  /// keeps what was new, attributing new coverage by running halves again.
  void end_round(const std::vector<fuzz_case>& cases, const std::vector<bool>& ran,
                 std::uint64_t runs, std::chrono::milliseconds elapsed, const run_group& again);

  /// Adds `c` to the corpus with whatever it reaches alone (a seed script's
  /// conversation, a loaded entry); `keep_anyway` keeps it even when it
  /// reaches nothing new.
  void add_alone(const fuzz_case& c, std::string origin, bool keep_anyway, const run_group& run);

  const fuzz_corpus& corpus() const noexcept { return corpus_; }
  std::size_t edges_covered() const noexcept { return edges_covered_; }
  std::size_t states() const noexcept { return states_.size(); }
  std::size_t transitions() const noexcept { return transitions_.size(); }

  /// The summary for the outcome, with the functions never reached.
  guidance_summary summary(std::uint64_t runs, std::chrono::milliseconds elapsed);

private:
  using clock = std::chrono::steady_clock;

  struct observed {
    std::vector<feature> features;
    clock::time_point began, ended; ///< when the case ran
    bool seen = false;              ///< its transcript came
    bool kept = false;              ///< kept in the corpus this round
  };

  std::vector<feature> response_features(const response_signature& r);
  void start_watching();
  void stop_watching();
  std::vector<std::size_t> suspects(const std::vector<std::size_t>& candidates) const;
  void learn_words(std::vector<byte_buffer> words);
  void learn_comparisons(comparisons learned);
  void learn_command(const replacement& r);
  std::vector<feature> edge_features(const std::vector<std::uint8_t>& before,
                                     const std::vector<std::uint8_t>& after) const;
  bool any_unseen_edge(const std::vector<feature>& features) const;
  void keep(const fuzz_case& c, std::vector<feature> features, std::string origin);
  bool attribute(const std::vector<fuzz_case>& cases, const std::vector<std::size_t>& group,
                 const run_group& again);
  bool dense(std::size_t group_size) const;
  bool attribute_one_by_one(const std::vector<fuzz_case>& cases,
                            const std::vector<std::size_t>& group, const run_group& again);
  void settle_new_edges(const std::vector<feature>& features, bool searched);
  std::optional<bool> run_part(const std::vector<fuzz_case>& cases,
                               const std::vector<std::size_t>& part, const run_group& again,
                               std::vector<feature>& features);
  void keep_alone(const fuzz_case& c, std::size_t slot, std::vector<feature> features);
  bool all_seen(const std::vector<feature>& edges) const;
  void sample(std::uint64_t runs, std::chrono::milliseconds elapsed, bool force);

  const std::vector<const conversation_mutator*>& mutators_;
  const fuzz_options& options_;
  coverage_channel* channel_;
  bool coverage_on_ = false;
  fuzz_corpus corpus_;
  feature_set seen_;
  std::vector<bool> edge_seen_;
  std::vector<std::uint8_t> chases_; // per edge: searches that ran out of runs
  std::size_t edges_covered_ = 0;
  std::vector<std::uint8_t> counts_; // the server's counts as last read
  std::set<std::string> states_, transitions_;
  std::set<std::string> known_words_; // first words a send may be named by
  std::vector<byte_buffer> learned_;
  std::set<std::string> learned_set_;
  std::vector<byte_buffer> learned_numbers_; // integer constants the server compared with
  std::size_t next_number_ = 0;
  std::map<std::string, std::vector<replacement>> replacements_by_value_; // by `to`
  std::vector<replacement> replacements_; // all of them, for the mutator
  std::vector<byte_buffer> commands_;     // words compared with a known first word
  std::set<std::string> command_set_;
  std::vector<std::vector<bool>> watched_; // per seed script: non-probe connections
  std::vector<observed> round_;
  std::vector<byte_buffer> round_words_;
  std::vector<coverage_sample> over_time_;
  std::uint64_t attribution_runs_ = 0;
  std::chrono::steady_clock::duration attribution_time_{0};
  std::size_t attribution_budget_ = 0;
  std::vector<feature> round_new_edges_; // the edges the round being attributed reached first
  // The watcher of a round's counts, and when each unseen edge first showed
  // (between two reads); written by the watcher, read after it has stopped.
  std::thread watcher_;
  std::atomic<bool> watching_{false};
  std::map<std::size_t, std::pair<clock::time_point, clock::time_point>> first_shown_;
};

} // namespace tcpcheck::harness
