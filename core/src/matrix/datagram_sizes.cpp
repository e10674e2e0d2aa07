// The UDP matrices' datagram sizes (datagram_sizes.hpp).
#include "datagram_sizes.hpp"

#include <algorithm>
#include <cstdio>

namespace tcpcheck::detail {

std::vector<datagram_size> datagram_sizes() {
  std::vector<datagram_size> sizes;
  for (const std::size_t buffer : {1024, 2048, 4096, 8192})
    sizes.push_back({"over-" + std::to_string(buffer / 1024) + "k",
                     std::to_string(buffer + 1) + " bytes", buffer + 1});
  sizes.push_back({"largest", std::to_string(largest_datagram) + " bytes, the largest there is",
                   largest_datagram});
  return sizes;
}

byte_buffer grown_datagram(byte_view head, std::size_t size) {
  byte_buffer out(head.begin(),
                  head.begin() + static_cast<std::ptrdiff_t>(std::min(head.size(), size)));
  out.reserve(size + 8);
  for (std::size_t at = out.size(); out.size() < size; at += 8) {
    char cell[16];
    const int n = std::snprintf(cell, sizeof cell, "%07zu ", at % 10000000);
    out.insert(out.end(), cell, cell + n);
  }
  out.resize(size);
  return out;
}

} // namespace tcpcheck::detail
