// The liveness probe: the baseline conversation again, on fresh
// connections that the baseline does not use. After a fault, a boundary
// frame or a fuzz case, it proves the server still serves. Internal to the
// core (the check matrix and the conversation mutator).
#pragma once

#include "tcpcheck/script.hpp"

#include <string>
#include <vector>

namespace tcpcheck::detail {

/// Names for the probe's connections: "probe" for main, "probe-NAME" for
/// the others, with a prefix no connection of the baseline starts with.
class probe_names {
public:
  explicit probe_names(const script& baseline);
  std::string operator()(const std::string& connection) const;

private:
  std::string prefix_;
};

/// The baseline's steps on renamed connections, opened explicitly.
std::vector<script_step> liveness_probe(const script& baseline, const probe_names& rename);

} // namespace tcpcheck::detail
