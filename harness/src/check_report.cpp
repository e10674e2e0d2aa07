// Check reports: the matrix for people, JSON and JUnit XML.
#include "tcpcheck/harness/check_report.hpp"

#include <algorithm>
#include <cstdio>
#include <map>

#include "report_formats.hpp"

namespace tcpcheck::harness {

using namespace detail;

namespace {

std::string seconds_text(std::chrono::milliseconds ms) {
  if (ms.count() < 1000) return std::to_string(ms.count()) + " ms";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(ms.count()) / 1000.0);
  return buf;
}

bool is_problem(case_status s) {
  return s == case_status::fail || s == case_status::flaky;
}

// The results of one area, in matrix order.
std::vector<std::size_t> area_results(const check_outcome& o, check_area area) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < o.results.size(); ++i)
    if (o.results[i].which->area == area) out.push_back(i);
  return out;
}

std::vector<check_area> areas_of(const check_outcome& o) {
  std::vector<check_area> out;
  for (const auto& r : o.results)
    if (std::find(out.begin(), out.end(), r.which->area) == out.end()) out.push_back(r.which->area);
  return out;
}

} // namespace

check_counts count(const check_outcome& outcome) {
  check_counts c;
  for (const auto& r : outcome.results) {
    switch (r.status) {
    case case_status::pass:
      ++c.pass;
      break;
    case case_status::fail:
      ++c.fail;
      break;
    case case_status::flaky:
      ++c.flaky;
      break;
    case case_status::warn:
      ++c.warn;
      break;
    case case_status::not_run:
      ++c.not_run;
      break;
    }
  }
  return c;
}

void write_human(std::ostream& out, const check_report& report, bool verbose, bool color) {
  const auto paint = [color](const char* code, const std::string& text) {
    return color ? std::string("\033[") + code + "m" + text + "\033[0m" : text;
  };
  const auto mark = [&](case_status s) {
    const std::string name(name_of(s));
    switch (s) {
    case case_status::pass:
      return paint("32", "pass   ");
    case case_status::fail:
      return paint("1;31", "FAIL   ");
    case case_status::flaky:
      return paint("1;33", "FLAKY  ");
    case case_status::warn:
      return paint("33", "warn   ");
    case case_status::not_run:
      return paint("90", "not run");
    }
    return name;
  };
  const check_outcome& o = *report.outcome;
  out << "tcpcheck check " << report.script_path << " against " << report.target << "\n"
      << "framing " << report.framing << ", seed " << report.seed << ", " << o.results.size()
      << " case" << (o.results.size() == 1 ? "" : "s") << "\n";

  const case_result& base = o.baseline;
  if (base.status == case_status::fail || base.status == case_status::not_run) {
    out << "\n"
        << paint("1;31", "The baseline conversation fails") << " (" << base.which->id << ": "
        << base.which->title << "):\n  " << base.summary << "\n";
    if (base.failed_run) {
      const verdict& v = base.failed_run->outcome;
      if (!v.expected.empty()) out << "  expected: " << v.expected << "\n";
      if (!v.got.empty()) out << "  got:      " << v.got << "\n";
    }
    if (!report.baseline_replay.empty()) out << "  replay: " << report.baseline_replay << "\n";
    out << "Nothing else was run: the other cases are judged against the baseline.\n";
    return;
  }
  if (base.status == case_status::flaky)
    out << paint("1;33", "The baseline conversation is flaky") << ": " << base.summary << "\n";

  for (const check_area area : areas_of(o)) {
    const auto indexes = area_results(o, area);
    std::map<case_status, std::size_t> tally;
    for (const auto i : indexes)
      ++tally[o.results[i].status];
    out << "\n"
        << paint("1", std::string(name_of(area))) << "  " << indexes.size() << " case"
        << (indexes.size() == 1 ? "" : "s") << ":";
    bool first = true;
    for (const auto& [status, n] : tally) {
      out << (first ? " " : ", ") << n << " " << name_of(status);
      first = false;
    }
    out << "\n";
    for (const auto i : indexes) {
      const case_result& r = o.results[i];
      if (!verbose && r.status == case_status::pass) continue;
      out << "  " << mark(r.status) << "  " << r.which->id;
      if (!r.summary.empty()) out << "  " << r.summary;
      out << "\n";
      if (verbose || r.status == case_status::warn)
        for (const auto& d : r.details)
          out << "             " << d << "\n";
    }
  }

  bool headed = false;
  for (std::size_t i = 0; i < o.results.size(); ++i) {
    const case_result& r = o.results[i];
    if (!is_problem(r.status)) continue;
    if (!headed) out << "\n" << paint("1", "Failures") << "\n";
    headed = true;
    out << "\n" << mark(r.status) << "  " << r.which->id << ": " << r.which->title << "\n";
    out << "  " << r.summary << "\n";
    if (r.failed_run) {
      const verdict& v = r.failed_run->outcome;
      if (!v.expected.empty()) out << "  expected: " << v.expected << "\n";
      if (!v.got.empty()) out << "  got:      " << v.got << "\n";
    }
    if (!r.which->failure_hint.empty()) out << "  meaning:  " << r.which->failure_hint << "\n";
    for (const auto& d : r.details)
      out << "  " << d << "\n";
    if (r.server_death) {
      const auto& death = *r.server_death;
      const std::string& said = !death.sanitizer.empty() ? death.sanitizer : death.stderr_tail;
      if (!said.empty()) {
        out << "  the server's stderr:\n";
        std::size_t start = 0;
        while (start < said.size()) {
          const auto nl = said.find('\n', start);
          const auto end = nl == std::string::npos ? said.size() : nl;
          out << "    | " << said.substr(start, end - start) << "\n";
          start = end + 1;
        }
      }
    }
    if (i < report.replay.size() && !report.replay[i].empty())
      out << "  replay:   " << report.replay[i] << "\n";
  }

  const check_counts c = count(o);
  out << "\n"
      << (c.all_passed() ? paint("1;32", "PASS") : paint("1;31", "FAIL")) << "  " << c.pass
      << " pass, " << c.fail << " fail, " << c.flaky << " flaky, " << c.warn << " warn, "
      << c.not_run << " not run in " << seconds_text(o.elapsed) << " (baseline "
      << std::to_string(base.elapsed.count() / 1000) << " ms";
  for (const auto& [area, ms] : o.area_times)
    out << ", " << name_of(area) << " " << seconds_text(ms);
  out << ")\n";
}

void write_json(std::ostream& out, const check_report& report) {
  const check_outcome& o = *report.outcome;
  const check_counts c = count(o);
  out << "{\"check\": {\"script\": " << json_string(report.script_path)
      << ", \"target\": " << json_string(report.target)
      << ", \"framing\": " << json_string(report.framing) << ", \"seed\": " << report.seed
      << ", \"elapsed_ms\": " << o.elapsed.count()
      << ", \"baseline\": " << json_string(std::string(name_of(o.baseline.status)))
      << ", \"pass\": " << c.pass << ", \"fail\": " << c.fail << ", \"flaky\": " << c.flaky
      << ", \"warn\": " << c.warn << ", \"not_run\": " << c.not_run;
  if (o.resources_before && o.resources_after) {
    const auto sample = [&](const resource_sample& r) {
      out << "{\"rss_kib\": " << r.rss_kib << ", \"open_fds\": " << r.open_fds
          << ", \"threads\": " << r.threads << "}";
    };
    out << ", \"resources_before\": ";
    sample(*o.resources_before);
    out << ", \"resources_after\": ";
    sample(*o.resources_after);
  }
  out << ", \"area_ms\": {";
  for (std::size_t i = 0; i < o.area_times.size(); ++i)
    out << (i ? ", " : "") << json_string(std::string(name_of(o.area_times[i].first))) << ": "
        << o.area_times[i].second.count();
  out << "}},\n\"cases\": [";
  for (std::size_t i = 0; i < o.results.size(); ++i) {
    const case_result& r = o.results[i];
    out << (i ? ",\n" : "\n") << "{\"id\": " << json_string(r.which->id)
        << ", \"area\": " << json_string(std::string(name_of(r.which->area)))
        << ", \"title\": " << json_string(r.which->title)
        << ", \"status\": " << json_string(std::string(name_of(r.status)))
        << ", \"attempts\": " << r.attempts << ", \"elapsed_us\": " << r.elapsed.count()
        << ", \"summary\": " << json_string(r.summary) << ", \"details\": [";
    for (std::size_t d = 0; d < r.details.size(); ++d)
      out << (d ? ", " : "") << json_string(r.details[d]);
    out << "]";
    if (r.failed_run) {
      const verdict& v = r.failed_run->outcome;
      out << ", \"line\": " << v.line << ", \"expected\": " << json_string(v.expected)
          << ", \"got\": " << json_string(v.got) << ", \"reason\": " << json_string(v.reason);
    }
    if (r.server_death)
      out << ", \"server_died\": " << json_string(r.server_death->how)
          << ", \"sanitizer\": " << json_string(r.server_death->sanitizer)
          << ", \"stderr\": " << json_string(r.server_death->stderr_tail);
    if (i < report.replay.size() && !report.replay[i].empty())
      out << ", \"replay\": " << json_string(report.replay[i]);
    if (i < report.script_file.size() && !report.script_file[i].empty())
      out << ", \"script_file\": " << json_string(report.script_file[i]);
    if (r.failed_run) {
      out << ",\n \"wire_log\": ";
      write_wire_log_json(out, r.failed_run->wire_log);
    }
    out << "}";
  }
  out << "\n]}\n";
}

void write_junit(std::ostream& out, const check_report& report) {
  const check_outcome& o = *report.outcome;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\""
      << xml_text("tcpcheck check " + report.script_path) << "\">\n";
  for (const check_area area : areas_of(o)) {
    const auto indexes = area_results(o, area);
    std::size_t failures = 0, skipped = 0;
    std::chrono::microseconds total{0};
    for (const auto i : indexes) {
      failures += is_problem(o.results[i].status) ? 1 : 0;
      skipped += o.results[i].status == case_status::not_run ? 1 : 0;
      total += o.results[i].elapsed;
    }
    out << "<testsuite name=\"" << xml_text(std::string(name_of(area))) << "\" tests=\""
        << indexes.size() << "\" failures=\"" << failures << "\" errors=\"0\" skipped=\"" << skipped
        << "\" time=\"" << seconds(total) << "\">\n";
    for (const auto i : indexes) {
      const case_result& r = o.results[i];
      out << "  <testcase classname=\"" << xml_text(std::string(name_of(area))) << "\" name=\""
          << xml_text(r.which->id) << "\" time=\"" << seconds(r.elapsed) << "\"";
      if (r.status == case_status::pass || r.status == case_status::warn) {
        if (r.status == case_status::pass) {
          out << "/>\n";
          continue;
        }
        out << ">\n    <system-out>" << xml_text(r.summary) << "</system-out>\n  </testcase>\n";
        continue;
      }
      out << ">\n";
      if (r.status == case_status::not_run) {
        out << "    <skipped message=\"" << xml_text(r.summary) << "\"/>\n  </testcase>\n";
        continue;
      }
      std::string body = r.which->title + "\n";
      if (r.failed_run) {
        body += "expected: " + r.failed_run->outcome.expected + "\n";
        body += "got: " + r.failed_run->outcome.got + "\n";
      }
      for (const auto& d : r.details)
        body += d + "\n";
      if (r.server_death) body += r.server_death->sanitizer + r.server_death->stderr_tail;
      if (i < report.replay.size() && !report.replay[i].empty())
        body += "replay: " + report.replay[i] + "\n";
      out << "    <failure message=\""
          << xml_text(std::string(r.status == case_status::flaky ? "flaky: " : "") + r.summary)
          << "\">" << xml_text(body) << "</failure>\n  </testcase>\n";
    }
    out << "</testsuite>\n";
  }
  out << "</testsuites>\n";
}

} // namespace tcpcheck::harness
