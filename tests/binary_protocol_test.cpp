// Tests for what scripts need to speak binary protocols (issue 11): header
// fields in framing specs, the encoder for every spec, computed parts,
// framing per step, ignored frames, sync points, built-in values and other
// endpoints, from the spec text through the parser to the session.
#include "tcpcheck/frame_decoder.hpp"
#include "tcpcheck/frame_encoder.hpp"
#include "tcpcheck/frame_header.hpp"
#include "tcpcheck/script.hpp"
#include "tcpcheck/session.hpp"

#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace tcpcheck {
namespace {

framing_spec spec_of(std::string_view text) {
  spec_error error;
  auto spec = parse_framing_spec(text, error);
  if (!spec) throw std::invalid_argument(to_string(error));
  return *spec;
}

script script_of(std::string_view text) {
  script_error error;
  auto s = parse_script(text, error);
  if (!s) throw std::invalid_argument(error.to_string("test.tcs"));
  return *s;
}

std::string parse_error(std::string_view text) {
  script_error error;
  if (parse_script(text, error)) return "parsed";
  return error.to_string("t.tcs");
}

byte_buffer bytes(std::initializer_list<int> values) {
  byte_buffer out;
  for (int v : values)
    out.push_back(static_cast<std::uint8_t>(v));
  return out;
}

byte_buffer text_bytes(std::string_view text) {
  return byte_buffer(text.begin(), text.end());
}

// --- Framing specs with header fields ----------------------------------------

TEST(HeaderFields, SpecsNameFieldsAndPrintCanonically) {
  const auto pg = spec_of("len:u32be,field=type:u8,adjust=-4");
  ASSERT_EQ(pg.fields.size(), 1u);
  EXPECT_EQ(pg.fields[0].name, "type");
  EXPECT_EQ(pg.field.offset, 1u); // the length follows the field
  EXPECT_EQ(to_string(pg), "len:u32be,field=type:u8,adjust=-4");

  const auto mqtt = spec_of("varint:4,field=type:u8");
  EXPECT_EQ(mqtt.field.varint_bytes, 4u);
  EXPECT_EQ(to_string(mqtt), "varint:4,field=type:u8");

  const auto wide = spec_of("len:u16,field=a:u8,field=b:u16le,offset=5");
  EXPECT_EQ(wide.fields[1].offset, 1u);
  EXPECT_EQ(to_string(wide), "len:u16be,field=a:u8,field=b:u16le,offset=5");
  EXPECT_EQ(spec_of(to_string(wide)), wide);
}

TEST(HeaderFields, BadFieldsAreRefusedWithTheirColumn) {
  spec_error error;
  EXPECT_FALSE(parse_framing_spec("len:u16,field=a:u8,offset=0", error));
  EXPECT_EQ(error.column, 20u);
  EXPECT_FALSE(parse_framing_spec("len:u8,field=a:i8", error)); // fields are unsigned
  EXPECT_FALSE(parse_framing_spec("line,field=a:u8", error));
  EXPECT_FALSE(parse_framing_spec("len:u8,field=a:u8,field=a:u8", error));
  EXPECT_FALSE(parse_framing_spec("varint:11", error));
  EXPECT_FALSE(parse_framing_spec("varint:0", error));
}

TEST(HeaderFields, TheEncoderWritesFieldsAndEveryStrip) {
  // PostgreSQL's Query: 'Q', a length that counts itself, the body.
  const auto pg = spec_of("len:u32be,field=type:u8,adjust=-4,strip=0");
  byte_buffer wire;
  ASSERT_FALSE(encode_frame(pg, text_bytes("hi"), {'Q'}, wire));
  EXPECT_EQ(wire, bytes({'Q', 0, 0, 0, 6, 'h', 'i'}));
  // Decoded with strip=0 the frame keeps its header; split, it is the body again.
  frame_decoder decoder(keeping_headers(pg));
  std::error_code ec;
  int frames = 0;
  decoder.consume(
      wire,
      [&](const frame& f) {
        ++frames;
        const auto split = split_header(pg, f.payload);
        EXPECT_EQ(split.fields, field_values{'Q'});
        EXPECT_EQ(byte_buffer(split.body.begin(), split.body.end()), text_bytes("hi"));
      },
      ec);
  EXPECT_FALSE(ec);
  EXPECT_EQ(frames, 1);
  byte_buffer too_wide;
  EXPECT_EQ(encode_frame(pg, text_bytes("x"), {256}, too_wide), error::field_not_representable);
  EXPECT_TRUE(too_wide.empty());
}

TEST(HeaderFields, AVarintLongerThanItsLimitBreaksTheStream) {
  const auto mqtt = spec_of("varint:4,field=type:u8");
  frame_decoder decoder(mqtt);
  std::error_code ec;
  decoder.consume(
      bytes({0x30, 0x80, 0x80, 0x80, 0x80, 0x01}), [](const frame&) {}, ec);
  EXPECT_EQ(ec, error::varint_overflow);
  EXPECT_NE(decoder.error().reason.find("longer than 4 bytes"), std::string::npos);
}

// --- Script syntax ------------------------------------------------------------------

TEST(BinaryScripts, PartsFieldsAndNewStepsPrintAndParseBack) {
  const std::string text =
      "framing \"varint:4,field=type:u8\"\n"
      "ignore type=0xd0 hex \"\"\n"
      "\n"
      "send type=0x10 len16be(\"MQTT\") u8(4) u16be(60) len16be(\"tc-${run}\")\n"
      "expect type=0x20 hex \"00 00\"\n"
      "sync\n"
      "framing fixed:1\n"
      "expect \"N\"\n"
      "b: connect 127.0.0.1:5000\n"
      "send size(\"hello\") lenvarint(len8(\"x\"))\n";
  const script s = script_of(text);
  ASSERT_EQ(s.ignored.size(), 1u);
  const auto& send = s.steps[0];
  ASSERT_EQ(send.fields.size(), 1u);
  EXPECT_EQ(send.fields[0].value, 0x10u);
  // "MQTT"'s length, then literal bytes joined, then the client id's length.
  ASSERT_EQ(send.payload.segments.size(), 3u);
  EXPECT_EQ(send.payload.segments[0].computed, length_form::u16be);
  EXPECT_EQ(send.payload.segments[1].bytes, bytes({4, 0, 60}));
  EXPECT_EQ(s.steps[2].what, script_step::kind::sync);
  EXPECT_EQ(s.steps[3].what, script_step::kind::framing);
  EXPECT_EQ(s.steps[5].what, script_step::kind::connect);
  EXPECT_EQ(script_of(to_string(s)), s) << to_string(s);
  EXPECT_NE(to_string(s).find("send type=0x10 len16be(\"MQTT\") \""), std::string::npos)
      << to_string(s);
}

TEST(BinaryScripts, ErrorsSayWhereAndWhat) {
  EXPECT_EQ(parse_error("framing \"len:u8,field=type:u8\"\nsend kind=1 \"x\"\n"),
            "t.tcs:2:6: expected a header field of framing 'len:u8,field=type:u8', found 'kind'");
  EXPECT_EQ(parse_error("framing line\nsend type=1 \"x\"\n"),
            "t.tcs:2:6: expected no header field: framing 'line' names none, found 'type'");
  EXPECT_EQ(parse_error("send u8(256)\n"),
            "t.tcs:1:9: expected a number that fits u8(...) (decimal or 0x hex), found '256'");
  EXPECT_EQ(parse_error("send len8(\"x\"\n"),
            "t.tcs:1:14: expected ')', found the end of the line");
  EXPECT_EQ(parse_error("b: connect 10.0.0.1:80\n"),
            "t.tcs:1:12: expected a loopback endpoint HOST:PORT (127.0.0.1:PORT, [::1]:PORT or "
            "localhost:PORT; PORT a number or ${name}), found '10.0.0.1:80'");
  EXPECT_EQ(parse_error("send \"a\"\nignore \"x\"\n"),
            "t.tcs:2:1: expected a step (directives such as 'ignore' come before the first step), "
            "found 'ignore'");
  EXPECT_EQ(parse_error("send \"${nope}\"\n"),
            "t.tcs:1:1: expected ${nope} captured by an earlier 'expect regex ... as nope', "
            "found its first use");
  // Built-in values need no capture; a field after the framing changes is checked against it.
  EXPECT_EQ(parse_error("send \"${run} ${conn} ${token}\"\n"), "parsed");
  EXPECT_EQ(parse_error("send \"x\"\nframing \"len:u8,field=t:u8\"\nsend t=1 \"y\"\n"), "parsed");
}

// --- The session ----------------------------------------------------------------------

// Drives a session by hand: connects succeed, writes are collected.
struct driver {
  explicit driver(std::string_view text, std::string_view spec = "line",
                  std::string_view plan = "whole", std::uint64_t id = 7)
      : s(script_of(text), spec_of(spec), *parse_delivery_plan(plan, plan_error), options(id)) {
    s.start();
    pump();
  }
  static session_options options(std::uint64_t id) {
    session_options o;
    o.conversation_id = id;
    return o;
  }
  void pump() {
    for (auto& a : s.take_actions()) {
      if (a.what == session_action::kind::connect) {
        endpoints.push_back(a.endpoint);
        s.on_connected(a.connection);
        pump();
      } else if (a.what == session_action::kind::write) {
        written[a.connection].insert(written[a.connection].end(), a.bytes.begin(), a.bytes.end());
      } else if (a.what == session_action::kind::start_timer) {
        timer = a.timer;
      }
    }
  }
  void receive(const byte_buffer& b, std::size_t c = 0) {
    s.on_received(c, b);
    pump();
  }
  std::string plan_error;
  session s;
  std::map<std::size_t, byte_buffer> written;
  std::vector<std::string> endpoints;
  std::uint64_t timer = 0;
};

TEST(BinarySession, SendsFieldsAndComputedLengthsAndMatchesFields) {
  driver d("send type=0x32 len16be(\"t/${run}\") u16be(2) \"hi\"\n"
           "expect type=0x40 hex \"00 02\"\n",
           "varint:4,field=type:u8", "whole", 42);
  // 0x32, remaining length 10, "t/42" with its u16 length, packet id 2, "hi".
  EXPECT_EQ(d.written[0], bytes({0x32, 10, 0, 4, 't', '/', '4', '2', 0, 2, 'h', 'i'}));
  d.receive(bytes({0x40, 2, 0, 2}));
  EXPECT_TRUE(d.s.finished());
  EXPECT_TRUE(d.s.result().passed) << to_string(d.s.result());
}

TEST(BinarySession, AFrameWithAnotherFieldValueFailsAndSaysSo) {
  driver d("send type=0x10 \"x\"\nexpect type=0x20 hex \"00\"\n", "len:u8,field=type:u8");
  d.receive(bytes({0x21, 1, 0}));
  ASSERT_TRUE(d.s.finished());
  EXPECT_FALSE(d.s.result().passed);
  EXPECT_EQ(d.s.result().got, "type=0x21 \"\\0\"");
  EXPECT_EQ(d.s.result().expected, "type=0x20 \"\\0\"");
}

TEST(BinarySession, IgnoredFramesAreSkippedButExpectedOnesAreTaken) {
  driver d("ignore prefix \"* \"\n"
           "send \"a1 LOGIN\"\n"
           "expect \"a1 OK\"\n"
           "expect prefix \"* BYE\"\n",
           "line");
  d.receive(text_bytes("* OK waiting\n* 3 EXISTS\na1 OK\n* BYE now\n"));
  ASSERT_TRUE(d.s.finished());
  EXPECT_TRUE(d.s.result().passed) << to_string(d.s.result());
  int ignored = 0;
  for (const auto& e : d.s.result().transcript)
    ignored += e.what == transcript_entry::kind::ignored_frame;
  EXPECT_EQ(ignored, 2);
}

TEST(BinarySession, AFramingStepReadsPendingBytesAgain) {
  // A one-line banner and a binary frame arrive in one read.
  driver d("expect \"HELLO\"\n"
           "framing len:u8\n"
           "expect \"bin\"\n"
           "send \"ok\"\n",
           "line");
  d.receive(bytes({'H', 'E', 'L', 'L', 'O', '\n', 3, 'b', 'i', 'n'}));
  ASSERT_TRUE(d.s.finished());
  EXPECT_TRUE(d.s.result().passed) << to_string(d.s.result());
  EXPECT_EQ(d.written[0], bytes({2, 'o', 'k'})); // sent with the new framing
}

TEST(BinarySession, TheOneByteAnswerOfAPostgresSslRequest) {
  driver d("send u32be(80877103)\n"
           "framing fixed:1\n"
           "expect \"N\"\n"
           "sync\n"
           "framing \"len:u32be,adjust=-4\"\n"
           "send u32be(196608)\n"
           "framing \"len:u32be,field=type:u8,adjust=-4\"\n"
           "expect type=\"R\" hex \"00000000\"\n",
           "len:u32be,adjust=-4", "pipeline");
  // Nothing goes ahead of the sync: only the SSLRequest is written.
  EXPECT_EQ(d.written[0], bytes({0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f}));
  d.receive(bytes({'N'}));
  EXPECT_EQ(d.written[0].size(), 16u);
  d.receive(bytes({'R', 0, 0, 0, 8, 0, 0, 0, 0}));
  ASSERT_TRUE(d.s.finished());
  EXPECT_TRUE(d.s.result().passed) << to_string(d.s.result());
}

TEST(BinarySession, BuiltInValuesDifferPerConversationAndConnection) {
  driver a("send \"${run} ${conn} ${token}\"\nb: connect\nb: send \"${conn}\"\n", "line", "whole",
           1);
  driver b("send \"${run} ${conn} ${token}\"\nb: connect\nb: send \"${conn}\"\n", "line", "whole",
           2);
  const std::string first(as_text(a.written[0]));
  EXPECT_EQ(first.substr(0, 9), "1 1-main ");
  EXPECT_EQ(first.size(), 9u + 16u + 1u); // 16 hex digits, then LF
  EXPECT_NE(a.written[0], b.written[0]);
  EXPECT_EQ(std::string(as_text(a.written[1])), "1-b\n");
}

TEST(BinarySession, ConnectToAnotherEndpointUsesACapturedPort) {
  driver d("expect regex \"PORT (\\d+)\" as port\n"
           "data: connect 127.0.0.1:${port}\n"
           "data: send \"hi\"\n",
           "line");
  d.receive(text_bytes("PORT 4242\n"));
  EXPECT_EQ(d.endpoints, (std::vector<std::string>{"", "127.0.0.1:4242"}));
  EXPECT_TRUE(d.s.result().passed) << to_string(d.s.result());
}

TEST(BinarySession, AFieldTheFramingLacksFailsTheStep) {
  // No framing directive: the spec comes from elsewhere, checked when the step runs.
  driver d("send kind=1 \"x\"\n", "len:u8,field=type:u8");
  ASSERT_TRUE(d.s.finished());
  EXPECT_EQ(d.s.result().reason,
            "header field 'kind' is not a field of framing 'len:u8,field=type:u8'");
}

} // namespace
} // namespace tcpcheck
