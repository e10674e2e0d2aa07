// Reading a whole input file (or stdin) for the commands that take one.
#pragma once

#include "tcpcheck/bytes.hpp"

#include <cstddef>
#include <optional>
#include <string>

namespace tcpcheck::cli {

/// Most bytes a command reads from one input: more is an error, never a
/// silent truncation.
inline constexpr std::size_t largest_input = std::size_t{1} << 30;

/// Reads `path` ("-" for stdin) whole. On failure returns nullopt and sets
/// `error` to a one-line reason that names the file.
std::optional<byte_buffer> read_input(const std::string& path, std::string& error);

} // namespace tcpcheck::cli
