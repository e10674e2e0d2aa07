// `tcpcheck demo`: the framing core on the seed articles' sticky-packet streams.
//
// Until the live-server harness lands, the main job the README shows is
// this: the byte streams of the seed articles' broken servers, decoded by
// tcpcheck's framing core under every cutting a network could produce,
// beside what a server that takes one recv() as one message would see.
// Every line that says "ok" is checked here, not assumed; a failed check
// makes the command exit 1.
#include "tcpcheck/decode_log.hpp"
#include "tcpcheck/escape.hpp"
#include "tcpcheck/frame_encoder.hpp"

#include <algorithm>
#include <iostream>
#include <memory>
#include <random>
#include <stdexcept>
#include <vector>

#include "commands.hpp"
#include "exit_codes.hpp"

namespace tcpcheck::cli {

namespace {

framing_spec spec_of(std::string_view text) {
  spec_error error;
  auto spec = parse_framing_spec(text, error);
  if (!spec) throw std::logic_error("demo spec '" + std::string(text) + "': " + to_string(error));
  return *spec;
}

byte_buffer frames_of(const framing_spec& spec, const std::vector<std::string_view>& payloads) {
  byte_buffer wire;
  for (auto p : payloads)
    if (encode_frame(spec, as_bytes(p), wire)) throw std::logic_error("demo payload refused");
  return wire;
}

std::string quoted(byte_view bytes) {
  return "\"" + escape(bytes, "\"") + "\"";
}

std::string frame_list(const decode_log& log) {
  std::string out;
  for (const auto& f : log.frames)
    out += (out.empty() ? "" : " ") + quoted(f.payload);
  return out;
}

// What a server that treats each recv(size) as one message sees.
std::vector<byte_buffer> naive_reads(byte_view stream, std::size_t recv_size) {
  std::vector<byte_buffer> reads;
  for (std::size_t at = 0; at < stream.size(); at += recv_size)
    reads.emplace_back(stream.begin() + static_cast<std::ptrdiff_t>(at),
                       stream.begin() +
                           static_cast<std::ptrdiff_t>(std::min(stream.size(), at + recv_size)));
  return reads;
}

class demo {
public:
  demo(unsigned random_cuttings, std::uint64_t seed) : cuttings_(random_cuttings), rng_(seed) {}

  int run() {
    std::cout << "tcpcheck demo: the framing core on the seed articles' sticky-packet streams\n"
                 "(each check decodes the stream whole, at every 2-way and 3-way split, byte by "
                 "byte, and "
              << cuttings_ << " random cuttings)\n";

    section("1. Three send(b\"hello\") calls arrive as one recv(1024): b'hellohellohello'");
    const byte_view merged = as_bytes("hellohellohello");
    std::cout << "   one recv() taken as one message: 1 message " << quoted(merged)
              << ", then b'' twice: the boundaries are gone\n";
    expect_frames("line", frames_of(spec_of("line"), {"hello", "hello", "hello"}),
                  {"hello", "hello", "hello"});
    expect_frames("len:i32le", frames_of(spec_of("len:i32le"), {"hello", "hello", "hello"}),
                  {"hello", "hello", "hello"});

    section("2. send(b'hello world!'), send(b'lift is smart!'), read with recv(5)");
    const byte_buffer raw_two = frames_of(spec_of("delim:\\0"), {"hello world!", "lift is smart!"});
    const auto reads = naive_reads(byte_view(raw_two).first(raw_two.size() - 2), 5);
    std::cout << "   recv(5) taken as one message: " << quoted(reads[0]) << ", then "
              << quoted(reads[1]) << ": each message is cut in pieces\n";
    const framing_spec i32 = spec_of("len:i32le");
    const byte_buffer two = frames_of(i32, {"hello world!", "lift is smart!"});
    expect_frames("len:i32le", two, {"hello world!", "lift is smart!"});
    std::vector<std::size_t> every_five;
    for (std::size_t at = 5; at < two.size(); at += 5)
      every_five.push_back(at);
    check("len:i32le fed 5 bytes at a time gives " +
              frame_list(decode_in_pieces(i32, two, every_five)),
          decode_in_pieces(i32, two, every_five) == decode_in_pieces(i32, two, {}) &&
              decode_in_pieces(i32, two, every_five).frames.size() == 2);

    section("3. The struct.pack('i') header itself split: recv(4) returns 2 bytes");
    const std::vector<std::size_t> inside_header{2};
    const auto split = decode_in_pieces(i32, two, inside_header);
    std::cout << "   a server doing struct.unpack('i', conn.recv(4)) gets "
              << quoted(byte_view(two).first(2)) << " and raises struct.error\n";
    check("len:i32le with the header cut after 2 bytes gives " + frame_list(split),
          split == decode_in_pieces(i32, two, {}));

    section("4. The peer closes in the middle of a message");
    const byte_buffer cut_short(two.begin(), two.begin() + 20);
    expect_error("len:i32le", cut_short, error::truncated_frame);
    const auto emitted = decode_in_pieces(spec_of("len:i32le,eof=emit"), cut_short, {});
    check("len:i32le,eof=emit hands out the partial message instead: " + frame_list(emitted),
          emitted.frames.size() == 2 && !emitted.error);

    section("5. A length header that claims 2 GiB");
    byte_buffer huge = {0xff, 0xff, 0xff, 0x7f, 'x'};
    expect_error("len:i32le,max=64K", huge, error::frame_too_long);
    byte_buffer negative = {0xfe, 0xff, 0xff, 0xff};
    expect_error("len:i32le", negative, error::negative_length);

    std::cout << '\n' << passed_ << " checks passed, " << failed_ << " failed\n";
    if (failed_ == 0)
      std::cout << "Every framing decoded the same frames however the stream was cut: the "
                   "bugs above are the servers', and tcpcheck finds them.\n";
    return failed_ == 0 ? exit_ok : exit_failures;
  }

private:
  static void section(std::string_view title) { std::cout << '\n' << title << '\n'; }

  void check(const std::string& what, bool ok) {
    (ok ? passed_ : failed_) += 1;
    std::cout << "   " << (ok ? "ok   " : "FAIL ") << what << '\n';
  }

  // Decodes `stream` under every cutting; returns the whole-stream log and
  // whether every cutting agreed with it.
  std::pair<decode_log, bool> grind(const framing_spec& spec, byte_view stream) {
    const auto whole = decode_in_pieces(spec, stream, {});
    bool same = decode_bytewise(spec, stream) == whole;
    const std::size_t n = stream.size();
    for (std::size_t i = 1; i < n && same; ++i)
      for (std::size_t j = i; j < n && same; ++j) {
        const std::vector<std::size_t> cuts{i, j};
        same = decode_in_pieces(spec, stream, cuts) == whole;
      }
    for (unsigned k = 0; k < cuttings_ && same && n > 1; ++k) {
      std::vector<std::size_t> cuts(std::uniform_int_distribution<std::size_t>(1, 8)(rng_));
      for (auto& c : cuts)
        c = std::uniform_int_distribution<std::size_t>(1, n - 1)(rng_);
      std::sort(cuts.begin(), cuts.end());
      same = decode_in_pieces(spec, stream, cuts) == whole;
    }
    return {whole, same};
  }

  void expect_frames(std::string_view spec_text, const byte_buffer& stream,
                     const std::vector<std::string_view>& expected) {
    const auto [log, same] = grind(spec_of(spec_text), stream);
    bool right = same && !log.error && log.frames.size() == expected.size();
    for (std::size_t i = 0; right && i < expected.size(); ++i)
      right = as_text(log.frames[i].payload) == expected[i];
    check(std::string(spec_text) + " on " + quoted(stream) + ": " +
              std::to_string(log.frames.size()) + " frames " + frame_list(log) +
              (same ? ", under every cutting" : ", BUT A CUTTING DIFFERS"),
          right);
  }

  void expect_error(std::string_view spec_text, const byte_buffer& stream, error code) {
    const auto [log, same] = grind(spec_of(spec_text), stream);
    check(std::string(spec_text) + " on " + quoted(stream) + ": " +
              (log.error ? to_string(log.error) : "no error") +
              (same ? ", under every cutting" : ", BUT A CUTTING DIFFERS"),
          same && log.error.code == code);
  }

  unsigned cuttings_;
  std::mt19937_64 rng_;
  int passed_ = 0;
  int failed_ = 0;
};

} // namespace

command add_demo(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "demo", "Show the framing core on the seed articles' sticky-packet streams (merged "
              "sends, short reads, split headers, early close), checking every cutting");
  auto cuttings = std::make_shared<unsigned>(200);
  auto seed = std::make_shared<std::uint64_t>(1);
  sub->add_option("--cuttings", *cuttings,
                  "Random cuttings per stream, besides the exhaustive ones")
      ->capture_default_str()
      ->check(CLI::Range(0u, 100000u));
  sub->add_option("--seed", *seed, "Seed of the random cuttings")->capture_default_str();
  return [cuttings, seed] { return demo(*cuttings, *seed).run(); };
}

} // namespace tcpcheck::cli
