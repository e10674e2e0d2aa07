// Scripts printed in canonical form: what parse_script reads back unchanged.
#include "tcpcheck/escape.hpp"
#include "tcpcheck/script.hpp"

namespace tcpcheck {

namespace {

std::string_view function_name(length_form form) {
  switch (form) {
  case length_form::u8:
    return "len8";
  case length_form::u16be:
    return "len16be";
  case length_form::u16le:
    return "len16le";
  case length_form::u32be:
    return "len32be";
  case length_form::u32le:
    return "len32le";
  case length_form::u64be:
    return "len64be";
  case length_form::u64le:
    return "len64le";
  case length_form::varint:
    return "lenvarint";
  case length_form::decimal:
    return "size";
  }
  return "?";
}

// Literal bytes and variables in one quoted string, computed parts as
// `len16be(...)`. Quotes and dollars are escaped so that the text reads
// back as literal bytes, never as the string's end or a variable.
void append_segments(std::string& out, const std::vector<script_text::segment>& segments) {
  bool in_string = false;
  bool first = true;
  for (const auto& seg : segments) {
    if (seg.computed) {
      if (in_string) out += '"';
      in_string = false;
      out += (first ? "" : " ") + std::string(function_name(*seg.computed)) + "(";
      append_segments(out, seg.inner);
      out += ')';
    } else {
      if (!in_string) out += first ? "\"" : " \"";
      in_string = true;
      if (seg.is_variable)
        out += "${" + seg.variable + "}";
      else
        out += escape(seg.bytes, "\"$", /*backslash_also=*/true);
    }
    first = false;
  }
  if (in_string) out += '"';
  if (first) out += "\"\"";
}

void append_text(std::string& out, const script_text& text) {
  append_segments(out, text.segments);
}

void append_fields(std::string& out, const std::vector<field_setting>& fields) {
  for (const auto& f : fields) {
    out += f.name + '=';
    if (f.as_character) {
      const auto byte = static_cast<std::uint8_t>(f.value);
      out += "\"" + escape(byte_view(&byte, 1), "\"$", /*backslash_also=*/true) + "\"";
    } else {
      out += hex_number(f.value);
    }
    out += ' ';
  }
}

void append_alternative(std::string& out, const expectation& e) {
  append_fields(out, e.fields);
  switch (e.what) {
  case expectation::kind::exact:
    append_text(out, e.text);
    break;
  case expectation::kind::prefix:
  case expectation::kind::contains:
    out += e.what == expectation::kind::prefix ? "prefix " : "contains ";
    append_text(out, e.text);
    break;
  case expectation::kind::regex:
    out += "regex \"" + e.pattern + "\"";
    if (!e.capture.empty()) out += " as " + e.capture;
    break;
  case expectation::kind::any:
    out += "any";
    if (e.count != 1) out += " " + std::to_string(e.count);
    break;
  case expectation::kind::close:
    out += "close";
    break;
  case expectation::kind::reset:
    out += "reset";
    break;
  case expectation::kind::silence:
    out += "silence " + duration_text(e.quiet);
    break;
  }
}

// A spec as a word, or quoted when it holds what would end a word.
std::string spec_word(const std::string& raw) {
  // A script's quoted word ends at a '"' and its line at a line feed: those
  // bytes of a spec (a delimiter, given on a command line) are written as
  // the spec language's \xHH escapes, which mean the same. (A carriage
  // return stays: a quoted word keeps it.)
  std::string spec;
  for (const char c : raw) {
    if (c == '"' || c == '\n')
      spec += "\\x" + to_hex(byte_view(reinterpret_cast<const std::uint8_t*>(&c), 1));
    else
      spec += c;
  }
  const bool plain = spec.find_first_of(" \t\r\"#()") == std::string::npos;
  return plain ? spec : "\"" + spec + "\"";
}

} // namespace

std::string duration_text(duration d) {
  const auto ms = d.count();
  if (ms != 0 && ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::string to_string(const script_step& step, script_role role) {
  std::string out;
  if (step.connection != "main") out += step.connection + ": ";
  switch (step.what) {
  case script_step::kind::connect:
    out += role == script_role::server ? "accept" : "connect";
    if (!step.endpoint.segments.empty()) {
      std::string quoted;
      append_text(quoted, step.endpoint);
      out += " " + quoted.substr(1, quoted.size() - 2); // HOST:PORT is a word
    }
    break;
  case script_step::kind::send:
    out += step.raw ? "send raw " : "send ";
    append_fields(out, step.fields);
    append_text(out, step.payload);
    break;
  case script_step::kind::framing:
    out += "framing " + spec_word(step.framing);
    break;
  case script_step::kind::sync:
    out += "sync";
    break;
  case script_step::kind::expect:
    out += "expect ";
    for (std::size_t i = 0; i < step.alternatives.size(); ++i) {
      if (i) out += " or ";
      append_alternative(out, step.alternatives[i]);
    }
    if (step.within) out += " within " + duration_text(*step.within);
    break;
  case script_step::kind::sleep:
    out += "sleep " + duration_text(step.pause);
    break;
  case script_step::kind::shutdown:
    out += "shutdown";
    break;
  case script_step::kind::close:
    out += "close";
    break;
  case script_step::kind::reset:
    out += "reset";
    break;
  }
  return out;
}

std::string to_string(const script& s) {
  std::string out;
  if (!s.description.empty()) out += "# " + s.description + "\n";
  if (s.role == script_role::server) out += "role server\n";
  if (s.transport == script_transport::udp) out += "transport udp\n";
  if (s.framing) out += "framing " + spec_word(*s.framing) + "\n";
  if (s.timeout) out += "timeout " + duration_text(*s.timeout) + "\n";
  for (const auto& e : s.ignored) {
    out += "ignore ";
    append_alternative(out, e);
    out += '\n';
  }
  if (!out.empty() && !s.steps.empty()) out += "\n";
  for (const auto& step : s.steps)
    out += to_string(step, s.role) + '\n';
  return out;
}

} // namespace tcpcheck
