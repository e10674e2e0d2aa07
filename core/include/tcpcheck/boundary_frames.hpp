// Boundary frames: the frames at the edges of a framing spec, where servers
// break. An empty frame, the largest the spec allows and one byte over it, a
// length field of zero, of its largest value, negative; a line far longer
// than a server expects; a text frame that is not UTF-8.
//
// Each frame is classified by tcpcheck's own decoder, so the check knows
// whether a correct server must take it as a message (`breaks_spec` false)
// or may refuse it (the bad-frame policy applies).
//
//   for (const auto& f : tcpcheck::boundary_frames(spec))
//     send(f.wire); // then judge the server by f.breaks_spec
#pragma once

#include "tcpcheck/bytes.hpp"
#include "tcpcheck/frame_header.hpp"
#include "tcpcheck/framing_spec.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace tcpcheck {

struct boundary_frame {
  std::string name;        ///< stable, for case ids: "empty-frame", "length-max"
  std::string description; ///< for people: "a length field of 4294967295 with no payload"
  byte_buffer wire;        ///< the bytes to send, header and delimiter included
  /// tcpcheck's decoder refuses these bytes, or they never complete a frame.
  bool breaks_spec = false;
  /// Breaks the spec by its size alone: one byte over `max` ("one-over").
  /// A server that answers it may only count its limit differently.
  bool over_max = false;
};

struct boundary_limits {
  /// Largest payload put in a boundary frame. A spec whose max is larger
  /// gets a frame of this size instead of "the largest allowed" and "one
  /// over": the frames go into replay scripts, which stay readable and
  /// under script_limits::largest_script.
  static constexpr std::size_t largest_payload = 1u << 20;
};

/// The boundary frames of `spec`, in a fixed order (none for `raw`). A
/// header's named fields hold `fields` (a real message type, say: a server
/// may drop frames of a type it does not know before reading their length).
std::vector<boundary_frame> boundary_frames(const framing_spec& spec,
                                            const field_values& fields = {});

} // namespace tcpcheck
