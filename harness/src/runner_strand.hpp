// The strand a run's driver and its transports share: every handler of one
// conversation runs on it, or (a completion the TCP transport's epoll set
// brings) on the io_context's one thread outside every other handler.
#pragma once

#include <asio.hpp>

namespace tcpcheck::harness {

using runner_strand = asio::strand<asio::io_context::executor_type>;

} // namespace tcpcheck::harness
