// The framing spec linter: specs that parse but cannot mean what was meant.
//
// Errors are specs that can never decode a frame as intended (an adjustment
// that makes every frame shorter than its header, a max smaller than any
// header, repeated delimiters); `parse_framing_spec` refuses them. Warnings
// are specs that work but are probably a mistake (a max the length field can
// never reach, strip beyond the header, which makes short frames errors);
// they are printed by `tcpcheck lint` and never refused.
#pragma once

#include "tcpcheck/framing_spec.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace tcpcheck {

enum class lint_severity { warning, error };

struct lint_finding {
  lint_severity severity = lint_severity::warning;
  std::string_view
      option; ///< the option at fault as written in a spec ("max", "strip"), or the kind
  std::string reason;
};

/// Every finding for `spec`, errors first.
std::vector<lint_finding> lint_framing_spec(const framing_spec& spec);

/// "error: max: max=3 is smaller than the 4-byte header: no frame fits" / "warning: ..."
std::string to_string(const lint_finding& finding);

} // namespace tcpcheck
