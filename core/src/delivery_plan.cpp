// Delivery plans: their names and the cut points they choose.
#include "tcpcheck/delivery_plan.hpp"

#include <algorithm>
#include <charconv>
#include <random>

namespace tcpcheck {

namespace {

constexpr std::string_view plan_list =
    "whole, bytewise, chunk:N, random:SEED, split-header, merged, pipeline";

template <class Int>
bool parse_number(std::string_view text, Int& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc{} && end == text.data() + text.size();
}

// Where the wire bytes of a framed send are most fragile.
std::vector<std::size_t> header_cut(const framing_spec& spec, byte_view wire, bool framed) {
  const std::size_t n = wire.size();
  if (n < 2) return {};
  if (!framed) return {n / 2};
  switch (spec.kind) {
  case framing_kind::length_prefixed: {
    // Inside the field when it has two bytes or more, else right after it.
    const std::size_t width = spec.field.width;
    const std::size_t at = spec.field.offset + (width > 1 ? width / 2 : width);
    return {std::clamp<std::size_t>(at, 1, n - 1)};
  }
  case framing_kind::varint:
    return {std::clamp<std::size_t>(spec.field.offset + 1, 1, n - 1)};
  case framing_kind::line: {
    const bool crlf = n >= 2 && wire[n - 2] == '\r';
    return {std::max<std::size_t>(1, n - (crlf ? 2 : 1))};
  }
  case framing_kind::delimited: {
    std::size_t longest = 0; // the delimiter the encoder wrote is the one the send ends with
    for (const auto& d : spec.delimiters)
      if (d.size() < n && std::equal(d.rbegin(), d.rend(), wire.rbegin()))
        longest = std::max(longest, d.size());
    return {std::max<std::size_t>(1, n - std::max<std::size_t>(longest, 1))};
  }
  case framing_kind::fixed:
  case framing_kind::raw:
  case framing_kind::datagram:
    break;
  }
  return {n / 2};
}

} // namespace

bool delivery_plan::cuts_sends() const noexcept {
  return what == kind::bytewise || what == kind::chunk || what == kind::random ||
         what == kind::split_header;
}

std::optional<delivery_plan> parse_delivery_plan(std::string_view text, std::string& error) {
  delivery_plan plan;
  const std::size_t colon = text.find(':');
  const std::string_view name = text.substr(0, colon);
  const std::string_view arg = colon == std::string_view::npos ? "" : text.substr(colon + 1);
  const bool has_arg = colon != std::string_view::npos;
  if (name == "chunk" || name == "random") {
    if (name == "chunk") {
      plan.what = delivery_plan::kind::chunk;
      if (!parse_number(arg, plan.chunk) || plan.chunk == 0) {
        error = "chunk needs a size of at least 1, as in chunk:3";
        return std::nullopt;
      }
    } else {
      plan.what = delivery_plan::kind::random;
      if (!parse_number(arg, plan.seed)) {
        error = "random needs a seed, as in random:42";
        return std::nullopt;
      }
    }
    return plan;
  }
  static constexpr std::pair<std::string_view, delivery_plan::kind> simple[] = {
      {"whole", delivery_plan::kind::whole},
      {"bytewise", delivery_plan::kind::bytewise},
      {"split-header", delivery_plan::kind::split_header},
      {"merged", delivery_plan::kind::merged},
      {"pipeline", delivery_plan::kind::pipeline},
  };
  for (const auto& [plan_name, kind] : simple)
    if (name == plan_name) {
      if (has_arg) {
        error = "plan '" + std::string(name) + "' takes no argument";
        return std::nullopt;
      }
      plan.what = kind;
      return plan;
    }
  error = "unknown plan '" + std::string(text) + "' (plans: " + std::string(plan_list) + ")";
  return std::nullopt;
}

std::string to_string(const delivery_plan& plan) {
  switch (plan.what) {
  case delivery_plan::kind::whole:
    return "whole";
  case delivery_plan::kind::bytewise:
    return "bytewise";
  case delivery_plan::kind::chunk:
    return "chunk:" + std::to_string(plan.chunk);
  case delivery_plan::kind::random:
    return "random:" + std::to_string(plan.seed);
  case delivery_plan::kind::split_header:
    return "split-header";
  case delivery_plan::kind::merged:
    return "merged";
  case delivery_plan::kind::pipeline:
    return "pipeline";
  }
  return "whole";
}

std::vector<std::size_t> plan_cuts(const delivery_plan& plan, const framing_spec& spec,
                                   byte_view wire, bool framed, std::uint64_t send_index) {
  const std::size_t n = wire.size();
  std::vector<std::size_t> cuts;
  switch (plan.what) {
  case delivery_plan::kind::bytewise:
    for (std::size_t at = 1; at < n; ++at)
      cuts.push_back(at);
    break;
  case delivery_plan::kind::chunk:
    for (std::size_t at = plan.chunk; at < n; at += plan.chunk)
      cuts.push_back(at);
    break;
  case delivery_plan::kind::random: {
    if (n < 2) break;
    // One generator per send, so a send's cuts do not depend on the others.
    std::mt19937_64 rng(plan.seed * 0x9e3779b97f4a7c15ull + send_index);
    const std::size_t count =
        std::uniform_int_distribution<std::size_t>(1, std::min<std::size_t>(8, n - 1))(rng);
    for (std::size_t i = 0; i < count; ++i)
      cuts.push_back(std::uniform_int_distribution<std::size_t>(1, n - 1)(rng));
    std::sort(cuts.begin(), cuts.end());
    cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
    break;
  }
  case delivery_plan::kind::split_header:
    cuts = header_cut(spec, wire, framed);
    break;
  case delivery_plan::kind::whole:
  case delivery_plan::kind::merged:
  case delivery_plan::kind::pipeline:
    break;
  }
  return cuts;
}

} // namespace tcpcheck
