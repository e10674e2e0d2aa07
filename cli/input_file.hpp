// Reading a whole input file (or stdin), and writing report files.
#pragma once

#include "tcpcheck/bytes.hpp"

#include <cstddef>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

namespace tcpcheck::cli {

/// Most bytes a command reads from one input: more is an error, never a
/// silent truncation.
inline constexpr std::size_t largest_input = std::size_t{1} << 30;

/// Reads `path` ("-" for stdin) whole, but never more than `limit` bytes
/// and one: a larger input is refused as soon as that byte is read (a
/// script given /dev/zero costs 4 MiB, not 1 GiB). On failure returns
/// nullopt and sets `error` to a one-line reason that names the file.
std::optional<byte_buffer> read_input(const std::string& path, std::string& error,
                                      std::size_t limit = largest_input);

/// Writes a file with `write`; on failure prints "COMMAND: cannot write the
/// WHAT to 'PATH'" and returns false.
bool write_output_file(const std::string& path, std::string_view what, std::string_view command,
                       const std::function<void(std::ostream&)>& write);

} // namespace tcpcheck::cli
