// Decoding a stream in chosen pieces into a comparable log.
#include "tcpcheck/decode_log.hpp"

#include "tcpcheck/escape.hpp"
#include "tcpcheck/frame_decoder.hpp"

namespace tcpcheck {

namespace {

template <class NextPiece>
decode_log run(const framing_spec& spec, byte_view stream, bool finish, NextPiece next_piece) {
  decode_log log;
  frame_decoder decoder(spec);
  const auto on_frame = [&](const frame& f) {
    log.frames.push_back({byte_buffer(f.payload.begin(), f.payload.end()), f.offset, f.wire_size});
  };
  std::error_code ec;
  std::size_t pos = 0;
  while (pos < stream.size() && !ec) {
    const std::size_t end = next_piece(pos);
    decoder.consume(stream.subspan(pos, end - pos), on_frame, ec);
    pos = end;
  }
  if (!ec && finish) decoder.finish(on_frame, ec);
  log.error = decoder.error();
  log.discarded = decoder.discarded_frames();
  return log;
}

} // namespace

decode_log decode_in_pieces(const framing_spec& spec, byte_view stream,
                            std::span<const std::size_t> cuts, bool finish) {
  std::size_t next_cut = 0;
  return run(spec, stream, finish, [&](std::size_t pos) {
    while (next_cut < cuts.size() && (cuts[next_cut] <= pos || cuts[next_cut] > stream.size()))
      ++next_cut;
    return next_cut < cuts.size() ? cuts[next_cut++] : stream.size();
  });
}

decode_log decode_bytewise(const framing_spec& spec, byte_view stream, bool finish) {
  return run(spec, stream, finish, [](std::size_t pos) { return pos + 1; });
}

std::string to_string(const decode_log& log) {
  constexpr std::size_t shown = 64;
  std::string out;
  for (const auto& f : log.frames) {
    out += "frame at " + std::to_string(f.offset) + " (" + std::to_string(f.wire_size) +
           " bytes on the wire): \"";
    const std::size_t n = std::min(shown, f.payload.size());
    out += escape(byte_view(f.payload).first(n), "\"");
    out += '"';
    if (n < f.payload.size())
      out += " ... and " + std::to_string(f.payload.size() - n) + " more bytes";
    out += '\n';
  }
  if (log.discarded) out += "discarded " + std::to_string(log.discarded) + " frames\n";
  if (log.error) out += "error: " + to_string(log.error) + '\n';
  return out;
}

} // namespace tcpcheck
