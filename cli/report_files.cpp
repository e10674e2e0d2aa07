// --json, --junit, --sarif, --html: one document, a writer per format.
#include "report_files.hpp"

#include "tcpcheck/report/writers.hpp"

#include "input_file.hpp"

namespace tcpcheck::cli {

void add_report_options(CLI::App& sub, report_files& files, std::string_view cases) {
  const std::string what(cases);
  sub.add_option("--json", files.json, "Write " + what + " as JSON (docs/reports.md)");
  sub.add_option("--junit", files.junit, "Write a JUnit XML report: " + what + " as testcases");
  sub.add_option("--sarif", files.sarif,
                 "Write a SARIF 2.1.0 report (GitHub code scanning): one result per failure");
  sub.add_option("--html", files.html,
                 "Write one self-contained HTML page: the cases, each failure's conversation "
                 "drawn as a sequence diagram");
}

bool write_report_files(const report::document& doc, const report_files& files,
                        std::string_view command) {
  bool written = true;
  if (!files.json.empty())
    written &= write_output_file(files.json, "JSON report", command,
                                 [&](std::ostream& out) { report::write_json(out, doc); });
  if (!files.junit.empty())
    written &= write_output_file(files.junit, "JUnit report", command,
                                 [&](std::ostream& out) { report::write_junit(out, doc); });
  if (!files.sarif.empty())
    written &= write_output_file(files.sarif, "SARIF report", command,
                                 [&](std::ostream& out) { report::write_sarif(out, doc); });
  if (!files.html.empty())
    written &= write_output_file(files.html, "HTML report", command,
                                 [&](std::ostream& out) { report::write_html(out, doc); });
  return written;
}

} // namespace tcpcheck::cli
