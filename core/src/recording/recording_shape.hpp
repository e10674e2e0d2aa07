// Whether two recordings are of one conversation (the same steps, on the
// same connections, in the same order), and how their steps are named in
// reasons and notes. Internal to the core, used by generalize.cpp only,
// hence defined here.
#pragma once

#include "tcpcheck/script.hpp"

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>

namespace tcpcheck::detail {

/// "line 7", or "step 3" for a step that was not read from a file.
inline std::string where(const script_step& step, std::size_t index) {
  return step.line ? "line " + std::to_string(step.line) : "step " + std::to_string(index + 1);
}

/// The step as a script writes it, cut short.
inline std::string shown(const script_step& step, script_role role) {
  constexpr std::size_t longest = 60;
  std::string text = to_string(step, role);
  if (text.size() > longest) text = text.substr(0, longest) + "...";
  return "'" + text + "'";
}

/// Steps of one conversation: the same kind on the same connection (a raw
/// send is not a framed one), the same kinds of outcomes.
inline bool same_shape(const script_step& a, const script_step& b) {
  if (a.what != b.what || a.connection != b.connection) return false;
  if (a.what == script_step::kind::send && a.raw != b.raw) return false;
  if (a.alternatives.size() != b.alternatives.size()) return false;
  for (std::size_t k = 0; k < a.alternatives.size(); ++k)
    if (a.alternatives[k].what != b.alternatives[k].what) return false;
  return true;
}

/// Why `first` and `second` are not recordings of one conversation, naming
/// the first step that differs; nullopt when they are.
inline std::optional<std::string> shape_difference(const script& first, const script& second) {
  if (first.role != second.role)
    return std::string("one recording plays the client and the other the server");
  if (first.framing != second.framing)
    return "the recordings use different framings ('" + first.framing.value_or("") + "' and '" +
           second.framing.value_or("") + "')";
  const std::size_t common = std::min(first.steps.size(), second.steps.size());
  for (std::size_t i = 0; i < common; ++i) {
    const script_step &a = first.steps[i], &b = second.steps[i];
    if (same_shape(a, b)) continue;
    return "the recordings differ at step " + std::to_string(i + 1) + ": " + where(a, i) +
           " of the first is " + shown(a, first.role) + ", " + where(b, i) + " of the second " +
           shown(b, second.role);
  }
  if (first.steps.size() == second.steps.size()) return std::nullopt;
  const bool first_longer = first.steps.size() > second.steps.size();
  const script_step& extra = (first_longer ? first : second).steps[common];
  return "the first recording has " + std::to_string(first.steps.size()) +
         " steps and the second " + std::to_string(second.steps.size()) + ": " +
         where(extra, common) + " of the " + (first_longer ? "first" : "second") + " (" +
         shown(extra, first.role) + ") has no counterpart in the other";
}

/// Equal steps, wherever they were written.
inline bool equal_but_line(script_step a, script_step b) {
  a.line = b.line = 0;
  return a == b;
}

} // namespace tcpcheck::detail
