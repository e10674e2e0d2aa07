// Disturbances: what `tcpcheck proxy` does to one direction of the bytes it
// forwards between a real client and a real server (docs/proxy.md).
//
// A disturbance is written as words, each `key=value` or a bare flag:
//
//   plan=bytewise            cut the bytes as a delivery plan does (whole,
//                            bytewise, chunk:N, random:SEED, split-header,
//                            merged; pipeline has no meaning here)
//   latency=20ms jitter=5ms  hold each write that long, plus a random
//                            0..jitter from the proxy's seed (order kept)
//   rate=64k                 at most that many bytes a second (k, M: 1024s),
//                            written in slices of 10 ms worth
//   stall=1000:2s            after 1000 bytes, hold everything for 2 s once
//   close-after=100          after 100 bytes: FIN (the rest is dropped)
//   reset-after=100          after 100 bytes: RST
//   half-close-after=100     after 100 bytes: shutdown(SHUT_WR) toward the
//                            receiver; the other direction goes on
//   close-after-frame=3      the same, counted in whole frames of the
//   reset-after-frame=3      framing spec: after the 3rd frame's last byte
//   half-close-after-frame=3 (a spec with frames: disturbance_conflict)
//   blackhole                forward nothing, close nothing
//
// The empty text is no disturbance. Parsing is strict: an unknown key, a
// bad value, a key given twice, two endings, or blackhole beside another
// word is an error naming the word. Durations are written as in scripts
// (`250ms`, `2s`; at most longest_disturbance_delay); byte counts and
// rates take k or M (1024, 1024²); counts and rates are at least 1.
// Byte and frame counts start where the disturbance takes effect: the
// connection's first byte, or the moment the control socket set it.
#pragma once

#include "tcpcheck/delivery_plan.hpp"
#include "tcpcheck/framing_spec.hpp"
#include "tcpcheck/script.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tcpcheck {

struct disturbance {
  delivery_plan plan; ///< how writes are cut; `whole` forwards reads as they came
  duration latency{0};
  duration jitter{0};
  std::uint64_t rate = 0; ///< bytes per second; 0: unlimited

  struct stall_point {
    std::uint64_t after_bytes = 0;
    duration length{0};
    friend bool operator==(const stall_point&, const stall_point&) = default;
  };
  std::optional<stall_point> stall;

  enum class ending { none, close, reset, half_close };
  ending end = ending::none;
  bool end_counts_frames = false; ///< `end_after` counts frames, not bytes
  std::uint64_t end_after = 0;

  bool blackhole = false;

  /// Nothing is changed: bytes pass as they come.
  bool is_none() const noexcept { return *this == disturbance{}; }
  friend bool operator==(const disturbance&, const disturbance&) = default;
};

/// Parses the words above; nullopt with a one-line `error` naming the
/// offending word.
std::optional<disturbance> parse_disturbance(std::string_view text, std::string& error);

/// The canonical words ("" for none); parsing them gives `d` again.
std::string to_string(const disturbance& d);

/// Why `d` cannot work under `spec`, in one line; empty when it can. An
/// ending counted in frames needs a spec with frames, which `raw` is not
/// ("close-after-frame needs a framing with frames: raw has none (give
/// --framing)"). split-header under raw is no conflict: it cuts each read in
/// its middle. The proxy checks it where a disturbance meets the spec (its
/// arguments, the control socket's `set`).
std::string disturbance_conflict(const disturbance& d, const framing_spec& spec);

/// Longest latency, jitter or stall accepted (a proxy that holds bytes for
/// hours is a hang, not a test).
inline constexpr duration longest_disturbance_delay{10 * 60 * 1000};

} // namespace tcpcheck
