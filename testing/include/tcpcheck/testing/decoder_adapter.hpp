// The adapter: how tcpcheck's helpers drive a decoder they did not write.
//
// A user's decoder takes bytes in the pieces a socket returns and yields
// messages or an error. Wrapping it takes three short functions: start a new
// stream, feed one piece, end the stream. Each reports through a
// `message_sink`, so the helpers can record and compare what came out:
//
//   class my_adapter : public tcpcheck::testing::decoder_adapter {
//   public:
//     void reset() override { decoder_ = my::decoder(/*limit=*/1024); }
//     void feed(tcpcheck::byte_view piece, tcpcheck::testing::message_sink& out) override {
//       decoder_.append(piece.data(), piece.size());
//       while (auto message = decoder_.next()) out.message(*message);
//       if (decoder_.failed()) out.error(decoder_.error_text());
//     }
//     void finish(tcpcheck::testing::message_sink& out) override {
//       if (decoder_.pending() > 0) out.error("stream ended inside a message");
//     }
//   private:
//     my::decoder decoder_{1024};
//   };
//
// Errors are compared for equality, as text or as std::error_code; the first
// error ends the stream: the helpers feed nothing more and ignore what the
// decoder reports after it. An exception thrown by `feed` or `finish` is
// recorded as an error too ("threw: <what()>").
#pragma once

#include "tcpcheck/bytes.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace tcpcheck::testing {

/// What a decoder yielded for one stream: its messages, then its first error.
struct decoder_run {
  std::vector<byte_buffer> messages;
  std::optional<std::string> error;

  friend bool operator==(const decoder_run&, const decoder_run&) = default;
};

/// Where an adapter reports messages and errors; it records them in a run.
class message_sink {
public:
  explicit message_sink(decoder_run& run) noexcept : run_(run) {}

  /// One complete message. Copied: the bytes need to live only for the call.
  void message(byte_view payload);
  void message(std::string_view payload) { message(as_bytes(payload)); }
  /// The decoder failed; only the first error counts.
  void error(std::string_view what);
  /// Recorded as "<category>: <message> (<value>)".
  void error(std::error_code code);

  bool failed() const noexcept { return run_.error.has_value(); }

private:
  decoder_run& run_;
};

/// A decoder under test. The helpers call reset() before every stream.
class decoder_adapter {
public:
  virtual ~decoder_adapter() = default;

  /// Forgets everything, including an error: ready for a new stream.
  virtual void reset() = 0;
  /// The next piece of the stream, as one read() returned it.
  virtual void feed(byte_view piece, message_sink& out) = 0;
  /// The stream ended (the peer closed). A decoder that ignores a partial
  /// message at the end can leave this out.
  virtual void finish(message_sink& out) { (void)out; }
};

} // namespace tcpcheck::testing
