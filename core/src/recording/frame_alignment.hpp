// Two recordings of one frame aligned token by token: the parts they share
// and the parts that differ (an id, a timestamp). Internal to the core,
// used by generalize.cpp only, hence defined here.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace tcpcheck::detail {

/// A part of two aligned frames: the same bytes in both (`differs` false),
/// or bytes that differ, either side perhaps empty but not both. Ranges are
/// byte offsets [begin, end) into each frame.
struct aligned_part {
  bool differs = false;
  std::size_t a_begin = 0, a_end = 0;
  std::size_t b_begin = 0, b_end = 0;
};

/// What aligning may cost. The token alignment is a longest common
/// subsequence, quadratic in the tokens: past `most_tokens` on either side
/// (after the common prefix and suffix), or once a generalize call has
/// spent `cells_left`, the middle of the two frames is one differing part.
struct alignment_budget {
  static constexpr std::size_t most_tokens = 512;
  std::uint64_t cells_left = std::uint64_t{1} << 28;
};

namespace alignment {

// A token: a run of ASCII letters and digits, or any other single byte.
// Values that change (ids, numbers) are such runs, so they differ as wholes.
struct token {
  std::size_t begin = 0, end = 0;
};

inline bool is_word_byte(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

inline std::vector<token> tokens_of(std::string_view frame) {
  std::vector<token> tokens;
  for (std::size_t i = 0; i < frame.size();) {
    std::size_t end = i + 1;
    if (is_word_byte(frame[i]))
      while (end < frame.size() && is_word_byte(frame[end]))
        ++end;
    tokens.push_back({i, end});
    i = end;
  }
  return tokens;
}

using match = std::pair<std::size_t, std::size_t>; // token indexes in a and in b

// The tokens as small numbers, equal tokens equal numbers, so that the
// alignment compares integers.
inline std::pair<std::vector<std::uint32_t>, std::vector<std::uint32_t>>
interned(std::string_view a, const std::vector<token>& ta, std::string_view b,
         const std::vector<token>& tb) {
  std::unordered_map<std::string_view, std::uint32_t> ids;
  const auto ids_of = [&](std::string_view frame, const std::vector<token>& tokens) {
    std::vector<std::uint32_t> out;
    out.reserve(tokens.size());
    for (const token& t : tokens) {
      const auto next = static_cast<std::uint32_t>(ids.size());
      out.push_back(ids.try_emplace(frame.substr(t.begin, t.end - t.begin), next).first->second);
    }
    return out;
  };
  auto ia = ids_of(a, ta);
  return {std::move(ia), ids_of(b, tb)};
}

// The matches of a longest common subsequence of x and y (both at most
// alignment_budget::most_tokens long, so lengths fit 16 bits).
inline std::vector<match> common_subsequence(const std::vector<std::uint32_t>& x,
                                             const std::vector<std::uint32_t>& y) {
  const std::size_t n = x.size(), m = y.size(), width = m + 1;
  std::vector<std::uint16_t> longest((n + 1) * width, 0); // of x[i..] and y[j..]
  for (std::size_t i = n; i-- > 0;)
    for (std::size_t j = m; j-- > 0;)
      longest[i * width + j] =
          x[i] == y[j] ? static_cast<std::uint16_t>(longest[(i + 1) * width + j + 1] + 1)
                       : std::max(longest[(i + 1) * width + j], longest[i * width + j + 1]);
  std::vector<match> matches;
  for (std::size_t i = 0, j = 0; i < n && j < m;) {
    if (x[i] == y[j]) {
      matches.emplace_back(i++, j++);
    } else if (longest[(i + 1) * width + j] >= longest[i * width + j + 1]) {
      ++i;
    } else {
      ++j;
    }
  }
  return matches;
}

// Matched tokens in order: the common prefix, the middle's alignment (when
// the budget allows it), the common suffix.
inline std::vector<match> token_matches(std::string_view a, const std::vector<token>& ta,
                                        std::string_view b, const std::vector<token>& tb,
                                        alignment_budget& budget) {
  const auto [x, y] = interned(a, ta, b, tb);
  std::size_t head = 0, tail = 0;
  while (head < x.size() && head < y.size() && x[head] == y[head])
    ++head;
  while (tail < x.size() - head && tail < y.size() - head &&
         x[x.size() - 1 - tail] == y[y.size() - 1 - tail])
    ++tail;
  std::vector<match> matches;
  for (std::size_t i = 0; i < head; ++i)
    matches.emplace_back(i, i);
  const std::size_t n = x.size() - head - tail, m = y.size() - head - tail;
  const std::uint64_t cells = std::uint64_t{n + 1} * (m + 1);
  if (n && m && n <= alignment_budget::most_tokens && m <= alignment_budget::most_tokens &&
      cells <= budget.cells_left) {
    budget.cells_left -= cells;
    const std::vector<std::uint32_t> mx(x.begin() + head, x.begin() + head + n);
    const std::vector<std::uint32_t> my(y.begin() + head, y.begin() + head + m);
    for (const auto& [i, j] : common_subsequence(mx, my))
      matches.emplace_back(head + i, head + j);
  }
  for (std::size_t k = tail; k > 0; --k)
    matches.emplace_back(x.size() - k, y.size() - k);
  return matches;
}

} // namespace alignment

/// The parts of frames `a` and `b`, in order, covering both whole. Equal
/// frames give one part that does not differ (none when both are empty).
inline std::vector<aligned_part> align_frames(std::string_view a, std::string_view b,
                                              alignment_budget& budget) {
  using namespace alignment;
  const std::vector<token> ta = tokens_of(a), tb = tokens_of(b);
  const auto at_a = [&](std::size_t k) { return k < ta.size() ? ta[k].begin : a.size(); };
  const auto at_b = [&](std::size_t k) { return k < tb.size() ? tb[k].begin : b.size(); };
  std::vector<aligned_part> parts;
  std::size_t ia = 0, ib = 0; // the first tokens not yet in a part
  const auto differing_up_to = [&](std::size_t i, std::size_t j) {
    if (i > ia || j > ib) parts.push_back({true, at_a(ia), at_a(i), at_b(ib), at_b(j)});
  };
  for (const auto& [i, j] : token_matches(a, ta, b, tb, budget)) {
    differing_up_to(i, j);
    if (!parts.empty() && !parts.back().differs) {
      parts.back().a_end = ta[i].end;
      parts.back().b_end = tb[j].end;
    } else {
      parts.push_back({false, ta[i].begin, ta[i].end, tb[j].begin, tb[j].end});
    }
    ia = i + 1;
    ib = j + 1;
  }
  differing_up_to(ta.size(), tb.size());
  return parts;
}

} // namespace tcpcheck::detail
