// The framing spec linter: contradictions are errors, likely mistakes warnings.
#include "tcpcheck/framing_lint.hpp"

#include <algorithm>

namespace tcpcheck {

namespace {

void lint_length(const framing_spec& spec, std::vector<lint_finding>& out) {
  const length_field& f = spec.field;
  const std::uint64_t largest = f.largest_value();
  // The smallest header: a varint takes at least one byte.
  const std::uint64_t header = f.offset + (f.width == 0 ? 1u : f.width);
  const std::string type =
      f.width == 0 ? "varint" : (f.is_signed ? "i" : "u") + std::to_string(8 * f.width);

  if (f.adjust < 0 && static_cast<std::uint64_t>(-f.adjust) > largest)
    out.push_back({lint_severity::error, "adjust",
                   "adjust=" + std::to_string(f.adjust) + " is below -" + std::to_string(largest) +
                       ", the largest value a " + type +
                       " field holds: every frame would be shorter than its header"});

  if (f.strip && f.width != 0 && *f.strip > header)
    out.push_back({lint_severity::warning, "strip",
                   "strip=" + std::to_string(*f.strip) + " goes beyond the " +
                       std::to_string(header) + "-byte header (offset " + std::to_string(f.offset) +
                       " + " + std::to_string(f.width) +
                       "-byte field) into the payload; shorter frames are errors"});

  if (spec.max_of == max_applies_to::frame && spec.max < header)
    out.push_back({lint_severity::error, "max",
                   "max=" + std::to_string(spec.max) + " is smaller than the " +
                       std::to_string(header) + "-byte header: no frame fits"});

  if (spec.max == framing_limits::default_max || f.width == 0 || f.width == 8) return;
  // Warnings only for a max the user chose: the default fits every field.
  const std::int64_t largest_body = static_cast<std::int64_t>(largest) + f.adjust;
  const std::uint64_t reachable =
      spec.max_of == max_applies_to::field
          ? largest
          : header + static_cast<std::uint64_t>(std::max<std::int64_t>(largest_body, 0));
  if (reachable < spec.max)
    out.push_back(
        {lint_severity::warning, "max",
         "max=" + std::to_string(spec.max) + " can never be reached: a " + type +
             " field allows at most " + std::to_string(reachable) +
             (spec.max_of == max_applies_to::field ? " as its value" : " bytes per frame") +
             " (a wider field, or a smaller max?)"});
}

void lint_delimiters(const framing_spec& spec, std::vector<lint_finding>& out) {
  const auto& d = spec.delimiters;
  for (std::size_t i = 0; i < d.size(); ++i)
    for (std::size_t j = i + 1; j < d.size(); ++j)
      if (d[i] == d[j])
        out.push_back(
            {lint_severity::error, "delim",
             "delimiter " + std::to_string(j + 1) + " repeats delimiter " + std::to_string(i + 1)});
  if (spec.keep_delimiter && spec.at_eof == eof_policy::emit)
    out.push_back({lint_severity::warning, "eof",
                   "with keep, frames end with their delimiter, but the last frame emitted at end "
                   "of stream has none"});
}

} // namespace

std::vector<lint_finding> lint_framing_spec(const framing_spec& spec) {
  std::vector<lint_finding> out;
  if (spec.is_length_based()) lint_length(spec, out);
  if (spec.kind == framing_kind::delimited) {
    if (spec.delimiters.empty())
      out.push_back({lint_severity::error, "delim", "no delimiter given"});
    lint_delimiters(spec, out);
  }
  if (spec.kind == framing_kind::fixed && spec.fixed_size == 0)
    out.push_back({lint_severity::error, "fixed", "fixed size 0: every frame would be empty"});
  if (spec.kind != framing_kind::fixed && (spec.max == 0 || spec.max > framing_limits::largest_max))
    out.push_back({lint_severity::error, "max",
                   "max must be from 1 to " + std::to_string(framing_limits::largest_max)});
  std::stable_sort(out.begin(), out.end(), [](const lint_finding& a, const lint_finding& b) {
    return a.severity == lint_severity::error && b.severity != lint_severity::error;
  });
  return out;
}

std::string to_string(const lint_finding& finding) {
  return std::string(finding.severity == lint_severity::error ? "error: " : "warning: ") +
         std::string(finding.option) + ": " + finding.reason;
}

} // namespace tcpcheck
