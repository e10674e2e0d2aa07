// Framing spec arguments and their error display.
#include "spec_argument.hpp"

namespace tcpcheck::cli {

void print_spec_error(std::ostream& out, const std::string& text, const spec_error& error) {
  out << "tcpcheck: bad framing spec: " << to_string(error) << '\n'
      << "  " << text << '\n'
      << "  " << std::string(error.column > 0 ? error.column - 1 : 0, ' ') << "^\n"
      << "  (the grammar is in docs/framing.md; examples: line, len:u32be, delim:\\r\\n)\n";
}

std::optional<framing_spec> parse_spec_argument(const std::string& text, std::ostream& out) {
  spec_error error;
  auto spec = parse_framing_spec(text, error);
  if (!spec) print_spec_error(out, text, error);
  return spec;
}

} // namespace tcpcheck::cli
