// Tests for conversation_recorder.hpp: traffic in, the script that replays it out.
#include "tcpcheck/recording/conversation_recorder.hpp"

#include "tcpcheck/frame_encoder.hpp"

#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace tcpcheck {
namespace {

using strings = std::vector<std::string>;
constexpr auto client = traffic_side::client;
constexpr auto server = traffic_side::server;

// Each step's canonical text: what a reader of the recording sees.
strings steps_of(const script& s) {
  strings out;
  for (const auto& step : s.steps)
    out.push_back(to_string(step));
  return out;
}

recording_options with_framing(std::string framing) {
  recording_options o;
  o.framing = std::move(framing);
  return o;
}

bool any_note_has(const std::vector<std::string>& notes, const std::string& part) {
  for (const auto& n : notes)
    if (n.find(part) != std::string::npos) return true;
  return false;
}

TEST(ConversationRecorder, RecordsClientFramesAsSendsAndServerFramesAsExpects) {
  conversation_recorder r(with_framing("line"));
  const auto c = r.open_connection();
  r.data(c, client, as_bytes("PING\n"));
  r.data(c, server, as_bytes("+PONG\n"));
  r.data(c, client, as_bytes("QUIT\n"));
  const script s = r.finish();
  EXPECT_EQ(steps_of(s), (strings{"send \"PING\"", "expect \"+PONG\"", "send \"QUIT\""}));
  EXPECT_EQ(s.framing, "line");
  EXPECT_TRUE(r.notes().empty());
}

TEST(ConversationRecorder, GathersFramesCutAcrossCallsWhereverTheCutsFall) {
  const std::string stream = "PING\nQUIT\n";
  const strings expected{"send \"PING\"", "send \"QUIT\""};
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    conversation_recorder r(with_framing("line"));
    const auto c = r.open_connection();
    r.data(c, client, as_bytes(stream).first(cut));
    r.data(c, client, as_bytes(stream).subspan(cut));
    EXPECT_EQ(steps_of(r.finish()), expected) << "cut at " << cut;
  }
  conversation_recorder bytewise(with_framing("line"));
  const auto c = bytewise.open_connection();
  for (char ch : stream)
    bytewise.data(c, client, as_bytes(std::string(1, ch)));
  EXPECT_EQ(steps_of(bytewise.finish()), expected);
}

TEST(ConversationRecorder, NamesLaterConnectionsAndOpensThemWhereTheyOpened) {
  conversation_recorder r(with_framing("line"));
  const auto a = r.open_connection();
  r.data(a, client, as_bytes("one\n"));
  const auto b = r.open_connection();
  r.data(b, client, as_bytes("two\n"));
  r.data(a, server, as_bytes("1\n"));
  r.data(b, server, as_bytes("2\n"));
  const auto c = r.open_connection();
  r.data(c, client, as_bytes("three\n"));
  EXPECT_EQ(steps_of(r.finish()),
            (strings{"send \"one\"", "c2: connect", "c2: send \"two\"", "expect \"1\"",
                     "c2: expect \"2\"", "c3: connect", "c3: send \"three\""}));
}

TEST(ConversationRecorder, OpensAConnectionSeenAfterMainEndedAfterMainsEnd) {
  conversation_recorder r(with_framing("line"));
  const auto a = r.open_connection();
  r.data(a, client, as_bytes("bye\n"));
  r.end(a, client, stream_end::fin);
  r.end(a, server, stream_end::fin);
  const auto b = r.open_connection();
  r.data(b, client, as_bytes("again\n"));
  EXPECT_EQ(steps_of(r.finish()), (strings{"send \"bye\"", "shutdown", "expect close",
                                           "c2: connect", "c2: send \"again\""}));
}

TEST(ConversationRecorder, RecordsFinAndResetOfBothSides) {
  conversation_recorder r(with_framing("line"));
  const auto a = r.open_connection();
  const auto b = r.open_connection();
  r.data(a, client, as_bytes("x\n"));
  r.end(a, client, stream_end::fin);
  r.data(a, server, as_bytes("y\n"));
  r.end(a, server, stream_end::fin);
  r.end(b, server, stream_end::reset);
  const auto c = r.open_connection();
  r.end(c, client, stream_end::reset);
  EXPECT_EQ(steps_of(r.finish()),
            (strings{"c2: connect", "send \"x\"", "shutdown", "expect \"y\"", "expect close",
                     "c2: expect reset", "c3: connect", "c3: reset"}));
}

TEST(ConversationRecorder, SendsClientBytesLeftOverAtTheEndRaw) {
  conversation_recorder r(with_framing("line"));
  const auto c = r.open_connection();
  r.data(c, client, as_bytes("PING\nHAL"));
  r.end(c, client, stream_end::fin);
  EXPECT_EQ(steps_of(r.finish()), (strings{"send \"PING\"", "send raw \"HAL\"", "shutdown"}));
}

TEST(ConversationRecorder, FinishIsASnapshotThatFlushesAPartialFrameOnlyInWhatItReturns) {
  conversation_recorder r(with_framing("line"));
  const auto c = r.open_connection();
  r.data(c, client, as_bytes("PI"));
  r.data(c, server, as_bytes("hal"));
  EXPECT_EQ(steps_of(r.finish()), strings{"send raw \"PI\""});
  ASSERT_EQ(r.notes().size(), 1u);
  EXPECT_NE(r.notes()[0].find("3 bytes of the server's unfinished frame"), std::string::npos);
  r.data(c, client, as_bytes("NG\n"));
  r.data(c, server, as_bytes("f\n"));
  EXPECT_EQ(steps_of(r.finish()), (strings{"send \"PING\"", "expect \"half\""}));
  EXPECT_TRUE(r.notes().empty());
}

TEST(ConversationRecorder, SendsAFrameTheSpecWouldWriteOtherwiseRaw) {
  // `line` drops the CR, and would write the frame back with LF alone.
  conversation_recorder r(with_framing("line"));
  const auto c = r.open_connection();
  r.data(c, client, as_bytes("PING\r\nQUIT\n"));
  r.data(c, server, as_bytes("+PONG\r\n"));
  EXPECT_EQ(steps_of(r.finish()),
            (strings{"send raw \"PING\\r\\n\"", "send \"QUIT\"", "expect \"+PONG\""}));
}

TEST(ConversationRecorder, PutsHeaderFieldsOnSendsAndExpects) {
  const std::string spec_text = "len:u32be,field=type:u8,adjust=-4";
  conversation_recorder r(with_framing(spec_text));
  const auto c = r.open_connection();
  const std::string query("Q\0\0\0\x0dSELECT 1\0", 14);
  const std::string ready("Z\0\0\0\x05I", 6);
  r.data(c, client, as_bytes(query));
  r.data(c, server, as_bytes(ready));
  const script s = r.finish();
  EXPECT_EQ(steps_of(s), (strings{"send type=0x51 \"SELECT 1\\0\"", "expect type=0x5a \"I\""}));
  // The send writes back the very bytes recorded.
  const framing_spec spec = test::spec_of(spec_text);
  byte_buffer wire;
  ASSERT_FALSE(encode_frame(spec, test::literal_of(s.steps[0].payload),
                            field_values_for(spec, s.steps[0].fields), wire));
  EXPECT_EQ(wire, test::bytes_of(query));
}

TEST(ConversationRecorder, NotesWhereTheClientStoppedDecodingAndSendsTheRestRaw) {
  conversation_recorder r(with_framing("line,max=4"));
  const auto c = r.open_connection();
  r.data(c, client, as_bytes("ok\ntoolong\nx"));
  r.data(c, client, as_bytes("more\n"));
  EXPECT_EQ(steps_of(r.finish()),
            (strings{"send \"ok\"", "send raw \"toolong\\nx\"", "send raw \"more\\n\""}));
  ASSERT_EQ(r.notes().size(), 1u);
  EXPECT_NE(r.notes()[0].find("main: the client's bytes stopped decoding"), std::string::npos);
  EXPECT_NE(r.notes()[0].find("at byte 3"), std::string::npos) << r.notes()[0];
  EXPECT_NE(r.notes()[0].find("max=4"), std::string::npos) << r.notes()[0];
}

TEST(ConversationRecorder, LeavesOutTheServersBytesAfterItStoppedDecodingAndCountsThem) {
  conversation_recorder r(with_framing("line,max=4"));
  r.open_connection();
  const auto c = r.open_connection();
  r.data(c, server, as_bytes("ok\ntoolong\n")); // the error is at byte 3: 8 bytes on
  r.data(c, server, as_bytes("more\n"));
  r.end(c, server, stream_end::fin);
  EXPECT_EQ(steps_of(r.finish()),
            (strings{"c2: connect", "c2: expect \"ok\"", "c2: expect close"}));
  ASSERT_EQ(r.notes().size(), 1u);
  const std::string& note = r.notes()[0];
  EXPECT_NE(note.find("c2: the server's bytes stopped decoding"), std::string::npos) << note;
  EXPECT_NE(note.find("at byte 3"), std::string::npos) << note;
  EXPECT_NE(note.find("its 13 bytes from there on are left out"), std::string::npos) << note;
}

TEST(ConversationRecorder, NotesAServerFrameCutShortByItsFin) {
  conversation_recorder r(with_framing("line"));
  const auto c = r.open_connection();
  r.data(c, server, as_bytes("a\nbc"));
  r.end(c, server, stream_end::fin);
  EXPECT_EQ(steps_of(r.finish()), (strings{"expect \"a\"", "expect close"}));
  EXPECT_TRUE(any_note_has(r.notes(), "main: the server's stream ended inside a frame"));
}

TEST(ConversationRecorder, SendsTheBytesOfAFrameTheClientsDecoderSkippedRaw) {
  // too-long=discard skips the frame, but the server got its bytes.
  conversation_recorder r(with_framing("line,max=3,too-long=discard"));
  const auto c = r.open_connection();
  r.data(c, client, as_bytes("a\nlonger\nb\n"));
  EXPECT_EQ(steps_of(r.finish()), (strings{"send \"a\"", "send raw \"longer\\n\"", "send \"b\""}));
}

TEST(ConversationRecorder, LeavesOutWhatComesOverTheBoundAndCountsIt) {
  recording_options o = with_framing("line");
  o.most_bytes = 10;
  conversation_recorder r(o);
  const auto c = r.open_connection();
  r.data(c, client, as_bytes("12345\n"));
  r.data(c, server, as_bytes("1234\n"));
  r.data(c, client, as_bytes("12\n")); // 5 + 4 + 2 > 10: from here on, nothing
  r.data(c, server, as_bytes("later\n"));
  r.end(c, client, stream_end::fin);
  r.open_connection();
  EXPECT_EQ(steps_of(r.finish()), (strings{"send \"12345\"", "expect \"1234\""}));
  ASSERT_EQ(r.notes().size(), 1u);
  EXPECT_NE(r.notes()[0].find("at most 10 payload bytes"), std::string::npos) << r.notes()[0];
  EXPECT_NE(r.notes()[0].find("the 9 bytes of traffic not recorded"), std::string::npos)
      << r.notes()[0];
}

TEST(ConversationRecorder, CountsTheDecodersBuffersInTheBound) {
  // "abc" is held twice: as client bytes not yet a step, and in the
  // decoder's buffer of the partial line. The second piece does not fit:
  // what was held is written as finish() would have, the rest left out.
  recording_options o = with_framing("line");
  o.most_bytes = 8;
  conversation_recorder r(o);
  const auto c = r.open_connection();
  r.data(c, client, as_bytes("abc"));
  EXPECT_EQ(r.held_bytes(), 6u);
  for (int i = 0; i < 3; ++i)
    r.data(c, client, as_bytes("abc")); // never a whole line
  EXPECT_EQ(r.held_bytes(), 0u);
  EXPECT_EQ(steps_of(r.finish()), strings{"send raw \"abc\""});
  EXPECT_TRUE(any_note_has(r.notes(), "the 9 bytes of traffic not recorded"))
      << ::testing::PrintToString(r.notes());
}

// Payload bytes of the steps: what a recording writes.
std::uint64_t payload_of(const script& s) {
  std::uint64_t n = 0;
  for (const auto& step : s.steps) {
    n += test::literal_of(step.payload).size();
    for (const auto& e : step.alternatives)
      n += test::literal_of(e.text).size();
  }
  return n;
}

// The number in a note's "the N bytes of traffic".
std::uint64_t bytes_left_out(const std::vector<std::string>& notes) {
  for (const auto& n : notes)
    if (n.find("payload bytes") != std::string::npos)
      return std::stoull(n.substr(n.find("and the ") + 8));
  return 0;
}

TEST(ConversationRecorder, BoundsWhatItHoldsAndWritesOverAllConnectionsTogether) {
  // Twenty connections each sending a long line without its end, in
  // pieces, turn about: each alone fits, together they do not.
  constexpr std::uint64_t bound = 64 << 10;
  constexpr std::size_t connections = 20, piece = 1000, pieces = 7;
  for (const auto side : {client, server}) {
    SCOPED_TRACE(side == client ? "clients" : "servers");
    recording_options o = with_framing("line");
    o.most_bytes = bound;
    conversation_recorder r(o);
    std::vector<std::size_t> ids;
    for (std::size_t i = 0; i < connections; ++i)
      ids.push_back(r.open_connection());
    r.data(ids[0], side, as_bytes("a whole line\n"));
    std::uint64_t fed = 13;
    for (std::size_t k = 0; k < pieces; ++k)
      for (const auto id : ids) {
        r.data(id, side, as_bytes(std::string(piece, 'x')));
        fed += piece;
        EXPECT_LE(r.held_bytes(), bound);
        EXPECT_LE(payload_of(r.finish()), bound);
      }
    const script s = r.finish();
    EXPECT_LE(payload_of(s), bound);
    EXPECT_EQ(r.held_bytes(), 0u); // it stopped: what the connections held is given back
    // Every byte is in the script or counted as left out, and the whole
    // line before the bound is kept.
    EXPECT_EQ(payload_of(s) + bytes_left_out(r.notes()), fed - 1)
        << ::testing::PrintToString(r.notes());
    EXPECT_EQ(steps_of(s).at(connections - 1),
              side == client ? "send \"a whole line\"" : "expect \"a whole line\"");
    if (side == client) // the held partial lines are written as sent
      EXPECT_GT(payload_of(s), bound / 4);
    else // a server's partial frame is never expected
      EXPECT_EQ(payload_of(s), 12u);
    EXPECT_TRUE(any_note_has(r.notes(), "at most 65536 payload bytes"));
  }
}

TEST(ConversationRecorder, LeavesOutAWholeFrameThatWouldGoOverWhatIsLeft) {
  // c2 holds 21 bytes of a server frame; main's 10-byte line does not fit
  // beside them under a bound of 30, however little main itself holds.
  recording_options o = with_framing("line");
  o.most_bytes = 30;
  conversation_recorder r(o);
  const auto a = r.open_connection();
  const auto b = r.open_connection();
  r.data(b, server, as_bytes(std::string(21, 'x')));
  r.data(a, client, as_bytes("0123456789\n"));
  r.data(a, client, as_bytes("more\n"));
  EXPECT_EQ(steps_of(r.finish()), (strings{"c2: connect"}));
  EXPECT_EQ(bytes_left_out(r.notes()), 21u + 11 + 5);
}

TEST(ConversationRecorder, LeavesOutConnectionsAScriptCannotHold) {
  conversation_recorder r(with_framing("line"));
  for (std::size_t i = 0; i < script_limits::most_connections; ++i)
    r.open_connection();
  const auto extra = r.open_connection();
  r.data(extra, client, as_bytes("hi\n"));
  r.end(extra, client, stream_end::fin);
  const script s = r.finish();
  EXPECT_EQ(s.connections().size(), script_limits::most_connections - 1); // main has no step
  ASSERT_EQ(r.notes().size(), 1u);
  EXPECT_NE(r.notes()[0].find("the 1 opened after them (3 bytes)"), std::string::npos)
      << r.notes()[0];
}

TEST(ConversationRecorder, LeavesOutBytesAfterAResetAndSaysSo) {
  conversation_recorder r(with_framing("line"));
  const auto c = r.open_connection();
  r.data(c, client, as_bytes("a\n"));
  r.end(c, server, stream_end::reset);
  r.data(c, client, as_bytes("late\n"));
  r.end(c, client, stream_end::fin);
  EXPECT_EQ(steps_of(r.finish()), (strings{"send \"a\"", "expect reset"}));
  EXPECT_TRUE(any_note_has(r.notes(), "main: 5 bytes sent after"));
}

TEST(ConversationRecorder, NotesTheServersUnfinishedFrameWhenTheClientResets) {
  conversation_recorder r(with_framing("line"));
  const auto c = r.open_connection();
  r.data(c, server, as_bytes("a\nhal"));
  r.end(c, client, stream_end::reset);
  EXPECT_EQ(steps_of(r.finish()), (strings{"expect \"a\"", "reset"}));
  EXPECT_EQ(r.notes(), (strings{"main: the 3 bytes of the server's unfinished frame before the "
                                "reset are left out"}));
  EXPECT_EQ(r.held_bytes(), 0u);
}

TEST(ConversationRecorder, RefusesAFramingThatDoesNotParse) {
  EXPECT_THROW(conversation_recorder(with_framing("len:u33")), std::invalid_argument);
}

TEST(ConversationRecorder, RejectsAConnectionNeverOpened) {
  conversation_recorder r(with_framing("line"));
  EXPECT_THROW(r.data(0, client, as_bytes("x\n")), std::out_of_range);
}

TEST(ConversationRecorder, WritesTheTimeoutAndDescriptionItIsGiven) {
  recording_options o = with_framing("line,crlf");
  o.description = "redis\nsession";
  o.timeout = duration{1500};
  conversation_recorder r(o);
  const script s = r.finish();
  EXPECT_EQ(s.description, "redis session");
  EXPECT_EQ(s.timeout, duration{1500});
  EXPECT_EQ(s.framing, "line,crlf");
}

TEST(RecordingText, ReadsBackAsTheSameScriptWithTheNotesAsComments) {
  recording_options o = with_framing("line,max=4");
  o.description = "checks: a recording";
  o.timeout = duration{2000};
  conversation_recorder r(o);
  const auto a = r.open_connection();
  const auto b = r.open_connection();
  r.data(a, client, as_bytes("ok\n$x\"\n"));
  r.data(b, server, as_bytes("toolong\n"));
  r.end(a, client, stream_end::reset);
  const script recorded = r.finish();
  ASSERT_FALSE(r.notes().empty());
  const std::string text = recording_text(recorded, r.notes());
  EXPECT_EQ(text.rfind("# checks: a recording\n# note: c2: the server's bytes", 0), 0u) << text;

  script_error error;
  const auto parsed = parse_script(text, error);
  ASSERT_TRUE(parsed) << error.to_string("recording") << "\n" << text;
  EXPECT_EQ(parsed->description, "checks: a recording");
  EXPECT_EQ(to_string(*parsed), to_string(recorded));
}

TEST(RecordingText, KeepsNotesOutOfTheDescriptionOfAScriptWithoutOne) {
  script s = test::script_of("framing line\nsend \"a\"\n");
  const std::string text = recording_text(s, {"something left out"});
  script_error error;
  const auto parsed = parse_script(text, error);
  ASSERT_TRUE(parsed) << error.to_string("recording");
  EXPECT_EQ(parsed->description, "");
  EXPECT_NE(text.find("# note: something left out\n"), std::string::npos) << text;
}

} // namespace
} // namespace tcpcheck
