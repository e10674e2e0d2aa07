// The cuttings the checks try: whole, every 2-way split, bytewise, random.
#include "tcpcheck/testing/cuttings.hpp"

#include "tcpcheck/delivery_plan.hpp"

namespace tcpcheck::testing {

std::vector<cutting> cuttings_for(byte_view stream, const check_options& options) {
  const std::size_t n = stream.size();
  std::vector<cutting> out;
  out.push_back({"fed whole", {}});
  if (options.every_two_way_split)
    for (std::size_t at = 1; at < n; ++at)
      out.push_back({"cut at " + std::to_string(at), {at}});
  // Bytewise and random cuts come from the delivery plans, so the helpers and
  // `tcpcheck run --plan` cut streams with one generator, not two.
  if (options.bytewise && n > 2) {
    const delivery_plan bytewise{delivery_plan::kind::bytewise, 0, 0};
    out.push_back({"bytewise", plan_cuts(bytewise, framing_spec{}, stream, false, 0)});
  }
  const delivery_plan random{delivery_plan::kind::random, 0, options.seed};
  for (std::size_t i = 0; i < options.random_splits && n > 2; ++i)
    out.push_back(
        {"random split " + std::to_string(i + 1) + " of seed " + std::to_string(options.seed),
         plan_cuts(random, framing_spec{}, stream, false, i)});
  return out;
}

} // namespace tcpcheck::testing
