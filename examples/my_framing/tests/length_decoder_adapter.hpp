// length_decoder behind tcpcheck's adapter: what the tests and the fuzz
// target drive. This is all the glue tcpcheck needs.
#pragma once

#include <tcpcheck/testing/decoder_adapter.hpp>

#include "my_framing/length_decoder.hpp"

class length_decoder_adapter : public tcpcheck::testing::decoder_adapter {
public:
  explicit length_decoder_adapter(std::size_t max_message = 1024) : max_message_(max_message) {}

  void reset() override { decoder_ = my_framing::length_decoder(max_message_); }

  void feed(tcpcheck::byte_view piece, tcpcheck::testing::message_sink& out) override {
    decoder_.append(piece.data(), piece.size());
    while (auto message = decoder_.next())
      out.message(*message);
    if (decoder_.failed()) out.error(decoder_.error());
  }

  void finish(tcpcheck::testing::message_sink& out) override {
    if (decoder_.pending() > 0) out.error("the stream ended inside a message");
  }

private:
  std::size_t max_message_;
  my_framing::length_decoder decoder_{max_message_};
};

/// length_decoder's framing, as the helpers want an encoder.
inline tcpcheck::byte_buffer encode_length_prefixed(tcpcheck::byte_view payload) {
  return my_framing::frame(payload.data(), payload.size());
}
