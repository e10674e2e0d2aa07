// `tcpcheck decode`: cut a captured stream into frames and print them.
#include "tcpcheck/escape.hpp"
#include "tcpcheck/frame_decoder.hpp"

#include <iostream>
#include <memory>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "input_file.hpp"
#include "spec_argument.hpp"

namespace tcpcheck::cli {

namespace {

struct decode_options {
  std::string framing;
  std::string input = "-";
  bool hex = false;
  bool no_eof = false;
  std::size_t chunk = 0;
};

int run_decode(const decode_options& options) {
  const auto spec = parse_spec_argument(options.framing, std::cerr);
  if (!spec) return exit_usage;
  std::string read_error;
  const auto stream = read_input(options.input, read_error);
  if (!stream) {
    std::cerr << "tcpcheck decode: " << read_error << '\n';
    return exit_io_error;
  }

  frame_decoder decoder(*spec);
  std::uint64_t count = 0;
  const auto print = [&](const frame& f) {
    ++count;
    std::cout << '#' << count << " at " << f.offset << ", " << f.payload.size() << " bytes";
    if (f.payload.size() != f.wire_size) std::cout << " (" << f.wire_size << " on the wire)";
    if (options.hex)
      std::cout << ": " << to_hex(f.payload) << '\n';
    else
      std::cout << ": \"" << escape(f.payload, "\"") << "\"\n";
  };
  std::error_code ec;
  const byte_view all(*stream);
  const std::size_t chunk = options.chunk == 0 ? all.size() : options.chunk;
  for (std::size_t at = 0; at < all.size() && !ec; at += chunk)
    decoder.consume(all.subspan(at, std::min(chunk, all.size() - at)), print, ec);
  if (!ec && !options.no_eof) decoder.finish(print, ec);

  // After an error the bytes read depend on how the input was chunked, so
  // only a clean run says how many.
  std::cout << count << (count == 1 ? " frame" : " frames");
  if (!ec) std::cout << " from " << decoder.offset() << " bytes";
  if (decoder.discarded_frames() > 0)
    std::cout << ", " << decoder.discarded_frames() << " too long and discarded";
  if (options.no_eof && decoder.buffered() > 0)
    std::cout << ", " << decoder.buffered() << " bytes of an unfinished frame";
  std::cout << '\n';
  if (ec) {
    std::cout << "error: " << to_string(decoder.error()) << '\n';
    return exit_failures;
  }
  return exit_ok;
}

} // namespace

command add_decode(CLI::App& app) {
  auto* sub = app.add_subcommand("decode", "Cut a captured byte stream into frames and print "
                                           "them with their offsets, or the error and where");
  auto options = std::make_shared<decode_options>();
  sub->add_option("--framing,-f", options->framing, "Framing spec, e.g. 'len:i32le' or 'line'")
      ->required();
  sub->add_option("FILE", options->input, "The stream ('-' or nothing: stdin)");
  sub->add_flag("--hex", options->hex, "Print payloads as hex instead of escaped text");
  sub->add_flag("--no-eof", options->no_eof,
                "The capture is not the end of the stream: leave a partial last frame alone");
  sub->add_option("--chunk", options->chunk,
                  "Feed the decoder this many bytes at a time (0: all at once); the frames "
                  "must not change")
      ->check(CLI::NonNegativeNumber);
  sub->footer("Exit codes: 0 the stream decodes, 1 it breaks the framing, 2 bad spec, 3 "
              "unreadable file.");
  return [options] { return run_decode(*options); };
}

} // namespace tcpcheck::cli
