// The features a guided fuzzer has seen: edges with a hit-count class, and
// response states and transitions, as numbers in one space.
//
//   edge features       [0, 2^24): edge * 8 + hit-count class
//   response features   [2^24, 2^25): a hash of a state or a transition
//
// A fixed bitmap (4 MiB): bounded whatever the server does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace tcpcheck {

using feature = std::uint32_t;

struct feature_limits {
  static constexpr std::size_t most_edges = std::size_t{1} << 21;
  static constexpr feature response_base = feature{1} << 24;
  static constexpr std::size_t space = std::size_t{1} << 25;
};

/// AFL's hit-count classes: 1, 2, 3, 4-7, 8-15, 16-31, 32-127, 128+ -> 0..7.
unsigned hit_class(std::uint8_t hits);

/// The feature of an edge hit `hits` times (hits > 0).
feature edge_feature(std::size_t edge, std::uint8_t hits);

/// The feature of a response state or transition ("S" or "T" and its text).
feature response_feature(char kind, std::string_view text);

class feature_set {
public:
  feature_set() : bits_(feature_limits::space / 64) {}
  /// Adds `f`; true when it was not there.
  bool insert(feature f) {
    const std::uint64_t mask = std::uint64_t{1} << (f % 64);
    std::uint64_t& word = bits_[(f % feature_limits::space) / 64];
    const bool fresh = !(word & mask);
    word |= mask;
    count_ += fresh;
    return fresh;
  }
  bool contains(feature f) const {
    return bits_[(f % feature_limits::space) / 64] >> (f % 64) & 1u;
  }
  std::size_t size() const noexcept { return count_; }

private:
  std::vector<std::uint64_t> bits_;
  std::size_t count_ = 0;
};

} // namespace tcpcheck
