// Tests for proxy/control_command.hpp: the control socket's lines and their errors.
#include "tcpcheck/proxy/control_command.hpp"

#include <stdexcept>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace tcpcheck {
namespace {

control_command parsed(std::string_view line) {
  std::string error;
  const auto command = parse_control_command(line, error);
  if (!command) throw std::invalid_argument("'" + std::string(line) + "': " + error);
  return *command;
}

/// The error `line` is refused with; fails the test when it parses.
std::string refusal(std::string_view line) {
  std::string error;
  EXPECT_FALSE(parse_control_command(line, error).has_value()) << "'" << line << "' parsed";
  EXPECT_FALSE(error.empty());
  return error;
}

TEST(ControlCommand, SetTakesADirectionAndDisturbanceWords) {
  const control_command up = parsed("set up plan=bytewise latency=5ms");
  EXPECT_EQ(up.what, control_command::kind::set);
  EXPECT_EQ(up.direction, proxy_direction::up);
  EXPECT_EQ(up.change.plan.what, delivery_plan::kind::bytewise);
  EXPECT_EQ(up.change.latency, duration(5));

  const control_command down = parsed("set down reset-after=100");
  EXPECT_EQ(down.direction, proxy_direction::down);
  EXPECT_EQ(down.change.end, disturbance::ending::reset);
  EXPECT_EQ(down.change.end_after, 100u);

  EXPECT_EQ(parsed("set both latency=50ms").direction, proxy_direction::both);
}

TEST(ControlCommand, ClearDefaultsToBothDirections) {
  const control_command all = parsed("clear");
  EXPECT_EQ(all.what, control_command::kind::clear);
  EXPECT_EQ(all.direction, proxy_direction::both);
  EXPECT_EQ(parsed("clear up").direction, proxy_direction::up);
  EXPECT_EQ(parsed("clear down").direction, proxy_direction::down);
  EXPECT_EQ(parsed("clear both").direction, proxy_direction::both);
}

TEST(ControlCommand, ParsesTheBareCommands) {
  EXPECT_EQ(parsed("show").what, control_command::kind::show);
  EXPECT_EQ(parsed("connections").what, control_command::kind::connections);
  EXPECT_EQ(parsed("cut").what, control_command::kind::cut);
  EXPECT_EQ(parsed("quit").what, control_command::kind::quit);
}

TEST(ControlCommand, IgnoresATrailingCarriageReturnAndSurroundingSpaces) {
  EXPECT_EQ(parsed("show\r").what, control_command::kind::show);
  const control_command set = parsed("  set   up  latency=5ms \r");
  EXPECT_EQ(set.direction, proxy_direction::up);
  EXPECT_EQ(set.change.latency, duration(5));
}

TEST(ControlCommand, UnknownCommandsAreRefusedListingTheCommands) {
  for (const std::string_view line : {"frobnicate", "", "   ", "SHOW", "show-all"}) {
    const std::string error = refusal(line);
    EXPECT_NE(error.find("commands: set up|down|both WORDS, clear [up|down|both], show, "
                         "connections, cut, quit"),
              std::string::npos)
        << error;
  }
  EXPECT_NE(refusal("frobnicate now").find("unknown command 'frobnicate'"), std::string::npos);
  EXPECT_NE(refusal("").find("empty line"), std::string::npos);
}

TEST(ControlCommand, RefusesMalformedArguments) {
  struct refused {
    std::string_view line;
    std::string_view reason;
  };
  const refused cases[] = {
      {"set", "set needs a direction"},
      {"set sideways latency=5ms", "unknown direction 'sideways'"},
      {"set up", "set needs disturbance words"},
      {"set up latency=5", "set: 'latency=5': expected a duration"},
      {"set down plan=pipeline", "set: 'plan=pipeline'"},
      {"clear left", "clear takes at most a direction"},
      {"clear up down", "clear takes at most a direction"},
      {"show up", "show takes nothing after it"},
      {"cut now", "cut takes nothing after it"},
      {"quit please", "quit takes nothing after it"},
  };
  for (const auto& c : cases) {
    const std::string error = refusal(c.line);
    EXPECT_NE(error.find(c.reason), std::string::npos) << c.line << ": " << error;
  }
}

TEST(ControlCommand, RefusesALineAboveTheLimit) {
  const std::string longest = "set up latency=5ms" + std::string(longest_control_line - 18, ' ');
  ASSERT_EQ(longest.size(), longest_control_line);
  EXPECT_EQ(parsed(longest).change.latency, duration(5));
  const std::string error = refusal(longest + " ");
  EXPECT_NE(error.find("above 4096"), std::string::npos) << error;
}

} // namespace
} // namespace tcpcheck
