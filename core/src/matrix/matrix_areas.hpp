// The matrix's cases, area by area, for either side tcpcheck plays.
// Internal to the core: generate_matrix (check_matrix.hpp) puts them
// together.
#pragma once

#include "tcpcheck/check_matrix.hpp"

#include <vector>

namespace tcpcheck::detail {

/// The baseline under every delivery plan (segmentation/...): tcpcheck's
/// sends cut, or its replies for a `role server` script.
std::vector<check_case> segmentation_cases(const script& baseline, const framing_spec& spec,
                                           const matrix_options& options);

/// The matrix of a `role server` script, for a client under test: the
/// segmentation cases and a slow server, judged by the client's output
/// being the baseline's; faults and boundary frames from the server's
/// side, judged by the client ending cleanly.
std::vector<check_case> client_matrix(const script& baseline, const framing_spec& spec,
                                      const matrix_options& options);

/// The matrix of a `transport udp` script (datagram_matrix.cpp): the
/// baseline, loss, duplication, reordering, a burst, sizes, two clients,
/// amplification, boundary frames of the framing inside each datagram,
/// and concurrency, soak and latency as for TCP.
std::vector<check_case> datagram_matrix(const script& baseline, const framing_spec& spec,
                                        const matrix_options& options);

/// The matrix of a UDP `role server` script, for a client under test
/// (datagram_client_matrix.cpp): the baseline, each reply lost and doubled,
/// and the first reply grown over common receive buffers.
std::vector<check_case> datagram_client_matrix(const script& baseline, const framing_spec& spec,
                                               const matrix_options& options);

} // namespace tcpcheck::detail
