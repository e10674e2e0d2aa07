// The transport of a TCP script: a socket whose handlers run on the run's
// strand, opened by connecting to the target (outgoing_tcp_transport.cpp)
// or, playing the server, by taking the next connection tcpcheck's
// listener accepts (accepted_tcp_transport.cpp).
#pragma once

#include "tcpcheck/harness/transport.hpp"

#include <memory>

#include "runner_strand.hpp"

namespace tcpcheck::harness {

/// Connects to the first of `endpoints` that answers (TCP_NODELAY on).
/// `endpoints` must outlive the transport.
std::unique_ptr<transport>
make_tcp_transport(runner_strand strand, const asio::ip::tcp::resolver::results_type& endpoints);

/// Takes the next connection `acceptor` accepts, which must outlive it.
std::unique_ptr<transport> make_tcp_transport(runner_strand strand,
                                              asio::ip::tcp::acceptor& acceptor);

} // namespace tcpcheck::harness
