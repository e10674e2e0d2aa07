// Report writers: human text, JSON and JUnit XML from the same run reports.
#include "tcpcheck/harness/report.hpp"

#include "tcpcheck/escape.hpp"

#include <cstdio>

#include "report_formats.hpp"

namespace tcpcheck::harness {

using namespace detail;

namespace {

enum class step_status { ok, failed, not_run };

step_status status_of(const run_report& r, std::size_t index) {
  const verdict& v = r.result.outcome;
  if (v.passed || index < v.step) return step_status::ok;
  return index == v.step ? step_status::failed : step_status::not_run;
}

} // namespace

std::string shell_quote(const std::string& argument) {
  const bool plain = !argument.empty() && argument.find_first_not_of(
                                              "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                              "0123456789_-+=/.,:@%") == std::string::npos;
  if (plain) return argument;
  std::string out = "'";
  for (const char c : argument)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

void write_human(std::ostream& out, const run_report& r, bool verbose, bool color) {
  const auto paint = [color](const char* code, const std::string& text) {
    return color ? std::string("\033[") + code + "m" + text + "\033[0m" : text;
  };
  const verdict& v = r.result.outcome;
  out << "tcpcheck run " << r.script_path << " against " << to_string(r.where) << " (framing "
      << r.framing << ", plan " << r.plan << ")\n";
  if (r.steps && !r.steps->description.empty()) out << "# " << r.steps->description << '\n';
  if (r.steps) {
    for (std::size_t i = 0; i < r.steps->steps.size(); ++i) {
      const auto& step = r.steps->steps[i];
      const step_status st = status_of(r, i);
      const std::string mark = st == step_status::ok       ? paint("32", "ok  ")
                               : st == step_status::failed ? paint("1;31", "FAIL")
                                                           : paint("90", "--  ");
      if (st == step_status::not_run && !verbose) continue;
      out << "  " << mark << "  line " << step.line << "  " << to_string(step) << '\n';
    }
  }
  if (!v.passed) {
    if (v.step >= (r.steps ? r.steps->steps.size() : 0))
      out << "  " << paint("1;31", "FAIL") << "  ";
    else
      out << "        ";
    out << v.reason << '\n';
    if (!v.expected.empty()) out << "        expected: " << v.expected << '\n';
    if (!v.got.empty()) out << "        got:      " << v.got << '\n';
  }
  if (verbose) {
    out << "wire log:\n";
    write_wire_log_human(out, r.result.wire_log, "  ");
  }
  const double ms = static_cast<double>(r.result.elapsed.count()) / 1000.0;
  char elapsed[32];
  std::snprintf(elapsed, sizeof elapsed, "%.1f ms", ms);
  if (v.passed) {
    out << paint("1;32", "PASS") << " in " << elapsed << '\n';
  } else {
    out << paint("1;31", "FAIL") << (r.result.unreachable ? " (target unreachable)" : "")
        << " at line " << v.line << " in " << elapsed << "\nreplay: " << r.replay << '\n';
  }
}

void write_json(std::ostream& out, const std::vector<run_report>& reports) {
  out << "{\"runs\": [";
  for (std::size_t k = 0; k < reports.size(); ++k) {
    const run_report& r = reports[k];
    const verdict& v = r.result.outcome;
    out << (k ? ",\n" : "\n") << "{\"script\": " << json_string(r.script_path)
        << ", \"target\": " << json_string(to_string(r.where))
        << ", \"framing\": " << json_string(r.framing) << ", \"plan\": " << json_string(r.plan)
        << ", \"passed\": " << (v.passed ? "true" : "false")
        << ", \"unreachable\": " << (r.result.unreachable ? "true" : "false")
        << ", \"line\": " << v.line << ", \"reason\": " << json_string(v.reason)
        << ", \"expected\": " << json_string(v.expected) << ", \"got\": " << json_string(v.got)
        << ", \"elapsed_us\": " << r.result.elapsed.count()
        << ", \"replay\": " << json_string(r.replay) << ",\n \"steps\": [";
    if (r.steps)
      for (std::size_t i = 0; i < r.steps->steps.size(); ++i) {
        const step_status st = status_of(r, i);
        out << (i ? ", " : "") << "{\"line\": " << r.steps->steps[i].line
            << ", \"step\": " << json_string(to_string(r.steps->steps[i])) << ", \"status\": \""
            << (st == step_status::ok       ? "ok"
                : st == step_status::failed ? "failed"
                                            : "not_run")
            << "\"}";
      }
    out << "],\n \"wire_log\": ";
    write_wire_log_json(out, r.result.wire_log);
    out << "}";
  }
  out << "\n]}\n";
}

void write_junit(std::ostream& out, const std::vector<run_report>& reports,
                 const std::string& suite_name) {
  std::size_t failures = 0;
  std::chrono::microseconds total{0};
  for (const auto& r : reports) {
    failures += r.result.outcome.passed ? 0 : 1;
    total += r.result.elapsed;
  }
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n<testsuite name=\""
      << xml_text(suite_name) << "\" tests=\"" << reports.size() << "\" failures=\"" << failures
      << "\" errors=\"0\" time=\"" << seconds(total) << "\">\n";
  for (const auto& r : reports) {
    const verdict& v = r.result.outcome;
    out << "  <testcase classname=\"" << xml_text(r.script_path) << "\" name=\""
        << xml_text(r.plan + " @ " + to_string(r.where)) << "\" time=\""
        << seconds(r.result.elapsed) << "\"";
    if (v.passed) {
      out << "/>\n";
      continue;
    }
    out << ">\n    <failure message=\""
        << xml_text("line " + std::to_string(v.line) + ": " + v.reason) << "\">"
        << xml_text("expected: " + v.expected + "\ngot: " + v.got + "\nreplay: " + r.replay)
        << "</failure>\n  </testcase>\n";
  }
  out << "</testsuite>\n</testsuites>\n";
}

} // namespace tcpcheck::harness
