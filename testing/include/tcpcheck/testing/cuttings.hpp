// Cuttings: the ways the helpers cut a stream into reads, and the options
// that choose them.
//
// A decoder that is right only when each read holds whole messages fails
// under one of these: a cut inside a header (every 2-way split finds it), a
// read per byte (bytewise), or several cuts at once (random, from a seed, so
// a failure replays the same way).
#pragma once

#include "tcpcheck/bytes.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tcpcheck::testing {

/// Which cuttings the checks try, and whether each stream is ended.
struct check_options {
  bool every_two_way_split = true; ///< a cut at each position in turn
  bool bytewise = true;            ///< one byte per read
  std::size_t random_splits = 64;  ///< cuttings of 1 to 8 random cuts each
  std::uint64_t seed = 1;          ///< for the random cuttings
  bool finish = true;              ///< end each stream after its last piece
};

/// One way to cut a stream: ascending cut positions, and a name for reports.
struct cutting {
  std::string name;
  std::vector<std::size_t> cuts;
};

/// The stream whole (first, with no cuts), then the cuttings `options` asks
/// for, in the order above.
std::vector<cutting> cuttings_for(byte_view stream, const check_options& options);

} // namespace tcpcheck::testing
