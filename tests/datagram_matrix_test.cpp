// Tests for check_matrix.hpp under `transport udp`: the UDP matrix (loss,
// duplication, reordering, burst, size, clients, amplification, boundary
// frames inside datagrams, the runners), its scripts, and its cases run
// through sessions against fake datagram servers, with no sockets.
#include "tcpcheck/boundary_frames.hpp"
#include "tcpcheck/bytes.hpp"
#include "tcpcheck/check_matrix.hpp"
#include "tcpcheck/delivery_plan.hpp"
#include "tcpcheck/framing_spec.hpp"
#include "tcpcheck/script.hpp"
#include "tcpcheck/session.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <set>
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

using strings = std::vector<std::string>;
using step_kind = script_step::kind;
using expect_kind = expectation::kind;

// ---------------------------------------------------------------------------
// Helpers

std::vector<check_case> matrix_of(const script& s, const matrix_options& options = {}) {
  return test::with_scripts_made(generate_matrix(s, spec_of(s), options));
}

// A copy: the cases are often a temporary matrix.
check_case find_case(const std::vector<check_case>& cases, std::string_view id) {
  for (const auto& c : cases)
    if (c.id == id) return c;
  throw std::invalid_argument("no case '" + std::string(id) + "'");
}

bool has_case(const std::vector<check_case>& cases, std::string_view id) {
  return std::any_of(cases.begin(), cases.end(), [&](const check_case& c) { return c.id == id; });
}

strings ids_of(const std::vector<check_case>& cases) {
  strings ids;
  for (const auto& c : cases)
    ids.push_back(c.id);
  return ids;
}

strings ids_starting(const std::vector<check_case>& cases, std::string_view prefix) {
  strings ids;
  for (const auto& c : cases)
    if (c.id.starts_with(prefix)) ids.push_back(c.id);
  return ids;
}

// A step as it would be written on `connection`, its line aside.
script_step comparable(script_step step, const std::string& connection) {
  step.line = 0;
  step.connection = connection;
  return step;
}

script_step comparable(const script_step& step) {
  return comparable(step, step.connection);
}

std::vector<script_step> comparable(const std::vector<script_step>& steps) {
  std::vector<script_step> out;
  for (const auto& step : steps)
    out.push_back(comparable(step));
  return out;
}

script_step on(const std::string& connection, step_kind what) {
  script_step step;
  step.what = what;
  step.connection = connection;
  return step;
}

expectation outcome(expect_kind what, duration quiet = duration{0}, std::uint32_t count = 1) {
  expectation e;
  e.what = what;
  e.quiet = quiet;
  e.count = count;
  return e;
}

script_step expecting(const std::string& connection, std::vector<expectation> alternatives) {
  script_step step = on(connection, step_kind::expect);
  step.alternatives = std::move(alternatives);
  return step;
}

// The expect the UDP matrix writes where an answer may or may not come.
script_step any_or_silence(const std::string& connection, duration quiet = duration{200}) {
  return expecting(connection, {outcome(expect_kind::any), outcome(expect_kind::silence, quiet)});
}

script_step any_one(const std::string& connection) {
  return expecting(connection, {outcome(expect_kind::any)});
}

// The baseline's step `i` on another connection, line aside.
script_step moved(const script& baseline, std::size_t i, const std::string& connection) {
  return comparable(baseline.steps[i], connection);
}

// Steps compared as scripts write them, so that a difference reads as one.
std::string text_of(const script_step& step) {
  return to_string(step);
}

strings texts(const std::vector<script_step>& steps) {
  strings out;
  for (const auto& step : steps)
    out.push_back(to_string(step));
  return out;
}

std::string sent_text(const script_step& step) {
  std::string out;
  for (const auto& seg : step.payload.segments)
    out += std::string(as_text(seg.bytes));
  return out;
}

// The number of steps at the end of `s` that are the liveness probe: a
// connect of "probe", then the baseline's steps with main renamed "probe".
// Adds a failure and returns nullopt when `s` does not end that way.
std::optional<std::size_t> probe_length(const script& s, const script& baseline) {
  const std::size_t n = baseline.steps.size();
  if (s.steps.size() < n + 1) {
    ADD_FAILURE() << "the script is shorter than the probe:\n" << to_string(s);
    return std::nullopt;
  }
  const std::size_t first = s.steps.size() - n;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string& name = baseline.steps[i].connection;
    const script_step expected = moved(baseline, i, name == "main" ? "probe" : "probe-" + name);
    if (comparable(s.steps[first + i]) != expected) {
      ADD_FAILURE() << "step " << first + i << " is '" << to_string(s.steps[first + i])
                    << "', the probe's should be '" << to_string(expected) << "' in:\n"
                    << to_string(s);
      return std::nullopt;
    }
  }
  if (comparable(s.steps[first - 1]) != on("probe", step_kind::connect)) {
    ADD_FAILURE() << "the probe does not open with 'probe: connect' in:\n" << to_string(s);
    return std::nullopt;
  }
  return n + 1;
}

// The steps of `s` before its probe, lines aside.
std::vector<script_step> before_probe(const script& s, const script& baseline) {
  const auto n = probe_length(s, baseline);
  if (!n) return {};
  return comparable(
      std::vector<script_step>(s.steps.begin(), s.steps.end() - static_cast<std::ptrdiff_t>(*n)));
}

// The conversation of the brief: a greeting, a value kept per client, an
// echo. Lines: sends 4, 6, 8, 10; their expects 5, 7, 9, 11.
constexpr std::string_view udp_text = R"(# udp
transport udp
framing datagram
send "hello"
expect "hi"
send "set:${conn}"
expect "ok"
send "get"
expect "${conn}"
send "echo:some text"
expect "some text"
)";

// Steps of udp_text, by index.
constexpr std::size_t hello = 0, hi = 1, set = 2, ok = 3, get = 4, value = 5, echo = 6, echoed = 7;

// The same conversation with lines inside each datagram.
constexpr std::string_view udp_lines_text = R"(# udp, lines inside
transport udp
framing line
timeout 1s
send "hello"
expect "hi"
send "echo:some text"
expect "some text"
)";

// ---------------------------------------------------------------------------
// Ids, order, and what every case holds

TEST(DatagramMatrix, YieldsItsAreasInTheDocumentedOrder) {
  const auto cases = matrix_of(script_of(udp_text));
  EXPECT_EQ(ids_of(cases), (strings{"segmentation/whole",
                                    "loss/line-4",
                                    "loss/line-6",
                                    "loss/line-8",
                                    "loss/line-10",
                                    "duplication/line-4",
                                    "duplication/line-6",
                                    "duplication/line-8",
                                    "duplication/line-10",
                                    "reordering/line-4",
                                    "reordering/line-6",
                                    "reordering/line-8",
                                    "burst/64",
                                    "size/empty",
                                    "size/over-1k",
                                    "size/over-2k",
                                    "size/over-4k",
                                    "size/over-8k",
                                    "size/largest",
                                    "clients/interleaved",
                                    "amplification/exchanges",
                                    "concurrency/parallel-64",
                                    "soak/sequential-1000",
                                    "latency/exchanges"}));
}

TEST(DatagramMatrix, TheBaselineComesFirstUnchangedWithItsLines) {
  const script s = script_of(udp_text);
  const auto cases = matrix_of(s);
  ASSERT_FALSE(cases.empty());
  const check_case& first = cases.front();
  EXPECT_EQ(first.id, "segmentation/whole");
  EXPECT_EQ(first.area, check_area::segmentation);
  EXPECT_EQ(first.runner, case_runner::script);
  EXPECT_EQ(first.plan.what, delivery_plan::kind::whole);
  EXPECT_EQ(first.steps, s);
  ASSERT_EQ(first.steps.steps.size(), 8u);
  EXPECT_EQ(first.steps.steps[hello].line, 4u);
  EXPECT_EQ(first.steps.steps[echoed].line, 11u);
}

TEST(DatagramMatrix, HasNoFaultsAndNoSegmentationButTheBaseline) {
  for (const std::string_view text : {udp_text, udp_lines_text}) {
    const auto cases = matrix_of(script_of(text));
    EXPECT_TRUE(ids_starting(cases, "faults/").empty()) << text;
    EXPECT_EQ(ids_starting(cases, "segmentation/"), strings{"segmentation/whole"}) << text;
    EXPECT_FALSE(has_case(cases, "concurrency/stalled-peer")) << text;
  }
}

// The same steps over TCP get the stream's matrix: generate_matrix picks
// the UDP one by the transport alone.
TEST(DatagramMatrix, TheTransportChoosesTheMatrix) {
  const script tcp = script_of("framing line\nsend \"hello\"\nexpect \"hi\"\n"
                               "send \"echo:x\"\nexpect \"x\"\n");
  const auto cases = matrix_of(tcp);
  EXPECT_FALSE(ids_starting(cases, "faults/").empty());
  EXPECT_TRUE(has_case(cases, "segmentation/bytewise"));
  EXPECT_TRUE(ids_starting(cases, "loss/").empty());
  EXPECT_TRUE(ids_starting(cases, "size/").empty());
}

TEST(DatagramMatrix, IdsAreUniqueAndTheSameForEverySeed) {
  for (const std::string_view text : {udp_text, udp_lines_text}) {
    const script s = script_of(text);
    const auto ids = ids_of(matrix_of(s, {.seed = 1}));
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size()) << text;
    for (const std::uint64_t seed : {2u, 99u})
      EXPECT_EQ(ids_of(matrix_of(s, {.seed = seed})), ids) << "seed " << seed;
  }
}

TEST(DatagramMatrix, EveryScriptIsUdpParsesBackAndHasNoStreamSteps) {
  for (const std::string_view text : {udp_text, udp_lines_text}) {
    const script s = script_of(text);
    for (const auto& c : matrix_of(s)) {
      EXPECT_EQ(c.steps.transport, script_transport::udp) << c.id;
      EXPECT_EQ(c.steps.framing, s.framing) << c.id;
      EXPECT_EQ(c.steps.timeout, s.timeout) << c.id;
      script_error error;
      const auto again = parse_script(to_string(c.steps), error);
      ASSERT_TRUE(again) << c.id << ": " << error.to_string(c.id);
      // Generated scripts are canonical; the baseline is as the user wrote it.
      if (c.steps != s) {
        EXPECT_EQ(*again, c.steps) << c.id;
      }
      for (const auto& step : c.steps.steps) {
        EXPECT_NE(step.what, step_kind::shutdown) << c.id;
        EXPECT_NE(step.what, step_kind::reset) << c.id;
        for (const auto& e : step.alternatives) {
          EXPECT_NE(e.what, expect_kind::close) << c.id;
          EXPECT_NE(e.what, expect_kind::reset) << c.id;
        }
      }
    }
  }
}

TEST(DatagramMatrix, EveryCaseButTheBaselineAndTheRunnersEndsWithTheProbe) {
  for (const std::string_view text : {udp_text, udp_lines_text}) {
    const script s = script_of(text);
    std::size_t probed = 0;
    for (const auto& c : matrix_of(s)) {
      if (c.runner != case_runner::script) {
        EXPECT_EQ(c.steps, s) << c.id << ": a runner runs the baseline";
        continue;
      }
      if (c.id == "segmentation/whole" || c.id == "amplification/exchanges") {
        EXPECT_EQ(c.steps, s) << c.id;
        continue;
      }
      EXPECT_TRUE(probe_length(c.steps, s)) << c.id;
      ++probed;
    }
    EXPECT_GE(probed, 10u) << text;
  }
}

TEST(DatagramMatrix, RunnersCountWhatTheOptionsSay) {
  const script s = script_of(udp_text);
  const auto cases = matrix_of(s, {.parallel = 8, .soak = 20, .latency_runs = 10});
  const check_case& parallel = find_case(cases, "concurrency/parallel-8");
  EXPECT_EQ(parallel.runner, case_runner::parallel);
  EXPECT_EQ(parallel.count, 8u);
  const check_case& soak = find_case(cases, "soak/sequential-20");
  EXPECT_EQ(soak.runner, case_runner::soak);
  EXPECT_EQ(soak.count, 20u);
  const check_case& latency = find_case(cases, "latency/exchanges");
  EXPECT_EQ(latency.runner, case_runner::latency);
  EXPECT_EQ(latency.count, 10u);
  // They come last, in this order.
  const auto ids = ids_of(cases);
  ASSERT_GE(ids.size(), 3u);
  EXPECT_EQ(strings(ids.end() - 3, ids.end()),
            (strings{"concurrency/parallel-8", "soak/sequential-20", "latency/exchanges"}));
}

TEST(DatagramMatrix, AreaNamesAreTheIdPrefixes) {
  EXPECT_EQ(name_of(check_area::loss), "loss");
  EXPECT_EQ(name_of(check_area::duplication), "duplication");
  EXPECT_EQ(name_of(check_area::reordering), "reordering");
  EXPECT_EQ(name_of(check_area::burst), "burst");
  EXPECT_EQ(name_of(check_area::size), "size");
  EXPECT_EQ(name_of(check_area::clients), "clients");
  EXPECT_EQ(name_of(check_area::amplification), "amplification");
  for (const std::string_view text : {udp_text, udp_lines_text}) {
    for (const auto& c : matrix_of(script_of(text))) {
      EXPECT_TRUE(c.id.starts_with(std::string(name_of(c.area)) + "/")) << c.id;
    }
  }
}

// ---------------------------------------------------------------------------
// Loss, duplication, reordering

TEST(DatagramLoss, DropsTheSendAwaitsSilenceThenRelaxesMainsLaterAnswers) {
  const script s = script_of(udp_text);
  const check_case& c = find_case(matrix_of(s), "loss/line-6");
  EXPECT_EQ(c.area, check_area::loss);
  EXPECT_FALSE(c.failure_hint.empty());
  const std::vector<script_step> expected = {
      moved(s, hello, "main"),
      moved(s, hi, "main"),
      expecting("main", {outcome(expect_kind::silence, duration{200})}),
      moved(s, get, "main"),
      any_one("main"),
      moved(s, echo, "main"),
      any_one("main"),
  };
  EXPECT_EQ(texts(before_probe(c.steps, s)), texts(expected)) << to_string(c.steps);
}

TEST(DatagramLoss, OfTheLastSendLeavesTheAnswersBeforeItAsWritten) {
  const script s = script_of(udp_text);
  const check_case& c = find_case(matrix_of(s, {.quiet = duration{75}}), "loss/line-10");
  std::vector<script_step> expected = comparable(std::vector<script_step>(
      s.steps.begin(), s.steps.begin() + static_cast<std::ptrdiff_t>(echo)));
  expected.push_back(expecting("main", {outcome(expect_kind::silence, duration{75})}));
  EXPECT_EQ(texts(before_probe(c.steps, s)), texts(expected)) << to_string(c.steps);
}

// A relaxed expect keeps its own timeout, and the silence it allowed.
TEST(DatagramLoss, ARelaxedExpectKeepsItsTimeoutAndTheSilenceItAllowed) {
  const script s = script_of("transport udp\nframing datagram\nsend \"a\"\nexpect \"A\"\n"
                             "send \"b\"\nexpect \"B\" within 3s\n"
                             "send \"c\"\nexpect \"C\" or silence 100ms\n");
  const check_case& c = find_case(matrix_of(s), "loss/line-3");
  const auto steps = before_probe(c.steps, s);
  ASSERT_EQ(steps.size(), 5u) << to_string(c.steps);
  script_step within = any_one("main");
  within.within = duration{3000};
  EXPECT_EQ(text_of(steps[2]), text_of(within));
  EXPECT_EQ(text_of(steps[4]),
            text_of(expecting("main", {outcome(expect_kind::any),
                                       outcome(expect_kind::silence, duration{200})})));
}

TEST(DatagramDuplication, SendsTwiceThenItsAnswersThenAnAnswerOrSilence) {
  const script s = script_of(udp_text);
  const check_case& c = find_case(matrix_of(s), "duplication/line-4");
  EXPECT_EQ(c.area, check_area::duplication);
  const std::vector<script_step> expected = {
      moved(s, hello, "main"), moved(s, hello, "main"), moved(s, hi, "main"),
      any_or_silence("main"),  moved(s, set, "main"),   any_one("main"),
      moved(s, get, "main"),   any_one("main"),         moved(s, echo, "main"),
      any_one("main"),
  };
  EXPECT_EQ(texts(before_probe(c.steps, s)), texts(expected)) << to_string(c.steps);
}

// Both answers must come, in either order: each expect relaxed to any frame.
TEST(DatagramReordering, SendsTheNextDatagramFirstThenAwaitsBothAnswers) {
  const script s = script_of(udp_text);
  const auto cases = matrix_of(s);
  EXPECT_EQ(ids_starting(cases, "reordering/"),
            (strings{"reordering/line-4", "reordering/line-6", "reordering/line-8"}))
      << "the last send has no next one to swap with";
  const check_case& c = find_case(cases, "reordering/line-6");
  EXPECT_EQ(c.area, check_area::reordering);
  const auto steps = before_probe(c.steps, s);
  const std::vector<script_step> expected = {
      moved(s, hello, "main"), moved(s, hi, "main"), moved(s, get, "main"),
      moved(s, set, "main"),   any_one("main"),      any_one("main"),
  };
  ASSERT_GE(steps.size(), expected.size()) << to_string(c.steps);
  EXPECT_EQ(texts(std::vector<script_step>(
                steps.begin(), steps.begin() + static_cast<std::ptrdiff_t>(expected.size()))),
            texts(expected))
      << to_string(c.steps);
}

// datagram_matrix.cpp's header: after a datagram was lost, doubled or
// moved, the answers that follow are only required to come (`expect any`).
// Loss and duplication go on with main's later exchanges so; reordering
// should too, or a server whose state a swap corrupted for this client is
// never asked again (the probe runs on a fresh socket).
TEST(DatagramReordering, GoesOnWithMainsLaterExchangesRelaxed) {
  const script s = script_of(udp_text);
  const check_case& c = find_case(matrix_of(s), "reordering/line-4");
  const std::vector<script_step> expected = {
      moved(s, set, "main"), moved(s, hello, "main"), any_one("main"),        any_one("main"),
      moved(s, get, "main"), any_one("main"),         moved(s, echo, "main"), any_one("main"),
  };
  EXPECT_EQ(texts(before_probe(c.steps, s)), texts(expected)) << to_string(c.steps);
}

// ---------------------------------------------------------------------------
// Burst, size, clients, amplification

TEST(DatagramBurst, RepeatsMainsSendsOnASocketOfItsOwnThenAwaitsEveryAnswer) {
  const script s = script_of(udp_text);
  const check_case& c = find_case(matrix_of(s), "burst/64");
  EXPECT_EQ(c.area, check_area::burst);
  const auto steps = before_probe(c.steps, s);
  ASSERT_EQ(steps.size(), 1u + 64u + 1u) << to_string(c.steps);
  EXPECT_EQ(text_of(steps.front()), text_of(on("burst", step_kind::connect)));
  const std::size_t sends[] = {hello, set, get, echo};
  for (std::size_t i = 0; i < 64; ++i)
    EXPECT_EQ(text_of(steps[1 + i]), text_of(moved(s, sends[i % 4], "burst"))) << i;
  EXPECT_EQ(text_of(steps.back()),
            text_of(expecting("burst", {outcome(expect_kind::any, duration{0}, 64)})));
}

TEST(DatagramBurst, RoundsComeFromTheOptionAndSilentAnswersAreNotCounted) {
  const script s = script_of("transport udp\nframing datagram\nsend \"a\"\nexpect \"A\"\n"
                             "send \"b\"\nexpect \"B\" or silence 100ms\n");
  const auto ten = matrix_of(s, {.burst = 10});
  ASSERT_TRUE(has_case(ten, "burst/10")) << ::testing::PrintToString(ids_of(ten));
  const auto steps = before_probe(find_case(ten, "burst/10").steps, s);
  ASSERT_EQ(steps.size(), 1u + 10u + 1u);
  EXPECT_EQ(text_of(steps.back()),
            text_of(expecting("burst", {outcome(expect_kind::any, duration{0}, 5)})))
      << "five rounds, one answer each that may not be silence";

  const auto one = matrix_of(s, {.burst = 1});
  EXPECT_TRUE(has_case(one, "burst/2")) << "at least one round";
}

TEST(DatagramSize, AnEmptyDatagramOnASocketOfItsOwn) {
  const script s = script_of(udp_text);
  const check_case& c = find_case(matrix_of(s), "size/empty");
  EXPECT_EQ(c.area, check_area::size);
  EXPECT_FALSE(c.truncation_probe);
  const auto steps = before_probe(c.steps, s);
  ASSERT_EQ(steps.size(), 3u) << to_string(c.steps);
  EXPECT_EQ(text_of(steps[0]), text_of(on("size", step_kind::connect)));
  EXPECT_EQ(steps[1].what, step_kind::send);
  EXPECT_EQ(steps[1].connection, "size");
  EXPECT_TRUE(steps[1].raw);
  EXPECT_EQ(sent_text(steps[1]), "");
  EXPECT_EQ(text_of(steps[2]), text_of(any_or_silence("size")));
}

TEST(DatagramSize, DatagramsOneOverEachBufferStartWithTheEchoedSend) {
  const script s = script_of(udp_text);
  const auto cases = matrix_of(s);
  const std::map<std::string, std::size_t> sizes = {{"size/over-1k", 1025},
                                                    {"size/over-2k", 2049},
                                                    {"size/over-4k", 4097},
                                                    {"size/over-8k", 8193},
                                                    {"size/largest", 65507}};
  for (const auto& [id, size] : sizes) {
    const check_case& c = find_case(cases, id);
    const auto steps = before_probe(c.steps, s);
    ASSERT_EQ(steps.size(), 3u) << id;
    EXPECT_EQ(text_of(steps[0]), text_of(on("size", step_kind::connect))) << id;
    EXPECT_TRUE(steps[1].raw) << id;
    EXPECT_EQ(steps[1].connection, "size") << id;
    EXPECT_EQ(text_of(steps[2]), text_of(any_or_silence("size"))) << id;
    const std::string sent = sent_text(steps[1]);
    EXPECT_EQ(sent.size(), size) << id;
    EXPECT_TRUE(sent.starts_with("echo:some text")) << id << ": " << sent.substr(0, 40);
    ASSERT_TRUE(c.truncation_probe) << id;
    EXPECT_EQ(as_text(*c.truncation_probe), sent) << id;
  }
}

// A truncated answer is told by its tail: the end of the datagram must
// occur nowhere else in it.
TEST(DatagramSize, TheLargestDatagramsTailOccursOnlyAtItsEnd) {
  const script s = script_of(udp_text);
  const check_case& c = find_case(matrix_of(s), "size/largest");
  ASSERT_TRUE(c.truncation_probe);
  const std::string sent(as_text(*c.truncation_probe));
  ASSERT_GT(sent.size(), 16u);
  const std::string tail = sent.substr(sent.size() - 16);
  EXPECT_EQ(sent.find(tail), sent.size() - 16) << tail;
}

TEST(DatagramSize, WithoutALiteralSendOnlyTheEmptyDatagram) {
  const script s = script_of("transport udp\nframing datagram\nsend \"${conn}\"\nexpect any\n");
  const auto cases = matrix_of(s);
  EXPECT_EQ(ids_starting(cases, "size/"), strings{"size/empty"});
}

// Without an echo, the longest literal send is grown.
TEST(DatagramSize, WithoutAnEchoTheLongestSendIsGrown) {
  const script s = script_of("transport udp\nframing datagram\nsend \"ab\"\nexpect \"x\"\n"
                             "send \"longest\"\nexpect \"y\"\nsend \"mid\"\nexpect \"z\"\n");
  const check_case& c = find_case(matrix_of(s), "size/over-1k");
  ASSERT_TRUE(c.truncation_probe);
  EXPECT_TRUE(as_text(*c.truncation_probe).starts_with("longest"));
}

TEST(DatagramClients, TwoSocketsTakeTurnsExchangeByExchange) {
  const script s = script_of(udp_text);
  const check_case& c = find_case(matrix_of(s), "clients/interleaved");
  EXPECT_EQ(c.area, check_area::clients);
  EXPECT_FALSE(c.failure_hint.empty());
  std::vector<script_step> expected = {on("client-a", step_kind::connect),
                                       on("client-b", step_kind::connect)};
  for (const auto& [send, answer] :
       {std::pair{hello, hi}, std::pair{set, ok}, std::pair{get, value}, std::pair{echo, echoed}})
    for (const char* name : {"client-a", "client-b"}) {
      expected.push_back(moved(s, send, name));
      expected.push_back(moved(s, answer, name));
    }
  EXPECT_EQ(texts(before_probe(c.steps, s)), texts(expected)) << to_string(c.steps);
}

TEST(DatagramClients, OneExchangeGetsNoClientsAndNoReordering) {
  const script s = script_of("transport udp\nframing datagram\nsend \"a\"\nexpect \"A\"\n");
  const auto cases = matrix_of(s);
  EXPECT_TRUE(ids_starting(cases, "clients/").empty());
  EXPECT_TRUE(ids_starting(cases, "reordering/").empty());
  EXPECT_TRUE(has_case(cases, "loss/line-3"));
  EXPECT_TRUE(has_case(cases, "duplication/line-3"));
}

TEST(DatagramAmplification, IsTheBaselineMeasuredAgainstTheOptionsLimit) {
  const script s = script_of(udp_text);
  const check_case& c = find_case(matrix_of(s), "amplification/exchanges");
  EXPECT_EQ(c.area, check_area::amplification);
  EXPECT_EQ(c.runner, case_runner::script);
  EXPECT_EQ(c.steps, s);
  EXPECT_EQ(c.amplification_limit, 10.0);
  EXPECT_FALSE(c.failure_hint.empty());

  const check_case& strict =
      find_case(matrix_of(s, {.amplification_limit = 2.5}), "amplification/exchanges");
  EXPECT_EQ(strict.amplification_limit, 2.5);

  for (const auto& other : matrix_of(s)) {
    if (other.area != check_area::amplification) {
      EXPECT_FALSE(other.amplification_limit) << other.id;
    }
  }
}

// ---------------------------------------------------------------------------
// Boundary frames inside datagrams

TEST(DatagramBoundary, NoneWhenTheDatagramIsTheFrame) {
  for (const std::string_view framing : {"datagram", "raw", "datagram,max=512"}) {
    const script s = script_of("transport udp\nframing " + std::string(framing) +
                               "\nsend \"a\"\nexpect \"A\"\n");
    EXPECT_TRUE(ids_starting(matrix_of(s), "boundary/").empty()) << framing;
  }
}

TEST(DatagramBoundary, EachFrameOfAnInnerFramingIsOneRawDatagram) {
  const script s = script_of(udp_lines_text);
  const auto cases = matrix_of(s);
  // Those no UDP socket can send (line's 1 MiB long-frame) are left out.
  constexpr std::size_t largest_datagram = 65507;
  strings expected_ids;
  std::vector<boundary_frame> sendable;
  for (const auto& frame : boundary_frames(spec_of("line")))
    if (frame.wire.size() <= largest_datagram) {
      expected_ids.push_back("boundary/" + frame.name);
      sendable.push_back(frame);
    }
  ASSERT_FALSE(expected_ids.empty());
  EXPECT_EQ(ids_starting(cases, "boundary/"), expected_ids);
  for (const auto& frame : sendable) {
    const check_case& c = find_case(cases, "boundary/" + frame.name);
    EXPECT_EQ(c.area, check_area::boundary);
    const auto steps = before_probe(c.steps, s);
    ASSERT_EQ(steps.size(), 2u) << c.id;
    EXPECT_EQ(steps[0].connection, "main") << c.id;
    EXPECT_TRUE(steps[0].raw) << c.id;
    EXPECT_EQ(sent_text(steps[0]), std::string(as_text(frame.wire))) << c.id;
    EXPECT_EQ(text_of(steps[1]), text_of(any_or_silence("main"))) << c.id;
  }
  // They come after amplification, before the runners.
  const auto ids = ids_of(cases);
  const auto at = [&](std::string_view id) { return std::find(ids.begin(), ids.end(), id); };
  EXPECT_LT(at("amplification/exchanges"), at(expected_ids.front()));
  EXPECT_LT(at(expected_ids.back()), at("concurrency/parallel-64"));
}

// A UDP datagram carries at most 65,507 bytes: a boundary frame larger than
// that cannot be sent as one, whatever the inner framing's max.
TEST(DatagramBoundary, EveryBoundaryDatagramFitsInAUdpDatagram) {
  for (const std::string_view framing : {"line", "len:u32be", "line,max=100000"}) {
    const script s = script_of("transport udp\nframing " + std::string(framing) +
                               "\nsend \"a\"\nexpect \"A\"\n");
    for (const auto& c : matrix_of(s)) {
      if (c.area != check_area::boundary) continue;
      for (const auto& step : c.steps.steps) {
        if (step.what == step_kind::send) {
          EXPECT_LE(sent_text(step).size(), 65507u)
              << framing << ": " << c.id << " sends a datagram of " << sent_text(step).size()
              << " bytes";
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------
// The cases run: sessions against fake datagram servers

/// A server of udp_text's protocol, one answer per datagram. `per_host`
/// keeps one value for every socket (the bug clients/interleaved is for);
/// `dies_on_repeat` stops answering anyone once a socket sends the same
/// datagram twice in a row (the bug duplication/... is for).
struct datagram_server {
  enum class bug { none, per_host, dies_on_repeat };
  explicit datagram_server(bug b = bug::none)
      : per_host(b == bug::per_host), dies_on_repeat(b == bug::dies_on_repeat) {}

  bool per_host;
  bool dies_on_repeat;

  std::optional<std::string> answer(std::size_t socket, const std::string& request) {
    if (dead) return std::nullopt;
    if (dies_on_repeat && last[socket] == request) {
      dead = true;
      return std::nullopt;
    }
    last[socket] = request;
    const std::size_t key = per_host ? 0 : socket;
    if (request == "hello") return "hi";
    if (request.starts_with("set:")) {
      values[key] = request.substr(4);
      return "ok";
    }
    if (request == "get") return values.count(key) ? values[key] : "none";
    if (request.starts_with("echo:")) return request.substr(5);
    return "error";
  }

  std::map<std::size_t, std::string> values;
  std::map<std::size_t, std::string> last;
  bool dead = false;
};

/// Runs `c`'s script in a session against `server`: connects succeed,
/// each write is one datagram answered by one datagram, delivered when the
/// session has nothing else to do; when nothing is left to deliver, the
/// timer it waits on fires.
verdict run_against(const check_case& c, datagram_server server) {
  session s(c.steps, spec_of(c.steps), c.plan);
  std::deque<std::pair<std::size_t, std::string>> outbox;
  std::uint64_t awaited = 0;
  s.start();
  for (std::size_t turns = 0; !s.finished() && turns < 100000; ++turns) {
    auto batch = s.take_actions();
    if (!batch.empty()) {
      for (const auto& a : batch) {
        if (a.what == session_action::kind::connect) s.on_connected(a.connection);
        if (a.what == session_action::kind::start_timer) awaited = a.timer;
        if (a.what == session_action::kind::write)
          if (auto reply = server.answer(a.connection, std::string(as_text(a.bytes))))
            outbox.emplace_back(a.connection, *std::move(reply));
      }
      continue;
    }
    if (!outbox.empty()) {
      const auto [socket, datagram] = outbox.front();
      outbox.pop_front();
      s.on_received(socket, as_bytes(datagram));
      continue;
    }
    s.on_timer(awaited);
  }
  if (!s.finished()) s.abort("the test's turns ran out");
  return s.result();
}

TEST(DatagramMatrixRun, EveryCasePassesAgainstACorrectServer) {
  std::size_t run = 0;
  for (const auto& c : matrix_of(script_of(udp_text))) {
    if (c.runner != case_runner::script) continue;
    const verdict v = run_against(c, datagram_server());
    EXPECT_TRUE(v.passed) << c.id << ": " << to_string(v) << "\n" << to_string(c.steps);
    ++run;
  }
  EXPECT_EQ(run, 21u);
}

TEST(DatagramMatrixRun, InterleavedClientsCatchAServerThatKeepsStatePerHost) {
  const auto cases = matrix_of(script_of(udp_text));
  const datagram_server per_host(datagram_server::bug::per_host);
  EXPECT_TRUE(run_against(find_case(cases, "segmentation/whole"), per_host).passed);
  const verdict v = run_against(find_case(cases, "clients/interleaved"), per_host);
  ASSERT_FALSE(v.passed);
  EXPECT_EQ(v.expected, "\"0-client-a\"");
  EXPECT_EQ(v.got, "\"0-client-b\"");
}

TEST(DatagramMatrixRun, TheProbeCatchesAServerThatDiesOnADuplicate) {
  const script s = script_of(udp_text);
  const auto cases = matrix_of(s);
  const datagram_server fragile(datagram_server::bug::dies_on_repeat);
  EXPECT_TRUE(run_against(find_case(cases, "segmentation/whole"), fragile).passed);
  EXPECT_TRUE(run_against(find_case(cases, "loss/line-6"), fragile).passed);
  // The copy of the last send is answered or not, as the server likes: the
  // probe after it finds the server dead.
  const check_case& c = find_case(cases, "duplication/line-10");
  const verdict v = run_against(c, fragile);
  ASSERT_FALSE(v.passed);
  EXPECT_EQ(c.steps.steps.at(v.step).connection, "probe") << to_string(v);
  // A copy earlier on leaves main's later answers missing: a failure before the probe.
  const check_case& early = find_case(cases, "duplication/line-6");
  const verdict before = run_against(early, fragile);
  ASSERT_FALSE(before.passed);
  EXPECT_EQ(early.steps.steps.at(before.step).connection, "main") << to_string(before);
}

// A relaxed expect keeps its capture, whole, so the steps that use the
// value are still generated and run.
TEST(DatagramLoss, ARelaxedExpectStillCapturesForTheStepsThatUseIt) {
  const script s = script_of("transport udp\nframing datagram\nsend \"hello\"\nexpect \"hi\"\n"
                             "send \"login\"\nexpect regex \"id=([0-9]+)\" as id\n"
                             "send \"get ${id}\"\nexpect \"ok\"\n");
  const auto cases = matrix_of(s);
  ASSERT_TRUE(has_case(cases, "loss/line-3")) << ::testing::PrintToString(ids_of(cases));
  const std::string text = to_string(find_case(cases, "loss/line-3").steps);
  EXPECT_NE(text.find("expect regex \"(?s).*\" as id"), std::string::npos) << text;
  EXPECT_NE(text.find("send \"get ${id}\""), std::string::npos) << text;
  // Losing the exchange that captures leaves its users nothing: no case.
  EXPECT_FALSE(has_case(cases, "loss/line-5"));
}

// Steps of other connections between a send on main and its answer stay.
TEST(DatagramLoss, KeepsOtherConnectionsStepsAmongTheExchangeItChanges) {
  const script s = script_of("transport udp\nframing datagram\nsend \"a\"\nb: connect\n"
                             "expect \"A\"\nb: send \"x\"\nb: expect \"X\"\n");
  const auto cases = matrix_of(s);
  for (const char* id : {"loss/line-3", "duplication/line-3"}) {
    ASSERT_TRUE(has_case(cases, id)) << id;
    const std::string text = to_string(find_case(cases, id).steps);
    EXPECT_NE(text.find("b: connect\n"), std::string::npos) << id << "\n" << text;
    EXPECT_NE(text.find("b: send \"x\""), std::string::npos) << id << "\n" << text;
  }
}

} // namespace
} // namespace tcpcheck
