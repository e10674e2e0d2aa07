// The framing spec grammar: parsing with positioned errors, and printing.
//
//   spec    = kind-arg *( "," option )
//   kind-arg = "raw" | "line" | "varint" | "fixed:" N | "len:" type | "delim:" delims
//   delims  = escaped *( "|" escaped )       ; "\|" and "\," inside a delimiter
//   option  = name [ "=" value ]
#include "tcpcheck/framing_spec.hpp"

#include "tcpcheck/escape.hpp"
#include "tcpcheck/framing_lint.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

namespace tcpcheck {

namespace {

// A piece of the spec text and its 1-based column.
struct token {
  std::string_view text;
  std::size_t column = 1;
};

// Splits at `sep` where it is not escaped by a backslash.
std::vector<token> split_unescaped(token whole, char sep) {
  std::vector<token> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i < whole.text.size(); ++i) {
    if (whole.text[i] == '\\') {
      ++i;
      continue;
    }
    if (whole.text[i] == sep) {
      parts.push_back({whole.text.substr(start, i - start), whole.column + start});
      start = i + 1;
    }
  }
  parts.push_back({whole.text.substr(start), whole.column + start});
  return parts;
}

class spec_parser {
public:
  spec_parser(spec_error& error, bool lint) : error_(error), lint_(lint) {}

  // Parses once: the spec built is moved out, not copied.
  std::optional<framing_spec> parse(std::string_view text) && {
    if (text.empty()) {
      fail(error::spec_syntax, 1, "empty framing spec (try 'line' or 'len:u32be')");
      return std::nullopt;
    }
    const auto parts = split_unescaped({text, 1}, ',');
    if (!parse_kind(parts[0])) return std::nullopt;
    for (std::size_t i = 1; i < parts.size(); ++i)
      if (!parse_option(parts[i])) return std::nullopt;
    if (!place_length_after_fields(parts)) return std::nullopt;
    if (!lint_) return std::move(spec_);
    for (const auto& finding : lint_framing_spec(spec_))
      if (finding.severity == lint_severity::error) {
        fail(error::spec_inconsistent, column_of(finding.option, parts), finding.reason);
        return std::nullopt;
      }
    return std::move(spec_);
  }

private:
  struct option_info {
    std::string_view name;
    bool (spec_parser::*parse)(token value);
    bool takes_value;
  };

  // The length field follows the named fields: `offset` is their width
  // unless given, and then it may not be less.
  bool place_length_after_fields(const std::vector<token>& parts) {
    if (spec_.fields.empty()) return true;
    const auto& last = spec_.fields.back();
    const std::uint32_t width = last.offset + last.width;
    if (!seen_[1]) { // offset not given
      if (width > framing_limits::largest_offset)
        return fail(error::spec_bad_value, 1, "the fields are wider than the largest offset");
      spec_.field.offset = width;
      return true;
    }
    if (spec_.field.offset >= width) return true;
    return fail(error::spec_inconsistent, column_of("offset", parts),
                "offset=" + std::to_string(spec_.field.offset) +
                    " is inside the fields, which take " + std::to_string(width) +
                    " bytes before the length field");
  }

  bool fail(error code, std::size_t column, std::string reason) {
    error_ = {make_error_code(code), column, std::move(reason)};
    return false;
  }

  // The column of the option a lint finding names, or of the kind.
  static std::size_t column_of(std::string_view option, const std::vector<token>& parts) {
    for (std::size_t i = 1; i < parts.size(); ++i) {
      const auto& t = parts[i].text;
      if (t.substr(0, t.find('=')) == option) return parts[i].column;
    }
    return 1;
  }

  bool parse_kind(token part) {
    const std::size_t colon = part.text.find(':');
    const std::string_view name = part.text.substr(0, colon);
    const bool has_arg = colon != std::string_view::npos;
    const token arg{has_arg ? part.text.substr(colon + 1) : std::string_view{},
                    part.column + colon + 1};
    if (name == "varint" && has_arg) return parse_varint(arg);
    if (name == "raw" || name == "line" || name == "varint" || name == "datagram") {
      if (has_arg)
        return fail(error::spec_syntax, arg.column - 1,
                    "'" + std::string(name) + "' takes no argument after ':'");
      spec_.kind = name == "raw"        ? framing_kind::raw
                   : name == "line"     ? framing_kind::line
                   : name == "datagram" ? framing_kind::datagram
                                        : framing_kind::varint;
      if (spec_.kind == framing_kind::varint) spec_.field.width = 0;
      return true;
    }
    if (name == "fixed" || name == "len" || name == "delim") {
      if (!has_arg || arg.text.empty())
        return fail(error::spec_missing_argument, has_arg ? arg.column : part.column + name.size(),
                    std::string(name) + (name == "fixed" ? " needs a size, as in fixed:16"
                                         : name == "len"
                                             ? " needs a field type, as in len:u32be"
                                             : " needs delimiters, as in delim:\\r\\n"));
      if (name == "fixed") return parse_fixed(arg);
      if (name == "len") return parse_len(arg);
      return parse_delimiters(arg);
    }
    if (name.empty())
      return fail(error::spec_syntax, part.column, "the spec starts without a framing kind");
    return fail(error::spec_unknown_kind, part.column,
                "unknown framing kind '" + std::string(name) +
                    "' (expected raw, line, delim, fixed, varint, len or datagram)");
  }

  bool parse_fixed(token arg) {
    spec_.kind = framing_kind::fixed;
    std::uint64_t size = 0;
    if (!parse_size(arg, size)) return false;
    if (size == 0 || size > framing_limits::largest_max)
      return fail(error::spec_bad_value, arg.column,
                  "fixed size must be from 1 to " + std::to_string(framing_limits::largest_max));
    spec_.fixed_size = size;
    return true;
  }

  // An integer type as `len:` and `field=` write it: u8, u16be, i32le, ...
  struct int_type {
    std::uint8_t width = 0;
    bool is_signed = false;
    byte_order order = byte_order::big;
  };

  bool parse_int_type(token arg, bool allow_signed, std::string_view what, int_type& out) {
    std::string_view t = arg.text;
    const auto bad = [&] {
      return fail(error::spec_bad_value, arg.column,
                  "unknown " + std::string(what) + " type '" + std::string(arg.text) +
                      (allow_signed ? "' (expected u8, u16, u24, u32, u64, i8, i16, i32 or i64, "
                                      "then be or le, as in u32be)"
                                    : "' (expected u8, u16, u24, u32 or u64, then be or le, as "
                                      "in u16be)"));
    };
    if (t.size() < 2 || (t[0] != 'u' && (t[0] != 'i' || !allow_signed))) return bad();
    out.is_signed = t[0] == 'i';
    t.remove_prefix(1);
    bool order_given = false;
    if (t.size() > 2 && (t.ends_with("be") || t.ends_with("le"))) {
      out.order = t.ends_with("le") ? byte_order::little : byte_order::big;
      t.remove_suffix(2);
      order_given = true;
    }
    static constexpr std::array<std::pair<std::string_view, int>, 5> widths{
        {{"8", 1}, {"16", 2}, {"24", 3}, {"32", 4}, {"64", 8}}};
    int width = 0;
    for (const auto& [bits, bytes] : widths)
      if (t == bits) width = bytes;
    if (width == 0 || (width == 3 && out.is_signed)) return bad();
    if (width == 1 && order_given)
      return fail(error::spec_bad_value, arg.column,
                  "a one-byte " + std::string(what) + " field has no byte order");
    out.width = static_cast<std::uint8_t>(width);
    return true;
  }

  bool parse_len(token arg) {
    spec_.kind = framing_kind::length_prefixed;
    int_type type;
    if (!parse_int_type(arg, true, "length", type)) return false;
    spec_.field.width = type.width;
    spec_.field.is_signed = type.is_signed;
    spec_.field.order = type.order;
    return true;
  }

  // `varint:N`: a varint of at most N bytes (MQTT's remaining length: 4).
  bool parse_varint(token arg) {
    spec_.kind = framing_kind::varint;
    spec_.field.width = 0;
    std::uint64_t bytes = 0;
    if (!parse_size(arg, bytes)) return false;
    if (bytes == 0 || bytes > framing_limits::longest_varint)
      return fail(error::spec_bad_value, arg.column,
                  "a varint takes from 1 to " + std::to_string(framing_limits::longest_varint) +
                      " bytes");
    spec_.field.varint_bytes = static_cast<std::uint8_t>(bytes);
    return true;
  }

  // `field=NAME:TYPE`: a named header field, after those before it.
  bool parse_header_field(token v) {
    const std::size_t colon = v.text.find(':');
    const std::string_view name = v.text.substr(0, colon);
    if (colon == std::string_view::npos)
      return fail(error::spec_bad_value, v.column, "a field is NAME:TYPE, as in field=type:u8");
    const bool name_ok =
        !name.empty() && name.size() <= framing_limits::longest_field_name &&
        (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_') &&
        std::all_of(name.begin(), name.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
        });
    if (!name_ok)
      return fail(error::spec_bad_value, v.column,
                  "'" + std::string(name) +
                      "' is not a field name (a letter or _, then letters, "
                      "digits, _ or -, at most " +
                      std::to_string(framing_limits::longest_field_name) + " characters)");
    if (spec_.field_named(name))
      return fail(error::spec_duplicate_option, v.column,
                  "field '" + std::string(name) + "' given twice");
    if (spec_.fields.size() == framing_limits::most_fields)
      return fail(error::spec_bad_value, v.column,
                  "more than " + std::to_string(framing_limits::most_fields) + " fields");
    int_type type;
    if (!parse_int_type({v.text.substr(colon + 1), v.column + colon + 1}, false, "field", type))
      return false;
    std::uint32_t offset = 0;
    for (const auto& f : spec_.fields)
      offset += f.width;
    spec_.fields.push_back({std::string(name), type.width, type.order, offset});
    return true;
  }

  bool parse_delimiters(token arg) {
    spec_.kind = framing_kind::delimited;
    for (const token& d : split_unescaped(arg, '|')) {
      if (d.text.empty())
        return fail(error::spec_syntax, d.column, "empty delimiter (between '|' or at an end)");
      unescape_error e;
      auto bytes = unescape(d.text, e, "|,");
      if (!bytes) return fail(error::spec_bad_escape, d.column + e.index, e.reason);
      if (bytes->size() > framing_limits::longest_delimiter)
        return fail(error::spec_bad_value, d.column,
                    "delimiter longer than " + std::to_string(framing_limits::longest_delimiter) +
                        " bytes");
      spec_.delimiters.push_back(std::move(*bytes));
    }
    if (spec_.delimiters.size() > framing_limits::most_delimiters)
      return fail(error::spec_bad_value, arg.column,
                  "more than " + std::to_string(framing_limits::most_delimiters) + " delimiters");
    return true;
  }

  // Decimal or 0x hex, with an optional binary K, M or G suffix.
  bool parse_size(token value, std::uint64_t& out) {
    std::string_view t = value.text;
    std::uint64_t scale = 1;
    if (!t.empty()) {
      const char s = t.back();
      if (s == 'K' || s == 'k') scale = 1u << 10;
      if (s == 'M' || s == 'm') scale = 1u << 20;
      if (s == 'G' || s == 'g') scale = 1u << 30;
      if (scale != 1) t.remove_suffix(1);
    }
    int base = 10;
    if (t.starts_with("0x") || t.starts_with("0X")) {
      base = 16;
      t.remove_prefix(2);
    }
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), n, base);
    if (t.empty() || ec != std::errc{} || end != t.data() + t.size())
      return fail(error::spec_bad_value, value.column,
                  "'" + std::string(value.text) +
                      "' is not a size (examples: 512, 0x200, 64K, 1M)");
    if (n > UINT64_MAX / scale)
      return fail(error::spec_bad_value, value.column,
                  "'" + std::string(value.text) + "' is too large");
    out = n * scale;
    return true;
  }

  bool parse_bounded(token value, std::uint64_t limit, std::uint64_t& out) {
    if (!parse_size(value, out)) return false;
    if (out > limit)
      return fail(error::spec_bad_value, value.column,
                  "'" + std::string(value.text) + "' is above " + std::to_string(limit));
    return true;
  }

  bool parse_offset(token v) {
    std::uint64_t n = 0;
    if (!parse_bounded(v, framing_limits::largest_offset, n)) return false;
    spec_.field.offset = static_cast<std::uint32_t>(n);
    return true;
  }

  bool parse_adjust(token v) {
    token magnitude = v;
    const bool negative = v.text.starts_with('-');
    if (negative || v.text.starts_with('+')) {
      magnitude.text.remove_prefix(1);
      magnitude.column += 1;
    }
    std::uint64_t n = 0;
    if (!parse_bounded(magnitude, framing_limits::largest_adjust, n)) return false;
    spec_.field.adjust = negative ? -static_cast<std::int64_t>(n) : static_cast<std::int64_t>(n);
    return true;
  }

  bool parse_strip(token v) {
    std::uint64_t n = 0;
    if (!parse_bounded(v, framing_limits::largest_strip, n)) return false;
    spec_.field.strip = n;
    return true;
  }

  bool parse_max(token v) {
    std::uint64_t n = 0;
    if (!parse_bounded(v, framing_limits::largest_max, n)) return false;
    if (n == 0) return fail(error::spec_bad_value, v.column, "max must be at least 1");
    spec_.max = n;
    return true;
  }

  template <class Enum, std::size_t N>
  bool parse_choice(token v, const std::array<std::pair<std::string_view, Enum>, N>& choices,
                    Enum& out) {
    std::string expected;
    for (const auto& [name, value] : choices) {
      if (v.text == name) {
        out = value;
        return true;
      }
      expected += (expected.empty() ? "" : " or ") + std::string(name);
    }
    return fail(error::spec_bad_value, v.column,
                "'" + std::string(v.text) + "' is not one of " + expected);
  }

  bool parse_max_of(token v) {
    static constexpr std::array<std::pair<std::string_view, max_applies_to>, 2> choices{
        {{"frame", max_applies_to::frame}, {"field", max_applies_to::field}}};
    return parse_choice(v, choices, spec_.max_of);
  }

  bool parse_too_long(token v) {
    static constexpr std::array<std::pair<std::string_view, too_long_policy>, 2> choices{
        {{"fail", too_long_policy::fail}, {"discard", too_long_policy::discard}}};
    return parse_choice(v, choices, spec_.too_long);
  }

  bool parse_eof(token v) {
    static constexpr std::array<std::pair<std::string_view, eof_policy>, 3> choices{
        {{"error", eof_policy::error}, {"drop", eof_policy::drop}, {"emit", eof_policy::emit}}};
    return parse_choice(v, choices, spec_.at_eof);
  }

  bool parse_crlf(token) { return spec_.strict_crlf = true; }
  bool parse_keep(token) { return spec_.keep_delimiter = true; }

  // Which kinds accept which option.
  static bool valid_for(std::string_view option, framing_kind kind) {
    const bool length = kind == framing_kind::length_prefixed || kind == framing_kind::varint;
    if (option == "offset" || option == "adjust" || option == "max-of") return length;
    if (option == "strip" || option == "field") return length;
    if (option == "max") return kind != framing_kind::fixed;
    if (option == "too-long")
      return kind != framing_kind::fixed && kind != framing_kind::raw &&
             kind != framing_kind::datagram;
    if (option == "eof") return kind != framing_kind::raw && kind != framing_kind::datagram;
    if (option == "crlf") return kind == framing_kind::line;
    if (option == "keep") return kind == framing_kind::delimited;
    return false;
  }

  bool parse_option(token part) {
    static constexpr std::array<option_info, 10> options{{
        {"field", &spec_parser::parse_header_field, true},
        {"offset", &spec_parser::parse_offset, true},
        {"adjust", &spec_parser::parse_adjust, true},
        {"strip", &spec_parser::parse_strip, true},
        {"max", &spec_parser::parse_max, true},
        {"max-of", &spec_parser::parse_max_of, true},
        {"too-long", &spec_parser::parse_too_long, true},
        {"eof", &spec_parser::parse_eof, true},
        {"crlf", &spec_parser::parse_crlf, false},
        {"keep", &spec_parser::parse_keep, false},
    }};
    if (part.text.empty())
      return fail(error::spec_syntax, part.column,
                  "empty option (two commas, or a trailing comma)");
    const std::size_t eq = part.text.find('=');
    const std::string_view name = part.text.substr(0, eq);
    const token value{eq == std::string_view::npos ? std::string_view{} : part.text.substr(eq + 1),
                      part.column + eq + 1};
    for (std::size_t i = 0; i < options.size(); ++i) {
      const option_info& o = options[i];
      if (o.name != name) continue;
      if (!valid_for(name, spec_.kind))
        return fail(error::spec_option_not_valid, part.column,
                    "option '" + std::string(name) + "' does not apply to '" +
                        std::string(kind_name(spec_.kind)) + "' framing");
      if (seen_[i] && name != "field") // fields are many, one option each
        return fail(error::spec_duplicate_option, part.column,
                    "option '" + std::string(name) + "' given twice");
      seen_[i] = true;
      if (o.takes_value && (eq == std::string_view::npos || value.text.empty()))
        return fail(error::spec_bad_value, part.column + name.size(),
                    "option '" + std::string(name) + "' needs a value, as in " + std::string(name) +
                        "=...");
      if (!o.takes_value && eq != std::string_view::npos)
        return fail(error::spec_bad_value, part.column + eq,
                    "option '" + std::string(name) + "' takes no value");
      return (this->*o.parse)(value);
    }
    return fail(error::spec_unknown_option, part.column,
                "unknown option '" + std::string(name) +
                    "' (options: field, offset, adjust, strip, max, max-of, too-long, eof, crlf, "
                    "keep)");
  }

  spec_error& error_;
  bool lint_;
  framing_spec spec_;
  std::array<bool, 10> seen_{};
};

std::string size_text(std::uint64_t n) {
  if (n >= (1u << 30) && n % (1u << 30) == 0) return std::to_string(n >> 30) + "G";
  if (n >= (1u << 20) && n % (1u << 20) == 0) return std::to_string(n >> 20) + "M";
  if (n >= (1u << 10) && n % (1u << 10) == 0) return std::to_string(n >> 10) + "K";
  return std::to_string(n);
}

std::string int_type_text(unsigned width, bool is_signed, byte_order order) {
  std::string out(1, is_signed ? 'i' : 'u');
  out += std::to_string(8 * width);
  if (width > 1) out += order == byte_order::big ? "be" : "le";
  return out;
}

} // namespace

std::string to_string(const spec_error& e) {
  return "column " + std::to_string(e.column) + ": " + e.reason;
}

std::optional<framing_spec> parse_framing_spec(std::string_view text, spec_error& error) {
  return spec_parser(error, true).parse(text);
}

std::optional<framing_spec> parse_framing_spec_syntax(std::string_view text, spec_error& error) {
  return spec_parser(error, false).parse(text);
}

std::string_view kind_name(framing_kind kind) noexcept {
  switch (kind) {
  case framing_kind::raw:
    return "raw";
  case framing_kind::line:
    return "line";
  case framing_kind::delimited:
    return "delim";
  case framing_kind::fixed:
    return "fixed";
  case framing_kind::varint:
    return "varint";
  case framing_kind::length_prefixed:
    return "len";
  case framing_kind::datagram:
    return "datagram";
  }
  return "?";
}

std::string to_string(const framing_spec& spec) {
  std::string out(kind_name(spec.kind));
  const length_field& f = spec.field;
  switch (spec.kind) {
  case framing_kind::delimited:
    out += ':';
    for (std::size_t i = 0; i < spec.delimiters.size(); ++i)
      out += (i ? "|" : "") + escape(spec.delimiters[i], "|,");
    break;
  case framing_kind::fixed:
    out += ':' + std::to_string(spec.fixed_size);
    break;
  case framing_kind::length_prefixed:
    out += ':' + int_type_text(f.width, f.is_signed, f.order);
    break;
  case framing_kind::varint:
    if (f.varint_bytes != framing_limits::longest_varint)
      out += ':' + std::to_string(f.varint_bytes);
    break;
  default:
    break;
  }
  if (spec.is_length_based()) {
    std::uint32_t fields_width = 0;
    for (const auto& h : spec.fields) {
      out += ",field=" + h.name + ':' + int_type_text(h.width, false, h.order);
      fields_width = h.offset + h.width;
    }
    if (f.offset != fields_width) out += ",offset=" + std::to_string(f.offset);
    if (f.adjust != 0) out += ",adjust=" + std::to_string(f.adjust);
    if (f.strip) out += ",strip=" + std::to_string(*f.strip);
  }
  if (spec.kind != framing_kind::fixed && spec.max != framing_limits::default_max)
    out += ",max=" + size_text(spec.max);
  if (spec.is_length_based() && spec.max_of == max_applies_to::field) out += ",max-of=field";
  if (spec.too_long == too_long_policy::discard) out += ",too-long=discard";
  if (spec.at_eof == eof_policy::drop) out += ",eof=drop";
  if (spec.at_eof == eof_policy::emit) out += ",eof=emit";
  if (spec.kind == framing_kind::line && spec.strict_crlf) out += ",crlf";
  if (spec.kind == framing_kind::delimited && spec.keep_delimiter) out += ",keep";
  return out;
}

} // namespace tcpcheck
