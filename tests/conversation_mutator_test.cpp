// Tests for conversation_mutator.hpp: determinism, the shape of every case
// (script round trip, the liveness probe, relaxed expects, captured variables,
// payload limits), the mutation families, datagram cases (transport udp),
// and the dictionary helpers.
#include "tcpcheck/conversation_mutator.hpp"

#include "tcpcheck/bytes.hpp"
#include "tcpcheck/frame_encoder.hpp"
#include "tcpcheck/framing_spec.hpp"
#include "tcpcheck/script.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <set>
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

using test::bytes_of;
using test::contains;
using test::literal_of;
using test::script_of;
using test::spec_of;

using step_kind = script_step::kind;
using expect_kind = expectation::kind;

// ---------------------------------------------------------------------------
// Helpers

bool has_word(const std::vector<byte_buffer>& words, std::string_view word) {
  return std::find(words.begin(), words.end(), bytes_of(word)) != words.end();
}

bool any_note_has(const fuzz_case& c, std::string_view what) {
  return std::any_of(c.notes.begin(), c.notes.end(),
                     [&](const std::string& note) { return note.find(what) != std::string::npos; });
}

script_step without_line(script_step step) {
  step.line = 0;
  return step;
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

// Whether a send before the probe uses a variable that no expect before it
// captures ("sends swapped" can move a send ahead of its capture, and an
// inserted reset or close can remove the capture: such sends are dropped).
bool uses_an_uncaptured_variable(const fuzz_case& c) {
  std::set<std::string> captured;
  for (const auto& s : c.steps) {
    if (s.probe) break;
    for (const auto& e : s.step.alternatives)
      if (!e.capture.empty()) captured.insert(e.capture);
    if (s.step.what == step_kind::send)
      for (const auto& seg : s.step.payload.segments)
        if (seg.is_variable && !captured.count(seg.variable)) return true;
  }
  return false;
}

// The case for people: its notes, then its steps with their flags.
std::string dump(const fuzz_case& c) {
  std::ostringstream out;
  out << "case " << c.index << " of seed " << c.seed << "\n";
  for (const auto& note : c.notes)
    out << "  note: " << note << "\n";
  for (const auto& s : c.steps)
    out << "  " << (s.probe ? "P" : " ") << (s.mutated ? "M" : " ") << " origin " << s.origin_line
        << ": " << to_string(s.step) << "\n";
  return out.str();
}

bool same_steps(const std::vector<case_step>& a, const std::vector<case_step>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].step != b[i].step || a[i].origin_line != b[i].origin_line ||
        a[i].mutated != b[i].mutated || a[i].probe != b[i].probe)
      return false;
  return true;
}

// The probe as the header documents it: the baseline's steps on connections
// named probe (for main) and probe-NAME, opened with a connect.
std::vector<script_step> expected_probe(const script& baseline) {
  const auto rename = [](const std::string& connection) {
    return connection == "main" ? std::string("probe") : "probe-" + connection;
  };
  std::vector<script_step> out;
  const script_step& first = baseline.steps.front();
  if (first.what != step_kind::connect || first.connection != "main") {
    script_step connect;
    connect.what = step_kind::connect;
    connect.connection = "probe";
    out.push_back(connect);
  }
  for (script_step step : baseline.steps) {
    step.connection = rename(step.connection);
    out.push_back(without_line(std::move(step)));
  }
  return out;
}

// The number of steps before the probe.
std::size_t conversation_size(const fuzz_case& c) {
  std::size_t n = 0;
  while (n < c.steps.size() && !c.steps[n].probe)
    ++n;
  return n;
}

// The first mutated step of the conversation; its size when none is.
std::size_t first_mutated(const fuzz_case& c) {
  const std::size_t end = conversation_size(c);
  for (std::size_t i = 0; i < end; ++i)
    if (c.steps[i].mutated) return i;
  return end;
}

// The baselines every case property is checked on.

// Line framing, a regex capture used later through ${name}.
const std::string_view line_text = R"(# checks: a greeting, a name, a capture used later, good bye
framing line
timeout 1s

expect "Server: Welcome!"
send "alice"
expect regex "^Hello (\w+)!$" as name
send "bye ${name}"
expect "Good bye!"
expect close
)";

// A 2-byte big-endian length prefix (the planted server's conversation).
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

// A 4-byte little-endian signed length prefix, a send first.
const std::string_view i32_text = R"(# checks: ping, echo and a half-close
framing len:i32le,max=64K
timeout 2s

send "PING"
expect "PONG"
send "ECHO abc"
expect prefix "abc" or contains "abc"
shutdown
expect close
)";

// Two delimiters, two connections, main opened explicitly.
const std::string_view delim_text = R"(# checks: get, set and a second client's get
framing "delim:\r\n|\0"
timeout 2s

connect
send "GET key"
expect "VALUE 1"
send "SET key 2"
expect "STORED" or "EXISTS"
b: connect
b: send "GET key"
b: expect "VALUE 2"
close
b: close
)";

// A capture on main used on a second connection.
const std::string_view shared_capture_text = R"(# checks: a token from one client resumed on another
framing line
timeout 1s

expect "Welcome!"
send "login alice"
expect regex "^token (\w+)$" as token
b: connect
b: expect "Welcome!"
b: send "resume ${token}"
b: expect "ok"
send "quit"
)";

struct baseline_case {
  std::string name;
  script baseline;
  framing_spec spec;
};

std::vector<baseline_case> baselines() {
  std::vector<baseline_case> out;
  for (const auto& [name, text] : {std::pair<std::string, std::string_view>{"line", line_text},
                                   {"len:u16be", u16_text},
                                   {"len:i32le", i32_text},
                                   {"delim", delim_text},
                                   {"shared capture", shared_capture_text}}) {
    script s = script_of(text);
    framing_spec spec = spec_of(s.framing.value_or("raw"));
    out.push_back({name, std::move(s), std::move(spec)});
  }
  return out;
}

constexpr std::uint64_t seed = 20240611;
constexpr std::uint64_t cases_per_baseline = 2000;

// Runs `check` on cases 0..count-1 of every baseline, and reports the first
// case of each baseline that fails it, with its notes and steps.
void for_every_case(
    const std::function<::testing::AssertionResult(const baseline_case&, const fuzz_case&)>& check,
    const mutator_options& options = {}, const std::vector<byte_buffer>& dictionary = {},
    std::uint64_t count = cases_per_baseline) {
  for (const baseline_case& b : baselines()) {
    const conversation_mutator m(b.baseline, b.spec, dictionary, options);
    for (std::uint64_t n = 0; n < count; ++n) {
      const fuzz_case c = m.make(seed, n);
      const ::testing::AssertionResult result = check(b, c);
      if (!result) {
        ADD_FAILURE() << b.name << " baseline: " << result.message() << "\n" << dump(c);
        break;
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Determinism

TEST(ConversationMutator, TheSameSeedAndIndexGiveTheSameCase) {
  for (const baseline_case& b : baselines()) {
    const conversation_mutator one(b.baseline, b.spec, {});
    const conversation_mutator other(b.baseline, b.spec, {});
    for (std::uint64_t n = 0; n < 200; ++n) {
      const fuzz_case x = one.make(seed, n);
      const fuzz_case y = other.make(seed, n);
      const fuzz_case again = one.make(seed, n);
      EXPECT_EQ(x.seed, seed);
      EXPECT_EQ(x.index, n);
      EXPECT_TRUE(same_steps(x.steps, y.steps)) << b.name << "\n" << dump(x) << dump(y);
      EXPECT_TRUE(same_steps(x.steps, again.steps)) << b.name << "\n" << dump(x) << dump(again);
      EXPECT_EQ(x.notes, y.notes) << b.name;
      EXPECT_EQ(x.notes, again.notes) << b.name;
    }
  }
}

TEST(ConversationMutator, DifferentIndexesGiveDifferentCases) {
  for (const baseline_case& b : baselines()) {
    const conversation_mutator m(b.baseline, b.spec, {});
    std::set<std::string> distinct;
    for (std::uint64_t n = 0; n < 200; ++n) {
      const fuzz_case c = m.make(seed, n);
      std::string key;
      for (const auto& note : c.notes)
        key += note + "\n";
      for (const auto& s : c.steps)
        key += to_string(s.step) + "\n";
      distinct.insert(key);
    }
    // Two indexes may draw the same small mutation ("send dropped" of the
    // same line); most must not.
    EXPECT_GE(distinct.size(), 150u) << b.name;
  }
}

TEST(ConversationMutator, DifferentSeedsGiveDifferentCasesForTheSameIndex) {
  const baseline_case b = baselines()[1];
  const conversation_mutator m(b.baseline, b.spec, {});
  std::size_t differing = 0;
  for (std::uint64_t n = 0; n < 200; ++n)
    if (m.make(1, n).notes != m.make(2, n).notes) ++differing;
  EXPECT_GE(differing, 150u);
}

// ---------------------------------------------------------------------------
// The shape of every case

TEST(ConversationMutator, EveryCaseConvertsToAScriptThatRoundTrips) {
  std::size_t converted = 0;
  for_every_case([&](const baseline_case& b, const fuzz_case& c) -> ::testing::AssertionResult {
    if (uses_an_uncaptured_variable(c))
      return ::testing::AssertionFailure() << "a send uses a variable nothing captures";
    script s;
    try {
      s = to_script(c, b.baseline);
    } catch (const std::exception& e) {
      return ::testing::AssertionFailure() << "to_script threw: " << e.what();
    }
    ++converted;
    if (s.framing != b.baseline.framing || s.timeout != b.baseline.timeout)
      return ::testing::AssertionFailure() << "the header is not the baseline's";
    if (s.steps.size() != c.steps.size())
      return ::testing::AssertionFailure()
             << "the script has " << s.steps.size() << " steps, the case " << c.steps.size();
    for (std::size_t i = 0; i < s.steps.size(); ++i)
      if (normalized(s.steps[i]) != normalized(c.steps[i].step))
        return ::testing::AssertionFailure() << "step " << i << " is '" << to_string(s.steps[i])
                                             << "', not '" << to_string(c.steps[i].step) << "'";
    const std::string text = to_string(s);
    script_error error;
    const auto again = parse_script(text, error);
    if (!again) return ::testing::AssertionFailure() << error.to_string("case") << "\n" << text;
    if (*again != s) return ::testing::AssertionFailure() << "does not round-trip:\n" << text;
    if (to_string(*again) != text)
      return ::testing::AssertionFailure() << "prints differently the second time:\n" << text;
    return ::testing::AssertionSuccess();
  });
  // The known bug touches a few percent of the cases of the baselines with
  // captures, none of the others.
  EXPECT_GT(converted, 9000u);
}

// try_to_script assembles a case's script without printing and parsing it:
// it must accept exactly what the parser accepts, and number the lines as
// the printed text has them. Besides the mutator's cases (and cases grown
// from a parent and a donor, as guided fuzzing grows them), cases the parser
// refuses: without their second connection's connect, and the same steps
// under 'transport udp' (no shutdown, no expect close there).
TEST(ConversationMutator, AssemblingACaseGivesWhatPrintingAndParsingItGives) {
  std::size_t refused = 0, assembled = 0;
  const auto same_as_parsed = [&](const script& baseline,
                                  const fuzz_case& c) -> ::testing::AssertionResult {
    script_error error;
    const auto parsed = parse_script(to_string(unchecked_script(c, baseline)), error);
    const auto made = try_to_script(c, baseline);
    if (parsed.has_value() != made.has_value())
      return ::testing::AssertionFailure()
             << (parsed ? "assembling refused what the parser reads"
                        : "assembling took what the parser refuses: " + error.to_string("case"));
    if (!made) {
      ++refused;
      return ::testing::AssertionSuccess();
    }
    ++assembled;
    if (to_string(*made) != to_string(*parsed))
      return ::testing::AssertionFailure() << "another script:\n" << to_string(*made);
    for (std::size_t i = 0; i < made->steps.size(); ++i)
      if (made->steps[i].line != parsed->steps[i].line)
        return ::testing::AssertionFailure() << "step " << i << " on line " << made->steps[i].line
                                             << ", printed on line " << parsed->steps[i].line;
    return ::testing::AssertionSuccess();
  };
  const auto without_second_connects = [](fuzz_case c) {
    std::erase_if(c.steps, [](const case_step& s) {
      return s.step.what == step_kind::connect && s.step.connection != "main";
    });
    return c;
  };
  for (const baseline_case& b : baselines()) {
    script as_udp = b.baseline;
    as_udp.transport = script_transport::udp;
    const conversation_mutator m(b.baseline, b.spec, {});
    for (std::uint64_t n = 0; n < 1000; ++n) {
      const fuzz_case parent = m.make(seed, n);
      const fuzz_case donor = m.make(seed + 1, n);
      mutation_sources from;
      from.parent = &parent;
      from.donor = &donor;
      const fuzz_case grown = m.make(seed + 2, n, from);
      const fuzz_case unopened = without_second_connects(parent);
      for (const auto& [baseline, c] :
           {std::pair<const script*, const fuzz_case*>{&b.baseline, &parent},
            {&b.baseline, &grown},
            {&b.baseline, &unopened},
            {&as_udp, &parent}}) {
        const ::testing::AssertionResult result = same_as_parsed(*baseline, *c);
        if (!result) {
          ADD_FAILURE() << b.name << " baseline: " << result.message() << "\n" << dump(*c);
          return;
        }
      }
    }
  }
  EXPECT_GT(assembled, 9000u);
  EXPECT_GT(refused, 1000u); // the refusals were compared too
}

TEST(AssembleScript, RefusesAtTheLineTheStepWouldBePrintedOn) {
  const script s = script_of("# two clients\nframing line\n\nsend \"a\"\nb: connect\n"
                             "b: send \"x\"\n");
  script header = s;
  header.steps.clear();
  script_error error;
  // `b: send` without `b: connect`: the text would have it on line 5 (the
  // description, the framing, a blank line, `send "a"`).
  EXPECT_FALSE(assemble_script(header, {s.steps[0], s.steps[2]}, error));
  EXPECT_EQ(error.line, 5u);
  EXPECT_NE(error.expected.find("a connection opened by 'b: connect' first"), std::string::npos)
      << error.expected;
  const auto whole = assemble_script(header, s.steps, error);
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->steps[2].line, 6u);
  EXPECT_EQ(to_string(*whole), to_string(s));
}

TEST(ConversationMutator, EveryCaseEndsWithTheWholeLivenessProbe) {
  for_every_case([](const baseline_case& b, const fuzz_case& c) -> ::testing::AssertionResult {
    const std::vector<script_step> probe = expected_probe(b.baseline);
    if (probe.front().what != step_kind::connect || probe.front().connection != "probe")
      return ::testing::AssertionFailure() << "test setup: the probe opens with 'probe: connect'";
    if (c.steps.size() < probe.size())
      return ::testing::AssertionFailure() << "shorter than the probe";
    const std::size_t first = c.steps.size() - probe.size();
    for (std::size_t i = 0; i < c.steps.size(); ++i) {
      const case_step& s = c.steps[i];
      if (i < first) {
        if (s.probe) return ::testing::AssertionFailure() << "step " << i << " is flagged probe";
        if (s.step.connection.rfind("probe", 0) == 0)
          return ::testing::AssertionFailure() << "step " << i << " uses a probe connection";
        continue;
      }
      // A probe step names the baseline line it copies (the opening
      // connect none): failures in the probe are told in the script's lines.
      if (!s.probe || s.mutated || s.origin_line != s.step.line)
        return ::testing::AssertionFailure()
               << "probe step " << i << " is flagged probe=" << s.probe << " mutated=" << s.mutated
               << " origin=" << s.origin_line;
      if (without_line(s.step) != probe[i - first])
        return ::testing::AssertionFailure()
               << "step " << i << " is '" << to_string(s.step) << "', the probe's is '"
               << to_string(probe[i - first]) << "'";
    }
    return ::testing::AssertionSuccess();
  });
}

TEST(ConversationMutator, TheProbeAloneIsTheBaselineOnFreshConnections) {
  for (const baseline_case& b : baselines()) {
    const conversation_mutator m(b.baseline, b.spec, {});
    const auto probe = m.probe();
    const auto expected = expected_probe(b.baseline);
    ASSERT_EQ(probe.size(), expected.size()) << b.name;
    for (std::size_t i = 0; i < probe.size(); ++i) {
      EXPECT_TRUE(probe[i].probe) << b.name << " step " << i;
      EXPECT_FALSE(probe[i].mutated) << b.name << " step " << i;
      EXPECT_EQ(without_line(probe[i].step), expected[i]) << b.name << " step " << i;
    }
  }
}

TEST(ConversationMutator, EveryCaseHasOneNotePerMutationUpToTheMost) {
  for (const std::size_t most : {1u, 3u, 5u}) {
    mutator_options options;
    options.most_mutations = most;
    std::set<std::size_t> counts;
    for_every_case(
        [&](const baseline_case&, const fuzz_case& c) -> ::testing::AssertionResult {
          counts.insert(c.notes.size());
          if (c.notes.empty() || c.notes.size() > most)
            return ::testing::AssertionFailure()
                   << c.notes.size() << " notes, expected 1.." << most;
          for (const auto& note : c.notes)
            if (note.empty()) return ::testing::AssertionFailure() << "an empty note";
          return ::testing::AssertionSuccess();
        },
        options, {}, 500);
    EXPECT_TRUE(counts.count(most)) << "no case has " << most << " mutations";
  }
}

TEST(ConversationMutator, EveryExpectAfterTheFirstMutationIsRelaxed) {
  mutator_options options;
  options.quiet = duration(40);
  for_every_case(
      [&](const baseline_case&, const fuzz_case& c) -> ::testing::AssertionResult {
        const std::size_t end = conversation_size(c);
        for (std::size_t i = first_mutated(c); i < end; ++i) {
          const script_step& s = c.steps[i].step;
          if (s.what != step_kind::expect) continue;
          if (s != relaxed_expect(s.connection, options.quiet))
            return ::testing::AssertionFailure()
                   << "step " << i << " is '" << to_string(s) << "', not relaxed";
        }
        return ::testing::AssertionSuccess();
      },
      options);
}

TEST(ConversationMutator, AfterTheFirstMutationTheClientSendsTheRestThenHalfClosesThenReads) {
  std::size_t reads = 0;
  for_every_case([&](const baseline_case&, const fuzz_case& c) -> ::testing::AssertionResult {
    const std::size_t end = conversation_size(c);
    std::set<std::string> ended; // shut down, closed or reset since the first mutation
    std::set<std::string> read;  // an expect since the first mutation
    for (std::size_t i = first_mutated(c); i < end; ++i) {
      const script_step& s = c.steps[i].step;
      switch (s.what) {
      case step_kind::shutdown:
      case step_kind::close:
      case step_kind::reset:
        ended.insert(s.connection);
        break;
      case step_kind::send:
        if (read.count(s.connection))
          return ::testing::AssertionFailure()
                 << "step " << i << " '" << to_string(s) << "' waits for a reply first";
        break;
      case step_kind::expect:
        if (!ended.count(s.connection))
          return ::testing::AssertionFailure()
                 << "step " << i << " '" << to_string(s) << "' reads before the half-close";
        read.insert(s.connection);
        ++reads;
        break;
      default:
        break;
      }
    }
    return ::testing::AssertionSuccess();
  });
  EXPECT_GT(reads, 1000u);
}

TEST(ConversationMutator, StepsBeforeTheFirstMutationAreTheBaselines) {
  std::size_t with_a_prefix = 0;
  for_every_case([&](const baseline_case& b, const fuzz_case& c) -> ::testing::AssertionResult {
    const std::size_t first = first_mutated(c);
    if (first > b.baseline.steps.size())
      return ::testing::AssertionFailure() << "first mutated step " << first << " is past the "
                                           << "baseline's " << b.baseline.steps.size() << " steps";
    if (first > 0) ++with_a_prefix;
    for (std::size_t i = 0; i < first; ++i) {
      const case_step& s = c.steps[i];
      if (s.step != b.baseline.steps[i] || s.origin_line != b.baseline.steps[i].line)
        return ::testing::AssertionFailure()
               << "step " << i << " is '" << to_string(s.step) << "' from line " << s.origin_line
               << ", the baseline's is '" << to_string(b.baseline.steps[i]) << "'";
    }
    return ::testing::AssertionSuccess();
  });
  EXPECT_GT(with_a_prefix, 1000u);
}

TEST(ConversationMutator, NoSendUsesAVariableWhoseCaptureWasRelaxed) {
  std::size_t kept_uses = 0, dropped_uses = 0;
  for_every_case([&](const baseline_case& b, const fuzz_case& c) -> ::testing::AssertionResult {
    // The baseline line of the expect that captures each variable.
    std::map<std::string, std::size_t> capture_line;
    long missing = 0; // the baseline's sends with variables, less the case's
    for (const auto& step : b.baseline.steps) {
      for (const auto& e : step.alternatives)
        if (!e.capture.empty()) capture_line[e.capture] = step.line;
      if (step.what == step_kind::send && step.payload.has_variables()) ++missing;
    }
    const std::size_t end = conversation_size(c);
    for (std::size_t i = 0; i < end; ++i) {
      const script_step& s = c.steps[i].step;
      if (s.what != step_kind::send) continue;
      if (s.payload.has_variables()) --missing;
      for (const auto& seg : s.payload.segments) {
        if (!seg.is_variable) continue;
        // The capturing expect, where it still is before this send.
        std::optional<std::size_t> at;
        for (std::size_t k = 0; k < i; ++k)
          if (c.steps[k].step.what == step_kind::expect &&
              c.steps[k].origin_line == capture_line[seg.variable])
            at = k;
        if (!at) continue; // moved after the send or erased: the known bug
        const auto& alternatives = c.steps[*at].step.alternatives;
        const bool captures =
            std::any_of(alternatives.begin(), alternatives.end(),
                        [&](const expectation& e) { return e.capture == seg.variable; });
        if (!captures)
          return ::testing::AssertionFailure()
                 << "step " << i << " '" << to_string(s) << "' uses ${" << seg.variable
                 << "}, whose capture at step " << *at << " was relaxed";
        ++kept_uses;
      }
    }
    if (missing > 0) dropped_uses += static_cast<std::size_t>(missing);
    return ::testing::AssertionSuccess();
  });
  EXPECT_GT(kept_uses, 0u) << "no case kept a send that uses a capture";
  EXPECT_GT(dropped_uses, 0u) << "no case dropped a send that uses a relaxed capture";
}

TEST(ConversationMutator, SendsNeverGrowPastTheLargestPayloadAndTheFraming) {
  mutator_options options;
  options.largest_payload = 24; // above every literal of the baselines
  std::size_t at_the_limit = 0;
  for_every_case(
      [&](const baseline_case& b, const fuzz_case& c) -> ::testing::AssertionResult {
        // A frame's header or delimiter, and one more delimiter for a frame
        // mutation (injected or doubled).
        std::size_t framing = 0;
        if (b.spec.kind == framing_kind::length_prefixed)
          framing = b.spec.header_size();
        else if (b.spec.kind == framing_kind::line)
          framing = 2 * 2;
        else
          for (const auto& d : b.spec.delimiters)
            framing = std::max(framing, 2 * d.size());
        for (std::size_t i = 0; i < c.steps.size(); ++i) {
          const script_step& s = c.steps[i].step;
          if (s.what != step_kind::send || s.payload.has_variables()) continue;
          const std::size_t size = literal_of(s.payload).size();
          if (!s.raw && size > options.largest_payload)
            return ::testing::AssertionFailure()
                   << "step " << i << " sends a " << size << "-byte payload";
          if (size > options.largest_payload + framing)
            return ::testing::AssertionFailure()
                   << "step " << i << " sends " << size << " bytes raw";
          if (size >= options.largest_payload) ++at_the_limit;
        }
        return ::testing::AssertionSuccess();
      },
      options, {bytes_of("0123456789")});
  EXPECT_GT(at_the_limit, 0u) << "no mutation reached the limit: the test proves nothing";
}

// ---------------------------------------------------------------------------
// Mutation families

TEST(ConversationMutator, EveryMutationFamilyAppearsInASample) {
  std::map<std::string, std::size_t> seen;
  const std::vector<std::string> families = {"length field",
                                             "delimiter",
                                             "cut at",
                                             "send dropped",
                                             "send duplicated",
                                             "sends swapped",
                                             "inserted before step",
                                             "replaced by",
                                             "flipped bit",
                                             "reset (RST)",
                                             "close (FIN)",
                                             "half-close",
                                             "stall of",
                                             "cut the frame short"};
  for (const baseline_case& b : baselines()) {
    const conversation_mutator m(b.baseline, b.spec, {});
    for (std::uint64_t n = 0; n < cases_per_baseline; ++n) {
      const fuzz_case c = m.make(seed, n);
      for (const auto& family : families)
        if (any_note_has(c, family)) ++seen[family];
    }
  }
  for (const auto& family : families)
    EXPECT_GT(seen[family], 0u) << "no note mentions '" << family << "'";
}

TEST(ConversationMutator, LengthFieldMutationsChangeTheEncodedHeader) {
  const baseline_case b = baselines()[1];
  ASSERT_EQ(b.spec.kind, framing_kind::length_prefixed);
  ASSERT_EQ(b.spec.field.width, 2u);
  const conversation_mutator m(b.baseline, b.spec, {});
  std::size_t checked = 0;
  for (std::uint64_t n = 0; n < cases_per_baseline; ++n) {
    const fuzz_case c = m.make(seed, n);
    if (c.notes.size() != 1 || c.notes.front().find("length field") == std::string::npos) continue;
    // "line N: length field ..."
    std::size_t line = 0;
    ASSERT_EQ(std::sscanf(c.notes.front().c_str(), "line %zu:", &line), 1) << c.notes.front();
    const auto original = std::find_if(b.baseline.steps.begin(), b.baseline.steps.end(),
                                       [&](const script_step& s) { return s.line == line; });
    ASSERT_NE(original, b.baseline.steps.end()) << c.notes.front();
    byte_buffer encoded;
    ASSERT_FALSE(encode_frame(b.spec, literal_of(original->payload), encoded));
    const auto mutated = std::find_if(c.steps.begin(), c.steps.end(), [&](const case_step& s) {
      return !s.probe && s.origin_line == line;
    });
    ASSERT_NE(mutated, c.steps.end()) << dump(c);
    EXPECT_TRUE(mutated->mutated) << dump(c);
    EXPECT_TRUE(mutated->step.raw) << dump(c);
    const byte_buffer wire = literal_of(mutated->step.payload);
    ASSERT_EQ(wire.size(), encoded.size()) << dump(c);
    EXPECT_NE(byte_buffer(wire.begin(), wire.begin() + 2),
              byte_buffer(encoded.begin(), encoded.begin() + 2))
        << dump(c);
    EXPECT_EQ(byte_buffer(wire.begin() + 2, wire.end()),
              byte_buffer(encoded.begin() + 2, encoded.end()))
        << "only the field changes\n"
        << dump(c);
    ++checked;
  }
  EXPECT_GT(checked, 20u);
}

TEST(ConversationMutator, LengthFieldMutationsWriteTheValueTheirNoteNames) {
  for (const std::string spec_text : {"len:u16be,max=1000", "len:i32le,max=64K"}) {
    const script baseline =
        script_of("# checks: two echoes\nframing " + spec_text +
                  "\n\nsend \"hello\"\nexpect any\nsend \"world!\"\nexpect any\n");
    const framing_spec spec = spec_of(spec_text);
    mutator_options options;
    options.most_mutations = 1;
    const conversation_mutator m(baseline, spec, {}, options);
    std::set<std::string> seen;
    for (std::uint64_t n = 0; n < cases_per_baseline; ++n) {
      const fuzz_case c = m.make(seed, n);
      ASSERT_EQ(c.notes.size(), 1u);
      const std::string& note = c.notes.front();
      if (note.find("length field") == std::string::npos) continue;
      std::size_t line = 0;
      ASSERT_EQ(std::sscanf(note.c_str(), "line %zu:", &line), 1) << note;
      const auto step = std::find_if(c.steps.begin(), c.steps.end(), [&](const case_step& s) {
        return !s.probe && s.origin_line == line;
      });
      ASSERT_NE(step, c.steps.end()) << dump(c);
      ASSERT_TRUE(step->step.raw) << dump(c);
      const auto from = std::find_if(baseline.steps.begin(), baseline.steps.end(),
                                     [&](const script_step& s) { return s.line == line; });
      ASSERT_NE(from, baseline.steps.end()) << note;
      const std::uint64_t original = literal_of(from->payload).size();
      const byte_buffer wire = literal_of(step->step.payload);
      ASSERT_EQ(wire.size(), spec.field.width + original) << dump(c);
      std::uint64_t value = 0;
      for (unsigned k = 0; k < spec.field.width; ++k) {
        const unsigned shift =
            spec.field.order == byte_order::big ? 8u * (spec.field.width - 1 - k) : 8u * k;
        value |= std::uint64_t{wire[k]} << shift;
      }
      const std::uint64_t all_ones = (std::uint64_t{1} << (8u * spec.field.width)) - 1;
      const auto expect_value = [&](std::string_view kind, std::uint64_t expected) {
        if (note.find(kind) == std::string::npos) return;
        seen.insert(std::string(kind));
        EXPECT_EQ(value, expected) << spec_text << ": " << note;
      };
      expect_value("one over (" + std::to_string(original + 1) + ")", original + 1);
      expect_value("one under", original - 1);
      expect_value("length field zero", 0);
      expect_value("at its largest", spec.field.largest_value());
      expect_value("over max (" + std::to_string(spec.max + 1) + ")", spec.max + 1);
      expect_value("negative (-1)", all_ones);
    }
    EXPECT_GE(seen.size(), spec.field.is_signed ? 6u : 5u) << spec_text;
  }
}

TEST(ConversationMutator, ADictionaryWordGivenIsUsed) {
  const byte_buffer word = bytes_of("QZ\xffXJV");
  for (const baseline_case& b : baselines()) {
    const conversation_mutator m(b.baseline, b.spec, {word});
    bool used = false;
    for (std::uint64_t n = 0; n < cases_per_baseline && !used; ++n) {
      const fuzz_case c = m.make(seed, n);
      for (const auto& s : c.steps)
        if (!s.probe && s.step.what == step_kind::send &&
            contains(literal_of(s.step.payload), word))
          used = true;
    }
    EXPECT_TRUE(used) << b.name << ": no send holds the dictionary word";
  }
}

TEST(ConversationMutator, NothingIsSentOrReadOnAConnectionAfterAnInsertedResetOrClose) {
  std::size_t inserted = 0;
  for_every_case([&](const baseline_case&, const fuzz_case& c) -> ::testing::AssertionResult {
    const std::size_t end = conversation_size(c);
    for (std::size_t i = 0; i < end; ++i) {
      const case_step& s = c.steps[i];
      const bool ends = s.step.what == step_kind::reset || s.step.what == step_kind::close;
      if (!ends || s.origin_line != 0 || !s.mutated) continue;
      ++inserted;
      for (std::size_t k = i + 1; k < end; ++k) {
        const script_step& later = c.steps[k].step;
        if (later.connection == s.step.connection &&
            (later.what == step_kind::send || later.what == step_kind::expect))
          return ::testing::AssertionFailure()
                 << "step " << k << " '" << to_string(later) << "' follows '" << to_string(s.step)
                 << "' at step " << i;
      }
    }
    return ::testing::AssertionSuccess();
  });
  EXPECT_GT(inserted, 50u);
}

// ---------------------------------------------------------------------------
// relaxed_expect

TEST(ConversationMutator, ARelaxedExpectAcceptsAnyFrameACloseAResetOrSilence) {
  const script_step step = relaxed_expect("b", duration(33));
  EXPECT_EQ(step.what, step_kind::expect);
  EXPECT_EQ(step.connection, "b");
  EXPECT_FALSE(step.within.has_value());
  ASSERT_EQ(step.alternatives.size(), 4u);
  EXPECT_EQ(step.alternatives[0].what, expect_kind::any);
  EXPECT_EQ(step.alternatives[0].count, 1u);
  EXPECT_EQ(step.alternatives[1].what, expect_kind::close);
  EXPECT_EQ(step.alternatives[2].what, expect_kind::reset);
  EXPECT_EQ(step.alternatives[3].what, expect_kind::silence);
  EXPECT_EQ(step.alternatives[3].quiet, duration(33));
  for (const auto& e : step.alternatives)
    EXPECT_TRUE(e.capture.empty());
  EXPECT_EQ(to_string(step), "b: expect any or close or reset or silence 33ms");
}

// ---------------------------------------------------------------------------
// script_dictionary

TEST(DictionaryFromAScript, HoldsTheScriptsLiteralsAndTheSpecsDelimiters) {
  const script s = script_of(delim_text);
  const auto words = script_dictionary(s, spec_of(*s.framing));
  for (const std::string_view word :
       {"GET key", "VALUE 1", "SET key 2", "STORED", "EXISTS", "VALUE 2"})
    EXPECT_TRUE(has_word(words, word)) << word;
  EXPECT_TRUE(has_word(words, "\r\n"));
  EXPECT_TRUE(has_word(words, std::string_view("\0", 1)));
  std::set<std::string> distinct;
  for (const auto& w : words)
    distinct.insert(std::string(as_text(w)));
  EXPECT_EQ(distinct.size(), words.size()) << "each word once";
}

TEST(DictionaryFromAScript, HoldsTheLiteralPartsOfSendsWithVariables) {
  const script s = script_of(line_text);
  const auto words = script_dictionary(s, spec_of(*s.framing));
  for (const std::string_view word : {"Server: Welcome!", "alice", "bye ", "Good bye!"})
    EXPECT_TRUE(has_word(words, word)) << word;
  for (const auto& w : words)
    EXPECT_FALSE(w.empty());
}

// ---------------------------------------------------------------------------
// parse_dictionary

TEST(DictionaryFile, ReadsWordsNamesEscapesCommentsAndBlankLines) {
  const std::string_view text = "# a comment\n"
                                "\n"
                                "\"plain\"\n"
                                "  kw_get=\"GET\"  \r\n"
                                "\"\\x00\\xDe\\xad\"\n"
                                "\t# an indented comment\n"
                                "\"back\\\\slash\"\n"
                                "quote=\"say \\\"hi\\\"\"\n"
                                "\"last\"";
  std::vector<byte_buffer> words;
  std::string error;
  ASSERT_TRUE(parse_dictionary(text, words, error)) << error;
  const std::vector<byte_buffer> expected = {
      bytes_of("plain"),       bytes_of("GET"),        byte_buffer{0x00, 0xde, 0xad},
      bytes_of("back\\slash"), bytes_of("say \"hi\""), bytes_of("last")};
  EXPECT_EQ(words, expected);
}

TEST(DictionaryFile, AppendsToTheWordsGiven) {
  std::vector<byte_buffer> words = {bytes_of("first")};
  std::string error;
  ASSERT_TRUE(parse_dictionary("\"second\"\n", words, error)) << error;
  EXPECT_EQ(words, (std::vector<byte_buffer>{bytes_of("first"), bytes_of("second")}));
}

TEST(DictionaryFile, RejectsAnUnknownEscapeWithItsLine) {
  std::vector<byte_buffer> words;
  std::string error;
  EXPECT_FALSE(parse_dictionary("\"ok\"\n# fine\n\"bad\\q\"\n", words, error));
  EXPECT_EQ(error.rfind("line 3:", 0), 0u) << error;
  EXPECT_NE(error.find("escape"), std::string::npos) << error;
}

TEST(DictionaryFile, RejectsAShortHexEscapeWithItsLine) {
  std::vector<byte_buffer> words;
  std::string error;
  EXPECT_FALSE(parse_dictionary("\"\\x4\"\n", words, error));
  EXPECT_EQ(error.rfind("line 1:", 0), 0u) << error;
  error.clear();
  EXPECT_FALSE(parse_dictionary("\n\"\\xZZ\"\n", words, error));
  EXPECT_EQ(error.rfind("line 2:", 0), 0u) << error;
}

TEST(DictionaryFile, RejectsALineWithoutQuotesWithItsLine) {
  for (const std::string_view text : {"\"a\"\n\nplain\n", "\"a\"\n\nname=\"open\n"}) {
    std::vector<byte_buffer> words;
    std::string error;
    EXPECT_FALSE(parse_dictionary(text, words, error)) << text;
    EXPECT_EQ(error.rfind("line 3:", 0), 0u) << error;
  }
}

// ---------------------------------------------------------------------------
// Datagrams (transport udp)

const std::string_view udp_text = R"(# a UDP exchange
transport udp
framing datagram
send "hello"
expect "hi"
send "set:alpha"
expect "ok"
send "get"
expect "alpha"
)";

// Two named sockets, one of them named as the mutator's fresh ones are.
const std::string_view udp_named_text = R"(# two sockets
transport udp
framing datagram
send "hello"
expect "hi"
c2: connect
c2: send "get"
c2: expect "alpha"
f1: connect
f1: send "ping"
f1: expect "pong"
)";

baseline_case udp_baseline(std::string_view text = udp_text) {
  script s = script_of(text);
  framing_spec spec = spec_of(*s.framing);
  return {"udp", std::move(s), std::move(spec)};
}

// Runs `check` on cases 0..count-1 of `b`, and reports the first that fails it.
void for_every_udp_case(const baseline_case& b,
                        const std::function<::testing::AssertionResult(const fuzz_case&)>& check,
                        const mutator_options& options = {}) {
  const conversation_mutator m(b.baseline, b.spec, {}, options);
  for (std::uint64_t n = 0; n < cases_per_baseline; ++n) {
    const fuzz_case c = m.make(seed, n);
    const ::testing::AssertionResult result = check(c);
    if (!result) {
      ADD_FAILURE() << b.name << " baseline: " << result.message() << "\n" << dump(c);
      return;
    }
  }
}

bool needs_a_stream(const script_step& s) {
  return s.what == step_kind::shutdown || s.what == step_kind::reset ||
         std::any_of(s.alternatives.begin(), s.alternatives.end(), [](const expectation& e) {
           return e.what == expect_kind::close || e.what == expect_kind::reset;
         });
}

script_step connect_of(const std::string& connection) {
  script_step step;
  step.what = step_kind::connect;
  step.connection = connection;
  return step;
}

// The case's send that came from baseline line `line`, before the probe.
const case_step* from_line(const fuzz_case& c, std::size_t line) {
  for (const auto& s : c.steps)
    if (!s.probe && s.origin_line == line && s.step.what == step_kind::send) return &s;
  return nullptr;
}

TEST(ConversationMutatorUdp, EveryCaseConvertsToAUdpScriptThatRoundTrips) {
  const baseline_case b = udp_baseline();
  ASSERT_EQ(b.baseline.transport, script_transport::udp);
  ASSERT_EQ(b.spec.kind, framing_kind::datagram);
  for_every_udp_case(b, [&](const fuzz_case& c) -> ::testing::AssertionResult {
    script s;
    try {
      s = to_script(c, b.baseline);
    } catch (const std::exception& e) {
      return ::testing::AssertionFailure() << "to_script threw: " << e.what();
    }
    if (s.transport != script_transport::udp)
      return ::testing::AssertionFailure() << "the script is not 'transport udp'";
    if (s.steps.size() != c.steps.size())
      return ::testing::AssertionFailure()
             << "the script has " << s.steps.size() << " steps, the case " << c.steps.size();
    for (std::size_t i = 0; i < s.steps.size(); ++i)
      if (normalized(s.steps[i]) != normalized(c.steps[i].step))
        return ::testing::AssertionFailure() << "step " << i << " is '" << to_string(s.steps[i])
                                             << "', not '" << to_string(c.steps[i].step) << "'";
    return ::testing::AssertionSuccess();
  });
}

TEST(ConversationMutatorUdp, NoCaseHasAStepOnlyAStreamHas) {
  for_every_udp_case(udp_baseline(), [](const fuzz_case& c) -> ::testing::AssertionResult {
    for (std::size_t i = 0; i < c.steps.size(); ++i) {
      const script_step& s = c.steps[i].step;
      if (needs_a_stream(s))
        return ::testing::AssertionFailure() << "step " << i << " is '" << to_string(s) << "'";
      // `close` parses under udp, but a datagram socket sends no FIN.
      if (s.what == step_kind::close)
        return ::testing::AssertionFailure() << "step " << i << " closes '" << s.connection << "'";
    }
    for (const std::string_view stream_only :
         {"reset (RST)", "close (FIN)", "half-close", "cut at"})
      if (any_note_has(c, stream_only))
        return ::testing::AssertionFailure() << "a note says '" << stream_only << "'";
    return ::testing::AssertionSuccess();
  });
}

TEST(ConversationMutatorUdp, EveryExpectAfterTheFirstMutationIsRelaxedWithoutCloseOrReset) {
  mutator_options options;
  options.quiet = duration(40);
  std::size_t relaxed = 0;
  for_every_udp_case(
      udp_baseline(),
      [&](const fuzz_case& c) -> ::testing::AssertionResult {
        for (std::size_t i = first_mutated(c); i < conversation_size(c); ++i) {
          const script_step& s = c.steps[i].step;
          if (s.what != step_kind::expect) continue;
          if (s != relaxed_expect(s.connection, options.quiet, script_transport::udp))
            return ::testing::AssertionFailure()
                   << "step " << i << " is '" << to_string(s) << "', not relaxed";
          ++relaxed;
        }
        return ::testing::AssertionSuccess();
      },
      options);
  EXPECT_GT(relaxed, 1000u);
}

TEST(ConversationMutatorUdp, EveryDatagramOperationAppearsInASample) {
  const baseline_case b = udp_baseline();
  const conversation_mutator m(b.baseline, b.spec, {});
  std::map<std::string, std::size_t> seen;
  const std::vector<std::string> families = {"merged the datagrams of lines",
                                             "sent from a fresh socket (another source port)",
                                             "datagram resized to",
                                             "split the datagram in two at byte",
                                             "cut the frame short",
                                             "send dropped",
                                             "send duplicated",
                                             "sends swapped",
                                             "stall of",
                                             "flipped bit"};
  for (std::uint64_t n = 0; n < cases_per_baseline; ++n) {
    const fuzz_case c = m.make(seed, n);
    for (const auto& family : families)
      if (any_note_has(c, family)) ++seen[family];
  }
  for (const auto& family : families)
    EXPECT_GT(seen[family], 0u) << "no note mentions '" << family << "'";
}

TEST(ConversationMutatorUdp, SomeCasesSendAnEmptyDatagramAndSomeOneOf4097BytesOrMore) {
  const baseline_case b = udp_baseline();
  const conversation_mutator m(b.baseline, b.spec, {});
  std::size_t empty = 0, large = 0, largest = 0;
  for (std::uint64_t n = 0; n < cases_per_baseline; ++n)
    for (const auto& s : m.make(seed, n).steps) {
      if (s.probe || s.step.what != step_kind::send) continue;
      const std::size_t size = literal_of(s.step.payload).size();
      empty += size == 0;
      large += size >= 4097;
      largest = std::max(largest, size);
    }
  EXPECT_GT(empty, 0u);
  EXPECT_GT(large, 0u);
  EXPECT_LE(largest, mutator_options{}.largest_datagram);
}

TEST(ConversationMutatorUdp, AResizedDatagramRepeatsItsPayloadToTheSizeItsNoteNames) {
  const baseline_case b = udp_baseline();
  mutator_options options;
  options.most_mutations = 1;
  const conversation_mutator m(b.baseline, b.spec, {}, options);
  std::set<std::size_t> sizes;
  for (std::uint64_t n = 0; n < cases_per_baseline; ++n) {
    const fuzz_case c = m.make(seed, n);
    std::size_t line = 0, size = 0;
    if (std::sscanf(c.notes.front().c_str(), "line %zu: datagram resized to %zu bytes", &line,
                    &size) != 2)
      continue;
    const case_step* s = from_line(c, line);
    ASSERT_NE(s, nullptr) << dump(c);
    const auto from = std::find_if(b.baseline.steps.begin(), b.baseline.steps.end(),
                                   [&](const script_step& step) { return step.line == line; });
    ASSERT_NE(from, b.baseline.steps.end()) << c.notes.front();
    const byte_buffer original = literal_of(from->payload);
    const byte_buffer sent = literal_of(s->step.payload);
    ASSERT_EQ(sent.size(), size) << dump(c);
    for (std::size_t k = 0; k < sent.size(); ++k)
      ASSERT_EQ(sent[k], original[k % original.size()]) << "byte " << k << "\n" << dump(c);
    sizes.insert(size);
  }
  EXPECT_EQ(sizes, (std::set<std::size_t>{0, 1023, 1024, 1025, 2047, 2048, 2049, 4095, 4096, 4097,
                                          8192, 8193}));
}

TEST(ConversationMutatorUdp, ADatagramNeverGrowsPastTheLargestDatagram) {
  mutator_options options;
  options.largest_datagram = 2000;
  std::size_t at_the_limit = 0;
  for_every_udp_case(
      udp_baseline(),
      [&](const fuzz_case& c) -> ::testing::AssertionResult {
        for (const auto& s : c.steps)
          if (!s.probe && s.step.what == step_kind::send) {
            const std::size_t size = literal_of(s.step.payload).size();
            if (size > options.largest_datagram)
              return ::testing::AssertionFailure() << "a send of " << size << " bytes";
            at_the_limit += size == options.largest_datagram;
          }
        return ::testing::AssertionSuccess();
      },
      options);
  EXPECT_GT(at_the_limit, 0u);
}

TEST(ConversationMutatorUdp, MergedDatagramsAreOneSendOfBothPayloads) {
  const baseline_case b = udp_baseline();
  mutator_options options;
  options.most_mutations = 1;
  const conversation_mutator m(b.baseline, b.spec, {}, options);
  std::size_t checked = 0;
  for (std::uint64_t n = 0; n < cases_per_baseline; ++n) {
    const fuzz_case c = m.make(seed, n);
    if (c.notes.front() != "merged the datagrams of lines 4 and 6") continue;
    const case_step* merged = from_line(c, 4);
    ASSERT_NE(merged, nullptr) << dump(c);
    EXPECT_TRUE(merged->mutated) << dump(c);
    EXPECT_EQ(literal_of(merged->step.payload), bytes_of("helloset:alpha")) << dump(c);
    EXPECT_EQ(from_line(c, 6), nullptr) << "the second datagram is sent once\n" << dump(c);
    ++checked;
  }
  EXPECT_GT(checked, 5u);
}

TEST(ConversationMutatorUdp, ASendFromAFreshSocketOpensItFirstAndAwaitsTheReplyThere) {
  const baseline_case b = udp_baseline();
  mutator_options options;
  options.most_mutations = 1;
  const conversation_mutator m(b.baseline, b.spec, {}, options);
  std::size_t checked = 0;
  for (std::uint64_t n = 0; n < cases_per_baseline; ++n) {
    const fuzz_case c = m.make(seed, n);
    std::size_t line = 0;
    const std::string& note = c.notes.front();
    if (note.find("sent from a fresh socket") == std::string::npos) continue;
    ASSERT_EQ(std::sscanf(note.c_str(), "line %zu", &line), 1) << note;
    const auto send = std::find_if(c.steps.begin(), c.steps.end(), [&](const case_step& s) {
      return !s.probe && s.origin_line == line && s.step.what == step_kind::send;
    });
    ASSERT_NE(send, c.steps.end()) << dump(c);
    ASSERT_NE(send, c.steps.begin()) << dump(c);
    EXPECT_EQ(send->step.connection, "f1") << dump(c);
    EXPECT_EQ(std::prev(send)->step, connect_of("f1")) << dump(c);
    const bool awaited = std::any_of(send, c.steps.end(), [&](const case_step& s) {
      return !s.probe && s.step == relaxed_expect("f1", options.quiet, script_transport::udp);
    });
    EXPECT_TRUE(awaited) << dump(c);
    ++checked;
  }
  EXPECT_GT(checked, 20u);
}

TEST(ConversationMutatorUdp, FreshSocketsAreNamedUnlikeTheBaselinesConnections) {
  const baseline_case b = udp_baseline(udp_named_text);
  const auto used = b.baseline.connections();
  std::size_t fresh = 0;
  for_every_udp_case(b, [&](const fuzz_case& c) -> ::testing::AssertionResult {
    if (!try_to_script(c, b.baseline)) return ::testing::AssertionFailure() << "does not convert";
    std::set<std::string> opened;
    for (const auto& s : c.steps) {
      if (s.probe || s.step.what != step_kind::connect) continue;
      if (!opened.insert(s.step.connection).second)
        return ::testing::AssertionFailure() << "'" << s.step.connection << "' opened twice";
      if (s.origin_line != 0) continue;
      ++fresh;
      if (std::find(used.begin(), used.end(), s.step.connection) != used.end())
        return ::testing::AssertionFailure()
               << "the fresh socket '" << s.step.connection << "' is the baseline's";
    }
    return ::testing::AssertionSuccess();
  });
  EXPECT_GT(fresh, 50u);
}

TEST(ConversationMutatorUdp, ATcpBaselineStillHalfCloses) {
  const baseline_case b = baselines()[1];
  ASSERT_EQ(b.baseline.transport, script_transport::tcp);
  const conversation_mutator m(b.baseline, b.spec, {});
  std::size_t half_closes = 0, close_or_reset = 0, udp_notes = 0;
  for (std::uint64_t n = 0; n < cases_per_baseline; ++n) {
    const fuzz_case c = m.make(seed, n);
    for (const auto& s : c.steps) {
      half_closes += !s.probe && s.step.what == step_kind::shutdown;
      close_or_reset += s.step == relaxed_expect(s.step.connection, mutator_options{}.quiet);
    }
    udp_notes += any_note_has(c, "datagram") || any_note_has(c, "fresh socket");
  }
  EXPECT_GT(half_closes, 1000u);
  EXPECT_GT(close_or_reset, 1000u);
  EXPECT_EQ(udp_notes, 0u);
}

TEST(ConversationMutatorUdp, ARelaxedExpectUnderUdpAcceptsAnyFrameOrSilence) {
  const script_step step = relaxed_expect("b", duration(33), script_transport::udp);
  ASSERT_EQ(step.alternatives.size(), 2u);
  EXPECT_EQ(step.alternatives[0].what, expect_kind::any);
  EXPECT_EQ(step.alternatives[1].what, expect_kind::silence);
  EXPECT_EQ(step.alternatives[1].quiet, duration(33));
  EXPECT_EQ(to_string(step), "b: expect any or silence 33ms");
}

TEST(ConversationMutatorUdp, TheSameSeedAndIndexGiveTheSameCase) {
  const baseline_case b = udp_baseline();
  const conversation_mutator one(b.baseline, b.spec, {});
  const conversation_mutator other(b.baseline, b.spec, {});
  for (std::uint64_t n = 0; n < 200; ++n) {
    const fuzz_case x = one.make(seed, n);
    const fuzz_case y = other.make(seed, n);
    EXPECT_TRUE(same_steps(x.steps, y.steps)) << dump(x) << dump(y);
    EXPECT_EQ(x.notes, y.notes);
  }
}

} // namespace
} // namespace tcpcheck
