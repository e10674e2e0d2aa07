// Minimizing a fuzz finding by delta debugging: drop steps, shorten sends,
// merge a cut send's pieces, for as long as the finding still reproduces.
//
// Sans I/O: whether a smaller case still reproduces is the caller's
// question (`tcpcheck fuzz` replays it against the live server). The
// liveness probe at the end of a case is never touched: it is what tells
// that the server broke; nor are the settling half-close and last read
// before it, which give the server its moment to break.
//
//   auto small = tcpcheck::minimize_case(found, [&](const fuzz_case& c) {
//     return replay(c).signature == found_signature;
//   }, {.budget = 200});
#pragma once

#include "tcpcheck/conversation_mutator.hpp"

#include <cstddef>
#include <functional>

namespace tcpcheck {

struct minimize_options {
  std::size_t budget = 200; ///< most calls to `reproduces`
};

struct minimize_result {
  fuzz_case smallest;
  std::size_t trials = 0; ///< calls made to `reproduces`
  bool exhausted = false; ///< the budget ran out before a fixed point
};

/// The smallest case found that still `reproduces`: first whole steps
/// (ddmin over the steps before the probe), then the bytes of each raw
/// send (halves, then quarters, ... then single bytes), then adjacent raw
/// pieces of one send merged, each pass repeated while it helps.
minimize_result minimize_case(const fuzz_case& found,
                              const std::function<bool(const fuzz_case&)>& reproduces,
                              const minimize_options& options = {});

} // namespace tcpcheck
