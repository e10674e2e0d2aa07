// Reading whole inputs, bounded, with errors that name the file; writing reports.
#include "input_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>

namespace tcpcheck::cli {

std::optional<byte_buffer> read_input(const std::string& path, std::string& error,
                                      std::size_t limit) {
  const bool is_stdin = path == "-";
  std::FILE* file = is_stdin ? stdin : std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    error = "cannot open '" + path + "': " + std::strerror(errno);
    return std::nullopt;
  }
  byte_buffer bytes;
  std::uint8_t chunk[64 * 1024];
  for (;;) {
    const std::size_t want = std::min(sizeof chunk, limit + 1 - bytes.size());
    const std::size_t got = std::fread(chunk, 1, want, file);
    if (bytes.size() + got > limit) {
      error = "'" + path + "' is larger than " + std::to_string(limit) + " bytes";
      if (!is_stdin) std::fclose(file);
      return std::nullopt;
    }
    bytes.insert(bytes.end(), chunk, chunk + got);
    if (got < want) break;
  }
  const bool failed = std::ferror(file) != 0;
  if (!is_stdin) std::fclose(file);
  if (failed) {
    error = "cannot read '" + path + "'";
    return std::nullopt;
  }
  return bytes;
}

bool write_output_file(const std::string& path, std::string_view what, std::string_view command,
                       const std::function<void(std::ostream&)>& write) {
  std::ofstream out(path, std::ios::binary);
  if (out) write(out);
  if (out) out.flush();
  if (!out) {
    std::cerr << command << ": cannot write the " << what << " to '" << path << "'\n";
    return false;
  }
  return true;
}

} // namespace tcpcheck::cli
