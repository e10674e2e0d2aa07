// The process-wide cache of compiled patterns (compiled_regex.hpp).
#include "compiled_regex.hpp"

#include <mutex>
#include <unordered_map>

#include "regex_options.hpp"

namespace tcpcheck::detail {

namespace {

// At most this many patterns are kept. Each may grow to
// script_limits::regex_memory once matched, so the cache is bounded in
// memory as well as in count; when it is full it starts again empty (the
// sessions that hold a pattern keep it alive). Scripts have a few patterns
// each: a fuzzing or check run hits the cache nearly always.
constexpr std::size_t most_patterns = 32;

struct pattern_cache {
  std::mutex mutex;
  std::unordered_map<std::string, std::shared_ptr<const RE2>> compiled;
};

pattern_cache& cache() {
  static pattern_cache instance;
  return instance;
}

} // namespace

std::shared_ptr<const RE2> compiled_regex(const std::string& pattern) {
  pattern_cache& c = cache();
  {
    const std::lock_guard lock(c.mutex);
    if (const auto it = c.compiled.find(pattern); it != c.compiled.end()) return it->second;
  }
  // Compiled outside the lock: another thread may compile the same pattern
  // meanwhile, and the second to finish keeps the first's.
  auto made = std::make_shared<const RE2>(pattern, regex_options());
  const std::lock_guard lock(c.mutex);
  if (c.compiled.size() >= most_patterns) c.compiled.clear();
  return c.compiled.emplace(pattern, std::move(made)).first->second;
}

} // namespace tcpcheck::detail
