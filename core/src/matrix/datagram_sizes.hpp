// The datagram sizes both UDP matrices try: one byte over the receive
// buffers servers and clients commonly read through (seed 001 reads 4096
// bytes), and the largest datagram there is. Internal to the core.
#pragma once

#include "tcpcheck/bytes.hpp"
#include "tcpcheck/script.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace tcpcheck::detail {

struct datagram_size {
  std::string name;        ///< for ids: "over-4k", "largest"
  std::string description; ///< for titles: "4097 bytes"
  std::size_t bytes = 0;
};

/// over-1k (1025 bytes), over-2k, over-4k, over-8k, largest (65,507).
std::vector<datagram_size> datagram_sizes();

/// `head` (at most `size` bytes of it), then a numbered filler that never
/// repeats a 16-byte window ("00000035 00000043 ..."), `size` bytes in all:
/// the end of such a datagram can be told from any other part of it.
byte_buffer grown_datagram(byte_view head, std::size_t size);

} // namespace tcpcheck::detail
