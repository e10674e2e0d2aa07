// A framing spec given on the command line: parsed, with errors shown under
// the spec text with a caret at the column.
#pragma once

#include "tcpcheck/framing_spec.hpp"

#include <optional>
#include <ostream>
#include <string>

namespace tcpcheck::cli {

/// Prints "tcpcheck: bad framing spec: column N: reason", the spec, and a caret.
void print_spec_error(std::ostream& out, const std::string& text, const spec_error& error);

/// Parses (and lints) `text`; on failure prints the error to `out`.
std::optional<framing_spec> parse_spec_argument(const std::string& text, std::ostream& out);

} // namespace tcpcheck::cli
