// Tests for check.hpp and check_report.hpp over loopback: a correct server
// passes the whole matrix, the seed articles' buggy servers fail the cases
// meant for their bugs, a failing baseline gates the rest, a spawned server's
// death is pinned on its case, and the reports say all of it.
#include "tcpcheck/harness/check.hpp"
// (first, apart: it proves check.hpp self-contained)

#include "tcpcheck/check_matrix.hpp"
#include "tcpcheck/framing_spec.hpp"
#include "tcpcheck/harness/check_report.hpp"
#include "tcpcheck/harness/reference_server.hpp"
#include "tcpcheck/harness/run.hpp"
#include "tcpcheck/harness/target_process.hpp"
#include "tcpcheck/report/writers.hpp"
#include "tcpcheck/script.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

#include "buggy_servers.hpp"
#include "loopback_support.hpp"
#include "test_support.hpp"

namespace tcpcheck::harness {
namespace {

// The outcome's results counted as they are (no baseline folded in).
report::counts count(const check_outcome& o) {
  std::vector<report::test_case> cases;
  for (const auto& r : o.results) {
    report::test_case c;
    c.state = to_status(r.status);
    cases.push_back(c);
  }
  return report::count(cases);
}

void write_json(std::ostream& out, const check_report& r) {
  report::write_json(out, to_document(r));
}

void write_junit(std::ostream& out, const check_report& r) {
  report::write_junit(out, to_document(r));
}

void write_human(std::ostream& out, const check_report& r, bool verbose, bool color) {
  report::write_human(out, to_document(r), {verbose, color});
}

using test::script_of;
using test::spec_of;

using namespace std::chrono_literals;
using test::buggy_server;
using test::refusing_port;
using test::server_bug;

// ---------------------------------------------------------------------------
// Scripts, matrices and runs

// The greeting protocol of reference_server.hpp.
const std::string_view greeting_text =
    R"(# checks: the greeting server greets a name and says good bye
framing line
timeout 1s

expect "Welcome!"
send "Michael"
expect "Hello, Michael"
send "exit"
expect "Good bye!"
expect close
)";

// The hello protocol (corpus/scripts/hello.tcs, shortened).
const std::string_view hello_text = R"(# checks: the hello server greets a name and says good bye
framing line
timeout 1s

expect "Server: Welcome!"
expect "What's your name?"
send "Michael"
expect "Hello Michael!"
expect "What's your name?"
send "exit"
expect "Good bye!"
expect close
)";

// Small counts: the harness tests stay quick.
matrix_options small_matrix() {
  matrix_options o;
  o.random_plans = 1;
  o.parallel = 8;
  o.soak = 20;
  o.latency_runs = 10;
  return o;
}

check_options quick_check() {
  check_options o;
  o.run.session.default_timeout = 1s;
  o.run.session.connect_timeout = 1s;
  o.run.run_timeout = 20s;
  o.retries = 0;
  o.jobs = 4;
  o.threads = 2;
  return o;
}

// A matrix with its spec, kept together so results can point into it.
struct check_setup {
  script baseline;
  framing_spec spec;
  std::vector<check_case> all;
  std::vector<check_case> selected;

  check_setup(std::string_view text, std::vector<std::string> only = {})
      : baseline(script_of(text)), spec(spec_of(baseline)),
        all(generate_matrix(baseline, spec, small_matrix())) {
    case_selection selection;
    selection.only = std::move(only);
    selected = select_cases(all, selection);
  }

  check_outcome run(check_target& where, const check_options& options = quick_check()) const {
    return run_check(all.front(), selected, spec, where, options);
  }
};

target loopback(std::uint16_t port) {
  return {"127.0.0.1", port};
}

std::size_t line_of(const script& s, std::string_view text) {
  for (const auto& step : s.steps)
    if (to_string(step) == text) return step.line;
  throw std::invalid_argument("no step '" + std::string(text) + "' in the script");
}

const script_step* step_at_line(const script& s, std::size_t line) {
  for (const auto& step : s.steps)
    if (step.line == line) return &step;
  return nullptr;
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

std::size_t occurrences(std::string_view text, std::string_view part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string_view::npos; at = text.find(part, at + 1))
    ++n;
  return n;
}

// ---------------------------------------------------------------------------
// A small JSON checker: the whole text is one JSON value, strings escaped as
// RFC 8259 says, and every byte above ASCII part of valid UTF-8.

class json_checker {
public:
  explicit json_checker(std::string_view text) : text_(text) {}

  // Empty when well-formed; else where and why not.
  std::string check() {
    if (!value()) return error_;
    space();
    if (at_ != text_.size()) fail("text after the value");
    return error_;
  }

private:
  bool fail(const std::string& why) {
    if (error_.empty()) error_ = "byte " + std::to_string(at_) + ": " + why;
    return false;
  }
  void space() {
    while (at_ < text_.size() &&
           std::string_view(" \t\r\n").find(text_[at_]) != std::string_view::npos)
      ++at_;
  }
  bool eat(char c) {
    space();
    if (at_ < text_.size() && text_[at_] == c) return ++at_, true;
    return false;
  }
  bool literal(std::string_view word) {
    if (text_.substr(at_, word.size()) != word) return fail("expected " + std::string(word));
    at_ += word.size();
    return true;
  }
  bool value() {
    if (++depth_ > 64) return fail("nested too deep");
    space();
    if (at_ >= text_.size()) return fail("expected a value, found the end");
    bool ok = false;
    const char c = text_[at_];
    if (c == '{')
      ok = object();
    else if (c == '[')
      ok = array();
    else if (c == '"')
      ok = string();
    else if (c == 't')
      ok = literal("true");
    else if (c == 'f')
      ok = literal("false");
    else if (c == 'n')
      ok = literal("null");
    else
      ok = number();
    --depth_;
    return ok;
  }
  bool object() {
    ++at_;
    if (eat('}')) return true;
    do {
      space();
      if (at_ >= text_.size() || text_[at_] != '"') return fail("expected a key");
      if (!string()) return false;
      if (!eat(':')) return fail("expected ':'");
      if (!value()) return false;
    } while (eat(','));
    return eat('}') || fail("expected ',' or '}'");
  }
  bool array() {
    ++at_;
    if (eat(']')) return true;
    do {
      if (!value()) return false;
    } while (eat(','));
    return eat(']') || fail("expected ',' or ']'");
  }
  bool string() {
    ++at_;
    while (at_ < text_.size()) {
      const auto c = static_cast<unsigned char>(text_[at_]);
      if (c == '"') return ++at_, true;
      if (c < 0x20) return fail("a control byte in a string");
      if (c == '\\') {
        if (++at_ >= text_.size()) break;
        const char e = text_[at_];
        if (e == 'u') {
          for (int i = 1; i <= 4; ++i)
            if (at_ + i >= text_.size() ||
                !std::isxdigit(static_cast<unsigned char>(text_[at_ + i])))
              return fail("a bad \\u escape");
          at_ += 5;
          continue;
        }
        if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos)
          return fail(std::string("a bad escape \\") + e);
        ++at_;
        continue;
      }
      if (c >= 0x80) {
        const int extra = c >= 0xf0 && c <= 0xf4  ? 3
                          : c >= 0xe0             ? 2
                          : c >= 0xc2 && c < 0xe0 ? 1
                                                  : -1;
        if (extra < 0 || c > 0xf4) return fail("a byte that is not UTF-8");
        for (int i = 1; i <= extra; ++i)
          if (at_ + i >= text_.size() ||
              (static_cast<unsigned char>(text_[at_ + i]) & 0xc0) != 0x80)
            return fail("a byte that is not UTF-8");
        at_ += static_cast<std::size_t>(extra) + 1;
        continue;
      }
      ++at_;
    }
    return fail("a string that never ends");
  }
  bool number() {
    const std::size_t start = at_;
    if (at_ < text_.size() && text_[at_] == '-') ++at_;
    std::size_t digits = 0;
    while (at_ < text_.size() &&
           (std::isdigit(static_cast<unsigned char>(text_[at_])) || text_[at_] == '.' ||
            text_[at_] == 'e' || text_[at_] == 'E' || text_[at_] == '+' || text_[at_] == '-'))
      ++at_, ++digits;
    if (digits == 0) {
      at_ = start;
      return fail("expected a value");
    }
    return true;
  }

  std::string_view text_;
  std::size_t at_ = 0;
  int depth_ = 0;
  std::string error_;
};

TEST(JsonChecker, TellsWellFormedJsonFromBroken) {
  EXPECT_EQ(json_checker(R"({"a": [1, -2.5e3, "x\n\u00e9", true, null, {}]})").check(), "");
  for (const std::string_view bad : {R"({"a": 1,})", R"({"a" 1})", R"(["x])", "[\"\x01\"]",
                                     R"({"a": [1})", "[\"\xff\"]", R"({"a": 1}})", R"(["\q"])"})
    EXPECT_NE(json_checker(bad).check(), "") << bad;
}

// ---------------------------------------------------------------------------
// A correct server

TEST(RunCheck, EveryCasePassesAgainstTheReferenceGreetingServer) {
  reference_server server(reference_protocol::greeting);
  const check_setup setup(greeting_text);
  fixed_target where(loopback(server.port()));

  check_options options = quick_check();
  options.retries = 1;
  std::mutex mutex;
  std::size_t calls = 0, last_done = 0;
  std::set<const check_case*> reported;
  options.progress = [&](const case_result& r, std::size_t done, std::size_t total) {
    std::lock_guard lock(mutex);
    ++calls;
    last_done = std::max(last_done, done);
    reported.insert(r.which);
    EXPECT_EQ(total, setup.selected.size());
  };
  const check_outcome o = setup.run(where, options);

  EXPECT_EQ(o.baseline.status, case_status::pass) << o.baseline.summary;
  EXPECT_FALSE(o.unreachable);
  ASSERT_EQ(o.results.size(), setup.selected.size());
  for (std::size_t i = 0; i < o.results.size(); ++i) {
    const case_result& r = o.results[i];
    EXPECT_EQ(r.which, &setup.selected[i]);
    EXPECT_TRUE(r.status == case_status::pass || r.status == case_status::warn)
        << r.which->id << ": " << name_of(r.status) << ": " << r.summary;
    EXPECT_GE(r.attempts, 1u) << r.which->id;
    EXPECT_FALSE(r.failed_run) << r.which->id;
  }
  EXPECT_TRUE(count(o).all_passed());
  EXPECT_EQ(calls, setup.selected.size());
  EXPECT_EQ(last_done, setup.selected.size());
  EXPECT_EQ(reported.size(), setup.selected.size());

  // Each area of the matrix is timed once, in the matrix's order.
  std::vector<check_area> areas;
  for (const auto& c : setup.selected)
    if (std::find(areas.begin(), areas.end(), c.area) == areas.end()) areas.push_back(c.area);
  std::vector<check_area> timed;
  for (const auto& [area, ms] : o.area_times)
    timed.push_back(area);
  EXPECT_EQ(timed, areas);
}

// ---------------------------------------------------------------------------
// The seed articles' bugs

// The greeting server answers a line of any length. Against a spec whose
// max it does not know, the frame one byte over max is answered: under the
// default --on-bad-frame a warning that names the likely spec mistake,
// under `close` a failure.
TEST(RunCheck, AnAnsweredFrameOneOverMaxWarnsUnlessThePolicyIsStrict) {
  reference_server server(reference_protocol::greeting);
  fixed_target where(loopback(server.port()));
  std::string text(greeting_text);
  text.replace(text.find("framing line"), 12, "framing line,max=32");
  const script baseline = script_of(text);
  const framing_spec spec = spec_of(baseline);
  case_selection only_one_over;
  only_one_over.only = {"boundary/one-over"};

  for (const auto policy : {bad_frame_policy::close_or_ignore, bad_frame_policy::close}) {
    SCOPED_TRACE(std::string(name_of(policy)));
    matrix_options m = small_matrix();
    m.on_bad_frame = policy;
    const auto all = generate_matrix(baseline, spec, m);
    const auto selected = select_cases(all, only_one_over);
    ASSERT_EQ(selected.size(), 1u);
    const check_outcome o = run_check(all.front(), selected, spec, where, quick_check());
    ASSERT_EQ(o.results.size(), 1u);
    const case_result& r = o.results.front();
    if (policy == bad_frame_policy::close_or_ignore) {
      EXPECT_EQ(r.status, case_status::warn) << r.summary;
      EXPECT_TRUE(contains(r.summary, "answered a frame one byte over the spec's max=32"))
          << r.summary;
    } else {
      EXPECT_EQ(r.status, case_status::fail) << r.summary;
    }
  }
}
TEST(RunCheck, BytewiseSegmentationCatchesAServerThatTakesOneReadAsOneMessage) {
  buggy_server server(server_bug::one_read_is_one_message);
  const check_setup setup(hello_text, {"segmentation/bytewise"});
  fixed_target where(loopback(server.port()));
  check_options options = quick_check();
  // Each byte a read of its own, even on a busy machine.
  options.run.session.write_gap = 10ms;

  const check_outcome o = setup.run(where, options);

  EXPECT_EQ(o.baseline.status, case_status::pass) << o.baseline.summary;
  ASSERT_EQ(o.results.size(), 1u);
  const case_result& r = o.results[0];
  EXPECT_EQ(r.which->id, "segmentation/bytewise");
  EXPECT_EQ(r.status, case_status::fail) << r.summary;
  ASSERT_TRUE(r.failed_run);
  const verdict& v = r.failed_run->outcome;
  const std::size_t line = line_of(setup.baseline, "expect \"Hello Michael!\"");
  EXPECT_EQ(v.line, line);
  EXPECT_TRUE(r.summary.starts_with("line " + std::to_string(line) + ":")) << r.summary;
  EXPECT_TRUE(contains(v.expected, "Hello Michael!")) << v.expected;
  EXPECT_FALSE(v.got.empty());
  EXPECT_FALSE(contains(v.got, "Hello Michael!")) << v.got;
  EXPECT_FALSE(r.failed_run->wire_log.empty());
}

TEST(RunCheck, TheStalledPeerCatchesAServerThatServesOneClientAtATime) {
  buggy_server server(server_bug::one_client_at_a_time);
  const check_setup setup(hello_text, {"concurrency/stalled-peer"});
  fixed_target where(loopback(server.port()));

  const check_outcome o = setup.run(where);

  EXPECT_EQ(o.baseline.status, case_status::pass) << o.baseline.summary;
  ASSERT_EQ(o.results.size(), 1u);
  const case_result& r = o.results[0];
  EXPECT_EQ(r.status, case_status::fail) << r.summary;
  ASSERT_TRUE(r.failed_run);
  // The fresh client is the one left waiting.
  const script_step* failed = step_at_line(r.which->steps, r.failed_run->outcome.line);
  ASSERT_NE(failed, nullptr) << r.summary;
  EXPECT_TRUE(failed->connection.starts_with("probe")) << to_string(*failed);
  EXPECT_FALSE(r.which->failure_hint.empty());
}

// A server gone silent would keep a soak of 20 waiting a timeout for each
// conversation left: the case stops at its first failure, and says so.
TEST(RunCheck, ASoakStopsAtItsFirstFailure) {
  buggy_server server(server_bug::silent_after_two);
  const check_setup setup(hello_text, {"soak"});
  fixed_target where(loopback(server.port()));

  const check_outcome o = setup.run(where);

  EXPECT_EQ(o.baseline.status, case_status::pass) << o.baseline.summary;
  ASSERT_EQ(o.results.size(), 1u);
  const case_result& r = o.results[0];
  EXPECT_EQ(r.status, case_status::fail) << r.summary;
  // The gate had the first connection, the soak the second (passed) and
  // the third (silent), and no more.
  EXPECT_TRUE(contains(r.summary, "1 of 2 conversations passed")) << r.summary;
  EXPECT_TRUE(contains(r.summary, "20 planned; stopped at the first failure")) << r.summary;
  EXPECT_EQ(server.accepted(), 3u);
}

// Soak and latency start no new conversation after --soak-time: against a
// correct server they pass, saying how many ran.
TEST(RunCheck, SoakAndLatencyStopAtTheSoakTime) {
  reference_server server(reference_protocol::greeting);
  fixed_target where(loopback(server.port()));
  const script baseline = script_of(greeting_text);
  const framing_spec spec = spec_of(baseline);
  matrix_options m = small_matrix();
  m.soak = 1000000;
  m.latency_runs = 1000000;
  const auto all = generate_matrix(baseline, spec, m);
  case_selection selection;
  selection.only = {"soak", "latency"};
  const auto selected = select_cases(all, selection);
  ASSERT_EQ(selected.size(), 2u);
  check_options options = quick_check();
  options.soak_time = 300ms;

  const check_outcome o = run_check(all.front(), selected, spec, where, options);

  ASSERT_EQ(o.results.size(), 2u);
  for (const auto& r : o.results) {
    SCOPED_TRACE(r.which->id);
    EXPECT_TRUE(r.status == case_status::pass || r.status == case_status::warn) << r.summary;
    std::string said = r.summary;
    for (const auto& d : r.details)
      said += "\n" + d;
    EXPECT_TRUE(contains(said, "1000000 planned; stopped at --soak-time 300 ms")) << said;
  }
  EXPECT_LT(o.elapsed, 20s);
}

TEST(RunCheck, ParallelConversationsShowAServerThatAnswersOneClientAtATime) {
  // The conversations are short, so all of them pass in the end: what
  // gives the server away is that no two were ever answered at once.
  buggy_server server(server_bug::one_client_at_a_time);
  const check_setup setup(hello_text, {"concurrency/parallel-*"});
  fixed_target where(loopback(server.port()));

  const check_outcome o = setup.run(where);

  ASSERT_EQ(o.results.size(), 1u);
  const case_result& r = o.results[0];
  EXPECT_EQ(r.status, case_status::fail) << r.summary;
  EXPECT_NE(r.summary.find("serializes clients"), std::string::npos) << r.summary;
}

// A Python server on 127.0.0.1:{port} that serves each connection `c` on a
// thread of its own with `serve_body` (the body of `def serve(c)`, then
// closes it), behind a listen backlog of `backlog`, running
// `after_accept` in its accept loop after each connection.
std::vector<std::string> threaded_python_server(const std::string& serve_body, int backlog,
                                                const std::string& after_accept = "") {
  return {"python3", "-c",
          "import socket, sys, threading, time\n"
          "def serve(c):\n" +
              serve_body +
              "    c.close()\n"
              "s = socket.socket()\n"
              "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
              "s.bind(('127.0.0.1', int(sys.argv[1])))\n"
              "s.listen(" +
              std::to_string(backlog) +
              ")\n"
              "while True:\n"
              "    c, _ = s.accept()\n"
              "    threading.Thread(target=serve, args=(c,), daemon=True).start()\n" +
              after_accept,
          "{port}"};
}

// The greeting protocol, threaded, behind a listen backlog of 1 and an
// accept loop that takes a connection every 50 ms: a burst of connects
// overflows the accept queue, and the kernel drops the handshakes it has no
// room for until they are retransmitted, a second later or more.
std::vector<std::string> small_backlog_greeting_server() {
  return threaded_python_server("    try:\n"
                                "        c.sendall(b'Welcome!\\n')\n"
                                "        for line in c.makefile('rb'):\n"
                                "            name = line.rstrip(b'\\r\\n')\n"
                                "            if name == b'exit':\n"
                                "                c.sendall(b'Good bye!\\n')\n"
                                "                break\n"
                                "            c.sendall(b'Hello, ' + name + b'\\n')\n"
                                "    except OSError:\n"
                                "        pass\n",
                                1, "    time.sleep(0.05)\n");
}

// A burst that overflows the listen backlog is a finding of its own (a
// warning naming the backlog), not a server that serializes its clients.
TEST(RunCheck, ABacklogOverflowIsReportedAsSuchNotAsSerialization) {
  target_process process(small_backlog_greeting_server());
  std::string error;
  ASSERT_TRUE(process.start(error)) << error;
  spawned_target where(process);
  // Waits long enough for a handshake retransmitted once (after 1 s).
  std::string text(greeting_text);
  text.replace(text.find("timeout 1s"), 10, "timeout 3s");
  const check_setup setup(text, {"concurrency/parallel-*"});
  check_options options = quick_check();
  options.run.session.connect_timeout = 3s;

  const check_outcome o = setup.run(where, options);

  ASSERT_EQ(o.results.size(), 1u);
  const case_result& r = o.results[0];
  // A warning, or (when a client waited out the script's timeout for its
  // retransmits) a failure that names the overflow.
  std::string said = r.summary;
  for (const auto& d : r.details)
    said += "\n" + d;
  EXPECT_TRUE(r.status == case_status::warn || r.status == case_status::fail) << said;
  EXPECT_TRUE(contains(said, "overflowed the server's listen backlog (1)")) << said;
  EXPECT_FALSE(contains(said, "serializes")) << said;
}

TEST(RunCheck, ParallelConversationsPassAgainstAConcurrentServer) {
  reference_server server(reference_protocol::hello);
  const check_setup setup(hello_text, {"concurrency/parallel-*"});
  fixed_target where(loopback(server.port()));

  const check_outcome o = setup.run(where);

  ASSERT_EQ(o.results.size(), 1u);
  EXPECT_EQ(o.results[0].status, case_status::pass) << o.results[0].summary;
}

TEST(RunCheck, AResetFaultCatchesAServerThatDiesOnAReset) {
  buggy_server server(server_bug::dies_on_reset);
  const check_setup setup(hello_text, {"faults/*/rst"});
  ASSERT_GT(setup.selected.size(), 1u);
  fixed_target where(loopback(server.port()));
  check_options options = quick_check();
  options.jobs = 1;

  const check_outcome o = setup.run(where, options);

  EXPECT_EQ(o.baseline.status, case_status::pass) << o.baseline.summary;
  // Which reset ends it depends on when the server's thread sees it (a reset
  // before the greeting may read as a plain EOF); once one has, every case
  // after it fails, the last one included.
  std::size_t failed = 0;
  for (const auto& r : o.results) {
    EXPECT_TRUE(r.which->id.ends_with("/rst")) << r.which->id;
    if (r.status != case_status::fail) continue;
    ++failed;
    EXPECT_TRUE(r.failed_run) << r.which->id;
  }
  EXPECT_GE(failed, 1u);
  ASSERT_FALSE(o.results.empty());
  EXPECT_EQ(o.results.back().status, case_status::fail) << o.results.back().summary;
  EXPECT_TRUE(server.dead());
}

// The partial send: answers of 8 MiB read slowly. A server that sends each
// answer once without waiting for room loses what its buffer did not take;
// the same conversation served correctly passes.
TEST(RunCheck, ASlowReaderCatchesAServerThatIgnoresAShortSend) {
  const check_setup setup(hello_text, {"boundary/slow-reader"});
  ASSERT_EQ(setup.selected.size(), 1u);
  {
    buggy_server server(server_bug::ignores_short_send);
    fixed_target where(loopback(server.port()));
    const check_outcome o = setup.run(where);
    EXPECT_EQ(o.baseline.status, case_status::pass) << o.baseline.summary;
    ASSERT_EQ(o.results.size(), 1u);
    EXPECT_EQ(o.results[0].status, case_status::fail) << o.results[0].summary;
    ASSERT_TRUE(o.results[0].failed_run);
    EXPECT_NE(o.results[0].failed_run->outcome.got.find("bytes of an unfinished frame"),
              std::string::npos)
        << o.results[0].failed_run->outcome.got;
  }
  // Hello served right (its bug needs a client's reset, which this case
  // never sends).
  buggy_server correct(server_bug::dies_on_reset);
  fixed_target where(loopback(correct.port()));
  const check_outcome o = setup.run(where);
  ASSERT_EQ(o.results.size(), 1u);
  EXPECT_EQ(o.results[0].status, case_status::pass) << o.results[0].summary;
  EXPECT_FALSE(correct.dead());
}

// A server that answers "go" with 2,000 lines of 100 bytes at once, then
// "done": what a script that pauses holds of its reply before taking it.
std::vector<std::string> burst_server() {
  return threaded_python_server(
      "    try:\n"
      "        c.sendall(b'Welcome!\\n')\n"
      "        c.makefile('rb').readline()\n"
      "        c.sendall(b''.join(b'%099d\\n' % i for i in range(2000)) + b'done\\n')\n"
      "        c.recv(1)\n"
      "    except OSError:\n"
      "        pass\n",
      16);
}

// The cases side by side share the memory budget: with 1 MiB for 4 jobs,
// each conversation may hold 64 KiB ahead of its script, which the
// 200 KB burst exceeds; the default budget holds it.
TEST(RunCheck, TheCasesSideBySideShareTheMemoryBudget) {
  target_process process(burst_server());
  std::string error;
  ASSERT_TRUE(process.start(error)) << error;
  fixed_target where(process.where()); // cases side by side, unlike a spawned target
  const check_setup setup("framing line\ntimeout 2s\n"
                          "expect \"Welcome!\"\nsend \"go\"\nsleep 500ms\n"
                          "expect any 2000\nexpect \"done\"\nclose\n",
                          {"segmentation/whole"});
  check_options options = quick_check();

  const check_outcome roomy = setup.run(where, options);
  EXPECT_EQ(roomy.baseline.status, case_status::pass) << roomy.baseline.summary;

  options.memory_budget = 1u << 20;
  const check_outcome tight = setup.run(where, options);
  EXPECT_EQ(tight.baseline.status, case_status::fail);
  EXPECT_NE(tight.baseline.summary.find("more than 65536 bytes ahead of the script"),
            std::string::npos)
      << tight.baseline.summary;
}

// ---------------------------------------------------------------------------
// The baseline gate

TEST(RunCheck, AFailingBaselineLeavesEveryOtherCaseNotRun) {
  reference_server server(reference_protocol::greeting);
  const check_setup setup(R"(# checks: a greeting this server never says
framing line
timeout 1s

expect "Welcome to nowhere!"
send "Michael"
expect "Hello, Michael"
)");
  fixed_target where(loopback(server.port()));

  const check_outcome o = setup.run(where);

  EXPECT_EQ(o.baseline.status, case_status::fail);
  EXPECT_FALSE(o.unreachable);
  ASSERT_TRUE(o.baseline.failed_run);
  EXPECT_EQ(o.baseline.failed_run->outcome.line, setup.baseline.steps.front().line);
  ASSERT_EQ(o.results.size(), setup.selected.size());
  for (const auto& r : o.results) {
    EXPECT_EQ(r.status, case_status::not_run) << r.which->id;
    EXPECT_FALSE(r.summary.empty()) << r.which->id;
  }
  const report::counts c = count(o);
  EXPECT_EQ(c.not_run, o.results.size());
  EXPECT_FALSE(c.all_passed());

  check_report report;
  report.script_path = "nowhere.tcs";
  report.outcome = &o;
  report.baseline_replay = "tcpcheck run nowhere.tcs 127.0.0.1:1";
  std::ostringstream human;
  write_human(human, report, false, false);
  EXPECT_TRUE(contains(human.str(), "The baseline conversation fails")) << human.str();
  EXPECT_TRUE(contains(human.str(), report.baseline_replay)) << human.str();
  EXPECT_TRUE(contains(human.str(), "Welcome to nowhere!")) << human.str();

  // Every file format holds the baseline's failure too: a report whose
  // cases all say "not run" would show a CI job no failure at all.
  const report::document doc = to_document(report);
  std::ostringstream json_text, junit, sarif;
  report::write_json(json_text, doc);
  report::write_junit(junit, doc);
  report::write_sarif(sarif, doc);
  const auto j = nlohmann::json::parse(json_text.str());
  EXPECT_EQ(j["check"]["baseline"], "FAIL");
  EXPECT_GE(j["check"]["fail"].get<int>(), 1) << json_text.str();
  const auto base = std::find_if(j["cases"].begin(), j["cases"].end(), [&](const auto& one) {
    return one["id"] == o.baseline.which->id;
  });
  ASSERT_NE(base, j["cases"].end()) << json_text.str();
  EXPECT_EQ((*base)["status"], "FAIL");
  EXPECT_EQ((*base)["line"], setup.baseline.steps.front().line);
  EXPECT_EQ((*base)["got"], o.baseline.failed_run->outcome.got);
  EXPECT_EQ((*base)["replay"], report.baseline_replay);
  EXPECT_TRUE(contains(junit.str(), "<failure ")) << junit.str();
  EXPECT_TRUE(contains(junit.str(), "name=\"" + o.baseline.which->id + "\"")) << junit.str();
  const auto results = nlohmann::json::parse(sarif.str())["runs"][0]["results"];
  ASSERT_EQ(results.size(), 1u) << sarif.str();
  EXPECT_EQ(results[0]["ruleId"], "segmentation/fail");
}

TEST(RunCheck, ATargetNobodyListensOnIsUnreachable) {
  const refusing_port nobody;
  const check_setup setup(greeting_text);
  fixed_target where(loopback(nobody.port()));

  const check_outcome o = setup.run(where);

  EXPECT_TRUE(o.unreachable);
  EXPECT_EQ(o.baseline.status, case_status::fail);
  for (const auto& r : o.results)
    EXPECT_EQ(r.status, case_status::not_run) << r.which->id;
}

// ---------------------------------------------------------------------------
// A spawned server

// The greeting protocol in Python, threaded, with a bug: a line longer
// than 1000 bytes crashes it (SIGSEGV, as an overflow in C would). A
// pre-forked child holds the listening socket, as in a pre-fork server, so
// the crash shows as a client left waiting rather than a refused connect:
// by the time the case ends the crashed process has surely been reaped.
// (When the connect is refused at once, spawned_target::died() can look
// before the dying process is reapable and miss the death.)
std::vector<std::string> crashing_greeting_server() {
  return {"python3", "-c",
          "import os, signal, socketserver, sys\n"
          "class H(socketserver.StreamRequestHandler):\n"
          "    def handle(self):\n"
          "        self.wfile.write(b'Welcome!\\n')\n"
          "        for line in self.rfile:\n"
          "            if len(line) > 1000:\n"
          "                os.kill(os.getpid(), signal.SIGSEGV)\n"
          "            name = line.rstrip(b'\\r\\n')\n"
          "            if name == b'exit':\n"
          "                self.wfile.write(b'Good bye!\\n')\n"
          "                return\n"
          "            self.wfile.write(b'Hello, ' + name + b'\\n')\n"
          "class S(socketserver.ThreadingTCPServer):\n"
          "    allow_reuse_address = True\n"
          "    daemon_threads = True\n"
          "server = S(('127.0.0.1', int(sys.argv[1])), H)\n"
          "if os.fork() == 0:\n"
          "    signal.pause()\n"
          "    os._exit(0)\n"
          "server.serve_forever()\n",
          "{port}"};
}

// The greeting protocol served to one connection, after which the program
// exits with status 0, as seed 000's first server does; a line longer than
// 1000 bytes crashes it (SIGSEGV).
std::vector<std::string> one_connection_greeting_server() {
  return {"python3", "-c",
          "import os, signal, socket, sys\n"
          "s = socket.socket()\n"
          "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
          "s.bind(('127.0.0.1', int(sys.argv[1])))\n"
          "s.listen(1)\n"
          "c, _ = s.accept()\n"
          "try:\n"
          "    c.sendall(b'Welcome!\\n')\n"
          "    for line in c.makefile('rb'):\n"
          "        if len(line) > 1000:\n"
          "            os.kill(os.getpid(), signal.SIGSEGV)\n"
          "        name = line.rstrip(b'\\r\\n')\n"
          "        if name == b'exit':\n"
          "            c.sendall(b'Good bye!\\n')\n"
          "            break\n"
          "        c.sendall(b'Hello, ' + name + b'\\n')\n"
          "except OSError:\n"
          "    pass\n",
          "{port}"};
}

// The boundary cases whose lines of a megabyte or more crash the servers
// below.
bool crashes_it(const case_result& r) {
  return r.which->id == "boundary/long-frame" || r.which->id == "boundary/slow-reader";
}

// Against a server that serves one connection and exits, the check starts
// it again for each case instead of calling every case a death, narrows the
// cases that go on to a fresh conversation, skips those that need several,
// and still pins a crash on the case that caused it.
TEST(RunCheck, AServerThatServesOneConnectionIsStartedAgainForEachCase) {
  target_process process(one_connection_greeting_server());
  std::string error;
  ASSERT_TRUE(process.start(error)) << error;
  spawned_target where(process);
  const check_setup setup(greeting_text, {"segmentation/bytewise", "faults/*/rst", "concurrency",
                                          "soak", "latency", "boundary"});

  const check_outcome o = setup.run(where);

  EXPECT_EQ(o.baseline.status, case_status::pass) << o.baseline.summary;
  EXPECT_TRUE(o.serves_one_connection);
  std::size_t narrowed = 0;
  for (const auto& r : o.results) {
    SCOPED_TRACE(r.which->id + ": " + r.summary);
    if (crashes_it(r)) {
      EXPECT_EQ(r.status, case_status::fail);
      ASSERT_TRUE(r.death);
      EXPECT_EQ(r.death->how, "killed by signal 11 (SIGSEGV)");
    } else if (r.which->area == check_area::concurrency || r.which->runner != case_runner::script) {
      EXPECT_EQ(r.status, case_status::skipped);
    } else {
      EXPECT_TRUE(r.status == case_status::pass || r.status == case_status::warn);
      EXPECT_FALSE(r.death);
    }
    if (r.which->steps.connections().size() == 1 && !r.details.empty() &&
        contains(r.details.front(), "left out: the server serves one connection"))
      ++narrowed;
  }
  // The faults and boundary frames, each then a fresh conversation.
  EXPECT_GE(narrowed, 5u);
  // Once for the baseline, then once before each case that ran.
  const auto ran = std::count_if(o.results.begin(), o.results.end(), [](const case_result& r) {
    return r.status != case_status::skipped;
  });
  EXPECT_EQ(process.starts(), static_cast<std::size_t>(ran) + 1);

  check_report report;
  report.outcome = &o;
  std::ostringstream human;
  const auto doc = to_document(report);
  report::write_human(human, doc, {});
  EXPECT_TRUE(contains(human.str(), "serves one connection and exits")) << human.str();
  const report::counts n = report::count(doc.cases);
  EXPECT_EQ(n.fail, 2u); // long-frame, slow-reader
  EXPECT_EQ(n.not_run, 0u);
  EXPECT_GE(n.skipped, 3u); // parallel, stalled-peer, soak, latency
  std::ostringstream json_text, junit;
  report::write_json(json_text, doc);
  report::write_junit(junit, doc);
  const auto j = nlohmann::json::parse(json_text.str());
  EXPECT_EQ(j["check"]["serves_one_connection"], true);
  EXPECT_EQ(j["check"]["skipped"], n.skipped);
  EXPECT_TRUE(contains(junit.str(), "<skipped message=\"it needs several conversations"))
      << junit.str();
}

TEST(RunCheck, ASpawnedServersDeathIsPinnedOnTheCaseThatKilledIt) {
  target_process process(crashing_greeting_server());
  std::string error;
  ASSERT_TRUE(process.start(error)) << error;
  spawned_target where(process);
  EXPECT_TRUE(where.one_at_a_time());
  const check_setup setup(greeting_text, {"boundary"});
  ASSERT_TRUE(std::any_of(setup.selected.begin(), setup.selected.end(),
                          [](const check_case& c) { return c.id == "boundary/long-frame"; }));
  check_options options = quick_check();
  options.retries = 1;

  const check_outcome o = setup.run(where, options);

  EXPECT_EQ(o.baseline.status, case_status::pass) << o.baseline.summary;
  for (const auto& r : o.results) {
    if (crashes_it(r)) {
      EXPECT_EQ(r.status, case_status::fail) << r.summary;
      ASSERT_TRUE(r.death) << r.summary;
      EXPECT_EQ(r.death->how, "killed by signal 11 (SIGSEGV)");
      EXPECT_TRUE(contains(r.summary, "the server died")) << r.summary;
    } else {
      // Started again, the server passes the cases that do not crash it.
      EXPECT_TRUE(r.status == case_status::pass || r.status == case_status::warn)
          << r.which->id << ": " << r.summary;
      EXPECT_FALSE(r.death) << r.which->id;
    }
  }
  EXPECT_GE(process.starts(), 2u);
  EXPECT_TRUE(o.resources_before.has_value());
}

// ---------------------------------------------------------------------------
// Reports

// An outcome of every status, made by hand.
struct made_outcome {
  check_setup setup{greeting_text};
  check_outcome outcome;
  check_report report;

  case_result& add(std::string_view id, case_status status, std::string summary) {
    case_result r;
    for (const auto& c : setup.all)
      if (c.id == id) r.which = &c;
    if (!r.which) throw std::invalid_argument("no case " + std::string(id));
    r.status = status;
    r.attempts = 1;
    r.elapsed = 1500us;
    r.summary = std::move(summary);
    outcome.results.push_back(std::move(r));
    return outcome.results.back();
  }

  made_outcome() {
    outcome.baseline.which = &setup.all.front();
    outcome.baseline.status = case_status::pass;
    add("segmentation/whole", case_status::pass, "");
    {
      auto& r = add("segmentation/bytewise", case_status::fail,
                    "line 7: expected \"Hello, Michael\", got \"Hello, M\"");
      run_result run;
      run.outcome.line = 7;
      run.outcome.expected = "\"Hello, Michael\"";
      run.outcome.got = "\"Hello, M\"";
      run.outcome.reason = "the frame differs";
      wire_event w;
      w.what = wire_event::kind::read;
      w.bytes = {'H', '"', '\\', '\n', 0x00, 0xff, 0x1b};
      w.size = w.bytes.size();
      run.wire_log.push_back(w);
      r.failed_run = run;
    }
    add("faults/line-5/rst", case_status::flaky, "line 5: timed out").attempts = 2;
    add("soak/sequential-20", case_status::warn, "20 of 20 conversations passed")
        .details.push_back("open file descriptors grew: connections may leak");
    add("boundary/empty-frame", case_status::not_run, "the server could not be started again");
    {
      auto& r = add("concurrency/stalled-peer", case_status::fail, "the server died: killed");
      r.death = process_death{.how = "killed by signal 11 (SIGSEGV)",
                              .sanitizer = "==1==ERROR: AddressSanitizer: SEGV <\"&'>\n"};
    }
    outcome.area_times = {{check_area::segmentation, 12ms}, {check_area::faults, 3ms}};
    report.script_path = "greeting <1>.tcs";
    report.target = "127.0.0.1:4000";
    report.framing = "line";
    report.seed = 9;
    report.outcome = &outcome;
    for (const auto& r : outcome.results)
      report.replay.push_back(r.status == case_status::fail || r.status == case_status::flaky
                                  ? "tcpcheck run --plan whole '" + r.which->id + ".tcs' " +
                                        report.target
                                  : "");
  }
};

TEST(CheckReport, CountsEveryStatus) {
  const made_outcome m;
  const report::counts c = count(m.outcome);
  EXPECT_EQ(c.pass, 1u);
  EXPECT_EQ(c.fail, 2u);
  EXPECT_EQ(c.flaky, 1u);
  EXPECT_EQ(c.warn, 1u);
  EXPECT_EQ(c.not_run, 1u);
  EXPECT_FALSE(c.all_passed());
  EXPECT_TRUE((report::counts{.pass = 3, .warn = 2}).all_passed());
}

TEST(CheckReport, JsonIsWellFormedAndHoldsEveryCase) {
  const made_outcome m;
  std::ostringstream out;
  write_json(out, m.report);
  const std::string json = out.str();

  EXPECT_EQ(json_checker(json).check(), "") << json;
  for (const auto& r : m.outcome.results)
    EXPECT_TRUE(contains(json, "\"id\": \"" + r.which->id + "\"")) << r.which->id;
  EXPECT_TRUE(contains(json, "\"fail\": 2")) << json;
  EXPECT_TRUE(contains(json, "\"flaky\": 1")) << json;
  EXPECT_TRUE(contains(json, "\"not_run\": 1")) << json;
  EXPECT_TRUE(contains(json, "\"server_died\": \"killed by signal 11 (SIGSEGV)\"")) << json;
  EXPECT_EQ(occurrences(json, "\"wire_log\""), 1u) << "only the failed run has a wire log";
  for (const auto& replay : m.report.replay)
    EXPECT_TRUE(replay.empty() || contains(json, replay)) << replay;
}

TEST(CheckReport, JsonOfARealFailureIsWellFormed) {
  buggy_server server(server_bug::one_read_is_one_message);
  const check_setup setup(hello_text, {"segmentation/bytewise", "boundary/not-utf8"});
  fixed_target where(loopback(server.port()));
  check_options options = quick_check();
  options.run.session.write_gap = 10ms;
  const check_outcome o = setup.run(where, options);
  ASSERT_EQ(count(o).fail + count(o).flaky >= 1, true) << "the bytewise case should fail";

  check_report report;
  report.script_path = "hello.tcs";
  report.target = to_string(where.where());
  report.framing = "line";
  report.outcome = &o;
  std::ostringstream out;
  write_json(out, report);
  EXPECT_EQ(json_checker(out.str()).check(), "") << out.str();
  EXPECT_TRUE(contains(out.str(), "\"wire_log\""));
}

TEST(CheckReport, JunitHasOneTestcasePerCaseAndCountsFailures) {
  const made_outcome m;
  std::ostringstream out;
  write_junit(out, m.report);
  const std::string xml = out.str();
  const report::counts c = count(m.outcome);

  EXPECT_TRUE(xml.starts_with("<?xml")) << xml;
  EXPECT_EQ(occurrences(xml, "<testcase "), m.outcome.results.size()) << xml;
  for (const auto& r : m.outcome.results)
    EXPECT_TRUE(contains(xml, "name=\"" + r.which->id + "\"")) << r.which->id;
  EXPECT_EQ(occurrences(xml, "<failure "), c.fail + c.flaky) << xml;
  EXPECT_EQ(occurrences(xml, "<skipped "), c.not_run) << xml;

  // The suites' failure counts add up, and every suite is closed.
  std::size_t failures = 0, suites = 0;
  for (auto at = xml.find("<testsuite "); at != std::string::npos;
       at = xml.find("<testsuite ", at + 1)) {
    ++suites;
    const auto f = xml.find("failures=\"", at);
    ASSERT_NE(f, std::string::npos);
    failures += std::stoul(xml.substr(f + 10));
  }
  EXPECT_EQ(failures, c.fail + c.flaky);
  EXPECT_EQ(occurrences(xml, "</testsuite>"), suites);
  std::set<check_area> areas;
  for (const auto& r : m.outcome.results)
    areas.insert(r.which->area);
  EXPECT_EQ(suites, areas.size());
  EXPECT_TRUE(contains(xml, "&lt;&quot;&amp;'&gt;") || contains(xml, "&lt;&quot;&amp;&apos;&gt;"))
      << "the sanitizer excerpt is escaped";
  EXPECT_FALSE(contains(xml, "<\"&'>"));
}

TEST(CheckReport, TheHumanReportListsFailuresWithTheirReplay) {
  const made_outcome m;
  std::ostringstream out;
  write_human(out, m.report, /*verbose=*/false, /*color=*/false);
  const std::string text = out.str();

  EXPECT_TRUE(contains(text, "Failures")) << text;
  for (std::size_t i = 0; i < m.outcome.results.size(); ++i) {
    const case_result& r = m.outcome.results[i];
    if (r.status == case_status::fail || r.status == case_status::flaky) {
      EXPECT_TRUE(contains(text, r.which->id + ": " + r.which->title)) << r.which->id << "\n"
                                                                       << text;
      EXPECT_TRUE(contains(text, m.report.replay[i])) << m.report.replay[i] << "\n" << text;
    }
  }
  EXPECT_TRUE(contains(text, "expected: \"Hello, Michael\"")) << text;
  EXPECT_TRUE(contains(text, "got:      \"Hello, M\"")) << text;
  EXPECT_TRUE(contains(text, "ERROR: AddressSanitizer: SEGV")) << text;
  EXPECT_TRUE(contains(text, "open file descriptors grew")) << "a warning shows its details";
  EXPECT_FALSE(contains(text, "segmentation/whole")) << "a pass is listed only when verbose";
  EXPECT_FALSE(contains(text, "\033[")) << "no colors unless asked";

  std::ostringstream verbose;
  write_human(verbose, m.report, /*verbose=*/true, /*color=*/true);
  EXPECT_TRUE(contains(verbose.str(), "segmentation/whole"));
  EXPECT_TRUE(contains(verbose.str(), "\033["));
}

} // namespace
} // namespace tcpcheck::harness
