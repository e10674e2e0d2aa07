// Text that every report format needs: server bytes made safe to embed,
// wire event names, times. Internal to the harness's report writers.
#pragma once

#include "tcpcheck/harness/run.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace tcpcheck::report::detail {

/// `text` with every byte that is not part of a valid UTF-8 sequence written
/// as \xNN: a server sends anything, and JSON, XML and HTML need UTF-8.
std::string valid_utf8(std::string_view text);

/// Text for XML 1.0 content and attributes: markup escaped, valid UTF-8,
/// and the control characters XML 1.0 cannot hold even escaped written as
/// \xNN (tab and newline stay).
std::string xml_text(std::string_view text);

const char* event_name(harness::wire_event::kind k);

/// "0.001500": seconds with microseconds, as JUnit wants them.
std::string seconds(std::chrono::microseconds us);

/// "850 ms", "12.3 s": for people.
std::string duration_text(std::chrono::milliseconds ms);

} // namespace tcpcheck::report::detail
