// Shrinking counterexamples and printing them for people.
#include "tcpcheck/testing/counterexample.hpp"

#include "tcpcheck/escape.hpp"

#include <algorithm>

namespace tcpcheck::testing {

namespace {

// Counts the tries and the bytes they decode, so shrinking ends in bounded
// time for a slow decoder or a stream of megabytes (a limit check's).
class shrinker {
public:
  shrinker(const failure_test& fails, std::size_t budget) : fails_(fails), tries_left_(budget) {}

  bool exhausted() const noexcept { return tries_left_ == 0 || bytes_left_ == 0; }

  bool still_fails(const counterexample& candidate) {
    if (exhausted()) return false;
    --tries_left_;
    bytes_left_ -= std::min(bytes_left_, candidate.stream.size());
    return fails_(candidate.stream, candidate.cuts);
  }

private:
  const failure_test& fails_;
  std::size_t tries_left_;
  std::size_t bytes_left_ = std::size_t{256} << 20;
};

// One pass of delta debugging over the items `size` counts (cuts, or
// bytes): removes runs of them, long runs first, keeping each removal after
// which the example still fails.
template <class Size, class Without>
bool drop_runs(counterexample& example, shrinker& s, Size size, Without without) {
  bool changed = false;
  for (std::size_t run = std::max<std::size_t>(1, size(example) / 2); run >= 1; run /= 2) {
    for (std::size_t i = 0; i < size(example) && !s.exhausted();) {
      counterexample candidate = without(example, i, std::min(size(example), i + run));
      if (s.still_fails(candidate)) {
        example = std::move(candidate);
        changed = true;
      } else {
        i += run;
      }
    }
  }
  return changed;
}

counterexample without_cuts(const counterexample& example, std::size_t from, std::size_t to) {
  counterexample out = example;
  out.cuts.erase(out.cuts.begin() + static_cast<std::ptrdiff_t>(from),
                 out.cuts.begin() + static_cast<std::ptrdiff_t>(to));
  return out;
}

// The example without bytes [from, to): cuts past them move back, cuts
// inside them land on `from`, and cuts that no longer split anything go.
counterexample without_bytes(const counterexample& example, std::size_t from, std::size_t to) {
  counterexample out;
  out.stream = example.stream;
  out.stream.erase(out.stream.begin() + static_cast<std::ptrdiff_t>(from),
                   out.stream.begin() + static_cast<std::ptrdiff_t>(to));
  for (std::size_t cut : example.cuts) {
    if (cut >= to)
      cut -= to - from;
    else if (cut > from)
      cut = from;
    if (cut > 0 && cut < out.stream.size() && (out.cuts.empty() || out.cuts.back() < cut))
      out.cuts.push_back(cut);
  }
  return out;
}

std::string shown(byte_view bytes, std::size_t most) {
  const std::size_t n = std::min(most, bytes.size());
  std::string out = '"' + escape(bytes.first(n), "\"") + '"';
  if (n < bytes.size()) out += " ... and " + std::to_string(bytes.size() - n) + " more bytes";
  return out;
}

} // namespace

counterexample shrink(counterexample found, const failure_test& fails, shrink_scope scope,
                      std::size_t budget) {
  shrinker s(fails, budget);
  for (bool changed = true; changed && !s.exhausted();) {
    const auto cuts = [](const counterexample& e) { return e.cuts.size(); };
    const auto bytes = [](const counterexample& e) { return e.stream.size(); };
    changed = drop_runs(found, s, cuts, without_cuts);
    if (scope == shrink_scope::cuts_and_input)
      changed = drop_runs(found, s, bytes, without_bytes) || changed;
  }
  return found;
}

std::string describe(const counterexample& example) {
  constexpr std::size_t most_shown = 256; // bytes of input printed
  constexpr std::size_t most_hex = 64;    // inputs up to this size also in hex
  const byte_view stream(example.stream);
  std::string out =
      "input (" + std::to_string(stream.size()) + " bytes): " + shown(stream, most_shown);
  if (stream.size() <= most_hex) out += " (hex " + to_hex(stream) + ')';
  out += '\n';
  if (example.cuts.empty()) return out + "fed whole\n";
  out += "cut at";
  for (std::size_t i = 0; i < example.cuts.size(); ++i)
    out += (i == 0 ? " " : ", ") + std::to_string(example.cuts[i]);
  out += ':';
  std::size_t from = 0;
  for (std::size_t i = 0; i <= example.cuts.size(); ++i) {
    const std::size_t to = i < example.cuts.size() ? example.cuts[i] : stream.size();
    out += (i == 0 ? " " : " | ");
    if (stream.size() <= most_shown)
      out += shown(stream.subspan(from, to - from), most_shown);
    else
      out += std::to_string(to - from) + " bytes";
    from = to;
  }
  return out + '\n';
}

} // namespace tcpcheck::testing
