// Recording: real traffic between a client and a server, turned into a
// script that replays it (`tcpcheck proxy --record`, `tcpcheck import`).
//
// The recorder is fed what each side sent, in the order it was seen, for
// any number of connections at once; it decodes each direction with the
// framing spec and writes a client script: the client's frames as `send`,
// the server's as `expect`, the first connection as `main` and the others
// as named connections opened where they were seen to open.
//
//   tcpcheck::conversation_recorder recorder({.framing = "line"});
//   auto c = recorder.open_connection();
//   recorder.data(c, tcpcheck::traffic_side::client, bytes("PING\n"));
//   recorder.data(c, tcpcheck::traffic_side::server, bytes("+PONG\n"));
//   recorder.end(c, tcpcheck::traffic_side::client, tcpcheck::stream_end::fin);
//   tcpcheck::script s = recorder.finish(); // send "PING" / expect "+PONG" / ...
//
// What a script cannot say as frames is kept honestly: client bytes that do
// not make a whole frame become `send raw`; a direction whose bytes stop
// decoding is recorded as raw from there on and the reason kept as a note;
// what the recording bound cuts off is said in a note, never dropped
// silently. No I/O: the proxy and the capture importer feed it.
#pragma once

#include "tcpcheck/bytes.hpp"
#include "tcpcheck/script.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tcpcheck {

/// Who sent the bytes.
enum class traffic_side { client, server };

/// How one side's stream ended.
enum class stream_end {
  fin,  ///< a normal close or shutdown (FIN)
  reset ///< an abortive close (RST)
};

struct recording_options {
  std::string description;         ///< the script's first comment line
  std::string framing = "line";    ///< the framing spec, as written (must parse)
  std::optional<duration> timeout; ///< written as `timeout` when set
  /// Most payload bytes the recorder holds and writes, in all over every
  /// connection: the steps' payloads, and the bytes held for frames not
  /// yet whole (client bytes not yet steps, and each decoder's buffer of a
  /// partial frame, counted as they stand on the wire). Where a frame, whole
  /// or not, would go over what is left, the recording stops there: client
  /// bytes held until then are written as `send raw` (as finish() writes a
  /// partial frame), and all else, the frame and what comes after, is left
  /// out and counted in a note.
  std::uint64_t most_bytes = 64u << 20;
};

class conversation_recorder {
public:
  /// Throws std::invalid_argument when `options.framing` does not parse.
  explicit conversation_recorder(recording_options options);
  ~conversation_recorder();
  conversation_recorder(conversation_recorder&&) noexcept;
  conversation_recorder& operator=(conversation_recorder&&) noexcept;

  /// A client connected; returns the id the other calls take.
  std::size_t open_connection();
  /// `from` sent `bytes` on connection `id`.
  void data(std::size_t id, traffic_side from, byte_view bytes);
  /// `by`'s side of connection `id` ended.
  void end(std::size_t id, traffic_side by, stream_end how);

  /// Notes on what could not be recorded as it was (decode errors with the
  /// connection and offset, bytes left out over the bound), in order.
  const std::vector<std::string>& notes() const noexcept;

  /// Bytes held now for frames not yet whole, over all connections.
  /// Between calls, these and the payload of the steps recorded so far are
  /// never above `most_bytes` together; during a call the decoders may
  /// also hold the call's bytes of a frame it completes.
  std::uint64_t held_bytes() const noexcept;

  /// The script recorded so far. Streams still open are flushed as they
  /// stand (a partial client frame as `send raw`).
  script finish();

private:
  struct state;
  std::unique_ptr<state> state_;
};

/// A recording's file text: the script in canonical form with each note as
/// a `# note:` comment line under the description (notes do not change
/// what the script does; they tell its reader what it leaves out).
std::string recording_text(const script& recorded, const std::vector<std::string>& notes);

} // namespace tcpcheck
