// `tcpcheck lint SPEC`: every linter finding for a framing spec.
#include "tcpcheck/framing_lint.hpp"

#include <iostream>
#include <memory>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "spec_argument.hpp"

namespace tcpcheck::cli {

command add_lint(CLI::App& app) {
  auto* sub = app.add_subcommand("lint", "Check a framing spec: syntax errors, contradictions "
                                         "and likely mistakes, each with its reason");
  auto text = std::make_shared<std::string>();
  sub->add_option("SPEC", *text, "The framing spec, e.g. 'len:u16be,max=100K'")->required();
  sub->footer("Exit codes: 0 no errors (warnings may be printed), 1 the spec has errors, "
              "2 the spec does not parse.");
  return [text]() -> int {
    spec_error error;
    const auto spec = parse_framing_spec_syntax(*text, error);
    if (!spec) {
      print_spec_error(std::cerr, *text, error);
      return exit_usage;
    }
    const auto findings = lint_framing_spec(*spec);
    bool has_error = false;
    for (const auto& finding : findings) {
      std::cout << to_string(finding) << '\n';
      has_error = has_error || finding.severity == lint_severity::error;
    }
    if (findings.empty()) std::cout << "ok: " << to_string(*spec) << '\n';
    return has_error ? exit_failures : exit_ok;
  };
}

} // namespace tcpcheck::cli
