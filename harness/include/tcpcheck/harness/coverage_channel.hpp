// Coverage from a spawned server built with tcpcheck::coverage.
//
// The channel owns the shared map (coverage/include/tcpcheck/coverage_map.h):
// a memfd that the server opens through the path in its environment. The
// server's runtime says where each process keeps its edge counters, and
// the channel reads them in place through /proc/PID/mem (the server is
// tcpcheck's child, so no privilege is needed), adding the counts that
// ended processes handed over. Comparison operands come out of the map's
// rings as dictionary words.
//
//   auto channel = coverage_channel::create(error);
//   spawn_options o; o.environment.push_back(channel->environment_entry());
//   ... start the server, run a batch ...
//   channel->read_counts(after);   // per edge, every process added up
#pragma once

#include "tcpcheck/bytes.hpp"
#include "tcpcheck/conversation_mutator.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tcpcheck::harness {

/// A function of the server, for the report of what was never reached.
struct server_function {
  std::size_t edge = 0;  ///< its entry edge
  std::string module;    ///< the file it is in
  std::uint64_t address; ///< for a symbolizer of `module`
};

struct comparisons {
  std::vector<byte_buffer> numbers; ///< integer constants, in both byte orders
  std::vector<byte_buffer> strings; ///< string literals compared with the input
  std::vector<replacement> replacements;
};

class coverage_channel {
public:
  /// A new map; nullptr (and why) when the system cannot make one.
  static std::unique_ptr<coverage_channel> create(std::string& error);
  ~coverage_channel();
  coverage_channel(const coverage_channel&) = delete;
  coverage_channel& operator=(const coverage_channel&) = delete;

  /// "TCPCHECK_COVERAGE_MAP=/proc/<pid>/fd/<fd>", for the server's environment.
  std::string environment_entry() const;

  /// Before the server starts (again): forgets its processes, the counts of
  /// ended ones and the comparison rings; keeps the modules, so edge
  /// numbers mean the same after a restart.
  void forget_processes();

  /// Whether an instrumented module registered: the server reports coverage.
  bool attached() const;
  /// Edges of all instrumented modules (what the pc-table declares).
  std::size_t edges_total() const;
  /// Processes that ever attached (forked workers included).
  std::size_t processes_seen() const;

  /// Every edge's count, all processes added up (live ones read in place,
  /// ended ones from what they handed over), modulo 256.
  void read_counts(std::vector<std::uint8_t>& counts);

  /// What the server's comparisons since the last call teach, new only:
  /// the values it looked for as words a mutation may insert (constants of
  /// the code in both byte orders, its string literals), and replacements:
  /// the input's side of a comparison with a constant, and the constant it
  /// was compared with, for a mutation to swap in place (input-to-state, as
  /// RedQueen calls it). Also asks the server to record every comparison
  /// afresh now and then, so a full ring is refilled.
  comparisons take_comparisons();

  /// The server's functions (entry edges from the pc-table), read from a
  /// live process; empty when none is running or there is no pc-table.
  std::vector<server_function> functions();

private:
  struct impl;
  explicit coverage_channel(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

/// Names for (module, address) pairs through addr2line (binutils), when
/// installed: "parse_command", or "" when unknown. One call per module.
std::vector<std::string> symbolize(const std::vector<server_function>& functions);

} // namespace tcpcheck::harness
