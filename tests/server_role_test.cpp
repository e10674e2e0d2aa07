// `role server` scripts: tcpcheck plays the server for a client under test.
// The parser and printer read and write the role and `accept`; the session
// asks to accept where a client's script would connect, and names the
// client in what it reports.
#include "tcpcheck/script.hpp"
#include "tcpcheck/session.hpp"

#include <algorithm>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace tcpcheck {
namespace {

using namespace tcpcheck::test;

constexpr std::string_view greeting_server = R"(# checks: a client answers the welcome
role server
framing line
timeout 2s

send "Welcome!"
expect "alice"
send "Hello alice!"
b: accept
b: send "Welcome!"
b: expect "bob"
b: close
expect close
)";

script_error error_of(std::string_view text) {
  script_error error;
  EXPECT_FALSE(parse_script(text, error)) << text;
  return error;
}

TEST(ServerRoleScript, ReadsTheRoleAndAccept) {
  const script s = script_of(greeting_server);
  EXPECT_EQ(s.role, script_role::server);
  ASSERT_EQ(s.steps.size(), 8u);
  EXPECT_EQ(s.steps[3].what, script_step::kind::connect);
  EXPECT_EQ(s.steps[3].connection, "b");
  EXPECT_EQ(s.connections(), (std::vector<std::string>{"main", "b"}));
}

TEST(ServerRoleScript, PrintsTheRoleAndAcceptAndReadsBackTheSame) {
  const script s = script_of(greeting_server);
  const std::string text = to_string(s);
  EXPECT_NE(text.find("role server\n"), std::string::npos) << text;
  EXPECT_NE(text.find("b: accept\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("connect"), std::string::npos) << text;
  EXPECT_EQ(script_of(text), s);
}

TEST(ServerRoleScript, AClientsScriptIsTheDefaultAndPrintsNoRole) {
  const script s = script_of("framing line\nb: connect\nb: send \"x\"\n");
  EXPECT_EQ(s.role, script_role::client);
  EXPECT_EQ(to_string(s).find("role"), std::string::npos);
  EXPECT_EQ(to_string(s.steps[0], script_role::client), "b: connect");
  EXPECT_EQ(to_string(s.steps[0], script_role::server), "b: accept");
  EXPECT_EQ(script_of("role client\nframing line\nsend \"x\"\n").role, script_role::client);
}

TEST(ServerRoleScript, RefusesConnectInAServersScriptWithItsPosition) {
  const auto e = error_of("role server\nframing line\nb: connect\n");
  EXPECT_EQ(e.line, 3u);
  EXPECT_EQ(e.column, 4u);
  EXPECT_NE(e.expected.find("'accept'"), std::string::npos) << e.expected;
  EXPECT_EQ(e.found, "'connect'");
}

TEST(ServerRoleScript, RefusesAcceptInAClientsScript) {
  const auto e = error_of("framing line\nb: accept\n");
  EXPECT_EQ(e.line, 2u);
  EXPECT_NE(e.expected.find("'role server'"), std::string::npos) << e.expected;
}

TEST(ServerRoleScript, RefusesAnEndpointOnAccept) {
  const auto e = error_of("role server\nframing line\nb: accept 127.0.0.1:80\n");
  EXPECT_EQ(e.line, 3u);
  EXPECT_EQ(e.column, 11u);
}

TEST(ServerRoleScript, RefusesASecondRoleAnUnknownOneAndOneAfterTheSteps) {
  EXPECT_EQ(error_of("role server\nrole server\n").expected, "one role directive");
  const auto unknown = error_of("role peer\n");
  EXPECT_EQ(unknown.column, 6u);
  EXPECT_EQ(unknown.expected, "the role tcpcheck plays: client or server");
  EXPECT_EQ(error_of("framing line\nsend \"x\"\nrole server\n").line, 3u);
}

TEST(ServerRoleScript, NamesAcceptWhenAConnectionIsUsedBeforeItOpens) {
  const auto e = error_of("role server\nframing line\nb: send \"x\"\n");
  EXPECT_NE(e.expected.find("'b: accept'"), std::string::npos) << e.expected;
}

// --- the session -------------------------------------------------------------

std::vector<session_action::kind> kinds_of(const std::vector<session_action>& actions) {
  std::vector<session_action::kind> out;
  for (const auto& a : actions)
    out.push_back(a.what);
  return out;
}

using kind = session_action::kind;

TEST(ServerRoleSession, AcceptsMainFirstAndEachNamedConnectionAtItsStep) {
  const script s = script_of(greeting_server);
  session run(s, spec_of(s), delivery_plan{});
  run.start();
  EXPECT_EQ(kinds_of(run.take_actions()), (std::vector{kind::accept, kind::start_timer}));
  run.on_connected(0);
  auto actions = run.take_actions();
  ASSERT_FALSE(actions.empty());
  EXPECT_EQ(actions.front().what, kind::write); // the welcome, tcpcheck's to send
  EXPECT_EQ(actions.front().bytes, bytes_of("Welcome!\n"));
  run.on_received(0, bytes_of("alice\n"));
  actions = run.take_actions();
  const auto accept = std::find_if(actions.begin(), actions.end(),
                                   [](const session_action& a) { return a.what == kind::accept; });
  ASSERT_NE(accept, actions.end());
  EXPECT_EQ(run.connection_names()[accept->connection], "b");
  EXPECT_TRUE(std::none_of(actions.begin(), actions.end(),
                           [](const session_action& a) { return a.what == kind::connect; }));
}

TEST(ServerRoleSession, PassesWhenTheClientSaysWhatTheScriptExpects) {
  const script s = script_of(greeting_server);
  session run(s, spec_of(s), delivery_plan{});
  run.start();
  run.on_connected(0);
  run.on_received(0, bytes_of("alice\r\n"));
  run.on_connected(1);
  run.on_received(1, bytes_of("bob\n"));
  run.on_peer_closed(0);
  ASSERT_TRUE(run.finished());
  EXPECT_TRUE(run.result().passed) << to_string(run.result());
}

TEST(ServerRoleSession, NamesTheClientWhenNoneConnects) {
  const script s = script_of(greeting_server);
  session run(s, spec_of(s), delivery_plan{});
  run.start();
  const auto actions = run.take_actions();
  ASSERT_EQ(actions.size(), 2u);
  run.on_timer(actions[1].timer);
  ASSERT_TRUE(run.finished());
  EXPECT_EQ(run.result().reason, "no client connected for 'main' within 5s");
}

TEST(ServerRoleSession, NamesTheClientWhenItResets) {
  const script s = script_of(greeting_server);
  session run(s, spec_of(s), delivery_plan{});
  run.start();
  run.on_connected(0);
  run.on_peer_reset(0);
  ASSERT_TRUE(run.finished());
  EXPECT_FALSE(run.result().passed);
  EXPECT_EQ(run.result().line, 7u);
  EXPECT_EQ(run.result().reason, "the client reset the connection");
}

TEST(ServerRoleSession, NamesTheClientWhenItCannotBeAccepted) {
  const script s = script_of(greeting_server);
  session run(s, spec_of(s), delivery_plan{});
  run.start();
  run.on_connect_failed(0, "tcpcheck is not listening");
  ASSERT_TRUE(run.finished());
  EXPECT_EQ(run.result().reason, "no client connection for 'main': tcpcheck is not listening");
}

} // namespace
} // namespace tcpcheck
