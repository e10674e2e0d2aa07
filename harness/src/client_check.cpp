// A client under test as the target of the conformance matrix.
#include "tcpcheck/harness/client_check.hpp"

#include "tcpcheck/escape.hpp"
#include "tcpcheck/harness/datagram_oracles.hpp"

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

} // namespace

std::string with_port_as_placeholder(std::string text, std::uint16_t port) {
  if (port == 0) return text;
  const std::string digits = std::to_string(port);
  const auto is_digit = [&](std::size_t i) {
    return i < text.size() && text[i] >= '0' && text[i] <= '9';
  };
  for (std::size_t at = text.find(digits); at != std::string::npos;
       at = text.find(digits, at + 1)) {
    if ((at > 0 && is_digit(at - 1)) || is_digit(at + digits.size())) continue; // part of a number
    text.replace(at, digits.size(), "{port}");
  }
  return text;
}

std::string first_difference(const std::string& expected, const std::string& got) {
  const auto [e, g] = std::mismatch(expected.begin(), expected.end(), got.begin(), got.end());
  const auto at = static_cast<std::size_t>(e - expected.begin());
  const auto line = 1 + std::count(expected.begin(), e, '\n');
  return "at byte " + std::to_string(at) + " (line " + std::to_string(line) +
         "): the baseline printed " + line_excerpt(expected, at) + ", this run " +
         line_excerpt(got, static_cast<std::size_t>(g - got.begin()));
}

std::string client_target::differs_from_baseline(const check_case& c,
                                                 const client_outcome& played) {
  // Every case listens on a port of its own: a client that prints where it
  // connects prints "{port}" here, in every run alike.
  std::string output = with_port_as_placeholder(played.output, played.port);
  std::lock_guard lock(mutex_);
  // run_check runs the gate (segmentation/whole) before any other case,
  // and nothing else when it fails.
  if (c.id == baseline_id) {
    if (!baseline_output_) baseline_output_ = std::move(output);
    return {};
  }
  if (!baseline_output_)
    return "no baseline run to compare with (" + std::string(baseline_id) + ")";
  if (output != *baseline_output_)
    return "the client's output differs from the baseline's " +
           first_difference(*baseline_output_, output);
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
                               ? "; its resident memory peaked at " + mib_text(played.peak_rss_kib)
                               : std::string()));
  }
  verdict& v = played.result.outcome;
  if (c.truncation_probe && v.passed) {
    if (auto cut = truncated_in_output(*c.truncation_probe, played.output))
      fail_after_conversation(v, c.steps, *std::move(cut));
  }
  if (invariant && v.passed) {
    if (auto why = differs_from_baseline(c, played); !why.empty())
      fail_after_conversation(v, c.steps, std::move(why));
  } else if (invariant && played.start_error.empty() && c.id != baseline_id) {
    // A conversation that failed may also have changed what the client
    // printed: both are findings, and which one comes first is timing.
    if (auto why = differs_from_baseline(c, played); !why.empty())
      out.details.push_back("also: " + std::move(why));
  }
  out.result = std::move(played.result);
  out.death = std::move(played.death);
  return out;
}

} // namespace tcpcheck::harness
