// The report files every command that judges a server can write: --json,
// --junit, --sarif and --html, all from the one document it made.
#pragma once

#include "tcpcheck/report/model.hpp"

#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

namespace tcpcheck::cli {

struct report_files {
  std::string json, junit, sarif, html;
};

/// Adds --json, --junit, --sarif and --html FILE to `sub`; `cases` names
/// what the reports list ("every case", "every finding").
void add_report_options(CLI::App& sub, report_files& files, std::string_view cases);

/// Writes each file asked for; false (after saying why) when one could not be.
bool write_report_files(const report::document& doc, const report_files& files,
                        std::string_view command);

} // namespace tcpcheck::cli
