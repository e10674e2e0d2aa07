// The pieces the matrix builds its cases' scripts from: single steps, the
// frames of sends, the state of a connection at a point of the baseline.
// Internal to the core (the server matrix and the client matrix).
#pragma once

#include "tcpcheck/check_matrix.hpp"
#include "tcpcheck/framing_spec.hpp"
#include "tcpcheck/script.hpp"

#include <optional>
#include <string>
#include <vector>

namespace tcpcheck::detail {

script_step step_on(const std::string& connection, script_step::kind what);

/// A case with the fields every case has; the rest left at their defaults.
check_case case_of(std::string id, check_area area, std::string title, script steps,
                   std::string hint = {});

/// A send of `bytes` as they are, not framed by the spec.
script_step send_raw(const std::string& connection, byte_buffer bytes);

expectation outcome(expectation::kind what, duration quiet = duration{0});

script_step expect_one_of(const std::string& connection, std::vector<expectation> alternatives);

/// A case's script: the baseline's header (role, framing, timeout,
/// ignores) and `steps`, printed and parsed back, so the steps carry the
/// line numbers of the file a failure is written to. nullopt for the rare
/// cut that leaves a step needing what the cut removed (a value captured on
/// another connection): such a case is not generated.
std::optional<script> canonical(const script& header, std::vector<script_step> steps,
                                std::string description);

/// The wire bytes of a send with no variables in it; nullopt otherwise (its
/// bytes are known only once the conversation has run).
std::optional<byte_buffer> wire_of(const script_step& send, const framing_spec& spec);

/// The first half of a send's frame (at least one byte, never all of it).
std::optional<byte_buffer> half_frame(const script_step& send, const framing_spec& spec);

/// Whether an expect step may be satisfied by the peer saying nothing.
bool allows_silence(const script_step& step);

/// Whether the connection of step `k` is open (opened, not closed or
/// reset) after the steps before it.
bool open_after(const script& baseline, std::size_t k);

/// The framing step `k` of `baseline` reads and writes with.
framing_spec spec_at(const script& baseline, std::size_t k, const framing_spec& spec);

/// A point of the baseline where the matrix puts its faults: just before
/// step `k`, or, with `half`, after the first half of that send's frame.
struct fault_point {
  std::size_t k = 0;
  std::string at;    ///< for ids: "line-7", "line-7-mid"
  std::string where; ///< for titles: "just before line 7", "in the middle of the frame of line 7"
  std::optional<byte_buffer> half;
  /// The baseline's steps before k, then the half frame, if any.
  std::vector<script_step> prefix(const script& baseline) const;
};

/// The four faults the matrix puts at each point.
enum class fault { rst, fin, half_close, silent };

/// The baseline cut at `point` (its prefix), then the fault itself on the
/// point's connection: a reset, a close, a shutdown; nothing for silence.
std::vector<script_step> cut_by(const script& baseline, const fault_point& point, fault kind);

/// Every send and expect on an open connection, and the middle of every
/// send whose frame is known, in order. `frame_word` names a send's frame
/// in titles ("frame", or "reply" when tcpcheck plays the server).
std::vector<fault_point> fault_points(const script& baseline, const framing_spec& spec,
                                      const std::string& frame_word);

/// The header fields of main's first send that sets any, before main's
/// framing changes: what boundary frames carry (a real message type).
field_values first_send_fields(const script& baseline, const framing_spec& spec);

/// Main's steps before its first send: where a boundary frame goes (a
/// peer that speaks first has said its piece).
std::vector<script_step> opening_of_main(const script& baseline);

} // namespace tcpcheck::detail
