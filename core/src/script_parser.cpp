// The script parser: one line at a time, tokens with columns, strict errors.
#include "tcpcheck/escape.hpp"
#include "tcpcheck/script.hpp"

#include <algorithm>
#include <charconv>
#include <re2/re2.h>
#include <set>

#include "regex_options.hpp"

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
  line_parser(std::string_view line, std::size_t number, script_error& error)
      : line_(line), number_(number), error_(error) {}

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
      std::size_t j = i;
      while (j < line_.size() && line_[j] != ' ' && line_[j] != '\t' && line_[j] != '"' &&
             line_[j] != '#' && line_[j] != '\r')
        ++j;
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
    const auto flush = [&] {
      if (!literal.bytes.empty()) out.segments.push_back(std::move(literal));
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
    if (!bytes.empty()) out.segments.push_back({false, std::move(bytes), {}});
    return true;
  }

  // STRING | hex STRING
  bool parse_payload(script_text& out, std::string_view what) {
    const bool hex = take_word("hex");
    const token t = take();
    if (t.what != token::kind::string)
      return fail_at(t, hex ? "a quoted string of hex digits" : std::string(what));
    return hex ? parse_hex(t, out) : parse_text(t, out);
  }

  bool parse_alternative(expectation& e) {
    const token& t = peek();
    if (t.what == token::kind::string || (t.what == token::kind::word && t.text == "hex")) {
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
      const RE2 compiled(e.pattern, detail::regex_options());
      if (!compiled.ok()) {
        const std::size_t at = regex_error_offset(e.pattern, compiled.error_arg());
        return fail(at == std::string_view::npos ? pattern.column : pattern.column + 1 + at,
                    "a valid regular expression (" + compiled.error() + ")", shown(pattern));
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

  bool parse_step(script_step& step) {
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
    const std::string expected_step =
        "a step (send, expect, sleep, connect, shutdown, close, reset)";
    if (verb.what != token::kind::word) return fail_at(verb, expected_step);
    if (verb.text == "send") {
      step.what = script_step::kind::send;
      step.raw = take_word("raw");
      if (!parse_payload(step.payload, "a quoted string to send")) return false;
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
    } else if (verb.text == "connect") {
      step.what = script_step::kind::connect;
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

private:
  std::string_view line_;
  std::size_t number_;
  script_error& error_;
  std::vector<token> tokens_;
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

} // namespace

std::string script_error::to_string(std::string_view file) const {
  return std::string(file) + ":" + std::to_string(line) + ":" + std::to_string(column) +
         ": expected " + expected + ", found " + found;
}

bool script_text::has_variables() const noexcept {
  return std::any_of(segments.begin(), segments.end(),
                     [](const segment& s) { return s.is_variable; });
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

std::optional<script> parse_script(std::string_view text, script_error& error) {
  if (text.size() > script_limits::largest_script) {
    error = {1, 1,
             "a script of at most " + std::to_string(script_limits::largest_script) + " bytes",
             std::to_string(text.size()) + " bytes"};
    return std::nullopt;
  }
  script s;
  bool seen_content = false; // a directive or step: the description must come first
  bool seen_step = false;
  std::set<std::string> connections{"main"};
  std::set<std::string> variables;
  std::size_t number = 0;
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
    if (!seen_content && s.description.empty()) {
      const std::string_view comment = comment_text(line);
      if (!comment.empty()) {
        s.description = std::string(comment);
        continue;
      }
    }
    line_parser p(line, number, error);
    if (!p.tokenize()) return std::nullopt;
    if (p.empty()) continue;
    seen_content = true;

    const token first = p.peek();
    if (first.what == token::kind::word && (first.text == "framing" || first.text == "timeout")) {
      p.take();
      if (seen_step) {
        p.fail(first.column,
               "a step (directives such as '" + std::string(first.text) +
                   "' come before the first step)",
               "'" + std::string(first.text) + "'");
        return std::nullopt;
      }
      if (first.text == "framing") {
        if (s.framing)
          return p.fail(first.column, "one framing directive", "a second one"), std::nullopt;
        const token spec_token = p.take();
        if (spec_token.what == token::kind::end) {
          p.fail_at(spec_token, "a framing spec such as line or len:u32be");
          return std::nullopt;
        }
        spec_error bad;
        if (!parse_framing_spec(spec_token.text, bad)) {
          p.fail(spec_token.column + (spec_token.what == token::kind::string ? 1 : 0) + bad.column -
                     1,
                 "a framing spec (" + bad.reason + ")", shown(spec_token));
          return std::nullopt;
        }
        s.framing = std::string(spec_token.text);
      } else {
        if (s.timeout)
          return p.fail(first.column, "one timeout directive", "a second one"), std::nullopt;
        duration d{};
        if (!p.parse_duration(d)) return std::nullopt;
        s.timeout = d;
      }
      if (!p.expect_end()) return std::nullopt;
      continue;
    }

    script_step step;
    step.line = number;
    if (!p.parse_step(step)) return std::nullopt;
    seen_step = true;
    if (step.what == script_step::kind::connect) {
      connections.insert(step.connection);
    } else if (!connections.count(step.connection)) {
      p.fail(first.column, "a connection opened by '" + step.connection + ": connect' first",
             "'" + step.connection + ":'");
      return std::nullopt;
    }
    if (connections.size() > script_limits::most_connections) {
      p.fail(first.column, "at most 64 connections", "another one");
      return std::nullopt;
    }
    // Variables must be captured before they are used.
    const auto check_uses = [&](const script_text& t) {
      for (const auto& seg : t.segments)
        if (seg.is_variable && !variables.count(seg.variable))
          return p.fail(first.column,
                        "${" + seg.variable + "} captured by an earlier 'expect regex ... as " +
                            seg.variable + "'",
                        "its first use");
      return true;
    };
    if (!check_uses(step.payload)) return std::nullopt;
    for (const auto& e : step.alternatives)
      if (!check_uses(e.text)) return std::nullopt;
    for (const auto& e : step.alternatives)
      if (!e.capture.empty()) variables.insert(e.capture);
    s.steps.push_back(std::move(step));
    if (s.steps.size() > script_limits::most_steps) {
      p.fail(1, "at most 100000 steps", "more");
      return std::nullopt;
    }
  }
  return s;
}

} // namespace tcpcheck
