// Script text: variables, built-in values and computed lengths.
#include "tcpcheck/script.hpp"

#include <algorithm>
#include <array>

namespace tcpcheck {

namespace {

template <class Visit>
void visit_segments(const std::vector<script_text::segment>& segments, const Visit& visit) {
  for (const auto& seg : segments) {
    visit(seg);
    visit_segments(seg.inner, visit);
  }
}

} // namespace

bool is_builtin_variable(std::string_view name) noexcept {
  return name == "run" || name == "conn" || name == "token";
}

bool script_text::has_variables() const noexcept {
  bool any = false;
  visit_segments(segments, [&](const segment& s) { any = any || s.is_variable; });
  return any;
}

bool script_text::is_literal() const noexcept {
  return std::none_of(segments.begin(), segments.end(),
                      [](const segment& s) { return s.is_variable || s.computed; });
}

std::vector<std::string> script_text::variables() const {
  std::vector<std::string> names;
  visit_segments(segments, [&](const segment& s) {
    if (s.is_variable) names.push_back(s.variable);
  });
  return names;
}

std::uint64_t largest_of(length_form form) noexcept {
  switch (form) {
  case length_form::u8:
    return 0xff;
  case length_form::u16be:
  case length_form::u16le:
    return 0xffff;
  case length_form::u32be:
  case length_form::u32le:
    return 0xffffffff;
  default:
    return UINT64_MAX;
  }
}

byte_buffer encode_length(length_form form, std::uint64_t value) {
  byte_buffer out;
  const auto fixed = [&](unsigned width, bool big) {
    for (unsigned i = 0; i < width; ++i)
      out.push_back(static_cast<std::uint8_t>(value >> (big ? 8 * (width - 1 - i) : 8 * i)));
  };
  switch (form) {
  case length_form::u8:
    fixed(1, true);
    break;
  case length_form::u16be:
  case length_form::u16le:
    fixed(2, form == length_form::u16be);
    break;
  case length_form::u32be:
  case length_form::u32le:
    fixed(4, form == length_form::u32be);
    break;
  case length_form::u64be:
  case length_form::u64le:
    fixed(8, form == length_form::u64be);
    break;
  case length_form::varint:
    append_varint(value, out);
    break;
  case length_form::decimal: {
    const std::string text = std::to_string(value);
    out.assign(text.begin(), text.end());
    break;
  }
  }
  return out;
}

field_values field_values_for(const framing_spec& spec, const std::vector<field_setting>& fields) {
  field_values values(spec.fields.size(), 0);
  for (const auto& f : fields)
    for (std::size_t i = 0; i < spec.fields.size(); ++i)
      if (spec.fields[i].name == f.name) values[i] = f.value;
  return values;
}

std::optional<byte_buffer> literal_payload(const script_text& text) {
  if (text.has_variables()) return std::nullopt;
  byte_buffer out;
  std::string why;
  const auto no_variables = [](const std::string&) -> const byte_buffer* { return nullptr; };
  if (!render_text(text.segments, no_variables, out, why)) return std::nullopt;
  return out;
}

} // namespace tcpcheck
