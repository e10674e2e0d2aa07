// Tests for the matrix of a `role server` script (check_matrix.hpp): the
// cases that test a client, tcpcheck playing its server.
#include "tcpcheck/boundary_frames.hpp"
#include "tcpcheck/check_matrix.hpp"
#include "tcpcheck/script.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace tcpcheck {
namespace {

using test::script_of;
using test::spec_of;
using step_kind = script_step::kind;
using expect_kind = expectation::kind;

// A client that sends a name and prints the greeting it gets back.
constexpr const char* greeting_client = R"(role server
framing line
timeout 2s
expect "alice"
send "Hello alice!"
expect close
)";

std::vector<check_case> client_cases(const matrix_options& options = {}) {
  const script s = script_of(greeting_client);
  return test::with_scripts_made(generate_matrix(s, spec_of(s), options));
}

const check_case* find(const std::vector<check_case>& cases, const std::string& id) {
  for (const auto& c : cases)
    if (c.id == id) return &c;
  return nullptr;
}

std::vector<expect_kind> kinds_of(const script_step& expect) {
  std::vector<expect_kind> kinds;
  for (const auto& e : expect.alternatives)
    kinds.push_back(e.what);
  return kinds;
}

TEST(ClientMatrix, HasSegmentationFaultsAndBoundaryButNoAreaThatNeedsManyClients) {
  for (const auto& c : client_cases()) {
    EXPECT_TRUE(c.area == check_area::segmentation || c.area == check_area::faults ||
                c.area == check_area::boundary)
        << c.id;
    EXPECT_EQ(c.runner, case_runner::script) << c.id;
  }
}

TEST(ClientMatrix, EveryCaseScriptStillPlaysTheServer) {
  for (const auto& c : client_cases())
    EXPECT_EQ(c.steps.role, script_role::server) << c.id;
}

TEST(ClientMatrix, SegmentationCasesAreJudgedByTheBaselinesOutput) {
  const auto cases = client_cases();
  ASSERT_FALSE(cases.empty());
  EXPECT_EQ(cases.front().id, "segmentation/whole");
  std::size_t segmentation = 0;
  for (const auto& c : cases) {
    if (c.area != check_area::segmentation) continue;
    ++segmentation;
    EXPECT_EQ(c.oracle, client_oracle::same_as_baseline) << c.id;
    EXPECT_EQ(c.steps, script_of(greeting_client)) << c.id;
  }
  EXPECT_GE(segmentation, 10u);
  EXPECT_NE(find(cases, "segmentation/merged"), nullptr);
  EXPECT_NE(find(cases, "segmentation/bytewise"), nullptr);
}

TEST(ClientMatrix, TheSlowServerTrickleRepliesWithTheGapTheOptionsSay) {
  const auto cases = client_cases({.trickle_gap = duration(35)});
  const check_case* slow = find(cases, "segmentation/slow-server");
  ASSERT_NE(slow, nullptr);
  ASSERT_TRUE(slow->write_gap.has_value());
  EXPECT_EQ(*slow->write_gap, duration(35));
  // "Hello alice!\n" is 13 bytes: one byte per write.
  EXPECT_EQ(slow->plan.what, delivery_plan::kind::chunk);
  EXPECT_EQ(slow->plan.chunk, 1u);
}

TEST(ClientMatrix, FaultsAndBoundaryFramesAreJudgedByTheClientEnding) {
  std::size_t ending = 0;
  for (const auto& c : client_cases()) {
    if (c.area == check_area::segmentation) continue;
    ++ending;
    EXPECT_EQ(c.oracle, client_oracle::ends_cleanly) << c.id;
    EXPECT_FALSE(c.failure_hint.empty()) << c.id;
  }
  EXPECT_GT(ending, 8u);
}

TEST(ClientMatrix, AFaultEndsTheScriptWithNoFreshConversation) {
  const auto cases = client_cases();
  // Line 5 is tcpcheck's reply: the client has sent its name.
  const check_case* rst = find(cases, "faults/line-5/rst");
  ASSERT_NE(rst, nullptr);
  ASSERT_EQ(rst->steps.steps.size(), 2u);
  EXPECT_EQ(rst->steps.steps[0].what, step_kind::expect);
  EXPECT_EQ(rst->steps.steps[1].what, step_kind::reset);
  const check_case* fin = find(cases, "faults/line-5/fin");
  ASSERT_NE(fin, nullptr);
  EXPECT_EQ(fin->steps.steps.back().what, step_kind::close);
}

TEST(ClientMatrix, AMidReplyFaultSendsHalfTheReplyFirst) {
  const auto cases = client_cases();
  const check_case* mid = find(cases, "faults/line-5-mid/rst");
  ASSERT_NE(mid, nullptr);
  ASSERT_EQ(mid->steps.steps.size(), 3u);
  const script_step& half = mid->steps.steps[1];
  EXPECT_EQ(half.what, step_kind::send);
  EXPECT_TRUE(half.raw);
  const auto bytes = literal_payload(half.payload);
  ASSERT_TRUE(bytes.has_value());
  EXPECT_EQ(std::string(as_text(*bytes)), "Hello ");
}

TEST(ClientMatrix, SilenceWaitsTheClientWaitForTheClientToGiveUp) {
  const auto cases = client_cases({.client_wait = duration(1500)});
  // Before the client's name: it sends it (owed), then must give up.
  const check_case* silent = find(cases, "faults/line-4/silent");
  ASSERT_NE(silent, nullptr);
  const auto& steps = silent->steps.steps;
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0].what, step_kind::expect); // "alice", still sent
  const script_step& wait = steps[1];
  EXPECT_EQ(wait.what, step_kind::expect);
  EXPECT_EQ(kinds_of(wait),
            (std::vector<expect_kind>{expect_kind::close, expect_kind::reset, expect_kind::any}));
  ASSERT_TRUE(wait.within.has_value());
  EXPECT_EQ(*wait.within, duration(1500));
}

TEST(ClientMatrix, AHalfCloseLetsTheClientSendOnceMoreBeforeItEnds) {
  const auto cases = client_cases();
  const check_case* half_close = find(cases, "faults/line-5/half-close");
  ASSERT_NE(half_close, nullptr);
  const auto& steps = half_close->steps.steps;
  ASSERT_GE(steps.size(), 2u);
  EXPECT_EQ(steps[steps.size() - 2].what, step_kind::shutdown);
  const auto kinds = kinds_of(steps.back());
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), expect_kind::any), kinds.end());
}

TEST(ClientMatrix, BoundaryFramesGoAfterTheClientsOpeningThenTheConnectionCloses) {
  const script s = script_of(greeting_client);
  const auto cases = client_cases();
  const auto frames = boundary_frames(spec_of(s));
  ASSERT_FALSE(frames.empty());
  for (const auto& frame : frames) {
    const check_case* c = find(cases, "boundary/" + frame.name);
    ASSERT_NE(c, nullptr) << frame.name;
    const auto& steps = c->steps.steps;
    ASSERT_EQ(steps.size(), 3u) << frame.name;
    EXPECT_EQ(steps[0].what, step_kind::expect); // the client's name first
    EXPECT_EQ(steps[1].what, step_kind::send);
    EXPECT_EQ(literal_payload(steps[1].payload), frame.wire) << frame.name;
    EXPECT_EQ(steps[2].what, step_kind::close);
  }
}

TEST(ClientMatrix, TitlesSpeakOfRepliesNotSends) {
  for (const auto& c : client_cases()) {
    if (c.area != check_area::segmentation || c.id == "segmentation/whole") continue;
    EXPECT_EQ(c.title.find("send"), std::string::npos) << c.title;
    EXPECT_TRUE(c.title.find("repl") != std::string::npos) << c.title;
  }
}

TEST(ClientMatrix, OracleNamesAreStable) {
  EXPECT_EQ(name_of(client_oracle::same_as_baseline), "same-as-baseline");
  EXPECT_EQ(name_of(client_oracle::ends_cleanly), "ends-cleanly");
}

// A client whose replies are many and small: the trickle still cuts each.
TEST(ClientMatrix, TheSlowServerCutsEvenTheSmallestReplyAndTakesAboutTwoSeconds) {
  std::string text = "role server\nframing line\n";
  for (int i = 0; i < 60; ++i)
    text += "expect \"q\"\nsend \"" + std::string(i == 0 ? 3 : 40, 'a') + "\"\n";
  const script s = script_of(text);
  const auto cases = test::with_scripts_made(generate_matrix(s, spec_of(s), {}));
  const check_case* slow = find(cases, "segmentation/slow-server");
  ASSERT_NE(slow, nullptr);
  EXPECT_EQ(slow->plan.chunk, 2u); // "aaa\n" is 4 bytes: cut in two
  ASSERT_TRUE(slow->write_gap.has_value());
  const std::size_t writes = (3 + 1 + 59 * 41) / 2 + 1;
  EXPECT_LE(*slow->write_gap * static_cast<long>(writes), duration(2000 + writes));
  EXPECT_GE(*slow->write_gap, duration(1));
}

// A silence before the client's request on one connection owes only what
// it sends before tcpcheck's next reply, on whatever connection.
TEST(ClientMatrix, SilenceOwesNothingPastTcpchecksNextSendOnAnyConnection) {
  const script s = script_of(R"(role server
framing line
expect "a1"
other: accept
other: send "hi"
expect "a2"
send "done"
)");
  const auto cases = test::with_scripts_made(generate_matrix(s, spec_of(s), {}));
  const check_case* silent = find(cases, "faults/line-3/silent");
  ASSERT_NE(silent, nullptr);
  const auto& steps = silent->steps.steps;
  ASSERT_EQ(steps.size(), 2u) << to_string(silent->steps);
  EXPECT_EQ(steps[0].what, step_kind::expect); // "a1" only, not "a2"
  EXPECT_EQ(steps[1].what, step_kind::expect); // the client gives up
  EXPECT_TRUE(steps[1].within.has_value());
}

} // namespace
} // namespace tcpcheck
