// The HTML writer's parts: escaping for the page, and the drawings made of
// inline SVG. Internal to the harness's report writers.
//
// Everything the model holds came, or may have come, from a server, so no
// string of it reaches the page unescaped (html::text), and no byte of the
// wire reaches it but as tcpcheck's escape language (html::bytes). Model
// data never goes inside <script>: the page's one script is a constant.
#pragma once

#include "tcpcheck/bytes.hpp"
#include "tcpcheck/harness/run.hpp"
#include "tcpcheck/report/model.hpp"

#include <chrono>
#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace tcpcheck::report::html {

/// Wire events drawn in one sequence diagram and listed in one wire log
/// table; the rest are counted, never dropped silently.
inline constexpr std::size_t max_events_drawn = 500;
/// Characters of escaped payload written on an arrow of the diagram, in
/// its tooltip, and in the wire log table (the JSON report has them all).
inline constexpr std::size_t max_label_chars = 48;
inline constexpr std::size_t max_tooltip_chars = 256;
inline constexpr std::size_t max_table_chars = 1024;
/// A pause between two events this long or longer gets a row of its own,
/// so silences (a server waiting for more, a timeout) show.
inline constexpr std::chrono::milliseconds pause_shown{100};

/// `s` as HTML text or a double- or single-quoted attribute value: markup
/// characters as references, bytes that are not valid UTF-8 and control
/// characters (C0 but tab and newline, DEL, C1) as \xNN.
std::string text(std::string_view s);

/// `b` in tcpcheck's escape language (printable ASCII as is; \r, \n, \0, a
/// doubled backslash, \xNN), cut to at most `limit` characters (never inside an
/// escape) and made HTML text; "..." when cut.
std::string bytes(byte_view b, std::size_t limit);

/// `s` cut to at most `limit` bytes (never inside a UTF-8 sequence), "..."
/// when cut, made HTML text.
std::string shortened(std::string_view s, std::size_t limit);

/// "+12.345 ms" from the start of the run.
std::string time_text(std::chrono::microseconds at);

/// `v` as printf's `format` writes it ("%.1f": 12.5): plots and facts.
std::string number(double v, const char* format = "%.1f");

/// A name and its value (already HTML) in a <dl>; nothing when the value is
/// empty.
void fact(std::ostream& out, std::string_view name, std::string_view value_html);

/// `s` as <code>, empty when `s` is.
std::string code(std::string_view s);

/// The fuzzing run: its facts, and coverage, reply states and executions
/// per second over time as inline SVG plots (svg.plot, one polyline each).
void write_fuzzing(std::ostream& out, const fuzz_facts& f);

/// A sequence diagram of a conversation as inline SVG: a client lane and a
/// server lane, one row per wire event (its time on the left), writes as arrows
/// to the server, reads as arrows to the client, each with its size and bytes;
/// connects as dashed arrows; the client's shutdowns, closes and resets and the
/// server's FIN and RST as fault arrows; errors as marks; a write right after
/// another on its connection, with no read between (the pieces a delivery plan
/// cut a send into), marked "cut"; long pauses as rows. Stable classes for
/// tests and styling: svg.sequence, g.lane.client, g.lane.server,
/// g.arrow.write, g.arrow.read, g.arrow.fault, g.mark, g.cut, g.pause,
/// text.omitted; each event's group carries data-connection and data-event.
void write_sequence_diagram(std::ostream& out, const std::vector<harness::wire_event>& log,
                            std::string_view server_label);

/// The same events as a table, inside a <details> (readable without the
/// drawing, and copyable).
void write_wire_table(std::ostream& out, const std::vector<harness::wire_event>& log);

} // namespace tcpcheck::report::html
