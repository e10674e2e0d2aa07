// Scripts: a normal client conversation, written by hand or generated, that
// tcpcheck replays against a server (`.tcs` files; docs/scripts.md).
//
//   # checks: the greeting server welcomes a client and greets it by name
//   framing line
//   timeout 2s
//
//   expect "Server: Welcome!"
//   expect "What's your name?"
//   send "alice"
//   expect regex "^Hello (\w+)!$" as name
//   send "exit"
//   expect "Good bye!" or close
//
// Binary protocols add header fields, computed lengths and framing per step
// (docs/scripts.md): `send type=0x30 len16be("topic") "payload"`.
//
// The parser is strict: an error names the file, line and column, what was
// expected and what was found. `to_string` prints a script in canonical
// form; parsing that again gives the same script (a fuzz target checks it).
//
// With `role server` tcpcheck plays the server for a client under test:
//
//   role server
//   framing line
//   send "Server: Welcome!"   # tcpcheck's reply
//   expect "alice"            # what the client must send
#pragma once

#include "tcpcheck/bytes.hpp"
#include "tcpcheck/frame_header.hpp"
#include "tcpcheck/framing_spec.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tcpcheck {

using duration = std::chrono::milliseconds;

/// How a computed part writes a length: `len16be(...)` writes the length of
/// what is inside as a big-endian u16, then what is inside; `size(...)`
/// writes the length alone, as decimal text (IMAP's `{12}`).
enum class length_form { u8, u16be, u16le, u32be, u32le, u64be, u64le, varint, decimal };

/// Text with `${name}` references to variables, and computed lengths.
struct script_text {
  struct segment {
    bool is_variable = false;
    byte_buffer bytes;    ///< literal bytes, when not a variable or computed
    std::string variable; ///< the variable's name, when one
    /// A computed length (`len32be(...)`, `size(...)`): the length of
    /// `inner` once rendered, in this form.
    std::optional<length_form> computed;
    std::vector<segment> inner;

    static segment literal(byte_buffer bytes) {
      segment s;
      s.bytes = std::move(bytes);
      return s;
    }
    friend bool operator==(const segment&, const segment&) = default;
  };
  std::vector<segment> segments;

  /// Whether any part, computed ones included, uses a variable.
  bool has_variables() const noexcept;
  /// Only literal bytes: no variables, nothing computed.
  bool is_literal() const noexcept;
  /// The variables used, computed parts included, in order (repeats kept).
  std::vector<std::string> variables() const;
  friend bool operator==(const script_text&, const script_text&) = default;
};

/// Variables every conversation has without capturing them: values that
/// differ per conversation (`${run}`, `${token}`) and per connection
/// (`${conn}`), so parallel copies of a conversation do not collide on
/// names they create.
bool is_builtin_variable(std::string_view name) noexcept;

/// The largest number `form` holds (`decimal`: any).
std::uint64_t largest_of(length_form form) noexcept;

/// `value` written in `form`: big or little endian, LEB128, or decimal text.
byte_buffer encode_length(length_form form, std::uint64_t value);

/// Renders `text`: literal bytes, variables' values from `lookup` (a null
/// value renders nothing), computed lengths. False, with `why`, when a
/// computed length does not fit its form.
template <class Lookup>
bool render_text(const std::vector<script_text::segment>& segments, const Lookup& lookup,
                 byte_buffer& out, std::string& why) {
  for (const auto& seg : segments) {
    if (seg.computed) {
      byte_buffer inner;
      if (!render_text(seg.inner, lookup, inner, why)) return false;
      if (inner.size() > largest_of(*seg.computed)) {
        why = "a computed length of " + std::to_string(inner.size()) + " bytes does not fit";
        return false;
      }
      const byte_buffer length = encode_length(*seg.computed, inner.size());
      out.insert(out.end(), length.begin(), length.end());
      if (*seg.computed != length_form::decimal) out.insert(out.end(), inner.begin(), inner.end());
      continue;
    }
    const byte_buffer* bytes = seg.is_variable ? lookup(seg.variable) : &seg.bytes;
    if (bytes) out.insert(out.end(), bytes->begin(), bytes->end());
  }
  return true;
}

/// A named header field's value (`type=0x30`, `type="Q"`) on a send or an
/// expected frame (framing_spec's `field=`).
struct field_setting {
  std::string name;
  std::uint64_t value = 0;
  bool as_character = false; ///< written as a one-character string
  friend bool operator==(const field_setting&, const field_setting&) = default;
};

/// One acceptable outcome of an `expect` step.
struct expectation {
  enum class kind {
    exact,    ///< the next frame is exactly this
    regex,    ///< the next frame matches (RE2, bytes as Latin-1, whole frame), maybe captured
    prefix,   ///< the next frame starts with this
    contains, ///< the next frame contains this
    any,      ///< the next `count` frames, whatever they hold
    close,    ///< the peer closes its side (FIN) before sending a frame
    reset,    ///< the peer resets the connection (RST)
    silence,  ///< nothing at all arrives for `quiet`
  };
  kind what = kind::exact;
  std::vector<field_setting> fields; ///< header fields the frame must have
  script_text text;                  ///< exact, prefix, contains
  std::string pattern;               ///< regex, as written
  std::string capture;               ///< regex: variable that receives group 1 (or the whole match)
  std::uint32_t count = 1;           ///< any
  duration quiet{0};                 ///< silence
  friend bool operator==(const expectation&, const expectation&) = default;
};

struct script_step {
  enum class kind { connect, send, expect, sleep, shutdown, close, reset, framing, sync };
  kind what = kind::send;
  std::string connection = "main";
  std::size_t line = 0; ///< 1-based line in the script file
  // connect: another endpoint than the target (loopback only), "HOST:PORT"
  // with the port perhaps a variable; empty: the target
  script_text endpoint;
  // send
  script_text payload;
  bool raw = false;                  ///< send the bytes as they are, not framed by the spec
  std::vector<field_setting> fields; ///< header fields of the framed payload
  // expect
  std::vector<expectation> alternatives;
  std::optional<duration> within; ///< this step's timeout, if not the script's
  // sleep
  duration pause{0};
  // framing: the spec, as written, this connection reads and writes with from here on
  std::string framing;

  friend bool operator==(const script_step&, const script_step&) = default;
};

/// The side of the conversation tcpcheck plays. As the client (the
/// default) it connects to the server under test, sends the script's sends
/// and judges the replies. With `role server` it listens, accepts the
/// connections of the client under test (`accept` opens each, in the order
/// the client connects), sends the script's sends as its replies and judges
/// what the client sends: the same steps, read from the other side.
enum class script_role { client, server };

/// What carries the conversation: a TCP stream (the default), or UDP
/// datagrams (`transport udp`), where each named connection is a socket of
/// its own with its own port, and steps that only a stream has (`shutdown`,
/// `reset`, `expect close`, `expect reset`) are refused.
enum class script_transport { tcp, udp };

/// The largest UDP payload: 65,535 bytes less the IPv4 and UDP headers.
inline constexpr std::size_t largest_datagram = 65507;

/// Whether the framing spec `text` is `datagram` (options or not), which
/// only a `transport udp` script may use: a stream has no datagram edges.
bool is_datagram_spec(std::string_view text);

struct script {
  std::string description; ///< the first comment line, without '#'
  script_role role = script_role::client;
  script_transport transport = script_transport::tcp;
  std::optional<std::string> framing; ///< the spec as written in `framing`
  std::optional<duration> timeout;    ///< default timeout of every expect step
  /// `ignore` directives: frames that may come unasked (exact, prefix,
  /// contains or regex, with header fields), skipped while an expect waits.
  std::vector<expectation> ignored;
  std::vector<script_step> steps;

  /// Connection names in order of first use; "main" first when used.
  std::vector<std::string> connections() const;
  friend bool operator==(const script&, const script&) = default;
};

/// The values `fields` sets, in `spec`'s field order: 0 where a field is not
/// set; a name `spec` lacks is left out (the session refuses it first).
field_values field_values_for(const framing_spec& spec, const std::vector<field_setting>& fields);

/// A payload with no variables, rendered (computed lengths included);
/// nullopt when it uses a variable, whose value only a run knows.
std::optional<byte_buffer> literal_payload(const script_text& text);

/// The framing step `index` of `steps` reads and writes with: that of the
/// last `framing` step before it on its connection, else `base` (the
/// script's). `step_of(steps[i])` gives the script_step of an element.
template <class Steps, class StepOf>
framing_spec framing_before(const Steps& steps, std::size_t index, const framing_spec& base,
                            StepOf step_of) {
  const std::string& connection = step_of(steps[index]).connection;
  for (std::size_t i = index; i-- > 0;) {
    const script_step& step = step_of(steps[i]);
    if (step.what != script_step::kind::framing || step.connection != connection) continue;
    spec_error ignored;
    if (auto spec = parse_framing_spec(step.framing, ignored)) return *spec;
  }
  return base;
}

/// Longest script text the parser reads, and other limits.
struct script_limits {
  static constexpr std::size_t largest_script = 4u << 20;
  static constexpr std::size_t most_steps = 100000;
  static constexpr std::size_t most_connections = 64;
  static constexpr std::uint32_t most_frames_in_any = 1000000;
  static constexpr std::size_t most_ignores = 64;
  static constexpr std::size_t deepest_nesting = 8; ///< computed parts inside computed parts
  static constexpr std::int64_t longest_duration_ms = 24 * 3600 * 1000;
  /// Longest `expect regex` pattern. RE2 unrolls counted repetitions
  /// (`.{1000}`) before it compiles, and before `regex_memory` applies, so
  /// the time and memory a pattern costs grow with its length: at this
  /// length, at most a few tens of milliseconds and megabytes.
  static constexpr std::size_t longest_regex = 1024;
  /// Memory one compiled `expect regex` may use (RE2::Options::max_mem):
  /// its program and the DFA cache matching fills. A pattern whose program
  /// does not fit is refused at parse time ("pattern too large"); a DFA
  /// cache that fills up is flushed, or matching falls back to RE2's NFA
  /// (slower, still linear in the frame). Frames of any length are matched.
  static constexpr std::int64_t regex_memory = 1 << 20;
};

/// Where and why a script was refused.
struct script_error {
  std::size_t line = 0;   ///< 1-based
  std::size_t column = 0; ///< 1-based
  std::string expected;   ///< "a step (send, expect, ...)"
  std::string found;      ///< "'sned'"
  /// "script.tcs:3:1: expected a step (send, expect, ...), found 'sned'"
  std::string to_string(std::string_view file) const;
};

/// Parses a script. On failure returns nullopt and fills `error`.
std::optional<script> parse_script(std::string_view text, script_error& error);

/// What parse_script(to_string(S)) gives for the script S of `header`'s
/// directives and `steps`, without the text: each step checked as the
/// parser checks it against the lines before it (connections opened,
/// variables captured, the framing's header fields, what datagrams allow,
/// the limits) and given the line to_string prints it on. nullopt, with
/// `error` at the step's line, where the parser would refuse the text. The
/// steps must be ones a parser made (their own contents are not checked
/// again) and the description one line. The fuzzer makes its cases into
/// scripts this way, thousands a second.
std::optional<script> assemble_script(const script& header, std::vector<script_step> steps,
                                      script_error& error);

/// The canonical text of `s`.
std::string to_string(const script& s);

/// One step's canonical text, as in a script ("b: send \"hi\""); a step
/// that opens a connection reads `connect` in a client's script and
/// `accept` in a server's.
std::string to_string(const script_step& step, script_role role = script_role::client);

/// A duration as scripts write it: "250ms", "2s".
std::string duration_text(duration d);

} // namespace tcpcheck
