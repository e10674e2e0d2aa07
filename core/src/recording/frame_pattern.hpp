// The regular expression that matches two recordings of one frame: the
// parts they share written literally, each part that differs as the
// narrowest class of bytes both values fit. Internal to the core, used by
// generalize.cpp only, hence defined here.
#pragma once

#include "tcpcheck/script.hpp"

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../regex_options.hpp"
#include "frame_alignment.hpp"

namespace tcpcheck::detail {

/// Differing parts `first` to `last` (indexes into the aligned parts, the
/// shared parts between them included) made group 1: the value a later
/// send echoes.
struct capture_span {
  std::size_t first = 0, last = 0;
  friend bool operator==(const capture_span&, const capture_span&) = default;
};

namespace frame_pattern {

template <class Fits>
bool both_fit(std::string_view a, std::string_view b, const Fits& fits) {
  for (const std::string_view value : {a, b})
    for (const char c : value)
      if (!fits(c)) return false;
  return true;
}

inline bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
inline bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
inline bool is_word(char c) {
  return is_hex(c) || (c >= 'g' && c <= 'z') || (c >= 'G' && c <= 'Z') ||
         std::string_view("+/=_-").find(c) != std::string_view::npos;
}

// Ids and counters are digits, hashes and tokens hex, session keys and
// base64 words; anything else may be any byte.
inline std::string class_for(std::string_view a, std::string_view b) {
  if (both_fit(a, b, is_digit)) return "[0-9]";
  if (both_fit(a, b, is_hex)) return "[0-9a-fA-F]";
  if (both_fit(a, b, is_word)) return "[A-Za-z0-9+/=_-]";
  return "(?s:.)";
}

// RE2 takes counts up to 1000.
inline std::string repetition_for(std::size_t a, std::size_t b) {
  if (a == b) return a == 1 ? "" : a <= 1000 ? "{" + std::to_string(a) + "}" : "+";
  return a == 0 || b == 0 ? "*" : "+";
}

// Bytes matched as themselves: RE2's operators and the script string's
// quote escaped, bytes that are not printable ASCII as \xHH (RE2 reads the
// pattern as Latin-1, so \xHH is the byte HH).
inline void append_literal(std::string& pattern, std::string_view bytes) {
  constexpr std::string_view special = "\\.+*?()|[]{}^$\"";
  constexpr std::string_view digits = "0123456789abcdef";
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7f) {
      pattern += "\\x";
      pattern += digits[byte >> 4];
      pattern += digits[byte & 15];
      continue;
    }
    if (special.find(c) != std::string_view::npos) pattern += '\\';
    pattern += c;
  }
}

} // namespace frame_pattern

/// The pattern for frames `a` and `b` aligned as `parts`, anchored
/// (`^...$`), with `capture` as its only group.
inline std::string pattern_for(std::string_view a, std::string_view b,
                               const std::vector<aligned_part>& parts,
                               const std::optional<capture_span>& capture) {
  std::string pattern = "^";
  for (std::size_t k = 0; k < parts.size(); ++k) {
    const aligned_part& p = parts[k];
    const std::string_view in_a = a.substr(p.a_begin, p.a_end - p.a_begin);
    const std::string_view in_b = b.substr(p.b_begin, p.b_end - p.b_begin);
    if (capture && k == capture->first) pattern += '(';
    if (p.differs) {
      pattern += frame_pattern::class_for(in_a, in_b);
      pattern += frame_pattern::repetition_for(in_a.size(), in_b.size());
    } else {
      frame_pattern::append_literal(pattern, in_a);
    }
    if (capture && k == capture->last) pattern += ')';
  }
  return pattern + "$";
}

/// A frame and, when the pattern captures, the value group 1 must take in it.
struct frame_to_match {
  std::string_view frame;
  std::optional<std::string_view> captured;
};

/// Whether a script takes `pattern` (not too long, compiled as the parser
/// compiles it) and it matches each frame whole, capturing what it should.
/// The pattern is built to, but a repetition can take more than its part
/// (a class that also matches the literal after it): this says for sure.
inline bool pattern_matches(const std::string& pattern, const std::vector<frame_to_match>& frames) {
  if (pattern.size() > script_limits::longest_regex) return false;
  const RE2 re(pattern, regex_options());
  if (!re.ok()) return false;
  const int groups = std::min(re.NumberOfCapturingGroups(), 1) + 1;
  for (const frame_to_match& f : frames) {
    re2::StringPiece group[2];
    if (!re.Match(f.frame, 0, f.frame.size(), RE2::ANCHOR_BOTH, group, groups)) return false;
    if (!f.captured) continue;
    if (groups < 2 || std::string_view(group[1].data(), group[1].size()) != *f.captured)
      return false;
  }
  return true;
}

} // namespace tcpcheck::detail
