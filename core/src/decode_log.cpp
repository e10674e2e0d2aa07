// Decoding a stream in chosen pieces into a comparable log.
#include "tcpcheck/decode_log.hpp"

#include "tcpcheck/escape.hpp"
#include "tcpcheck/frame_decoder.hpp"

#include <algorithm>

namespace tcpcheck {

namespace {

// Feeds `stream` to a decoder in the pieces `next_piece` cuts (it returns
// where the piece that starts at `pos` ends), each frame to `on_frame`;
// returns the decoder, which holds the error and the discards.
template <class NextPiece, class OnFrame>
frame_decoder decode(const framing_spec& spec, byte_view stream, bool finish, NextPiece next_piece,
                     OnFrame on_frame) {
  frame_decoder decoder(spec);
  std::error_code ec;
  std::size_t pos = 0;
  while (pos < stream.size() && !ec) {
    const std::size_t end = next_piece(pos);
    decoder.consume(stream.subspan(pos, end - pos), on_frame, ec);
    pos = end;
  }
  if (!ec && finish) decoder.finish(on_frame, ec);
  return decoder;
}

template <class NextPiece>
decode_log run(const framing_spec& spec, byte_view stream, bool finish, NextPiece next_piece) {
  decode_log log;
  const frame_decoder decoder = decode(spec, stream, finish, next_piece, [&](const frame& f) {
    log.frames.push_back({byte_buffer(f.payload.begin(), f.payload.end()), f.offset, f.wire_size});
  });
  log.error = decoder.error();
  log.discarded = decoder.discarded_frames();
  return log;
}

template <class NextPiece>
bool matches(const decode_log& expected, const framing_spec& spec, byte_view stream, bool finish,
             NextPiece next_piece) {
  std::size_t index = 0;
  bool same = true;
  const frame_decoder decoder = decode(spec, stream, finish, next_piece, [&](const frame& f) {
    if (!same) return;
    if (index == expected.frames.size()) {
      same = false;
      return;
    }
    const logged_frame& e = expected.frames[index++];
    same = e.offset == f.offset && e.wire_size == f.wire_size &&
           std::equal(e.payload.begin(), e.payload.end(), f.payload.begin(), f.payload.end());
  });
  return same && index == expected.frames.size() && decoder.error() == expected.error &&
         decoder.discarded_frames() == expected.discarded;
}

// The pieces cut at `cuts`, ignoring those out of range or not ascending.
auto cut_at(byte_view stream, std::span<const std::size_t> cuts) {
  return [stream, cuts, next_cut = std::size_t{0}](std::size_t pos) mutable {
    while (next_cut < cuts.size() && (cuts[next_cut] <= pos || cuts[next_cut] > stream.size()))
      ++next_cut;
    return next_cut < cuts.size() ? cuts[next_cut++] : stream.size();
  };
}

std::size_t one_byte(std::size_t pos) {
  return pos + 1;
}

} // namespace

decode_log decode_in_pieces(const framing_spec& spec, byte_view stream,
                            std::span<const std::size_t> cuts, bool finish) {
  return run(spec, stream, finish, cut_at(stream, cuts));
}

decode_log decode_bytewise(const framing_spec& spec, byte_view stream, bool finish) {
  return run(spec, stream, finish, one_byte);
}

bool decodes_as(const decode_log& expected, const framing_spec& spec, byte_view stream,
                std::span<const std::size_t> cuts, bool finish) {
  return matches(expected, spec, stream, finish, cut_at(stream, cuts));
}

bool decodes_bytewise_as(const decode_log& expected, const framing_spec& spec, byte_view stream,
                         bool finish) {
  return matches(expected, spec, stream, finish, one_byte);
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
