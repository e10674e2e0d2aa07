// Decoders that a user might write for the seed article's 4-byte
// little-endian length prefix: one right, three with the classic bugs, each
// behind tcpcheck's adapter, so the tests can show which helper catches which.
#pragma once

#include "tcpcheck/bytes.hpp"
#include "tcpcheck/testing/decoder_adapter.hpp"

#include <cstddef>
#include <optional>

namespace tcpcheck::test {

enum class decoder_bug {
  none,
  /// Takes each read to start with a whole header: a header cut by a read is
  /// read from the bytes that are there (the article's single recv(4)).
  whole_header_per_read,
  /// Waits for a whole header, but forgets header bytes that end a read.
  drops_partial_header,
  /// Never compares the length with its limit.
  no_limit_check,
};

class length_prefix_decoder final : public testing::decoder_adapter {
public:
  static constexpr std::size_t header_size = 4;

  explicit length_prefix_decoder(decoder_bug bug = decoder_bug::none, std::size_t limit = 16)
      : bug_(bug), limit_(limit) {}

  void reset() override;
  void feed(byte_view piece, testing::message_sink& out) override;
  void finish(testing::message_sink& out) override;

private:
  // Reads header bytes from `piece` at `pos`; the length once it is known.
  std::optional<std::size_t> read_header(byte_view piece, std::size_t& pos);

  decoder_bug bug_;
  std::size_t limit_;
  byte_buffer header_;
  std::optional<std::size_t> body_size_;
  byte_buffer body_;
};

/// The matching encoder: the payload's size as 4 bytes little-endian, then the payload.
byte_buffer frame_le32(byte_view payload);

} // namespace tcpcheck::test
