// Counterexamples: a stream and its cuts that show a property broken, and
// the shrinking that makes them small enough to read.
//
// A failure found on a 200-byte stream read byte by byte is true but hard to
// act on; the same failure on 2 bytes cut once names the bug. `shrink` drops
// cuts, then bytes, for as long as the failure still shows, and `describe`
// prints what is left: the input escaped and in hex, and the pieces.
#pragma once

#include "tcpcheck/bytes.hpp"

#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace tcpcheck::testing {

struct counterexample {
  byte_buffer stream;
  std::vector<std::size_t> cuts; ///< ascending, strictly inside the stream
};

/// Whether the property fails for `stream` cut at `cuts`.
using failure_test = std::function<bool(byte_view stream, std::span<const std::size_t> cuts)>;

enum class shrink_scope {
  cuts,           ///< the stream must stay as it is (its meaning was planned)
  cuts_and_input, ///< any smaller stream that still fails will do
};

/// A smaller counterexample that `fails` still holds for: fewer cuts, and
/// under cuts_and_input a shorter stream (bytes removed, cuts moved with
/// them). Stops when nothing more can go or after `budget` tries.
counterexample shrink(counterexample found, const failure_test& fails, shrink_scope scope,
                      std::size_t budget = 4000);

/// "input (2 bytes): "\x01\0" (hex 01 00)" then "cut at 1: "\x01" | "\0"",
/// or "fed whole". Long inputs are shortened, saying how much is left out.
std::string describe(const counterexample& example);

} // namespace tcpcheck::testing
