// Hit-count classes and feature numbers.
#include "tcpcheck/fuzzing/feature_set.hpp"

#include <bit>

namespace tcpcheck {

unsigned hit_class(std::uint8_t hits) {
  if (hits <= 3) return hits == 0 ? 0 : hits - 1u;
  if (hits >= 128) return 7;
  if (hits >= 32) return 6;
  return static_cast<unsigned>(std::bit_width(hits)); // 4-7: 3, 8-15: 4, 16-31: 5
}

feature edge_feature(std::size_t edge, std::uint8_t hits) {
  return static_cast<feature>((edge % feature_limits::most_edges) * 8 + hit_class(hits));
}

feature response_feature(char kind, std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ull ^ static_cast<std::uint8_t>(kind);
  for (const char c : text)
    h = (h ^ static_cast<std::uint8_t>(c)) * 0x100000001b3ull;
  h ^= h >> 29;
  return feature_limits::response_base +
         static_cast<feature>(h % (feature_limits::space - feature_limits::response_base));
}

} // namespace tcpcheck
