// Checks on disturbance words and control lines, shared by the fuzz targets
// that read them (disturbance_words) and draw them (stream_shaper): a
// disturbance that parses prints canonical words that parse back to it, and
// a control `set` with the same words carries it; a control line's `set`
// prints back, and no other command carries a disturbance.
#pragma once

#include "tcpcheck/escape.hpp"
#include "tcpcheck/proxy/control_command.hpp"
#include "tcpcheck/proxy/disturbance.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "property_failure.hpp"

namespace tcpcheck::fuzz {

inline bool has_newline(std::string_view text) {
  return text.find('\n') != std::string_view::npos;
}

inline std::string quoted(std::string_view text) {
  return "'" + tcpcheck::escape(tcpcheck::as_bytes(text), "'", true) + "'";
}

// A disturbance that parses prints canonical words that parse back to it (a
// fixed point), and a control `set` with the same words carries it.
inline std::optional<tcpcheck::disturbance> check_words(std::string_view text) {
  std::string error;
  const auto d = tcpcheck::parse_disturbance(text, error);
  if (!d) {
    if (error.empty() || (!has_newline(text) && has_newline(error)))
      report("a disturbance refused without a one-line reason", quoted(text) + ": " + error);
    return std::nullopt;
  }
  const std::string printed = tcpcheck::to_string(*d);
  std::string again_error;
  const auto again = tcpcheck::parse_disturbance(printed, again_error);
  if (!again)
    report("canonical words refused",
           quoted(text) + " printed as " + quoted(printed) + ": " + again_error);
  if (!(*again == *d))
    report("canonical words parse to another disturbance", quoted(text) + " printed as " +
                                                               quoted(printed) + ", read back as " +
                                                               quoted(tcpcheck::to_string(*again)));
  if (tcpcheck::to_string(*again) != printed)
    report("printing is not a fixed point", quoted(text) + " printed as " + quoted(printed));
  if (d->is_none() != printed.empty())
    report("no disturbance and no words disagree", quoted(text) + " printed as " + quoted(printed));

  // The control socket reads one line: its last '\r' is not part of the words.
  const bool has_words = text.find_first_not_of(" \t") != std::string_view::npos;
  if (has_words && !has_newline(text) && !text.ends_with('\r')) {
    static constexpr std::pair<std::string_view, tcpcheck::proxy_direction> directions[] = {
        {"up", tcpcheck::proxy_direction::up},
        {"down", tcpcheck::proxy_direction::down},
        {"both", tcpcheck::proxy_direction::both}};
    const auto& [name, direction] = directions[text.size() % 3];
    const std::string line = "set " + std::string(name) + " " + std::string(text);
    if (line.size() <= tcpcheck::longest_control_line) {
      const auto command = tcpcheck::parse_control_command(line, error);
      if (!command || command->what != tcpcheck::control_command::kind::set ||
          command->direction != direction || !(command->change == *d))
        report("a control set reads the words otherwise",
               quoted(line) + (command ? " gives " + quoted(tcpcheck::to_string(command->change))
                                       : ": " + error));
    }
  }
  return d;
}

inline void check_control_line(std::string_view line) {
  std::string error;
  const auto command = tcpcheck::parse_control_command(line, error);
  if (!command) {
    if (error.empty() || (!has_newline(line) && has_newline(error)))
      report("a control line refused without a one-line reason", quoted(line) + ": " + error);
    return;
  }
  if (command->what == tcpcheck::control_command::kind::set) {
    const std::string printed = tcpcheck::to_string(command->change);
    std::string again_error;
    const auto again = tcpcheck::parse_disturbance(printed, again_error);
    if (!again || !(*again == command->change))
      report("a control set's disturbance does not print back", quoted(line));
  } else if (!command->change.is_none()) {
    report("a control command other than set carries a disturbance", quoted(line));
  }
}

} // namespace tcpcheck::fuzz
