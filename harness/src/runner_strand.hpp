// The strand a run's driver and its transports share: every handler of one
// conversation runs on it, so a thread pool runs many without locks.
#pragma once

#include <asio.hpp>

namespace tcpcheck::harness {

using runner_strand = asio::strand<asio::io_context::executor_type>;

} // namespace tcpcheck::harness
