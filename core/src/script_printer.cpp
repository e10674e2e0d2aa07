// Scripts printed in canonical form: what parse_script reads back unchanged.
#include "tcpcheck/escape.hpp"
#include "tcpcheck/script.hpp"

namespace tcpcheck {

namespace {

// Quotes and dollars are escaped so that the text reads back as literal
// bytes, never as the string's end or a variable.
void append_text(std::string& out, const script_text& text) {
  out += '"';
  for (const auto& seg : text.segments) {
    if (seg.is_variable)
      out += "${" + seg.variable + "}";
    else
      out += escape(seg.bytes, "\"$", /*backslash_also=*/true);
  }
  out += '"';
}

void append_alternative(std::string& out, const expectation& e) {
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

} // namespace

std::string duration_text(duration d) {
  const auto ms = d.count();
  if (ms != 0 && ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::string to_string(const script_step& step) {
  std::string out;
  if (step.connection != "main") out += step.connection + ": ";
  switch (step.what) {
  case script_step::kind::connect:
    out += "connect";
    break;
  case script_step::kind::send:
    out += step.raw ? "send raw " : "send ";
    append_text(out, step.payload);
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
  if (s.framing) {
    const bool plain = s.framing->find_first_of(" \t\r\"#") == std::string::npos;
    out += "framing " + (plain ? *s.framing : "\"" + *s.framing + "\"") + "\n";
  }
  if (s.timeout) out += "timeout " + duration_text(*s.timeout) + "\n";
  if (!out.empty() && !s.steps.empty()) out += "\n";
  for (const auto& step : s.steps)
    out += to_string(step) + '\n';
  return out;
}

} // namespace tcpcheck
