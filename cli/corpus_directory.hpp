// `--corpus DIR`: a fuzzing corpus kept as scripts (.tcs) in a directory,
// loaded at the start of a run and saved at its end, so CI can keep it.
#pragma once

#include "tcpcheck/fuzzing/fuzz_corpus.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tcpcheck::cli {

struct loaded_corpus {
  std::vector<fuzz_case> entries;
  std::vector<std::string> files; ///< the file of each entry
};

/// Every *.tcs file of `dir`, by name. A directory that does not exist is
/// an empty corpus. nullopt (after printing why, prefixed with `command`)
/// when a file cannot be read or is not a script.
std::optional<loaded_corpus> load_corpus(const std::string& dir, std::string_view command);

/// Writes each entry not there yet as entry-<hash of its text>.tcs
/// (the name says what is in it, so an entry saved twice is one file).
/// Returns how many files it wrote, or nullopt after printing why.
std::optional<std::size_t> save_corpus(const std::string& dir,
                                       const std::vector<corpus_entry>& entries,
                                       const std::vector<script>& baselines,
                                       std::string_view command);

} // namespace tcpcheck::cli
