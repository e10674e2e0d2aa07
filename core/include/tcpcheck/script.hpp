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
// The parser is strict: an error names the file, line and column, what was
// expected and what was found. `to_string` prints a script in canonical
// form; parsing that again gives the same script (a fuzz target checks it).
#pragma once

#include "tcpcheck/bytes.hpp"
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

/// Text with `${name}` references to captured variables.
struct script_text {
  struct segment {
    bool is_variable = false;
    byte_buffer bytes;    ///< literal bytes, when not a variable
    std::string variable; ///< the variable's name, when one
    friend bool operator==(const segment&, const segment&) = default;
  };
  std::vector<segment> segments;

  bool has_variables() const noexcept;
  friend bool operator==(const script_text&, const script_text&) = default;
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
  script_text text;        ///< exact, prefix, contains
  std::string pattern;     ///< regex, as written
  std::string capture;     ///< regex: variable that receives group 1 (or the whole match)
  std::uint32_t count = 1; ///< any
  duration quiet{0};       ///< silence
  friend bool operator==(const expectation&, const expectation&) = default;
};

struct script_step {
  enum class kind { connect, send, expect, sleep, shutdown, close, reset };
  kind what = kind::send;
  std::string connection = "main";
  std::size_t line = 0; ///< 1-based line in the script file
  // send
  script_text payload;
  bool raw = false; ///< send the bytes as they are, not framed by the spec
  // expect
  std::vector<expectation> alternatives;
  std::optional<duration> within; ///< this step's timeout, if not the script's
  // sleep
  duration pause{0};

  friend bool operator==(const script_step&, const script_step&) = default;
};

struct script {
  std::string description;            ///< the first comment line, without '#'
  std::optional<std::string> framing; ///< the spec as written in `framing`
  std::optional<duration> timeout;    ///< default timeout of every expect step
  std::vector<script_step> steps;

  /// Connection names in order of first use; "main" first when used.
  std::vector<std::string> connections() const;
  friend bool operator==(const script&, const script&) = default;
};

/// Longest script text the parser reads, and other limits.
struct script_limits {
  static constexpr std::size_t largest_script = 4u << 20;
  static constexpr std::size_t most_steps = 100000;
  static constexpr std::size_t most_connections = 64;
  static constexpr std::uint32_t most_frames_in_any = 1000000;
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

/// The canonical text of `s`.
std::string to_string(const script& s);

/// One step's canonical text, as in a script ("b: send \"hi\"").
std::string to_string(const script_step& step);

/// A duration as scripts write it: "250ms", "2s".
std::string duration_text(duration d);

} // namespace tcpcheck
