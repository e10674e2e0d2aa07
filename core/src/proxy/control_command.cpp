// The proxy's control protocol: one line parsed into a command.
#include "tcpcheck/proxy/control_command.hpp"

#include <algorithm>
#include <utility>

namespace tcpcheck {

namespace {

constexpr std::string_view command_list =
    "set up|down|both WORDS, clear [up|down|both], show, connections, cut, quit";

std::string_view trimmed(std::string_view text) {
  const std::size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
}

// Splits off the first word of `text`, leaving the rest (trimmed) in `text`.
std::string_view take_word(std::string_view& text) {
  const std::size_t end = std::min(text.find_first_of(" \t"), text.size());
  const std::string_view word = text.substr(0, end);
  text = trimmed(text.substr(end));
  return word;
}

std::optional<proxy_direction> direction_named(std::string_view word) {
  if (word == "up") return proxy_direction::up;
  if (word == "down") return proxy_direction::down;
  if (word == "both") return proxy_direction::both;
  return std::nullopt;
}

std::optional<control_command> refuse(std::string& error, std::string reason) {
  error = std::move(reason) + " (commands: " + std::string(command_list) + ")";
  return std::nullopt;
}

std::optional<control_command> parse_set(std::string_view rest, std::string& error) {
  control_command command;
  command.what = control_command::kind::set;
  const std::string_view word = take_word(rest);
  const auto direction = direction_named(word);
  if (!direction)
    return refuse(error, word.empty() ? "set needs a direction: up, down or both"
                                      : "set: unknown direction '" + std::string(word) +
                                            "' (up, down or both)");
  command.direction = *direction;
  // "set up" alone would silently clear: ask for clear instead.
  if (rest.empty()) return refuse(error, "set needs disturbance words (clear removes them)");
  std::string why;
  auto change = parse_disturbance(rest, why);
  if (!change) {
    error = "set: " + why;
    return std::nullopt;
  }
  command.change = *change;
  return command;
}

} // namespace

std::optional<control_command> parse_control_command(std::string_view line, std::string& error) {
  if (line.size() > longest_control_line)
    return refuse(error, "a line of " + std::to_string(line.size()) + " bytes, above " +
                             std::to_string(longest_control_line));
  if (line.ends_with('\r')) line.remove_suffix(1);
  std::string_view rest = trimmed(line);
  const std::string_view name = take_word(rest);
  if (name == "set") return parse_set(rest, error);
  control_command command;
  if (name == "clear") {
    command.what = control_command::kind::clear;
    if (rest.empty()) return command;
    const std::string_view word = take_word(rest);
    const auto direction = direction_named(word);
    if (!direction || !rest.empty())
      return refuse(error, "clear takes at most a direction: up, down or both");
    command.direction = *direction;
    return command;
  }
  static constexpr std::pair<std::string_view, control_command::kind> bare[] = {
      {"show", control_command::kind::show},
      {"connections", control_command::kind::connections},
      {"cut", control_command::kind::cut},
      {"quit", control_command::kind::quit},
  };
  for (const auto& [bare_name, kind] : bare)
    if (name == bare_name) {
      if (!rest.empty()) return refuse(error, std::string(name) + " takes nothing after it");
      command.what = kind;
      return command;
    }
  if (name.empty()) return refuse(error, "an empty line");
  return refuse(error, "unknown command '" + std::string(name) + "'");
}

} // namespace tcpcheck
