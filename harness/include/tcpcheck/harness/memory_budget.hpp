// One memory budget for a whole process, shared by the sessions it runs at
// once.
//
// What a session holds grows with what its peer sends, not with the
// script: frames received ahead of the script, the transcript and the wire
// log. Each is bounded per session (session_options, run_options), and
// those bounds are sized for one `run`. Sixty-four fuzz cases against a
// flooding server would each fill them; so a command that runs many
// sessions at once gives each its share of one budget instead.
//
// The budget covers what peers can make a session hold. Two things stand
// outside it, on purpose: a frame the spec allows (one of the spec's `max`
// per connection, so that such a frame is judged, never refused), and the
// process itself (code, the scripts, the corpus, a report being written).
#pragma once

#include "tcpcheck/harness/run.hpp"

#include <cstddef>

namespace tcpcheck::harness {

/// The default budget: 256 MiB, shared by all the sessions that run at once.
inline constexpr std::size_t default_memory_budget = std::size_t{256} << 20;

/// `options` with each peer-driven bound of its session cut to a share of
/// `budget_bytes / sessions_at_once`: a quarter of the share for bytes
/// received ahead of the script, a quarter for the frames holding them (at
/// a cost counted per frame), an eighth each for the transcript's bytes,
/// its entries, the wire log's bytes and its events. A bound is never
/// raised above what `options` says (one `run` keeps its defaults), and
/// never cut below a floor at which an ordinary conversation is still
/// judged in full.
run_options within_budget(run_options options, std::size_t budget_bytes,
                          std::size_t sessions_at_once);

} // namespace tcpcheck::harness
