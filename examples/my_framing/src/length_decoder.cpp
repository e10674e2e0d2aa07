// The 4-byte little-endian length-prefix decoder and its framing.
#include "my_framing/length_decoder.hpp"

namespace my_framing {

void length_decoder::append(const std::uint8_t* data, std::size_t size) {
  if (failed()) return;
  if (head_ > 0 && head_ == buffer_.size()) {
    buffer_.clear();
    head_ = 0;
  }
  buffer_.insert(buffer_.end(), data, data + size);
}

std::optional<bytes> length_decoder::next() {
  if (failed() || pending() < header_size) return std::nullopt;
  const std::uint8_t* header = buffer_.data() + head_;
  const std::uint64_t length = std::uint64_t{header[0]} | std::uint64_t{header[1]} << 8 |
                               std::uint64_t{header[2]} << 16 | std::uint64_t{header[3]} << 24;
  if (length > max_message_) {
    error_ = "message of " + std::to_string(length) + " bytes is above the limit of " +
             std::to_string(max_message_);
    return std::nullopt;
  }
  if (pending() < header_size + length) return std::nullopt;
  const auto begin = buffer_.begin() + static_cast<std::ptrdiff_t>(head_ + header_size);
  bytes message(begin, begin + static_cast<std::ptrdiff_t>(length));
  head_ += header_size + length;
  return message;
}

bytes frame(const std::uint8_t* payload, std::size_t size) {
  bytes out(length_decoder::header_size + size);
  for (std::size_t i = 0; i < length_decoder::header_size; ++i)
    out[i] = static_cast<std::uint8_t>(size >> (8 * i));
  for (std::size_t i = 0; i < size; ++i)
    out[length_decoder::header_size + i] = payload[i];
  return out;
}

} // namespace my_framing
