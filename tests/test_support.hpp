// Helpers the tests share: scripts and specs from text, payload lists, and split grinding.
#pragma once

#include "tcpcheck/check_matrix.hpp"
#include "tcpcheck/decode_log.hpp"
#include "tcpcheck/error.hpp"
#include "tcpcheck/framing_spec.hpp"
#include "tcpcheck/script.hpp"

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace tcpcheck {

// Readable gtest output for the core's value types (found by ADL).
void PrintTo(const decode_log& log, std::ostream* os);
void PrintTo(const stream_error& error, std::ostream* os);

} // namespace tcpcheck

namespace tcpcheck::test {

/// The spec `text` parses to. Throws std::invalid_argument, which fails the
/// running test with the parser's column and reason, when it does not parse.
framing_spec spec_of(std::string_view text);

/// The bytes of `text`.
byte_buffer bytes_of(std::string_view text);

/// The literal bytes of a script text with no variables.
byte_buffer literal_of(const script_text& text);

/// Whether `needle` occurs in `haystack`.
bool contains(const byte_buffer& haystack, const byte_buffer& needle);

/// The script `text` parses to. Throws std::invalid_argument with the
/// parser's line, column and reason when it does not parse.
script script_of(std::string_view text);

/// The spec a script runs under: its `framing` line, else raw.
framing_spec spec_of(const script& s);

/// The payloads of `log`'s frames as strings, for compact expectations.
std::vector<std::string> payloads(const decode_log& log);

/// Split grinding (Beast's parsegrind): decodes `stream` whole, cut at every
/// position, cut at every pair of positions, and byte by byte, and adds a
/// test failure for the first cut of each sort whose log (frames, offsets,
/// wire sizes, error with its offset and reason, discarded count) differs
/// from the whole decode's. Returns the whole decode's log, so a test can
/// go on to assert what it should be.
decode_log grind(const framing_spec& spec, std::string_view stream, bool finish = true);
decode_log grind(std::string_view spec_text, std::string_view stream, bool finish = true);

/// The cases with the scripts of those made when they run (the faults)
/// made now, so that a test can look at every case's steps.
std::vector<check_case> with_scripts_made(std::vector<check_case> cases);

} // namespace tcpcheck::test
