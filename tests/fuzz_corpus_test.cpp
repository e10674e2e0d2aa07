// Tests for fuzzing/fuzz_corpus.hpp: entries, scheduling by rarity, size and
// times chosen, the minimal cover, entries saved and loaded as scripts; and
// the cases conversation_mutator grows from corpus entries (a parent, a
// donor, learned words), which the corpus exists to feed.
#include "tcpcheck/fuzzing/fuzz_corpus.hpp"

#include "tcpcheck/bytes.hpp"
#include "tcpcheck/conversation_mutator.hpp"
#include "tcpcheck/framing_spec.hpp"
#include "tcpcheck/fuzzing/feature_set.hpp"
#include "tcpcheck/script.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace tcpcheck {
namespace {

using test::bytes_of;
using test::contains;
using test::literal_of;
using test::script_of;
using test::spec_of;

using step_kind = script_step::kind;
using expect_kind = expectation::kind;

// ---------------------------------------------------------------------------
// Helpers

// A send on main of `payload`, framed.
script_step send_of(std::string_view payload, std::string connection = "main") {
  script_step step;
  step.what = step_kind::send;
  step.connection = std::move(connection);
  step.payload.segments.push_back(script_text::segment::literal(bytes_of(payload)));
  return step;
}

// A conversation of one send of `size` bytes.
fuzz_case case_sending(std::size_t size) {
  fuzz_case c;
  c.steps.push_back({send_of(std::string(size, 'x')), 1, false, false});
  return c;
}

corpus_entry entry_of(std::vector<feature> features, std::size_t size = 10,
                      std::uint64_t times_chosen = 0) {
  corpus_entry e;
  e.conversation = case_sending(size);
  e.features = std::move(features);
  e.times_chosen = times_chosen;
  e.origin = "test";
  return e;
}

// splitmix64: the fixed sequence of "uniform random numbers" the scheduling
// tests draw with.
class numbers {
public:
  explicit numbers(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

private:
  std::uint64_t state_;
};

// How often each entry is chosen in `draws` choices.
std::vector<std::size_t> choices(fuzz_corpus& corpus, std::size_t draws, std::uint64_t seed = 7) {
  numbers random(seed);
  std::vector<std::size_t> count(corpus.size(), 0);
  for (std::size_t k = 0; k < draws; ++k)
    ++count.at(corpus.choose(random.next()));
  return count;
}

std::string counts_text(const std::vector<std::size_t>& count) {
  std::string out;
  for (const auto n : count)
    out += (out.empty() ? "" : ", ") + std::to_string(n);
  return "chosen: " + out;
}

// A step with its line dropped and its payload's literal bytes in one
// segment (the parser gives `send raw ""` no segment at all).
script_step normalized(script_step step) {
  step.line = 0;
  std::vector<script_text::segment> segments;
  for (auto& seg : step.payload.segments) {
    if (seg.is_variable) {
      segments.push_back(std::move(seg));
    } else if (!seg.bytes.empty()) {
      if (segments.empty() || segments.back().is_variable)
        segments.push_back(script_text::segment::literal({}));
      segments.back().bytes.insert(segments.back().bytes.end(), seg.bytes.begin(), seg.bytes.end());
    }
  }
  step.payload.segments = std::move(segments);
  return step;
}

bool is_relaxed(const script_step& s) {
  return s.what == step_kind::expect && s.alternatives.size() > 1 &&
         std::any_of(s.alternatives.begin(), s.alternatives.end(),
                     [](const expectation& e) { return e.what == expect_kind::any; });
}

// The case for people: its notes, then its steps with their flags.
std::string dump(const fuzz_case& c) {
  std::ostringstream out;
  out << "case " << c.index << " of seed " << c.seed << "\n";
  for (const auto& note : c.notes)
    out << "  note: " << note << "\n";
  for (const auto& s : c.steps)
    out << "  " << (s.probe ? "P" : " ") << (s.mutated ? "M" : " ") << (s.settles ? "S" : " ")
        << " origin " << s.origin_line << ": " << to_string(s.step) << "\n";
  return out.str();
}

bool same_case(const fuzz_case& a, const fuzz_case& b) {
  if (a.seed != b.seed || a.index != b.index || a.notes != b.notes ||
      a.steps.size() != b.steps.size())
    return false;
  for (std::size_t i = 0; i < a.steps.size(); ++i)
    if (a.steps[i].step != b.steps[i].step || a.steps[i].origin_line != b.steps[i].origin_line ||
        a.steps[i].mutated != b.steps[i].mutated || a.steps[i].probe != b.steps[i].probe ||
        a.steps[i].settles != b.steps[i].settles)
      return false;
  return true;
}

// The steps before the probe.
std::vector<case_step> conversation_of(const fuzz_case& c) {
  std::vector<case_step> out;
  for (const auto& s : c.steps) {
    if (s.probe) break;
    out.push_back(s);
  }
  return out;
}

// Whether a send before the probe holds `needle`.
bool sends_hold(const fuzz_case& c, const byte_buffer& needle) {
  for (const auto& s : conversation_of(c))
    if (s.step.what == step_kind::send && contains(literal_of(s.step.payload), needle)) return true;
  return false;
}

// Whether `c` converts to a script that parses.
::testing::AssertionResult converts(const fuzz_case& c, const script& baseline) {
  if (try_to_script(c, baseline)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "does not convert to a script:\n" << dump(c);
}

// Baselines without captures: one connection with a length prefix, and two
// line-framed connections that both expect replies to the end.
const std::string_view u16_text = R"(# checks: a greeting, two echoes and bye
framing len:u16be
timeout 2s

expect "ready"
send "hello"
expect "ok:hello"
send "world"
expect "ok:world"
send "bye"
expect "bye"
expect close
)";

const std::string_view two_connections_text = R"(# checks: two clients get their own keys
framing line
timeout 1s

expect "hi"
send "GET a"
expect "A"
b: connect
b: expect "hi"
b: send "GET b"
b: expect "B"
send "QUIT"
expect "bye"
)";

constexpr std::uint64_t seed = 20240611;
constexpr duration quiet{25}; // mutator_options' default

// ---------------------------------------------------------------------------
// bytes_sent and without_probe

TEST(BytesSent, CountsThePayloadBytesOfTheSendsBeforeTheProbe) {
  fuzz_case c;
  c.steps.push_back({send_of("hello"), 1, false, false});
  c.steps.push_back({relaxed_expect("main", quiet), 0, true, false});
  c.steps.push_back({send_of("abc", "b"), 2, false, false});
  c.steps.push_back({send_of("probe bytes", "probe"), 0, false, true});
  EXPECT_EQ(bytes_sent(c), 8u);
  EXPECT_EQ(bytes_sent(fuzz_case{}), 0u);
}

TEST(WithoutProbe, DropsTheProbesStepsAndKeepsTheRestInOrder) {
  const script baseline = script_of(u16_text);
  const conversation_mutator m(baseline, spec_of(baseline), {});
  for (std::uint64_t n = 0; n < 50; ++n) {
    const fuzz_case c = m.make(seed, n);
    const fuzz_case without = without_probe(c);
    const auto conversation = conversation_of(c);
    ASSERT_EQ(without.steps.size(), conversation.size()) << dump(c);
    for (std::size_t i = 0; i < conversation.size(); ++i)
      EXPECT_EQ(without.steps[i].step, conversation[i].step) << i << "\n" << dump(c);
    EXPECT_EQ(without.notes, c.notes);
    EXPECT_EQ(without.index, c.index);
  }
}

// ---------------------------------------------------------------------------
// fuzz_corpus: entries

TEST(FuzzCorpus, StartsEmptyAndGrowsByOnePerEntry) {
  fuzz_corpus corpus;
  EXPECT_TRUE(corpus.empty());
  EXPECT_EQ(corpus.size(), 0u);
  corpus.add(entry_of({1, 2}));
  corpus.add(entry_of({3}, 20));
  EXPECT_FALSE(corpus.empty());
  ASSERT_EQ(corpus.size(), 2u);
  ASSERT_EQ(corpus.entries().size(), 2u);
  EXPECT_EQ(corpus[0].features, (std::vector<feature>{1, 2}));
  EXPECT_EQ(corpus[1].features, (std::vector<feature>{3}));
  EXPECT_EQ(bytes_sent(corpus[1].conversation), 20u);
  EXPECT_EQ(&corpus.entries()[1], &corpus[1]);
}

TEST(FuzzCorpus, KeepsAnEntrysFeaturesSortedAndUnique) {
  fuzz_corpus corpus;
  corpus.add(entry_of({9, 3, 7, 3, 9, 1}));
  EXPECT_EQ(corpus[0].features, (std::vector<feature>{1, 3, 7, 9}));
}

// ---------------------------------------------------------------------------
// fuzz_corpus: choose

TEST(FuzzCorpus, ChoosesOnlyEntriesItHolds) {
  fuzz_corpus corpus;
  for (feature f = 0; f < 5; ++f)
    corpus.add(entry_of({f}, 10 * f));
  numbers random(1);
  for (int k = 0; k < 10000; ++k)
    ASSERT_LT(corpus.choose(random.next()), corpus.size());
}

TEST(FuzzCorpus, CountsTheTimesEachEntryIsChosen) {
  fuzz_corpus corpus;
  corpus.add(entry_of({1}));
  corpus.add(entry_of({2}));
  corpus.add(entry_of({3}, 10, 5));
  numbers random(3);
  std::vector<std::uint64_t> expected = {0, 0, 5};
  for (int k = 0; k < 1000; ++k) {
    const std::size_t i = corpus.choose(random.next());
    ++expected.at(i);
    for (std::size_t j = 0; j < corpus.size(); ++j)
      ASSERT_EQ(corpus[j].times_chosen, expected[j]) << "after choice " << k << " of " << i;
  }
}

TEST(FuzzCorpus, ChoosesTheFirstEntryForZeroAndTheLastForTheLargestNumber) {
  fuzz_corpus corpus;
  corpus.add(entry_of({1}));
  corpus.add(entry_of({2}));
  corpus.add(entry_of({3}));
  EXPECT_EQ(corpus.choose(0), 0u);
  EXPECT_EQ(corpus.choose(UINT64_MAX), 2u);
  // An entry added is weighed at the next choice (UINT64_MAX % 64 != 0:
  // only the addition makes the weights stale).
  corpus.add(entry_of({4}));
  EXPECT_EQ(corpus.choose(UINT64_MAX), 3u);
}

// With every entry chosen a million times already, the choices made here
// barely change sqrt(1 + times chosen): entries are chosen in proportion to
// the rest of their weight.
constexpr std::uint64_t chosen_often = 1'000'000;

TEST(FuzzCorpus, FavoursAnEntryWithARareFeatureOverOnesWhoseFeatureManyHold) {
  fuzz_corpus corpus;
  corpus.add(entry_of({100, 1}, 10, chosen_often)); // 1 is its own
  for (int k = 0; k < 8; ++k)
    corpus.add(entry_of({100}, 10, chosen_often)); // 100 is held by all nine
  const auto count = choices(corpus, 40000);
  // Weights: (1 + 1/1 + 1/9) against (1 + 1/9): 1.9 times as often.
  const double expected = (1 + 1.0 + 1.0 / 9) / (1 + 1.0 / 9);
  for (std::size_t i = 1; i < count.size(); ++i) {
    const double ratio = static_cast<double>(count[0]) / static_cast<double>(count[i]);
    EXPECT_GT(ratio, expected * 0.85) << "entry " << i << ", " << counts_text(count);
    EXPECT_LT(ratio, expected * 1.15) << "entry " << i << ", " << counts_text(count);
  }
}

TEST(FuzzCorpus, FavoursAnEntryWhoseFeaturesFewHold) {
  // Features held by one, two and four entries, one feature each.
  fuzz_corpus corpus;
  corpus.add(entry_of({1}, 10, chosen_often));
  corpus.add(entry_of({2}, 10, chosen_often));
  corpus.add(entry_of({2}, 10, chosen_often));
  for (int k = 0; k < 4; ++k)
    corpus.add(entry_of({4}, 10, chosen_often));
  const auto count = choices(corpus, 40000);
  EXPECT_GT(count[0], count[1]) << counts_text(count);
  EXPECT_GT(count[0], count[2]) << counts_text(count);
  for (std::size_t i = 3; i < count.size(); ++i) {
    EXPECT_GT(count[1], count[i]) << counts_text(count);
    EXPECT_GT(count[2], count[i]) << counts_text(count);
  }
}

TEST(FuzzCorpus, FavoursASmallEntryOverALargeOneWithAsRareFeatures) {
  fuzz_corpus corpus;
  corpus.add(entry_of({1}, 2560, chosen_often)); // 1 + 2560/256 = 11
  corpus.add(entry_of({2}, 16, chosen_often));   // 1 + 16/256 = 1.0625
  const auto count = choices(corpus, 40000);
  const double expected = 11 / 1.0625;
  const double ratio = static_cast<double>(count[1]) / static_cast<double>(count[0]);
  EXPECT_GT(ratio, expected * 0.85) << counts_text(count);
  EXPECT_LT(ratio, expected * 1.15) << counts_text(count);
}

TEST(FuzzCorpus, FavoursAnEntryChosenLessOften) {
  fuzz_corpus corpus;
  corpus.add(entry_of({1}, 10, 0));
  corpus.add(entry_of({2}, 10, 10'000)); // weighs 1/100 of the other to start with
  const auto count = choices(corpus, 1000);
  // Even chosen 1000 times, the first weighs 1/sqrt(1001) > 3/100.
  EXPECT_GT(count[0], 3 * count[1]) << counts_text(count);
  EXPECT_EQ(corpus[0].times_chosen, count[0]);
  EXPECT_EQ(corpus[1].times_chosen, 10'000 + count[1]);
}

TEST(FuzzCorpus, ChoosesEntriesAlikeEquallyOften) {
  fuzz_corpus corpus;
  for (int k = 0; k < 4; ++k)
    corpus.add(entry_of({static_cast<feature>(k)}, 10, 0));
  const auto count = choices(corpus, 20000);
  for (const auto n : count) {
    EXPECT_GT(n, 4000u) << counts_text(count);
    EXPECT_LT(n, 6000u) << counts_text(count);
  }
}

// ---------------------------------------------------------------------------
// fuzz_corpus: minimal_cover

TEST(FuzzCorpus, TheCoverOfAnEmptyCorpusIsEmpty) {
  const fuzz_corpus corpus;
  EXPECT_TRUE(corpus.minimal_cover().empty());
}

TEST(FuzzCorpus, TheCoverDropsAnEntryWhoseFeaturesOthersHold) {
  fuzz_corpus corpus;
  corpus.add(entry_of({3}));       // redundant: the last one holds 3
  corpus.add(entry_of({4, 5}));    //
  corpus.add(entry_of({1, 2, 3})); //
  EXPECT_EQ(corpus.minimal_cover(), (std::vector<std::size_t>{1, 2}));
}

TEST(FuzzCorpus, TheCoverKeepsOneEntryThatHoldsWhatSeveralHold) {
  fuzz_corpus corpus;
  corpus.add(entry_of({1, 2}));
  corpus.add(entry_of({3, 4}));
  corpus.add(entry_of({1, 2, 3, 4}));
  corpus.add(entry_of({2, 4}));
  EXPECT_EQ(corpus.minimal_cover(), (std::vector<std::size_t>{2}));
}

TEST(FuzzCorpus, TheCoverKeepsTheSmallerOfTwoEntriesWithTheSameFeatures) {
  fuzz_corpus corpus;
  corpus.add(entry_of({1, 2, 3}, 2000));
  corpus.add(entry_of({1, 2, 3}, 20));
  corpus.add(entry_of({1, 2, 3}, 200));
  EXPECT_EQ(corpus.minimal_cover(), (std::vector<std::size_t>{1}));
}

TEST(FuzzCorpus, TheCoverKeepsEveryEntryWithAFeatureOfItsOwn) {
  fuzz_corpus corpus;
  corpus.add(entry_of({1, 10}));
  corpus.add(entry_of({2, 10}));
  corpus.add(entry_of({3, 10}));
  EXPECT_EQ(corpus.minimal_cover(), (std::vector<std::size_t>{0, 1, 2}));
}

TEST(FuzzCorpus, TheCoverHoldsEveryFeatureOfTheCorpus) {
  fuzz_corpus corpus;
  numbers random(11);
  for (int k = 0; k < 60; ++k) {
    std::vector<feature> features;
    const std::size_t n = 1 + random.next() % 6;
    for (std::size_t j = 0; j < n; ++j)
      features.push_back(static_cast<feature>(random.next() % 40));
    corpus.add(entry_of(features, 1 + random.next() % 500));
  }
  std::set<feature> all;
  for (const auto& e : corpus.entries())
    all.insert(e.features.begin(), e.features.end());
  const auto cover = corpus.minimal_cover();
  std::set<feature> covered;
  for (const std::size_t i : cover) {
    ASSERT_LT(i, corpus.size());
    covered.insert(corpus[i].features.begin(), corpus[i].features.end());
  }
  EXPECT_EQ(covered, all);
  EXPECT_TRUE(std::is_sorted(cover.begin(), cover.end()));
  EXPECT_EQ(std::set<std::size_t>(cover.begin(), cover.end()).size(), cover.size());
  EXPECT_LT(cover.size(), corpus.size()) << "40 features in 60 entries";
}

// ---------------------------------------------------------------------------
// corpus_entry_text and corpus_case_from_text

TEST(CorpusEntryText, IsAScriptWithTheBaselinesHeaderAndACommentSayingWhatItIs) {
  const script baseline = script_of(u16_text);
  const conversation_mutator m(baseline, spec_of(baseline), {});
  corpus_entry e;
  e.conversation = m.make(seed, 3);
  e.features = {5, 6, 7};
  e.origin = "run 1234";
  const std::string text = corpus_entry_text(e, baseline);
  EXPECT_EQ(text.rfind("# tcpcheck fuzz corpus entry: run 1234, 3 features\n"
                       "framing len:u16be\n"
                       "timeout 2s\n\n",
                       0),
            0u)
      << text;
  EXPECT_EQ(text.find("probe"), std::string::npos) << "the probe is added when it runs:\n" << text;
  script_error error;
  const auto parsed = parse_script(text, error);
  ASSERT_TRUE(parsed) << error.to_string("entry") << "\n" << text;
  EXPECT_EQ(to_string(*parsed), text) << "canonical";
}

TEST(CorpusEntryText, LoadsBackAsTheSameSteps) {
  for (const std::string_view baseline_text : {u16_text, two_connections_text}) {
    const script baseline = script_of(baseline_text);
    const conversation_mutator m(baseline, spec_of(baseline), {});
    for (std::uint64_t n = 0; n < 300; ++n) {
      corpus_entry e;
      e.conversation = m.make(seed, n);
      e.origin = "run " + std::to_string(n);
      const std::string text = corpus_entry_text(e, baseline);
      std::string error;
      const auto loaded = corpus_case_from_text(text, error);
      ASSERT_TRUE(loaded) << error << "\n" << text;
      const auto expected = conversation_of(e.conversation);
      ASSERT_EQ(loaded->steps.size(), expected.size()) << text << dump(e.conversation);
      for (std::size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ(normalized(loaded->steps[i].step), normalized(expected[i].step))
            << "step " << i << "\n"
            << text << dump(e.conversation);
        EXPECT_FALSE(loaded->steps[i].probe);
      }
    }
  }
}

TEST(CorpusEntryText, LoadsBackWithTheSameSettlingSteps) {
  for (const std::string_view baseline_text : {u16_text, two_connections_text}) {
    const script baseline = script_of(baseline_text);
    const conversation_mutator m(baseline, spec_of(baseline), {});
    std::size_t failures = 0;
    for (std::uint64_t n = 0; n < 300 && failures < 3; ++n) {
      corpus_entry e;
      e.conversation = m.make(seed, n);
      e.origin = "run " + std::to_string(n);
      std::string error;
      const auto loaded = corpus_case_from_text(corpus_entry_text(e, baseline), error);
      ASSERT_TRUE(loaded) << error;
      const auto expected = conversation_of(e.conversation);
      ASSERT_EQ(loaded->steps.size(), expected.size());
      // What settled the case settles it loaded (a step of its own that
      // looks like one may settle it too: a half-close before the pause).
      for (std::size_t i = 0; i < expected.size(); ++i)
        if (expected[i].settles && !loaded->steps[i].settles) {
          ++failures;
          ADD_FAILURE() << "step " << i << " settled the case, not the loaded one\nmade:\n"
                        << dump(e.conversation) << "loaded:\n"
                        << dump(*loaded);
          break;
        }
    }
  }
}

TEST(CorpusCaseFromText, MarksTheClosingHalfCloseRelaxedExpectAndPauseAsSettling) {
  const std::string_view text = R"(# tcpcheck fuzz corpus entry: run 1, 2 features
framing line
timeout 1s

expect "hi"
send "GET a"
expect "A"
send raw "GET b\n"
send "SET c"
shutdown
expect any or close or reset or silence 25ms
sleep 25ms
)";
  std::string error;
  const auto c = corpus_case_from_text(text, error);
  ASSERT_TRUE(c) << error;
  ASSERT_EQ(c->steps.size(), 8u);
  const std::vector<bool> mutated = {false, false, false, true, true, true, true, true};
  const std::vector<bool> settles = {false, false, false, false, false, true, true, true};
  for (std::size_t i = 0; i < c->steps.size(); ++i) {
    EXPECT_EQ(c->steps[i].mutated, mutated[i]) << "step " << i << "\n" << dump(*c);
    EXPECT_EQ(c->steps[i].settles, settles[i]) << "step " << i << "\n" << dump(*c);
    EXPECT_FALSE(c->steps[i].probe) << "step " << i;
    EXPECT_EQ(c->steps[i].origin_line, 5 + i) << "step " << i;
    EXPECT_EQ(c->steps[i].step.line, 5 + i) << "step " << i;
  }
  EXPECT_EQ(c->steps[3].step.what, step_kind::send);
  EXPECT_TRUE(c->steps[3].step.raw);
  EXPECT_EQ(literal_of(c->steps[3].step.payload), bytes_of("GET b\n"));
  EXPECT_EQ(c->steps[7].step.pause, duration(25));
}

TEST(CorpusCaseFromText, MarksTheSettlingStepsOfEveryConnection) {
  const std::string_view text = R"(framing line

send raw "x"
b: connect
b: send "y"
shutdown
expect any or close or reset or silence 25ms
b: shutdown
b: expect any or close or reset or silence 25ms
sleep 25ms
)";
  std::string error;
  const auto c = corpus_case_from_text(text, error);
  ASSERT_TRUE(c) << error;
  ASSERT_EQ(c->steps.size(), 8u);
  for (std::size_t i = 0; i < 8; ++i) {
    EXPECT_TRUE(c->steps[i].mutated) << "step " << i << "\n" << dump(*c);
    EXPECT_EQ(c->steps[i].settles, i >= 3) << "step " << i << "\n" << dump(*c);
  }
}

TEST(CorpusCaseFromText, MarksStepsFromTheFirstRelaxedExpectOnAsMutated) {
  const std::string_view text = R"(framing line

expect "hi"
send "GET"
expect any or close or reset or silence 25ms
send "SET"
expect "OK"
)";
  std::string error;
  const auto c = corpus_case_from_text(text, error);
  ASSERT_TRUE(c) << error;
  ASSERT_EQ(c->steps.size(), 5u);
  const std::vector<bool> mutated = {false, false, true, true, true};
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(c->steps[i].mutated, mutated[i]) << "step " << i << "\n" << dump(*c);
    EXPECT_FALSE(c->steps[i].settles) << "step " << i << "\n" << dump(*c);
  }
}

TEST(CorpusCaseFromText, MarksNothingInAScriptOfANormalConversation) {
  std::string error;
  const auto c = corpus_case_from_text(u16_text, error);
  ASSERT_TRUE(c) << error;
  const script baseline = script_of(u16_text);
  ASSERT_EQ(c->steps.size(), baseline.steps.size());
  for (std::size_t i = 0; i < c->steps.size(); ++i) {
    EXPECT_EQ(c->steps[i].step, baseline.steps[i]) << "step " << i;
    EXPECT_EQ(c->steps[i].origin_line, baseline.steps[i].line) << "step " << i;
    EXPECT_FALSE(c->steps[i].mutated) << "step " << i;
    EXPECT_FALSE(c->steps[i].settles) << "step " << i;
    EXPECT_FALSE(c->steps[i].probe) << "step " << i;
  }
}

TEST(CorpusCaseFromText, DoesNotTakeAPlainExpectOrAnEarlierRelaxedExpectForSettling) {
  // Which step must not settle in each.
  for (const auto& [text, step] : {
           std::pair<std::string_view, std::size_t>{"send raw \"x\"\nexpect close\nsleep 25ms\n",
                                                    1},
           {"send raw \"x\"\nshutdown\nexpect close\nsleep 25ms\n", 2},
           {"send raw \"x\"\nexpect any or close or reset or silence 25ms\nsend \"y\"\n", 1},
           {"send raw \"x\"\nexpect any or close or reset or silence 25ms\nsend \"y\"\n", 2},
       }) {
    std::string error;
    const auto c = corpus_case_from_text(text, error);
    ASSERT_TRUE(c) << error << "\n" << text;
    ASSERT_LT(step, c->steps.size()) << text;
    EXPECT_FALSE(c->steps[step].settles) << "step " << step << " of\n" << text;
    EXPECT_TRUE(c->steps[step].mutated) << "step " << step << " of\n" << text;
  }
}

TEST(CorpusCaseFromText, RefusesTextThatIsNotAScriptWithTheLineAtFault) {
  std::string error;
  EXPECT_FALSE(corpus_case_from_text("framing line\n\nsend \"a\"\nsned \"b\"\n", error));
  EXPECT_NE(error.find(":4:"), std::string::npos) << error;
  EXPECT_NE(error.find("sned"), std::string::npos) << error;

  error.clear();
  EXPECT_FALSE(corpus_case_from_text("send \"unterminated\n", error));
  EXPECT_NE(error.find(":1:"), std::string::npos) << error;
}

// ---------------------------------------------------------------------------
// conversation_mutator::make with mutation_sources

// A parent: a case of the baseline that ends with the settling steps, with
// at least one connection it half-closes and reads from at the end.
fuzz_case parent_of(const conversation_mutator& m, std::uint64_t from_index) {
  for (std::uint64_t n = from_index;; ++n) {
    fuzz_case c = m.make(seed, n);
    const auto conversation = conversation_of(c);
    const bool relaxed =
        std::any_of(conversation.begin(), conversation.end(),
                    [](const case_step& s) { return s.settles && is_relaxed(s.step); });
    if (relaxed) return c;
  }
}

// What ends a case grown from `parent`: for each connection the parent read
// from at the end (its settling relaxed expects) and the child does not
// close, reset or half-close itself, one half-close and one relaxed expect;
// then one pause. Nothing else settles, no relaxed expect is elsewhere, and
// no connection is settled twice.
::testing::AssertionResult settles_once(const fuzz_case& parent, const fuzz_case& child) {
  std::set<std::string> read_at_the_end;
  bool parent_paused = false;
  for (const auto& s : conversation_of(parent)) {
    if (s.settles && is_relaxed(s.step)) read_at_the_end.insert(s.step.connection);
    if (s.settles && s.step.what == step_kind::sleep) parent_paused = true;
  }
  const auto steps = conversation_of(child);
  std::set<std::string> ended;
  for (const auto& s : steps)
    if (!s.settles && (s.step.what == step_kind::close || s.step.what == step_kind::reset ||
                       s.step.what == step_kind::shutdown))
      ended.insert(s.step.connection);
  std::size_t first_settling = steps.size();
  while (first_settling && steps[first_settling - 1].settles)
    --first_settling;
  for (std::size_t i = 0; i < first_settling; ++i) {
    if (steps[i].settles)
      return ::testing::AssertionFailure() << "step " << i << " settles before the end";
    if (is_relaxed(steps[i].step))
      return ::testing::AssertionFailure() << "step " << i << " is a relaxed expect before the end";
  }
  std::map<std::string, std::size_t> halves, reads;
  std::size_t pauses = 0;
  for (std::size_t i = first_settling; i < steps.size(); ++i) {
    const auto& s = steps[i].step;
    if (!steps[i].mutated)
      return ::testing::AssertionFailure() << "settling step " << i << " is not marked mutated";
    if (s.what == step_kind::shutdown)
      ++halves[s.connection];
    else if (is_relaxed(s))
      ++reads[s.connection];
    else if (s.what == step_kind::sleep && s.pause == quiet)
      ++pauses;
    else
      return ::testing::AssertionFailure() << "settling step " << i << " is " << to_string(s);
  }
  if (parent_paused && pauses != 1)
    return ::testing::AssertionFailure() << pauses << " settling pauses, not 1";
  if (pauses > 1) return ::testing::AssertionFailure() << pauses << " settling pauses";
  if (pauses == 1 && steps.back().step.what != step_kind::sleep)
    return ::testing::AssertionFailure() << "the settling pause is not last";
  for (const auto& [connection, n] : halves)
    if (n != 1)
      return ::testing::AssertionFailure() << n << " settling half-closes of " << connection;
  for (const auto& [connection, n] : reads)
    if (n != 1)
      return ::testing::AssertionFailure() << n << " settling relaxed expects on " << connection;
  if (halves.size() != reads.size())
    return ::testing::AssertionFailure() << "half-closes and relaxed expects do not pair up";
  for (const auto& connection : read_at_the_end) {
    if (ended.count(connection)) continue;
    if (!halves.count(connection) || !reads.count(connection))
      return ::testing::AssertionFailure()
             << "no settling half-close and relaxed expect on " << connection
             << ", which the parent read from at the end";
  }
  return ::testing::AssertionSuccess();
}

TEST(ConversationMutatorWithSources, ACaseGrownFromAParentEndsWithItsSettlingStepsOnce) {
  for (const std::string_view baseline_text : {u16_text, two_connections_text}) {
    const script baseline = script_of(baseline_text);
    const conversation_mutator m(baseline, spec_of(baseline), {});
    for (const std::uint64_t from : {0u, 10u, 20u}) {
      const fuzz_case parent = parent_of(m, from);
      mutation_sources sources;
      sources.parent = &parent;
      std::size_t failures = 0;
      for (std::uint64_t n = 0; n < 200 && failures < 2; ++n) {
        const fuzz_case child = m.make(seed + 1, n, sources);
        const auto result = settles_once(parent, child);
        if (!result) {
          ++failures;
          ADD_FAILURE() << result.message() << "\nparent:\n"
                        << dump(parent) << "child:\n"
                        << dump(child);
        }
      }
    }
  }
}

TEST(ConversationMutatorWithSources, AGrandchildEndsWithItsSettlingStepsOnce) {
  const script baseline = script_of(u16_text);
  const conversation_mutator m(baseline, spec_of(baseline), {});
  const fuzz_case grandparent = parent_of(m, 0);
  mutation_sources from_grandparent;
  from_grandparent.parent = &grandparent;
  const fuzz_case parent = m.make(seed + 1, 0, from_grandparent);
  mutation_sources from_parent;
  from_parent.parent = &parent;
  std::size_t failures = 0;
  for (std::uint64_t n = 0; n < 200 && failures < 2; ++n) {
    const fuzz_case child = m.make(seed + 2, n, from_parent);
    const auto result = settles_once(grandparent, child);
    if (!result) {
      ++failures;
      ADD_FAILURE() << result.message() << "\nparent:\n"
                    << dump(parent) << "child:\n"
                    << dump(child);
    }
  }
}

TEST(ConversationMutatorWithSources, ACaseGrownFromAParentGoesOnFromItsNotes) {
  const script baseline = script_of(u16_text);
  mutator_options options;
  options.most_mutations = 3;
  const conversation_mutator m(baseline, spec_of(baseline), {}, options);
  const fuzz_case parent = parent_of(m, 0);
  ASSERT_FALSE(parent.notes.empty());
  mutation_sources sources;
  sources.parent = &parent;
  for (std::uint64_t n = 0; n < 200; ++n) {
    const fuzz_case child = m.make(seed + 1, n, sources);
    ASSERT_GT(child.notes.size(), parent.notes.size()) << dump(child);
    ASSERT_LE(child.notes.size(), parent.notes.size() + options.most_mutations) << dump(child);
    EXPECT_TRUE(std::equal(parent.notes.begin(), parent.notes.end(), child.notes.begin()))
        << "parent:\n"
        << dump(parent) << "child:\n"
        << dump(child);
  }
}

// A corpus entry made by hand: the baseline's first send replaced by bytes
// of its own, the rest sent without waiting, settled and probed as the
// mutator does.
fuzz_case hand_made_parent(const conversation_mutator& m, const byte_buffer& marker) {
  fuzz_case c;
  c.notes = {"line 6: made by hand"};
  bool mutated = false;
  for (const auto& step : m.baseline().steps) {
    if (step.what == step_kind::expect && mutated) continue;
    case_step s{step, step.line, false, false};
    if (step.what == step_kind::send && !mutated) {
      s.step.raw = true;
      s.step.payload.segments.assign(1, script_text::segment::literal(marker));
      s.mutated = mutated = true;
    }
    c.steps.push_back(std::move(s));
  }
  case_step fin{{}, 0, true, false, true};
  fin.step.what = step_kind::shutdown;
  c.steps.push_back(fin);
  c.steps.push_back({relaxed_expect("main", quiet), 0, true, false, true});
  case_step pause{{}, 0, true, false, true};
  pause.step.what = step_kind::sleep;
  pause.step.pause = quiet;
  c.steps.push_back(pause);
  for (auto& s : m.probe())
    c.steps.push_back(std::move(s));
  return c;
}

TEST(ConversationMutatorWithSources, ACaseGrownFromAParentKeepsTheParentsSteps) {
  const script baseline = script_of(u16_text);
  mutator_options options;
  options.most_mutations = 1;
  const conversation_mutator m(baseline, spec_of(baseline), {}, options);
  const byte_buffer marker = bytes_of(std::string_view("\0\x07PARENT!", 9));
  const fuzz_case parent = hand_made_parent(m, marker);
  ASSERT_TRUE(converts(parent, baseline));
  mutation_sources sources;
  sources.parent = &parent;
  std::size_t kept_marker = 0;
  constexpr std::uint64_t count = 400;
  for (std::uint64_t n = 0; n < count; ++n) {
    const fuzz_case child = m.make(seed + 1, n, sources);
    // Everything before the child's first mutated step is the parent's.
    const auto steps = conversation_of(child);
    const auto theirs = conversation_of(parent);
    for (std::size_t i = 0; i < steps.size() && !steps[i].mutated; ++i) {
      ASSERT_LT(i, theirs.size()) << dump(child);
      EXPECT_EQ(steps[i].step, theirs[i].step) << "step " << i << "\n" << dump(child);
    }
    kept_marker += std::any_of(steps.begin(), steps.end(), [&](const case_step& s) {
      return s.step.what == step_kind::send && s.step.raw && literal_of(s.step.payload) == marker;
    });
  }
  // One mutation more: the parent's own send stays as it is unless that
  // mutation picks it among three sends (or drops it with a fault before it).
  EXPECT_GT(kept_marker, count / 2) << "of " << count;
}

TEST(ConversationMutatorWithSources, TheSameSourcesGiveTheSameCase) {
  const script baseline = script_of(u16_text);
  const conversation_mutator one(baseline, spec_of(baseline), {});
  const conversation_mutator other(baseline, spec_of(baseline), {});
  const fuzz_case parent = parent_of(one, 0);
  const fuzz_case parent_copy = parent;
  const fuzz_case donor = parent_of(one, 40);
  const std::vector<byte_buffer> learned = {bytes_of("LEARNED"), bytes_of("+OK")};
  const std::vector<byte_buffer> learned_copy = learned;
  mutation_sources sources;
  sources.parent = &parent;
  sources.donor = &donor;
  sources.learned = &learned;
  mutation_sources copies;
  copies.parent = &parent_copy;
  copies.donor = &donor;
  copies.learned = &learned_copy;
  for (std::uint64_t n = 0; n < 300; ++n) {
    const fuzz_case x = one.make(seed, n, sources);
    const fuzz_case again = one.make(seed, n, sources);
    const fuzz_case y = other.make(seed, n, copies);
    EXPECT_TRUE(same_case(x, again)) << dump(x) << dump(again);
    EXPECT_TRUE(same_case(x, y)) << dump(x) << dump(y);
    EXPECT_EQ(x.seed, seed);
    EXPECT_EQ(x.index, n);
  }
}

TEST(ConversationMutatorWithSources, NoSourcesGiveTheCaseOfTheBaseline) {
  const script baseline = script_of(u16_text);
  const conversation_mutator m(baseline, spec_of(baseline), {});
  const std::vector<byte_buffer> none;
  mutation_sources empty_learned;
  empty_learned.learned = &none;
  for (std::uint64_t n = 0; n < 200; ++n) {
    const fuzz_case plain = m.make(seed, n);
    EXPECT_TRUE(same_case(plain, m.make(seed, n, {}))) << dump(plain);
    EXPECT_TRUE(same_case(plain, m.make(seed, n, empty_learned))) << dump(plain);
  }
}

TEST(ConversationMutatorWithSources, LearnedWordsAreSentInSomeCases) {
  const byte_buffer word = bytes_of("ZQX_LEARNED_7");
  const std::vector<byte_buffer> learned = {word};
  for (const std::string_view baseline_text : {u16_text, two_connections_text}) {
    const script baseline = script_of(baseline_text);
    const conversation_mutator m(baseline, spec_of(baseline), {});
    mutation_sources sources;
    sources.learned = &learned;
    std::size_t with = 0, without = 0;
    for (std::uint64_t n = 0; n < 1000; ++n) {
      const fuzz_case c = m.make(seed, n, sources);
      ASSERT_TRUE(converts(c, baseline));
      with += sends_hold(c, word);
      without += sends_hold(m.make(seed, n), word);
    }
    EXPECT_GT(with, 10u) << baseline.description;
    EXPECT_EQ(without, 0u) << baseline.description;
  }
}

// Whether a send holding `first` is followed, as the next send on its
// connection, by one holding `then`.
bool sends_in_turn(const fuzz_case& c, const byte_buffer& first, const byte_buffer& then) {
  std::map<std::string, bool> after_first; // per connection: the last send held `first`
  for (const auto& s : conversation_of(c)) {
    if (s.step.what != step_kind::send) continue;
    const byte_buffer bytes = literal_of(s.step.payload);
    if (after_first[s.step.connection] && contains(bytes, then)) return true;
    after_first[s.step.connection] = contains(bytes, first);
  }
  return false;
}

TEST(ConversationMutatorWithSources, ACommandWordIsPutBeforeTheSendItReplacesTheFirstWordOf) {
  // "DEL a" then "GET a": an undocumented command on the key the script's
  // own command uses, what a command word is learned for. Among the many
  // words a fuzzer learns, one known to be a command comes first in a new
  // send several times as often as the same word learned as any other.
  const script baseline = script_of(two_connections_text);
  const conversation_mutator m(baseline, spec_of(baseline), {});
  std::vector<byte_buffer> learned_words = {bytes_of("DEL")};
  for (int k = 0; k < 49; ++k)
    learned_words.push_back(bytes_of("word" + std::to_string(k)));
  const std::vector<byte_buffer> commands = {bytes_of("DEL")};
  mutation_sources as_command;
  as_command.learned = &learned_words;
  as_command.commands = &commands;
  mutation_sources as_learned;
  as_learned.learned = &learned_words;
  std::size_t commanded = 0, learned = 0, blind = 0;
  for (std::uint64_t n = 0; n < 3000; ++n) {
    const fuzz_case c = m.make(seed, n, as_command);
    ASSERT_TRUE(converts(c, baseline));
    commanded += sends_in_turn(c, bytes_of("DEL a"), bytes_of("GET a"));
    learned += sends_in_turn(m.make(seed, n, as_learned), bytes_of("DEL a"), bytes_of("GET a"));
    blind += sends_hold(m.make(seed, n), bytes_of("DEL"));
  }
  EXPECT_GT(commanded, 4 * learned + 5) << learned;
  EXPECT_EQ(blind, 0u);
}

TEST(ConversationMutatorWithSources, ADonorsSendsAreSplicedIntoSomeCases) {
  const byte_buffer donated = bytes_of("DONOR-9517");
  fuzz_case donor;
  donor.steps.push_back({send_of("DONOR-9517"), 0, true, false});
  donor.steps.push_back({relaxed_expect("main", quiet), 0, true, true});
  for (const std::string_view baseline_text : {u16_text, two_connections_text}) {
    const script baseline = script_of(baseline_text);
    const conversation_mutator m(baseline, spec_of(baseline), {});
    mutation_sources sources;
    sources.donor = &donor;
    std::size_t with = 0, without = 0, noted = 0;
    for (std::uint64_t n = 0; n < 1000; ++n) {
      const fuzz_case c = m.make(seed, n, sources);
      ASSERT_TRUE(converts(c, baseline));
      with += sends_hold(c, donated);
      noted += std::any_of(c.notes.begin(), c.notes.end(), [](const std::string& note) {
        return note.find("another corpus entry") != std::string::npos;
      });
      without += sends_hold(m.make(seed, n), donated);
    }
    EXPECT_GT(with, 10u) << baseline.description;
    EXPECT_GT(noted, 10u) << baseline.description;
    EXPECT_EQ(without, 0u) << baseline.description;
  }
}

TEST(ConversationMutatorWithSources, EveryCaseGrownFromCorpusEntriesConvertsToAScript) {
  for (const std::string_view baseline_text : {u16_text, two_connections_text}) {
    const script baseline = script_of(baseline_text);
    const conversation_mutator m(baseline, spec_of(baseline), {});
    const std::vector<byte_buffer> learned = {bytes_of("+OK"), bytes_of("$#"), bytes_of("\n")};
    std::vector<fuzz_case> generation = {parent_of(m, 0), parent_of(m, 50)};
    std::size_t made = 0;
    for (int round = 0; round < 3; ++round) {
      std::vector<fuzz_case> next;
      for (std::size_t p = 0; p < generation.size(); ++p) {
        mutation_sources sources;
        sources.parent = &generation[p];
        sources.donor = &generation[(p + 1) % generation.size()];
        sources.learned = &learned;
        for (std::uint64_t n = 0; n < 150; ++n) {
          const fuzz_case c = m.make(seed + static_cast<std::uint64_t>(round), n, sources);
          ++made;
          ASSERT_TRUE(converts(c, baseline));
          if (n % 50 == 0) next.push_back(c);
        }
      }
      generation = std::move(next);
    }
    EXPECT_EQ(made, 150u * (2 + 6 + 18));
  }
}

TEST(ConversationMutatorWithSources, ACaseLoadedFromTheCorpusGrowsLikeTheCaseItWas) {
  const script baseline = script_of(u16_text);
  const conversation_mutator m(baseline, spec_of(baseline), {});
  const fuzz_case parent = parent_of(m, 0);
  corpus_entry e;
  e.conversation = parent;
  e.origin = "run 1";
  std::string error;
  const auto loaded = corpus_case_from_text(corpus_entry_text(e, baseline), error);
  ASSERT_TRUE(loaded) << error;
  mutation_sources sources;
  sources.parent = &*loaded;
  std::size_t failures = 0;
  for (std::uint64_t n = 0; n < 200 && failures < 2; ++n) {
    const fuzz_case child = m.make(seed + 1, n, sources);
    EXPECT_TRUE(converts(child, baseline));
    const auto result = settles_once(*loaded, child);
    if (!result) {
      ++failures;
      ADD_FAILURE() << result.message() << "\nloaded parent:\n"
                    << dump(*loaded) << "child:\n"
                    << dump(child);
    }
  }
}

} // namespace
} // namespace tcpcheck
