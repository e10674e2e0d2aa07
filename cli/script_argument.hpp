// A script given on the command line, and the framing it runs under: read,
// parsed, errors printed as file:line:column.
#pragma once

#include "tcpcheck/framing_spec.hpp"
#include "tcpcheck/harness/run.hpp"
#include "tcpcheck/script.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace tcpcheck::cli {

/// Reads and parses the script at `path`; on failure prints the error,
/// prefixed with `command` ("tcpcheck run"), and returns nullopt.
std::optional<script> load_script(const std::string& path, std::string_view command);

/// Whether `s` is a client's conversation (tcpcheck connects to a server):
/// `check`, `fuzz` and `replay` test servers only, so far. A `role server`
/// script is refused with a message that says what runs it.
bool plays_the_client(const script& s, const std::string& path, std::string_view command);

/// The framing spec a script runs under: `override` when given, else the
/// script's `framing` line. On failure prints why and returns nullopt.
std::optional<framing_spec> script_framing(const script& s, const std::string& path,
                                           const std::string& override, std::string_view command);

/// The run options of `s` under `--timeout MS` (0 when not given): the
/// connect timeout, and a run limit long enough for every wait of the
/// script (harness::run_limit_for). `run` and `replay` use them.
harness::run_options run_options_for(const script& s, unsigned timeout_ms);

} // namespace tcpcheck::cli
