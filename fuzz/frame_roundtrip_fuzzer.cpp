// Fuzz target: whatever the encoder accepts decodes back to the same payloads
// (bodies after the whole header, whatever strip says) and header fields;
// whatever it refuses leaves its output untouched (refuse, never truncate).
#include "tcpcheck/decode_log.hpp"
#include "tcpcheck/escape.hpp"
#include "tcpcheck/frame_encoder.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "fuzz_spec.hpp"

namespace {

[[noreturn]] void report(const tcpcheck::framing_spec& spec, const char* what,
                         const tcpcheck::byte_buffer& wire, const tcpcheck::decode_log& log) {
  std::fprintf(stderr, "round trip broken for '%s': %s\nwire: %s\n%s",
               tcpcheck::to_string(spec).c_str(), what, tcpcheck::escape(wire).c_str(),
               tcpcheck::to_string(log).c_str());
  std::abort();
}

void expect_decodes_to(const tcpcheck::framing_spec& spec, const tcpcheck::byte_buffer& wire,
                       const std::vector<tcpcheck::byte_buffer>& payloads,
                       const tcpcheck::field_values& fields) {
  const auto log = tcpcheck::decode_in_pieces(tcpcheck::keeping_headers(spec), wire, {});
  if (log.error || log.discarded != 0 || log.frames.size() != payloads.size())
    report(spec, "wrong frame count or an error", wire, log);
  std::uint64_t offset = 0;
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    const auto split = tcpcheck::split_header(spec, log.frames[i].payload);
    if (!std::equal(split.body.begin(), split.body.end(), payloads[i].begin(), payloads[i].end()))
      report(spec, "payload changed", wire, log);
    if (split.fields != fields) report(spec, "header fields changed", wire, log);
    if (log.frames[i].offset != offset) report(spec, "frames do not tile the stream", wire, log);
    offset += log.frames[i].wire_size;
  }
  if (offset != wire.size()) report(spec, "bytes left over", wire, log);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const auto spec = tcpcheck::fuzz::consume_spec(in);
  if (!spec || tcpcheck::check_encodable(*spec)) return 0;
  // With several delimiters, where one frame ends can depend on the next
  // frame's first bytes (of two delimiters starting at the same byte the
  // longer wins), so each frame is checked on its own.
  const bool each_alone =
      spec->kind == tcpcheck::framing_kind::delimited && spec->delimiters.size() > 1;

  // The same field values on every frame, each fitting its field.
  tcpcheck::field_values fields;
  for (const auto& f : spec->fields)
    fields.push_back(in.ConsumeIntegralInRange<std::uint64_t>(0, tcpcheck::largest_value(f)));
  tcpcheck::byte_buffer wire;
  std::vector<tcpcheck::byte_buffer> accepted;
  const int count = in.ConsumeIntegralInRange<int>(0, 8);
  for (int i = 0; i < count; ++i) {
    const std::string text = in.ConsumeRandomLengthString(48);
    const tcpcheck::byte_buffer payload(text.begin(), text.end());
    tcpcheck::byte_buffer one;
    const std::size_t before = wire.size();
    if (tcpcheck::encode_frame(*spec, payload, fields, one)) {
      if (!one.empty()) report(*spec, "a refused payload left bytes behind", one, {});
      continue;
    }
    if (each_alone) expect_decodes_to(*spec, one, {payload}, fields);
    wire.insert(wire.end(), one.begin(), one.end());
    if (wire.size() <= before) report(*spec, "an accepted payload wrote nothing", wire, {});
    accepted.push_back(payload);
  }
  if (!each_alone) expect_decodes_to(*spec, wire, accepted, fields);
  return 0;
}
