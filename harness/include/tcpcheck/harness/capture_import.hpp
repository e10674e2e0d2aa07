// Importing a packet capture (`tcpcheck import`): the TCP conversations in a
// pcap or pcapng file, reassembled and recorded as a client script.
//
//   tcpcheck::harness::capture_import_options o;
//   o.path = "redis.pcap";
//   o.port = 6379;
//   o.recording.framing = "line,crlf";
//   auto imported = tcpcheck::harness::import_capture(o);
//   std::cout << tcpcheck::recording_text(imported.recorded, imported.notes);
//
// libtins reads the file (through libpcap, which reads pcap and pcapng),
// applies the BPF filter, and reassembles each TCP stream: segments out of
// order are put back in order, retransmitted bytes are taken once, both
// directions are followed, and so are streams whose SYN the capture lacks.
// The conversation_recorder gets what became available, in the order it
// became available across all streams: a stream opens a connection when it
// is first seen and each side ends on its FIN (once the bytes before it are
// in) or its RST.
//
// The client of a stream is the sender of its SYN; for a stream picked up
// without one, the side whose port is not `port` (the server's); else the
// side with the higher port (the ephemeral one).
//
// Memory is bounded whatever the file holds: packets are read one at a
// time, libtins gives up on a stream holding more than 3 MiB out of order
// (a note says so), streams the script cannot hold (beyond 64) are followed
// without their data, and the recording keeps what its options allow.
#pragma once

#include "tcpcheck/recording/conversation_recorder.hpp"
#include "tcpcheck/script.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace tcpcheck::harness {

struct capture_import_options {
  std::string path;                  ///< a pcap or pcapng file ("-": stdin)
  std::optional<std::uint16_t> port; ///< only streams with this port on either side
  std::string filter;                ///< a BPF filter (tcpdump's syntax); empty: none
  recording_options recording;       ///< framing, description, timeout, bound
};

struct capture_import_result {
  script recorded;
  /// The recorder's notes, then the importer's (packets that could not be
  /// parsed, streams libtins gave up, bytes after a gap never delivered).
  std::vector<std::string> notes;
  std::uint64_t packets = 0; ///< read from the file (those the filter passed, with one)
  std::size_t streams = 0;   ///< TCP streams followed
};

/// Why a capture could not be imported.
class capture_import_error : public std::runtime_error {
public:
  enum class kind {
    unreadable,      ///< the file cannot be opened or read as a capture
    bad_filter,      ///< the BPF filter does not compile
    nothing_matched, ///< no TCP stream passed the port and the filter
  };
  capture_import_error(kind why, const std::string& message)
      : std::runtime_error(message), why_(why) {}
  kind why() const noexcept { return why_; }

private:
  kind why_;
};

/// Reads and records the capture. Throws capture_import_error, with a
/// one-line message naming the file, and std::invalid_argument when the
/// recording's framing does not parse.
capture_import_result import_capture(const capture_import_options& options);

} // namespace tcpcheck::harness
