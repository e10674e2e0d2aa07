// The conformance matrix: one script of a normal conversation turned into
// every adversarial variant of it that `tcpcheck check` runs.
//
// For a `role server` script (a client under test) the matrix is the
// conversation under every plan cut in tcpcheck's replies, a slow server,
// faults from the server's side and boundary frames sent to the client;
// check_case::oracle says how the client is judged.
//
// Sans I/O: the cases are data. Most are scripts of their own (the
// conversation under another delivery plan; cut short by a reset, a FIN, a
// half-close or silence, then a fresh conversation that proves the server
// still serves; a boundary frame, then the same proof), so every failure
// can be written out and replayed with `tcpcheck run`. The rest say how
// many baseline conversations to run at once or in a row.
//
// Ids are hierarchical and stable: they depend on the script and the spec,
// never on the seed, so `--only 'faults/line-7/*'` selects the same cases
// on every run.
//
//   auto cases = tcpcheck::generate_matrix(baseline, spec, {});
//   cases = tcpcheck::select_cases(std::move(cases), {.only = {"segmentation"}});
#pragma once

#include "tcpcheck/delivery_plan.hpp"
#include "tcpcheck/framing_spec.hpp"
#include "tcpcheck/script.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tcpcheck {

/// The last seven are a UDP script's (`transport udp`), which has no stream
/// to cut or break: its matrix is the baseline (segmentation/whole) and the
/// areas below, with concurrency, soak, latency and boundary as for TCP.
enum class check_area {
  segmentation,
  faults,
  concurrency,
  soak,
  boundary,
  latency,
  loss,          ///< each datagram sent dropped in turn
  duplication,   ///< each sent twice
  reordering,    ///< two consecutive sends swapped
  burst,         ///< many sent without waiting: are all answered?
  size,          ///< empty, the largest, and just over common receive buffers
  clients,       ///< two clients of one host interleaved
  amplification, ///< bytes and datagrams answered per byte and datagram sent
};

/// "segmentation", "faults", ...
std::string_view name_of(check_area area);

/// How a case is run.
enum class case_runner {
  script,   ///< `steps` once, under `plan`
  parallel, ///< `count` baseline conversations at once, timed against one alone
  soak,     ///< `count` baseline conversations one after another
  latency,  ///< `count` baseline conversations one after another, each exchange timed
};

/// What a server may do with a frame that breaks the spec.
enum class bad_frame_policy {
  close_or_ignore, ///< close the connection, or drop the frame and say nothing (the default)
  close,           ///< close (FIN or RST)
  reply,           ///< answer with some frame (an error message)
  ignore,          ///< say nothing and keep the connection open
};

std::optional<bad_frame_policy> parse_bad_frame_policy(std::string_view text);
std::string_view name_of(bad_frame_policy policy);

/// How a case of a `role server` script judges the client under test,
/// beyond what the script's expects judge of what it sends.
enum class client_oracle {
  /// Invariance: the client exits with the baseline's status and prints
  /// the baseline's standard output (the same bytes, cut differently, must
  /// make no difference).
  same_as_baseline,
  /// After a fault or an odd frame: the client ends within the client
  /// timeout, by exiting (any status), not by a signal or a sanitizer
  /// report, its memory within bounds.
  ends_cleanly,
};

std::string_view name_of(client_oracle oracle);

struct check_case {
  std::string id; ///< "faults/line-7/rst"
  check_area area = check_area::segmentation;
  std::string title; ///< one line for people
  case_runner runner = case_runner::script;
  /// The script to run (for `script`), else the baseline; empty while
  /// `make_steps` is set.
  script steps;
  /// For a case whose script is made only when it runs: the faults, one
  /// case per point of the baseline and each as long as the baseline up to
  /// it, would take memory quadratic in the baseline's length if made at
  /// once. nullopt for the rare cut that leaves a step needing what the cut
  /// removed (a value captured on another connection). See case_script.
  std::function<std::optional<script>()> make_steps;
  delivery_plan plan;
  std::size_t count = 1; ///< conversations, for the runners other than `script`
  /// Why a failure matters, when the verdict alone does not say it:
  /// "the server serves one client at a time".
  std::string failure_hint;
  client_oracle oracle = client_oracle::same_as_baseline; ///< `role server` scripts only
  std::optional<duration> write_gap; ///< the pause between writes, when not the run's
  /// When not empty: a passing run in which the server answered on "main"
  /// after the script's last send there is a warning, saying this (a frame
  /// one byte over the spec's max, answered: the server's limit may only be
  /// counted differently from the spec's).
  std::string warn_if_answered;
  /// The spec to run with, when not the check's: with warn_if_answered, a
  /// larger max, so that an answer as long as the frame (an echo) is read.
  std::optional<framing_spec> spec;
  /// Read as a slow client does: through a small receive buffer, with a
  /// pause before each read, so that the server's writes meet a full
  /// window (boundary/slow-reader). `tcpcheck run` does not read so: such
  /// a case is replayed by the check, narrowed to it.
  bool slow_reader = false;
  /// UDP, size area: the datagram (raw) whose answer is judged for
  /// truncation. An answer that echoes its start but not its end shows a
  /// server reading through a smaller buffer (seed 001's warning).
  std::optional<byte_buffer> truncation_probe;
  /// UDP, amplification area: a passing run is measured, exchange by
  /// exchange; an answer larger than its request warns, one more than this
  /// many times larger fails.
  std::optional<double> amplification_limit;
};

/// The script `c` runs: its steps, or those `make_steps` makes (nullopt
/// when they cannot be made).
std::optional<script> case_script(const check_case& c);

/// `c` with its script made, ready to run (`make_steps` cleared); nullopt
/// when the script cannot be made.
std::optional<check_case> with_script_made(check_case c);

struct matrix_options {
  std::uint64_t seed = 1;         ///< the random plans' seeds derive from it
  std::size_t random_plans = 4;   ///< segmentation/random-1 ... -N
  std::size_t parallel = 64;      ///< concurrency/parallel-N
  std::size_t soak = 1000;        ///< soak/sequential-M
  std::size_t latency_runs = 200; ///< conversations timed for latency/exchanges
  bad_frame_policy on_bad_frame = bad_frame_policy::close_or_ignore;
  duration quiet{200}; ///< how long "says nothing" is watched for
  /// `role server`: how long a client under test has to give up on a
  /// server gone silent (close its connection) before it counts as hanging.
  duration client_wait{5000};
  /// `role server`: the pause between the writes of a trickled reply
  /// (segmentation/slow-server).
  duration trickle_gap{20};
  /// UDP: datagrams of the burst case, sent without waiting.
  std::size_t burst = 64;
  /// UDP: the answer-to-request ratio (bytes or datagrams) above which the
  /// amplification case fails (above 1 it warns).
  double amplification_limit = 10.0;
};

/// The matrix for `baseline` (a parsed script) framed by `spec`, in a fixed
/// order: the baseline itself (segmentation/whole) first, then area by area.
/// Every generated script is canonical: printed and parsed back, so its
/// line numbers are those of the file `check` writes for replay. The
/// cases hold what they need to make their scripts (the baseline is
/// shared, not copied): memory grows with the baseline's length, not with
/// its square.
std::vector<check_case> generate_matrix(const script& baseline, const framing_spec& spec,
                                        const matrix_options& options);

/// `--shard I/N`: the cases at positions I-1, I-1+N, ... (1 <= I <= N).
struct shard {
  std::size_t index = 1;
  std::size_t count = 1;
};

/// "2/4". On failure returns nullopt and sets `error`.
std::optional<shard> parse_shard(std::string_view text, std::string& error);

struct case_selection {
  /// Globs over ids (`*` matches across `/`); a pattern also selects every
  /// id below it, so "faults" selects "faults/line-7/rst". Empty: all.
  std::vector<std::string> only;
  std::vector<std::string> exclude;
  shard slice;
};

bool matches(std::string_view pattern, std::string_view id);

/// The `only` and `exclude` patterns of `selection` that match no case of
/// `cases`: a mistyped pattern would otherwise run nothing, or everything,
/// and pass.
std::vector<std::string> unmatched_patterns(const std::vector<check_case>& cases,
                                            const case_selection& selection);

/// The cases `selection` keeps, in their order. (The check runs the
/// baseline first whatever is selected: the other cases are judged by it.)
std::vector<check_case> select_cases(std::vector<check_case> cases,
                                     const case_selection& selection);

} // namespace tcpcheck
