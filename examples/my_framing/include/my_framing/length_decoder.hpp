// my_framing: a project's own decoder, the kind tcpcheck's helpers test.
//
// Messages are framed by a 4-byte little-endian length, then the payload
// (Python's struct.pack('<I', len(payload)) + payload). The decoder takes
// bytes as the socket returns them and hands out whole messages; a length
// above `max_message` breaks the stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace my_framing {

using bytes = std::vector<std::uint8_t>;

class length_decoder {
public:
  static constexpr std::size_t header_size = 4;

  explicit length_decoder(std::size_t max_message = 1024) : max_message_(max_message) {}

  /// Takes the bytes one read returned.
  void append(const std::uint8_t* data, std::size_t size);
  /// The next complete message, if the bytes so far hold one.
  std::optional<bytes> next();

  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  /// Bytes held of a message that is not complete yet.
  std::size_t pending() const { return buffer_.size() - head_; }

private:
  std::size_t max_message_;
  bytes buffer_;
  std::size_t head_ = 0; // bytes of buffer_ already handed out
  std::string error_;
};

/// The bytes that carry `payload` on the wire.
bytes frame(const std::uint8_t* payload, std::size_t size);

} // namespace my_framing
