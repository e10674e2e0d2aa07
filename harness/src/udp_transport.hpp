// The transport of a `transport udp` script: one UDP socket per named
// connection, each read one datagram, each write one datagram.
//
// The socket is not connected. A connected UDP socket drops datagrams from
// any other address in the kernel, so a server that answers from another
// socket would look like one that never answers; unconnected, the reply is
// seen and its source checked. IP_RECVERR lets the unconnected socket learn
// of an ICMP port unreachable all the same: the next read fails with
// ECONNREFUSED, which the driver reports as "nothing is listening".
#pragma once

#include "tcpcheck/harness/transport.hpp"

#include <memory>
#include <string>
#include <system_error>

#include <asio.hpp>

#include "runner_strand.hpp"

namespace tcpcheck::harness {

/// Why a UDP read failed beyond what the system says.
enum class datagram_error {
  /// A datagram came from another address or port than the one the
  /// requests go to (its bytes were read all the same: see the size).
  stray_source = 1,
};
std::error_code make_error_code(datagram_error e);

/// A read buffer that no datagram overflows (IPv4 allows 65,507 bytes, IPv6
/// 65,527).
constexpr std::size_t datagram_read_size = 65536;

/// A transport that sends to `peer` from a fresh socket on a free loopback
/// port, and reads whatever comes to that port. `transport::last_source()`
/// names where the last datagram came from.
std::unique_ptr<transport> make_udp_transport(runner_strand strand, asio::ip::udp::endpoint peer);

std::string to_string(const asio::ip::udp::endpoint& e);

} // namespace tcpcheck::harness

template <>
struct std::is_error_code_enum<tcpcheck::harness::datagram_error> : std::true_type {};
