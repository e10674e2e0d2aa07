// tcpcheck's framing specs behind the adapter and encoder interfaces.
#include "tcpcheck/testing/spec_adapter.hpp"

#include "tcpcheck/frame_encoder.hpp"

#include <stdexcept>
#include <string>
#include <utility>

namespace tcpcheck::testing {

spec_adapter::spec_adapter(framing_spec spec) : decoder_(std::move(spec)) {}

spec_adapter::spec_adapter(std::string_view spec_text) : decoder_(spec_from_text(spec_text)) {}

void spec_adapter::reset() {
  decoder_.reset();
}

void spec_adapter::feed(byte_view piece, message_sink& out) {
  std::error_code ec;
  decoder_.consume(
      piece, [&](const frame& f) { out.message(f.payload); }, ec);
  if (ec) out.error(to_string(decoder_.error()));
}

void spec_adapter::finish(message_sink& out) {
  std::error_code ec;
  decoder_.finish([&](const frame& f) { out.message(f.payload); }, ec);
  if (ec) out.error(to_string(decoder_.error()));
}

framing_spec spec_from_text(std::string_view text) {
  spec_error error;
  auto spec = parse_framing_spec(text, error);
  if (!spec)
    throw std::invalid_argument("framing spec '" + std::string(text) +
                                "' does not parse: " + to_string(error));
  return *spec;
}

encoder spec_encoder(framing_spec spec) {
  // The limit checks need frames above max; the decoder side still has it.
  spec.max = framing_limits::largest_max;
  return [spec = std::move(spec)](byte_view payload) {
    byte_buffer wire;
    if (const auto ec = encode_frame(spec, payload, wire))
      throw std::invalid_argument(explain_refusal(spec, payload, ec));
    return wire;
  };
}

} // namespace tcpcheck::testing
