// Tests for run.hpp over loopback: the corpus scripts against the reference
// servers under every plan, the seed articles' buggy servers caught at the
// right step, how cut writes reach a server, run_many, unreachable targets,
// the whole-run timeout, the wire log, and parse_target.
#include "tcpcheck/harness/run.hpp"
// (first, apart: it proves run.hpp self-contained; clang-format does not
// take run.hpp for this file's main header)

#include "tcpcheck/bytes.hpp"
#include "tcpcheck/delivery_plan.hpp"
#include "tcpcheck/frame_encoder.hpp"
#include "tcpcheck/framing_spec.hpp"
#include "tcpcheck/harness/memory_budget.hpp"
#include "tcpcheck/harness/reference_server.hpp"
#include "tcpcheck/harness/socket_diag.hpp"
#include "tcpcheck/script.hpp"
#include "tcpcheck/session.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <thread>
#include <tuple>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

#include "buggy_servers.hpp"
#include "loopback_support.hpp"

namespace tcpcheck::harness {
namespace {

using namespace std::chrono_literals;
using test::buggy_server;
using test::eventually;
using test::one_shot_server;
using test::recording_server;
using test::refusing_port;
using test::server_bug;
using clock_type = std::chrono::steady_clock;

const std::vector<std::string> every_plan = {"whole",    "bytewise",     "chunk:3", "random:1",
                                             "random:2", "split-header", "merged",  "pipeline"};

// ---------------------------------------------------------------------------
// Scripts, specs, plans and runs

script parse(std::string_view text, const std::string& name = "<test script>") {
  script_error error;
  auto s = parse_script(text, error);
  if (!s) throw std::invalid_argument(error.to_string(name));
  return *std::move(s);
}

// A script of corpus/scripts by its name ("hello" for hello.tcs).
script load(const std::string& name) {
  const auto path = std::filesystem::path(TCPCHECK_SCRIPTS_DIR) / (name + ".tcs");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), path.string());
}

framing_spec spec_from(std::string_view text) {
  spec_error error;
  auto spec = parse_framing_spec(text, error);
  if (!spec) throw std::invalid_argument("spec '" + std::string(text) + "': " + to_string(error));
  return *std::move(spec);
}

framing_spec spec_of(const script& s) {
  return spec_from(s.framing.value_or("raw"));
}

delivery_plan plan_of(std::string_view text) {
  std::string error;
  auto plan = parse_delivery_plan(text, error);
  if (!plan) throw std::invalid_argument(error);
  return *plan;
}

target loopback(std::uint16_t port) {
  return {"127.0.0.1", port};
}

// Short limits: a failure a test provokes ends in well under a second.
run_options quick() {
  run_options o;
  o.session.default_timeout = 500ms;
  o.session.connect_timeout = 1s;
  o.run_timeout = 20s;
  return o;
}

// For tests whose verdict depends on each piece of a cut send reaching the
// server as a read of its own. The driver holds each piece back until the
// server has read the one before, so the default 1 ms gap holds even on a
// busy machine (before it did, a loaded CI machine merged pieces 10 ms apart).
run_options spaced() {
  return quick();
}

run_result run(std::uint16_t port, const script& s, std::string_view plan,
               const run_options& options = quick()) {
  return run_script(loopback(port), s, spec_of(s), plan_of(plan), options);
}

// The line of the step written `text` in canonical form ("b: reset").
std::size_t line_of(const script& s, std::string_view text) {
  for (const auto& step : s.steps)
    if (to_string(step) == text) return step.line;
  throw std::invalid_argument("no step '" + std::string(text) + "' in the script");
}

std::string name_for_test(std::string text) {
  std::replace_if(
      text.begin(), text.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); },
      '_');
  return text;
}

// What the hello server says to hello.tcs.
const std::string hello_replies = "Server: Welcome!\nWhat's your name?\n"
                                  "Hello Michael!\nWhat's your name?\n"
                                  "Hello Tracy!\nWhat's your name?\n"
                                  "Good bye!\n";

// The bytes of every `what` event on `connection`, in order.
std::string joined(const std::vector<wire_event>& log, wire_event::kind what,
                   std::size_t connection) {
  std::string out;
  for (const auto& e : log)
    if (e.what == what && e.connection == connection) out += as_text(e.bytes);
  return out;
}

// ---------------------------------------------------------------------------
// Raw sockets, for what the harness does not show

// Whether a connect to 127.0.0.1:port is refused right now.
bool connect_refused(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  const bool refused =
      ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 &&
      errno == ECONNREFUSED;
  ::close(fd);
  return refused;
}

// Polls `condition` until it holds or `limit` passes; returns its last value.
// A plain client that connects and says nothing, to hold a server's attention.
class idle_client {
public:
  explicit idle_client(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0)
      throw std::runtime_error("cannot connect to port " + std::to_string(port));
  }
  ~idle_client() { ::close(fd_); }
  idle_client(const idle_client&) = delete;
  idle_client& operator=(const idle_client&) = delete;

private:
  int fd_ = -1;
};

// A frame beyond the session's own share is read only with what the
// budget's pool lends: with nothing to lend, the read waits (and the wait's
// timeout says so); with enough, the frame is read and judged.
TEST(MemoryPool, ReadsBeyondTheSharesWaitForWhatThePoolLends) {
  const std::string line(1u << 20, 'x');
  const script s = parse("framing line\ntimeout 1s\nexpect any\nclose\n");
  for (const std::size_t lent : {std::size_t{0}, std::size_t{2} << 20}) {
    SCOPED_TRACE(lent);
    one_shot_server server(line + "\n", false);
    run_options options = quick();
    options.own_bytes = 64u << 10;
    options.pool = std::make_shared<memory_pool>(lent);

    const run_result r = run_script(loopback(server.port()), s, spec_of(s), {}, options);

    EXPECT_EQ(r.outcome.passed, lent > 0) << to_string(r.outcome);
    const bool held_back =
        std::any_of(r.wire_log.begin(), r.wire_log.end(),
                    [](const wire_event& e) { return e.text.starts_with("read held back"); });
    EXPECT_EQ(held_back, lent == 0);
    EXPECT_EQ(options.pool->free(), lent) << "what was borrowed is given back";
  }
}

TEST(KeepPayload, CutsBytesFirstOnesFirstAndKeepsEveryEventAndSize) {
  run_result r;
  for (int i = 0; i < 3; ++i) {
    wire_event e;
    e.what = wire_event::kind::read;
    e.bytes.assign(40000, 'r');
    e.size = e.bytes.size();
    r.wire_log.push_back(e);
    transcript_entry t;
    t.what = transcript_entry::kind::received_frame;
    t.bytes.assign(40000, 't');
    r.outcome.transcript.push_back(t);
  }

  keep_payload(r, 64000, "a test's share");

  ASSERT_EQ(r.wire_log.size(), 3u);
  EXPECT_EQ(r.wire_log[0].bytes.size(), 40000u);
  EXPECT_EQ(r.wire_log[1].bytes.size(), 24000u);
  EXPECT_EQ(r.wire_log[2].bytes.size(), 0u);
  for (const auto& e : r.wire_log)
    EXPECT_EQ(e.size, 40000u); // what was read, kept or not
  ASSERT_EQ(r.outcome.transcript.size(), 3u);
  EXPECT_EQ(r.outcome.transcript[1].bytes.size(), 24000u);
  EXPECT_EQ(r.outcome.transcript[0].text, "");
  EXPECT_EQ(r.outcome.transcript[1].text, "16000 more bytes not kept (a test's share)");
  EXPECT_EQ(r.outcome.transcript[2].text, "40000 more bytes not kept (a test's share)");
}

TEST(PeerReset, AResetAfterTheFinIsSeenAndTheCloseBeforeItStillHolds) {
  one_shot_server server("bye\n", true);
  // The sleep lets the reset arrive before the step that expects it.
  const script s = parse("framing line\ntimeout 2s\nexpect \"bye\"\nexpect close\n"
                         "send \"late\"\nsleep 200ms\nexpect reset\n");

  const run_result r = run_script(loopback(server.port()), s, spec_of(s), {}, quick());

  EXPECT_TRUE(r.outcome.passed) << to_string(r.outcome);
  const auto fin = std::find_if(r.wire_log.begin(), r.wire_log.end(), [](const wire_event& e) {
    return e.what == wire_event::kind::peer_fin;
  });
  ASSERT_NE(fin, r.wire_log.end());
  const auto rst = std::find_if(fin, r.wire_log.end(), [](const wire_event& e) {
    return e.what == wire_event::kind::peer_rst;
  });
  ASSERT_NE(rst, r.wire_log.end()) << "the reset after the FIN went unseen";
  EXPECT_TRUE(rst->text.starts_with("after its FIN")) << rst->text;
}

// ---------------------------------------------------------------------------
// The corpus scripts pass against their reference servers, under every plan

const std::map<std::string, reference_protocol, std::less<>>& corpus_servers() {
  static const std::map<std::string, reference_protocol, std::less<>> table = {
      {"echo", reference_protocol::echo},         {"greeting", reference_protocol::greeting},
      {"hello", reference_protocol::hello},       {"lenprefix", reference_protocol::lenprefix},
      {"two-clients", reference_protocol::hello}, {"udp-echo", reference_protocol::udp_echo},
  };
  return table;
}

TEST(RunLimit, CoversEveryWaitOfTheScriptInARowAndNeverLessThanTheDefault) {
  using std::chrono::milliseconds;
  const run_options defaults;
  const script quick = parse("framing line\ntimeout 2s\nsend \"a\"\nexpect \"a\"\n");
  EXPECT_EQ(run_limit_for(quick, defaults), defaults.run_timeout);

  // A --timeout of 30 s: two expects at it, one within 10 s, a sleep, a
  // connect at its timeout, and the margin of 5 s.
  const script slow = parse("framing line\ntimeout 30s\nconnect\nsend \"a\"\n"
                            "expect \"a\"\nsleep 1s\nexpect any within 10s\n"
                            "send \"b\"\nexpect \"b\"\n");
  run_options options;
  options.session.connect_timeout = milliseconds(30000);
  EXPECT_EQ(run_limit_for(slow, options),
            milliseconds(30000 + 30000 + 1000 + 10000 + 30000 + 5000));
}

TEST(CorpusScripts, EachHasAReferenceServerInTheTable) {
  std::set<std::string> found;
  for (const auto& entry : std::filesystem::directory_iterator(TCPCHECK_SCRIPTS_DIR))
    if (entry.path().extension() == ".tcs") found.insert(entry.path().stem().string());
  std::set<std::string> listed;
  for (const auto& [name, protocol] : corpus_servers())
    listed.insert(name);
  // A new script must be added to the table, or it is never run.
  EXPECT_EQ(found, listed);
}

class CorpusScript : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(CorpusScript, PassesAgainstItsReferenceServer) {
  const auto& [name, plan] = GetParam();
  const reference_protocol protocol = corpus_servers().at(name);
  const script s = load(name);
  ASSERT_EQ(spec_of(s).kind, spec_from(framing_of(protocol)).kind)
      << name << ".tcs does not use the framing of the " << name_of(protocol) << " server";
  reference_server server(protocol);

  const run_result r = run(server.port(), s, plan);

  EXPECT_TRUE(r.outcome.passed) << name << ".tcs under " << plan << ": " << to_string(r.outcome);
  EXPECT_EQ(r.outcome.step, s.steps.size());
  EXPECT_EQ(r.outcome.plan, plan);
  EXPECT_FALSE(r.unreachable);
}

INSTANTIATE_TEST_SUITE_P(EveryPlan, CorpusScript,
                         // A UDP script goes whole under every plan: the session cuts no datagram.
                         ::testing::Combine(::testing::Values("echo", "greeting", "hello",
                                                              "lenprefix", "two-clients",
                                                              "udp-echo"),
                                            ::testing::ValuesIn(every_plan)),
                         [](const auto& test_info) {
                           return name_for_test(std::get<0>(test_info.param) + "_" +
                                                std::get<1>(test_info.param));
                         });

// ---------------------------------------------------------------------------
// (a) One recv() taken as one message

TEST(OneReadIsOneMessage, PassesWhenEachNameArrivesInOneRead) {
  buggy_server server(server_bug::one_read_is_one_message);
  const script s = load("hello");
  for (const char* plan : {"whole", "merged"}) {
    const run_result r = run(server.port(), s, plan);
    EXPECT_TRUE(r.outcome.passed) << plan << ": " << to_string(r.outcome);
  }
}

// Two sends in a row, as written: each a read of its own for the server,
// not one read of both (the merged plan's business), however the server's
// thread is scheduled.
TEST(OneReadIsOneMessage, PassesTwoSendsInARowUnderWhole) {
  buggy_server server(server_bug::one_read_is_one_message);
  const script s = parse("framing line\ntimeout 2s\nexpect \"Server: Welcome!\"\n"
                         "expect \"What's your name?\"\nsend \"Michael\"\nsend \"Tracy\"\n"
                         "expect \"Hello Michael!\"\nexpect \"What's your name?\"\n"
                         "expect \"Hello Tracy!\"\nexpect \"What's your name?\"\n"
                         "send \"exit\"\nexpect \"Good bye!\"\nexpect close\n");
  for (int i = 0; i < 20; ++i) {
    const run_result r = run(server.port(), s, "whole");
    ASSERT_TRUE(r.outcome.passed) << "run " << i << ": " << to_string(r.outcome);
  }
}

TEST(OneReadIsOneMessage, FailsBytewiseAtTheFirstGreeting) {
  buggy_server server(server_bug::one_read_is_one_message);
  const script s = load("hello");

  const run_result r = run(server.port(), s, "bytewise", spaced());

  ASSERT_FALSE(r.outcome.passed);
  EXPECT_EQ(r.outcome.line, line_of(s, R"(expect "Hello Michael!")"));
  EXPECT_EQ(r.outcome.reason, "the server sent another frame than expected");
  EXPECT_EQ(r.outcome.expected, R"("Hello Michael!")");
  EXPECT_EQ(r.outcome.got, R"("Hello M!")");
  EXPECT_FALSE(r.unreachable);
}

TEST(OneReadIsOneMessage, FailsInChunksOfThreeWithTheFirstChunkAsTheName) {
  buggy_server server(server_bug::one_read_is_one_message);
  const script s = load("hello");

  const run_result r = run(server.port(), s, "chunk:3", spaced());

  ASSERT_FALSE(r.outcome.passed);
  EXPECT_EQ(r.outcome.line, line_of(s, R"(expect "Hello Michael!")"));
  EXPECT_EQ(r.outcome.reason, "the server sent another frame than expected");
  EXPECT_EQ(r.outcome.got, R"("Hello Mic!")");
}

TEST(OneReadIsOneMessage, FailsWhenTheDelimiterArrivesAlone) {
  buggy_server server(server_bug::one_read_is_one_message);
  const script s = load("hello");

  // "Michael", then "\n" a write gap later: the first read happens to be
  // the whole name, and the next expect passes. The lone "\n" then reaches
  // the server as a read of its own ("Hello !"), or, when the client has
  // already answered the question with "Tracy" (queued right behind it,
  // with no gap), together with it ("Hello \nTracy!"). Either way the
  // greeting the script expects next is wrong.
  const run_result r = run(server.port(), s, "split-header", spaced());

  ASSERT_FALSE(r.outcome.passed);
  EXPECT_EQ(r.outcome.line, line_of(s, R"(expect "Hello Tracy!")"));
  EXPECT_EQ(r.outcome.reason, "the server sent another frame than expected");
  EXPECT_EQ(r.outcome.expected, R"("Hello Tracy!")");
  EXPECT_TRUE(r.outcome.got == R"("Hello !")" || r.outcome.got == R"("Hello ")") << r.outcome.got;
}

TEST(OneReadIsOneMessage, FailsUnderRandomCutsWithTheFirstPieceAsTheName) {
  buggy_server server(server_bug::one_read_is_one_message);
  const script s = load("hello");
  const framing_spec spec = spec_of(s);
  byte_buffer wire;
  ASSERT_FALSE(encode_frame(spec, as_bytes("Michael"), wire));
  for (const char* plan : {"random:1", "random:2"}) {
    const auto cuts = plan_cuts(plan_of(plan), spec, wire, true, 0);
    ASSERT_FALSE(cuts.empty()) << plan;

    const run_result r = run(server.port(), s, plan, spaced());

    ASSERT_FALSE(r.outcome.passed) << plan;
    EXPECT_EQ(r.outcome.reason, "the server sent another frame than expected") << plan;
    if (cuts.front() < 7) { // a cut inside "Michael": the first read is a shorter name
      EXPECT_EQ(r.outcome.line, line_of(s, R"(expect "Hello Michael!")")) << plan;
      EXPECT_EQ(r.outcome.got,
                "\"Hello " + std::string(as_text(byte_view(wire).first(cuts.front()))) + "!\"")
          << plan;
    } else {
      EXPECT_TRUE(r.outcome.got == R"("Hello !")" || r.outcome.got == R"("Hello ")") << plan;
    }
  }
}

// ---------------------------------------------------------------------------
// (b) recv(4) for the header, recv(n) for the body

TEST(SingleReadFraming, PassesWhenEachFrameArrivesInOneWrite) {
  buggy_server server(server_bug::single_read_framing);
  const script s = load("lenprefix");
  for (const char* plan : {"whole", "merged", "pipeline"}) {
    const run_result r = run(server.port(), s, plan);
    EXPECT_TRUE(r.outcome.passed) << plan << ": " << to_string(r.outcome);
  }
}

TEST(SingleReadFraming, FailsBytewiseWithAOneByteEcho) {
  buggy_server server(server_bug::single_read_framing);
  const script s = load("lenprefix");

  // recv(4) gets the header's first byte (12, the rest taken as zeros);
  // recv(12) gets the header's second byte, echoed as a 1-byte message.
  const run_result r = run(server.port(), s, "bytewise", spaced());

  ASSERT_FALSE(r.outcome.passed);
  EXPECT_EQ(r.outcome.line, line_of(s, R"(expect "hello world!")"));
  EXPECT_EQ(r.outcome.reason, "the server sent another frame than expected");
  EXPECT_EQ(r.outcome.expected, R"("hello world!")");
  EXPECT_EQ(r.outcome.got, R"("\0")");
}

TEST(SingleReadFraming, FailsInChunksOfThreeWithAShortBody) {
  buggy_server server(server_bug::single_read_framing);
  const script s = load("lenprefix");

  // recv(4) gets "0c 00 00", recv(12) the next chunk "00 h e".
  const run_result r = run(server.port(), s, "chunk:3", spaced());

  ASSERT_FALSE(r.outcome.passed);
  EXPECT_EQ(r.outcome.line, line_of(s, R"(expect "hello world!")"));
  EXPECT_EQ(r.outcome.got, R"("\0he")");
}

TEST(SingleReadFraming, FailsWhenTheHeaderIsSplitTakingItsRestAsBody) {
  buggy_server server(server_bug::single_read_framing);
  const script s = load("lenprefix");

  // recv(4) gets "0c 00"; recv(12) gets the header's other half and 10
  // bytes of the body.
  const run_result r = run(server.port(), s, "split-header", spaced());

  ASSERT_FALSE(r.outcome.passed);
  EXPECT_EQ(r.outcome.line, line_of(s, R"(expect "hello world!")"));
  EXPECT_EQ(r.outcome.reason, "the server sent another frame than expected");
  EXPECT_EQ(r.outcome.got, R"("\0\0hello worl")");
}

// ---------------------------------------------------------------------------
// (c) One client at a time

TEST(OneClientAtATime, PassesASingleClientsConversation) {
  buggy_server server(server_bug::one_client_at_a_time);
  const script s = load("hello");
  for (const char* plan : {"whole", "bytewise"}) {
    const run_result r = run(server.port(), s, plan);
    EXPECT_TRUE(r.outcome.passed) << plan << ": " << to_string(r.outcome);
  }
}

TEST(OneClientAtATime, LeavesTheSecondClientWaitingUntilItsExpectTimesOut) {
  buggy_server server(server_bug::one_client_at_a_time);
  script s = load("two-clients");
  s.timeout.reset(); // run_options' default_timeout instead of the script's 2s
  run_options options = quick();
  options.session.default_timeout = 300ms;

  const auto start = clock_type::now();
  const run_result r = run(server.port(), s, "whole", options);
  const auto took = clock_type::now() - start;

  ASSERT_FALSE(r.outcome.passed);
  EXPECT_EQ(r.outcome.line, line_of(s, R"(second: expect "Server: Welcome!")"));
  EXPECT_EQ(r.outcome.reason, "timed out");
  EXPECT_EQ(r.outcome.expected, R"("Server: Welcome!")");
  EXPECT_EQ(r.outcome.got, "nothing within 300ms");
  EXPECT_FALSE(r.unreachable);
  EXPECT_LT(took, 3s);
  // The kernel completed the second connection; the server never served it.
  EXPECT_TRUE(std::any_of(r.wire_log.begin(), r.wire_log.end(), [](const wire_event& e) {
    return e.what == wire_event::kind::connected && e.connection == 1;
  }));
  EXPECT_EQ(joined(r.wire_log, wire_event::kind::read, 1), "");
}

// ---------------------------------------------------------------------------
// (d) Dies when a client resets

constexpr std::string_view reset_script =
    R"(# checks: the hello server keeps serving a client while another one resets
framing line
timeout 2s

expect "Server: Welcome!"
expect "What's your name?"
b: connect
b: expect "Server: Welcome!"
b: expect "What's your name?"
b: reset
expect silence 150ms
send "Michael"
expect "Hello Michael!"
expect "What's your name?"
send "exit"
expect "Good bye!"
expect close
)";

TEST(ResetScript, PassesAgainstTheReferenceServerUnderEveryPlan) {
  reference_server server(reference_protocol::hello);
  const script s = parse(reset_script);
  for (const auto& plan : every_plan) {
    const run_result r = run(server.port(), s, plan);
    EXPECT_TRUE(r.outcome.passed) << plan << ": " << to_string(r.outcome);
  }
}

// The pipeline plan sends ahead of pending expects; an expected silence is
// a promise that the server is not provoked, so nothing may go out before
// it ends.
TEST(Pipeline, SendsNothingAheadOfAnExpectedSilence) {
  reference_server server(reference_protocol::hello);
  const script s = parse(R"(framing line
expect "Server: Welcome!"
expect "What's your name?"
expect silence 100ms
send "Michael"
expect "Hello Michael!"
)");
  ASSERT_TRUE(run(server.port(), s, "whole").outcome.passed);

  const run_result r = run(server.port(), s, "pipeline");

  EXPECT_TRUE(r.outcome.passed) << to_string(r.outcome);
  const auto connected =
      std::find_if(r.wire_log.begin(), r.wire_log.end(),
                   [](const wire_event& e) { return e.what == wire_event::kind::connected; });
  const auto first_write =
      std::find_if(r.wire_log.begin(), r.wire_log.end(),
                   [](const wire_event& e) { return e.what == wire_event::kind::write; });
  ASSERT_NE(connected, r.wire_log.end());
  ASSERT_NE(first_write, r.wire_log.end());
  EXPECT_GE(first_write->at - connected->at, 100ms);
}

TEST(DiesOnReset, PassesAClientThatLeavesNormally) {
  buggy_server server(server_bug::dies_on_reset);

  const run_result r = run(server.port(), load("hello"), "whole");

  EXPECT_TRUE(r.outcome.passed) << to_string(r.outcome);
  EXPECT_FALSE(server.dead());
}

TEST(DiesOnReset, DropsTheOtherClientWhenOneResets) {
  buggy_server server(server_bug::dies_on_reset);
  const script s = parse(reset_script);

  const run_result r = run(server.port(), s, "whole");

  ASSERT_FALSE(r.outcome.passed);
  EXPECT_EQ(r.outcome.line, line_of(s, "expect silence 150ms"));
  EXPECT_EQ(r.outcome.reason, "the server closed the connection");
  EXPECT_EQ(r.outcome.expected, "silence for 150ms");
  EXPECT_EQ(r.outcome.got, "the connection closed (FIN)");
  EXPECT_TRUE(server.dead());
}

TEST(DiesOnReset, RefusesNewClientsAfterAReset) {
  buggy_server server(server_bug::dies_on_reset);
  ASSERT_FALSE(run(server.port(), parse(reset_script), "whole").outcome.passed);
  ASSERT_TRUE(eventually([&] { return connect_refused(server.port()); }));

  const script s = load("hello");
  const run_result r = run(server.port(), s, "whole");

  EXPECT_FALSE(r.outcome.passed);
  EXPECT_TRUE(r.unreachable);
  EXPECT_EQ(r.outcome.line, s.steps.front().line);
}

// ---------------------------------------------------------------------------
// The servers of these tests stop promptly

TEST(BuggyServer, StopsPromptlyAndTwiceWithAClientConnected) {
  for (const server_bug bug :
       {server_bug::one_read_is_one_message, server_bug::single_read_framing,
        server_bug::one_client_at_a_time, server_bug::dies_on_reset, server_bug::never_answers}) {
    buggy_server server(bug);
    const idle_client waiting(server.port());
    ASSERT_TRUE(eventually([&] { return server.accepted() == 1; }));

    const auto start = clock_type::now();
    server.stop();
    server.stop();
    EXPECT_LT(clock_type::now() - start, 1s) << static_cast<int>(bug);
    EXPECT_TRUE(connect_refused(server.port())) << static_cast<int>(bug);
  }
}

TEST(RecordingServer, StopsPromptlyAndTwiceWithAClientConnected) {
  recording_server server;
  const idle_client waiting(server.port());
  ASSERT_TRUE(eventually([&] { return server.connections() == 1; }));

  const auto start = clock_type::now();
  server.stop();
  server.stop();
  EXPECT_LT(clock_type::now() - start, 1s);
  EXPECT_TRUE(connect_refused(server.port()));
}

// ---------------------------------------------------------------------------
// Each write piece reaches the server as a recv() of its own

constexpr std::string_view line_messages = R"(# checks: the recording server echoes three messages
framing line
timeout 2s

expect "ready"
send "hello, recorder"
expect "hello, recorder"
send "x"
expect "x"
send "a longer third message"
expect "a longer third message"
)";

constexpr std::string_view lenprefix_messages = R"(# checks: the recording server echoes two frames
framing len:i32le
timeout 2s

expect "ready"
send "hello world!"
expect "hello world!"
send "lift is smart!"
expect "lift is smart!"
)";

struct recording {
  run_result result;
  std::vector<std::size_t> reads;  ///< recv() sizes at the server, connection 0
  std::vector<std::size_t> writes; ///< write sizes in the wire log, connection 0
};

// Runs `s` against a recording server that greets with "ready" in the
// script's framing, under `plan` with spaced pieces.
recording record(const script& s, std::string_view plan) {
  byte_buffer greeting;
  if (encode_frame(spec_of(s), as_bytes("ready"), greeting))
    throw std::invalid_argument("cannot frame the greeting");
  recording_server server(std::string(as_text(greeting)));
  recording out;
  out.result = run(server.port(), s, plan, spaced());
  EXPECT_TRUE(out.result.outcome.passed) << plan << ": " << to_string(out.result.outcome);
  // The harness closed the connection; the server has seen its last read
  // once it has seen the close.
  EXPECT_TRUE(server.wait_until_ended(1, 5s));
  out.reads = server.reads(0);
  for (const auto& e : out.result.wire_log)
    if (e.what == wire_event::kind::write && e.connection == 0) out.writes.push_back(e.size);
  return out;
}

// The piece sizes `plan` cuts each send of `s` into (no variables, no merging).
std::vector<std::size_t> planned_pieces(const script& s, std::string_view plan) {
  const framing_spec spec = spec_of(s);
  std::vector<std::size_t> out;
  std::uint64_t send_index = 0;
  for (const auto& step : s.steps) {
    if (step.what != script_step::kind::send) continue;
    byte_buffer payload;
    for (const auto& segment : step.payload.segments)
      payload.insert(payload.end(), segment.bytes.begin(), segment.bytes.end());
    byte_buffer wire;
    if (encode_frame(spec, payload, wire)) throw std::invalid_argument("cannot frame a send");
    std::size_t from = 0;
    for (const std::size_t cut : plan_cuts(plan_of(plan), spec, wire, true, send_index++)) {
      out.push_back(cut - from);
      from = cut;
    }
    out.push_back(wire.size() - from);
  }
  return out;
}

class WritePieces : public ::testing::TestWithParam<std::string> {};

TEST_P(WritePieces, ReachTheServerAsReadsOfTheirOwn) {
  for (const std::string_view text : {line_messages, lenprefix_messages}) {
    const script s = parse(text);
    const recording r = record(s, GetParam());
    SCOPED_TRACE(*s.framing);
    EXPECT_EQ(r.writes, planned_pieces(s, GetParam()));
    EXPECT_EQ(r.reads, r.writes);
  }
}

INSTANTIATE_TEST_SUITE_P(CuttingPlans, WritePieces,
                         ::testing::Values("whole", "bytewise", "chunk:3", "random:1", "random:2",
                                           "split-header"),
                         [](const auto& test_info) { return name_for_test(test_info.param); });

TEST(WritePieces, BytewiseReachesTheServerOneByteAtATime) {
  const recording r = record(parse(line_messages), "bytewise");
  // "hello, recorder\n", "x\n", "a longer third message\n"
  EXPECT_EQ(r.reads, std::vector<std::size_t>(16 + 2 + 23, 1));
}

TEST(WritePieces, ChunkOfThreeReachesTheServerThreeBytesAtATime) {
  const recording r = record(parse(line_messages), "chunk:3");
  EXPECT_EQ(r.reads, (std::vector<std::size_t>{3, 3, 3, 3, 3, 1, 2, 3, 3, 3, 3, 3, 3, 3, 2}));
}

TEST(WritePieces, SplitHeaderEndsAReadInsideTheLengthField) {
  const recording r = record(parse(lenprefix_messages), "split-header");
  // Two bytes of the 4-byte header, then the rest of the frame.
  EXPECT_EQ(r.reads, (std::vector<std::size_t>{2, 2 + 12, 2, 2 + 14}));
}

TEST(WritePieces, SplitHeaderEndsAReadJustBeforeTheDelimiter) {
  const recording r = record(parse(line_messages), "split-header");
  EXPECT_EQ(r.reads, (std::vector<std::size_t>{15, 1, 1, 1, 22, 1}));
}

// A socket listening on 127.0.0.1 with `backlog`, and its port.
std::pair<int, std::uint16_t> listening_socket(int backlog) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(fd, backlog) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0)
    throw std::runtime_error("cannot listen on 127.0.0.1");
  return {fd, ntohs(address.sin_port)};
}

// `count` non-blocking connects to 127.0.0.1:`port`, not waited for: their
// SYNs are out, whatever the listener's queue does with them.
std::vector<int> connects_without_waiting(std::uint16_t port, int count) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  std::vector<int> clients;
  for (int i = 0; i < count; ++i) {
    clients.push_back(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    ::connect(clients.back(), reinterpret_cast<sockaddr*>(&address), sizeof address);
  }
  return clients;
}

// A loopback connection, both ends (blocking) and the listener, closed at
// the end of the test; `address` is the listener's, the one `ours` connected to.
struct connected_pair {
  int listening = -1, ours = -1, theirs = -1;
  sockaddr_in address{};

  connected_pair() {
    const auto bound = listening_socket(1);
    listening = bound.first;
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(bound.second);
    ours = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (::connect(ours, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
      throw std::runtime_error("cannot connect on loopback");
    theirs = ::accept(listening, nullptr, nullptr);
    if (theirs < 0) throw std::runtime_error("cannot accept on loopback");
  }
  ~connected_pair() {
    ::close(theirs);
    ::close(ours);
    ::close(listening);
  }
  connected_pair(const connected_pair&) = delete;
  connected_pair& operator=(const connected_pair&) = delete;
};

// The peer's receive queue, seen from this end of a loopback connection.
TEST(PeerUnread, CountsWhatThePeerHasNotReadYet) {
  const connected_pair c;

  EXPECT_EQ(unread_by_peer(c.ours), std::optional<std::size_t>(0));
  ASSERT_EQ(::send(c.ours, "hello", 5, 0), 5);
  EXPECT_TRUE(eventually([&] { return unread_by_peer(c.ours) == std::optional<std::size_t>(5); }));
  char buffer[3];
  ASSERT_EQ(::recv(c.theirs, buffer, sizeof buffer, 0), 3);
  EXPECT_EQ(unread_by_peer(c.ours), std::optional<std::size_t>(2));
  EXPECT_EQ(unread_by_peer(c.theirs), std::optional<std::size_t>(0));
  // A socket with no peer has no queue to tell.
  EXPECT_EQ(unread_by_peer(c.listening), std::nullopt);
}

// One lookup made once and asked many times (as a cut send's driver asks),
// on one diagnostics socket per thread: each answer is the queue of now.
TEST(PeerUnread, OneConnectionsLookupFollowsItsPeerAcrossManyLooks) {
  const connected_pair c;
  const connection_peer peer(c.ours);
  const int no_delay = 1; // each small send goes out at once, not after an ACK
  ASSERT_EQ(::setsockopt(c.ours, IPPROTO_TCP, TCP_NODELAY, &no_delay, sizeof no_delay), 0);

  std::size_t sent = 0;
  for (int i = 0; i < 200; ++i) {
    ASSERT_EQ(::send(c.ours, "ab", 2, 0), 2);
    sent += 2;
    ASSERT_TRUE(eventually([&] { return peer.unread() == std::optional<std::size_t>(sent); }))
        << "after " << sent << " bytes: " << peer.unread().value_or(0);
    // Another connection's lookups on the same thread do not disturb it.
    EXPECT_EQ(unread_by_peer(c.theirs), std::optional<std::size_t>(0));
  }
  char buffer[400];
  ASSERT_EQ(::recv(c.theirs, buffer, sizeof buffer, MSG_WAITALL), 400);
  EXPECT_EQ(peer.unread(), std::optional<std::size_t>(0));
}

// Given the address the socket connected to, the lookup asks the kernel
// only for the local one, and finds the same peer; given another address,
// it finds no peer rather than a wrong one.
TEST(PeerUnread, ALookupGivenTheRemoteAddressFindsTheSamePeer) {
  const connected_pair c;
  const auto* remote = reinterpret_cast<const sockaddr*>(&c.address);
  const connection_peer given(c.ours, remote, sizeof c.address);
  sockaddr_in elsewhere = c.address;
  elsewhere.sin_port = htons(static_cast<std::uint16_t>(ntohs(c.address.sin_port) + 1));
  const connection_peer wrong(c.ours, reinterpret_cast<sockaddr*>(&elsewhere), sizeof elsewhere);

  EXPECT_EQ(given.unread(), std::optional<std::size_t>(0));
  ASSERT_EQ(::send(c.ours, "hello", 5, 0), 5);
  EXPECT_TRUE(eventually([&] { return given.unread() == std::optional<std::size_t>(5); }));
  EXPECT_EQ(given.unread(), connection_peer(c.ours).unread());
  EXPECT_EQ(wrong.unread(), std::nullopt);
}

// The kernel's view of a listening socket: its backlog, and the
// connections waiting to be accepted, full past the backlog.
TEST(AcceptQueue, HoldsTheBacklogAndTheConnectionsWaiting) {
  const auto bound = listening_socket(1);
  const int listening = bound.first;
  const std::uint16_t port = bound.second;
  const auto empty = accept_queue_of("127.0.0.1", port);
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(empty->backlog, 1u);
  EXPECT_EQ(empty->waiting, 0u);
  EXPECT_FALSE(empty->full());

  const std::vector<int> clients = connects_without_waiting(port, 3);
  EXPECT_TRUE(eventually([&] {
    const auto queue = accept_queue_of("127.0.0.1", port);
    return queue && queue->waiting == 2 && queue->full();
  }));
  for (const int fd : clients)
    ::close(fd);
  ::close(listening);
  EXPECT_EQ(accept_queue_of("127.0.0.1", port), std::nullopt);
  EXPECT_EQ(accept_queue_of("not an address", port), std::nullopt);
}

// Connects to a listener that accepts nothing and has room for one: the
// kernel drops the other handshakes and counts each (for the whole network
// namespace, in /proc/net/netstat).
TEST(ListenOverflows, CountAHandshakeDroppedForAFullAcceptQueue) {
  const auto before = listen_overflows();
  ASSERT_TRUE(before.has_value());
  const auto bound = listening_socket(0);
  const int listening = bound.first;
  const std::uint16_t port = bound.second;
  const std::vector<int> clients = connects_without_waiting(port, 4);
  EXPECT_TRUE(eventually([&] { return listen_overflows() > before; }, 3000ms));
  for (const int fd : clients)
    ::close(fd);
  ::close(listening);
}

// A server that sleeps 20 ms before each recv() reads far slower than the
// 1 ms gap between the pieces: the driver waits until it has read each
// piece (its receive queue, seen on loopback) before writing the next.
TEST(WritePieces, ReachASlowReaderAsReadsOfTheirOwn) {
  const script s = parse(lenprefix_messages);
  byte_buffer greeting;
  ASSERT_FALSE(encode_frame(spec_of(s), as_bytes("ready"), greeting));
  recording_server server(std::string(as_text(greeting)), 20ms);
  const run_result result = run(server.port(), s, "split-header", quick());
  EXPECT_TRUE(result.outcome.passed) << to_string(result.outcome);
  EXPECT_TRUE(server.wait_until_ended(1, 5s));
  EXPECT_EQ(server.reads(0), (std::vector<std::size_t>{2, 2 + 12, 2, 2 + 14}));
}

TEST(WritePieces, WholeSendsReachTheServerAsOneReadEach) {
  const recording r = record(parse(line_messages), "whole");
  EXPECT_EQ(r.reads, (std::vector<std::size_t>{16, 2, 23}));
}

TEST(WritePieces, MergedSendsReachTheServerAsOneRead) {
  const script s = parse(R"(framing line
expect "ready"
send "one"
send "two"
expect "one"
expect "two"
)");
  const recording r = record(s, "merged");
  EXPECT_EQ(r.writes, std::vector<std::size_t>{8});
  EXPECT_EQ(r.reads, std::vector<std::size_t>{8});
}

// ---------------------------------------------------------------------------
// run_many

TEST(RunMany, PassesSixtyFourSessionsAtOnce) {
  reference_server server(reference_protocol::hello);
  const script s = load("hello");
  constexpr std::size_t count = 64;
  std::vector<int> calls(count, 0);
  std::size_t passed = 0;
  std::atomic<int> inside{0};
  bool overlapped = false;

  run_many(loopback(server.port()), s, spec_of(s), plan_of("whole"), count, 4, quick(),
           [&](std::size_t index, run_result r) {
             overlapped |= inside.fetch_add(1) != 0;
             EXPECT_LT(index, count);
             if (index < count) ++calls[index];
             if (r.outcome.passed)
               ++passed;
             else
               ADD_FAILURE() << "session " << index << ": " << to_string(r.outcome);
             inside.fetch_sub(1);
           });

  EXPECT_EQ(passed, count);
  EXPECT_EQ(calls, std::vector<int>(count, 1)); // each session reported exactly once
  EXPECT_FALSE(overlapped);                     // one call at a time
}

// Each thread runs sessions of its own; each one that ends starts the next
// on its thread, so a few at a time over several threads still run them all.
TEST(RunMany, RunsEverySessionWhenFewRunAtOnceOnSeveralThreads) {
  reference_server server(reference_protocol::hello);
  const script s = load("hello");
  constexpr std::size_t count = 50;
  std::vector<int> calls(count, 0);
  std::size_t passed = 0;
  run_many(
      loopback(server.port()), s, spec_of(s), plan_of("whole"), count, 3, quick(),
      [&](std::size_t index, run_result r) {
        ASSERT_LT(index, count);
        ++calls[index];
        passed += r.outcome.passed ? 1 : 0;
      },
      4);
  EXPECT_EQ(passed, count);
  EXPECT_EQ(calls, std::vector<int>(count, 1));
}

TEST(RunMany, ReportsNothingForNoSessions) {
  reference_server server(reference_protocol::hello);
  const script s = load("hello");
  std::size_t calls = 0;
  run_many(loopback(server.port()), s, spec_of(s), plan_of("whole"), 0, 2, quick(),
           [&](std::size_t, run_result) { ++calls; });
  EXPECT_EQ(calls, 0u);
}

// ---------------------------------------------------------------------------
// Unreachable targets and the whole-run timeout

TEST(RunScript, ReportsATargetWithNothingListeningAsUnreachableQuickly) {
  const refusing_port nobody;
  const script s = load("hello");

  const auto start = clock_type::now();
  const run_result r = run(nobody.port(), s, "whole");
  const auto took = clock_type::now() - start;

  EXPECT_TRUE(r.unreachable);
  EXPECT_FALSE(r.outcome.passed);
  EXPECT_EQ(r.outcome.line, s.steps.front().line);
  EXPECT_TRUE(r.outcome.reason.starts_with("cannot connect 'main': ")) << r.outcome.reason;
  // The kernel's reason, read from SO_ERROR once epoll reports the error
  // (a writable socket without it is taken as connected unasked).
  EXPECT_NE(r.outcome.reason.find("refused"), std::string::npos) << r.outcome.reason;
  EXPECT_LT(took, 1s);
  ASSERT_EQ(r.wire_log.size(), 2u);
  EXPECT_EQ(r.wire_log[0].what, wire_event::kind::connect);
  EXPECT_EQ(r.wire_log[1].what, wire_event::kind::error);
  EXPECT_TRUE(r.wire_log[1].text.starts_with("connect: ")) << r.wire_log[1].text;
}

TEST(RunScript, EndsARunThatOutlastsTheRunTimeout) {
  buggy_server silent(server_bug::never_answers);
  const script s = parse("framing line\nexpect \"Server: Welcome!\" within 10s\n");
  run_options options = quick();
  options.session.default_timeout = 10s;
  options.run_timeout = 200ms;

  const auto start = clock_type::now();
  const run_result r = run(silent.port(), s, "whole", options);
  const auto took = clock_type::now() - start;

  EXPECT_FALSE(r.outcome.passed);
  EXPECT_FALSE(r.unreachable);
  EXPECT_EQ(r.outcome.reason, "the whole run took longer than 200ms");
  EXPECT_EQ(r.outcome.line, 2u);
  EXPECT_GE(r.elapsed, 200ms);
  EXPECT_LT(took, 3s);
  EXPECT_TRUE(eventually([&] { return silent.accepted() == 1; }));
}

TEST(RunScript, FailsAnExpectThatTimesOutWithTheSessionsDefaultTimeout) {
  buggy_server silent(server_bug::never_answers);
  const script s = parse("framing line\nsend \"anyone?\"\nexpect \"yes\"\n");
  run_options options = quick();
  options.session.default_timeout = 150ms;

  const run_result r = run(silent.port(), s, "whole", options);

  EXPECT_FALSE(r.outcome.passed);
  EXPECT_EQ(r.outcome.line, 3u);
  EXPECT_EQ(r.outcome.reason, "timed out");
  EXPECT_EQ(r.outcome.got, "nothing within 150ms");
  EXPECT_GE(r.elapsed, 150ms);
  EXPECT_LT(r.elapsed, 3s);
}

// ---------------------------------------------------------------------------
// The wire log

TEST(WireLog, StampsEveryEventInOrderWithinTheRun) {
  reference_server server(reference_protocol::hello);
  const run_result r = run(server.port(), load("hello"), "chunk:3");
  ASSERT_TRUE(r.outcome.passed) << to_string(r.outcome);
  ASSERT_GE(r.wire_log.size(), 2u);

  for (std::size_t i = 1; i < r.wire_log.size(); ++i)
    EXPECT_LE(r.wire_log[i - 1].at, r.wire_log[i].at) << "event " << i;
  EXPECT_LE(r.wire_log.back().at, r.elapsed);
  EXPECT_GT(r.wire_log.back().at, r.wire_log.front().at);
}

TEST(WireLog, RecordsEachWriteAndReadWithItsSizeAndBytes) {
  reference_server server(reference_protocol::hello);
  const run_result r = run(server.port(), load("hello"), "chunk:3");
  ASSERT_TRUE(r.outcome.passed) << to_string(r.outcome);
  const auto& log = r.wire_log;
  ASSERT_GE(log.size(), 2u);

  EXPECT_EQ(log[0].what, wire_event::kind::connect);
  EXPECT_EQ(log[1].what, wire_event::kind::connected);
  std::size_t writes = 0;
  std::size_t last_read = 0;
  for (std::size_t i = 0; i < log.size(); ++i) {
    const wire_event& e = log[i];
    EXPECT_EQ(e.connection, 0u);
    if (e.what == wire_event::kind::write || e.what == wire_event::kind::read) {
      EXPECT_EQ(e.bytes.size(), e.size) << "event " << i; // well under the log's limit
      EXPECT_GT(e.size, 0u) << "event " << i;
    }
    if (e.what == wire_event::kind::write) {
      ++writes;
      EXPECT_LE(e.size, 3u) << "event " << i;
    }
    if (e.what == wire_event::kind::read) last_read = i;
  }
  // "Michael\n" "Tracy\n" "exit\n" in threes: 3 + 2 + 2 writes.
  EXPECT_EQ(writes, 7u);
  EXPECT_EQ(joined(log, wire_event::kind::write, 0), "Michael\nTracy\nexit\n");
  EXPECT_EQ(joined(log, wire_event::kind::read, 0), hello_replies);
  // The server's close after "Good bye!" comes after the last read.
  const auto fin = std::find_if(log.begin(), log.end(), [](const wire_event& e) {
    return e.what == wire_event::kind::peer_fin;
  });
  ASSERT_NE(fin, log.end());
  EXPECT_GT(static_cast<std::size_t>(fin - log.begin()), last_read);
}

// An echo can only send back what was written: at every read the log has
// shown at least as many bytes written as read. (Logged when its handler
// ran, a write came after the reply to it now and then.)
TEST(WireLog, ShowsEachWriteBeforeTheReplyToIt) {
  reference_server server(reference_protocol::echo);
  const script s = parse(R"(# checks: echo, one byte at a time
framing line
timeout 2s

send "abcdefgh"
expect "abcdefgh"
send "ijklmnop"
expect "ijklmnop"
)");
  for (int round = 0; round < 20; ++round) {
    const run_result r = run(server.port(), s, "bytewise");
    ASSERT_TRUE(r.outcome.passed) << to_string(r.outcome);
    std::size_t written = 0, read = 0;
    for (const auto& e : r.wire_log) {
      if (e.what == wire_event::kind::write) written += e.size;
      if (e.what != wire_event::kind::read) continue;
      read += e.size;
      ASSERT_LE(read, written) << "round " << round << ": a reply logged before its write";
    }
    EXPECT_EQ(written, 18u); // two lines of 8 bytes and their LFs
  }
}

TEST(WireLog, TagsEachEventWithItsConnection) {
  reference_server server(reference_protocol::hello);
  const run_result r = run(server.port(), load("two-clients"), "whole");
  ASSERT_TRUE(r.outcome.passed) << to_string(r.outcome);

  EXPECT_EQ(joined(r.wire_log, wire_event::kind::write, 0), "Michael\n");
  EXPECT_EQ(joined(r.wire_log, wire_event::kind::write, 1), "Sarah\n");
  EXPECT_TRUE(joined(r.wire_log, wire_event::kind::read, 1)
                  .starts_with("Server: Welcome!\nWhat's your name?\nHello Sarah!\n"));
  EXPECT_TRUE(std::any_of(r.wire_log.begin(), r.wire_log.end(), [](const wire_event& e) {
    return e.what == wire_event::kind::close && e.connection == 1;
  }));
}

TEST(WireLog, KeepsNoMorePayloadThanItsLimitButEverySize) {
  reference_server server(reference_protocol::hello);
  run_options options = quick();
  options.wire_log_bytes = 10;
  const run_result r = run(server.port(), load("hello"), "whole", options);
  ASSERT_TRUE(r.outcome.passed) << to_string(r.outcome);

  std::size_t kept = 0;
  std::size_t written = 0;
  std::size_t read = 0;
  bool shortened = false;
  for (const auto& e : r.wire_log) {
    kept += e.bytes.size();
    shortened |= e.bytes.size() < e.size;
    if (e.what == wire_event::kind::write) written += e.size;
    if (e.what == wire_event::kind::read) read += e.size;
  }
  EXPECT_EQ(kept, 10u);
  EXPECT_TRUE(shortened);
  EXPECT_EQ(written, std::string_view("Michael\nTracy\nexit\n").size());
  EXPECT_EQ(read, hello_replies.size());
}

// ---------------------------------------------------------------------------
// Targets

TEST(ParseTarget, ReadsHostAndPort) {
  std::string error;
  EXPECT_EQ(parse_target("127.0.0.1:8080", error), (target{"127.0.0.1", 8080}));
  EXPECT_EQ(parse_target("localhost:1", error), (target{"localhost", 1}));
  EXPECT_EQ(parse_target("[::1]:65535", error), (target{"::1", 65535}));
  EXPECT_EQ(error, "");
}

TEST(ParseTarget, RefusesWhatIsNotHostColonPort) {
  for (const char* text : {"127.0.0.1", ":80", "host:", "host:0", "host:65536", "host:80x",
                           "host:-1", "::1:80", "[::1]80", "[::1]", "[::1:80"}) {
    std::string error;
    EXPECT_EQ(parse_target(text, error), std::nullopt) << text;
    EXPECT_FALSE(error.empty()) << text;
  }
}

TEST(TargetToString, BracketsIPv6Addresses) {
  EXPECT_EQ(to_string(target{"127.0.0.1", 80}), "127.0.0.1:80");
  EXPECT_EQ(to_string(target{"::1", 9}), "[::1]:9");
  std::string error;
  EXPECT_EQ(parse_target(to_string(target{"::1", 9}), error), (target{"::1", 9}));
}

} // namespace
} // namespace tcpcheck::harness
