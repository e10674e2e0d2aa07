// Delivery plans: how the client's sends are cut into writes.
//
// A server that reads one recv() as one message passes when each message
// arrives in one piece and fails when it does not; a plan decides which.
// Plans are chosen per run and reproducible: `random:SEED` cuts the same
// way for the same seed.
//
//   whole         one write per send (the baseline)
//   bytewise      one byte per write
//   chunk:N       writes of N bytes
//   random:SEED   random cut points, from SEED
//   split-header  a cut inside the length field, or just before the delimiter
//   merged        consecutive sends with no expect between them in one write
//   pipeline      send ahead as far as the script allows before reading replies
#pragma once

#include "tcpcheck/bytes.hpp"
#include "tcpcheck/framing_spec.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tcpcheck {

struct delivery_plan {
  enum class kind { whole, bytewise, chunk, random, split_header, merged, pipeline };
  kind what = kind::whole;
  std::size_t chunk = 0;  ///< chunk:N
  std::uint64_t seed = 0; ///< random:SEED

  /// Sends whose bytes are cut (as opposed to grouped differently).
  bool cuts_sends() const noexcept;
  friend bool operator==(const delivery_plan&, const delivery_plan&) = default;
};

/// Parses a plan's name; on failure returns nullopt and sets `error` to a
/// one-line reason listing the plans.
std::optional<delivery_plan> parse_delivery_plan(std::string_view text, std::string& error);

std::string to_string(const delivery_plan& plan);

/// Where to cut one send's wire bytes: ascending positions strictly inside
/// (0, wire.size()). `send_index` varies random cuts from send to send.
/// `framed` says whether the bytes were framed by `spec` (a raw send is
/// cut in its middle by split-header).
std::vector<std::size_t> plan_cuts(const delivery_plan& plan, const framing_spec& spec,
                                   byte_view wire, bool framed, std::uint64_t send_index);

} // namespace tcpcheck
