// Tests for check_matrix.hpp: the cases generated from a baseline script
// (ids, order, fault and boundary scripts, the liveness probe), selection by
// glob and shard, and the small parsers.
#include "tcpcheck/check_matrix.hpp"

#include "tcpcheck/boundary_frames.hpp"
#include "tcpcheck/bytes.hpp"
#include "tcpcheck/delivery_plan.hpp"
#include "tcpcheck/framing_spec.hpp"
#include "tcpcheck/script.hpp"

#include <algorithm>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace tcpcheck {
namespace {

using test::script_of;
using test::spec_of;

using step_kind = script_step::kind;
using expect_kind = expectation::kind;

// ---------------------------------------------------------------------------
// Helpers

std::vector<check_case> matrix_of(const script& s, const matrix_options& options = {}) {
  return test::with_scripts_made(generate_matrix(s, spec_of(s), options));
}

const check_case& find_case(const std::vector<check_case>& cases, std::string_view id) {
  for (const auto& c : cases)
    if (c.id == id) return c;
  throw std::invalid_argument("no case '" + std::string(id) + "'");
}

bool has_case(const std::vector<check_case>& cases, std::string_view id) {
  return std::any_of(cases.begin(), cases.end(), [&](const check_case& c) { return c.id == id; });
}

case_selection selecting(std::vector<std::string> only, std::vector<std::string> exclude = {}) {
  case_selection selection;
  selection.only = std::move(only);
  selection.exclude = std::move(exclude);
  return selection;
}

std::vector<std::string> ids_of(const std::vector<check_case>& cases) {
  std::vector<std::string> ids;
  for (const auto& c : cases)
    ids.push_back(c.id);
  return ids;
}

// A step as it would be written on another connection, line numbers aside:
// what two steps must share to be "the same step".
script_step comparable(script_step step, const std::string& connection) {
  step.line = 0;
  step.connection = connection;
  return step;
}

script_step comparable(const script_step& step) {
  return comparable(step, step.connection);
}

// The bytes of a send step with no variables.
std::string sent_text(const script_step& step) {
  std::string out;
  for (const auto& seg : step.payload.segments)
    out += std::string(as_text(seg.bytes));
  return out;
}

// The connection names of a probe as check_matrix.hpp documents them: the
// baseline's "main" becomes PREFIX, another connection NAME becomes PREFIX-NAME.
std::function<std::string(const std::string&)> renamed_by(const std::string& prefix) {
  return [prefix](const std::string& connection) {
    return connection == "main" ? prefix : prefix + "-" + connection;
  };
}

// Steps compared without their lines.
std::vector<script_step> comparable(const std::vector<script_step>& steps) {
  std::vector<script_step> out;
  for (const auto& step : steps)
    out.push_back(comparable(step));
  return out;
}

// The number of steps at the end of `s` that are the liveness probe: the
// baseline's steps on renamed connections, after a connect to the renamed
// "main" when the baseline relies on "main" being connected at the start.
// Adds a failure and returns nullopt when `s` does not end that way.
std::optional<std::size_t> probe_length(const script& s, const script& baseline,
                                        const std::string& prefix = "probe") {
  const auto rename = renamed_by(prefix);
  const std::size_t n = baseline.steps.size();
  if (s.steps.size() < n) {
    ADD_FAILURE() << "the script is shorter than the baseline:\n" << to_string(s);
    return std::nullopt;
  }
  const std::size_t first = s.steps.size() - n;
  for (std::size_t i = 0; i < n; ++i) {
    const script_step expected =
        comparable(baseline.steps[i], rename(baseline.steps[i].connection));
    if (comparable(s.steps[first + i]) != expected) {
      ADD_FAILURE() << "step " << first + i << " is '" << to_string(s.steps[first + i])
                    << "', the probe's should be '" << to_string(expected) << "' in:\n"
                    << to_string(s);
      return std::nullopt;
    }
  }
  const bool needs_connect = baseline.steps.front().what != step_kind::connect;
  if (!needs_connect) return n;
  if (first == 0 || s.steps[first - 1].what != step_kind::connect ||
      s.steps[first - 1].connection != rename("main")) {
    ADD_FAILURE() << "the probe does not open with '" << rename("main") << ": connect' in:\n"
                  << to_string(s);
    return std::nullopt;
  }
  return n + 1;
}

// The steps of `s` before its probe.
std::vector<script_step> before_probe(const script& s, const script& baseline) {
  const auto n = probe_length(s, baseline);
  if (!n) return {};
  return comparable(
      std::vector<script_step>(s.steps.begin(), s.steps.end() - static_cast<std::ptrdiff_t>(*n)));
}

std::vector<script_step> baseline_steps(const script& baseline, std::size_t count) {
  return comparable(std::vector<script_step>(
      baseline.steps.begin(), baseline.steps.begin() + static_cast<std::ptrdiff_t>(count)));
}

script_step on(const std::string& connection, step_kind what) {
  script_step step;
  step.what = what;
  step.connection = connection;
  return step;
}

std::vector<expect_kind> kinds_of(const script_step& expect) {
  std::vector<expect_kind> out;
  for (const auto& e : expect.alternatives)
    out.push_back(e.what);
  return out;
}

// A hello-style conversation: a greeting, a plain send, a capture, a send
// that uses it, and the end. Written canonically, so its lines are those of
// its own printed form.
const std::string_view hello_text = R"(# checks: a greeting, a name, a capture and good bye
framing line
timeout 1s

expect "Server: Welcome!"
send "alice"
expect regex "^Hello (\w+)!$" as name
send "bye ${name}"
expect "Good bye!"
expect close
)";

// Lines of hello_text's steps.
constexpr std::size_t alice_line = 6, hello_line = 7, bye_line = 8, goodbye_line = 9;

// Two connections, "main" and "b", neither opened explicitly first.
const std::string_view two_clients_text = R"(# checks: two clients at once
framing line
timeout 1s

expect "Welcome!"
b: connect
b: expect "Welcome!"
b: send "bob"
b: expect "Hello, bob"
send "alice"
expect "Hello, alice"
b: close
)";

// ---------------------------------------------------------------------------
// Ids and order

TEST(CheckMatrix, TheBaselineItselfComesFirstUnderThePlanWhole) {
  const script s = script_of(hello_text);
  const auto cases = matrix_of(s);

  ASSERT_FALSE(cases.empty());
  const check_case& first = cases.front();
  EXPECT_EQ(first.id, "segmentation/whole");
  EXPECT_EQ(first.area, check_area::segmentation);
  EXPECT_EQ(first.runner, case_runner::script);
  EXPECT_EQ(first.plan.what, delivery_plan::kind::whole);
  EXPECT_EQ(first.steps, s);
}

TEST(CheckMatrix, IdsAreUniqueAndTheSameForEverySeed) {
  for (const std::string_view text : {hello_text, two_clients_text}) {
    const script s = script_of(text);
    const auto ids = ids_of(matrix_of(s, {.seed = 1}));
    const std::set<std::string> distinct(ids.begin(), ids.end());
    EXPECT_EQ(distinct.size(), ids.size()) << text;

    for (const std::uint64_t seed : {2u, 77u, 123456789u})
      EXPECT_EQ(ids_of(matrix_of(s, {.seed = seed})), ids) << "seed " << seed;
  }
}

TEST(CheckMatrix, RandomPlansDeriveTheirSeedsFromTheOptions) {
  const script s = script_of(hello_text);
  const auto one = matrix_of(s, {.seed = 1, .random_plans = 3});
  const auto other = matrix_of(s, {.seed = 50, .random_plans = 3});

  for (std::size_t i = 1; i <= 3; ++i) {
    const std::string id = "segmentation/random-" + std::to_string(i);
    const check_case& a = find_case(one, id);
    const check_case& b = find_case(other, id);
    EXPECT_EQ(a.plan.what, delivery_plan::kind::random);
    EXPECT_EQ(b.plan.what, delivery_plan::kind::random);
    EXPECT_NE(a.plan.seed, b.plan.seed) << id;
  }
  EXPECT_FALSE(has_case(one, "segmentation/random-4"));
  const auto seeds = [](const std::vector<check_case>& cases) {
    std::set<std::uint64_t> out;
    for (std::size_t i = 1; i <= 3; ++i)
      out.insert(find_case(cases, "segmentation/random-" + std::to_string(i)).plan.seed);
    return out;
  };
  EXPECT_EQ(seeds(one).size(), 3u) << "each random plan has a seed of its own";
}

TEST(CheckMatrix, AreasComeInTheDocumentedOrder) {
  const auto cases = matrix_of(script_of(hello_text));
  std::vector<check_area> areas;
  for (const auto& c : cases)
    if (areas.empty() || areas.back() != c.area) areas.push_back(c.area);
  // Each area in one run: no area comes back after another began.
  const std::set<check_area> distinct(areas.begin(), areas.end());
  EXPECT_EQ(distinct.size(), areas.size());
  EXPECT_EQ(areas.front(), check_area::segmentation);
  for (const auto& c : cases)
    EXPECT_TRUE(c.id.starts_with(std::string(name_of(c.area)) + "/")) << c.id;
}

TEST(CheckMatrix, SegmentationCasesRunTheBaselineUnderEachPlan) {
  const script s = script_of(hello_text);
  const auto cases = matrix_of(s, {.random_plans = 2});
  const std::map<std::string, delivery_plan::kind> expected = {
      {"segmentation/whole", delivery_plan::kind::whole},
      {"segmentation/bytewise", delivery_plan::kind::bytewise},
      {"segmentation/split-header", delivery_plan::kind::split_header},
      {"segmentation/chunk-2", delivery_plan::kind::chunk},
      {"segmentation/chunk-7", delivery_plan::kind::chunk},
      {"segmentation/random-1", delivery_plan::kind::random},
      {"segmentation/random-2", delivery_plan::kind::random},
      {"segmentation/merged", delivery_plan::kind::merged},
      {"segmentation/pipeline", delivery_plan::kind::pipeline},
  };
  std::size_t segmentation = 0;
  for (const auto& c : cases) {
    if (c.area != check_area::segmentation) continue;
    ++segmentation;
    ASSERT_TRUE(expected.contains(c.id)) << c.id;
    EXPECT_EQ(c.plan.what, expected.at(c.id)) << c.id;
    EXPECT_EQ(c.steps, s) << c.id;
    EXPECT_EQ(c.runner, case_runner::script) << c.id;
  }
  EXPECT_EQ(segmentation, expected.size());
  EXPECT_EQ(find_case(cases, "segmentation/chunk-2").plan.chunk, 2u);
  EXPECT_EQ(find_case(cases, "segmentation/chunk-7").plan.chunk, 7u);
}

TEST(CheckMatrix, RunnerCasesCountWhatTheOptionsSay) {
  const script s = script_of(hello_text);
  const auto cases = matrix_of(s, {.parallel = 8, .soak = 20, .latency_runs = 10});

  const check_case& parallel = find_case(cases, "concurrency/parallel-8");
  EXPECT_EQ(parallel.runner, case_runner::parallel);
  EXPECT_EQ(parallel.count, 8u);
  EXPECT_EQ(parallel.steps, s);
  EXPECT_FALSE(parallel.failure_hint.empty());

  const check_case& soak = find_case(cases, "soak/sequential-20");
  EXPECT_EQ(soak.runner, case_runner::soak);
  EXPECT_EQ(soak.count, 20u);
  EXPECT_EQ(soak.steps, s);

  const check_case& latency = find_case(cases, "latency/exchanges");
  EXPECT_EQ(latency.runner, case_runner::latency);
  EXPECT_EQ(latency.count, 10u);
  EXPECT_EQ(latency.steps, s);
}

// (The slow reader's script holds megabytes, more than a script file may:
// it is never written; the check replays it, narrowed to it.)
TEST(CheckMatrix, EveryGeneratedScriptRoundTripsThroughItsText) {
  for (const std::string_view text : {hello_text, two_clients_text}) {
    const script s = script_of(text);
    for (const auto& c : matrix_of(s)) {
      if (c.runner != case_runner::script || c.area == check_area::segmentation || c.slow_reader)
        continue;
      script_error error;
      const auto again = parse_script(to_string(c.steps), error);
      ASSERT_TRUE(again) << c.id << ": " << error.to_string(c.id) << "\n" << to_string(c.steps);
      EXPECT_EQ(*again, c.steps) << c.id;
      EXPECT_EQ(c.steps.framing, s.framing) << c.id;
      EXPECT_EQ(c.steps.timeout, s.timeout) << c.id;
    }
  }
}

// A baseline written with comments and blank lines in odd places: the
// segmentation cases run it as written (its lines are the user's), the
// generated scripts are canonical.
TEST(CheckMatrix, GeneratedScriptsAreCanonicalEvenForAScrappyBaseline) {
  const script s = script_of("# scrappy\n\n\nframing line\n# a comment\ntimeout 1s\n\n\n"
                             "expect \"Server: Welcome!\"\n\n# more\nsend \"alice\"\n"
                             "expect \"Hello alice!\"\n");
  const auto cases = matrix_of(s);
  EXPECT_EQ(find_case(cases, "segmentation/whole").steps, s);
  const std::string at = "faults/line-" + std::to_string(s.steps[1].line) + "/rst";
  const check_case& rst = find_case(cases, at);
  script_error error;
  const auto again = parse_script(to_string(rst.steps), error);
  ASSERT_TRUE(again) << error.to_string(at);
  EXPECT_EQ(*again, rst.steps);
}

// A thousand exchanges: the faults give about six cases a step, each as
// long as the conversation up to its point. Made at once, their scripts
// held half a million steps here (a 1,000-step script took 2.9 GiB); the
// cases must hold a bounded number of baseline copies, and make a fault's
// script only when asked.
TEST(CheckMatrix, CasesHoldStepsLinearInTheBaselinesLength) {
  std::string text = "framing line\nexpect \"welcome\"\n";
  for (int i = 0; i < 500; ++i)
    text += "send \"n" + std::to_string(i) + "\"\nexpect \"hello n" + std::to_string(i) + "\"\n";
  const script s = script_of(text);
  const auto cases = generate_matrix(s, spec_of(s), {});
  std::size_t held = 0;
  std::size_t faults = 0;
  for (const auto& c : cases) {
    held += c.steps.steps.size();
    if (c.area != check_area::faults) continue;
    ++faults;
    EXPECT_TRUE(c.steps.steps.empty()) << c.id;
    EXPECT_TRUE(c.make_steps) << c.id;
  }
  EXPECT_GT(faults, 4 * 1000u);
  EXPECT_LT(held, 30 * s.steps.size());

  // Made when asked: the conversation cut before its step, and the probe.
  const std::string at = "faults/line-" + std::to_string(s.steps[700].line) + "/rst";
  const auto made = case_script(find_case(cases, at));
  ASSERT_TRUE(made);
  auto expected = baseline_steps(s, 700);
  expected.push_back(on("main", step_kind::reset));
  EXPECT_EQ(before_probe(*made, s), expected);
}

// ---------------------------------------------------------------------------
// Faults

TEST(CheckMatrix, FaultCasesExistForEverySendAndExpectWithMidFrameOnesForPlainSends) {
  const script s = script_of(hello_text);
  const auto cases = matrix_of(s);
  const std::vector<std::string> faults = {"rst", "fin", "half-close", "silent"};

  std::size_t expected_faults = 0;
  for (const auto& step : s.steps) {
    ASSERT_TRUE(step.what == step_kind::send || step.what == step_kind::expect);
    const std::string at = "faults/line-" + std::to_string(step.line);
    for (const auto& f : faults)
      EXPECT_TRUE(has_case(cases, at + "/" + f)) << at << "/" << f;
    expected_faults += faults.size();
    const bool plain_send = step.what == step_kind::send && !step.payload.has_variables();
    for (const auto& f : faults)
      EXPECT_EQ(has_case(cases, at + "-mid/" + f), plain_send) << at << "-mid/" << f;
    if (plain_send) expected_faults += faults.size();
  }
  const auto in_faults = std::count_if(
      cases.begin(), cases.end(), [](const check_case& c) { return c.area == check_area::faults; });
  EXPECT_EQ(static_cast<std::size_t>(in_faults), expected_faults);
  // The lines named above are the script's own.
  EXPECT_TRUE(has_case(cases, "faults/line-" + std::to_string(alice_line) + "-mid/rst"));
  EXPECT_FALSE(has_case(cases, "faults/line-" + std::to_string(bye_line) + "-mid/rst"));
  EXPECT_FALSE(has_case(cases, "faults/line-" + std::to_string(hello_line) + "-mid/rst"));
}

TEST(CheckMatrix, FaultCasesEndWithAFreshConversation) {
  const script s = script_of(hello_text);
  for (const auto& c : matrix_of(s)) {
    if (c.area != check_area::faults) continue;
    SCOPED_TRACE(c.id);
    EXPECT_TRUE(probe_length(c.steps, s).has_value());
    EXPECT_FALSE(c.failure_hint.empty());
  }
}

TEST(CheckMatrix, AResetCutsTheConversationJustBeforeItsStep) {
  const script s = script_of(hello_text);
  const auto cases = matrix_of(s);
  for (std::size_t k = 0; k < s.steps.size(); ++k) {
    const std::string at = "faults/line-" + std::to_string(s.steps[k].line);
    auto expected = baseline_steps(s, k);
    expected.push_back(on("main", step_kind::reset));
    EXPECT_EQ(before_probe(find_case(cases, at + "/rst").steps, s), expected) << at;

    expected.back() = on("main", step_kind::close);
    EXPECT_EQ(before_probe(find_case(cases, at + "/fin").steps, s), expected) << at;

    expected.pop_back();
    EXPECT_EQ(before_probe(find_case(cases, at + "/silent").steps, s), expected) << at;
  }
}

TEST(CheckMatrix, MidFrameFaultsSendTheFirstHalfOfTheFrameRaw) {
  const script s = script_of(hello_text);
  const auto cases = matrix_of(s);
  const std::string at = "faults/line-" + std::to_string(alice_line) + "-mid/";

  // "alice\n" framed by `line`: six bytes, three of them sent.
  const auto steps = before_probe(find_case(cases, at + "rst").steps, s);
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[0], comparable(s.steps[0]));
  EXPECT_EQ(steps[1].what, step_kind::send);
  EXPECT_TRUE(steps[1].raw);
  EXPECT_EQ(sent_text(steps[1]), "ali");
  EXPECT_EQ(steps[2], on("main", step_kind::reset));

  // The half-close mid-frame owes nothing: the frame never ended.
  const auto half = before_probe(find_case(cases, at + "half-close").steps, s);
  ASSERT_EQ(half.size(), 3u);
  EXPECT_EQ(half[1], steps[1]);
  EXPECT_EQ(half[2], on("main", step_kind::shutdown));
}

TEST(CheckMatrix, MidFrameFaultsCutALengthPrefixedFrameInsideItsBytes) {
  const script s = script_of("# len\nframing len:u16be\ntimeout 1s\n\nsend \"hello\"\n"
                             "expect \"hello\"\n");
  const auto cases = matrix_of(s);
  const auto steps = before_probe(find_case(cases, "faults/line-5-mid/fin").steps, s);
  ASSERT_EQ(steps.size(), 2u);
  ASSERT_TRUE(steps[0].raw);
  // 00 05 'h' 'e' 'l' 'l' 'o': the first three bytes.
  EXPECT_EQ(sent_text(steps[0]), std::string("\x00\x05h", 3));
  EXPECT_EQ(steps[1], on("main", step_kind::close));
}

TEST(CheckMatrix, HalfCloseStillExpectsTheRepliesAlreadyOwed) {
  const script s = script_of(hello_text);
  const auto cases = matrix_of(s);

  // At an expect: that expect and every expect after it on the connection,
  // up to the next step of another kind.
  const auto at_goodbye = before_probe(
      find_case(cases, "faults/line-" + std::to_string(goodbye_line) + "/half-close").steps, s);
  auto expected = baseline_steps(s, 4);
  expected.push_back(on("main", step_kind::shutdown));
  expected.push_back(comparable(s.steps[4]));
  expected.push_back(comparable(s.steps[5]));
  EXPECT_EQ(at_goodbye, expected);

  const auto at_hello = before_probe(
      find_case(cases, "faults/line-" + std::to_string(hello_line) + "/half-close").steps, s);
  expected = baseline_steps(s, 2);
  expected.push_back(on("main", step_kind::shutdown));
  expected.push_back(comparable(s.steps[2]));
  EXPECT_EQ(at_hello, expected);

  // At a send: nothing is owed yet.
  const auto at_alice = before_probe(
      find_case(cases, "faults/line-" + std::to_string(alice_line) + "/half-close").steps, s);
  expected = baseline_steps(s, 1);
  expected.push_back(on("main", step_kind::shutdown));
  EXPECT_EQ(at_alice, expected);
}

TEST(CheckMatrix, HalfCloseOwesNoExpectedSilence) {
  // The silence was the open conversation's: after the client's FIN a
  // server may close at once, so it is not carried over.
  const script s = script_of("framing line\n\nsend \"a\"\nexpect \"b\"\nexpect silence 100ms\n");
  const auto cases = matrix_of(s);
  const auto at_reply = before_probe(find_case(cases, "faults/line-4/half-close").steps, s);
  auto expected = baseline_steps(s, 1);
  expected.push_back(on("main", step_kind::shutdown));
  expected.push_back(comparable(s.steps[1]));
  EXPECT_EQ(at_reply, expected);
}

TEST(CheckMatrix, NamedConnectionsOfTheBaselineAreRenamedForTheProbe) {
  const script s = script_of(two_clients_text);
  const auto cases = matrix_of(s);
  const std::set<std::string> probe_connections = {"probe", "probe-b"};
  std::size_t checked = 0;
  for (const auto& c : cases) {
    if (c.runner != case_runner::script || c.area == check_area::segmentation) continue;
    SCOPED_TRACE(c.id);
    const auto n = probe_length(c.steps, s);
    ASSERT_TRUE(n);
    for (std::size_t i = c.steps.steps.size() - *n; i < c.steps.steps.size(); ++i)
      EXPECT_TRUE(probe_connections.contains(c.steps.steps[i].connection))
          << to_string(c.steps.steps[i]);
    ++checked;
  }
  EXPECT_GT(checked, 0u);

  // A fault on "b" cuts "b", after the steps before it.
  const std::string at = "faults/line-" + std::to_string(s.steps[3].line); // b: expect "Hello, bob"
  auto expected = baseline_steps(s, 3);
  expected.push_back(on("b", step_kind::reset));
  EXPECT_EQ(before_probe(find_case(cases, at + "/rst").steps, s), expected);
}

TEST(CheckMatrix, FaultsAreNotGeneratedWhileTheConnectionIsClosed) {
  const script s = script_of("# late\nframing line\ntimeout 1s\n\nexpect \"Welcome!\"\nclose\n"
                             "send \"late\"\nconnect\nexpect \"Welcome!\"\n");
  const auto cases = matrix_of(s);
  EXPECT_TRUE(has_case(cases, "faults/line-5/rst"));
  EXPECT_FALSE(has_case(cases, "faults/line-7/rst")) << "main is closed at line 7";
  EXPECT_FALSE(has_case(cases, "faults/line-7-mid/rst")) << "main is closed at line 7";
  EXPECT_TRUE(has_case(cases, "faults/line-9/rst")) << "main is open again at line 9";
}

TEST(CheckMatrix, ProbeNamesAvoidConnectionsTheBaselineAlreadyUses) {
  const script s = script_of("# probe\nframing line\ntimeout 1s\n\nexpect \"Welcome!\"\n"
                             "probe: connect\nprobe: expect \"Welcome!\"\n");
  const auto cases = matrix_of(s);
  const check_case& rst = find_case(cases, "faults/line-5/rst");
  const auto& steps = rst.steps.steps;
  // The probe: "probe2: connect", then the baseline on probe2 and probe2-probe.
  ASSERT_EQ(steps.size(), 1u + 1u + s.steps.size());
  EXPECT_EQ(comparable(steps[1]), on("probe2", step_kind::connect));
  std::set<std::string> used;
  for (std::size_t i = 2; i < steps.size(); ++i)
    used.insert(steps[i].connection);
  EXPECT_EQ(used, (std::set<std::string>{"probe2", "probe2-probe"}));
}

// ---------------------------------------------------------------------------
// Concurrency

TEST(CheckMatrix, TheStalledPeerSendsHalfAFrameThenAnotherClientRunsTheBaseline) {
  const script s = script_of(hello_text);
  const auto cases = matrix_of(s);
  const check_case& c = find_case(cases, "concurrency/stalled-peer");
  EXPECT_EQ(c.area, check_area::concurrency);
  EXPECT_EQ(c.runner, case_runner::script);
  EXPECT_FALSE(c.failure_hint.empty());

  const auto stalled = before_probe(c.steps, s);
  ASSERT_EQ(stalled.size(), 2u);
  EXPECT_EQ(stalled[0], comparable(s.steps[0]));
  EXPECT_TRUE(stalled[1].raw);
  EXPECT_EQ(stalled[1].connection, "main");
  EXPECT_EQ(sent_text(stalled[1]), "ali");
}

// ---------------------------------------------------------------------------
// Boundary

TEST(CheckMatrix, BoundaryCasesSendEachBoundaryFrameAfterTheServersOpening) {
  const script s = script_of(hello_text);
  const framing_spec spec = spec_of("line,max=64");
  const auto cases = test::with_scripts_made(generate_matrix(s, spec, {}));
  const auto frames = boundary_frames(spec);
  ASSERT_FALSE(frames.empty());

  std::vector<std::string> boundary_ids;
  for (const auto& c : cases)
    if (c.area == check_area::boundary) boundary_ids.push_back(c.id);
  std::vector<std::string> expected_ids;
  for (const auto& f : frames)
    expected_ids.push_back("boundary/" + f.name);
  EXPECT_EQ(boundary_ids, expected_ids);

  for (const auto& f : frames) {
    SCOPED_TRACE(f.name);
    const check_case& c = find_case(cases, "boundary/" + f.name);
    const auto steps = before_probe(c.steps, s);
    ASSERT_EQ(steps.size(), 3u);
    EXPECT_EQ(steps[0], comparable(s.steps[0])); // the greeting first
    EXPECT_EQ(steps[1].what, step_kind::send);
    EXPECT_TRUE(steps[1].raw);
    EXPECT_EQ(sent_text(steps[1]), std::string(as_text(f.wire)));
    EXPECT_EQ(steps[2].what, step_kind::expect);
    EXPECT_EQ(steps[2].connection, "main");
  }
}

// too-long=discard: the server skips a frame over max and goes on, so
// after the frame the rest of main's conversation must pass as written.
TEST(CheckMatrix, ASpecThatDiscardsTooLongFramesGetsARecoveryCase) {
  const script s = script_of(hello_text);
  EXPECT_FALSE(
      has_case(generate_matrix(s, spec_of("line,max=64"), {}), "boundary/too-long-recovery"));

  const auto cases =
      test::with_scripts_made(generate_matrix(s, spec_of("line,max=64,too-long=discard"), {}));
  const check_case& c = find_case(cases, "boundary/too-long-recovery");
  const auto steps = before_probe(c.steps, s);
  ASSERT_EQ(steps.size(), s.steps.size() + 1);
  EXPECT_EQ(steps[0], comparable(s.steps[0])); // the greeting first
  EXPECT_EQ(steps[1].what, step_kind::send);
  EXPECT_TRUE(steps[1].raw);
  EXPECT_EQ(sent_text(steps[1]).size(), 66u); // 65 bytes and the delimiter
  for (std::size_t i = 1; i < s.steps.size(); ++i)
    EXPECT_EQ(steps[i + 1], comparable(s.steps[i])) << i;
}

// The partial send from the server's side: main's echo ("alice" answered
// "Hello, alice") grown to fill frames of the spec's max and written until
// the answers reach 8 MiB, each answer expected in turn, then the probe.
TEST(CheckMatrix, AnEchoOnMainGetsASlowReaderCaseThatFillsTheSpecsMax) {
  const script s = script_of(two_clients_text);
  const auto cases = test::with_scripts_made(generate_matrix(s, spec_of("line,max=64K"), {}));
  const check_case& c = find_case(cases, "boundary/slow-reader");
  EXPECT_TRUE(c.slow_reader);
  EXPECT_EQ(c.area, check_area::boundary);

  const std::size_t before = 5;                       // main's greeting and b's exchange
  const std::size_t grown = 65536 - 7 - 64;           // "Hello, " and a margin within max
  const std::size_t times = (8u << 20) / (grown + 7); // answers of 8 MiB in all
  ASSERT_GE(c.steps.steps.size(), before + 2 * times + 1);
  for (std::size_t i = 0; i < before; ++i)
    EXPECT_EQ(comparable(c.steps.steps[i]), comparable(s.steps[i])) << i;
  for (std::size_t i = 0; i < times; ++i) {
    const script_step& send = c.steps.steps[before + i];
    ASSERT_EQ(send.what, step_kind::send) << i;
    EXPECT_EQ(send.connection, "main");
    const std::string text = sent_text(send);
    EXPECT_EQ(text.size(), grown);
    EXPECT_EQ(text.find('\n'), std::string::npos);
    const script_step& expect = c.steps.steps[before + times + i];
    ASSERT_EQ(expect.what, step_kind::expect) << i;
    ASSERT_EQ(kinds_of(expect), (std::vector<expect_kind>{expect_kind::exact, expect_kind::close,
                                                          expect_kind::reset}));
    const auto answer = literal_payload(expect.alternatives[0].text);
    ASSERT_TRUE(answer);
    EXPECT_EQ(std::string(as_text(*answer)), "Hello, " + text);
    EXPECT_GE(expect.within.value_or(duration{0}), duration{5000});
  }
  // Then the probe, on connections of its own.
  const script_step& after = c.steps.steps[before + 2 * times];
  EXPECT_NE(after.connection, "main");
  EXPECT_NE(after.connection, "b");
}

TEST(CheckMatrix, NoSlowReaderCaseWithoutAnEchoOrRoomToGrowIt) {
  // hello_text's answer is a regex; raw has no frames to repeat; max=1K
  // leaves too little room.
  EXPECT_FALSE(has_case(generate_matrix(script_of(hello_text), spec_of("line"), {}),
                        "boundary/slow-reader"));
  const script s = script_of(two_clients_text);
  EXPECT_TRUE(has_case(generate_matrix(s, spec_of("line"), {}), "boundary/slow-reader"));
  EXPECT_FALSE(has_case(generate_matrix(s, spec_of("raw"), {}), "boundary/slow-reader"));
  EXPECT_FALSE(has_case(generate_matrix(s, spec_of("line,max=1K"), {}), "boundary/slow-reader"));
}

TEST(CheckMatrix, BoundaryCasesAllowWhatTheBadFramePolicySays) {
  const script s = script_of(hello_text);
  const framing_spec spec = spec_of("line,max=64");
  const auto frames = boundary_frames(spec);
  const auto breaking = std::find_if(frames.begin(), frames.end(), [](const boundary_frame& f) {
    return f.breaks_spec && !f.over_max;
  });
  const auto valid = std::find_if(frames.begin(), frames.end(),
                                  [](const boundary_frame& f) { return !f.breaks_spec; });
  ASSERT_NE(breaking, frames.end());
  ASSERT_NE(valid, frames.end());

  using k = expect_kind;
  const std::map<bad_frame_policy, std::vector<k>> allowed = {
      {bad_frame_policy::close_or_ignore, {k::close, k::reset, k::silence}},
      {bad_frame_policy::close, {k::close, k::reset}},
      {bad_frame_policy::reply, {k::any}},
      {bad_frame_policy::ignore, {k::silence}},
  };
  const duration quiet{150};
  for (const auto& [policy, kinds] : allowed) {
    SCOPED_TRACE(std::string(name_of(policy)));
    const auto cases =
        test::with_scripts_made(generate_matrix(s, spec, {.on_bad_frame = policy, .quiet = quiet}));

    const auto bad = before_probe(find_case(cases, "boundary/" + breaking->name).steps, s);
    ASSERT_EQ(bad.size(), 3u);
    EXPECT_EQ(kinds_of(bad[2]), kinds);
    for (const auto& e : bad[2].alternatives)
      EXPECT_EQ(e.quiet, e.what == k::silence ? quiet : duration{0});

    // A valid frame: any answer at all, the probe decides.
    const auto good = before_probe(find_case(cases, "boundary/" + valid->name).steps, s);
    ASSERT_EQ(good.size(), 3u);
    EXPECT_EQ(kinds_of(good[2]), (std::vector<k>{k::any, k::close, k::reset, k::silence}));
  }
}

// A frame one byte over max that the server answers may only mean that the
// server counts its limit differently: any answer passes the expect, and
// the case carries the warning. The strict policies keep their outcomes.
TEST(CheckMatrix, AnAnsweredFrameOneOverMaxIsAWarningUnderTheDefaultPolicyOnly) {
  const script s = script_of(hello_text);
  for (const std::string spec_text : {"line,max=64", "len:u32be,max=100"}) {
    SCOPED_TRACE(spec_text);
    const framing_spec spec = spec_of(spec_text);
    const auto frames = boundary_frames(spec);
    const auto over = std::find_if(frames.begin(), frames.end(),
                                   [](const boundary_frame& f) { return f.name == "one-over"; });
    ASSERT_NE(over, frames.end());
    EXPECT_TRUE(over->over_max);
    EXPECT_EQ(std::count_if(frames.begin(), frames.end(),
                            [](const boundary_frame& f) { return f.over_max; }),
              1);

    using k = expect_kind;
    const auto lenient = test::with_scripts_made(generate_matrix(s, spec, {}));
    const check_case& warned = find_case(lenient, "boundary/one-over");
    EXPECT_EQ(kinds_of(before_probe(warned.steps, s)[2]),
              (std::vector<k>{k::any, k::close, k::reset, k::silence}));
    EXPECT_NE(warned.warn_if_answered.find("one byte over the spec's max="), std::string::npos);
    // Room to read an answer as long as the frame (an echo).
    ASSERT_TRUE(warned.spec.has_value());
    EXPECT_GE(warned.spec->max, 2 * over->wire.size());
    EXPECT_EQ(warned.warn_if_answered.find("max-of=field") != std::string::npos,
              spec_text.starts_with("len"));

    const auto strict = test::with_scripts_made(
        generate_matrix(s, spec, {.on_bad_frame = bad_frame_policy::close}));
    const check_case& failed = find_case(strict, "boundary/one-over");
    EXPECT_EQ(kinds_of(before_probe(failed.steps, s)[2]), (std::vector<k>{k::close, k::reset}));
    EXPECT_TRUE(failed.warn_if_answered.empty());
    EXPECT_FALSE(failed.spec.has_value());
    for (const auto& c : lenient)
      EXPECT_TRUE(c.id == "boundary/one-over" || c.warn_if_answered.empty()) << c.id;
  }
}

TEST(CheckMatrix, BoundaryCasesEndWithAFreshConversation) {
  const script s = script_of(two_clients_text);
  const auto cases = test::with_scripts_made(generate_matrix(s, spec_of("len:u32be,max=100"), {}));
  std::size_t boundary = 0;
  for (const auto& c : cases) {
    if (c.area != check_area::boundary) continue;
    ++boundary;
    SCOPED_TRACE(c.id);
    EXPECT_TRUE(probe_length(c.steps, s).has_value());
    EXPECT_FALSE(c.failure_hint.empty());
  }
  EXPECT_GT(boundary, 0u);
}

TEST(CheckMatrix, ARawSpecHasNoBoundaryCases) {
  const script s = script_of("# raw\nframing raw\ntimeout 1s\n\nsend \"ping\"\nexpect \"ping\"\n");
  for (const auto& c : matrix_of(s))
    EXPECT_NE(c.area, check_area::boundary) << c.id;
}

// ---------------------------------------------------------------------------
// Selection

TEST(CaseSelection, APatternSelectsEveryIdBelowIt) {
  const auto cases = matrix_of(script_of(hello_text));
  const auto faults = select_cases(cases, selecting({"faults"}));
  ASSERT_FALSE(faults.empty());
  const auto in_faults = std::count_if(
      cases.begin(), cases.end(), [](const check_case& c) { return c.area == check_area::faults; });
  EXPECT_EQ(faults.size(), static_cast<std::size_t>(in_faults));
  for (const auto& c : faults)
    EXPECT_TRUE(c.id.starts_with("faults/")) << c.id;

  // "faults/line-6" is a path: it does not select "faults/line-6-mid/...".
  const std::string at = "faults/line-" + std::to_string(alice_line);
  const auto line = select_cases(cases, selecting({at}));
  EXPECT_EQ(ids_of(line), (std::vector<std::string>{at + "/rst", at + "/fin", at + "/half-close",
                                                    at + "/silent"}));
  EXPECT_EQ(ids_of(select_cases(cases, selecting({at + "/*"}))), ids_of(line));
}

TEST(CaseSelection, PatternsThatMatchNothingAreNamed) {
  const auto cases = matrix_of(script_of(hello_text));
  case_selection selection = selecting({"segmentaton", "faults"});
  selection.exclude = {"concurrency/parallel-64", "boundary/no-such-frame"};
  EXPECT_EQ(unmatched_patterns(cases, selection),
            (std::vector<std::string>{"segmentaton", "boundary/no-such-frame"}));
  EXPECT_TRUE(unmatched_patterns(cases, selecting({"segmentation", "*/rst"})).empty());
}

TEST(CaseSelection, AStarMatchesAcrossSlashes) {
  const auto cases = matrix_of(script_of(hello_text));
  const auto rst = select_cases(cases, selecting({"*/rst"}));
  std::vector<std::string> expected;
  for (const auto& c : cases)
    if (c.id.ends_with("/rst")) expected.push_back(c.id);
  EXPECT_EQ(ids_of(rst), expected);
  EXPECT_GT(expected.size(), 1u);
  EXPECT_TRUE(matches("faults/*", "faults/line-6-mid/rst"));
  EXPECT_FALSE(matches("fault", "faults/line-6/rst"));
  EXPECT_TRUE(matches("segmentation/whole", "segmentation/whole"));
}

TEST(CaseSelection, SeveralPatternsAndExcludesKeepTheMatrixOrder) {
  const auto cases = matrix_of(script_of(hello_text));
  const auto kept = select_cases(
      cases, selecting({"boundary", "segmentation"}, {"segmentation/random-*", "*/long-*"}));
  std::vector<std::string> expected;
  for (const auto& c : cases) {
    const bool only = c.id.starts_with("boundary/") || c.id.starts_with("segmentation/");
    const bool excluded =
        c.id.starts_with("segmentation/random-") || c.id.find("/long-") != std::string::npos;
    if (only && !excluded) expected.push_back(c.id);
  }
  EXPECT_EQ(ids_of(kept), expected);
  EXPECT_TRUE(has_case(kept, "segmentation/whole"));
  EXPECT_FALSE(has_case(kept, "segmentation/random-1"));

  // Exclude alone: everything else.
  const auto no_silent = select_cases(cases, selecting({}, {"*/silent"}));
  for (const auto& c : no_silent)
    EXPECT_FALSE(c.id.ends_with("/silent")) << c.id;
  const auto silent = std::count_if(cases.begin(), cases.end(),
                                    [](const check_case& c) { return c.id.ends_with("/silent"); });
  EXPECT_EQ(no_silent.size() + static_cast<std::size_t>(silent), cases.size());
}

TEST(CaseSelection, ShardsSplitTheSelectionDisjointlyInOrder) {
  const auto cases = matrix_of(script_of(hello_text));
  for (const std::string_view only : {"", "faults"}) {
    case_selection all;
    if (!only.empty()) all.only = {std::string(only)};
    const auto whole = ids_of(select_cases(cases, all));
    for (std::size_t n = 1; n <= 5; ++n) {
      std::map<std::string, std::size_t> seen;
      for (std::size_t i = 1; i <= n; ++i) {
        case_selection sel = all;
        sel.slice = {i, n};
        const auto part = ids_of(select_cases(cases, sel));
        // Shard i of n: the positions i-1, i-1+n, ... of the selection.
        std::vector<std::string> expected;
        for (std::size_t p = i - 1; p < whole.size(); p += n)
          expected.push_back(whole[p]);
        EXPECT_EQ(part, expected) << i << "/" << n;
        for (const auto& id : part)
          ++seen[id];
      }
      EXPECT_EQ(seen.size(), whole.size()) << n << " shards";
      for (const auto& [id, times] : seen)
        EXPECT_EQ(times, 1u) << id << " in " << n << " shards";
    }
  }
}

TEST(CaseSelection, ParsesShards) {
  std::string error;
  const auto s = parse_shard("2/4", error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(s->index, 2u);
  EXPECT_EQ(s->count, 4u);
  const auto last = parse_shard("4/4", error);
  ASSERT_TRUE(last) << error;
  EXPECT_EQ(last->index, 4u);

  for (const std::string_view bad :
       {"0/4", "5/4", "x", "1/0", "", "1/", "/4", "2/4 ", "-1/4", "1/4/2", "a/b"}) {
    std::string why;
    EXPECT_FALSE(parse_shard(bad, why)) << "'" << bad << "'";
    EXPECT_FALSE(why.empty()) << "'" << bad << "'";
  }
  std::string why;
  ASSERT_FALSE(parse_shard("5/4", why));
  EXPECT_NE(why.find("5/4"), std::string::npos) << why;
  ASSERT_FALSE(parse_shard("x", why));
  EXPECT_NE(why.find("'x'"), std::string::npos) << why;
}

// ---------------------------------------------------------------------------
// Names

TEST(BadFramePolicy, NamesParseBackToTheirPolicy) {
  std::set<std::string_view> names;
  for (const auto policy : {bad_frame_policy::close_or_ignore, bad_frame_policy::close,
                            bad_frame_policy::reply, bad_frame_policy::ignore}) {
    const auto name = name_of(policy);
    EXPECT_FALSE(name.empty());
    names.insert(name);
    EXPECT_EQ(parse_bad_frame_policy(name), policy) << name;
  }
  EXPECT_EQ(names.size(), 4u);
  EXPECT_EQ(parse_bad_frame_policy("close-or-ignore"), bad_frame_policy::close_or_ignore);
  for (const std::string_view bad : {"", "Close", "close_or_ignore", "closed", "reply "})
    EXPECT_FALSE(parse_bad_frame_policy(bad)) << "'" << bad << "'";
}

TEST(CheckArea, NamesAreTheIdPrefixes) {
  std::set<std::string_view> names;
  for (const auto area : {check_area::segmentation, check_area::faults, check_area::concurrency,
                          check_area::soak, check_area::boundary, check_area::latency})
    names.insert(name_of(area));
  EXPECT_EQ(names, (std::set<std::string_view>{"segmentation", "faults", "concurrency", "soak",
                                               "boundary", "latency"}));
}

} // namespace
} // namespace tcpcheck
