// A client under test as the target of the conformance matrix.
#include "tcpcheck/harness/client_check.hpp"

#include "tcpcheck/escape.hpp"

#include <algorithm>

namespace tcpcheck::harness {

namespace {

// Characters of a line shown on each side of a difference.
constexpr std::size_t excerpt_chars = 60;

std::string line_excerpt(const std::string& text, std::size_t at) {
  const std::size_t begin = at == 0 ? 0 : text.rfind('\n', at - 1);
  const std::size_t from = begin == std::string::npos || at == 0 ? 0 : begin + 1;
  const std::size_t end = std::min(text.find('\n', at), text.size());
  const std::size_t start = std::max(from, at > excerpt_chars ? at - excerpt_chars : 0);
  const std::string line = text.substr(start, std::min(end - start, 2 * excerpt_chars));
  if (line.empty() && at >= text.size()) return "(nothing more)";
  return "\"" + escape(as_bytes(line)) + "\"";
}

std::string kib_text(std::size_t kib) {
  return std::to_string((kib + 1023) / 1024) + " MiB";
}

} // namespace

std::string first_difference(const std::string& expected, const std::string& got) {
  const auto [e, g] = std::mismatch(expected.begin(), expected.end(), got.begin(), got.end());
  const auto at = static_cast<std::size_t>(e - expected.begin());
  const auto line = 1 + std::count(expected.begin(), e, '\n');
  return "at byte " + std::to_string(at) + " (line " + std::to_string(line) +
         "): the baseline printed " + line_excerpt(expected, at) + ", this run " +
         line_excerpt(got, static_cast<std::size_t>(g - got.begin()));
}

std::string client_target::differs_from_baseline(const client_outcome& played) {
  std::lock_guard lock(mutex_);
  if (!baseline_) {
    baseline_ = reference{played.ended, played.output};
    return {};
  }
  if (played.ended != baseline_->ended)
    return "the client " + played.ended + ", but " + baseline_->ended + " in the baseline";
  if (played.output != baseline_->output)
    return "the client's output differs from the baseline's " +
           first_difference(baseline_->output, played.output);
  return {};
}

played_case client_target::play(const check_case& c, const framing_spec& spec,
                                const run_options& options) {
  const bool invariant = c.oracle == client_oracle::same_as_baseline;
  auto played = play_client(where(), argv_, c.steps, spec, c.plan, options, limits_,
                            invariant ? client_ending::succeeds : client_ending::ends);
  played_case out;
  if (!played.start_error.empty()) {
    played.result.unreachable = true;
    played.result.outcome.passed = false;
    played.result.outcome.reason = "cannot start the client: " + played.start_error;
  } else {
    // (A client that ends within the first poll is never sampled.)
    out.details.push_back("the client " + played.ended + ", having printed " +
                          std::to_string(played.output.size()) + " bytes" +
                          (played.peak_rss_kib
                               ? "; its resident memory peaked at " + kib_text(played.peak_rss_kib)
                               : std::string()));
  }
  verdict& v = played.result.outcome;
  if (invariant && v.passed)
    if (auto why = differs_from_baseline(played); !why.empty())
      fail_after_conversation(v, c.steps, std::move(why));
  out.result = std::move(played.result);
  out.death = std::move(played.death);
  return out;
}

} // namespace tcpcheck::harness
