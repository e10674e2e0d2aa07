// Delta debugging of fuzz cases (after Zeller's ddmin), over steps and bytes.
#include "tcpcheck/case_minimizer.hpp"

#include <algorithm>
#include <utility>

namespace tcpcheck {

namespace {

using step_kind = script_step::kind;

class minimizer {
public:
  minimizer(fuzz_case c, const std::function<bool(const fuzz_case&)>& reproduces,
            const minimize_options& options)
      : best_(std::move(c)), reproduces_(reproduces), options_(options) {}

  minimize_result run() {
    for (bool changed = true; changed && !out_of_budget();) {
      changed = drop_steps();
      changed |= shorten_sends();
      changed |= merge_pieces();
    }
    return {std::move(best_), trials_, out_of_budget()};
  }

private:
  bool out_of_budget() const { return trials_ >= options_.budget; }

  bool attempt(const fuzz_case& candidate) {
    if (out_of_budget()) return false;
    ++trials_;
    if (!reproduces_(candidate)) return false;
    best_ = candidate;
    return true;
  }

  std::size_t conversation_size() const {
    std::size_t n = 0;
    while (n < best_.steps.size() && !best_.steps[n].probe)
      ++n;
    return n;
  }

  // The conversation's steps minimizing may remove: not the settling
  // half-close and last read, which give the server its moment.
  std::vector<std::size_t> removable() const {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < conversation_size(); ++i)
      if (!best_.steps[i].settles) out.push_back(i);
    return out;
  }

  // ddmin over the removable steps: remove chunks of a shrinking size.
  bool drop_steps() {
    bool changed = false;
    for (std::size_t chunks = 2;;) {
      const std::size_t size = removable().size();
      if (size == 0 || out_of_budget()) break;
      chunks = std::min(chunks, size);
      const std::size_t chunk = (size + chunks - 1) / chunks;
      bool removed = false;
      for (std::size_t start = 0; !out_of_budget();) {
        const auto candidates = removable();
        if (start >= candidates.size()) break;
        const std::size_t end = std::min(start + chunk, candidates.size());
        fuzz_case candidate = best_;
        for (std::size_t k = end; k-- > start;)
          candidate.steps.erase(candidate.steps.begin() +
                                static_cast<std::ptrdiff_t>(candidates[k]));
        if (attempt(candidate)) {
          removed = changed = true; // the same start now holds the next chunk
        } else {
          start = end;
        }
      }
      if (removed) {
        chunks = std::max<std::size_t>(chunks - 1, 2);
        continue;
      }
      if (chunk == 1) break;
      chunks *= 2;
    }
    return changed;
  }

  static bool is_raw_send(const case_step& s) {
    return !s.probe && s.step.what == step_kind::send && s.step.raw && s.step.payload.is_literal();
  }

  static byte_buffer& bytes_of(case_step& s) {
    auto& segments = s.step.payload.segments;
    if (segments.size() != 1) {
      byte_buffer all;
      for (auto& seg : segments)
        all.insert(all.end(), seg.bytes.begin(), seg.bytes.end());
      segments.assign(1, script_text::segment::literal(std::move(all)));
    }
    return segments.front().bytes;
  }

  // For each raw send, remove byte ranges of a shrinking size.
  bool shorten_sends() {
    bool changed = false;
    for (std::size_t i = 0; i < conversation_size() && !out_of_budget(); ++i) {
      if (!is_raw_send(best_.steps[i])) continue;
      for (std::size_t piece = std::max<std::size_t>(1, bytes_of(best_.steps[i]).size() / 2);
           piece >= 1 && !out_of_budget(); piece /= 2) {
        for (std::size_t at = 0; at < bytes_of(best_.steps[i]).size() && !out_of_budget();) {
          fuzz_case candidate = best_;
          byte_buffer& bytes = bytes_of(candidate.steps[i]);
          if (bytes.size() <= 1) break;
          const std::size_t end = std::min(at + piece, bytes.size());
          if (end - at >= bytes.size()) break; // a send keeps at least one byte
          bytes.erase(bytes.begin() + static_cast<std::ptrdiff_t>(at),
                      bytes.begin() + static_cast<std::ptrdiff_t>(end));
          if (attempt(candidate))
            changed = true;
          else
            at = end;
        }
        if (piece == 1) break;
      }
    }
    return changed;
  }

  // Two raw sends on one connection with at most a pause between: one send.
  bool merge_pieces() {
    bool changed = false;
    for (std::size_t i = 0; i + 1 < conversation_size() && !out_of_budget(); ++i) {
      if (!is_raw_send(best_.steps[i])) continue;
      std::size_t j = i + 1;
      if (j < conversation_size() && best_.steps[j].step.what == step_kind::sleep) ++j;
      if (j >= conversation_size() || !is_raw_send(best_.steps[j]) ||
          best_.steps[j].step.connection != best_.steps[i].step.connection)
        continue;
      fuzz_case candidate = best_;
      byte_buffer tail = bytes_of(candidate.steps[j]);
      byte_buffer& head = bytes_of(candidate.steps[i]);
      head.insert(head.end(), tail.begin(), tail.end());
      candidate.steps.erase(candidate.steps.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                            candidate.steps.begin() + static_cast<std::ptrdiff_t>(j) + 1);
      if (attempt(candidate)) changed = true;
    }
    return changed;
  }

  fuzz_case best_;
  const std::function<bool(const fuzz_case&)>& reproduces_;
  const minimize_options& options_;
  std::size_t trials_ = 0;
};

} // namespace

minimize_result minimize_case(const fuzz_case& found,
                              const std::function<bool(const fuzz_case&)>& reproduces,
                              const minimize_options& options) {
  return minimizer(found, reproduces, options).run();
}

} // namespace tcpcheck
