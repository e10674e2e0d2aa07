// A decoder run written down: every frame (copied), the error, the discards.
//
// Comparing logs is how split invariance is checked: decode a stream whole,
// then cut at other places, and the logs must be equal. Tests, the fuzz
// targets and tcpcheck's testing helpers all use this one definition.
//
//   auto whole = tcpcheck::decode_in_pieces(spec, stream, {});
//   auto cut = tcpcheck::decode_in_pieces(spec, stream, std::vector<std::size_t>{3, 7});
//   EXPECT_EQ(whole, cut);
#pragma once

#include "tcpcheck/bytes.hpp"
#include "tcpcheck/error.hpp"
#include "tcpcheck/framing_spec.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace tcpcheck {

struct logged_frame {
  byte_buffer payload;
  std::uint64_t offset = 0;
  std::uint64_t wire_size = 0;

  friend bool operator==(const logged_frame&, const logged_frame&) = default;
};

struct decode_log {
  std::vector<logged_frame> frames;
  stream_error error;
  std::uint64_t discarded = 0;

  friend bool operator==(const decode_log&, const decode_log&) = default;
};

/// Decodes `stream` fed as pieces cut at `cuts` (ascending positions inside
/// the stream; out-of-range or repeated cuts are ignored), then ends the
/// stream when `finish` is true.
decode_log decode_in_pieces(const framing_spec& spec, byte_view stream,
                            std::span<const std::size_t> cuts, bool finish = true);

/// Decodes `stream` one byte per piece.
decode_log decode_bytewise(const framing_spec& spec, byte_view stream, bool finish = true);

/// Whether decoding `stream` cut at `cuts` gives `expected`: the same as
/// `decode_in_pieces(spec, stream, cuts, finish) == expected`, compared
/// frame by frame as the decoder finds them, without copying a payload.
/// The fuzz targets check each input this way several times; a log is
/// only worth making for the report of a difference.
bool decodes_as(const decode_log& expected, const framing_spec& spec, byte_view stream,
                std::span<const std::size_t> cuts, bool finish = true);

/// The same, one byte per piece.
bool decodes_bytewise_as(const decode_log& expected, const framing_spec& spec, byte_view stream,
                         bool finish = true);

/// Human-readable log: one line per frame (offset, size, escaped payload),
/// then the error and the discard count. Long payloads are shortened, with
/// the number of bytes left out said.
std::string to_string(const decode_log& log);

} // namespace tcpcheck
