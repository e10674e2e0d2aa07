// Fuzzing a live server: mutated conversations run side by side, the server
// watched, every finding confirmed alone, minimized and deduplicated.
//
// The oracle is the server's health, not its replies (a mutated message has
// no known answer): a spawned server that died (its exit status, signal
// and sanitizer report), or a liveness probe that fails at the end of a
// case (the server refuses, resets, or hangs). Cases run in rounds, side by
// side; when a round breaks the server, its suspects are replayed one at a
// time on a fresh server, and the one that breaks it again is the finding.
// It is then minimized by delta debugging against the live server. A
// failure like a known finding's (the same kind; for a death, the same
// status or signal and sanitizer top frame) counts as a duplicate; the
// signature written with a finding adds the line its trigger came from.
#pragma once

#include "tcpcheck/case_minimizer.hpp"
#include "tcpcheck/conversation_mutator.hpp"
#include "tcpcheck/fuzzing/fuzz_corpus.hpp"
#include "tcpcheck/harness/check.hpp"
#include "tcpcheck/harness/memory_budget.hpp"
#include "tcpcheck/harness/run.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace tcpcheck::harness {

class coverage_channel;

/// What the fuzzer learns from. Guided modes keep a corpus of cases that
/// reached something new and mutate those further.
enum class feedback_kind {
  none,      ///< blind: every case is one to three mutations of a seed script
  responses, ///< new reply states and transitions (any server)
  coverage,  ///< new edges of an instrumented server, and responses
};

std::string_view name_of(feedback_kind k);

struct fuzz_options {
  std::uint64_t seed = 1;
  std::uint64_t runs = 10000;                ///< cases to run, at most
  std::chrono::milliseconds max_time{60000}; ///< and at most this long (minimizing included)
  std::size_t jobs = 64;                     ///< cases side by side (most of a case is waiting)
  std::size_t threads = 2;                   ///< I/O threads
  run_options run;                           ///< each case's limits
  std::size_t memory_budget = default_memory_budget; ///< shared by the `jobs` cases at once
  std::size_t minimize_budget = 150;                 ///< replays per finding
  std::size_t max_findings = 0;                      ///< stop once this many are found (0: never)
  /// Cases that end with the liveness probe, one in this many (1: all).
  /// A dead server is seen at once, from its process or refused connects;
  /// a hung one by the next probe. Replays always probe.
  std::size_t probe_every = 4;
  /// Feedback wanted; coverage falls back to responses when the server
  /// does not report coverage (it is not instrumented).
  feedback_kind feedback = feedback_kind::coverage;
  coverage_channel* coverage = nullptr; ///< the spawned server's map, if any
  std::vector<fuzz_case> corpus;        ///< loaded entries (--corpus), run first
  /// A case that seems to hang is replayed with every wait at least this
  /// long before it is called a hang: a server that answers then only
  /// delayed (throttling, a slow worker start) is counted in
  /// fuzz_outcome::delays, and later hangs at the same line with it.
  std::chrono::milliseconds hang_timeout{10000};
  /// Cases per round; 0: 64 x jobs (a round waits for its slowest case),
  /// with coverage from 2 x jobs, growing by half each round.
  std::size_t round_size = 0;
};

/// Coverage over time, one sample a second at most.
struct coverage_sample {
  std::chrono::milliseconds at{0};
  std::uint64_t runs = 0;
  std::size_t edges = 0, states = 0, transitions = 0, corpus = 0;
};

struct guidance_summary {
  feedback_kind feedback = feedback_kind::none; ///< as used, after any fallback
  std::string why;                              ///< "the server is not instrumented"
  std::size_t edges_covered = 0, edges_total = 0;
  std::size_t states = 0, transitions = 0;
  std::size_t functions_total = 0, functions_reached = 0;
  std::vector<std::string> unreached_functions; ///< names, or module+0xADDR
  std::size_t processes_seen = 0;               ///< of the server, forked workers included
  std::size_t learned_words = 0;                ///< comparison operands and reply words
  std::vector<std::string> command_words;       ///< commands the server knows, none scripted
  std::vector<coverage_sample> over_time;
  std::uint64_t attribution_runs = 0; ///< cases run again to tell which earned new coverage
  std::chrono::milliseconds attribution_time{0};
};

struct fuzz_progress {
  std::uint64_t runs = 0;
  std::size_t findings = 0;
  std::chrono::milliseconds elapsed{0};
  double exec_per_second = 0;
  bool coverage = false; ///< edges are known
  std::size_t edges = 0, edges_total = 0, states = 0, transitions = 0, corpus = 0;
  std::string activity; ///< "fuzzing", "confirming", "minimizing finding 2"
};

/// What one case did to the server.
struct case_effect {
  enum class kind { none, died, refused, reset, hang, other };
  kind what = kind::none;
  std::string detail; ///< "killed by signal 11 (SIGSEGV)", the probe's failure
  std::optional<process_death> death;
};

std::string_view name_of(case_effect::kind k);

struct finding {
  case_effect effect;
  std::string signature; ///< "died: killed by signal 11 (SIGSEGV) @ line 6"
  fuzz_case found;       ///< as the fuzzer made it
  fuzz_case minimized;   ///< as small as it still reproduces
  minimize_result minimizing;
  std::uint64_t run = 0;      ///< the run that found it
  std::size_t duplicates = 0; ///< later cases with the same signature
  bool confirmed = false;     ///< reproduced alone (a fixed target that broke cannot be re-run)
};

struct fuzz_outcome {
  std::vector<finding> findings;
  std::uint64_t runs = 0;
  std::chrono::milliseconds elapsed{0};
  bool unreachable = false;
  std::string
      stopped_because; ///< "runs done", "time is up", "the target broke and cannot be restarted"
  guidance_summary guidance;
  std::vector<corpus_entry> corpus; ///< at the end, loaded entries first
  /// Apparent hangs that were answered when replayed with longer waits
  /// (fuzz_options::hang_timeout): a deliberate delay (a login throttled
  /// after a failure), not a finding.
  std::size_t delays = 0;
};

/// Fuzzes `where` with cases of `mutators` (one per seed script, all with
/// the same framing): case N mutates seed script N mod their number, and
/// records which in fuzz_case::source.
fuzz_outcome run_fuzz(const std::vector<const conversation_mutator*>& mutators, check_target& where,
                      const fuzz_options& options,
                      const std::function<void(const fuzz_progress&)>& progress = {});

/// Runs each of `entries` alone and keeps the fewest that reach every
/// feature the whole set reaches (`tcpcheck fuzz --merge`). Returns the
/// indices kept; `outcome` says how it went.
std::vector<std::size_t>
merge_corpus(const std::vector<const conversation_mutator*>& mutators, check_target& where,
             const fuzz_options& options, const std::vector<fuzz_case>& entries,
             fuzz_outcome& outcome, const std::function<void(const fuzz_progress&)>& progress = {});

/// Fuzzes `where` with cases of one seed script.
fuzz_outcome run_fuzz(const conversation_mutator& mutator, check_target& where,
                      const fuzz_options& options,
                      const std::function<void(const fuzz_progress&)>& progress = {});

} // namespace tcpcheck::harness
