// The HTML report's sequence diagram of a conversation, drawn from the wire
// log as inline SVG, and the wire log as a table.

#include <algorithm>
#include <map>
#include <set>

#include "html.hpp"
#include "text.hpp"

namespace tcpcheck::report::html {

namespace {

using kind = harness::wire_event::kind;

// Geometry, in SVG user units (pixels at 100%).
constexpr double diagram_width = 900;
constexpr double client_x = 200;
constexpr double server_x = 780;
constexpr std::size_t lane_subtitle_bytes = 26; // fits the lane's 200-unit box
constexpr double lanes_top = 56;                // below the lane headers
constexpr double row_height = 30;

enum class direction { to_server, to_client, at_client };

direction direction_of(kind k) {
  switch (k) {
  case kind::write:
  case kind::connect:
  case kind::shutdown:
  case kind::close:
  case kind::reset:
    return direction::to_server;
  case kind::read:
  case kind::peer_fin:
  case kind::peer_rst:
    return direction::to_client;
  case kind::connected:
  case kind::accept:
  case kind::accepted:
  case kind::error:
  case kind::dropped:
    return direction::at_client;
  }
  return direction::at_client;
}

// What the diagram calls an event: the class a test or a stylesheet finds
// it by, and the words on it.
std::string css_class_of(kind k) {
  switch (k) {
  case kind::write:
    return "arrow write";
  case kind::read:
    return "arrow read";
  case kind::connect:
    return "arrow connect";
  case kind::connected:
  case kind::accepted:
    return "mark connected";
  case kind::accept:
    return "mark accept";
  case kind::error:
    return "mark error";
  case kind::dropped:
    return "mark dropped";
  default:
    return std::string("arrow fault ") + detail::event_name(k);
  }
}

std::string words_of(const harness::wire_event& e) {
  switch (e.what) {
  case kind::connect:
    return "connect";
  case kind::connected:
    return "connected";
  case kind::accept:
    return "accept: waiting for the client";
  case kind::accepted:
    return "accepted";
  case kind::write:
    return "write " + std::to_string(e.size) + " B";
  case kind::read:
    return "read " + std::to_string(e.size) + " B";
  case kind::peer_fin:
    return "FIN: the peer closed";
  case kind::peer_rst:
    return "RST from the peer";
  case kind::shutdown:
    return "shutdown: FIN, tcpcheck stops sending";
  case kind::close:
    return "close: FIN";
  case kind::reset:
    return "reset: RST";
  case kind::error:
    return "error";
  case kind::dropped:
    return e.text;
  }
  return "?";
}

bool carries_bytes(const harness::wire_event& e) {
  return e.what == kind::write || e.what == kind::read;
}

// The label on an arrow (short) or in its tooltip (longer), already HTML.
std::string label_of(const harness::wire_event& e, std::size_t budget) {
  std::string label = "#" + std::to_string(e.connection) + " " + text(words_of(e));
  if (carries_bytes(e) && e.size > 0) label += " &quot;" + bytes(e.bytes, budget) + "&quot;";
  if (carries_bytes(e) && e.bytes.size() < e.size)
    label += " (" + std::to_string(e.size - e.bytes.size()) + " B not logged)";
  if (!e.text.empty()) label += ": " + shortened(e.text, budget);
  return label;
}

// One row of the diagram: an event, a pause before one, or the count of
// the events left out.
struct row {
  enum class what { event, pause, omitted };
  what is = what::event;
  std::size_t index = 0;   // event: into the log
  bool cut_before = false; // event: a write right after a write (a plan's cut)
  std::chrono::microseconds pause{0};
};

std::vector<row> rows_of(const std::vector<harness::wire_event>& log) {
  std::vector<row> rows;
  std::map<std::size_t, bool> wrote_last; // per connection: its last event was a write
  const std::size_t drawn = std::min(log.size(), max_events_drawn);
  for (std::size_t i = 0; i < drawn; ++i) {
    const auto& e = log[i];
    if (i > 0 && e.at - log[i - 1].at >= pause_shown)
      rows.push_back({row::what::pause, i, false, e.at - log[i - 1].at});
    bool& after_write = wrote_last[e.connection];
    rows.push_back({row::what::event, i, e.what == kind::write && after_write, {}});
    after_write = e.what == kind::write;
  }
  if (drawn < log.size()) rows.push_back({row::what::omitted, drawn, false, {}});
  return rows;
}

// What fits under a lane's title: all of `full`, or its last word (the
// address, in "spawned '...' on 127.0.0.1:4000"); the tooltip has it all.
std::string_view lane_subtitle(std::string_view full) {
  if (full.size() <= lane_subtitle_bytes) return full;
  const std::size_t space = full.find_last_of(' ');
  return space == std::string_view::npos ? full : full.substr(space + 1);
}

void write_lane(std::ostream& out, const char* side, double x, std::string_view title,
                std::string_view subtitle, double bottom) {
  out << "<g class=\"lane " << side << "\"><title>" << text(title) << ": " << text(subtitle)
      << "</title><rect x=\"" << number(x - 100)
      << "\" y=\"4\" width=\"200\" height=\"40\" rx=\"4\"/><text class=\"lane-title\" x=\""
      << number(x) << "\" y=\"20\">" << text(title) << "</text><text class=\"lane-subtitle\" x=\""
      << number(x) << "\" y=\"36\">" << shortened(lane_subtitle(subtitle), lane_subtitle_bytes)
      << "</text><line x1=\"" << number(x) << "\" y1=\"44\" x2=\"" << number(x) << "\" y2=\""
      << number(bottom) << "\"/></g>\n";
}

std::string connections_text(const std::vector<harness::wire_event>& log) {
  std::set<std::size_t> seen;
  for (const auto& e : log)
    seen.insert(e.connection);
  if (seen.size() == 1) return "connection #" + std::to_string(*seen.begin());
  return std::to_string(seen.size()) + " connections";
}

void write_arrowhead(std::ostream& out, double tip, double y, bool pointing_right) {
  const double back = pointing_right ? tip - 8 : tip + 8;
  out << "<polygon points=\"" << number(tip) << ',' << number(y) << ' ' << number(back) << ','
      << number(y - 4) << ' ' << number(back) << ',' << number(y + 4) << "\"/>";
}

void write_event_row(std::ostream& out, const harness::wire_event& e, std::size_t index, double y) {
  out << "<g class=\"" << css_class_of(e.what) << "\" data-connection=\"" << e.connection
      << "\" data-event=\"" << index << "\"><title>" << time_text(e.at) << ' '
      << label_of(e, max_tooltip_chars) << "</title>";
  const direction d = direction_of(e.what);
  if (d == direction::at_client) {
    out << "<circle cx=\"" << number(client_x) << "\" cy=\"" << number(y) << "\" r=\"4\"/>"
        << "<text class=\"label\" x=\"" << number(client_x + 10) << "\" y=\"" << number(y + 4)
        << "\">" << label_of(e, max_label_chars) << "</text>";
  } else {
    const bool right = d == direction::to_server;
    const double from = right ? client_x : server_x, to = right ? server_x : client_x;
    out << "<line x1=\"" << number(from) << "\" y1=\"" << number(y) << "\" x2=\"" << number(to)
        << "\" y2=\"" << number(y) << "\"/>";
    write_arrowhead(out, to, y, right);
    out << "<text class=\"label\" x=\"" << number((client_x + server_x) / 2) << "\" y=\""
        << number(y - 6) << "\">" << label_of(e, max_label_chars) << "</text>";
  }
  out << "</g>";
}

void write_cut(std::ostream& out, const harness::wire_event& e, double y) {
  const double above = y - row_height / 2;
  out << "<g class=\"cut\" data-connection=\"" << e.connection << "\"><line x1=\""
      << number(client_x - 36) << "\" y1=\"" << number(above) << "\" x2=\"" << number(client_x + 36)
      << "\" y2=\"" << number(above) << "\"/><text x=\"" << number(client_x - 40) << "\" y=\""
      << number(above + 4) << "\">cut</text></g>";
}

void write_row(std::ostream& out, const std::vector<harness::wire_event>& log, const row& r,
               double y) {
  const double middle = (client_x + server_x) / 2;
  switch (r.is) {
  case row::what::pause:
    out << "<g class=\"pause\"><text x=\"" << number(middle) << "\" y=\"" << number(y + 4) << "\">"
        << text(detail::duration_text(
               std::chrono::duration_cast<std::chrono::milliseconds>(r.pause)))
        << " without a byte or an event</text></g>\n";
    return;
  case row::what::omitted:
    out << "<text class=\"omitted\" x=\"" << number(middle) << "\" y=\"" << number(y + 4) << "\">"
        << log.size() - r.index << " more events of " << log.size() << " not drawn</text>\n";
    return;
  case row::what::event:
    break;
  }
  const auto& e = log[r.index];
  out << "<text class=\"time\" x=\"8\" y=\"" << number(y + 4) << "\">" << time_text(e.at)
      << "</text>";
  if (r.cut_before) write_cut(out, e, y);
  write_event_row(out, e, r.index, y);
  out << '\n';
}

} // namespace

void write_sequence_diagram(std::ostream& out, const std::vector<harness::wire_event>& log,
                            std::string_view server_label) {
  const std::vector<row> rows = rows_of(log);
  const double bottom = lanes_top + row_height * (static_cast<double>(rows.size()) + 0.5);
  const double height = bottom + 8;
  out << "<svg class=\"sequence\" xmlns=\"http://www.w3.org/2000/svg\" width=\""
      << number(diagram_width) << "\" height=\"" << number(height) << "\" viewBox=\"0 0 "
      << number(diagram_width) << ' ' << number(height)
      << "\" role=\"img\" aria-label=\"sequence diagram of the conversation\">\n";
  // tcpcheck is drawn on the left whichever side it plays: the client
  // (it connects) or, for a `role server` script, the server (it accepts).
  const bool serving = std::any_of(
      log.begin(), log.end(), [](const harness::wire_event& e) { return e.what == kind::accept; });
  write_lane(out, "client", client_x, serving ? "server (tcpcheck)" : "client (tcpcheck)",
             connections_text(log), bottom);
  write_lane(out, "server", server_x, serving ? "client" : "server", server_label, bottom);
  double y = lanes_top + row_height;
  for (const row& r : rows) {
    write_row(out, log, r, y);
    y += row_height;
  }
  out << "</svg>\n";
}

void write_wire_table(std::ostream& out, const std::vector<harness::wire_event>& log) {
  const std::size_t listed = std::min(log.size(), max_events_drawn);
  out << "<details class=\"wire-log\"><summary>Wire log: " << log.size()
      << (log.size() == 1 ? " event" : " events")
      << "</summary>\n<table><thead><tr><th>#</th><th>time</th><th>conn.</th><th>event</th>"
         "<th>size</th><th>bytes (escaped, at most "
      << max_table_chars << " characters)</th></tr></thead><tbody>\n";
  for (std::size_t i = 0; i < listed; ++i) {
    const auto& e = log[i];
    out << "<tr class=\"" << detail::event_name(e.what) << "\"><td>" << i << "</td><td>"
        << time_text(e.at) << "</td><td>#" << e.connection << "</td><td>"
        << detail::event_name(e.what) << "</td><td>"
        << (carries_bytes(e) ? std::to_string(e.size) : "") << "</td><td><code>"
        << bytes(e.bytes, max_table_chars) << "</code>";
    if (e.bytes.size() < e.size)
      out << " <em>(" << e.bytes.size() << " of " << e.size << " bytes logged)</em>";
    if (!e.text.empty()) out << ' ' << shortened(e.text, max_table_chars);
    out << "</td></tr>\n";
  }
  out << "</tbody></table>\n";
  if (listed < log.size())
    out << "<p class=\"omitted\">" << log.size() - listed << " more events of " << log.size()
        << " not listed.</p>\n";
  out << "</details>\n";
}

} // namespace tcpcheck::report::html
