// Draws a framing spec from fuzz input, for the framing fuzz targets.
//
// Every field is drawn from a small range where the interesting boundaries
// are (a max of a few bytes, offsets and adjustments near zero), then the
// spec goes through its own text form and the parser, so a target only ever
// sees specs a user could have typed.
#pragma once

#include "tcpcheck/framing_spec.hpp"

#include <FuzzedDataProvider.h>
#include <cstdio>
#include <cstdlib>
#include <optional>

namespace tcpcheck::fuzz {

inline std::optional<framing_spec> consume_spec(FuzzedDataProvider& in) {
  framing_spec s;
  s.kind = static_cast<framing_kind>(in.ConsumeIntegralInRange<int>(0, 5));
  switch (s.kind) {
  case framing_kind::delimited: {
    const int count = in.ConsumeIntegralInRange<int>(1, 3);
    for (int i = 0; i < count; ++i) {
      const auto length = in.ConsumeIntegralInRange<std::size_t>(1, 3);
      auto bytes = in.ConsumeBytes<std::uint8_t>(length);
      if (bytes.empty()) bytes.push_back('\n');
      s.delimiters.push_back(std::move(bytes));
    }
    s.keep_delimiter = in.ConsumeBool();
    break;
  }
  case framing_kind::fixed:
    s.fixed_size = in.ConsumeIntegralInRange<std::uint64_t>(1, 16);
    break;
  case framing_kind::line:
    s.strict_crlf = in.ConsumeBool();
    break;
  case framing_kind::varint:
  case framing_kind::length_prefixed: {
    if (s.kind == framing_kind::varint) {
      s.field.width = 0;
      s.field.varint_bytes = in.ConsumeIntegralInRange<std::uint8_t>(1, 10);
      if (in.ConsumeBool()) s.field.strip = in.ConsumeIntegralInRange<std::uint64_t>(0, 6);
    } else {
      static constexpr std::uint8_t widths[] = {1, 2, 3, 4, 8};
      s.field.width = in.PickValueInArray(widths);
      s.field.is_signed = s.field.width != 3 && in.ConsumeBool();
      // A one-byte field has no byte order; the parser calls it big.
      s.field.order = s.field.width > 1 && in.ConsumeBool() ? byte_order::little : byte_order::big;
      if (in.ConsumeBool())
        s.field.strip = in.ConsumeIntegralInRange<std::uint64_t>(0, s.field.width + 4u);
    }
    // Named header fields, then perhaps some zeros before the length.
    std::uint32_t fields_width = 0;
    const int field_count = in.ConsumeIntegralInRange<int>(0, 2);
    for (int i = 0; i < field_count; ++i) {
      static constexpr std::uint8_t field_widths[] = {1, 2, 4};
      const std::uint8_t w = in.PickValueInArray(field_widths);
      const byte_order order = w > 1 && in.ConsumeBool() ? byte_order::little : byte_order::big;
      s.fields.push_back({"f" + std::to_string(i), w, order, fields_width});
      fields_width += w;
    }
    s.field.offset = fields_width + in.ConsumeIntegralInRange<std::uint32_t>(0, 3);
    s.field.adjust = in.ConsumeIntegralInRange<std::int64_t>(-8, 8);
    s.max_of = in.ConsumeBool() ? max_applies_to::field : max_applies_to::frame;
    break;
  }
  case framing_kind::raw:
  // Not drawn (the range above stops at len): the framing targets feed byte
  // streams, and a datagram spec on a stream is raw under another name.
  case framing_kind::datagram:
    break;
  }
  if (s.kind != framing_kind::fixed && in.ConsumeBool())
    s.max = in.ConsumeIntegralInRange<std::uint64_t>(1, 40);
  if (s.kind != framing_kind::fixed && s.kind != framing_kind::raw && in.ConsumeBool())
    s.too_long = too_long_policy::discard;
  if (s.kind != framing_kind::raw)
    s.at_eof = static_cast<eof_policy>(in.ConsumeIntegralInRange<int>(0, 2));

  spec_error error;
  auto parsed = parse_framing_spec(to_string(s), error);
  if (parsed && !(*parsed == s)) {
    std::fprintf(stderr, "spec printed as '%s' parses back differently\n", to_string(s).c_str());
    std::abort();
  }
  return parsed;
}

} // namespace tcpcheck::fuzz
