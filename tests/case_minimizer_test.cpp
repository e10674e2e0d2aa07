// Tests for case_minimizer.hpp: steps dropped, raw sends shortened, cut pieces
// merged, the budget kept, and the liveness probe never touched, with
// synthetic "reproduces" predicates in place of a live server.
#include "tcpcheck/case_minimizer.hpp"

#include "tcpcheck/bytes.hpp"
#include "tcpcheck/conversation_mutator.hpp"
#include "tcpcheck/framing_spec.hpp"
#include "tcpcheck/script.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace tcpcheck {
namespace {

using test::script_of;
using test::spec_of;

using step_kind = script_step::kind;

// ---------------------------------------------------------------------------
// Helpers

// The baseline whose probe ends every case here. Its raw send is a trap: a
// minimizer that shortened or merged probe sends would change it.
const std::string_view baseline_text = R"(# checks: an echo, then a raw frame
framing len:u16be
timeout 1s

send "hello"
expect "ok:hello"
send raw "\0\x04zzzz"
sleep 1ms
send raw "\0\x02yy"
expect any
)";

std::vector<case_step> probe() {
  const script baseline = script_of(baseline_text);
  const conversation_mutator m(baseline, spec_of(*baseline.framing), {});
  return m.probe();
}

script_step raw(std::string_view bytes, const std::string& connection = "main") {
  script_step step;
  step.what = step_kind::send;
  step.connection = connection;
  step.raw = true;
  const byte_view view = as_bytes(bytes);
  step.payload.segments.push_back(
      script_text::segment::literal(byte_buffer(view.begin(), view.end())));
  return step;
}

script_step framed(std::string_view bytes) {
  script_step step = raw(bytes);
  step.raw = false;
  return step;
}

script_step expect_any(const std::string& connection = "main") {
  script_step step;
  step.what = step_kind::expect;
  step.connection = connection;
  expectation e;
  e.what = expectation::kind::any;
  step.alternatives.push_back(e);
  return step;
}

script_step sleep_for(duration d) {
  script_step step;
  step.what = step_kind::sleep;
  step.pause = d;
  return step;
}

// A case of `conversation` (mutated steps from baseline lines 10, 11, ...)
// followed by the probe.
fuzz_case case_of(const std::vector<script_step>& conversation) {
  fuzz_case c;
  c.seed = 7;
  c.index = 42;
  c.notes = {"synthetic"};
  std::size_t line = 10;
  for (const auto& step : conversation)
    c.steps.push_back({step, line++, true, false});
  for (auto& step : probe())
    c.steps.push_back(std::move(step));
  return c;
}

bool same_step(const case_step& a, const case_step& b) {
  return a.step == b.step && a.origin_line == b.origin_line && a.mutated == b.mutated &&
         a.probe == b.probe;
}

std::size_t conversation_size(const fuzz_case& c) {
  std::size_t n = 0;
  while (n < c.steps.size() && !c.steps[n].probe)
    ++n;
  return n;
}

// Whether `c` ends with exactly the probe steps of `original`, and has no
// other probe step.
bool keeps_probe(const fuzz_case& c, const fuzz_case& original) {
  const std::size_t mine = conversation_size(c);
  const std::size_t theirs = conversation_size(original);
  if (c.steps.size() - mine != original.steps.size() - theirs) return false;
  for (std::size_t k = 0; mine + k < c.steps.size(); ++k)
    if (!same_step(c.steps[mine + k], original.steps[theirs + k])) return false;
  return true;
}

// The bytes of the conversation's sends, in order.
std::vector<std::string> sends_of(const fuzz_case& c) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < conversation_size(c); ++i) {
    const script_step& s = c.steps[i].step;
    if (s.what != step_kind::send) continue;
    std::string bytes;
    for (const auto& seg : s.payload.segments)
      bytes += std::string(as_text(seg.bytes));
    out.push_back(bytes);
  }
  return out;
}

std::string dump(const fuzz_case& c) {
  std::ostringstream out;
  for (const auto& s : c.steps)
    out << "  " << (s.probe ? "P " : "  ") << to_string(s.step) << "\n";
  return out.str();
}

// Wraps a verdict: counts the calls and the calls whose probe differs from
// the original case's.
struct oracle {
  fuzz_case original;
  std::function<bool(const fuzz_case&)> verdict;
  std::size_t calls = 0;
  std::size_t probe_changed = 0;

  std::function<bool(const fuzz_case&)> reproduces() {
    return [this](const fuzz_case& c) {
      ++calls;
      if (!keeps_probe(c, original)) ++probe_changed;
      return verdict(c);
    };
  }
};

bool some_send_contains(const fuzz_case& c, std::string_view what) {
  const auto sends = sends_of(c);
  return std::any_of(sends.begin(), sends.end(),
                     [&](const std::string& s) { return s.find(what) != std::string::npos; });
}

// ---------------------------------------------------------------------------
// Steps and bytes

TEST(CaseMinimizer, ShortensTheOneNeededSendToTheBytesThatReproduce) {
  const fuzz_case found = case_of({raw("junk-one"), expect_any(), raw("abcDEADxyz"),
                                   sleep_for(duration(1)), raw("more junk"), expect_any()});
  ASSERT_EQ(conversation_size(found), 6u);
  oracle o{found, [](const fuzz_case& c) { return some_send_contains(c, "DEAD"); }};

  const minimize_result r = minimize_case(found, o.reproduces());

  ASSERT_EQ(conversation_size(r.smallest), 1u) << dump(r.smallest);
  EXPECT_EQ(r.smallest.steps.front().step, raw("DEAD")) << dump(r.smallest);
  EXPECT_TRUE(keeps_probe(r.smallest, found)) << dump(r.smallest);
  EXPECT_TRUE(r.smallest.steps.back().probe);
  EXPECT_EQ(o.probe_changed, 0u);
  EXPECT_EQ(r.trials, o.calls);
  EXPECT_LE(r.trials, minimize_options{}.budget);
  EXPECT_FALSE(r.exhausted);
  EXPECT_EQ(r.smallest.seed, found.seed);
  EXPECT_EQ(r.smallest.index, found.index);
}

TEST(CaseMinimizer, KeepsTwoSendsThatAreNeededTogetherAndDropsTheRest) {
  const fuzz_case found =
      case_of({raw("noise"), raw("--ALPHA--"), expect_any(), raw("x"), sleep_for(duration(5)),
               raw("OMEGA!"), expect_any(), raw("tail")});
  // ALPHA, then OMEGA in a later send.
  const auto verdict = [](const fuzz_case& c) {
    const auto sends = sends_of(c);
    for (std::size_t i = 0; i < sends.size(); ++i)
      if (sends[i].find("ALPHA") != std::string::npos)
        for (std::size_t j = i + 1; j < sends.size(); ++j)
          if (sends[j].find("OMEGA") != std::string::npos) return true;
    return false;
  };
  oracle o{found, verdict};

  const minimize_result r = minimize_case(found, o.reproduces());

  EXPECT_EQ(conversation_size(r.smallest), 2u) << dump(r.smallest);
  EXPECT_EQ(sends_of(r.smallest), (std::vector<std::string>{"ALPHA", "OMEGA"})) << dump(r.smallest);
  EXPECT_TRUE(keeps_probe(r.smallest, found)) << dump(r.smallest);
  EXPECT_EQ(o.probe_changed, 0u);
  EXPECT_FALSE(r.exhausted);
}

TEST(CaseMinimizer, LeavesTheBytesOfFramedSendsWhole) {
  const fuzz_case found = case_of({raw("junk"), framed("hello DEAD world"), expect_any()});
  oracle o{found, [](const fuzz_case& c) { return some_send_contains(c, "DEAD"); }};

  const minimize_result r = minimize_case(found, o.reproduces());

  ASSERT_EQ(conversation_size(r.smallest), 1u) << dump(r.smallest);
  EXPECT_EQ(r.smallest.steps.front().step, framed("hello DEAD world")) << dump(r.smallest);
  EXPECT_EQ(o.probe_changed, 0u);
}

TEST(CaseMinimizer, AnAlwaysTrueVerdictLeavesOnlyTheProbe) {
  const fuzz_case found = case_of({raw("a"), expect_any(), raw("bcd"), sleep_for(duration(1)),
                                   raw("ef", "b"), expect_any("b"), raw("g")});
  oracle o{found, [](const fuzz_case&) { return true; }};

  const minimize_result r = minimize_case(found, o.reproduces());

  EXPECT_EQ(conversation_size(r.smallest), 0u) << dump(r.smallest);
  EXPECT_TRUE(keeps_probe(r.smallest, found)) << dump(r.smallest);
  EXPECT_EQ(r.smallest.steps.size(), probe().size());
  EXPECT_EQ(o.probe_changed, 0u);
  EXPECT_FALSE(r.exhausted);
}

TEST(CaseMinimizer, MergesRawPiecesSeparatedByPauses) {
  const fuzz_case found = case_of({raw("AB"), sleep_for(duration(1)), raw("C"),
                                   sleep_for(duration(1)), raw("D"), expect_any()});
  // The stream must still carry ABCD, and the pieces must stay separated by
  // pauses (as a cut send is): dropping a pause alone does not reproduce,
  // only merging the pieces across it does.
  const auto verdict = [](const fuzz_case& c) {
    std::string stream;
    std::size_t sends = 0, sleeps = 0;
    for (std::size_t i = 0; i < conversation_size(c); ++i) {
      const script_step& s = c.steps[i].step;
      if (s.what == step_kind::sleep) ++sleeps;
      if (s.what != step_kind::send) continue;
      ++sends;
      for (const auto& seg : s.payload.segments)
        stream += std::string(as_text(seg.bytes));
    }
    return stream.find("ABCD") != std::string::npos && sends == sleeps + 1;
  };
  oracle o{found, verdict};
  ASSERT_TRUE(verdict(found));

  const minimize_result r = minimize_case(found, o.reproduces());

  ASSERT_EQ(conversation_size(r.smallest), 1u) << dump(r.smallest);
  EXPECT_EQ(sends_of(r.smallest), std::vector<std::string>{"ABCD"}) << dump(r.smallest);
  EXPECT_TRUE(r.smallest.steps.front().step.raw);
  EXPECT_TRUE(keeps_probe(r.smallest, found)) << dump(r.smallest);
  EXPECT_EQ(o.probe_changed, 0u);
}

TEST(CaseMinimizer, DoesNotMergePiecesOfDifferentConnections) {
  const fuzz_case found = case_of({raw("AB"), sleep_for(duration(1)), raw("CD", "b")});
  std::size_t merged = 0;
  oracle o{found, [&](const fuzz_case& c) {
             for (const auto& bytes : sends_of(c))
               if (bytes == "ABCD") ++merged;
             return false;
           }};

  const minimize_result r = minimize_case(found, o.reproduces());

  EXPECT_EQ(merged, 0u);
  EXPECT_EQ(conversation_size(r.smallest), 3u);
}

// ---------------------------------------------------------------------------
// The budget

TEST(CaseMinimizer, StopsAtTheBudgetAndSaysSo) {
  const fuzz_case found = case_of({raw("junk-one"), expect_any(), raw("abcDEADxyz"),
                                   sleep_for(duration(1)), raw("more junk"), expect_any()});
  for (const std::size_t budget : {1u, 5u, 17u}) {
    oracle o{found, [](const fuzz_case&) { return false; }};
    minimize_options options;
    options.budget = budget;

    const minimize_result r = minimize_case(found, o.reproduces(), options);

    EXPECT_EQ(o.calls, budget);
    EXPECT_EQ(r.trials, budget);
    EXPECT_TRUE(r.exhausted) << "budget " << budget;
    EXPECT_EQ(conversation_size(r.smallest), conversation_size(found));
    EXPECT_TRUE(keeps_probe(r.smallest, found));
  }
}

TEST(CaseMinimizer, KeepsWhatItFoundWhenTheBudgetRunsOut) {
  const fuzz_case found = case_of({raw("junk-one"), expect_any(), raw("abcDEADxyz"),
                                   sleep_for(duration(1)), raw("more junk"), expect_any()});
  oracle o{found, [](const fuzz_case& c) { return some_send_contains(c, "DEAD"); }};
  minimize_options options;
  options.budget = 4;

  const minimize_result r = minimize_case(found, o.reproduces(), options);

  EXPECT_EQ(r.trials, 4u);
  EXPECT_TRUE(r.exhausted);
  EXPECT_LT(conversation_size(r.smallest), conversation_size(found)) << dump(r.smallest);
  EXPECT_TRUE(some_send_contains(r.smallest, "DEAD")) << dump(r.smallest);
  EXPECT_TRUE(keeps_probe(r.smallest, found));
}

TEST(CaseMinimizer, ReachesAFixedPointWithinABudgetThatSuffices) {
  const fuzz_case found = case_of({raw("junk-one"), expect_any(), raw("abcDEADxyz")});
  oracle o{found, [](const fuzz_case&) { return false; }};
  minimize_options options;
  options.budget = 1000;

  const minimize_result r = minimize_case(found, o.reproduces(), options);

  EXPECT_LT(r.trials, 1000u);
  EXPECT_GT(r.trials, 0u);
  EXPECT_FALSE(r.exhausted);
  ASSERT_EQ(r.smallest.steps.size(), found.steps.size());
  for (std::size_t i = 0; i < found.steps.size(); ++i)
    EXPECT_TRUE(same_step(r.smallest.steps[i], found.steps[i])) << "step " << i;
}

TEST(CaseMinimizer, AZeroBudgetMakesNoCall) {
  const fuzz_case found = case_of({raw("abc")});
  oracle o{found, [](const fuzz_case&) { return true; }};
  minimize_options options;
  options.budget = 0;

  const minimize_result r = minimize_case(found, o.reproduces(), options);

  EXPECT_EQ(o.calls, 0u);
  EXPECT_EQ(r.trials, 0u);
  EXPECT_TRUE(r.exhausted);
  EXPECT_EQ(conversation_size(r.smallest), 1u);
}

// ---------------------------------------------------------------------------
// The probe, on real fuzz cases

TEST(CaseMinimizer, NeverCallsTheVerdictWithAChangedProbe) {
  const script baseline = script_of(baseline_text);
  const conversation_mutator m(baseline, spec_of(*baseline.framing), {});
  std::size_t shrunk = 0;
  for (std::uint64_t n = 0; n < 60; ++n) {
    const fuzz_case found = m.make(3, n);
    // An arbitrary but deterministic verdict that accepts about half the
    // candidates, and the case found itself.
    const auto verdict = [&found](const fuzz_case& c) {
      if (c.steps.size() == found.steps.size()) return true;
      std::string text;
      for (const auto& s : c.steps)
        text += to_string(s.step) + "\n";
      return std::hash<std::string>{}(text) % 2 == 0;
    };
    oracle o{found, verdict};
    minimize_options options;
    options.budget = 80;

    const minimize_result r = minimize_case(found, o.reproduces(), options);

    EXPECT_EQ(o.probe_changed, 0u) << "case " << n;
    EXPECT_TRUE(keeps_probe(r.smallest, found)) << "case " << n << "\n" << dump(r.smallest);
    EXPECT_TRUE(verdict(r.smallest)) << "case " << n << ": the result does not reproduce";
    EXPECT_LE(r.trials, options.budget);
    if (r.smallest.steps.size() < found.steps.size()) ++shrunk;
  }
  EXPECT_GT(shrunk, 0u);
}

} // namespace
} // namespace tcpcheck
