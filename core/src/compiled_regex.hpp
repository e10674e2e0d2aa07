// Compiled `expect regex` patterns, shared: a pattern is compiled once per
// process rather than once per parse and once per session. Live fuzzing and
// `check` run thousands of sessions of the same few scripts, and compiling
// is what a session of a regex script spends most on (RE2 builds its
// program and, on first match, its DFA). Internal to the core.
#pragma once

#include <memory>
#include <re2/re2.h>
#include <string>

namespace tcpcheck::detail {

/// The pattern compiled with regex_options(): from the cache when it is
/// there, else compiled and kept. A pattern that does not compile comes
/// back too (ok() false, error() saying why). Thread-safe; RE2 objects are
/// safe to match from several threads at once.
std::shared_ptr<const RE2> compiled_regex(const std::string& pattern);

} // namespace tcpcheck::detail
