// Tests for reference_client.hpp: both clients against the reference server
// and against small loopback servers that cut their replies, close early,
// stay silent, or break the framing, over real sockets on port 0.
#include "tcpcheck/harness/reference_client.hpp"

#include "tcpcheck/harness/reference_server.hpp"

#include <arpa/inet.h>
#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <optional>
#include <poll.h>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <sys/time.h>
#include <thread>
#include <unistd.h>

#include <gtest/gtest.h>

#include "loopback_support.hpp"

namespace tcpcheck::harness {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using test::one_connection_server;

constexpr std::string_view conversation = "Welcome!\n"
                                          "Hello, Michael\n"
                                          "Hello, Tracy\n"
                                          "Hello, Sarah\n"
                                          "Good bye!\n";

// Between the bytes of a cut reply: long enough for the client to read
// each byte on its own, short enough to keep the test fast.
constexpr auto byte_gap = 2ms;

constexpr std::initializer_list<reference_client_protocol> both_clients = {
    reference_client_protocol::greeting, reference_client_protocol::naive_greeting};

void write_whole(int fd, std::string_view text) {
  ::send(fd, text.data(), text.size(), MSG_NOSIGNAL);
}

void write_bytewise(int fd, std::string_view text) {
  for (const char byte : text) {
    if (::send(fd, &byte, 1, MSG_NOSIGNAL) != 1) return;
    std::this_thread::sleep_for(byte_gap);
  }
}

// The client's next line, without its LF; nullopt when the client closed
// or the server's patience ran out first.
std::optional<std::string> read_line(int fd, std::string& pending) {
  for (std::size_t end; (end = pending.find('\n')) == std::string::npos;) {
    char chunk[256];
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return std::nullopt;
    pending.append(chunk, static_cast<std::size_t>(n));
  }
  const std::size_t end = pending.find('\n');
  std::string line = pending.substr(0, end);
  pending.erase(0, end + 1);
  return line;
}

// Returns once the client has closed (or the server's patience ran out).
void wait_for_client_close(int fd) {
  char chunk[256];
  while (::recv(fd, chunk, sizeof chunk, 0) > 0) {
  }
}

// The greeting server's side of the conversation, each reply written by `write`.
void greet(int fd, void (*write)(int, std::string_view)) {
  write(fd, "Welcome!\n");
  std::string pending;
  while (const auto name = read_line(fd, pending)) {
    if (*name == "exit") return write(fd, "Good bye!\n");
    write(fd, "Hello, " + *name + "\n");
  }
}

struct client_run {
  reference_client_result result;
  std::string printed;
  milliseconds elapsed{};
};

client_run run_client(reference_client_protocol protocol, std::uint16_t port,
                      const std::string& host = "127.0.0.1") {
  std::ostringstream printed;
  const auto start = std::chrono::steady_clock::now();
  client_run run{run_reference_client(protocol, host, port, printed), {}, {}};
  run.elapsed = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
  run.printed = printed.str();
  return run;
}

// --- Names -------------------------------------------------------------------

TEST(ReferenceClientProtocol, ParsesBothNamesAndNameOfGivesThemBack) {
  for (const auto protocol : both_clients)
    EXPECT_EQ(parse_reference_client_protocol(name_of(protocol)), protocol) << name_of(protocol);
  EXPECT_EQ(name_of(reference_client_protocol::naive_greeting), "naive-greeting");
}

TEST(ReferenceClientProtocol, RefusesTheServersOtherProtocolsAndNearMisses) {
  for (const std::string_view name :
       {"", "echo", "hello", "lenprefix", "Greeting", "greeting ", "naive_greeting", "naive"})
    EXPECT_EQ(parse_reference_client_protocol(name), std::nullopt) << '"' << name << '"';
}

// --- The conversation --------------------------------------------------------

TEST(ReferenceClient, GreetingPrintsTheWholeConversationWithTheReferenceServer) {
  reference_server server(reference_protocol::greeting);
  const client_run run = run_client(reference_client_protocol::greeting, server.port());
  EXPECT_EQ(run.result.outcome, reference_client_outcome::done) << run.result.reason;
  EXPECT_EQ(run.result.reason, "");
  EXPECT_EQ(run.printed, conversation);
}

TEST(ReferenceClient, NaiveGreetingPrintsTheSameWhenEveryReplyComesInOneRead) {
  one_connection_server server([](int fd) { greet(fd, write_whole); });
  const client_run run = run_client(reference_client_protocol::naive_greeting, server.port());
  EXPECT_EQ(run.result.outcome, reference_client_outcome::done) << run.result.reason;
  EXPECT_EQ(run.printed, conversation);
}

TEST(ReferenceClient, ConnectsToLocalhost) {
  reference_server server(reference_protocol::greeting);
  const client_run run =
      run_client(reference_client_protocol::greeting, server.port(), "localhost");
  EXPECT_EQ(run.result.outcome, reference_client_outcome::done) << run.result.reason;
  EXPECT_EQ(run.printed, conversation);
}

TEST(ReferenceClient, GreetingPrintsEachReplyWholeWhenItArrivesOneBytePerWrite) {
  one_connection_server server([](int fd) { greet(fd, write_bytewise); });
  const client_run run = run_client(reference_client_protocol::greeting, server.port());
  EXPECT_EQ(run.result.outcome, reference_client_outcome::done) << run.result.reason;
  EXPECT_EQ(run.printed, conversation);
}

// The bug it keeps on purpose: it still sends every name and exits 0, but
// prints pieces of the replies. Only its output shows the bug.
TEST(ReferenceClient, NaiveGreetingPrintsPiecesWhenRepliesArriveOneBytePerWrite) {
  one_connection_server server([](int fd) { greet(fd, write_bytewise); });
  const client_run run = run_client(reference_client_protocol::naive_greeting, server.port());
  EXPECT_EQ(run.result.outcome, reference_client_outcome::done) << run.result.reason;
  EXPECT_NE(run.printed, conversation);
  EXPECT_NE(run.printed.substr(0, 9), "Welcome!\n") << run.printed;
}

// --- A server that misbehaves -----------------------------------------------

TEST(ReferenceClient, BothFailAtOnceWhenTheServerClosesAfterTheWelcome) {
  for (const auto protocol : both_clients) {
    SCOPED_TRACE(name_of(protocol));
    one_connection_server server([](int fd) { write_whole(fd, "Welcome!\n"); });
    const client_run run = run_client(protocol, server.port());
    EXPECT_EQ(run.result.outcome, reference_client_outcome::server_misbehaved);
    EXPECT_NE(run.result.reason.find("the answer to \"Michael\""), std::string::npos)
        << run.result.reason;
    EXPECT_EQ(run.printed, "Welcome!\n");
    EXPECT_LT(run.elapsed, 2500ms);
  }
}

TEST(ReferenceClient, BothGiveUpAfterFourSecondsOnAServerThatSaysNothing) {
  // Four: generous to a slow server on a busy machine (a sanitizer build
  // beside other tests), still within check --client-timeout's 5 s.
  EXPECT_EQ(reference_client_limits{}.silence_limit, 4000ms);
  for (const auto protocol : both_clients) {
    SCOPED_TRACE(name_of(protocol));
    one_connection_server server(wait_for_client_close);
    const client_run run = run_client(protocol, server.port());
    EXPECT_EQ(run.result.outcome, reference_client_outcome::server_misbehaved);
    EXPECT_EQ(run.result.reason,
              "the server sent nothing for 4000 ms while the client waited for the welcome");
    EXPECT_EQ(run.printed, "");
    EXPECT_GE(run.elapsed, 3900ms);
    EXPECT_LT(run.elapsed, 5000ms);
  }
}

TEST(ReferenceClient, GreetingRefusesALineLongerThan64KiB) {
  one_connection_server server([](int fd) {
    // One byte over could still be a CR before the LF; two cannot.
    write_whole(fd, std::string(64 * 1024 + 2, 'x'));
    wait_for_client_close(fd);
  });
  const client_run run = run_client(reference_client_protocol::greeting, server.port());
  EXPECT_EQ(run.result.outcome, reference_client_outcome::server_misbehaved);
  EXPECT_NE(run.result.reason.find("line framing"), std::string::npos) << run.result.reason;
  EXPECT_EQ(run.printed, "");
  EXPECT_LT(run.elapsed, 1000ms);
}

TEST(ReferenceClient, GreetingReadsALineOfExactly64KiB) {
  const std::string longest(64 * 1024, 'x');
  one_connection_server server([&longest](int fd) {
    write_whole(fd, longest + "\n");
    std::string pending;
    read_line(fd, pending); // "Michael": the client took the line as its welcome
  });
  const client_run run = run_client(reference_client_protocol::greeting, server.port());
  EXPECT_EQ(run.printed, longest + "\n");
  // The server closed instead of greeting Michael.
  EXPECT_EQ(run.result.outcome, reference_client_outcome::server_misbehaved);
  EXPECT_NE(run.result.reason.find("the answer to \"Michael\""), std::string::npos)
      << run.result.reason;
}

TEST(ReferenceClient, GreetingFailsWhenTheServerSendsMoreInsteadOfClosing) {
  one_connection_server server([](int fd) {
    greet(fd, write_whole);
    write_whole(fd, "and one more\n");
  });
  const client_run run = run_client(reference_client_protocol::greeting, server.port());
  EXPECT_EQ(run.result.outcome, reference_client_outcome::server_misbehaved);
  EXPECT_NE(run.result.reason.find("instead of closing"), std::string::npos) << run.result.reason;
  EXPECT_EQ(run.printed, conversation);
}

// --- Where it connects -------------------------------------------------------

TEST(ReferenceClient, RefusesAHostThatIsNotLoopbackWithoutTrying) {
  for (const std::string host : {"192.0.2.1", "10.0.0.1", "0.0.0.0", "example.com", "", "::"}) {
    const client_run run = run_client(reference_client_protocol::greeting, 9, host);
    EXPECT_EQ(run.result.outcome, reference_client_outcome::not_loopback) << host;
    EXPECT_NE(run.result.reason.find("not a loopback address"), std::string::npos) << host;
    EXPECT_LT(run.elapsed, 100ms) << host;
  }
}

TEST(ReferenceClient, ReportsAPortThatRefusesTheConnection) {
  const test::refusing_port refusing;
  const client_run run = run_client(reference_client_protocol::greeting, refusing.port());
  EXPECT_EQ(run.result.outcome, reference_client_outcome::cannot_connect);
  EXPECT_NE(run.result.reason.find("cannot connect to 127.0.0.1:"), std::string::npos)
      << run.result.reason;
  EXPECT_EQ(run.printed, "");
}

} // namespace
} // namespace tcpcheck::harness
