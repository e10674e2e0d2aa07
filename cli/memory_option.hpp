// --memory: the one budget of memory that peers can make a command's
// sessions hold, shared by those that run at once (memory_budget.hpp).
#pragma once

#include "tcpcheck/harness/memory_budget.hpp"

#include <cstddef>

#include <CLI/CLI.hpp>

namespace tcpcheck::cli {

inline constexpr unsigned default_memory_mib =
    static_cast<unsigned>(harness::default_memory_budget >> 20);

inline CLI::Option* add_memory_option(CLI::App& sub, unsigned& mib) {
  return sub
      .add_option("--memory", mib,
                  "MiB that what peers send may take, shared by the conversations that run at "
                  "once: bytes and frames received ahead of the script, transcripts, wire logs "
                  "(a frame the spec's max allows comes on top, one per connection)")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1u << 20));
}

inline std::size_t memory_bytes(unsigned mib) {
  return std::size_t{mib} << 20;
}

} // namespace tcpcheck::cli
