// Checks of option values that CLI11's own validators do not say well.
#pragma once

#include <string>

namespace tcpcheck::cli {

/// The check of a `--framing` that overrides a script's: an empty spec is
/// refused ("" is not "no override").
inline std::string non_empty_spec(const std::string& text) {
  return text.empty() ? "an empty framing spec (try line or len:u32be)" : "";
}

/// The check of `--seed`: a negative number would wrap to a huge seed.
inline std::string unsigned_seed(const std::string& text) {
  return !text.empty() && text.front() == '-' ? "a seed is a number from 0 to 2^64-1" : "";
}

} // namespace tcpcheck::cli
