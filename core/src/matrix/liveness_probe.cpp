// The liveness probe's connections and steps.
#include "liveness_probe.hpp"

#include <algorithm>
#include <set>

namespace tcpcheck::detail {

probe_names::probe_names(const script& baseline) {
  const auto used = baseline.connections();
  const std::set<std::string> taken(used.begin(), used.end());
  std::string prefix = "probe";
  for (int n = 2; std::any_of(taken.begin(), taken.end(),
                              [&](const std::string& name) { return name.rfind(prefix, 0) == 0; });
       ++n)
    prefix = "probe" + std::to_string(n);
  prefix_ = prefix;
}

std::string probe_names::operator()(const std::string& connection) const {
  return connection == "main" ? prefix_ : prefix_ + "-" + connection;
}

std::vector<script_step> liveness_probe(const script& baseline, const probe_names& rename) {
  std::vector<script_step> steps;
  const auto connections = baseline.connections();
  const bool opens_main = !baseline.steps.empty() &&
                          baseline.steps.front().what == script_step::kind::connect &&
                          baseline.steps.front().connection == "main";
  // "main" opens by itself; its renamed copy must be opened.
  if (!connections.empty() && connections.front() == "main" && !opens_main) {
    script_step connect;
    connect.what = script_step::kind::connect;
    connect.connection = rename("main");
    steps.push_back(std::move(connect));
  }
  for (script_step step : baseline.steps) {
    step.connection = rename(step.connection);
    steps.push_back(std::move(step));
  }
  return steps;
}

} // namespace tcpcheck::detail
