// Shell completion: what may come next on a tcpcheck command line, asked by
// the bash function in completion/tcpcheck.bash as `tcpcheck __complete
// WORD...`. The answers come from the same CLI11 definitions as --help, so
// completion cannot offer an option that does not exist.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace tcpcheck::cli {

/// The hidden first argument that asks for completions instead of running.
inline constexpr const char* complete_argument = "__complete";

/// The answer that tells the shell to complete file names.
inline constexpr const char* complete_files = ":files";

/// Completions of the last of `words` (the words after `tcpcheck`, the last
/// being the one under the cursor, possibly empty): subcommands, options,
/// an option's values, or `complete_files`. Unfiltered: the shell keeps
/// those that start with the word.
std::vector<std::string> completions(CLI::App& app, const std::vector<std::string>& words);

} // namespace tcpcheck::cli
