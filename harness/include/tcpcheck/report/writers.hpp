// One writer per format, each serving every command's document (model.hpp).
//
// Whatever a server sent ends up in these files, so every writer makes its
// output well-formed whatever the bytes: JSON and SARIF hold valid UTF-8
// only (other bytes are written as \xNN), JUnit XML holds no character XML
// 1.0 forbids, and the HTML page escapes every byte it did not write itself.
#pragma once

#include "tcpcheck/report/model.hpp"

#include <ostream>

namespace tcpcheck::report {

struct human_options {
  bool verbose = false; ///< every case and step, and the wire logs
  bool color = false;   ///< ANSI colors (a terminal)
};

/// For people: the matrix area by area, script runs step by step, findings
/// one by one, each failure with expected, got, meaning, the server's
/// stderr and the replay command; then a summary line.
void write_human(std::ostream& out, const document& doc, human_options options);

/// {"format_version", "command", "check"|"fuzz": {...}, "cases": [...]} and,
/// as earlier versions wrote them, "runs" (script runs) and "findings".
void write_json(std::ostream& out, const document& doc);

/// <testsuites>, one <testsuite> per area, one <testcase> per case.
void write_junit(std::ostream& out, const document& doc);

/// SARIF 2.1.0: one result per failing case or finding, its rule the area
/// and kind, its location the script line.
void write_sarif(std::ostream& out, const document& doc);

/// One self-contained HTML page (inline CSS and JavaScript, nothing
/// fetched): the matrix as a grid, each failure with a sequence diagram of
/// its conversation, findings with their scripts, coverage over time.
void write_html(std::ostream& out, const document& doc);

} // namespace tcpcheck::report
