// Byte escapes for people: escape, unescape and hex.
#include "tcpcheck/escape.hpp"

#include <charconv>
#include <iterator>

namespace tcpcheck {

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_hex_escape(std::string& out, std::uint8_t b) {
  out += "\\x";
  out += hex_digits[b >> 4];
  out += hex_digits[b & 0xf];
}

} // namespace

std::string escape(byte_view bytes, std::string_view also_escape, bool backslash_also) {
  std::string out;
  out.reserve(bytes.size());
  for (const std::uint8_t b : bytes) {
    const char c = static_cast<char>(b);
    if (c != '\\' && also_escape.find(c) != std::string_view::npos) {
      if (backslash_also) {
        out += '\\';
        out += c;
      } else {
        append_hex_escape(out, b);
      }
      continue;
    }
    switch (c) {
    case '\r':
      out += "\\r";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\t':
      out += "\\t";
      break;
    case '\0':
      out += "\\0";
      break;
    case '\\':
      out += "\\\\";
      break;
    default:
      if (b >= 0x20 && b < 0x7f)
        out += c;
      else
        append_hex_escape(out, b);
    }
  }
  return out;
}

std::string to_hex(byte_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 3);
  for (const std::uint8_t b : bytes) {
    if (!out.empty()) out += ' ';
    out += hex_digits[b >> 4];
    out += hex_digits[b & 0xf];
  }
  return out;
}

std::optional<byte_buffer> unescape(std::string_view text, unescape_error& error,
                                    std::string_view escapable) {
  byte_buffer out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c != '\\') {
      out.push_back(static_cast<std::uint8_t>(c));
      continue;
    }
    if (i + 1 == text.size()) {
      error = {i, "a backslash at the end, with nothing to escape"};
      return std::nullopt;
    }
    const char e = text[i + 1];
    switch (e) {
    case 'r':
      out.push_back('\r');
      break;
    case 'n':
      out.push_back('\n');
      break;
    case 't':
      out.push_back('\t');
      break;
    case '0':
      out.push_back('\0');
      break;
    case '\\':
      out.push_back('\\');
      break;
    case 'x': {
      const int hi = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
      const int lo = i + 3 < text.size() ? hex_value(text[i + 3]) : -1;
      if (hi < 0 || lo < 0) {
        error = {i, "\\x needs two hex digits"};
        return std::nullopt;
      }
      out.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
      i += 2;
      break;
    }
    default:
      if (escapable.find(e) != std::string_view::npos) {
        out.push_back(static_cast<std::uint8_t>(e));
        break;
      }
      error = {i, std::string("unknown escape '\\") + e + "' (known: \\r \\n \\t \\0 \\\\ \\xNN" +
                      (escapable.empty() ? "" : " and \\ before " + std::string(escapable)) + ")"};
      return std::nullopt;
    }
    ++i;
  }
  return out;
}

std::string hex_number(std::uint64_t value) {
  char text[2 + 16] = {'0', 'x'};
  const auto end = std::to_chars(text + 2, std::end(text), value, 16).ptr; // lowercase
  return std::string(text, end);
}

} // namespace tcpcheck
