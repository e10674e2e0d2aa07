// Tests for recording/generalize.hpp: values that change made patterns, echoed
// values made captures, shapes refused, the result read back and replayed
// (in a session, against each recording's frames and a third's), binary
// bytes, and long frames.
#include "tcpcheck/recording/generalize.hpp"

#include "tcpcheck/delivery_plan.hpp"
#include "tcpcheck/escape.hpp"
#include "tcpcheck/script.hpp"
#include "tcpcheck/session.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace tcpcheck {
namespace {

using test::script_of;

generalize_result generalized(std::string_view first, std::string_view second) {
  std::string why;
  auto result = generalize(script_of(first), script_of(second), why);
  if (!result) throw std::invalid_argument("refused: " + why);
  return *std::move(result);
}

const expectation& only_outcome(const script& s, std::size_t step) {
  return s.steps.at(step).alternatives.at(0);
}

bool some_note_has(const generalize_result& r, std::string_view what) {
  return std::any_of(r.notes.begin(), r.notes.end(),
                     [&](const std::string& n) { return n.find(what) != std::string::npos; });
}

// What a session made of a script played against a server that sends
// `server_bytes[connection]` as soon as that connection opens.
struct replay_outcome {
  bool passed = false;
  std::string reason;
  std::map<std::string, std::string> sent; // by connection name

  std::string sent_on(const std::string& connection) const {
    const auto bytes = sent.find(connection);
    return bytes == sent.end() ? std::string() : bytes->second;
  }
};

replay_outcome replay(const script& s, const std::map<std::string, std::string>& server_bytes) {
  std::string error;
  session run(s, test::spec_of(s), *parse_delivery_plan("whole", error));
  run.start();
  std::vector<std::uint64_t> timers;
  replay_outcome out;
  for (int round = 0; round < 1000; ++round) {
    auto actions = run.take_actions();
    if (actions.empty()) {
      if (run.finished() || timers.empty()) break;
      run.on_timer(timers.back()); // waiting for more than the server sent
      timers.pop_back();
      continue;
    }
    for (const session_action& a : actions) {
      const std::vector<std::string>& names = run.connection_names();
      const std::string name = a.connection < names.size() ? names[a.connection] : "?";
      if (a.what == session_action::kind::connect) {
        run.on_connected(a.connection);
        const auto bytes = server_bytes.find(name);
        if (bytes != server_bytes.end()) run.on_received(a.connection, as_bytes(bytes->second));
      } else if (a.what == session_action::kind::write) {
        out.sent[name] += std::string(as_text(a.bytes));
      } else if (a.what == session_action::kind::start_timer) {
        timers.push_back(a.timer);
      }
    }
  }
  out.passed = run.finished() && run.result().passed;
  out.reason = to_string(run.result());
  return out;
}

// --- Values that change --------------------------------------------------------------------

constexpr std::string_view first_login = R"(# recorded
framing line

expect "HELLO server ready at 12:30:01"
send "LOGIN alice"
expect "SESSION 4f2a"
send "AUTH 4f2a"
expect "OK"
)";

constexpr std::string_view second_login = R"(# recorded
framing line

expect "HELLO server ready at 12:31:47"
send "LOGIN alice"
expect "SESSION 91bc"
send "AUTH 91bc"
expect "OK"
)";

TEST(Generalize, MakesTimestampsAndIdsPatterns) {
  const auto r = generalized(first_login, second_login);
  const expectation& hello = only_outcome(r.general, 0);
  EXPECT_EQ(hello.what, expectation::kind::regex);
  EXPECT_EQ(hello.pattern, "^HELLO server ready at 12:[0-9]{2}:[0-9]{2}$");
  EXPECT_TRUE(hello.capture.empty());
  EXPECT_TRUE(
      some_note_has(r, "line 4: the server's frame differs (\"30\" / \"31\", \"01\" / \"47\")"));
}

TEST(Generalize, MakesAnEchoedTokenACaptureAndAVariable) {
  const auto r = generalized(first_login, second_login);
  const expectation& session_id = only_outcome(r.general, 2);
  EXPECT_EQ(session_id.pattern, "^SESSION ([0-9a-fA-F]{4})$");
  EXPECT_EQ(session_id.capture, "v1");
  EXPECT_EQ(to_string(r.general.steps[3]), "send \"AUTH ${v1}\"");
  EXPECT_TRUE(some_note_has(r, "line 7: sends the value the server sent at line 6"));
}

TEST(Generalize, LeavesEqualStepsAsTheyAre) {
  const auto r = generalized(first_login, second_login);
  const script first = script_of(first_login);
  for (const std::size_t step : {1u, 4u})
    EXPECT_EQ(to_string(r.general.steps[step]), to_string(first.steps[step]));
  EXPECT_EQ(r.general.framing, first.framing);
  EXPECT_EQ(r.general.description, "recorded");
  EXPECT_FALSE(some_note_has(r, "line 5"));
}

TEST(Generalize, ChangesNothingInTwoEqualRecordings) {
  const auto r = generalized(first_login, first_login);
  EXPECT_EQ(to_string(r.general), to_string(script_of(first_login)));
  EXPECT_TRUE(r.notes.empty());
}

TEST(Generalize, KeepsAClientValueNoServerFrameGaveWithANote) {
  const auto r = generalized("framing line\nexpect \"hi\"\nsend \"PING 1700000001 from alice\"\n",
                             "framing line\nexpect \"hi\"\nsend \"PING 1700000042 from alice\"\n");
  EXPECT_EQ(to_string(r.general.steps[1]), "send \"PING 1700000001 from alice\"");
  EXPECT_TRUE(some_note_has(r, "line 3: the client's frame differs (\"1700000001\" / "
                               "\"1700000042\") where no value the server sent explains it"));
}

TEST(Generalize, NamesVariablesApartFromThoseTheRecordingUses) {
  const auto r = generalized("framing line\nexpect regex \"(.*)\" as v1\nexpect \"id 17\"\n"
                             "send \"x 17\"\n",
                             "framing line\nexpect regex \"(.*)\" as v1\nexpect \"id 29\"\n"
                             "send \"x 29\"\n");
  EXPECT_EQ(only_outcome(r.general, 1).capture, "v2");
  EXPECT_EQ(to_string(r.general.steps[2]), "send \"x ${v2}\"");
}

TEST(Generalize, CapturesAValueOfSeveralPartsWhole) {
  const auto r = generalized("framing line\nexpect \"id=550e8400-e29b-41d4-a716-446655440000;\"\n"
                             "send \"GET 550e8400-e29b-41d4-a716-446655440000\"\n",
                             "framing line\nexpect \"id=6ba7b810-9dad-11d1-80b4-00c04fd430c8;\"\n"
                             "send \"GET 6ba7b810-9dad-11d1-80b4-00c04fd430c8\"\n");
  EXPECT_EQ(only_outcome(r.general, 0).pattern,
            "^id=([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12});$");
  EXPECT_EQ(to_string(r.general.steps[1]), "send \"GET ${v1}\"");
}

TEST(Generalize, FindsAnEchoedValueInsideALongerWord) {
  const auto r = generalized("framing line\nexpect \"key 4f2a\"\nsend \"sig=X4f2aY\"\n",
                             "framing line\nexpect \"key 91bc\"\nsend \"sig=X91bcY\"\n");
  EXPECT_EQ(to_string(r.general.steps[1]), "send \"sig=X${v1}Y\"");
  EXPECT_EQ(r.notes.size(), 2u) << "the frame made a pattern, the send its echo; nothing else";
}

TEST(Generalize, FindsAValueTheServerGaveOnAnotherConnection) {
  const auto r =
      generalized("framing line\nexpect \"PORT 4711\"\nb: connect\nb: send \"JOIN 4711\"\n",
                  "framing line\nexpect \"PORT 5123\"\nb: connect\nb: send \"JOIN 5123\"\n");
  EXPECT_EQ(only_outcome(r.general, 0).capture, "v1");
  EXPECT_EQ(to_string(r.general.steps[2]), "b: send \"JOIN ${v1}\"");
}

TEST(Generalize, EchoesTheClientsValueInAServersReply) {
  const auto r =
      generalized("role server\nframing line\nexpect \"HELLO id=17\"\nsend \"WELCOME 17\"\n",
                  "role server\nframing line\nexpect \"HELLO id=29\"\nsend \"WELCOME 29\"\n");
  EXPECT_EQ(only_outcome(r.general, 0).pattern, "^HELLO id=([0-9]{2})$");
  EXPECT_EQ(to_string(r.general.steps[1], script_role::server), "send \"WELCOME ${v1}\"");
  EXPECT_TRUE(some_note_has(r, "line 3: the client's frame differs"));
}

// --- Shapes -----------------------------------------------------------------------------

TEST(Generalize, RefusesRecordingsOfDifferentShapesNamingTheLine) {
  std::string why;
  EXPECT_FALSE(generalize(script_of("framing line\n\nexpect \"a\"\nsend \"b\"\n"),
                          script_of("framing line\n\nexpect \"a\"\nexpect \"b\"\n"), why));
  EXPECT_NE(why.find("step 2: line 4 of the first is 'send \"b\"', line 4 of the second "
                     "'expect \"b\"'"),
            std::string::npos)
      << why;
  why.clear();
  EXPECT_FALSE(generalize(script_of("framing line\nsend \"a\"\n"),
                          script_of("framing line\nsend \"a\"\nb: connect\n"), why));
  EXPECT_NE(why.find("line 3 of the second ('b: connect') has no counterpart"), std::string::npos)
      << why;
  why.clear();
  EXPECT_FALSE(generalize(script_of("framing line\nsend \"a\"\n"),
                          script_of("framing line\nb: connect\n"), why));
  EXPECT_NE(why.find("line 2 of the first"), std::string::npos) << why;
  why.clear();
  EXPECT_FALSE(generalize(script_of("framing line\nexpect \"a\" or close\n"),
                          script_of("framing line\nexpect \"a\" or reset\n"), why));
  EXPECT_NE(why.find("line 2"), std::string::npos) << why;
  why.clear();
  EXPECT_FALSE(generalize(script_of("framing line\nsend \"a\"\n"),
                          script_of("framing len:u8\nsend \"a\"\n"), why));
  EXPECT_NE(why.find("different framings ('line' and 'len:u8')"), std::string::npos) << why;
}

TEST(Generalize, KeepsOtherDifferencesAsInTheFirstWithANote) {
  const auto r = generalized("framing line\nexpect \"a\" or close\nsleep 10ms\nexpect any 2\n",
                             "framing line\nexpect \"b\" or close\nsleep 20ms\nexpect any 3\n");
  EXPECT_EQ(to_string(r.general), to_string(script_of("framing line\nexpect \"a\" or close\n"
                                                      "sleep 10ms\nexpect any 2\n")));
  EXPECT_EQ(r.notes.size(), 3u);
  EXPECT_TRUE(some_note_has(r, "line 3: differs between the recordings (the second has 'sleep "
                               "20ms'): kept as in the first"));
}

// --- The result reads back and replays -----------------------------------------------------

TEST(Generalize, ReadsBackAsTheSameScript) {
  const auto r = generalized(first_login, second_login);
  script_error error;
  const auto reread = parse_script(to_string(r.general), error);
  ASSERT_TRUE(reread) << error.to_string("generalized");
  EXPECT_EQ(*reread, r.general);
}

TEST(Generalize, ItsPatternsMatchBothRecordingsAndItsSendsAreTheirs) {
  const auto r = generalized(first_login, second_login);
  const replay_outcome first =
      replay(r.general, {{"main", "HELLO server ready at 12:30:01\nSESSION 4f2a\nOK\n"}});
  ASSERT_TRUE(first.passed) << first.reason;
  EXPECT_EQ(first.sent_on("main"), "LOGIN alice\nAUTH 4f2a\n");
  const replay_outcome second =
      replay(r.general, {{"main", "HELLO server ready at 12:31:47\nSESSION 91bc\nOK\n"}});
  EXPECT_TRUE(second.passed) << second.reason;
  EXPECT_EQ(second.sent_on("main"), "LOGIN alice\nAUTH 91bc\n");
}

TEST(Generalize, MatchesAThirdRecordingAndEchoesItsValue) {
  const auto r = generalized(first_login, second_login);
  const replay_outcome third =
      replay(r.general, {{"main", "HELLO server ready at 12:59:00\nSESSION e07d\nOK\n"}});
  EXPECT_TRUE(third.passed) << third.reason;
  EXPECT_EQ(third.sent_on("main"), "LOGIN alice\nAUTH e07d\n");
  const replay_outcome other_server =
      replay(r.general, {{"main", "HELLO server ready at 12:59:00\nSESSION e07\nOK\n"}});
  EXPECT_FALSE(other_server.passed) << "a 3-digit id does not fit a pattern of 4";
}

TEST(Generalize, EscapesBinaryBytesInPatterns) {
  // A length-prefixed frame with NUL, a newline, a quote, a regex operator and high bytes.
  const std::string first = "framing len:u8\nexpect \"\\0\\n\\\"+.\\xff id=17\"\n";
  const std::string second = "framing len:u8\nexpect \"\\0\\n\\\"+.\\xff id=29\"\n";
  const auto r = generalized(first, second);
  const expectation& e = only_outcome(r.general, 0);
  EXPECT_EQ(e.pattern, "^\\x00\\x0a\\\"\\+\\.\\xff id=[0-9]{2}$");
  script_error error;
  EXPECT_TRUE(parse_script(to_string(r.general), error)) << error.to_string("generalized");
  for (const std::string_view value : {"17", "29", "55"}) {
    std::string frame = std::string("\0\n\"+.\xff id=", 10) + std::string(value);
    const std::string wire = std::string(1, static_cast<char>(frame.size())) + frame;
    const replay_outcome got = replay(r.general, {{"main", wire}});
    EXPECT_TRUE(got.passed) << value << ": " << got.reason;
  }
}

TEST(Generalize, MatchesDifferingBytesOfAnyKindAndLength) {
  const auto r = generalized("framing line\nexpect \"<\\x01\\x02>\"\nexpect \"[]\"\n",
                             "framing line\nexpect \"<\\xfe>\"\nexpect \"[x]\"\n");
  EXPECT_EQ(only_outcome(r.general, 0).pattern, "^<(?s:.)+>$");
  EXPECT_EQ(only_outcome(r.general, 1).pattern, "^\\[[A-Za-z0-9+/=_-]*\\]$");
}

TEST(Generalize, GeneralizesFramesWithEqualHeaderFields) {
  constexpr std::string_view spec = "framing \"len:u32be,field=type:u8,adjust=-4\"\n";
  const auto r = generalized(std::string(spec) + "expect type=\"K\" \"pid 4711\"\n"
                                                 "expect type=\"Z\" \"I\"\n",
                             std::string(spec) + "expect type=\"K\" \"pid 5123\"\n"
                                                 "expect type=\"E\" \"I\"\n");
  EXPECT_EQ(to_string(r.general.steps[0]), "expect type=\"K\" regex \"^pid [0-9]{4}$\"");
  EXPECT_EQ(to_string(r.general.steps[1]), "expect type=\"Z\" \"I\"");
  EXPECT_TRUE(some_note_has(r, "line 3: differs between the recordings"));
}

// Random frames of bytes that are special somewhere (to RE2, to scripts, to
// line framing), recorded twice with parts changed.
TEST(Generalize, RandomRecordingsReadBackMatchBothAndReplayTheFirstsSends) {
  static constexpr char special[] = "\0\n\"\\${}().*+?[]^|-=/ \xff\x80"
                                    "aZ09";
  const std::string_view alphabet(special, sizeof special - 1); // the NUL included
  std::mt19937 random(7);
  const auto pick = [&](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n)(random);
  };
  const auto some_bytes = [&] {
    std::string out(pick(6), ' ');
    for (char& c : out)
      c = alphabet[pick(alphabet.size() - 1)];
    return out;
  };
  const auto wire = [](const std::string& frame) {
    return std::string{static_cast<char>(frame.size() >> 8),
                       static_cast<char>(frame.size() & 0xff)} +
           frame;
  };
  const auto text = [](const std::string& bytes) {
    return "\"" + escape(as_bytes(bytes), "\"$", true) + "\"";
  };
  for (int round = 0; round < 200; ++round) {
    std::string first = "framing len:u16be\n", second = first, first_replies, second_replies,
                first_sends;
    for (int step = 0; step < 3; ++step) {
      const std::string shared = some_bytes(), a = some_bytes(), b = some_bytes(),
                        tail = some_bytes();
      first += "expect " + text(shared + a + tail) + "\nsend " + text(a + shared) + "\n";
      second += "expect " + text(shared + b + tail) + "\nsend " + text(b + shared) + "\n";
      first_replies += wire(shared + a + tail);
      second_replies += wire(shared + b + tail);
      first_sends += wire(a + shared);
    }
    SCOPED_TRACE(first + second);
    const auto r = generalized(first, second);
    script_error error;
    const auto reread = parse_script(to_string(r.general), error);
    ASSERT_TRUE(reread) << error.to_string("generalized");
    EXPECT_EQ(*reread, r.general);
    const replay_outcome with_first = replay(r.general, {{"main", first_replies}});
    EXPECT_TRUE(with_first.passed) << with_first.reason;
    EXPECT_EQ(with_first.sent_on("main"), first_sends);
    const replay_outcome with_second = replay(r.general, {{"main", second_replies}});
    EXPECT_TRUE(with_second.passed) << with_second.reason;
  }
}

// --- Bounds ------------------------------------------------------------------------------

std::string numbers(int from, int count) {
  std::string out;
  for (int i = 0; i < count; ++i)
    out += std::to_string(from + i) + " ";
  return out;
}

TEST(Generalize, AlignsLongFramesByTheirCommonEndsOnly) {
  // 4,000 tokens that all differ: beyond what is aligned token by token.
  const std::string a = "BEGIN " + numbers(0, 2000) + "END";
  const std::string b = "BEGIN " + numbers(1, 2000) + "END";
  const auto r = generalized("framing \"line,max=1M\"\nexpect \"" + a + "\"\n",
                             "framing \"line,max=1M\"\nexpect \"" + b + "\"\n");
  EXPECT_EQ(only_outcome(r.general, 0).pattern, "^BEGIN (?s:.)+ END$");
}

TEST(Generalize, KeepsAFrameTooLongForAPatternWithANote) {
  const std::string a = numbers(0, 1000) + "at 17";
  const std::string b = numbers(0, 1000) + "at 29";
  const auto r = generalized("framing \"line,max=1M\"\nexpect \"" + a + "\"\n",
                             "framing \"line,max=1M\"\nexpect \"" + b + "\"\n");
  EXPECT_EQ(only_outcome(r.general, 0).what, expectation::kind::exact);
  EXPECT_EQ(test::literal_of(only_outcome(r.general, 0).text), test::bytes_of(a));
  EXPECT_TRUE(some_note_has(r, "no pattern of at most 1024 characters matches both"));
}

} // namespace
} // namespace tcpcheck
