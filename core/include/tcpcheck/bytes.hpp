// The byte types that cross tcpcheck's interfaces.
//
// Streams and frames are bytes, not text: a `byte_view` is a non-owning view
// of them and `byte_buffer` an owned sequence. The helpers convert to and from
// string_view without copying, because scripts, regexes and reports work on
// text while the decoder works on bytes.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace tcpcheck {

using byte_view = std::span<const std::uint8_t>;
using byte_buffer = std::vector<std::uint8_t>;

inline byte_view as_bytes(std::string_view text) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

inline std::string_view as_text(byte_view bytes) noexcept {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

} // namespace tcpcheck
