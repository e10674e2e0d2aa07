// tcpcheck's own framing specs as an adapter and an encoder, so a user's
// decoder can be checked against a spec (differential) and fed frames that
// tcpcheck's encoder wrote.
//
//   tcpcheck::testing::spec_adapter reference("len:u32le,max=1K,max-of=field");
//   EXPECT_TRUE(tcpcheck::testing::agrees_with(mine, reference, streams));
//   auto encode = tcpcheck::testing::spec_encoder(reference.spec());
#pragma once

#include "tcpcheck/frame_decoder.hpp"
#include "tcpcheck/framing_spec.hpp"
#include "tcpcheck/testing/decoder_adapter.hpp"
#include "tcpcheck/testing/encoder.hpp"

#include <string_view>

namespace tcpcheck::testing {

/// A frame_decoder behind the adapter interface. Errors are reported as
/// their full text ("truncated frame at byte 4: ...").
class spec_adapter final : public decoder_adapter {
public:
  explicit spec_adapter(framing_spec spec);
  /// Throws std::invalid_argument, with the parser's column and reason,
  /// when `spec_text` does not parse.
  explicit spec_adapter(std::string_view spec_text);

  void reset() override;
  void feed(byte_view piece, message_sink& out) override;
  void finish(message_sink& out) override;

  const framing_spec& spec() const noexcept { return decoder_.spec(); }

private:
  frame_decoder decoder_;
};

/// The spec `text` parses to; throws std::invalid_argument when it does not.
framing_spec spec_from_text(std::string_view text);

/// An encoder that frames with `spec` (tcpcheck::encode_frame), ignoring its
/// `max` so that the limit checks can send frames above it, as a peer might.
/// It throws std::invalid_argument, saying why, for a payload the spec cannot
/// carry at all (a length the field cannot hold, a delimiter inside).
encoder spec_encoder(framing_spec spec);

} // namespace tcpcheck::testing
