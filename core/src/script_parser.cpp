// The script parser: one line at a time, tokens with columns, strict errors.
#include "tcpcheck/escape.hpp"
#include "tcpcheck/script.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <functional>
#include <map>
#include <re2/re2.h>
#include <set>

#include "compiled_regex.hpp"

namespace tcpcheck {

namespace {

bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_name_char(char c) {
  return is_name_start(c) || (c >= '0' && c <= '9') || c == '-';
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Where in `pattern` RE2's complaint points: the offset of the fragment it
// quotes, if that fragment occurs exactly once (npos otherwise).
std::size_t regex_error_offset(std::string_view pattern, const std::string& fragment) {
  if (fragment.empty()) return std::string_view::npos;
  const std::size_t at = pattern.find(fragment);
  if (at == std::string_view::npos || pattern.find(fragment, at + 1) != std::string_view::npos)
    return std::string_view::npos;
  return at;
}

struct token {
  enum class kind { word, string, end };
  kind what = kind::end;
  std::string_view text; ///< a word, or a string's contents without the quotes
  std::size_t column = 0;
};

// A quoted string or a word, as the user wrote it, for "found ..." messages.
std::string shown(const token& t) {
  if (t.what == token::kind::end) return "the end of the line";
  if (t.what == token::kind::string) return "the string \"" + std::string(t.text) + "\"";
  return "'" + std::string(t.text) + "'";
}

class line_parser {
public:
  // `tokens` is a buffer the lines of a script share (cleared here): one
  // allocation for the whole script, not one per line.
  line_parser(std::string_view line, std::size_t number, script_error& error,
              std::vector<token>& tokens)
      : line_(line), number_(number), error_(error), tokens_(tokens) {
    tokens_.clear();
  }

  // Splits the line into tokens; false (with the error set) on a bad string.
  bool tokenize() {
    std::size_t i = 0;
    while (i < line_.size()) {
      const char c = line_[i];
      if (c == ' ' || c == '\t' || c == '\r') {
        ++i;
        continue;
      }
      if (c == '#') break;
      if (c == '"') {
        std::size_t j = i + 1;
        while (j < line_.size() && line_[j] != '"')
          j += line_[j] == '\\' ? 2 : 1;
        if (j >= line_.size()) return fail(i + 1, "a closing '\"'", "the end of the line");
        tokens_.push_back({token::kind::string, line_.substr(i + 1, j - i - 1), i + 1});
        i = j + 1;
        continue;
      }
      // Parentheses of computed parts: "len16be(" is one word, ")" another.
      std::size_t j = i;
      if (c == ')') {
        ++j;
      } else {
        while (j < line_.size() && line_[j] != ' ' && line_[j] != '\t' && line_[j] != '"' &&
               line_[j] != '#' && line_[j] != '\r' && line_[j] != ')')
          if (line_[j++] == '(') break;
      }
      tokens_.push_back({token::kind::word, line_.substr(i, j - i), i + 1});
      i = j;
    }
    end_column_ = std::min(i, line_.size()) + 1;
    return true;
  }

  bool empty() const { return tokens_.empty(); }
  const token& peek() const { return at_end() ? end_token_ : tokens_[next_]; }
  bool at_end() const { return next_ >= tokens_.size(); }
  token take() {
    token t = peek();
    if (!at_end()) ++next_;
    return t;
  }
  bool take_word(std::string_view word) {
    if (!at_end() && peek().what == token::kind::word && peek().text == word) {
      ++next_;
      return true;
    }
    return false;
  }

  bool fail(std::size_t column, std::string expected, std::string found) {
    error_.line = number_;
    error_.column = column;
    error_.expected = std::move(expected);
    error_.found = std::move(found);
    return false;
  }
  bool fail_at(const token& t, std::string expected) {
    return fail(t.what == token::kind::end ? end_column() : t.column, std::move(expected),
                shown(t));
  }
  std::size_t end_column() const { return end_column_; }

  bool expect_end() {
    if (at_end()) return true;
    return fail_at(peek(), "the end of the line");
  }

  // Timeouts and quiet periods must be positive; a sleep may be 0ms.
  bool parse_duration(duration& out, bool positive = true) {
    const token t = take();
    std::string_view s = t.text;
    std::int64_t scale = 0;
    if (t.what == token::kind::word && s.ends_with("ms")) {
      scale = 1;
      s.remove_suffix(2);
    } else if (t.what == token::kind::word && s.ends_with("s")) {
      scale = 1000;
      s.remove_suffix(1);
    }
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (scale == 0 || s.empty() || ec != std::errc{} || end != s.data() + s.size() ||
        n < (positive ? 1 : 0) || n > script_limits::longest_duration_ms / scale)
      return fail_at(t, positive
                            ? "a duration of at least 1ms, such as 250ms or 2s (at most 24 hours)"
                            : "a duration such as 250ms or 2s (at most 24 hours)");
    out = duration(n * scale);
    return true;
  }

  // A string with escapes and ${name} references.
  bool parse_text(const token& t, script_text& out) {
    std::string_view s = t.text;
    script_text::segment literal;
    literal.bytes.reserve(s.size()); // escapes only shorten: one allocation for most texts
    const auto flush = [&] {
      append_literal(out, std::move(literal.bytes));
      literal = {};
    };
    for (std::size_t i = 0; i < s.size();) {
      if (s[i] == '\\') {
        const std::size_t length = i + 1 < s.size() && s[i + 1] == 'x' ? 4 : 2;
        unescape_error bad;
        const auto bytes = unescape(s.substr(i, length), bad, "\"$");
        if (!bytes)
          return fail(t.column + 1 + i, "an escape (\\r \\n \\t \\0 \\\\ \\\" \\$ \\xNN)",
                      "'" + std::string(s.substr(i, length)) + "'");
        literal.bytes.insert(literal.bytes.end(), bytes->begin(), bytes->end());
        i += length;
        continue;
      }
      if (s[i] == '$' && i + 1 < s.size() && s[i + 1] == '{') {
        const std::size_t close = s.find('}', i + 2);
        const std::string_view name =
            close == std::string_view::npos ? s.substr(i + 2) : s.substr(i + 2, close - i - 2);
        if (close == std::string_view::npos || name.empty() || !is_name_start(name[0]) ||
            !std::all_of(name.begin(), name.end(), is_name_char))
          return fail(t.column + 1 + i, "a variable reference such as ${name}",
                      "'" + std::string(s.substr(i, std::min<std::size_t>(s.size() - i, 20))) +
                          "'");
        flush();
        script_text::segment variable;
        variable.is_variable = true;
        variable.variable = std::string(name);
        out.segments.push_back(std::move(variable));
        i = close + 1;
        continue;
      }
      literal.bytes.push_back(static_cast<std::uint8_t>(s[i]));
      ++i;
    }
    flush();
    return true;
  }

  bool parse_hex(const token& t, script_text& out) {
    byte_buffer bytes;
    int high = -1;
    for (std::size_t i = 0; i < t.text.size(); ++i) {
      const char c = t.text[i];
      if (c == ' ') {
        if (high >= 0) return fail(t.column + 1 + i, "a second hex digit", "' '");
        continue;
      }
      const int d = hex_digit(c);
      if (d < 0) return fail(t.column + 1 + i, "a hex digit", "'" + std::string(1, c) + "'");
      if (high < 0) {
        high = d;
      } else {
        bytes.push_back(static_cast<std::uint8_t>(high * 16 + d));
        high = -1;
      }
    }
    if (high >= 0) return fail(t.column + 1 + t.text.size(), "a second hex digit", "'\"'");
    append_literal(out, std::move(bytes));
    return true;
  }

  // Whether the next token begins a payload part.
  bool at_part() const {
    const token& t = peek();
    if (t.what == token::kind::string) return true;
    if (t.what != token::kind::word) return false;
    return t.text == "hex" || (t.text.ends_with('(') && function_named(t.text).has_value());
  }

  // part { part }: strings, hex strings, numbers and computed lengths, one
  // after the other.
  bool parse_payload(script_text& out, std::string_view what, std::size_t depth = 0) {
    if (!at_part()) return fail_at(peek(), std::string(what));
    while (at_part())
      if (!parse_part(out, depth)) return false;
    return true;
  }

  // STRING | hex STRING | NUMBER-FORM "(" number ")" | LENGTH-FORM "(" parts ")"
  bool parse_part(script_text& out, std::size_t depth) {
    if (take_word("hex")) {
      const token t = take();
      if (t.what != token::kind::string) return fail_at(t, "a quoted string of hex digits");
      return parse_hex(t, out);
    }
    const token t = take();
    if (t.what == token::kind::string) return parse_text(t, out);
    const auto called = *function_named(t.text);
    if (called.takes_number) {
      const token n = take();
      std::uint64_t value = 0;
      if (n.what != token::kind::word || !parse_number(n.text, value) ||
          value > largest_of(called.form))
        return fail_at(n, "a number that fits " + std::string(t.text) + "...) (decimal or 0x hex)");
      if (!take_close()) return false;
      append_literal(out, encode_length(called.form, value));
      return true;
    }
    if (depth + 1 > script_limits::deepest_nesting)
      return fail(t.column, "computed parts nested at most 8 deep", "a deeper one");
    script_text::segment computed;
    computed.computed = called.form;
    script_text inner;
    if (!parse_payload(inner, "what to measure: a string, hex or a computed part", depth + 1))
      return false;
    if (!take_close()) return false;
    computed.inner = std::move(inner.segments);
    out.segments.push_back(std::move(computed));
    return true;
  }

  bool take_close() {
    if (take_word(")")) return true;
    return fail_at(peek(), "')'");
  }

  // A field's value: a number (decimal or 0x hex) or a one-character string.
  bool parse_field_setting(field_setting& out) {
    const token t = take();
    const std::size_t eq = t.text.find('=');
    out.name = std::string(t.text.substr(0, eq));
    if (out.name.empty() || !is_name_start(out.name[0]) ||
        !std::all_of(out.name.begin(), out.name.end(), is_name_char))
      return fail_at(t, "a header field name before '='");
    field_columns_.emplace_back(out.name, t.column);
    const std::string_view value = t.text.substr(eq + 1);
    if (value.empty()) {
      const token quoted = take();
      script_text text;
      if (quoted.what != token::kind::string || !parse_text(quoted, text) || !text.is_literal() ||
          text.segments.size() != 1 || text.segments[0].bytes.size() != 1)
        return fail_at(quoted, "the field's value: a number or a one-character string such as "
                               "\"Q\" (no space after '=')");
      out.value = text.segments[0].bytes[0];
      out.as_character = true;
      return true;
    }
    if (!parse_number(value, out.value))
      return fail(t.column + eq + 1, "the field's value: a number (decimal or 0x hex)",
                  "'" + std::string(value) + "'");
    return true;
  }

  // NAME=VALUE words (a field setting) before a payload or an outcome.
  bool parse_field_settings(std::vector<field_setting>& out) {
    while (!at_end() && peek().what == token::kind::word &&
           peek().text.find('=') != std::string_view::npos) {
      field_setting f;
      if (!parse_field_setting(f)) return false;
      if (std::any_of(out.begin(), out.end(),
                      [&](const field_setting& g) { return g.name == f.name; }))
        return fail(field_columns_.back().second, "each field once", "'" + f.name + "' again");
      out.push_back(std::move(f));
    }
    return true;
  }

  bool parse_alternative(expectation& e) {
    if (!parse_field_settings(e.fields)) return false;
    const token& t = peek();
    if (at_part()) {
      e.what = expectation::kind::exact;
      return parse_payload(e.text, "a frame to expect");
    }
    if (t.what != token::kind::word)
      return fail_at(t, "what to expect (a string, hex, regex, prefix, contains, any, close, "
                        "reset, silence)");
    const std::string_view word = take().text;
    if (word == "prefix" || word == "contains") {
      e.what = word == "prefix" ? expectation::kind::prefix : expectation::kind::contains;
      return parse_payload(e.text, "a quoted string");
    }
    if (word == "regex") {
      e.what = expectation::kind::regex;
      const token pattern = take();
      if (pattern.what != token::kind::string)
        return fail_at(pattern, "a quoted regular expression");
      e.pattern = std::string(pattern.text);
      if (e.pattern.size() > script_limits::longest_regex)
        return fail(pattern.column,
                    "a regular expression of at most " +
                        std::to_string(script_limits::longest_regex) + " characters",
                    "one of " + std::to_string(e.pattern.size()));
      if (take_word("as")) {
        const token name = take();
        if (name.what != token::kind::word || !is_name_start(name.text[0]) ||
            !std::all_of(name.text.begin(), name.text.end(), is_name_char))
          return fail_at(name, "a variable name");
        e.capture = std::string(name.text);
      }
      // Compiled as the session will match it; the error names the part of
      // the pattern RE2 refuses, when that part can be placed.
      const auto compiled = detail::compiled_regex(e.pattern);
      if (!compiled->ok()) {
        const std::size_t at = regex_error_offset(e.pattern, compiled->error_arg());
        return fail(at == std::string_view::npos ? pattern.column : pattern.column + 1 + at,
                    "a valid regular expression (" + compiled->error() + ")", shown(pattern));
      }
      return true;
    }
    if (word == "any") {
      e.what = expectation::kind::any;
      if (!at_end() && peek().what == token::kind::word && !peek().text.empty() &&
          peek().text[0] >= '0' && peek().text[0] <= '9') {
        const token n = take();
        std::uint32_t count = 0;
        const auto [end, ec] = std::from_chars(n.text.data(), n.text.data() + n.text.size(), count);
        if (ec != std::errc{} || end != n.text.data() + n.text.size() || count == 0 ||
            count > script_limits::most_frames_in_any)
          return fail_at(n, "a frame count from 1 to 1000000");
        e.count = count;
      }
      return true;
    }
    if (word == "close") return e.what = expectation::kind::close, true;
    if (word == "reset") return e.what = expectation::kind::reset, true;
    if (word == "silence") {
      e.what = expectation::kind::silence;
      return parse_duration(e.quiet);
    }
    --next_;
    return fail_at(peek(), "what to expect (a string, hex, regex, prefix, contains, any, close, "
                           "reset, silence)");
  }

  bool parse_step(script_step& step, script_role role) {
    const token first = peek();
    // An optional "name:" prefix picks the connection.
    if (first.what == token::kind::word && first.text.size() > 1 && first.text.ends_with(':')) {
      const std::string_view name = first.text.substr(0, first.text.size() - 1);
      if (!is_name_start(name[0]) || !std::all_of(name.begin(), name.end(), is_name_char))
        return fail_at(first, "a connection name (letters, digits, '_', '-')");
      step.connection = std::string(name);
      take();
    }
    const token verb = take();
    const bool serving = role == script_role::server;
    const std::string expected_step = std::string("a step (send, expect, sleep, ") +
                                      (serving ? "accept" : "connect") +
                                      ", shutdown, close, reset, framing, sync)";
    if (verb.what != token::kind::word) return fail_at(verb, expected_step);
    if (verb.text == "send") {
      step.what = script_step::kind::send;
      step.raw = take_word("raw");
      if (!step.raw && !parse_field_settings(step.fields)) return false;
      if (!parse_payload(step.payload, "what to send: a quoted string, hex or a computed part"))
        return false;
    } else if (verb.text == "framing") {
      step.what = script_step::kind::framing;
      const token spec = take();
      if (!parse_framing_token(spec, step.framing)) return false;
    } else if (verb.text == "sync") {
      step.what = script_step::kind::sync;
    } else if (verb.text == "expect") {
      step.what = script_step::kind::expect;
      do {
        expectation e;
        if (!parse_alternative(e)) return false;
        step.alternatives.push_back(std::move(e));
      } while (take_word("or"));
      if (take_word("within")) {
        duration d{};
        if (!parse_duration(d)) return false;
        step.within = d;
      }
    } else if (verb.text == "sleep") {
      step.what = script_step::kind::sleep;
      if (!parse_duration(step.pause, false)) return false;
    } else if (verb.text == (serving ? "accept" : "connect")) {
      step.what = script_step::kind::connect;
      // A server accepts from whoever connects: only a client picks where.
      if (!serving && !at_end() && !parse_endpoint(step.endpoint)) return false;
    } else if (verb.text == "connect" || verb.text == "accept") {
      return fail_at(verb, serving ? "a step ('role server' scripts open connections with "
                                     "'accept': the client under test connects)"
                                   : "a step ('accept' opens a connection in 'role server' "
                                     "scripts; this one connects, with 'connect')");
    } else if (verb.text == "shutdown") {
      step.what = script_step::kind::shutdown;
    } else if (verb.text == "close") {
      step.what = script_step::kind::close;
    } else if (verb.text == "reset") {
      step.what = script_step::kind::reset;
    } else {
      return fail_at(verb, expected_step);
    }
    return expect_end();
  }

  // ignore [NAME=VALUE]... (payload | prefix P | contains P | regex "RE")
  bool parse_ignore(expectation& e) {
    if (!parse_field_settings(e.fields)) return false;
    const token& t = peek();
    const bool matches_frames =
        at_part() || (t.what == token::kind::word &&
                      (t.text == "prefix" || t.text == "contains" || t.text == "regex"));
    if (!matches_frames)
      return fail_at(t, "frames to ignore: a string, hex, prefix, contains or regex");
    if (!parse_alternative(e)) return false;
    if (!e.capture.empty()) return fail(end_column(), "an ignore without 'as'", "a capture");
    return expect_end();
  }

  // A framing spec, as a word or a quoted string, checked by the spec parser.
  bool parse_framing_token(const token& spec_token, std::string& out) {
    if (spec_token.what == token::kind::end)
      return fail_at(spec_token, "a framing spec such as line or len:u32be");
    spec_error bad;
    if (!parse_framing_spec(spec_token.text, bad))
      return fail(spec_token.column + (spec_token.what == token::kind::string ? 1 : 0) +
                      bad.column - 1,
                  "a framing spec (" + bad.reason + ")", shown(spec_token));
    out = std::string(spec_token.text);
    return true;
  }

  // HOST:PORT, the host a loopback address (127.x.y.z, [::1], localhost)
  // and the port a number or a variable: connect's other endpoint.
  bool parse_endpoint(script_text& out) {
    const token t = take();
    const std::size_t colon = t.text.rfind(':');
    const std::string_view host =
        colon == std::string_view::npos ? t.text : t.text.substr(0, colon);
    if (t.what != token::kind::word || colon == std::string_view::npos || !is_loopback(host))
      return fail_at(t, "a loopback endpoint HOST:PORT (127.0.0.1:PORT, [::1]:PORT or "
                        "localhost:PORT; PORT a number or ${name})");
    const std::string_view port = t.text.substr(colon + 1);
    std::uint64_t n = 0;
    const bool variable = port.starts_with("${") && port.ends_with('}');
    if (!variable && (!parse_number(port, n) || n == 0 || n > 65535))
      return fail(t.column + colon + 1, "a port from 1 to 65535, or ${name}",
                  "'" + std::string(port) + "'");
    return parse_text({token::kind::string, t.text, t.column - 1}, out);
  }

  static bool is_loopback(std::string_view host) {
    if (host == "localhost" || host == "[::1]") return true;
    if (!host.starts_with("127.")) return false;
    int dots = 0;
    for (const char c : host)
      if (c == '.')
        ++dots;
      else if (c < '0' || c > '9')
        return false;
    return dots == 3;
  }

  struct function {
    length_form form;
    bool takes_number; // u8(N): a number; len8(...): parts
  };

  static std::optional<function> function_named(std::string_view word) {
    static constexpr std::array<std::pair<std::string_view, function>, 17> functions{{
        {"u8(", {length_form::u8, true}},
        {"u16be(", {length_form::u16be, true}},
        {"u16le(", {length_form::u16le, true}},
        {"u32be(", {length_form::u32be, true}},
        {"u32le(", {length_form::u32le, true}},
        {"u64be(", {length_form::u64be, true}},
        {"u64le(", {length_form::u64le, true}},
        {"varint(", {length_form::varint, true}},
        {"len8(", {length_form::u8, false}},
        {"len16be(", {length_form::u16be, false}},
        {"len16le(", {length_form::u16le, false}},
        {"len32be(", {length_form::u32be, false}},
        {"len32le(", {length_form::u32le, false}},
        {"len64be(", {length_form::u64be, false}},
        {"len64le(", {length_form::u64le, false}},
        {"lenvarint(", {length_form::varint, false}},
        {"size(", {length_form::decimal, false}},
    }};
    for (const auto& [name, f] : functions)
      if (word == name) return f;
    return std::nullopt;
  }

  // Decimal or 0x hex.
  static bool parse_number(std::string_view text, std::uint64_t& out) {
    int base = 10;
    if (text.starts_with("0x") || text.starts_with("0X")) {
      base = 16;
      text.remove_prefix(2);
    }
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out, base);
    return !text.empty() && ec == std::errc{} && end == text.data() + text.size();
  }

  // Literal bytes join the literal before them: the same text parses to the
  // same segments however it was split into parts.
  static void append_literal(script_text& out, byte_buffer bytes) {
    if (bytes.empty()) return;
    auto& segs = out.segments;
    if (!segs.empty() && !segs.back().is_variable && !segs.back().computed) {
      segs.back().bytes.insert(segs.back().bytes.end(), bytes.begin(), bytes.end());
      return;
    }
    segs.push_back(script_text::segment::literal(std::move(bytes)));
  }

public:
  // Fields named on this line, with their columns, for the script to check
  // against the framing in effect.
  const std::vector<std::pair<std::string, std::size_t>>& field_columns() const {
    return field_columns_;
  }

private:
  std::vector<std::pair<std::string, std::size_t>> field_columns_;
  std::string_view line_;
  std::size_t number_;
  script_error& error_;
  std::vector<token>& tokens_;
  std::size_t next_ = 0;
  std::size_t end_column_ = 1;
  token end_token_{};
};

std::string_view comment_text(std::string_view line) {
  std::size_t i = line.find_first_not_of(" \t");
  if (i == std::string_view::npos || line[i] != '#') return {};
  line.remove_prefix(i + 1);
  while (!line.empty() && (line.front() == ' ' || line.front() == '\t'))
    line.remove_prefix(1);
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r'))
    line.remove_suffix(1);
  return line;
}

// What a `framing datagram` in a TCP script is refused with, as a directive,
// as a step, or in an assembled script's header.
constexpr const char* datagram_needs_udp = "a stream framing ('datagram' needs 'transport udp')";

// The header fields a step names, each with its column on the line.
using named_fields = std::vector<std::pair<std::string, std::size_t>>;

// How a step's checks report a failure: at a column of the line being read,
// or (steps assembled in code) as a message. Returns false.
using step_failure =
    std::function<bool(std::size_t column, std::string expected, std::string found)>;

// The framing each connection reads and writes with at this point of the
// script, where the script says: header fields are checked against it.
// Without a `framing` directive (the command line gives the spec) fields
// are checked when the script runs. Each spec text is parsed once: a script
// names a few, and a framing line was otherwise parsed again for every check.
class framings_in_effect {
public:
  void set_default(const std::string& text) {
    default_ = spec_of(text);
    by_connection_["main"] = default_;
  }
  void open(const std::string& connection) { by_connection_.try_emplace(connection, default_); }
  void change(const std::string& connection, const std::string& text) {
    by_connection_[connection] = spec_of(text);
  }
  bool is_datagram(const std::string& text) {
    const framing_spec* spec = spec_of(text);
    return spec && spec->kind == framing_kind::datagram;
  }

  bool check_fields(const std::string& connection, const named_fields& fields,
                    const step_failure& fail) const {
    const auto it = by_connection_.find(connection);
    if (fields.empty() || it == by_connection_.end() || !it->second) return true;
    const framing_spec& spec = *it->second;
    for (const auto& [name, column] : fields)
      if (!spec.field_named(name))
        return fail(column,
                    spec.fields.empty()
                        ? "no header field: framing '" + to_string(spec) + "' names none"
                        : "a header field of framing '" + to_string(spec) + "'",
                    "'" + name + "'");
    return true;
  }

private:
  // Null for a text that does not parse (a script built in code).
  const framing_spec* spec_of(const std::string& text) {
    auto [it, added] = parsed_.try_emplace(text);
    if (added) {
      spec_error ignored;
      it->second = parse_framing_spec(text, ignored);
    }
    return it->second ? &*it->second : nullptr;
  }

  std::map<std::string, std::optional<framing_spec>> parsed_; // by text; nodes stay put
  const framing_spec* default_ = nullptr;
  std::map<std::string, const framing_spec*> by_connection_;
};

} // namespace

std::string script_error::to_string(std::string_view file) const {
  return std::string(file) + ":" + std::to_string(line) + ":" + std::to_string(column) +
         ": expected " + expected + ", found " + found;
}

std::vector<std::string> script::connections() const {
  std::vector<std::string> names;
  for (const auto& step : steps)
    if (std::find(names.begin(), names.end(), step.connection) == names.end())
      names.push_back(step.connection);
  const auto main = std::find(names.begin(), names.end(), "main");
  if (main != names.end()) std::rotate(names.begin(), main, main + 1);
  return names;
}

namespace {

// The script as its lines are read: directives, steps, and what later
// lines are checked against (connections opened, variables captured, the
// framing each connection has).
class script_builder {
public:
  // framing, timeout, ignore, role, transport: false after failing.
  bool directive(line_parser& p, const token& first, std::size_t line) {
    p.take();
    if (seen_step_)
      return p.fail(first.column,
                    "a step (directives such as '" + std::string(first.text) +
                        "' come before the first step)",
                    "'" + std::string(first.text) + "'");
    if (first.text == "framing") {
      if (s_.framing) return p.fail(first.column, "one framing directive", "a second one");
      std::string spec;
      const token spec_token = p.take();
      if (!p.parse_framing_token(spec_token, spec)) return false;
      // Judged once the header is read: `transport udp` may come after.
      if (framings_.is_datagram(spec))
        datagram_framing_ =
            script_error{line, spec_token.column, datagram_needs_udp, "'" + spec + "'"};
      s_.framing = spec;
      framings_.set_default(spec);
    } else if (first.text == "role") {
      if (seen_role_) return p.fail(first.column, "one role directive", "a second one");
      seen_role_ = true;
      const token which = p.take();
      if (which.what != token::kind::word || (which.text != "client" && which.text != "server"))
        return p.fail_at(which, "the role tcpcheck plays: client or server");
      s_.role = which.text == "server" ? script_role::server : script_role::client;
    } else if (first.text == "transport") {
      if (seen_transport_) return p.fail(first.column, "one transport directive", "a second one");
      seen_transport_ = true;
      const token which = p.take();
      if (which.what != token::kind::word || (which.text != "tcp" && which.text != "udp"))
        return p.fail_at(which, "the transport: tcp or udp");
      s_.transport = which.text == "udp" ? script_transport::udp : script_transport::tcp;
    } else if (first.text == "ignore") {
      if (s_.ignored.size() == script_limits::most_ignores)
        return p.fail(first.column, "at most 64 ignore directives", "another");
      expectation e;
      // Its fields are not checked here: an ignore applies on every
      // connection under every framing, and matches no frame of a
      // framing that lacks them (a type field after a `framing` step).
      if (!p.parse_ignore(e)) return false;
      s_.ignored.push_back(std::move(e));
    } else {
      if (s_.timeout) return p.fail(first.column, "one timeout directive", "a second one");
      duration d{};
      if (!p.parse_duration(d)) return false;
      s_.timeout = d;
    }
    return p.expect_end();
  }

  // Whether a line starting with `first` is a directive: `framing` is one
  // before the first step, and a step after it (framing per step).
  bool is_directive(const token& first) const {
    return first.what == token::kind::word &&
           (first.text == "timeout" || first.text == "ignore" || first.text == "role" ||
            first.text == "transport" || (first.text == "framing" && !seen_step_));
  }

  // A step, checked against the lines before it: false after failing.
  bool step(line_parser& p, const token& first, std::size_t line) {
    script_step step;
    step.line = line;
    if (!p.parse_step(step, s_.role)) return false;
    return admit(std::move(step), first.column, p.field_columns(),
                 [&p](std::size_t column, std::string expected, std::string found) {
                   return p.fail(column, std::move(expected), std::move(found));
                 });
  }

  // Checks `step` against the steps before it (`column` is where its line
  // starts, `fields` the header fields it names) and keeps it; false after
  // `fail`.
  bool admit(script_step step, std::size_t column, const named_fields& fields,
             const step_failure& fail) {
    if (s_.transport == script_transport::udp && !fits_datagrams(step, column, fail)) return false;
    if (s_.transport == script_transport::tcp && step.what == script_step::kind::framing &&
        framings_.is_datagram(step.framing))
      return fail(column, datagram_needs_udp, "'framing " + step.framing + "'");
    seen_step_ = true;
    if (step.what == script_step::kind::connect) {
      connections_.insert(step.connection);
      framings_.open(step.connection);
    } else if (!connections_.count(step.connection)) {
      return fail(column,
                  "a connection opened by '" + step.connection + ": " +
                      (s_.role == script_role::server ? "accept" : "connect") + "' first",
                  "'" + step.connection + ":'");
    }
    if (connections_.size() > script_limits::most_connections)
      return fail(column, "at most 64 connections", "another one");
    if (step.what == script_step::kind::framing) framings_.change(step.connection, step.framing);
    if (!framings_.check_fields(step.connection, fields, fail)) return false;
    if (!variables_captured(step, column, fail)) return false;
    for (const auto& e : step.alternatives)
      if (!e.capture.empty()) variables_.insert(e.capture);
    s_.steps.push_back(std::move(step));
    if (s_.steps.size() > script_limits::most_steps) return fail(1, "at most 100000 steps", "more");
    return true;
  }

  // The header of a script assembled in code, as its directive lines would
  // set it; false after `fail`.
  bool header(const script& h, const step_failure& fail) {
    s_.description = h.description;
    s_.role = h.role;
    s_.transport = h.transport;
    s_.timeout = h.timeout;
    s_.ignored = h.ignored;
    if (s_.ignored.size() > script_limits::most_ignores)
      return fail(1, "at most 64 ignore directives", "another");
    if (h.framing) {
      s_.framing = h.framing;
      framings_.set_default(*h.framing);
      if (s_.transport == script_transport::tcp && framings_.is_datagram(*h.framing))
        return fail(1, datagram_needs_udp, "'" + *h.framing + "'");
    }
    return true;
  }

  script& result() { return s_; }

  /// A `framing datagram` line in a script that stays on TCP.
  std::optional<script_error> header_error() const {
    if (s_.transport == script_transport::tcp) return datagram_framing_;
    return std::nullopt;
  }

private:
  // Datagrams have no stream to end half-way, no FIN and no RST: a step
  // that needs one would be ignored silently, so it is refused.
  static bool fits_datagrams(const script_step& step, std::size_t column,
                             const step_failure& fail) {
    const char* stream_only = nullptr;
    if (step.what == script_step::kind::shutdown) stream_only = "shutdown";
    if (step.what == script_step::kind::reset) stream_only = "reset";
    for (const auto& e : step.alternatives) {
      if (e.what == expectation::kind::close) stream_only = "expect close";
      if (e.what == expectation::kind::reset) stream_only = "expect reset";
    }
    if (!stream_only) return true;
    return fail(column,
                "a step a datagram conversation has ('transport udp': send, expect, "
                "sleep, connect, close, framing, sync)",
                "'" + std::string(stream_only) + "', which needs a TCP stream");
  }

  // Variables must be captured before they are used (built-in ones need not).
  bool variables_captured(const script_step& step, std::size_t column,
                          const step_failure& fail) const {
    const auto check_uses = [&](const script_text& t) {
      for (const auto& name : t.variables())
        if (!is_builtin_variable(name) && !variables_.count(name))
          return fail(column,
                      "${" + name + "} captured by an earlier 'expect regex ... as " + name + "'",
                      "its first use");
      return true;
    };
    if (!check_uses(step.payload) || !check_uses(step.endpoint)) return false;
    return std::all_of(step.alternatives.begin(), step.alternatives.end(),
                       [&](const expectation& e) { return check_uses(e.text); });
  }

  script s_;
  bool seen_role_ = false;
  bool seen_transport_ = false;
  bool seen_step_ = false;
  std::set<std::string> connections_{"main"};
  std::set<std::string> variables_;
  framings_in_effect framings_;
  std::optional<script_error> datagram_framing_; // see header_error
};

} // namespace

bool is_datagram_spec(std::string_view text) {
  spec_error ignored;
  const auto spec = parse_framing_spec(text, ignored);
  return spec && spec->kind == framing_kind::datagram;
}

std::optional<script> parse_script(std::string_view text, script_error& error) {
  if (text.size() > script_limits::largest_script) {
    error = {1, 1,
             "a script of at most " + std::to_string(script_limits::largest_script) + " bytes",
             std::to_string(text.size()) + " bytes"};
    return std::nullopt;
  }
  script_builder builder;
  bool seen_content = false; // a directive or step: the description must come first
  std::size_t number = 0;
  std::vector<token> tokens;
  tokens.reserve(8); // a step has a few
  for (std::size_t start = 0; start <= text.size();) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (line.ends_with('\r')) line.remove_suffix(1); // CRLF files read as LF ones
    ++number;
    start = end + 1;

    if (line.find('\0') != std::string_view::npos) {
      error = {number, line.find('\0') + 1, "text", "a NUL byte (write \\0 inside a string)"};
      return std::nullopt;
    }
    script& s = builder.result();
    if (!seen_content && s.description.empty()) {
      const std::string_view comment = comment_text(line);
      if (!comment.empty()) {
        s.description = std::string(comment);
        continue;
      }
    }
    line_parser p(line, number, error, tokens);
    if (!p.tokenize()) return std::nullopt;
    if (p.empty()) continue;
    seen_content = true;
    const token first = p.peek();
    const bool ok = builder.is_directive(first) ? builder.directive(p, first, number)
                                                : builder.step(p, first, number);
    if (!ok) return std::nullopt;
  }
  if (auto bad = builder.header_error()) {
    error = *std::move(bad);
    return std::nullopt;
  }
  return std::move(builder.result());
}

namespace {

// The lines to_string(script) prints before the steps, and the blank line
// after them.
std::size_t printed_header_lines(const script& s, bool with_steps) {
  std::size_t lines = (s.description.empty() ? 0 : 1) + (s.role == script_role::server ? 1 : 0) +
                      (s.transport == script_transport::udp ? 1 : 0) + (s.framing ? 1 : 0) +
                      (s.timeout ? 1 : 0) + s.ignored.size();
  return lines > 0 && with_steps ? lines + 1 : lines;
}

// At least the size of a step printed: an escape takes at most four
// characters a byte.
std::size_t printed_size_bound(const script_step& step) {
  const auto text_size = [](const script_text& t) {
    std::size_t n = 0;
    for (const auto& segment : t.segments)
      n += 4 * segment.bytes.size() + 8;
    return n;
  };
  std::size_t n = 256 + text_size(step.payload) + text_size(step.endpoint) + step.framing.size();
  for (const auto& e : step.alternatives)
    n += 64 + text_size(e.text) + 4 * e.pattern.size() + e.capture.size() + 32 * e.fields.size();
  return n + 32 * step.fields.size();
}

// A text as the parser writes it down: literal bytes in one segment between
// variables and computed parts, and no empty one (a mutated send may have
// been cut into pieces, or emptied).
void as_parsed(std::vector<script_text::segment>& segments) {
  std::vector<script_text::segment> out;
  out.reserve(segments.size());
  const auto plain = [](const script_text::segment& s) { return !s.is_variable && !s.computed; };
  for (auto& segment : segments) {
    as_parsed(segment.inner);
    if (plain(segment) && segment.bytes.empty()) continue;
    if (plain(segment) && !out.empty() && plain(out.back()))
      out.back().bytes.insert(out.back().bytes.end(), segment.bytes.begin(), segment.bytes.end());
    else
      out.push_back(std::move(segment));
  }
  segments = std::move(out);
}

void as_parsed(script_step& step) {
  as_parsed(step.payload.segments);
  as_parsed(step.endpoint.segments);
  for (auto& e : step.alternatives)
    as_parsed(e.text.segments);
}

} // namespace

std::optional<script> assemble_script(const script& header, std::vector<script_step> steps,
                                      script_error& error) {
  std::size_t line = printed_header_lines(header, !steps.empty());
  std::size_t size_bound = 0;
  for (const auto& step : steps)
    size_bound += printed_size_bound(step);
  script_builder builder;
  std::size_t at = 1;
  const step_failure fail = [&](std::size_t column, std::string expected, std::string found) {
    error = {at, std::max<std::size_t>(column, 1), std::move(expected), std::move(found)};
    return false;
  };
  if (!builder.header(header, fail)) return std::nullopt;
  for (auto& step : steps) {
    step.line = at = ++line;
    as_parsed(step);
    named_fields fields;
    for (const auto& f : step.fields)
      fields.emplace_back(f.name, 1);
    for (const auto& e : step.alternatives)
      for (const auto& f : e.fields)
        fields.emplace_back(f.name, 1);
    if (!builder.admit(std::move(step), 1, fields, fail)) return std::nullopt;
  }
  // Near the size limit, the text itself decides, as when it is read.
  if (size_bound + 4 * header.description.size() + 4096 > script_limits::largest_script)
    return parse_script(to_string(builder.result()), error);
  return std::move(builder.result());
}

} // namespace tcpcheck
