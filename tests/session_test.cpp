// Tests for session.hpp: the script state machine, driven by a fake peer with no sockets.
#include "tcpcheck/session.hpp"

#include "tcpcheck/escape.hpp"
#include "tcpcheck/frame_encoder.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace tcpcheck {
namespace {

using namespace std::chrono_literals;
using strings = std::vector<std::string>;

// --- The fake peer ---------------------------------------------------------------

script script_of(std::string_view text) {
  script_error error;
  auto s = parse_script(text, error);
  if (!s) throw std::invalid_argument(error.to_string("test.tcs"));
  return *s;
}

delivery_plan plan_of(std::string_view text) {
  std::string error;
  const auto plan = parse_delivery_plan(text, error);
  if (!plan) throw std::invalid_argument(error);
  return *plan;
}

std::string printable(byte_view bytes) {
  return "\"" + escape(bytes, "\"") + "\"";
}

std::string printable(std::string_view text) {
  return printable(as_bytes(text));
}

class fake_peer;

/// A scripted server: what it does when a client connects, and when a whole
/// frame from the client arrives. It answers through fake_peer::reply & co.
struct server_model {
  std::function<void(fake_peer&, std::size_t connection)> on_connect;
  std::function<void(fake_peer&, std::size_t connection, const std::string& frame)> on_frame;
};

/// How the server's replies reach the session.
enum class reply_cuts {
  one_read_each, ///< each reply in a read of its own
  merged,        ///< all replies queued on a connection in one read
  byte_by_byte,  ///< a read per byte
};

std::string_view name_of(reply_cuts cuts) {
  switch (cuts) {
  case reply_cuts::one_read_each:
    return "one_read_each";
  case reply_cuts::merged:
    return "merged";
  case reply_cuts::byte_by_byte:
    return "byte_by_byte";
  }
  return "?";
}

/// Carries out a session's actions: connects succeed at once, writes are
/// decoded with the spec and handed to the server model frame by frame,
/// timers are only recorded (a test fires them), and the server's replies
/// are delivered whenever the session has nothing left to ask for.
class fake_peer {
public:
  fake_peer(session& s, framing_spec spec, server_model server)
      : session_(s), spec_(std::move(spec)), server_(std::move(server)) {}

  // What the server does; delivered in order once the session is idle.
  void reply(std::size_t c, std::string_view payload) {
    byte_buffer wire;
    if (auto ec = encode_frame(spec_, as_bytes(payload), wire))
      throw std::invalid_argument("the fake server cannot frame " + printable(payload));
    outbox_.push_back({c, item::bytes, std::string(as_text(wire))});
  }
  void reply_raw(std::size_t c, std::string_view bytes) {
    outbox_.push_back({c, item::bytes, std::string(bytes)});
  }
  void close(std::size_t c) { outbox_.push_back({c, item::fin, {}}); }
  void reset(std::size_t c) { outbox_.push_back({c, item::rst, {}}); }

  /// Starts the session (once), then carries out its actions and delivers
  /// the server's replies until neither is left.
  void run() {
    if (!started_) {
      started_ = true;
      session_.start();
    }
    for (;;) {
      auto batch = session_.take_actions();
      if (!batch.empty()) {
        for (auto& a : batch)
          carry_out(std::move(a));
        continue;
      }
      if (outbox_.empty()) return;
      deliver_next();
    }
  }

  /// Reports `timer` expired, then runs on.
  void fire(std::uint64_t timer) {
    log.push_back("fire " + std::to_string(timer));
    session_.on_timer(timer);
    run();
  }
  /// The newest timer the session started.
  std::uint64_t last_timer() const {
    if (timers.empty()) throw std::logic_error("no timer was started");
    return timers.back().timer;
  }
  void fire_last_timer() { fire(last_timer()); }

  /// The bytes of each write on connection `c`, in order.
  strings writes(std::size_t c) const {
    strings out;
    for (const auto& a : actions)
      if (a.what == session_action::kind::write && a.connection == c)
        out.emplace_back(as_text(a.bytes));
    return out;
  }
  /// The frames the server decoded from connection `c`.
  strings frames_from_client(std::size_t c) const {
    const auto it = frames_.find(c);
    return it == frames_.end() ? strings{} : it->second;
  }
  /// Actions of one kind, as "close main" lines.
  strings actions_of(session_action::kind what) const {
    strings out;
    for (const auto& a : actions)
      if (a.what == what) out.push_back(line_of(a));
    return out;
  }
  /// Where `entry` first appears in the log; the log's size when it does not.
  std::size_t position(std::string_view entry) const {
    return static_cast<std::size_t>(std::find(log.begin(), log.end(), entry) - log.begin());
  }

  // Knobs.
  reply_cuts cuts = reply_cuts::one_read_each;
  std::optional<std::string> refuse_connects; ///< on_connect_failed with this reason
  bool answer_connects = true;                ///< false: leave connects pending
  std::optional<std::string> fail_writes;     ///< on_write_failed with this reason

  // Records.
  std::vector<session_action> actions; ///< every action, in order
  strings log; ///< readable, in order: "connect main", "write main \"a\\n\"", "deliver ..."
  std::vector<session_action> timers; ///< start_timer actions

private:
  struct item {
    enum kind_t { bytes, fin, rst };
    std::size_t connection;
    kind_t what;
    std::string data;
  };

  std::string name(std::size_t c) const {
    const auto& names = session_.connection_names();
    return c < names.size() ? names[c] : "#" + std::to_string(c);
  }

  std::string line_of(const session_action& a) const {
    switch (a.what) {
    case session_action::kind::connect:
      return "connect " + name(a.connection);
    case session_action::kind::accept:
      return "accept " + name(a.connection);
    case session_action::kind::write:
      return "write " + name(a.connection) + " " + printable(a.bytes);
    case session_action::kind::shutdown:
      return "shutdown " + name(a.connection);
    case session_action::kind::close:
      return "close " + name(a.connection);
    case session_action::kind::reset:
      return "reset " + name(a.connection);
    case session_action::kind::start_timer:
      return "timer " + std::to_string(a.timer) + " " + std::to_string(a.delay.count()) + "ms";
    }
    return "?";
  }

  void carry_out(session_action a) {
    actions.push_back(a);
    log.push_back(line_of(a));
    const std::size_t c = a.connection;
    switch (a.what) {
    case session_action::kind::connect:
    case session_action::kind::accept: // the peer is the one that connects: the same for a test
      if (refuse_connects) {
        session_.on_connect_failed(c, *refuse_connects);
      } else if (answer_connects) {
        if (server_.on_connect) server_.on_connect(*this, c);
        session_.on_connected(c);
      }
      break;
    case session_action::kind::write:
      if (fail_writes) {
        // As a socket: the write fails because the peer reset, which its
        // read side then reports too, after what came before it.
        session_.on_write_failed(c, *fail_writes);
        reset(c);
        break;
      }
      server_receives(c, a.bytes);
      break;
    case session_action::kind::start_timer:
      timers.push_back(a);
      break;
    case session_action::kind::shutdown:
    case session_action::kind::close:
    case session_action::kind::reset:
      break;
    }
  }

  void server_receives(std::size_t c, byte_view bytes) {
    auto& decoder = decoders_[c];
    if (!decoder) decoder = std::make_unique<frame_decoder>(spec_);
    if (decoder->failed()) return;
    strings got;
    std::error_code ec;
    decoder->consume(
        bytes, [&](const frame& f) { got.emplace_back(as_text(f.payload)); }, ec);
    if (ec && !decoder->failed()) throw std::logic_error("the decoder lost its error");
    if (ec && got.empty()) log.push_back("server cannot decode " + name(c)); // a raw send
    for (const auto& f : got) {
      log.push_back("server got " + name(c) + " " + printable(f));
      frames_[c].push_back(f);
      if (server_.on_frame) server_.on_frame(*this, c, f);
    }
  }

  void deliver_next() {
    item next = std::move(outbox_.front());
    outbox_.pop_front();
    const std::size_t c = next.connection;
    if (next.what == item::fin) {
      log.push_back("fin " + name(c));
      session_.on_peer_closed(c);
      return;
    }
    if (next.what == item::rst) {
      log.push_back("rst " + name(c));
      session_.on_peer_reset(c);
      return;
    }
    if (cuts == reply_cuts::merged)
      while (!outbox_.empty() && outbox_.front().what == item::bytes &&
             outbox_.front().connection == c) {
        next.data += outbox_.front().data;
        outbox_.pop_front();
      }
    log.push_back("deliver " + name(c) + " " + printable(next.data));
    const byte_view bytes = as_bytes(next.data);
    if (cuts == reply_cuts::byte_by_byte)
      for (std::size_t i = 0; i < bytes.size(); ++i)
        session_.on_received(c, bytes.subspan(i, 1));
    else
      session_.on_received(c, bytes);
  }

  session& session_;
  framing_spec spec_;
  server_model server_;
  bool started_ = false;
  std::deque<item> outbox_;
  std::map<std::size_t, std::unique_ptr<frame_decoder>> decoders_;
  std::map<std::size_t, strings> frames_;
};

/// A session, its fake peer, and the spec they share.
struct conversation {
  explicit conversation(std::string_view script_text, std::string_view spec_text = "line",
                        std::string_view plan = "whole", server_model server = {},
                        session_options options = {})
      : spec(test::spec_of(spec_text)), s(script_of(script_text), spec, plan_of(plan), options),
        peer(s, spec, std::move(server)) {}

  /// Runs until the session waits on something only the test can make happen.
  const verdict& run() {
    peer.run();
    return s.result();
  }

  framing_spec spec;
  session s;
  fake_peer peer;
};

// --- Servers -------------------------------------------------------------------------

/// The server of the docs' greeting conversation.
server_model greeting_server() {
  server_model m;
  m.on_connect = [](fake_peer& p, std::size_t c) {
    p.reply(c, "Server: Welcome!");
    p.reply(c, "What's your name?");
  };
  m.on_frame = [](fake_peer& p, std::size_t c, const std::string& f) {
    if (f.starts_with("bye ")) {
      p.reply(c, "Good bye!");
      p.close(c);
    } else {
      p.reply(c, "Hello " + f + "!");
    }
  };
  return m;
}

/// A server that answers each listed frame with its replies, and sends
/// `hello` when a client connects.
server_model answering(std::map<std::string, strings> answers, strings hello = {}) {
  server_model m;
  m.on_connect = [hello](fake_peer& p, std::size_t c) {
    for (const auto& h : hello)
      p.reply(c, h);
  };
  m.on_frame = [answers](fake_peer& p, std::size_t c, const std::string& f) {
    const auto it = answers.find(f);
    if (it == answers.end()) {
      p.reply(c, "unexpected " + f);
      return;
    }
    for (const auto& r : it->second)
      p.reply(c, r);
  };
  return m;
}

constexpr std::string_view greeting_script =
    R"(# checks: the greeting server welcomes a client and greets it by name
expect "Server: Welcome!"
expect "What's your name?"   # the prompt
send "alice"
expect regex "^Hello (\w+)!$" as name
send "bye ${name}"
expect "Good bye!" or close
)";

// --- The greeting conversation under every plan, framing and reply cut -----------------

using greeting_case = std::tuple<std::string, std::string, reply_cuts>;

class GreetingConversation : public testing::TestWithParam<greeting_case> {};

TEST_P(GreetingConversation, PassesWithACorrectServer) {
  const auto& [plan, spec, cuts] = GetParam();
  conversation c(greeting_script, spec, plan, greeting_server());
  c.peer.cuts = cuts;
  const verdict& v = c.run();
  ASSERT_TRUE(c.s.finished());
  EXPECT_TRUE(v.passed) << to_string(v);
  EXPECT_EQ(v.plan, plan);
  EXPECT_EQ(v.step, c.s.steps().steps.size());
  EXPECT_EQ(c.peer.frames_from_client(0), (strings{"alice", "bye alice"}));
  EXPECT_EQ(c.peer.actions_of(session_action::kind::close), strings{"close main"});
}

INSTANTIATE_TEST_SUITE_P(
    EveryPlan, GreetingConversation,
    testing::Combine(testing::Values("whole", "bytewise", "chunk:3", "random:7", "random:99",
                                     "split-header", "merged", "pipeline"),
                     testing::Values("line", "line,crlf", "delim:#", "len:u8", "len:u16be",
                                     "len:u32le,offset=2", "varint"),
                     testing::Values(reply_cuts::one_read_each, reply_cuts::merged,
                                     reply_cuts::byte_by_byte)),
    [](const testing::TestParamInfo<greeting_case>& param) {
      std::string name = std::get<0>(param.param) + "_over_" + std::get<1>(param.param) + "_" +
                         std::string(name_of(std::get<2>(param.param)));
      for (char& ch : name)
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return name;
    });

// Many conversations of one script share it (the harness runs ten thousand
// at once): no session holds a copy, and each runs the whole conversation.
TEST(SessionScript, SessionsShareOneScriptAndEachPassesOnItsOwn) {
  const auto shared = std::make_shared<const script>(script_of(greeting_script));
  const script borrowed_from = script_of(greeting_script);
  const framing_spec spec = test::spec_of("line");
  session first(shared, spec, plan_of("whole"));
  session second(shared, spec, plan_of("bytewise"));
  // A pointer that owns nothing: the script outlives the session.
  session third(borrowed_script(borrowed_from), spec, plan_of("chunk:3"));
  EXPECT_EQ(&first.steps(), shared.get());
  EXPECT_EQ(&second.steps(), shared.get());
  EXPECT_EQ(shared.use_count(), 3);
  EXPECT_EQ(&third.steps(), &borrowed_from);
  EXPECT_EQ(borrowed_script(borrowed_from).use_count(), 0); // it owns nothing
  for (session* s : {&first, &second, &third}) {
    fake_peer peer(*s, spec, greeting_server());
    peer.run();
    ASSERT_TRUE(s->finished());
    EXPECT_TRUE(s->result().passed) << to_string(s->result());
    EXPECT_EQ(peer.frames_from_client(0), (strings{"alice", "bye alice"}));
  }
}

TEST(SessionResult, TakingItMovesTheVerdictAndKeepsWhetherItPassedAndWhere) {
  const framing_spec spec = test::spec_of("line");
  server_model rude = greeting_server();
  rude.on_frame = [](fake_peer& p, std::size_t c, const std::string&) { p.reply(c, "Go away"); };
  for (const bool polite : {true, false}) {
    session s(script_of(greeting_script), spec, plan_of("whole"));
    fake_peer peer(s, spec, polite ? greeting_server() : rude);
    peer.run();
    ASSERT_TRUE(s.finished());
    const verdict copied = s.result();
    ASSERT_FALSE(copied.transcript.empty());
    const verdict taken = s.take_result();
    EXPECT_EQ(taken.passed, polite);
    EXPECT_EQ(to_string(taken), to_string(copied));
    EXPECT_EQ(taken.transcript.size(), copied.transcript.size());
    EXPECT_EQ(taken.reason, copied.reason);
    EXPECT_EQ(s.result().passed, polite);
    EXPECT_EQ(s.result().step, copied.step);
    EXPECT_EQ(s.result().line, copied.line);
    EXPECT_TRUE(s.result().transcript.empty()) << "moved out, not copied";
  }
}

// What a session sends for `send "${token}"` in the conversation `id`.
std::string token_sent(std::uint64_t id) {
  session_options options;
  options.conversation_id = id;
  session s(script_of("framing line\nsend \"${token}\"\n"), test::spec_of("line"), plan_of("whole"),
            options);
  s.start();
  s.on_connected(0);
  for (const auto& a : s.take_actions())
    if (a.what == session_action::kind::write) return std::string(as_text(a.bytes));
  return "no write";
}

TEST(SessionVariables, TokenIsSixteenLowercaseHexDigitsOfItsOwnPerConversation) {
  const std::string first = token_sent(0);
  ASSERT_EQ(first.size(), 17u) << first; // and the line's LF
  EXPECT_EQ(first.back(), '\n');
  EXPECT_EQ(first.find_first_not_of("0123456789abcdef"), 16u) << first;
  EXPECT_EQ(token_sent(0), first);
  std::set<std::string> tokens{first};
  for (std::uint64_t id = 1; id < 200; ++id)
    tokens.insert(token_sent(id));
  EXPECT_EQ(tokens.size(), 200u);
}

TEST(SessionActions, TakingThemIntoAVectorGivesWhatReturningThemGives) {
  const script s = script_of("send \"hi\"\nexpect \"yo\"\nsend \"bye\"\n");
  const framing_spec spec = test::spec_of("line");
  session returned(s, spec, plan_of("bytewise"));
  session taken(s, spec, plan_of("bytewise"));
  std::vector<session_action> into{session_action{}, session_action{}}; // cleared first
  const auto both = [&](auto&& event) {
    event(returned);
    event(taken);
    const auto expected = returned.take_actions();
    taken.take_actions(into);
    EXPECT_EQ(into, expected);
    EXPECT_FALSE(into.empty());
    taken.take_actions(into); // nothing new since
    EXPECT_TRUE(into.empty());
  };
  both([](session& x) { x.start(); });
  both([](session& x) { x.on_connected(0); });
  both([](session& x) { x.on_received(0, as_bytes(std::string_view("yo\n"))); });
}

// --- Writes per plan -----------------------------------------------------------------------

constexpr std::string_view three_sends = "send \"hello\"\n"
                                         "send raw \"xyz\"\n"
                                         "send \"a longer second frame\"\n";

/// The writes `plan` should make of three_sends: each send cut where plan_cuts says.
strings expected_writes(std::string_view plan, std::string_view spec_text) {
  const framing_spec spec = test::spec_of(spec_text);
  const std::pair<std::string_view, bool> sends[] = {
      {"hello", true}, {"xyz", false}, {"a longer second frame", true}};
  strings out;
  std::uint64_t index = 0;
  for (const auto& [payload, is_framed] : sends) {
    byte_buffer wire;
    if (is_framed) {
      if (encode_frame(spec, as_bytes(payload), wire)) throw std::logic_error("unframeable");
    } else {
      wire.assign(payload.begin(), payload.end());
    }
    std::size_t from = 0;
    auto cuts = plan_cuts(plan_of(plan), spec, wire, is_framed, index++);
    cuts.push_back(wire.size());
    for (const std::size_t to : cuts) {
      out.emplace_back(as_text(byte_view(wire).subspan(from, to - from)));
      from = to;
    }
  }
  return out;
}

class SendCuts : public testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(SendCuts, CutEachSendWherePlanCutsSays) {
  const auto& [plan, spec] = GetParam();
  conversation c(three_sends, spec, plan);
  const verdict& v = c.run();
  EXPECT_TRUE(v.passed) << to_string(v);
  const strings writes = c.peer.writes(0);
  EXPECT_EQ(writes, expected_writes(plan, spec));
  // The transcript keeps each write as sent.
  strings sent;
  for (const auto& e : v.transcript)
    if (e.what == transcript_entry::kind::sent) sent.emplace_back(as_text(e.bytes));
  EXPECT_EQ(sent, writes);
}

INSTANTIATE_TEST_SUITE_P(
    CuttingPlans, SendCuts,
    testing::Combine(testing::Values("whole", "bytewise", "chunk:3", "chunk:100", "random:7",
                                     "random:8", "split-header"),
                     testing::Values("line", "delim:<END>", "len:u32be", "len:u16le,offset=2")),
    [](const testing::TestParamInfo<std::tuple<std::string, std::string>>& param) {
      std::string name = std::get<0>(param.param) + "_over_" + std::get<1>(param.param);
      for (char& ch : name)
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return name;
    });

TEST(SessionPlans, WholeWritesEachSendOnce) {
  conversation c(three_sends, "line", "whole");
  c.run();
  EXPECT_EQ(c.peer.writes(0), (strings{"hello\n", "xyz", "a longer second frame\n"}));
}

TEST(SessionPlans, BytewiseWritesOneByteAtATimeWithTheWriteGapBetween) {
  session_options options;
  options.write_gap = 7ms;
  conversation c("send \"abc\"\nsend \"de\"\n", "line", "bytewise", {}, options);
  EXPECT_TRUE(c.run().passed);
  EXPECT_EQ(c.peer.writes(0), (strings{"a", "b", "c", "\n", "d", "e", "\n"}));
  std::vector<duration> delays;
  for (const auto& a : c.peer.actions)
    if (a.what == session_action::kind::write) delays.push_back(a.delay);
  EXPECT_EQ(delays, (std::vector<duration>{0ms, 7ms, 7ms, 7ms, 7ms, 7ms, 7ms}));
}

// Two sends in a row under whole were written back to back, and the peer
// could read them as one: the baseline of a server that takes one read as
// one message failed. Merged and pipeline put sends in one read on purpose.
TEST(SessionPlans, ASendRightAfterAnotherWaitsTheWriteGapExceptWhenMergedOrPipelined) {
  session_options options;
  options.write_gap = 7ms;
  const auto delays_under = [&](const char* plan) {
    conversation c("send \"a\"\nsend \"b\"\nexpect \"x\"\nsend \"c\"\n", "line", plan, {}, options);
    c.run();
    c.peer.reply(0, "x");
    c.run();
    std::vector<duration> delays;
    for (const auto& a : c.peer.actions)
      if (a.what == session_action::kind::write) delays.push_back(a.delay);
    return delays;
  };
  EXPECT_EQ(delays_under("whole"), (std::vector<duration>{0ms, 7ms, 0ms}));
  EXPECT_EQ(delays_under("merged"), (std::vector<duration>{0ms, 0ms}));
  EXPECT_EQ(delays_under("pipeline"), (std::vector<duration>{0ms, 0ms, 0ms}));
}

TEST(SessionPlans, SendsHexAndRawPayloadsAsWritten) {
  conversation c("send hex \"00 01 ff\"\nsend raw hex \"02 41\"\n", "len:u8");
  EXPECT_TRUE(c.run().passed);
  EXPECT_EQ(c.peer.writes(0),
            (strings{std::string("\x03\0\x01\xff", 4), std::string("\x02\x41", 2)}));
}

TEST(SessionPlans, SplitHeaderCutsInsideTheLengthField) {
  conversation c("send \"hello\"\n", "len:u32be", "split-header");
  c.run();
  EXPECT_EQ(c.peer.writes(0), (strings{std::string("\0\0", 2), std::string("\0\x05hello", 7)}));
  EXPECT_EQ(c.peer.frames_from_client(0), strings{"hello"});
}

TEST(SessionPlans, MergedWritesConsecutiveSendsAsOneWrite) {
  conversation c("send \"a\"\n"
                 "send \"b\"\n"
                 "send raw \"c\\n\"\n"
                 "expect \"C\"\n"
                 "send \"d\"\n"
                 "send \"e\"\n",
                 "line", "merged", answering({{"a", {}}, {"b", {}}, {"c", {"C"}}, {"d", {}}}));
  const verdict& v = c.run();
  EXPECT_TRUE(v.passed) << to_string(v);
  EXPECT_EQ(c.peer.writes(0), (strings{"a\nb\nc\n", "d\ne\n"}));
  EXPECT_LT(c.peer.position("deliver main \"C\\n\""), c.peer.position("write main \"d\\ne\\n\""));
  EXPECT_EQ(c.peer.frames_from_client(0), (strings{"a", "b", "c", "d", "e"}));
}

TEST(SessionPlans, MergedDoesNotMergeAcrossAnotherConnectionsSend) {
  conversation c("b: connect\n"
                 "send \"a\"\n"
                 "b: send \"x\"\n"
                 "send \"b\"\n"
                 "send \"c\"\n",
                 "line", "merged");
  EXPECT_TRUE(c.run().passed);
  const strings writes = {
      "write main \"a\\n\"",
      "write b \"x\\n\"",
      "write main \"b\\nc\\n\"",
  };
  strings got;
  for (const auto& line : c.peer.log)
    if (line.starts_with("write ")) got.push_back(line);
  EXPECT_EQ(got, writes);
}

constexpr std::string_view counting_script = "send \"one\"\n"
                                             "expect \"1\"\n"
                                             "send \"two\"\n"
                                             "expect \"2\"\n"
                                             "send \"three\"\n"
                                             "expect \"3\"\n";

server_model counting_server() {
  return answering({{"one", {"1"}}, {"two", {"2"}}, {"three", {"3"}}});
}

TEST(SessionPlans, PipelineSendsAheadBeforeRepliesArrive) {
  conversation c(counting_script, "line", "pipeline", counting_server());
  const verdict& v = c.run();
  EXPECT_TRUE(v.passed) << to_string(v);
  const std::size_t first_reply = c.peer.position("deliver main \"1\\n\"");
  ASSERT_LT(first_reply, c.peer.log.size());
  EXPECT_LT(c.peer.position("write main \"two\\n\""), first_reply);
  EXPECT_LT(c.peer.position("write main \"three\\n\""), first_reply);
  EXPECT_EQ(c.peer.frames_from_client(0), (strings{"one", "two", "three"}));
}

TEST(SessionPlans, WithoutPipelineEachSendWaitsForTheReplyBeforeIt) {
  conversation c(counting_script, "line", "whole", counting_server());
  EXPECT_TRUE(c.run().passed);
  EXPECT_LT(c.peer.position("deliver main \"1\\n\""), c.peer.position("write main \"two\\n\""));
  EXPECT_LT(c.peer.position("deliver main \"2\\n\""), c.peer.position("write main \"three\\n\""));
}

TEST(SessionPlans, PipelineHoldsASendThatUsesAVariableUntilItIsCaptured) {
  conversation c("send \"login\"\n"
                 "expect regex \"^token (\\w+)$\" as token\n"
                 "send \"use ${token}\"\n"
                 "send \"after\"\n"
                 "expect \"ok\"\n"
                 "expect \"ok2\"\n",
                 "line", "pipeline",
                 answering({{"login", {"token t1"}}, {"use t1", {"ok"}}, {"after", {"ok2"}}}));
  const verdict& v = c.run();
  EXPECT_TRUE(v.passed) << to_string(v);
  const std::size_t token = c.peer.position("deliver main \"token t1\\n\"");
  ASSERT_LT(token, c.peer.log.size());
  EXPECT_LT(token, c.peer.position("write main \"use t1\\n\""));
  // Sends keep their order: the one after the held send waits too.
  EXPECT_LT(c.peer.position("write main \"use t1\\n\""),
            c.peer.position("write main \"after\\n\""));
  EXPECT_EQ(c.peer.frames_from_client(0), (strings{"login", "use t1", "after"}));
}

TEST(SessionPlans, PipelineWaitsForEachCaptureOfAVariableCapturedTwice) {
  // The second "ack ${id}" must use the id of the second capture, so it
  // cannot go out before that expect matched, though ${id} already has a value.
  conversation c("send \"first\"\n"
                 "expect regex \"^id (\\w+)$\" as id\n"
                 "send \"ack ${id}\"\n"
                 "expect regex \"^id (\\w+)$\" as id\n"
                 "send \"ack ${id}\"\n"
                 "expect \"done\"\n",
                 "line", "pipeline",
                 answering({{"first", {"id 1"}}, {"ack 1", {"id 2"}}, {"ack 2", {"done"}}}));
  const verdict& v = c.run();
  EXPECT_EQ(c.peer.frames_from_client(0), (strings{"first", "ack 1", "ack 2"}));
  EXPECT_TRUE(v.passed) << to_string(v);
}

// --- Replies in pieces and merged ---------------------------------------------------------

TEST(SessionReplies, AReplyWrittenInPiecesIsJudgedAsOneFrame) {
  conversation c("expect \"hello\"\nexpect \"world\"\n");
  c.run();
  c.peer.reply_raw(0, "hel");
  c.run();
  EXPECT_FALSE(c.s.finished());
  c.peer.reply_raw(0, "lo\nwor");
  c.run();
  EXPECT_FALSE(c.s.finished());
  c.peer.reply_raw(0, "ld\n");
  const verdict& v = c.run();
  EXPECT_TRUE(v.passed) << to_string(v);
}

TEST(SessionReplies, TwoRepliesInOneReadAreJudgedFrameByFrame) {
  conversation c("expect \"one\"\nexpect \"two\"\n");
  c.run();
  c.peer.reply_raw(0, "one\ntwo\n");
  const verdict& v = c.run();
  EXPECT_TRUE(v.passed) << to_string(v);
}

TEST(SessionReplies, TheSecondOfTwoMergedRepliesIsJudgedOnItsOwn) {
  conversation c("expect \"one\"\nexpect \"three\"\n");
  c.run();
  c.peer.reply_raw(0, "one\ntwo\n");
  const verdict& v = c.run();
  ASSERT_TRUE(c.s.finished());
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.line, 2u);
  EXPECT_EQ(v.step, 1u);
  EXPECT_EQ(v.expected, "\"three\"");
  EXPECT_EQ(v.got, "\"two\"");
}

TEST(SessionReplies, ALengthPrefixedReplySplitInsideItsHeaderIsOneFrame) {
  conversation c("expect \"hello\"\n", "len:u32be");
  c.run();
  c.peer.reply_raw(0, std::string("\0\0", 2));
  c.run();
  EXPECT_FALSE(c.s.finished());
  c.peer.reply_raw(0, std::string("\0\x05hel", 5));
  c.run();
  EXPECT_FALSE(c.s.finished());
  c.peer.reply_raw(0, "lo");
  EXPECT_TRUE(c.run().passed);
}

/// The verdict and received frames of `script_text` when the server's
/// replies `stream` arrive cut at `cuts`.
strings outcome(std::string_view script_text, std::string_view stream,
                const std::vector<std::size_t>& cuts) {
  conversation c(script_text);
  c.run();
  std::size_t from = 0;
  for (std::size_t i = 0; i <= cuts.size(); ++i) {
    const std::size_t to = i < cuts.size() ? cuts[i] : stream.size();
    c.peer.reply_raw(0, stream.substr(from, to - from));
    c.run();
    from = to;
  }
  const verdict& v = c.s.result();
  strings out{c.s.finished() ? "finished" : "running",
              v.passed ? "pass" : "fail",
              std::to_string(v.line),
              v.expected,
              v.got,
              v.reason};
  for (const auto& e : v.transcript)
    if (e.what == transcript_entry::kind::received_frame) out.emplace_back(as_text(e.bytes));
  return out;
}

TEST(SessionReplies, EveryCutOfTheRepliesGivesTheSameVerdict) {
  constexpr std::string_view script_text = "expect \"one\"\n"
                                           "expect prefix \"tw\"\n"
                                           "expect any 2\n"
                                           "expect \"five\" or \"six\"\n";
  for (const std::string_view stream : {"one\ntwo\nthree\n\nsix\n", "one\ntwo\nthree\n\nseven\n"}) {
    const strings whole = outcome(script_text, stream, {});
    ASSERT_EQ(whole[0], "finished");
    for (std::size_t i = 1; i < stream.size(); ++i)
      EXPECT_EQ(outcome(script_text, stream, {i}), whole) << "cut at " << i;
    for (std::size_t i = 1; i < stream.size(); ++i)
      for (std::size_t j = i + 1; j < stream.size(); ++j)
        EXPECT_EQ(outcome(script_text, stream, {i, j}), whole) << "cut at " << i << " and " << j;
    std::vector<std::size_t> every;
    for (std::size_t i = 1; i < stream.size(); ++i)
      every.push_back(i);
    EXPECT_EQ(outcome(script_text, stream, every), whole) << "byte by byte";
  }
  EXPECT_EQ(outcome(script_text, "one\ntwo\nthree\n\nsix\n", {})[1], "pass");
  const strings failed = outcome(script_text, "one\ntwo\nthree\n\nseven\n", {});
  EXPECT_EQ(failed[1], "fail");
  EXPECT_EQ(failed[2], "4");
  EXPECT_EQ(failed[4], "\"seven\"");
}

// --- Each expect form ----------------------------------------------------------------------

/// Runs `script_text` against a server that sends `replies` once connected.
struct replying : conversation {
  replying(std::string_view script_text, strings replies, std::string_view spec_text = "line")
      : conversation(script_text, spec_text, "whole", answering({}, std::move(replies))) {}
};

TEST(SessionExpect, ExactMatchesTheWholeFrameOnly) {
  EXPECT_TRUE(replying("expect \"hello\"\n", {"hello"}).run().passed);
  replying longer("expect \"hello\"\n", {"hello!"});
  EXPECT_FALSE(longer.run().passed);
  EXPECT_EQ(longer.s.result().got, "\"hello!\"");
  replying shorter("expect \"hello\"\n", {"hell"});
  EXPECT_FALSE(shorter.run().passed);
}

TEST(SessionExpect, HexMatchesABinaryPayload) {
  const std::string payload("\0\xff\nA", 4);
  EXPECT_TRUE(replying("expect hex \"00 ff 0a 41\"\n", {payload}, "len:u16be").run().passed);
  replying other("expect hex \"00 ff 0a 41\"\n", {std::string("\0\xff\nB", 4)}, "len:u16be");
  const verdict& v = other.run();
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.expected, "\"\\0\\xff\\nA\"");
  EXPECT_EQ(v.got, "\"\\0\\xff\\nB\"");
}

TEST(SessionExpect, RegexCapturesGroupOneForALaterSend) {
  conversation c("expect regex \"^Hello (\\w+)!$\" as name\nsend \"bye ${name}\"\n", "line",
                 "whole", answering({}, {"Hello bob!"}));
  EXPECT_TRUE(c.run().passed);
  EXPECT_EQ(c.peer.frames_from_client(0), strings{"bye bob"});
}

TEST(SessionExpect, RegexesStillMatchOnceManyOtherPatternsHaveBeenCompiled) {
  // The process keeps a bounded number of compiled patterns and starts
  // again when it is full: a session holds its own patterns either way.
  conversation c("expect regex \"^Hello (\\w+)!$\" as name\nsend \"bye ${name}\"\n", "line",
                 "whole", answering({}, {"Hello bob!"}));
  for (int i = 0; i < 100; ++i) {
    conversation other("expect regex \"^n" + std::to_string(i) + "=(\\d+)$\" as n\n", "line",
                       "whole", answering({}, {"n" + std::to_string(i) + "=" + std::to_string(i)}));
    ASSERT_TRUE(other.run().passed) << i;
  }
  EXPECT_TRUE(c.run().passed) << to_string(c.s.result());
  EXPECT_EQ(c.peer.frames_from_client(0), strings{"bye bob"});
  conversation again("expect regex \"^Hello (\\w+)!$\" as name\n", "line", "whole",
                     answering({}, {"Hello !"}));
  EXPECT_FALSE(again.run().passed);
}

TEST(SessionExpect, RegexWithoutAGroupCapturesTheWholeMatch) {
  conversation c("expect regex \"\\d+\" as n\nsend \"got ${n}\"\n", "line", "whole",
                 answering({}, {"42"}));
  EXPECT_TRUE(c.run().passed);
  EXPECT_EQ(c.peer.frames_from_client(0), strings{"got 42"});
}

TEST(SessionExpect, VariablesAreSharedByAllConnections) {
  conversation c("expect regex \"id=(\\d+)\" as id\n"
                 "b: connect\n"
                 "b: send \"id ${id}\"\n",
                 "line", "whole", answering({}, {"id=7"}));
  EXPECT_TRUE(c.run().passed) << to_string(c.s.result());
  EXPECT_EQ(c.peer.frames_from_client(1), strings{"id 7"});
}

TEST(SessionExpect, ACapturingRegexMatchesAFrameOfAnyLength) {
  // 100 KB: std::regex's matcher, which recursed per byte, was held to 1 KiB.
  const std::string body(100000, 'a');
  conversation c("expect regex \"<(a+)>\" as all\nsend \"${all}\"\n", "line", "whole",
                 answering({}, {"<" + body + ">"}));
  EXPECT_TRUE(c.run().passed) << to_string(c.s.result());
  const strings sent = c.peer.frames_from_client(0);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].size(), body.size());
  EXPECT_TRUE(sent[0] == body);
  // Still matched against the whole frame.
  EXPECT_FALSE(replying("expect regex \"<(a+)>\" as all\n", {"<" + body + ">!"}).run().passed);
  EXPECT_TRUE(replying("expect regex \"<a+>\"\n", {"<" + body + ">"}).run().passed);
}

TEST(SessionExpect, NestedRepetitionIsJudgedWithoutBacktracking) {
  // (a+)+b against 30 a's: a backtracking engine tries 2^30 ways to split
  // them before it gives up; RE2 is linear in the frame and answers at once.
  const std::string as(30, 'a');
  replying plain("expect regex \"(a+)+b\"\n", {as});
  EXPECT_FALSE(plain.run().passed);
  EXPECT_EQ(plain.s.result().expected, "a frame matching /(a+)+b/");
  EXPECT_EQ(plain.s.result().got, "\"" + as + "\"");
  EXPECT_FALSE(replying("expect regex \"(a+)+b\" as x\n", {as}).run().passed);
  conversation matched("expect regex \"(a+)+b\" as x\nsend \"${x}\"\n", "line", "whole",
                       answering({}, {as + "b"}));
  EXPECT_TRUE(matched.run().passed) << to_string(matched.s.result());
  EXPECT_EQ(matched.peer.frames_from_client(0), strings{as});
}

TEST(SessionExpect, RegexReadsFramesAsBytes) {
  const std::string frame = std::string("\0\xff\n\x80", 4) + "A"; // not UTF-8
  EXPECT_TRUE(replying(R"(expect regex "\x00\xff\n\x80A")", {frame}, "len:u16be").run().passed);
  EXPECT_FALSE(replying(R"(expect regex "\x00\xfe\n\x80A")", {frame}, "len:u16be").run().passed);
  // '.' and classes match any one byte but \n, valid UTF-8 or not.
  EXPECT_TRUE(
      replying(R"(expect regex "\x00.\n[\x80-\xff]\w")", {frame}, "len:u16be").run().passed);
  // A byte written as it is in the script matches itself.
  EXPECT_TRUE(replying("expect regex \"\\x00\xff\\n\x80\\w\"", {frame}, "len:u16be").run().passed);
  conversation c("expect regex \"\\x00(.)\\n(..)\" as b\nsend \"${b}\"\n", "len:u16be", "whole",
                 answering({}, {frame}));
  EXPECT_TRUE(c.run().passed) << to_string(c.s.result());
  EXPECT_EQ(c.peer.frames_from_client(0), strings{"\xff"});
  // UTF-8 is its bytes: 'é' is two characters to a pattern.
  EXPECT_TRUE(replying("expect regex \"caf..\"\n", {"caf\xc3\xa9"}).run().passed);
  EXPECT_FALSE(replying("expect regex \"caf.\"\n", {"caf\xc3\xa9"}).run().passed);
  EXPECT_TRUE(replying("expect regex \"caf\xc3\xa9\"\n", {"caf\xc3\xa9"}).run().passed);
}

TEST(SessionExpect, AGroupOutsideTheMatchCapturesNothing) {
  conversation c("expect regex \"(x)?b\" as v\nsend \"<${v}>\"\n", "line", "whole",
                 answering({}, {"b"}));
  EXPECT_TRUE(c.run().passed) << to_string(c.s.result());
  EXPECT_EQ(c.peer.frames_from_client(0), strings{"<>"});
}

TEST(SessionExpect, ACaptureTakesGroupOneOfSeveral) {
  conversation c("expect regex \"(\\w+) (\\w+)\" as first\nsend \"${first}\"\n", "line", "whole",
                 answering({}, {"alice bob"}));
  EXPECT_TRUE(c.run().passed) << to_string(c.s.result());
  EXPECT_EQ(c.peer.frames_from_client(0), strings{"alice"});
}

TEST(SessionExpect, ARegexThatDoesNotCompileFailsItsStep) {
  // Only a script built in code gets here: the parser refuses the pattern.
  script s;
  script_step step;
  step.what = script_step::kind::expect;
  step.line = 1;
  expectation e;
  e.what = expectation::kind::regex;
  e.pattern = "(a";
  step.alternatives = {e};
  s.steps.push_back(step);
  const framing_spec spec = test::spec_of("line");
  session run(s, spec, plan_of("whole"));
  fake_peer peer(run, spec, answering({}, {"(a"}));
  peer.run();
  ASSERT_TRUE(run.finished());
  EXPECT_FALSE(run.result().passed);
  EXPECT_EQ(run.result().reason, "invalid regular expression /(a/");
}

TEST(SessionExpect, RegexMatchesTheWholeFrame) {
  EXPECT_TRUE(replying("expect regex \"H.*o\"\n", {"Hello"}).run().passed);
  replying part("expect regex \"ell\"\n", {"Hello"});
  const verdict& v = part.run();
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.expected, "a frame matching /ell/");
  EXPECT_EQ(v.got, "\"Hello\"");
}

TEST(SessionExpect, PrefixMatchesTheStartOfTheFrame) {
  EXPECT_TRUE(replying("expect prefix \"Hel\"\n", {"Hello there"}).run().passed);
  EXPECT_TRUE(replying("expect prefix \"Hel\"\n", {"Hel"}).run().passed);
  replying other("expect prefix \"Hel\"\n", {"Hi, Hello"});
  const verdict& v = other.run();
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.expected, "a frame starting with \"Hel\"");
  EXPECT_EQ(v.got, "\"Hi, Hello\"");
  EXPECT_FALSE(replying("expect prefix \"Hello\"\n", {"Hel"}).run().passed);
}

TEST(SessionExpect, ContainsMatchesAnywhereInTheFrame) {
  EXPECT_TRUE(replying("expect contains \"ll\"\n", {"say hello"}).run().passed);
  replying other("expect contains \"zz\"\n", {"say hello"});
  const verdict& v = other.run();
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.expected, "a frame containing \"zz\"");
}

TEST(SessionExpect, AnyTakesTheNextNFramesWhateverTheyHold) {
  EXPECT_TRUE(replying("expect any 3\nexpect \"last\"\n", {"x", "", "zz", "last"}).run().passed);
  EXPECT_TRUE(replying("expect any\nexpect \"last\"\n", {"whatever", "last"}).run().passed);
  // Three frames taken: the fourth is judged by the next step.
  replying off_by_one("expect any 3\nexpect \"last\"\n", {"a", "b", "last", "last"});
  const verdict& v = off_by_one.run();
  EXPECT_TRUE(v.passed) << to_string(v);
  replying too_many("expect any 2\nexpect \"last\"\n", {"a", "b", "c", "last"});
  EXPECT_FALSE(too_many.run().passed);
  EXPECT_EQ(too_many.s.result().got, "\"c\"");
}

TEST(SessionExpect, AnyWaitsForItsFramesAndTimesOutWithoutThem) {
  replying c("expect any 3\n", {"a", "b"});
  c.run();
  EXPECT_FALSE(c.s.finished());
  c.peer.fire_last_timer();
  const verdict& v = c.s.result();
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.expected, "3 frames");
  EXPECT_EQ(v.reason, "timed out");
}

TEST(SessionExpect, AnyFailsAsAnEarlyCloseWhenTheServerClosesBeforeItsFrames) {
  conversation c("expect any 3\n", "line", "whole", server_model{});
  c.run();
  c.peer.reply(0, "a");
  c.peer.reply(0, "b");
  c.peer.close(0);
  const verdict& v = c.run();
  ASSERT_TRUE(c.s.finished());
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.expected, "3 frames");
  // Two frames came, then FIN: the server closed early, it sent no wrong frame.
  EXPECT_EQ(v.reason, "the server closed the connection");
}

TEST(SessionExpect, AResetAfterTheCloseLeavesTheCloseThatCameFirst) {
  // FIN, then RST (for data written after the FIN), both while the script
  // sleeps: the close it then expects did happen, and so did the reset.
  conversation c("sleep 1s\nexpect close\nexpect reset\n", "line", "whole", server_model{});
  c.run();
  c.peer.close(0);
  c.peer.reset(0);
  c.run();
  c.peer.fire_last_timer(); // the sleep ends
  const verdict& v = c.run();
  ASSERT_TRUE(c.s.finished());
  EXPECT_TRUE(v.passed) << to_string(v);
}

TEST(SessionExpect, ClosePassesWhenTheServerClosesWithoutAFrame) {
  server_model quits;
  quits.on_frame = [](fake_peer& p, std::size_t c, const std::string&) { p.close(c); };
  conversation c("send \"quit\"\nexpect close\n", "line", "whole", quits);
  const verdict& v = c.run();
  EXPECT_TRUE(v.passed) << to_string(v);
}

TEST(SessionExpect, CloseFailsWhenAFrameComesFirst) {
  server_model says_bye;
  says_bye.on_frame = [](fake_peer& p, std::size_t c, const std::string&) {
    p.reply(c, "bye");
    p.close(c);
  };
  conversation c("send \"quit\"\nexpect close\n", "line", "whole", says_bye);
  const verdict& v = c.run();
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.line, 2u);
  EXPECT_EQ(v.expected, "the connection closed (FIN)");
  EXPECT_EQ(v.got, "\"bye\"");
}

TEST(SessionExpect, CloseFailsWhenTheServerClosesInsideAFrame) {
  conversation c("expect close\n");
  c.run();
  c.peer.reply_raw(0, "Hel");
  c.peer.close(0);
  const verdict& v = c.run();
  ASSERT_TRUE(c.s.finished());
  EXPECT_FALSE(v.passed);
  EXPECT_NE(v.reason.find("the server broke the framing"), std::string::npos) << v.reason;
}

TEST(SessionExpect, ResetPassesWhenTheServerResets) {
  server_model resets;
  resets.on_frame = [](fake_peer& p, std::size_t c, const std::string&) { p.reset(c); };
  conversation c("send \"boom\"\nexpect reset\n", "line", "whole", resets);
  const verdict& v = c.run();
  EXPECT_TRUE(v.passed) << to_string(v);
  // A reset connection is not closed again.
  EXPECT_EQ(c.peer.actions_of(session_action::kind::close), strings{});
}

TEST(SessionExpect, ResetFailsWhenTheServerOnlyCloses) {
  server_model quits;
  quits.on_frame = [](fake_peer& p, std::size_t c, const std::string&) { p.close(c); };
  conversation c("send \"boom\"\nexpect reset\n", "line", "whole", quits);
  const verdict& v = c.run();
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.expected, "the connection reset (RST)");
  EXPECT_EQ(v.reason, "the server closed the connection");
}

TEST(SessionExpect, SilencePassesWhenItsTimerFiresWithNothingReceived) {
  conversation c("expect silence 200ms\nsend \"after\"\n");
  c.run();
  ASSERT_FALSE(c.s.finished());
  ASSERT_FALSE(c.peer.timers.empty());
  EXPECT_EQ(c.peer.timers.back().delay, 200ms);
  EXPECT_TRUE(c.peer.writes(0).empty());
  c.peer.fire_last_timer();
  EXPECT_TRUE(c.s.result().passed) << to_string(c.s.result());
  EXPECT_EQ(c.peer.writes(0), strings{"after\n"});
}

TEST(SessionExpect, SilenceFailsWhenAFrameArrives) {
  conversation c("expect silence 200ms\n");
  c.run();
  c.peer.reply(0, "noise");
  const verdict& v = c.run();
  ASSERT_TRUE(c.s.finished());
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.expected, "silence for 200ms");
  EXPECT_EQ(v.got, "\"noise\"");
}

TEST(SessionExpect, SilenceFailsWhenPartOfAFrameArrives) {
  conversation c("expect silence 200ms\n");
  c.run();
  c.peer.reply_raw(0, "no");
  const verdict& v = c.run();
  ASSERT_TRUE(c.s.finished());
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.expected, "silence for 200ms");
  EXPECT_EQ(v.reason, "the server sent something during the silence");
}

TEST(SessionExpect, SilenceAsAnAlternativeDoesNotPassWhenBytesArrived) {
  // Neither outcome happened: "x" never completed, and the quiet was broken.
  conversation c("expect \"x\" or silence 200ms\n");
  c.run();
  c.peer.reply_raw(0, "pa");
  c.run();
  ASSERT_FALSE(c.s.finished());
  c.peer.fire_last_timer();
  ASSERT_TRUE(c.s.finished());
  EXPECT_FALSE(c.s.result().passed) << "silence passed though 2 bytes arrived during it";
}

TEST(SessionExpect, AlternativesPassWhenAnyOneHappens) {
  const std::string_view step = "expect \"a\" or \"b\" or close\n";
  EXPECT_TRUE(replying(step, {"a"}).run().passed);
  EXPECT_TRUE(replying(step, {"b"}).run().passed);
  conversation closes(step);
  closes.run();
  closes.peer.close(0);
  EXPECT_TRUE(closes.run().passed);
  replying neither(step, {"c"});
  const verdict& v = neither.run();
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.expected, "\"a\" or \"b\" or the connection closed (FIN)");
  EXPECT_EQ(v.got, "\"c\"");
}

TEST(SessionExpect, WithinSetsTheStepsTimer) {
  conversation c("timeout 2s\nexpect \"x\" within 300ms\nexpect \"y\"\n");
  c.run();
  ASSERT_FALSE(c.peer.timers.empty());
  EXPECT_EQ(c.peer.timers.back().delay, 300ms);
  c.peer.reply(0, "x");
  c.run();
  EXPECT_EQ(c.peer.timers.back().delay, 2000ms);
  c.peer.fire_last_timer();
  EXPECT_EQ(c.s.result().got, "nothing within 2s");
}

TEST(SessionExpect, TheTimeoutComesFromTheOptionsWhenTheScriptSetsNone) {
  session_options options;
  options.default_timeout = 1234ms;
  conversation c("expect \"x\"\n", "line", "whole", {}, options);
  c.run();
  ASSERT_FALSE(c.peer.timers.empty());
  EXPECT_EQ(c.peer.timers.back().delay, 1234ms);
  c.peer.fire_last_timer();
  EXPECT_EQ(c.s.result().got, "nothing within 1234ms");
}

TEST(SessionExpect, SleepWaitsForItsTimer) {
  conversation c("sleep 250ms\nsend \"awake\"\n");
  c.run();
  ASSERT_FALSE(c.peer.timers.empty());
  EXPECT_EQ(c.peer.timers.back().delay, 250ms);
  EXPECT_TRUE(c.peer.writes(0).empty());
  c.peer.fire_last_timer();
  EXPECT_TRUE(c.s.result().passed);
  EXPECT_EQ(c.peer.writes(0), strings{"awake\n"});
}

// --- Failures: line, expected, got, reason -----------------------------------------------------

constexpr std::string_view greeting_with_header = R"(# checks the greeting
timeout 2s

expect "Server: Welcome!"
send "alice"
expect "Hello alice!"
)";

TEST(SessionFailure, AWrongFrameGivesItsLineWhatWasExpectedAndWhatCameEscaped) {
  conversation c(greeting_with_header, "line", "whole",
                 answering({{"alice", {"Hello bob!\t\x01\""}}}, {"Server: Welcome!"}));
  const verdict& v = c.run();
  ASSERT_TRUE(c.s.finished());
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.step, 2u);
  EXPECT_EQ(v.line, 6u);
  EXPECT_EQ(v.expected, "\"Hello alice!\"");
  EXPECT_EQ(v.got, "\"Hello bob!\\t\\x01\\x22\"");
  EXPECT_EQ(v.reason, "the server sent another frame than expected");
}

TEST(SessionFailure, ATimeoutNamesTheStepAndWhatCame) {
  conversation c(greeting_with_header, "line", "whole",
                 answering({{"alice", {}}}, {"Server: Welcome!"}));
  c.run();
  ASSERT_FALSE(c.s.finished());
  c.peer.fire_last_timer();
  const verdict& v = c.s.result();
  ASSERT_TRUE(c.s.finished());
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.line, 6u);
  EXPECT_EQ(v.reason, "timed out");
  EXPECT_EQ(v.expected, "\"Hello alice!\"");
  EXPECT_EQ(v.got, "nothing within 2s");
}

TEST(SessionFailure, AResetShowsTheBytesOfTheFrameItCutShort) {
  // Under raw framing the whole stream is one frame until its end: bytes
  // before a reset were hidden behind "a reset (RST)".
  conversation c("expect \"hello\"\n", "raw", "whole", server_model{});
  c.run();
  c.peer.reply_raw(0, "hel");
  c.peer.reset(0);
  const verdict& v = c.run();
  ASSERT_TRUE(c.s.finished());
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.got, "a reset (RST) after 3 bytes of an unfinished frame: \"hel\"");
}

TEST(SessionFailure, ATimeoutCountsTheBytesOfAnUnfinishedFrame) {
  conversation c("expect \"Hello\"\n");
  c.run();
  const std::uint64_t timer = c.peer.last_timer();
  c.peer.reply_raw(0, "Hel");
  c.run();
  // Bytes arriving do not restart the step's deadline.
  EXPECT_EQ(c.peer.last_timer(), timer);
  c.peer.fire(timer);
  const verdict& v = c.s.result();
  ASSERT_TRUE(c.s.finished());
  EXPECT_EQ(v.reason, "timed out");
  EXPECT_EQ(v.got, "nothing within 5s, only 3 bytes of an unfinished frame: \"Hel\"");
}

TEST(SessionFailure, TheServerClosingEarlyFailsTheStep) {
  conversation c("expect \"a\"\nexpect \"b\"\n", "line", "whole", answering({}, {"a"}));
  c.run();
  c.peer.close(0);
  const verdict& v = c.run();
  ASSERT_TRUE(c.s.finished());
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.line, 2u);
  EXPECT_EQ(v.expected, "\"b\"");
  EXPECT_EQ(v.got, "the connection closed (FIN)");
  EXPECT_EQ(v.reason, "the server closed the connection");
}

TEST(SessionFailure, TheServerResettingFailsTheStep) {
  conversation c("send \"x\"\nexpect \"b\"\n");
  c.run();
  c.peer.reset(0);
  const verdict& v = c.run();
  ASSERT_TRUE(c.s.finished());
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.line, 2u);
  EXPECT_EQ(v.got, "a reset (RST)");
  EXPECT_EQ(v.reason, "the server reset the connection");
  EXPECT_EQ(c.peer.actions_of(session_action::kind::close), strings{});
}

TEST(SessionFailure, TheServerBreakingTheFramingFailsTheStep) {
  conversation c("expect \"ok\"\nexpect \"short\"\n", "line,max=8");
  c.run();
  c.peer.reply_raw(0, "ok\nthis line is far too long\n");
  const verdict& v = c.run();
  ASSERT_TRUE(c.s.finished());
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.line, 2u);
  EXPECT_EQ(v.got, "bytes that break the framing");
  EXPECT_TRUE(v.reason.starts_with("the server broke the framing: ")) << v.reason;
  EXPECT_NE(v.reason.find("max=8"), std::string::npos) << v.reason;
}

TEST(SessionFailure, MoreUnreadBytesThanTheLimitFailTheRun) {
  session_options options;
  options.most_unread_bytes = 10;
  conversation c("expect \"first\"\nsleep 1s\nexpect any 3\n", "line,max=8", "whole", {}, options);
  c.run();
  c.peer.reply(0, "first");
  c.peer.reply(0, "12345678");
  c.peer.reply(0, "87654321");
  c.peer.reply(0, "12");
  c.run();
  EXPECT_FALSE(c.s.finished()) << "18 unread bytes are within the limit, 10 besides one frame";
  c.peer.reply(0, "x");
  const verdict& v = c.run();
  ASSERT_TRUE(c.s.finished());
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.line, 2u);
  EXPECT_EQ(v.got, "19 bytes not yet expected");
  EXPECT_EQ(v.reason, "the server sent more than 10 bytes ahead of the script (besides one frame, "
                      "which may be as large as the spec's max=8)");
}

TEST(SessionFailure, AFrameTheSpecAllowsIsJudgedHoweverLargeTheUnreadBound) {
  // A 20 MiB frame under max=64M was refused by the 16 MiB bound.
  session_options options;
  options.most_unread_bytes = 10;
  const std::string large(100, 'x');
  for (const std::string script : {"expect any\n", "sleep 1s\nexpect any\n"}) {
    SCOPED_TRACE(script);
    conversation c(script, "line,max=100", "whole", {}, options);
    c.run();
    c.peer.reply(0, large);
    c.run();
    if (!c.s.finished()) c.peer.fire_last_timer(); // the sleep ends
    const verdict& v = c.run();
    ASSERT_TRUE(c.s.finished());
    EXPECT_TRUE(v.passed) << v.reason;
  }
}

TEST(SessionFailure, SmallFramesMeetTheBoundHoweverLargeTheSpecsMax) {
  // The room for one frame of the spec's max is not room for many small
  // ones: under a memory budget's share, 8 MiB of max would let each
  // session hold 8 MiB of a flood.
  session_options options;
  options.most_unread_bytes = 10;
  conversation c("expect \"first\"\nsleep 1s\nexpect any 4\n", "line,max=1000", "whole", {},
                 options);
  c.run();
  c.peer.reply(0, "first");
  for (int i = 0; i < 3; ++i)
    c.peer.reply(0, "12345");
  c.run();
  EXPECT_FALSE(c.s.finished()) << "15 bytes: 10 besides one frame";
  c.peer.reply(0, "12345");
  const verdict& v = c.run();
  ASSERT_TRUE(c.s.finished());
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.got, "20 bytes not yet expected");
}

TEST(SessionFailure, FramesTheScriptWaitsForDoNotCountAgainstTheBound) {
  // "expect any 1000000" takes a flood of frames as they come, even when
  // one read brings more than the bound on frames not yet expected.
  session_options options;
  options.most_unread_frames = 100;
  conversation c("expect any 500\n", "line", "whole", {}, options);
  c.run();
  c.peer.reply_raw(0, std::string(500, '\n'));
  const verdict& v = c.run();
  ASSERT_TRUE(c.s.finished());
  EXPECT_TRUE(v.passed) << v.reason;
}

TEST(SessionFailure, AFloodOfEmptyFramesFailsTheRunByTheirCount) {
  // Empty frames hold no bytes: the byte limit alone would never stop them.
  session_options options;
  options.most_unread_frames = 100;
  conversation c("expect \"first\"\nsleep 1s\nexpect any 3\n", "line", "whole", {}, options);
  c.run();
  c.peer.reply(0, "first");
  for (int i = 0; i < 100; ++i)
    c.peer.reply(0, "");
  c.run();
  EXPECT_FALSE(c.s.finished()) << "100 unread frames are within the limit";
  c.peer.reply(0, "");
  const verdict& v = c.run();
  ASSERT_TRUE(c.s.finished());
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.line, 2u);
  EXPECT_EQ(v.got, "101 frames not yet expected");
  EXPECT_EQ(v.reason, "the server sent more than 100 frames ahead of the script");
}

TEST(SessionFailure, TheTranscriptKeepsItsLimitOfEntriesThenCountsAndTheFailure) {
  session_options options;
  options.transcript_entries = 20;
  conversation c("expect \"first\"\nsleep 1s\nexpect any 3\n", "line", "whole", {}, options);
  c.run();
  c.peer.reply(0, "first");
  for (int i = 0; i < 50; ++i)
    c.peer.reply(0, "x");
  c.run();
  c.s.abort("stopped by the test");
  const verdict& v = c.run();
  ASSERT_TRUE(c.s.finished());
  ASSERT_EQ(v.transcript.size(), 22u); // the limit, what it dropped, the failure
  EXPECT_NE(v.transcript[20].text.find("more transcript entries not kept (limit 20)"),
            std::string::npos)
      << v.transcript[20].text;
  EXPECT_EQ(v.transcript[21].text, "failed: stopped by the test");
}

TEST(SessionFailure, APayloadTheFramingCannotEncodeFailsItsSend) {
  conversation c("send \"ok\"\nsend \"two\\nlines\"\n");
  const verdict& v = c.run();
  ASSERT_TRUE(c.s.finished());
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.line, 2u);
  EXPECT_EQ(v.expected, "a payload that 'line' can frame");
  EXPECT_EQ(v.got, "\"two\\nlines\"");
  EXPECT_TRUE(v.reason.starts_with("cannot frame the payload: ")) << v.reason;
  EXPECT_EQ(c.peer.writes(0), strings{"ok\n"});
}

TEST(SessionFailure, APayloadTooLongForTheLengthFieldFailsItsSend) {
  const std::string script_text = "send \"" + std::string(300, 'p') + "\"\n";
  conversation c(script_text, "len:u8");
  const verdict& v = c.run();
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.line, 1u);
  EXPECT_EQ(v.expected, "a payload that 'len:u8' can frame");
  EXPECT_TRUE(c.peer.writes(0).empty());
}

TEST(SessionFailure, AnUnencodablePayloadSentAheadNamesItsOwnLine) {
  conversation c("send \"ok\"\nexpect \"OK\"\nsend \"bad\\nline\"\n", "line", "pipeline");
  const verdict& v = c.run();
  ASSERT_TRUE(c.s.finished());
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.step, 2u);
  EXPECT_EQ(v.line, 3u);
}

TEST(SessionFailure, AnUnencodablePayloadInAMergedWriteNamesItsOwnLine) {
  conversation c("send \"ok\"\nsend \"bad\\nline\"\n", "line", "merged");
  const verdict& v = c.run();
  ASSERT_TRUE(c.s.finished());
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.got, "\"bad\\nline\"");
  EXPECT_EQ(v.step, 1u);
  EXPECT_EQ(v.line, 2u);
}

// --- Connections ------------------------------------------------------------------------------

TEST(SessionConnections, MainIsConnectedBeforeTheFirstStep) {
  session_options options;
  options.connect_timeout = 777ms;
  conversation c("send \"x\"\n", "line", "whole", {}, options);
  c.peer.answer_connects = false;
  c.run();
  EXPECT_EQ(c.peer.log, (strings{"connect main", "timer 1 777ms"}));
  EXPECT_FALSE(c.s.finished());
  c.peer.fire(1);
  const verdict& v = c.s.result();
  ASSERT_TRUE(c.s.finished());
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.expected, "a connection");
  EXPECT_EQ(v.reason, "no connection within 777ms");
  EXPECT_TRUE(c.peer.writes(0).empty());
}

TEST(SessionConnections, AScriptThatConnectsMainItselfConnectsItOnce) {
  conversation c("connect\nsend \"x\"\n");
  EXPECT_TRUE(c.run().passed) << to_string(c.s.result());
  EXPECT_EQ(c.peer.actions_of(session_action::kind::connect), strings{"connect main"});
  EXPECT_EQ(c.peer.writes(0), strings{"x\n"});
}

TEST(SessionConnections, AnEmptyScriptConnectsMainAndPasses) {
  conversation c("# nothing to do\n");
  EXPECT_TRUE(c.run().passed);
  EXPECT_EQ(c.peer.log, (strings{"connect main", "timer 1 5000ms", "close main"}));
}

TEST(SessionConnections, NamedConnectionsConnectAndCarryTheirOwnSteps) {
  conversation c("send \"hello\"\n"
                 "b: connect\n"
                 "b: send \"hi from b\"\n"
                 "b: expect \"hi b\"\n"
                 "expect \"hello main\"\n"
                 "b: close\n",
                 "line", "whole", answering({{"hello", {"hello main"}}, {"hi from b", {"hi b"}}}));
  const verdict& v = c.run();
  EXPECT_TRUE(v.passed) << to_string(v);
  EXPECT_EQ(c.s.connection_names(), (strings{"main", "b"}));
  EXPECT_EQ(c.peer.actions_of(session_action::kind::connect),
            (strings{"connect main", "connect b"}));
  EXPECT_EQ(c.peer.writes(0), strings{"hello\n"});
  EXPECT_EQ(c.peer.writes(1), strings{"hi from b\n"});
  EXPECT_EQ(c.peer.frames_from_client(1), strings{"hi from b"});
  // b closed by its step; main closed at the end.
  EXPECT_EQ(c.peer.actions_of(session_action::kind::close), (strings{"close b", "close main"}));
}

TEST(SessionConnections, ANamedConnectWaitsForItsConnection) {
  conversation c("send \"m\"\nb: connect\nb: send \"x\"\n");
  c.peer.answer_connects = false;
  c.run();
  c.s.on_connected(0);
  c.run();
  EXPECT_EQ(c.peer.log, (strings{"connect main", "timer 1 5000ms", "write main \"m\\n\"",
                                 "server got main \"m\"", "connect b", "timer 2 5000ms"}));
  EXPECT_FALSE(c.s.finished());
  c.s.on_connected(1);
  c.run();
  EXPECT_TRUE(c.s.result().passed);
  EXPECT_EQ(c.peer.writes(1), strings{"x\n"});
}

TEST(SessionConnections, AFrameOnAnotherConnectionDoesNotSatisfyTheStep) {
  conversation c("send \"m\"\nb: connect\nb: expect \"x\"\n");
  c.run();
  c.peer.reply(0, "x"); // main, not b
  c.run();
  EXPECT_FALSE(c.s.finished());
  c.peer.reply(1, "x");
  EXPECT_TRUE(c.run().passed);
}

TEST(SessionConnections, AFailedConnectFailsTheRun) {
  conversation c("send \"x\"\n");
  c.peer.refuse_connects = "connection refused";
  const verdict& v = c.run();
  ASSERT_TRUE(c.s.finished());
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.expected, "a connection");
  EXPECT_EQ(v.reason, "cannot connect 'main': connection refused");
  EXPECT_TRUE(c.peer.actions_of(session_action::kind::close).empty());
}

TEST(SessionConnections, AFailedNamedConnectNamesItsStep) {
  conversation c("send \"x\"\n\nb: connect\nb: send \"y\"\n");
  c.peer.answer_connects = false;
  c.run();
  c.s.on_connected(0);
  c.run();
  ASSERT_EQ(c.peer.actions_of(session_action::kind::connect),
            (strings{"connect main", "connect b"}));
  ASSERT_FALSE(c.s.finished());
  c.s.on_connect_failed(1, "no route to host");
  c.peer.run();
  const verdict& v = c.s.result();
  ASSERT_TRUE(c.s.finished());
  EXPECT_EQ(v.line, 3u);
  EXPECT_EQ(v.reason, "cannot connect 'b': no route to host");
  EXPECT_EQ(c.peer.actions_of(session_action::kind::close), strings{"close main"});
}

TEST(SessionConnections, AFailedWriteFailsTheRun) {
  conversation c("expect \"hi\"\nsend \"x\"\nexpect \"y\"\n", "line", "whole",
                 answering({}, {"hi"}));
  c.peer.fail_writes = "broken pipe";
  const verdict& v = c.run();
  ASSERT_TRUE(c.s.finished());
  EXPECT_FALSE(v.passed);
  // Writes complete after the session moved on: the failure is reported at
  // the step it was running when the driver told it (the expect after the send).
  EXPECT_EQ(v.line, 3u);
  EXPECT_EQ(v.reason, "cannot write to 'main': broken pipe");
  // The connection is gone: nothing to close.
  EXPECT_TRUE(c.peer.actions_of(session_action::kind::close).empty());
}

TEST(SessionConnections, AFailedWriteIsAResetWhenTheNextExpectAllowsOne) {
  // A server that refuses a huge frame closes while it is still being
  // written: the client's write fails, which is the reset the script allows.
  conversation c("expect \"hi\"\nsend \"x\"\nexpect close or reset\n", "line", "whole",
                 answering({}, {"hi"}));
  c.peer.fail_writes = "connection reset by peer";
  const verdict& v = c.run();
  ASSERT_TRUE(c.s.finished());
  EXPECT_TRUE(v.passed) << to_string(v);
}

TEST(SessionConnections, AFailedWriteIsACloseWhenTheNextExpectAllowsOnlyThat) {
  conversation c("expect \"hi\"\nsend \"x\"\nexpect close\n", "line", "whole",
                 answering({}, {"hi"}));
  c.peer.fail_writes = "broken pipe";
  const verdict& v = c.run();
  ASSERT_TRUE(c.s.finished());
  EXPECT_TRUE(v.passed) << to_string(v);
}

TEST(SessionConnections, AFailedWriteAfterTheResetWasSeenChangesNothing) {
  // The reset arrived, satisfied the expect, and the run moved on to
  // another connection before the driver reported the write that it broke.
  conversation c("send \"x\"\nexpect reset\nb: connect\nb: send \"y\"\n");
  c.s.start();
  c.peer.run();
  c.s.on_peer_reset(0);
  c.peer.run();
  c.s.on_write_failed(0, "connection reset by peer");
  c.peer.run();
  ASSERT_TRUE(c.s.finished());
  EXPECT_TRUE(c.s.result().passed) << to_string(c.s.result());
}

TEST(SessionConnections, AFailedWriteOnAConnectionWithNoStepsLeftChangesNothing) {
  // The server answered before reading the whole send and closed; the
  // script had moved on to another connection and needs nothing more here.
  conversation c("send \"x\"\nexpect any\nb: connect\nb: send \"y\"\n", "line", "whole",
                 answering({{"x", {"err"}}}));
  c.s.start();
  c.peer.run();
  c.s.on_write_failed(0, "connection reset by peer");
  c.peer.run();
  ASSERT_TRUE(c.s.finished());
  EXPECT_TRUE(c.s.result().passed) << to_string(c.s.result());
}

TEST(SessionConnections, AFailedWriteLetsTheFramesThatCameBeforeItBeJudged) {
  // The server answered "err" and reset before reading the send: its answer
  // is judged first, then the reset the script expects.
  conversation c("expect \"hi\"\nsend \"x\"\nexpect \"err\"\nexpect reset\n", "line", "whole",
                 answering({}, {"hi", "err"}));
  c.peer.fail_writes = "connection reset by peer";
  const verdict& v = c.run();
  ASSERT_TRUE(c.s.finished());
  EXPECT_TRUE(v.passed) << to_string(v);
}

TEST(SessionConnections, AFailedWriteStillFailsWhenTheNextExpectWantsAFrame) {
  conversation c("expect \"hi\"\nsend \"x\"\nexpect \"y\" or silence 50ms\n", "line", "whole",
                 answering({}, {"hi"}));
  c.peer.fail_writes = "broken pipe";
  const verdict& v = c.run();
  ASSERT_TRUE(c.s.finished());
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.reason, "cannot write to 'main': broken pipe");
}

TEST(SessionConnections, ConnectingAnOpenConnectionFails) {
  conversation c("send \"x\"\nconnect\n");
  const verdict& v = c.run();
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.line, 2u);
  EXPECT_EQ(v.reason, "connection 'main' is already open");
}

TEST(SessionConnections, SendingOnAClosedConnectionFails) {
  conversation c("b: connect\nb: close\nb: send \"x\"\n");
  const verdict& v = c.run();
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.line, 3u);
  EXPECT_EQ(v.reason, "cannot send: connection 'b' is not open");
}

// --- Timers ----------------------------------------------------------------------------------

TEST(SessionTimers, StaleTimersAreIgnored) {
  conversation c("expect \"one\"\nexpect \"two\"\n");
  c.run();
  const std::uint64_t first = c.peer.last_timer();
  c.peer.reply(0, "one");
  c.run();
  const std::uint64_t second = c.peer.last_timer();
  ASSERT_NE(first, second);
  c.peer.fire(first); // the first step's deadline: that step passed
  EXPECT_FALSE(c.s.finished());
  c.peer.fire(1);   // the connect timer
  c.peer.fire(999); // never started
  EXPECT_FALSE(c.s.finished());
  c.peer.fire(second);
  ASSERT_TRUE(c.s.finished());
  EXPECT_EQ(c.s.result().line, 2u);
  EXPECT_EQ(c.s.result().reason, "timed out");
}

TEST(SessionTimers, ATimerAfterTheVerdictChangesNothing) {
  replying c("expect \"a\"\n", {"a"});
  EXPECT_TRUE(c.run().passed);
  const std::size_t actions = c.peer.actions.size();
  for (const auto& t : std::vector<session_action>(c.peer.timers))
    c.peer.fire(t.timer);
  EXPECT_TRUE(c.s.result().passed);
  EXPECT_EQ(c.peer.actions.size(), actions);
}

// --- The end of a run -------------------------------------------------------------------------

TEST(SessionEnd, APassClosesEveryOpenConnection) {
  conversation c("send \"m\"\nb: connect\nc: connect\nd: connect\nc: reset\nd: shutdown\n");
  EXPECT_TRUE(c.run().passed);
  // c was reset by the script; d was only shut down and is still open.
  EXPECT_EQ(c.peer.actions_of(session_action::kind::close),
            (strings{"close main", "close b", "close d"}));
  EXPECT_EQ(c.peer.actions_of(session_action::kind::reset), strings{"reset c"});
  EXPECT_EQ(c.peer.actions_of(session_action::kind::shutdown), strings{"shutdown d"});
}

TEST(SessionEnd, AFailureClosesEveryOpenConnection) {
  conversation c("b: connect\nexpect \"x\"\n", "line", "whole", answering({}, {"y"}));
  const verdict& v = c.run();
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(c.peer.actions_of(session_action::kind::close), (strings{"close main", "close b"}));
  EXPECT_TRUE(c.s.take_actions().empty());
}

TEST(SessionEnd, NoActionsOrEventsMatterAfterTheVerdict) {
  replying c("expect \"a\"\n", {"a"});
  EXPECT_TRUE(c.run().passed);
  const std::size_t transcript = c.s.result().transcript.size();
  c.s.on_received(0, as_bytes("late\n"));
  c.s.on_peer_reset(0);
  c.s.on_write_failed(0, "late");
  c.s.abort("late");
  EXPECT_TRUE(c.s.result().passed);
  EXPECT_EQ(c.s.result().transcript.size(), transcript);
  EXPECT_TRUE(c.s.take_actions().empty());
}

TEST(SessionEnd, AbortFailsTheCurrentStep) {
  conversation c("send \"x\"\n\nexpect \"y\"\n");
  c.run();
  ASSERT_FALSE(c.s.finished());
  c.s.abort("interrupted");
  c.peer.run();
  const verdict& v = c.s.result();
  ASSERT_TRUE(c.s.finished());
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.step, 1u);
  EXPECT_EQ(v.line, 3u);
  EXPECT_EQ(v.reason, "interrupted");
  EXPECT_EQ(to_string(v), "line 3: interrupted");
  EXPECT_EQ(c.peer.actions_of(session_action::kind::close), strings{"close main"});
}

TEST(SessionEnd, TheVerdictNamesThePlan) {
  conversation c("send \"x\"\n", "line", "random:42");
  EXPECT_EQ(c.s.result().plan, "random:42");
  EXPECT_TRUE(c.run().passed);
  EXPECT_EQ(c.s.result().plan, "random:42");
  conversation chunked("send \"x\"\n", "line", "chunk:3");
  EXPECT_EQ(chunked.run().plan, "chunk:3");
}

TEST(SessionEnd, ToStringOfAPassIsPass) {
  replying c("expect \"a\"\n", {"a"});
  EXPECT_EQ(to_string(c.run()), "pass");
}

TEST(SessionEnd, ToStringOfAFailureGivesLineReasonExpectedAndGot) {
  conversation c(greeting_with_header, "line", "whole",
                 answering({{"alice", {"Hello bob!"}}}, {"Server: Welcome!"}));
  const std::string text = to_string(c.run());
  EXPECT_TRUE(text.starts_with("line 6: ")) << text;
  EXPECT_NE(text.find("the server sent another frame than expected"), std::string::npos) << text;
  EXPECT_NE(text.find("\"Hello alice!\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"Hello bob!\""), std::string::npos) << text;
  EXPECT_LT(text.find("\"Hello alice!\""), text.find("\"Hello bob!\"")) << text;
}

// --- The transcript -----------------------------------------------------------------------------

std::string entry_text(const session& s, const transcript_entry& e) {
  const std::string& name = s.connection_names().at(e.connection);
  switch (e.what) {
  case transcript_entry::kind::sent:
    return "sent " + name + " " + printable(e.bytes);
  case transcript_entry::kind::received_frame:
    return "received " + name + " " + printable(e.bytes);
  case transcript_entry::kind::peer_closed:
    return "fin " + name;
  case transcript_entry::kind::peer_reset:
    return "rst " + name;
  case transcript_entry::kind::connected:
    return "connected " + name;
  case transcript_entry::kind::note:
    return "note " + e.text;
  case transcript_entry::kind::ignored_frame:
    return "ignored " + name + " " + printable(e.bytes);
  }
  return "?";
}

strings transcript_of(const session& s) {
  strings out;
  for (const auto& e : s.result().transcript)
    out.push_back(entry_text(s, e));
  return out;
}

TEST(SessionTranscript, RecordsWhatWasSentAndReceived) {
  conversation c(greeting_script, "line", "whole", greeting_server());
  EXPECT_TRUE(c.run().passed);
  EXPECT_EQ(transcript_of(c.s), (strings{
                                    "connected main",
                                    "received main \"Server: Welcome!\"",
                                    "received main \"What's your name?\"",
                                    "sent main \"alice\\n\"",
                                    "received main \"Hello alice!\"",
                                    "sent main \"bye alice\\n\"",
                                    "received main \"Good bye!\"",
                                }));
}

TEST(SessionTranscript, RecordsCloseResetAndTheFailure) {
  conversation c("b: connect\nb: expect reset\nexpect \"x\"\n");
  c.run();
  c.peer.reset(1);
  c.peer.reply(0, "y");
  c.run();
  ASSERT_TRUE(c.s.finished());
  EXPECT_EQ(transcript_of(c.s), (strings{
                                    "connected main",
                                    "connected b",
                                    "rst b",
                                    "received main \"y\"",
                                    "note failed: the server sent another frame than expected",
                                }));
}

TEST(SessionTranscript, KeepsNoMoreBytesThanItsLimit) {
  session_options options;
  options.transcript_bytes = 4;
  conversation c("send \"abc\"\nsend \"defg\"\n", "line", "whole", {}, options);
  EXPECT_TRUE(c.run().passed);
  const auto& t = c.s.result().transcript;
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(as_text(t[1].bytes), "abc\n");
  EXPECT_EQ(as_text(t[2].bytes), "");
  EXPECT_EQ(t[2].text, "5 more bytes not kept (transcript limit)");
}

} // namespace
} // namespace tcpcheck
