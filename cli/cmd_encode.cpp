// `tcpcheck encode`: frame payloads for the wire, refusing any that do not fit.
#include "tcpcheck/escape.hpp"
#include "tcpcheck/frame_encoder.hpp"

#include <cstdio>
#include <iostream>
#include <memory>
#include <vector>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "spec_argument.hpp"

namespace tcpcheck::cli {

namespace {

struct encode_options {
  std::string framing;
  std::vector<std::string> payloads;
  bool escaped_output = false;
};

int run_encode(const encode_options& options) {
  const auto spec = parse_spec_argument(options.framing, std::cerr);
  if (!spec) return exit_usage;
  if (auto ec = check_encodable(*spec)) {
    std::cerr << "tcpcheck encode: '" << to_string(*spec)
              << "' cannot encode: " << explain_refusal(*spec, {}, ec) << '\n';
    return exit_usage;
  }
  byte_buffer wire;
  for (std::size_t i = 0; i < options.payloads.size(); ++i) {
    unescape_error bad;
    const auto payload = unescape(options.payloads[i], bad);
    if (!payload) {
      std::cerr << "tcpcheck encode: payload " << i + 1 << ", character " << bad.index + 1 << ": "
                << bad.reason << '\n';
      return exit_usage;
    }
    if (auto ec = encode_frame(*spec, *payload, wire)) {
      std::cerr << "tcpcheck encode: payload " << i + 1 << " refused (" << ec.message()
                << "): " << explain_refusal(*spec, *payload, ec) << '\n';
      return exit_usage;
    }
  }
  if (options.escaped_output) {
    std::cout << escape(wire) << '\n';
  } else if (!wire.empty() && std::fwrite(wire.data(), 1, wire.size(), stdout) != wire.size()) {
    std::cerr << "tcpcheck encode: cannot write to stdout\n";
    return exit_io_error;
  }
  return exit_ok;
}

} // namespace

command add_encode(CLI::App& app) {
  auto* sub = app.add_subcommand("encode", "Frame payloads as they go on the wire (header, "
                                           "delimiter) and write the bytes to stdout");
  auto options = std::make_shared<encode_options>();
  sub->add_option("--framing,-f", options->framing, "Framing spec, e.g. 'len:i32le' or 'line'")
      ->required();
  sub->add_option("PAYLOAD", options->payloads,
                  "Payloads as text with escapes (\\n \\r \\t \\0 \\\\ \\xNN), one frame each");
  sub->add_flag("--escaped", options->escaped_output,
                "Print the framed bytes as escaped text instead of raw bytes");
  sub->footer("A payload that does not fit (too long, contains a delimiter, a length the "
              "field cannot hold) is refused, never truncated. Exit codes: 0 written, 2 refused "
              "or bad arguments, 3 write error.");
  return [options] { return run_encode(*options); };
}

} // namespace tcpcheck::cli
