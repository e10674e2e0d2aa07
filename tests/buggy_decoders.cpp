// The length-prefix decoders of buggy_decoders.hpp.
#include "buggy_decoders.hpp"

#include <algorithm>
#include <string>

namespace tcpcheck::test {

void length_prefix_decoder::reset() {
  header_.clear();
  body_size_.reset();
  body_.clear();
}

std::optional<std::size_t> length_prefix_decoder::read_header(byte_view piece, std::size_t& pos) {
  const std::size_t take = std::min(header_size - header_.size(), piece.size() - pos);
  header_.insert(header_.end(), piece.begin() + static_cast<std::ptrdiff_t>(pos),
                 piece.begin() + static_cast<std::ptrdiff_t>(pos + take));
  pos += take;
  if (header_.size() < header_size) {
    if (bug_ == decoder_bug::drops_partial_header) header_.clear();
    if (bug_ != decoder_bug::whole_header_per_read) return std::nullopt;
  }
  std::size_t length = 0;
  for (std::size_t i = header_.size(); i-- > 0;)
    length = length << 8 | header_[i];
  header_.clear();
  return length;
}

void length_prefix_decoder::feed(byte_view piece, testing::message_sink& out) {
  for (std::size_t pos = 0; pos < piece.size();) {
    if (!body_size_) {
      body_size_ = read_header(piece, pos);
      if (!body_size_) return;
      if (*body_size_ > limit_ && bug_ != decoder_bug::no_limit_check) {
        out.error("message of " + std::to_string(*body_size_) + " bytes is above the limit of " +
                  std::to_string(limit_));
        return;
      }
    }
    const std::size_t take = std::min(*body_size_ - body_.size(), piece.size() - pos);
    body_.insert(body_.end(), piece.begin() + static_cast<std::ptrdiff_t>(pos),
                 piece.begin() + static_cast<std::ptrdiff_t>(pos + take));
    pos += take;
    if (body_.size() == *body_size_) {
      out.message(body_);
      body_.clear();
      body_size_.reset();
    }
  }
}

void length_prefix_decoder::finish(testing::message_sink& out) {
  if (!header_.empty() || body_size_) out.error("stream ended inside a message");
}

byte_buffer frame_le32(byte_view payload) {
  constexpr std::size_t header = length_prefix_decoder::header_size;
  byte_buffer out(header + payload.size());
  for (std::size_t i = 0; i < header; ++i)
    out[i] = static_cast<std::uint8_t>(payload.size() >> (8 * i));
  std::copy(payload.begin(), payload.end(), out.begin() + header);
  return out;
}

} // namespace tcpcheck::test
