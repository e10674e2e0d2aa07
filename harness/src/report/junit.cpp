// JUnit XML: one <testsuite> per area, one <testcase> per case. Small
// enough to write directly; every piece of text goes through xml_text.
#include "tcpcheck/report/writers.hpp"

#include "text.hpp"

namespace tcpcheck::report {

namespace {

using namespace detail;

std::string suite_name(const document& doc) {
  return "tcpcheck " + doc.command + (doc.script.empty() ? "" : " " + doc.script);
}

// What a failing case's <failure> holds: everything needed to act on it.
std::string failure_body(const test_case& c) {
  std::string body = c.title + "\n";
  if (c.failed) {
    if (c.failed->line) body += "line " + std::to_string(c.failed->line) + ": ";
    body += c.failed->reason + "\n";
    body += "expected: " + c.failed->expected + "\n";
    body += "got: " + c.failed->got + "\n";
  }
  if (!c.meaning.empty()) body += "meaning: " + c.meaning + "\n";
  for (const auto& d : c.details)
    body += d + "\n";
  if (c.death) body += "the " + c.death->who + " " + c.death->how + "\n" + death_report(c) + "\n";
  if (!c.replay.empty()) body += "replay: " + c.replay + "\n";
  return body;
}

void write_case(std::ostream& out, const test_case& c) {
  out << "  <testcase classname=\"" << xml_text(c.area) << "\" name=\"" << xml_text(c.id)
      << "\" time=\"" << seconds(c.elapsed) << "\"";
  switch (c.state) {
  case status::pass:
    out << "/>\n";
    return;
  case status::warn:
    out << ">\n    <system-out>" << xml_text(c.summary) << "</system-out>\n  </testcase>\n";
    return;
  case status::not_run:
  case status::skipped:
    out << ">\n    <skipped message=\"" << xml_text(c.summary) << "\"/>\n  </testcase>\n";
    return;
  case status::fail:
  case status::flaky:
    out << ">\n    <failure message=\""
        << xml_text(std::string(c.state == status::flaky ? "flaky: " : "") + c.summary) << "\">"
        << xml_text(failure_body(c)) << "</failure>\n  </testcase>\n";
    return;
  }
}

} // namespace

void write_junit(std::ostream& out, const document& doc) {
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\""
      << xml_text(suite_name(doc)) << "\">\n";
  for (const auto& area : areas_of(doc.cases)) {
    const auto indexes = cases_in(doc.cases, area);
    std::size_t failures = 0, skipped = 0;
    std::chrono::microseconds total{0};
    for (const auto i : indexes) {
      failures += is_problem(doc.cases[i].state) ? 1 : 0;
      skipped +=
          doc.cases[i].state == status::not_run || doc.cases[i].state == status::skipped ? 1 : 0;
      total += doc.cases[i].elapsed;
    }
    out << "<testsuite name=\"" << xml_text(area) << "\" tests=\"" << indexes.size()
        << "\" failures=\"" << failures << "\" errors=\"0\" skipped=\"" << skipped << "\" time=\""
        << seconds(total) << "\">\n";
    for (const auto i : indexes)
      write_case(out, doc.cases[i]);
    out << "</testsuite>\n";
  }
  out << "</testsuites>\n";
}

} // namespace tcpcheck::report
