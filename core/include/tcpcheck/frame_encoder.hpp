// The frame encoder: a payload in, the bytes that carry it on the wire out.
//
// It never changes a payload to make it fit: a payload that is too long for
// the spec's max, whose length the field cannot hold, that contains a
// delimiter, or that is not exactly `fixed:N` bytes is refused with its own
// error code. Whatever it writes decodes to the same payload, with the
// header bytes `strip` keeps before it (the round-trip property the tests
// and a fuzz target check).
//
//   tcpcheck::byte_buffer wire;
//   if (auto ec = tcpcheck::encode_frame(spec, tcpcheck::as_bytes("hello"), wire)) ...
#pragma once

#include "tcpcheck/bytes.hpp"
#include "tcpcheck/error.hpp"
#include "tcpcheck/frame_header.hpp"
#include "tcpcheck/framing_spec.hpp"

#include <string>
#include <system_error>

namespace tcpcheck {

/// Appends the framed `payload` to `out`; on refusal returns the reason's
/// code and leaves `out` as it was. A length-prefixed frame's header is
/// written whole, whatever `strip` says: the named fields (`fields`, in the
/// spec's order; missing ones are 0), zeros up to the length field, the
/// length; the payload is the body after it. `line` writes LF (CRLF under
/// `crlf`, or when the payload itself ends in CR, which the decoder would
/// otherwise drop); `delim` writes the first delimiter (nothing under
/// `keep`, where the payload must end with one).
std::error_code encode_frame(const framing_spec& spec, byte_view payload,
                             const field_values& fields, byte_buffer& out);
std::error_code encode_frame(const framing_spec& spec, byte_view payload, byte_buffer& out);

/// Whether `spec` can encode at all: `raw` cannot (there are no boundaries
/// to write).
std::error_code check_encodable(const framing_spec& spec);

/// A one-line explanation of why `encode_frame` refused, for people.
std::string explain_refusal(const framing_spec& spec, byte_view payload, std::error_code ec);

} // namespace tcpcheck
