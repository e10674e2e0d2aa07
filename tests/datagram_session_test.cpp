// Tests for UDP scripts in the sans-I/O core: sessions under `transport udp`
// (one datagram in, one decode; one send out, one write), and the `datagram`
// framing kind they read with (spec text, encoder, decoder, script parser).
#include "tcpcheck/bytes.hpp"
#include "tcpcheck/delivery_plan.hpp"
#include "tcpcheck/error.hpp"
#include "tcpcheck/frame_decoder.hpp"
#include "tcpcheck/frame_encoder.hpp"
#include "tcpcheck/framing_spec.hpp"
#include "tcpcheck/script.hpp"
#include "tcpcheck/session.hpp"

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace tcpcheck {
namespace {

using strings = std::vector<std::string>;
using action_kind = session_action::kind;

delivery_plan plan_of(std::string_view text) {
  std::string error;
  const auto plan = parse_delivery_plan(text, error);
  if (!plan) throw std::invalid_argument(error);
  return *plan;
}

bool mentions(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// --- The fake peer ---------------------------------------------------------------

/// A session and what a socket would do for it: every connect succeeds at
/// once; each receive() is one datagram (or, over TCP, one read); writes
/// and timers are kept for the test to look at and fire.
class fake_socket {
public:
  explicit fake_socket(std::string_view script_text, std::string_view plan = "whole")
      : script_(test::script_of(script_text)), s(script_, test::spec_of(script_), plan_of(plan)) {}

  fake_socket& start() {
    s.start();
    pump();
    return *this;
  }
  fake_socket& receive(std::size_t c, std::string_view datagram) {
    s.on_received(c, as_bytes(datagram));
    pump();
    return *this;
  }
  /// Fires the newest timer the session started: the one it waits on.
  fake_socket& fire_last_timer() {
    const auto it = std::find_if(actions.rbegin(), actions.rend(), [](const session_action& a) {
      return a.what == action_kind::start_timer;
    });
    if (it == actions.rend()) throw std::logic_error("no timer was started");
    s.on_timer(it->timer);
    pump();
    return *this;
  }

  /// The bytes of each write on connection `c`, in order.
  strings writes(std::size_t c = 0) const {
    strings out;
    for (const auto& a : actions)
      if (a.what == action_kind::write && a.connection == c) out.emplace_back(as_text(a.bytes));
    return out;
  }
  std::size_t count(action_kind what) const {
    return static_cast<std::size_t>(std::count_if(
        actions.begin(), actions.end(), [&](const session_action& a) { return a.what == what; }));
  }
  /// The connections of the actions of one kind, in order.
  std::vector<std::size_t> connections_of(action_kind what) const {
    std::vector<std::size_t> out;
    for (const auto& a : actions)
      if (a.what == what) out.push_back(a.connection);
    return out;
  }
  /// The payloads of the frames the transcript says were received on `c`.
  strings frames_received(std::size_t c = 0) const {
    strings out;
    for (const auto& e : s.result().transcript)
      if (e.what == transcript_entry::kind::received_frame && e.connection == c)
        out.emplace_back(as_text(e.bytes));
    return out;
  }

  bool passed() const { return s.finished() && s.result().passed; }
  bool failed() const { return s.finished() && !s.result().passed; }

private:
  void pump() {
    for (;;) {
      auto batch = s.take_actions();
      if (batch.empty()) return;
      for (auto& a : batch) {
        actions.push_back(a);
        if (a.what == action_kind::connect) s.on_connected(a.connection);
      }
    }
  }

  script script_; // first: the session is made from it

public:
  session s;
  std::vector<session_action> actions; ///< every action, in order
};

// --- The datagram framing kind ---------------------------------------------------

TEST(DatagramFraming, ParsesAndPrintsBackWithItsMax) {
  const framing_spec plain = test::spec_of("datagram");
  EXPECT_EQ(plain.kind, framing_kind::datagram);
  EXPECT_EQ(plain.max, framing_limits::default_max);
  EXPECT_EQ(to_string(plain), "datagram");
  EXPECT_EQ(kind_name(framing_kind::datagram), "datagram");

  const framing_spec capped = test::spec_of("datagram,max=1500");
  EXPECT_EQ(capped.kind, framing_kind::datagram);
  EXPECT_EQ(capped.max, 1500u);
  EXPECT_EQ(test::spec_of(to_string(capped)), capped);
  EXPECT_NE(plain, test::spec_of("raw"));
}

TEST(DatagramFraming, TakesNoArgumentAfterAColon) {
  spec_error bad;
  EXPECT_FALSE(parse_framing_spec("datagram:4", bad));
  EXPECT_EQ(bad.code, make_error_code(error::spec_syntax));
  EXPECT_EQ(bad.column, 9u); // the ':'
  EXPECT_TRUE(mentions(bad.reason, "'datagram' takes no argument")) << bad.reason;
}

TEST(DatagramFraming, RefusesTooLongAndEofButNotMax) {
  for (const std::string_view text :
       {"datagram,too-long=discard", "datagram,too-long=fail", "datagram,eof=emit",
        "datagram,eof=drop", "datagram,eof=error", "datagram,crlf"}) {
    spec_error bad;
    EXPECT_FALSE(parse_framing_spec(text, bad)) << text;
    EXPECT_EQ(bad.code, make_error_code(error::spec_option_not_valid))
        << text << ": " << bad.reason;
  }
  spec_error bad;
  EXPECT_TRUE(parse_framing_spec("datagram,max=64K", bad)) << bad.reason;
}

TEST(DatagramFraming, AnUnknownKindNamesDatagramAmongTheKinds) {
  spec_error bad;
  EXPECT_FALSE(parse_framing_spec("dgram", bad));
  EXPECT_EQ(bad.code, make_error_code(error::spec_unknown_kind));
  EXPECT_TRUE(mentions(bad.reason, "datagram")) << bad.reason;
}

TEST(DatagramFraming, EncodesThePayloadAsItIsUpToTheMax) {
  const framing_spec spec = test::spec_of("datagram,max=5");
  const std::string binary("a\n\0\r", 4);
  byte_buffer wire;
  EXPECT_FALSE(encode_frame(spec, as_bytes(binary), wire));
  EXPECT_EQ(as_text(wire), binary);

  wire.clear();
  EXPECT_FALSE(encode_frame(spec, as_bytes(""), wire));
  EXPECT_TRUE(wire.empty());

  wire.clear();
  EXPECT_FALSE(encode_frame(spec, as_bytes("hello"), wire)); // exactly max
  EXPECT_EQ(as_text(wire), "hello");

  byte_buffer refused = test::bytes_of("kept");
  EXPECT_EQ(encode_frame(spec, as_bytes("hello!"), refused), error::payload_too_long);
  EXPECT_EQ(as_text(refused), "kept") << "a refused payload adds nothing";
}

// On a byte stream, datagram framing reads as raw: the whole input is one
// frame, complete only when the stream ends.
TEST(DatagramFraming, DecodesAStreamAsRawDoes) {
  const std::string stream("one\ntwo\0three", 13);
  const decode_log log = test::grind("datagram", stream);
  EXPECT_EQ(test::payloads(log), strings{stream});
  EXPECT_FALSE(log.error);
  EXPECT_EQ(test::payloads(log), test::payloads(test::grind("raw", stream)));

  const decode_log unfinished = test::grind("datagram", stream, false);
  EXPECT_TRUE(unfinished.frames.empty());
}

TEST(DatagramFraming, AStreamOverTheMaxFailsAsADatagramTooLong) {
  frame_decoder decoder(test::spec_of("datagram,max=4"));
  std::error_code ec;
  std::size_t frames = 0;
  decoder.consume(
      as_bytes("hello"), [&](const frame&) { ++frames; }, ec);
  if (!ec) decoder.finish([&](const frame&) { ++frames; }, ec);
  EXPECT_EQ(ec, error::frame_too_long);
  EXPECT_EQ(frames, 0u);
  EXPECT_TRUE(mentions(decoder.error().reason, "datagram longer than max=4 bytes"))
      << decoder.error().reason;
}

// --- Scripts ----------------------------------------------------------------------

std::string refusal(std::string_view text) {
  script_error e;
  const auto s = parse_script(text, e);
  if (s) return "parsed as:\n" + to_string(*s);
  return e.to_string("script.tcs");
}

TEST(DatagramScript, AFramingDatagramStepNeedsTransportUdp) {
  const std::string expected = "expected a stream framing ('datagram' needs 'transport udp')";
  EXPECT_EQ(refusal("send \"x\"\nframing datagram\n"),
            "script.tcs:2:1: " + expected + ", found 'framing datagram'");
  EXPECT_EQ(refusal("framing line\nsend \"x\"\n\n   framing datagram,max=9\n"),
            "script.tcs:4:4: " + expected + ", found 'framing datagram,max=9'");
  EXPECT_EQ(refusal("b: connect\nb: framing datagram\n"),
            "script.tcs:2:1: " + expected + ", found 'framing datagram'");

  // Under UDP the same step is a step like any other.
  const script s = test::script_of("transport udp\nsend \"x\"\nframing datagram\n");
  ASSERT_EQ(s.steps.size(), 2u);
  EXPECT_EQ(s.steps[1].what, script_step::kind::framing);
  EXPECT_EQ(s.steps[1].framing, "datagram");
  EXPECT_EQ(s.steps[1].line, 3u);
}

TEST(DatagramScript, IsDatagramSpecOnlyForTheDatagramKind) {
  EXPECT_TRUE(is_datagram_spec("datagram"));
  EXPECT_TRUE(is_datagram_spec("datagram,max=1500"));
  EXPECT_FALSE(is_datagram_spec("raw"));
  EXPECT_FALSE(is_datagram_spec("line"));
  EXPECT_FALSE(is_datagram_spec("len:u16be"));
  EXPECT_FALSE(is_datagram_spec("datagram:1")); // does not parse
  EXPECT_FALSE(is_datagram_spec(""));
}

// --- Reading datagrams -----------------------------------------------------------

TEST(DatagramSession, EachDatagramIsOneFrameWhateverItHolds) {
  fake_socket p("transport udp\nframing datagram\nsend \"ping\"\nexpect \"a\\nb\\n\"\nexpect "
                "\"c\"\n");
  p.start();
  EXPECT_EQ(p.writes(), strings{"ping"});
  p.receive(0, "a\nb\n");
  EXPECT_FALSE(p.s.finished());
  p.receive(0, "c");
  EXPECT_TRUE(p.passed()) << to_string(p.s.result());
  EXPECT_EQ(p.frames_received(), (strings{"a\nb\n", "c"}));
}

TEST(DatagramSession, ADatagramNeverJoinsTheNextOne) {
  fake_socket p("transport udp\nframing datagram\nexpect \"hello\"\n");
  p.start().receive(0, "hel").receive(0, "lo");
  ASSERT_TRUE(p.failed());
  EXPECT_EQ(p.s.result().got, "\"hel\"");
  EXPECT_EQ(p.s.result().line, 3u);
}

TEST(DatagramSession, RawFramingTakesEachDatagramWholeWithoutWaitingForAnEnd) {
  fake_socket p("transport udp\nframing raw\nexpect \"abc\"\nexpect \"de\"\n");
  p.start().receive(0, "abc");
  EXPECT_FALSE(p.s.finished());
  EXPECT_EQ(p.frames_received(), strings{"abc"}) << "a frame without the end of a stream";
  p.receive(0, "de");
  EXPECT_TRUE(p.passed()) << to_string(p.s.result());
}

TEST(DatagramSession, AnEmptyDatagramIsAnEmptyFrame) {
  for (const std::string_view framing : {"datagram", "raw"}) {
    fake_socket p("transport udp\nframing " + std::string(framing) +
                  "\nexpect \"\"\nexpect any\nexpect \"x\"\n");
    p.start().receive(0, "").receive(0, "");
    EXPECT_FALSE(p.s.finished()) << framing;
    p.receive(0, "x");
    EXPECT_TRUE(p.passed()) << framing << ": " << to_string(p.s.result());
    EXPECT_EQ(p.frames_received(), (strings{"", "", "x"})) << framing;
  }
}

// The same script over TCP: no bytes are no news, and the expect times out.
TEST(DatagramSession, OverTcpAnEmptyReadIsNoFrame) {
  fake_socket p("framing line\nexpect any\n");
  p.start().receive(0, "");
  EXPECT_FALSE(p.s.finished());
  EXPECT_TRUE(p.frames_received().empty());
  p.fire_last_timer();
  ASSERT_TRUE(p.failed());
  EXPECT_EQ(p.s.result().reason, "timed out");
}

TEST(DatagramSession, AnInnerFramingCutsOneDatagramIntoSeveralFrames) {
  fake_socket p("transport udp\nframing line\nsend \"go\"\nexpect \"a\"\nexpect \"b\"\n");
  p.start();
  EXPECT_EQ(p.writes(), strings{"go\n"}) << "a send is framed by the inner framing";
  p.receive(0, "a\nb\n");
  EXPECT_TRUE(p.passed()) << to_string(p.s.result());
}

TEST(DatagramSession, ALengthPrefixedFramingCutsOneDatagramIntoSeveralFrames) {
  fake_socket p("transport udp\nframing len:u8\nexpect \"a\"\nexpect \"bc\"\n");
  p.start().receive(0, std::string("\x01"
                                   "a\x02"
                                   "bc",
                                   5));
  EXPECT_TRUE(p.passed()) << to_string(p.s.result());
}

// Over TCP "a\nb" then "c\n" is the frames a and bc; as datagrams, the
// first ends inside a frame, which breaks the framing.
TEST(DatagramSession, AFrameNeverContinuesIntoTheNextDatagram) {
  constexpr std::string_view steps = "framing line\nexpect \"a\"\nexpect \"bc\"\n";
  fake_socket tcp(steps);
  tcp.start().receive(0, "a\nb").receive(0, "c\n");
  EXPECT_TRUE(tcp.passed()) << to_string(tcp.s.result());

  fake_socket udp("transport udp\n" + std::string(steps));
  udp.start().receive(0, "a\nb");
  ASSERT_TRUE(udp.failed()) << "the datagram ends inside the frame of b";
  EXPECT_EQ(udp.s.result().line, 4u);
  EXPECT_TRUE(mentions(udp.s.result().reason, "framing")) << udp.s.result().reason;
  EXPECT_EQ(udp.frames_received(), strings{"a"}) << "the frame before it was judged";
}

TEST(DatagramSession, TheEofPolicyAppliesAtTheEndOfEachDatagram) {
  fake_socket emit("transport udp\nframing line,eof=emit\nexpect \"a\"\nexpect \"b\"\nexpect "
                   "\"c\"\n");
  emit.start().receive(0, "a\nb").receive(0, "c");
  EXPECT_TRUE(emit.passed()) << to_string(emit.s.result());

  fake_socket drop("transport udp\nframing line,eof=drop\nexpect \"a\"\nexpect \"c\"\n");
  drop.start().receive(0, "a\nb").receive(0, "c\n");
  EXPECT_TRUE(drop.passed()) << to_string(drop.s.result());
}

TEST(DatagramSession, ADatagramOverTheMaxBreaksTheFraming) {
  fake_socket p("transport udp\nframing datagram,max=4\nexpect \"abcd\"\nexpect any\n");
  p.start().receive(0, "abcd");
  EXPECT_FALSE(p.s.finished());
  p.receive(0, "hello");
  ASSERT_TRUE(p.failed());
  EXPECT_EQ(p.s.result().line, 4u);
  EXPECT_TRUE(mentions(p.s.result().reason, "datagram longer than max=4 bytes"))
      << p.s.result().reason;
}

TEST(DatagramSession, AnEmptyDatagramBreaksASilence) {
  fake_socket quiet("transport udp\nframing datagram\nexpect silence 50ms\n");
  quiet.start().fire_last_timer();
  EXPECT_TRUE(quiet.passed()) << to_string(quiet.s.result());

  fake_socket noisy("transport udp\nframing datagram\nexpect silence 50ms\n");
  noisy.start().receive(0, "");
  if (!noisy.s.finished()) noisy.fire_last_timer();
  EXPECT_TRUE(noisy.failed()) << "an empty datagram is a message, not silence";
}

// --- Sending datagrams ------------------------------------------------------------

constexpr std::string_view three_sends = "send \"hello\"\nsend \"world\"\nsend raw \"xyz\"\n";

/// What each send of three_sends is on the wire under `framing`: one
/// datagram each, whatever the plan.
strings datagrams_of_three_sends(std::string_view framing) {
  const framing_spec spec = test::spec_of(framing);
  strings out;
  for (const std::string_view payload : {"hello", "world"}) {
    byte_buffer wire;
    if (spec.kind == framing_kind::datagram || spec.kind == framing_kind::raw)
      wire = test::bytes_of(payload);
    else if (encode_frame(spec, as_bytes(payload), wire))
      throw std::logic_error("unframeable");
    out.emplace_back(as_text(wire));
  }
  out.emplace_back("xyz");
  return out;
}

class DatagramSendPlans : public testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(DatagramSendPlans, EachSendIsOneWriteOfItsWholeDatagram) {
  const auto& [plan, framing] = GetParam();
  fake_socket p("transport udp\nframing " + framing + "\n" + std::string(three_sends), plan);
  p.start();
  EXPECT_TRUE(p.passed()) << to_string(p.s.result());
  EXPECT_EQ(p.writes(), datagrams_of_three_sends(framing));
  strings sent;
  for (const auto& e : p.s.result().transcript)
    if (e.what == transcript_entry::kind::sent) sent.emplace_back(as_text(e.bytes));
  EXPECT_EQ(sent, p.writes()) << "the transcript keeps each datagram as sent";
}

INSTANTIATE_TEST_SUITE_P(
    DatagramEveryPlan, DatagramSendPlans,
    testing::Combine(testing::Values("whole", "bytewise", "chunk:2", "split-header", "random:3",
                                     "random:99", "merged", "pipeline"),
                     testing::Values("datagram", "line", "len:u16be")),
    [](const testing::TestParamInfo<std::tuple<std::string, std::string>>& param) {
      std::string name = std::get<0>(param.param) + "_over_" + std::get<1>(param.param);
      for (char& ch : name)
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return name;
    });

// The contrast: over TCP the same plans cut the sends, or merge them.
TEST(DatagramSends, OverTcpThePlansCutAndMergeTheSameSends) {
  const std::string tcp = "framing len:u16be\n" + std::string(three_sends);
  fake_socket bytewise(tcp, "bytewise");
  bytewise.start();
  EXPECT_EQ(bytewise.writes().size(), 7u + 7u + 3u);
  fake_socket chunked(tcp, "chunk:2");
  chunked.start();
  EXPECT_EQ(chunked.writes().size(), 4u + 4u + 2u);
  fake_socket split(tcp, "split-header");
  split.start();
  EXPECT_GT(split.writes().size(), 3u);
  fake_socket merged(tcp, "merged");
  merged.start();
  EXPECT_EQ(merged.writes().size(), 1u);
}

TEST(DatagramSends, AnEmptySendIsOneEmptyDatagram) {
  fake_socket udp("transport udp\nframing datagram\nsend \"\"\nsend raw \"\"\n", "bytewise");
  udp.start();
  EXPECT_TRUE(udp.passed()) << to_string(udp.s.result());
  EXPECT_EQ(udp.writes(), (strings{"", ""}));

  fake_socket raw_udp("transport udp\nframing raw\nsend \"\"\n");
  raw_udp.start();
  EXPECT_EQ(raw_udp.writes(), strings{""});

  // Over TCP an empty send writes nothing.
  fake_socket tcp("framing raw\nsend \"\"\nsend raw \"\"\n");
  tcp.start();
  EXPECT_TRUE(tcp.passed()) << to_string(tcp.s.result());
  EXPECT_EQ(tcp.count(action_kind::write), 0u);
}

// `line,max=4` refuses to send "hello" (it cannot be framed within max);
// `datagram,max=4` should refuse it too, as encode_frame does.
TEST(DatagramSends, ASendOverTheDatagramsMaxFailsItsStepAsOverALinesMax) {
  fake_socket line("transport udp\nframing line,max=4\nsend \"hello\"\n");
  line.start();
  ASSERT_TRUE(line.failed());
  EXPECT_EQ(line.count(action_kind::write), 0u);

  fake_socket datagram("transport udp\nframing datagram,max=4\nsend \"hello\"\n");
  datagram.start();
  EXPECT_TRUE(datagram.failed()) << "a 5-byte payload under datagram,max=4 was sent";
  EXPECT_EQ(datagram.count(action_kind::write), 0u);
  EXPECT_TRUE(mentions(datagram.s.result().reason, "cannot frame")) << datagram.s.result().reason;
}

// --- Connections -----------------------------------------------------------------

TEST(DatagramConnections, ANamedConnectionIsASocketOfItsOwn) {
  fake_socket p("transport udp\nframing datagram\nsend \"a\"\nc2: connect\nc2: send \"b\"\n"
                "c2: expect \"B\"\nclose\nc2: send \"c\"\n");
  p.start();
  EXPECT_EQ(p.s.connection_names(), (strings{"main", "c2"}));
  EXPECT_EQ(p.connections_of(action_kind::connect), (std::vector<std::size_t>{0, 1}));
  EXPECT_EQ(p.writes(0), strings{"a"});
  EXPECT_EQ(p.writes(1), strings{"b"});

  p.receive(0, "B"); // on main: not the answer c2 waits for
  EXPECT_FALSE(p.s.finished());
  EXPECT_EQ(p.count(action_kind::close), 0u);

  p.receive(1, "B");
  EXPECT_TRUE(p.passed()) << to_string(p.s.result());
  EXPECT_EQ(p.writes(1), (strings{"b", "c"}));
  // `close` closes main; the pass then closes c2, still open.
  EXPECT_EQ(p.connections_of(action_kind::close), (std::vector<std::size_t>{0, 1}));
}

// --- Changing the framing ---------------------------------------------------------

TEST(DatagramFramingStep, ChangesHowLaterDatagramsAreReadAndSendsFramed) {
  fake_socket p("transport udp\nframing datagram\nsend \"go\"\nexpect \"a\\nb\\n\"\n"
                "framing line\nsend \"more\"\nexpect \"c\"\nexpect \"d\"\n");
  p.start().receive(0, "a\nb\n");
  EXPECT_EQ(p.writes(), (strings{"go", "more\n"}));
  EXPECT_FALSE(p.s.finished());
  p.receive(0, "c\nd\n");
  EXPECT_TRUE(p.passed()) << to_string(p.s.result());
}

// A datagram that came during the sleep was read with the datagram framing
// as one frame: the `framing line` step after it must not cut it again, nor
// lose it.
TEST(DatagramFramingStep, DatagramsReceivedBeforeItAreNotCutAgain) {
  fake_socket p("transport udp\nframing datagram\nsend \"go\"\nsleep 10ms\nframing line\n"
                "expect \"a\\nb\"\n");
  p.start().receive(0, "a\nb");
  EXPECT_FALSE(p.s.finished());
  p.fire_last_timer(); // the sleep ends
  EXPECT_TRUE(p.passed()) << (p.s.finished() ? to_string(p.s.result())
                                             : "the datagram received before was lost");
}

} // namespace
} // namespace tcpcheck
