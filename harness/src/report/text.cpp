// Text helpers shared by the report writers.
#include "text.hpp"

#include <cstdint>
#include <cstdio>

namespace tcpcheck::report::detail {

namespace {

// The length of the valid UTF-8 sequence starting at `at`, 0 when the byte
// there does not start one (RFC 3629: no overlongs, no surrogates, at most
// U+10FFFF).
std::size_t utf8_sequence(std::string_view s, std::size_t at) {
  const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(s[i]); };
  const std::uint8_t b = byte(at);
  if (b < 0x80) return 1;
  std::size_t length = 0;
  std::uint8_t low = 0x80, high = 0xBF; // the second byte's range
  if (b >= 0xC2 && b <= 0xDF) {
    length = 2;
  } else if (b >= 0xE0 && b <= 0xEF) {
    length = 3;
    if (b == 0xE0) low = 0xA0;
    if (b == 0xED) high = 0x9F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    length = 4;
    if (b == 0xF0) low = 0x90;
    if (b == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (at + length > s.size()) return 0;
  if (byte(at + 1) < low || byte(at + 1) > high) return 0;
  for (std::size_t k = 2; k < length; ++k)
    if (byte(at + k) < 0x80 || byte(at + k) > 0xBF) return 0;
  return length;
}

void append_hex(std::string& out, unsigned char c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02x", c);
  out += buf;
}

} // namespace

std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = utf8_sequence(text, i);
    if (n == 0) {
      append_hex(out, static_cast<unsigned char>(text[i]));
      ++i;
      continue;
    }
    out.append(text, i, n);
    i += n;
  }
  return out;
}

std::string xml_text(std::string_view text) {
  std::string out;
  for (const char c : valid_utf8(text)) {
    switch (c) {
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '&':
      out += "&amp;";
      break;
    case '"':
      out += "&quot;";
      break;
    default:
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') || c == 0x7F)
        append_hex(out, static_cast<unsigned char>(c));
      else
        out += c;
    }
  }
  return out;
}

const char* event_name(harness::wire_event::kind k) {
  using kind = harness::wire_event::kind;
  switch (k) {
  case kind::connect:
    return "connect";
  case kind::connected:
    return "connected";
  case kind::accept:
    return "accept";
  case kind::accepted:
    return "accepted";
  case kind::write:
    return "write";
  case kind::read:
    return "read";
  case kind::peer_fin:
    return "peer_fin";
  case kind::peer_rst:
    return "peer_rst";
  case kind::shutdown:
    return "shutdown";
  case kind::close:
    return "close";
  case kind::reset:
    return "reset";
  case kind::error:
    return "error";
  case kind::dropped:
    return "dropped";
  }
  return "?";
}

std::string seconds(std::chrono::microseconds us) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", static_cast<double>(us.count()) / 1e6);
  return buf;
}

std::string duration_text(std::chrono::milliseconds ms) {
  if (ms.count() < 1000) return std::to_string(ms.count()) + " ms";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(ms.count()) / 1000.0);
  return buf;
}

} // namespace tcpcheck::report::detail
