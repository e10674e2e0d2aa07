// Mutated conversations for fuzzing live servers (`tcpcheck fuzz`).
//
// Sans I/O: a fuzz case is data, a script that `tcpcheck run` (or `replay`)
// runs as it is. The mutator starts from a script of a normal conversation
// and, knowing its framing, changes what the client sends:
//
//   payload bytes   bit flips, interesting bytes, insertions, deletions,
//                   dictionary words (the script's literals and --dict),
//                   splices from another payload
//   frames          length fields off by one, zero, largest, over max,
//                   negative; delimiters injected, removed or doubled;
//                   frames cut short
//   conversation    sends dropped, duplicated, swapped, moved, repeated;
//                   a new send of its own (a dictionary word as a command);
//                   sends spliced from another corpus entry; a reset, a
//                   FIN, a half-close or a stall inserted
//   delivery        sends cut into pieces, baked into the script as raw
//                   pieces with pauses between, so every case replays with
//                   the cuts that triggered it
//   datagrams       under `transport udp` only: two datagrams merged into
//                   one, a send from a fresh socket (another source port),
//                   a datagram resized to a receive-buffer edge (1023 to
//                   8193 bytes) or to nothing; a cut splits a datagram in
//                   two, and the only fault is a stall (a datagram socket
//                   has no FIN, RST or half-close)
//
// After the first mutation the replies cannot be predicted: the client
// sends the rest without waiting for them, half-closes, accepts anything
// (a frame, a close, a reset, or a short silence), and pauses as long
// again before the probe, for the server to act on it all (under
// `transport udp` there is no half-close, and a frame or a silence is all
// that can come). Every case ends with the liveness probe: the normal
// conversation again on a fresh connection, which a server that hangs or
// no longer accepts fails.
//
// Deterministic: case N of seed S is the same on every machine.
//
//   tcpcheck::conversation_mutator m(baseline, spec, {});
//   for (std::uint64_t n = 0; n < runs; ++n) run(m.make(seed, n).steps);
#pragma once

#include "tcpcheck/bytes.hpp"
#include "tcpcheck/framing_spec.hpp"
#include "tcpcheck/script.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tcpcheck {

struct mutator_options {
  duration quiet{25};    ///< the silence a relaxed expect accepts
  duration piece_gap{1}; ///< the pause between the pieces of a cut send
  std::size_t most_mutations = 3;
  /// Mutations never grow a payload past this (under `transport udp`,
  /// `largest_datagram` bounds them instead).
  std::size_t largest_payload = 4096;
  /// Under `transport udp`, mutations (resized and merged datagrams among
  /// them) never grow a datagram past this: the largest UDP payload over
  /// IPv4. A datagram goes out whole, so it may outgrow `largest_payload`.
  std::size_t largest_datagram = tcpcheck::largest_datagram;
};

/// One step of a case, with where it came from.
struct case_step {
  script_step step;
  /// The baseline line it came from (a probe's steps too); 0 for an
  /// inserted step and the probe's opening connect.
  std::size_t origin_line = 0;
  bool mutated = false; ///< its bytes or its place differ from the baseline's
  bool probe = false;   ///< part of the liveness probe
  /// The half-close, the last read and the pause after the mutations: they
  /// give the server the moment it needs to act on what it got before the
  /// probe starts, so minimizing keeps them.
  bool settles = false;
};

struct fuzz_case {
  std::uint64_t seed = 0;
  std::uint64_t index = 0;
  std::size_t source = 0;       ///< which seed script it mutates, when there are several
  std::vector<case_step> steps; ///< the conversation, then the probe
  std::vector<std::string>
      notes; ///< one per mutation, for people: "line 6: flipped bit 3 of byte 2"
};

/// A case's script, canonical (printed and parsed back) with the baseline's
/// header: what is run, written and replayed. Every case `make` returns
/// converts; a case changed since (a minimizer's candidate that dropped a
/// `connect` or a capture later steps need) may not: nullopt.
std::optional<script> try_to_script(const fuzz_case& c, const script& baseline);

/// The case as written, before any check: the baseline's directives, a
/// description naming the case, its steps (lines not numbered). Its text is
/// what try_to_script's result reads back from.
script unchecked_script(const fuzz_case& c, const script& baseline);

/// try_to_script for a case known to convert (throws std::logic_error if not).
script to_script(const fuzz_case& c, const script& baseline);

/// The words a dictionary starts with: every literal the script sends or
/// expects, and the spec's delimiters.
std::vector<byte_buffer> script_dictionary(const script& baseline, const framing_spec& spec);

/// Reads a libFuzzer/AFL dictionary: one `"word"` per line, with \xNN,
/// \\ and \" escapes, optionally `name=` before it; `#` comments. On failure
/// returns false and sets `error` to "line N: reason".
bool parse_dictionary(std::string_view text, std::vector<byte_buffer>& words, std::string& error);

/// Bytes of the input that a server compared with a value it looked for:
/// a mutation puts `to` where it finds `from` in a payload.
struct replacement {
  byte_buffer from, to;
  friend bool operator==(const replacement&, const replacement&) = default;
};

/// What a case may grow from besides the baseline (guided fuzzing).
struct mutation_sources {
  const fuzz_case* parent = nullptr; ///< a corpus entry to mutate further
  const fuzz_case* donor = nullptr;  ///< another entry to splice sends from
  /// Words learned while fuzzing (strings the server compared the input
  /// with, words it answered with): drawn from a third of the time a
  /// mutation takes a word.
  const std::vector<byte_buffer>* learned = nullptr;
  /// Integer constants the server compared with, as bytes: a sixth.
  const std::vector<byte_buffer>* numbers = nullptr;
  /// Comparisons with constants seen (input-to-state): tried in one
  /// mutation in six when there are some.
  const std::vector<replacement>* replacements = nullptr;
  /// Command words: constants the server compared a send's first word
  /// with ("quit" against "del"), the commands it knows that the scripts
  /// never send. A send made of its own puts one of them first three
  /// times in four, so that an undocumented command meets the state the
  /// script's other commands build ("del k" before "get k").
  const std::vector<byte_buffer>* commands = nullptr;
};

class conversation_mutator {
public:
  conversation_mutator(script baseline, framing_spec spec, std::vector<byte_buffer> dictionary,
                       mutator_options options = {});

  /// Case `index` of `seed`: the same every time.
  fuzz_case make(std::uint64_t seed, std::uint64_t index) const;

  /// Case `index` of `seed` grown from `from`: the parent's conversation
  /// (or the baseline) with one to three more mutations, relaxed and
  /// probed as every case is. The same sources give the same case.
  fuzz_case make(std::uint64_t seed, std::uint64_t index, const mutation_sources& from) const;

  /// The liveness probe alone: the baseline on fresh connections.
  const std::vector<case_step>& probe() const noexcept { return probe_; }

  const script& baseline() const noexcept { return baseline_; }
  const framing_spec& spec() const noexcept { return spec_; }
  const mutator_options& options() const noexcept { return options_; }

private:
  script baseline_;
  framing_spec spec_;
  std::vector<byte_buffer> dictionary_;
  mutator_options options_;
  std::vector<case_step> probe_; // made once: every case ends with it
};

/// Relaxes an expect step: after a mutation, any frame, a close, a reset,
/// or `quiet` of silence will do; under `transport udp`, which has no
/// close or reset to see, any frame or `quiet` of silence.
script_step relaxed_expect(const std::string& connection, duration quiet,
                           script_transport transport = script_transport::tcp);

} // namespace tcpcheck
