// The text formats every report shares: JSON strings, XML text, seconds,
// wire event names, and the wire log as JSON. Internal to the harness.
#pragma once

#include "tcpcheck/escape.hpp"
#include "tcpcheck/harness/run.hpp"

#include <chrono>
#include <cstdio>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace tcpcheck::harness::detail {

inline const char* event_name(wire_event::kind k) {
  switch (k) {
  case wire_event::kind::connect:
    return "connect";
  case wire_event::kind::connected:
    return "connected";
  case wire_event::kind::write:
    return "write";
  case wire_event::kind::read:
    return "read";
  case wire_event::kind::peer_fin:
    return "peer_fin";
  case wire_event::kind::peer_rst:
    return "peer_rst";
  case wire_event::kind::shutdown:
    return "shutdown";
  case wire_event::kind::close:
    return "close";
  case wire_event::kind::reset:
    return "reset";
  case wire_event::kind::error:
    return "error";
  }
  return "?";
}

inline std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (static_cast<unsigned char>(c) < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x",
                      static_cast<unsigned>(static_cast<unsigned char>(c)));
        out += buf;
      } else {
        out += c;
      }
    }
  }
  return out + "\"";
}

inline std::string xml_text(std::string_view text) {
  std::string out;
  for (const char c : text) {
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
      // XML 1.0 has no way to write most control characters.
      if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t')
        out += '?';
      else
        out += c;
    }
  }
  return out;
}

inline std::string seconds(std::chrono::microseconds us) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", static_cast<double>(us.count()) / 1e6);
  return buf;
}

/// [{"at_us", "connection", "event", "size", "bytes", "text"}, ...]
inline void write_wire_log_json(std::ostream& out, const std::vector<wire_event>& log) {
  out << "[";
  for (std::size_t i = 0; i < log.size(); ++i) {
    const auto& e = log[i];
    out << (i ? ",\n  " : "\n  ") << "{\"at_us\": " << e.at.count()
        << ", \"connection\": " << e.connection << ", \"event\": \"" << event_name(e.what)
        << "\", \"size\": " << e.size << ", \"bytes\": " << json_string(escape(e.bytes))
        << ", \"text\": " << json_string(e.text) << "}";
  }
  out << "]";
}

/// One line per event: time, connection, event, size and bytes.
inline void write_wire_log_human(std::ostream& out, const std::vector<wire_event>& log,
                                 std::string_view indent) {
  for (const auto& e : log) {
    out << indent << e.at.count() << "us  #" << e.connection << "  " << event_name(e.what);
    if (e.size) out << "  " << e.size << " bytes  \"" << escape(e.bytes, "\"") << '"';
    if (e.bytes.size() < e.size) out << " (shortened)";
    if (!e.text.empty()) out << "  " << e.text;
    out << '\n';
  }
}

} // namespace tcpcheck::harness::detail
