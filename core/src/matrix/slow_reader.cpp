// The slow reader's script (slow_reader.hpp).
#include "slow_reader.hpp"

#include <algorithm>
#include <chrono>
#include <string_view>

#include "matrix_steps.hpp"

namespace tcpcheck::detail {

namespace {

using step_kind = script_step::kind;

// Main's send of `text` and the expect, with its alternative, that repeats it.
struct echo {
  std::size_t send = 0;
  std::size_t expect = 0;
  std::size_t alternative = 0;
  byte_buffer text;
  byte_buffer answer;
};

// Where `part` first lies in `whole`, or whole.end().
byte_buffer::const_iterator find(const byte_buffer& whole, const byte_buffer& part) {
  return std::search(whole.begin(), whole.end(), part.begin(), part.end());
}

// Of the alternatives of `step`, the first literal one that holds `text`.
std::optional<std::size_t> repeating(const script_step& step, const byte_buffer& text,
                                     byte_buffer& answer) {
  using k = expectation::kind;
  for (std::size_t a = 0; a < step.alternatives.size(); ++a) {
    const expectation& e = step.alternatives[a];
    if ((e.what != k::exact && e.what != k::prefix && e.what != k::contains) || !e.fields.empty())
      continue;
    auto literal = literal_payload(e.text);
    if (literal && find(*literal, text) != literal->end()) {
      answer = std::move(*literal);
      return a;
    }
  }
  return std::nullopt;
}

// Texts shorter than this are too likely to appear in an answer by chance.
constexpr std::size_t shortest_echo = 3;

std::optional<echo> first_echo(const script& baseline) {
  const auto& steps = baseline.steps;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const script_step& send = steps[i];
    if (send.connection != "main" || send.what != step_kind::send || send.raw ||
        !send.fields.empty())
      continue;
    auto text = literal_payload(send.payload);
    if (!text || text->size() < shortest_echo) continue;
    for (std::size_t j = i + 1; j < steps.size(); ++j) {
      const script_step& next = steps[j];
      if (next.connection != "main" ||
          (next.what != step_kind::send && next.what != step_kind::expect))
        continue;
      if (next.what == step_kind::send) break;
      byte_buffer answer;
      if (auto a = repeating(next, *text, answer)) return echo{i, j, *a, *text, std::move(answer)};
      break; // only the send's own answer
    }
  }
  return std::nullopt;
}

// `size` bytes of a pattern that shows where a piece went missing.
byte_buffer filler(std::size_t size) {
  constexpr std::string_view pattern = "0123456789abcdefghijklmnopqrstuv";
  byte_buffer out(size);
  for (std::size_t i = 0; i < size; ++i)
    out[i] = static_cast<std::uint8_t>(pattern[i % pattern.size()]);
  return out;
}

bool breaks_frames(const byte_buffer& text, const framing_spec& spec) {
  return std::any_of(spec.delimiters.begin(), spec.delimiters.end(),
                     [&](const byte_buffer& d) { return find(text, d) != text.end(); }) ||
         (spec.kind == framing_kind::line && std::count(text.begin(), text.end(), '\n') != 0);
}

script_text literal_text(byte_buffer bytes) {
  script_text t;
  t.segments.push_back(script_text::segment::literal(std::move(bytes)));
  return t;
}

bool fits(const script& baseline, const framing_spec& spec) {
  const bool frames_of_their_own =
      spec.kind != framing_kind::raw && spec.kind != framing_kind::fixed && spec.fields.empty();
  return frames_of_their_own &&
         std::none_of(baseline.steps.begin(), baseline.steps.end(),
                      [](const script_step& s) { return s.what == step_kind::framing; });
}

// What the case makes of the baseline: its echo, the text's new size and
// how many times it is sent.
struct plan {
  echo e;
  std::size_t size = 0;
  std::size_t times = 0;
};

std::optional<plan> plan_of(const script& baseline, const framing_spec& spec) {
  if (!fits(baseline, spec)) return std::nullopt;
  auto e = first_echo(baseline);
  if (!e) return std::nullopt;
  // Room for the header or delimiter, whatever `max` counts.
  constexpr std::uint64_t margin = 64;
  const std::size_t extra = e->answer.size() - e->text.size();
  if (spec.max < extra + margin + slow_reader_limits::smallest_text) return std::nullopt;
  const auto size = static_cast<std::size_t>(
      std::min<std::uint64_t>(slow_reader_limits::total_bytes, spec.max - extra - margin));
  // The pattern repeats: a delimiter it holds shows within its first 4 KiB.
  if (breaks_frames(filler(std::min<std::size_t>(size, 4096)), spec)) return std::nullopt;
  const std::size_t times =
      std::max<std::size_t>(1, slow_reader_limits::total_bytes / (size + extra));
  return plan{std::move(*e), size, times};
}

// The answer to `grown` where the baseline's answer repeats the text.
expectation grown_answer(const script_step& expect, const echo& e, const byte_buffer& grown) {
  expectation answer = expect.alternatives[e.alternative];
  byte_buffer bytes = e.answer;
  const auto at = find(bytes, e.text) - bytes.begin();
  bytes.erase(bytes.begin() + at, bytes.begin() + at + static_cast<std::ptrdiff_t>(e.text.size()));
  bytes.insert(bytes.begin() + at, grown.begin(), grown.end());
  answer.text = literal_text(std::move(bytes));
  return answer;
}

} // namespace

std::optional<slow_reader_shape> slow_reader_shape_of(const script& baseline,
                                                      const framing_spec& spec) {
  const auto p = plan_of(baseline, spec);
  if (!p) return std::nullopt;
  return slow_reader_shape{baseline.steps[p->e.send].line, p->size, p->times};
}

std::optional<script> slow_reader_script(const script& baseline, const framing_spec& spec,
                                         const std::vector<script_step>& then) {
  const auto p = plan_of(baseline, spec);
  if (!p) return std::nullopt;
  const echo& e = p->e;
  const byte_buffer grown = filler(p->size);
  const auto& steps = baseline.steps;
  script_step send = steps[e.send];
  send.payload = literal_text(grown);
  // A server may refuse frames this large (its own limit is lower): it
  // closes or resets, and the probe after says whether it still serves.
  script_step expect = steps[e.expect];
  expect.alternatives = {grown_answer(expect, e, grown), outcome(expectation::kind::close),
                         outcome(expectation::kind::reset)};
  // Read slowly, an answer takes a while; a server that lost bytes is
  // caught by what comes, not by the wait.
  expect.within =
      std::max(expect.within.value_or(baseline.timeout.value_or(duration{5000})), duration{5000});

  const auto at = [&](std::size_t k) { return steps.begin() + static_cast<std::ptrdiff_t>(k); };
  script s = baseline;
  s.steps.assign(steps.begin(), at(e.send));
  s.steps.insert(s.steps.end(), p->times, send);
  s.steps.insert(s.steps.end(), at(e.send + 1), at(e.expect));
  s.steps.insert(s.steps.end(), p->times, expect);
  s.steps.insert(s.steps.end(), then.begin(), then.end());
  return s;
}

} // namespace tcpcheck::detail
