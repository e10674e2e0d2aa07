// Scripts and their framing from the command line.
#include "script_argument.hpp"

#include <iostream>

#include "input_file.hpp"
#include "spec_argument.hpp"

namespace tcpcheck::cli {

std::optional<script> load_script(const std::string& path, std::string_view command) {
  std::string error;
  const auto bytes = read_input(path, error, script_limits::largest_script);
  if (!bytes) {
    std::cerr << command << ": " << error << '\n';
    return std::nullopt;
  }
  script_error bad;
  auto s = parse_script(as_text(*bytes), bad);
  if (!s) std::cerr << bad.to_string(path) << '\n';
  return s;
}

bool plays_the_client(const script& s, const std::string& path, std::string_view command) {
  if (s.role == script_role::client) return true;
  std::cerr << command << ": " << path
            << " says 'role server': tcpcheck plays the server for a client there, which "
               "'tcpcheck run SCRIPT --client \"CMD {port}\"' does; "
            << command << " tests servers only, so far\n";
  return false;
}

std::optional<framing_spec> script_framing(const script& s, const std::string& path,
                                           const std::string& override, std::string_view command) {
  const bool udp = s.transport == script_transport::udp;
  // One datagram, one message: what a UDP script means unless it says more.
  const std::string text = !override.empty() ? override : s.framing.value_or(udp ? "datagram" : "");
  if (text.empty()) {
    std::cerr << command << ": " << path << " has no 'framing' line: give one, or --framing SPEC\n";
    return std::nullopt;
  }
  auto spec = parse_spec_argument(text, std::cerr);
  if (spec && !udp && spec->kind == framing_kind::datagram) {
    std::cerr << command << ": framing 'datagram' needs a UDP script: " << path
              << " has no 'transport udp' line\n";
    return std::nullopt;
  }
  return spec;
}

harness::run_options run_options_for(const script& s, unsigned timeout_ms) {
  harness::run_options options;
  if (timeout_ms) options.session.connect_timeout = duration(timeout_ms);
  options.run_timeout = harness::run_limit_for(s, options);
  return options;
}

} // namespace tcpcheck::cli
