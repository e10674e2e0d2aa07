// A finished JSON tree made safe to write. Internal to the report writers.
#pragma once

#include <nlohmann/json.hpp>

#include "text.hpp"

namespace tcpcheck::report::detail {

/// Every string in `j` as valid UTF-8: what a server sent may be anything,
/// and one pass over the finished tree misses none of them.
inline void make_valid_utf8(nlohmann::ordered_json& j) {
  if (j.is_string()) {
    j = valid_utf8(j.get_ref<const std::string&>());
    return;
  }
  if (j.is_object() || j.is_array())
    for (auto& item : j)
      make_valid_utf8(item);
}

} // namespace tcpcheck::report::detail
