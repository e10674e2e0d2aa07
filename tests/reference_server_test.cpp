// Tests for reference_server.hpp: each protocol's conversation over real
// loopback sockets (whole, byte by byte, merged writes), concurrency, framing
// violations, resets, stop(), and the name and framing functions; udp-echo
// over real loopback UDP sockets.
#include "tcpcheck/harness/reference_server.hpp"

#include "tcpcheck/framing_spec.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <initializer_list>
#include <memory>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <sys/time.h>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

#include <asio/buffer.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/address_v4.hpp>
#include <asio/ip/udp.hpp>
#include <gtest/gtest.h>

namespace tcpcheck::harness {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;

// Every blocking call of a test client gives up after this, so a broken
// server fails a test instead of hanging the suite.
constexpr auto socket_timeout = 5s;

// A blocking loopback client with timeouts on every receive and send.
class test_client {
public:
  explicit test_client(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "socket");
    timeval tv{};
    tv.tv_sec = std::chrono::duration_cast<std::chrono::seconds>(socket_timeout).count();
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); // byte by byte stays apart
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
      connect_error_ = errno;
  }
  ~test_client() {
    if (fd_ >= 0) ::close(fd_);
  }
  test_client(const test_client&) = delete;
  test_client& operator=(const test_client&) = delete;

  bool connected() const { return connect_error_ == 0; }
  int connect_error() const { return connect_error_; }
  int fd() const { return fd_; }

  /// Sends all of `bytes` in one call; false on an error or timeout.
  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  /// Sends `bytes` one send() per byte (TCP_NODELAY keeps them apart).
  bool send_byte_by_byte(std::string_view bytes) {
    for (const char b : bytes)
      if (!send(std::string_view(&b, 1))) return false;
    return true;
  }

  /// `n` bytes, or fewer if the stream ends, fails or times out first.
  std::string receive(std::size_t n) {
    std::string got;
    char buf[16384];
    while (got.size() < n) {
      const ssize_t r = ::recv(fd_, buf, std::min(sizeof buf, n - got.size()), 0);
      if (r <= 0) break;
      got.append(buf, static_cast<std::size_t>(r));
    }
    return got;
  }

  /// `expected.size()` bytes: compare them with `expected`.
  std::string receive_like(std::string_view expected) { return receive(expected.size()); }

  /// How the stream ends from here: "eof", "reset", "timeout", or "data: ..."
  /// if the server sent something more.
  std::string ending() {
    char buf[256];
    const ssize_t r = ::recv(fd_, buf, sizeof buf, 0);
    if (r > 0) return "data: " + std::string(buf, static_cast<std::size_t>(r));
    if (r == 0) return "eof";
    if (errno == ECONNRESET) return "reset";
    if (errno == EAGAIN || errno == EWOULDBLOCK) return "timeout";
    return std::string("error: ") + std::strerror(errno);
  }

  void shutdown_send() { ::shutdown(fd_, SHUT_WR); }

  /// Closes with SO_LINGER 0: the server gets a reset, not a FIN.
  void reset() {
    const linger hard{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    ::close(fd_);
    fd_ = -1;
  }

private:
  int fd_ = -1;
  int connect_error_ = 0;
};

bool disconnected(const std::string& ending) {
  return ending == "eof" || ending == "reset";
}

std::string i32le(std::int32_t value) {
  const auto u = static_cast<std::uint32_t>(value);
  std::string out;
  for (int shift = 0; shift < 32; shift += 8)
    out.push_back(static_cast<char>((u >> shift) & 0xff));
  return out;
}

std::string framed(std::string_view payload) {
  return i32le(static_cast<std::int32_t>(payload.size())) + std::string(payload);
}

// Fills `c`'s path to the server until a send would block: the client never
// reads, so the server ends up blocked writing to it. Returns the bytes sent.
std::size_t flood_without_reading(test_client& c) {
  const int flags = ::fcntl(c.fd(), F_GETFL);
  ::fcntl(c.fd(), F_SETFL, flags | O_NONBLOCK);
  const std::string chunk(64 * 1024, 'x');
  std::size_t sent = 0;
  const auto deadline = std::chrono::steady_clock::now() + socket_timeout;
  int idle_rounds = 0;
  // A few EAGAINs in a row, 20 ms apart, mean the server stopped reading.
  while (idle_rounds < 5 && std::chrono::steady_clock::now() < deadline) {
    const ssize_t n = ::send(c.fd(), chunk.data(), chunk.size(), MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      idle_rounds = 0;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      ++idle_rounds;
      std::this_thread::sleep_for(20ms);
    } else {
      break;
    }
  }
  ::fcntl(c.fd(), F_SETFL, flags);
  return sent;
}

// --- Names and framings ------------------------------------------------------

TEST(ReferenceProtocol, ParsesEachOfTheFourNames) {
  EXPECT_EQ(parse_reference_protocol("echo"), reference_protocol::echo);
  EXPECT_EQ(parse_reference_protocol("greeting"), reference_protocol::greeting);
  EXPECT_EQ(parse_reference_protocol("hello"), reference_protocol::hello);
  EXPECT_EQ(parse_reference_protocol("lenprefix"), reference_protocol::lenprefix);
}

TEST(ReferenceProtocol, RefusesAnyOtherName) {
  for (const std::string_view name : std::initializer_list<std::string_view>{
           "", "Echo", "ECHO", "echo ", " hello", "greet", "len", "lenprefix\n", "http",
           std::string_view("echo\0", 5)})
    EXPECT_EQ(parse_reference_protocol(name), std::nullopt) << '"' << name << '"';
}

TEST(ReferenceProtocol, NameOfParsesBackToTheSameProtocol) {
  for (const auto p : {reference_protocol::echo, reference_protocol::greeting,
                       reference_protocol::hello, reference_protocol::lenprefix})
    EXPECT_EQ(parse_reference_protocol(name_of(p)), p) << name_of(p);
}

TEST(ReferenceProtocol, FramingOfGivesTheSpecAScriptUses) {
  EXPECT_EQ(framing_of(reference_protocol::echo), "raw");
  EXPECT_EQ(framing_of(reference_protocol::greeting), "line");
  EXPECT_EQ(framing_of(reference_protocol::hello), "line");
  EXPECT_EQ(framing_of(reference_protocol::lenprefix), "len:i32le");
}

TEST(ReferenceProtocol, FramingOfIsASpecTheParserAccepts) {
  for (const auto p : {reference_protocol::echo, reference_protocol::greeting,
                       reference_protocol::hello, reference_protocol::lenprefix}) {
    spec_error error;
    EXPECT_TRUE(parse_framing_spec(framing_of(p), error).has_value())
        << framing_of(p) << ": " << to_string(error);
  }
}

// --- Binding -----------------------------------------------------------------

TEST(ReferenceServer, BindsAnEphemeralPortOnLoopbackByDefault) {
  reference_server server(reference_protocol::echo);
  EXPECT_NE(server.port(), 0);
  EXPECT_EQ(server.address(), "127.0.0.1");
  test_client c(server.port());
  EXPECT_TRUE(c.connected()) << std::strerror(c.connect_error());
}

TEST(ReferenceServer, ThrowsSystemErrorWhenThePortIsTaken) {
  reference_server first(reference_protocol::echo);
  EXPECT_THROW(reference_server(reference_protocol::echo, "127.0.0.1", first.port()),
               std::system_error);
}

// The code a constructor's std::system_error carries, or a default one.
std::error_code bind_error(const std::string& address, std::uint16_t port = 0) {
  try {
    reference_server server(reference_protocol::echo, address, port);
  } catch (const std::system_error& e) {
    return e.code();
  }
  return {};
}

TEST(ReferenceServer, ThrowsSystemErrorForAnAddressThatIsNotAnIpAddress) {
  EXPECT_THROW(reference_server(reference_protocol::echo, "not an address"), std::system_error);
  EXPECT_EQ(bind_error("not an address"), std::errc::invalid_argument);
}

TEST(ReferenceServer, ThrowsSystemErrorForAnAddressNotOnThisHost) {
  // 192.0.2.1 is TEST-NET-1 (RFC 5737): no interface has it.
  EXPECT_THROW(reference_server(reference_protocol::echo, "192.0.2.1"), std::system_error);
  EXPECT_EQ(bind_error("192.0.2.1"), std::errc::address_not_available);
}

TEST(ReferenceServer, NamesTheCauseWhenItCannotBind) {
  reference_server first(reference_protocol::echo);
  try {
    reference_server second(reference_protocol::echo, "127.0.0.1", first.port());
    FAIL() << "bound a port that is taken";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::address_in_use);
    EXPECT_NE(std::string(e.what()).find(std::to_string(first.port())), std::string::npos)
        << e.what();
  }
}

// --- echo --------------------------------------------------------------------

TEST(EchoServer, SendsBackAWholeWrite) {
  reference_server server(reference_protocol::echo);
  test_client c(server.port());
  ASSERT_TRUE(c.send("hello, world\n"));
  EXPECT_EQ(c.receive(13), "hello, world\n");
}

TEST(EchoServer, SendsBackAWriteMadeByteByByte) {
  reference_server server(reference_protocol::echo);
  test_client c(server.port());
  const std::string text = "no framing at all\r\n\0\xff"s;
  ASSERT_TRUE(c.send_byte_by_byte(text));
  EXPECT_EQ(c.receive(text.size()), text);
}

TEST(EchoServer, SendsBackTwoMessagesWrittenAsOne) {
  reference_server server(reference_protocol::echo);
  test_client c(server.port());
  ASSERT_TRUE(c.send("hellohello"));
  EXPECT_EQ(c.receive(10), "hellohello");
}

TEST(EchoServer, SendsBackALargeStreamIntactWhileTheClientWrites) {
  reference_server server(reference_protocol::echo);
  test_client c(server.port());
  std::string stream(4 << 20, '\0');
  for (std::size_t i = 0; i < stream.size(); ++i)
    stream[i] = static_cast<char>((i * 7 + i / 251) & 0xff);
  std::atomic<bool> sent{false};
  std::thread writer([&] { sent = c.send(stream); });
  const std::string back = c.receive(stream.size());
  writer.join();
  EXPECT_TRUE(sent);
  EXPECT_EQ(back.size(), stream.size());
  EXPECT_TRUE(back == stream);
}

TEST(EchoServer, ClosesAfterTheClientHalfClosesAndItsBytesAreBack) {
  reference_server server(reference_protocol::echo);
  test_client c(server.port());
  ASSERT_TRUE(c.send("last words"));
  c.shutdown_send();
  EXPECT_EQ(c.receive(10), "last words");
  EXPECT_EQ(c.ending(), "eof");
}

// --- greeting (seed 002) -----------------------------------------------------

TEST(GreetingServer, WelcomesGreetsEachNameAndSaysGoodByeOnExit) {
  reference_server server(reference_protocol::greeting);
  test_client c(server.port());
  EXPECT_EQ(c.receive_like("Welcome!\n"), "Welcome!\n");
  ASSERT_TRUE(c.send("Michael\n"));
  EXPECT_EQ(c.receive_like("Hello, Michael\n"), "Hello, Michael\n");
  ASSERT_TRUE(c.send("Tracy\n"));
  EXPECT_EQ(c.receive_like("Hello, Tracy\n"), "Hello, Tracy\n");
  ASSERT_TRUE(c.send("exit\n"));
  EXPECT_EQ(c.receive_like("Good bye!\n"), "Good bye!\n");
  EXPECT_EQ(c.ending(), "eof");
}

TEST(GreetingServer, AnswersNamesWrittenByteByByte) {
  reference_server server(reference_protocol::greeting);
  test_client c(server.port());
  EXPECT_EQ(c.receive_like("Welcome!\n"), "Welcome!\n");
  ASSERT_TRUE(c.send_byte_by_byte("Sarah\r\nexit\r\n"));
  const std::string expected = "Hello, Sarah\nGood bye!\n";
  EXPECT_EQ(c.receive_like(expected), expected);
  EXPECT_EQ(c.ending(), "eof");
}

TEST(GreetingServer, AnswersTwoNamesWrittenAsOne) {
  reference_server server(reference_protocol::greeting);
  test_client c(server.port());
  EXPECT_EQ(c.receive_like("Welcome!\n"), "Welcome!\n");
  ASSERT_TRUE(c.send("Michael\nTracy\n"));
  const std::string expected = "Hello, Michael\nHello, Tracy\n";
  EXPECT_EQ(c.receive_like(expected), expected);
}

TEST(GreetingServer, DropsOneTrailingCarriageReturnAndKeepsAnother) {
  reference_server server(reference_protocol::greeting);
  test_client c(server.port());
  EXPECT_EQ(c.receive_like("Welcome!\n"), "Welcome!\n");
  // "a\r\r\n" is the line "a\r": its reply must end in CRLF to say so.
  ASSERT_TRUE(c.send("Bob\r\na\r\r\n\n"));
  const std::string expected = "Hello, Bob\nHello, a\r\r\nHello, \n";
  EXPECT_EQ(c.receive_like(expected), expected);
}

TEST(GreetingServer, IgnoresWhatFollowsExitInTheSameWrite) {
  reference_server server(reference_protocol::greeting);
  test_client c(server.port());
  EXPECT_EQ(c.receive_like("Welcome!\n"), "Welcome!\n");
  ASSERT_TRUE(c.send("Ann\nexit\nBob\n"));
  const std::string expected = "Hello, Ann\nGood bye!\n";
  EXPECT_EQ(c.receive_like(expected), expected);
  EXPECT_EQ(c.ending(), "eof");
}

TEST(GreetingServer, TakesExitOnlyAsAWholeLine) {
  reference_server server(reference_protocol::greeting);
  test_client c(server.port());
  EXPECT_EQ(c.receive_like("Welcome!\n"), "Welcome!\n");
  ASSERT_TRUE(c.send("exit now\nEXIT\n"));
  const std::string expected = "Hello, exit now\nHello, EXIT\n";
  EXPECT_EQ(c.receive_like(expected), expected);
}

TEST(GreetingServer, AnswersALineOfExactlyTheMaximumLength) {
  reference_server server(reference_protocol::greeting);
  test_client c(server.port());
  EXPECT_EQ(c.receive_like("Welcome!\n"), "Welcome!\n");
  const std::string name(64 * 1024, 'n');
  ASSERT_TRUE(c.send(name + "\r\n"));
  const std::string expected = "Hello, " + name + "\n";
  EXPECT_TRUE(c.receive_like(expected) == expected);
}

TEST(GreetingServer, DisconnectsALineAboveTheMaximumAndKeepsServing) {
  reference_server server(reference_protocol::greeting);
  {
    test_client c(server.port());
    EXPECT_EQ(c.receive_like("Welcome!\n"), "Welcome!\n");
    c.send(std::string(64 * 1024 + 100, 'n')); // may fail once the server has reset
    EXPECT_TRUE(disconnected(c.ending()));
  }
  test_client next(server.port());
  EXPECT_EQ(next.receive_like("Welcome!\n"), "Welcome!\n");
  ASSERT_TRUE(next.send("Ann\n"));
  EXPECT_EQ(next.receive_like("Hello, Ann\n"), "Hello, Ann\n");
}

TEST(GreetingServer, ClosesQuietlyWhenTheClientEndsInsideALine) {
  reference_server server(reference_protocol::greeting);
  test_client c(server.port());
  EXPECT_EQ(c.receive_like("Welcome!\n"), "Welcome!\n");
  ASSERT_TRUE(c.send("Ann\nAli"));
  c.shutdown_send();
  EXPECT_EQ(c.receive_like("Hello, Ann\n"), "Hello, Ann\n");
  EXPECT_EQ(c.ending(), "eof");
}

// --- hello (seed 003) --------------------------------------------------------

const std::string hello_opening = "Server: Welcome!\nWhat's your name?\n";

TEST(HelloServer, AsksEachNameAndSaysGoodByeOnExit) {
  reference_server server(reference_protocol::hello);
  test_client c(server.port());
  EXPECT_EQ(c.receive_like(hello_opening), hello_opening);
  for (const std::string name : {"Michael", "Tracy", "Sarah"}) {
    ASSERT_TRUE(c.send(name + "\n"));
    const std::string expected = "Hello " + name + "!\nWhat's your name?\n";
    EXPECT_EQ(c.receive_like(expected), expected);
  }
  ASSERT_TRUE(c.send("exit\n"));
  EXPECT_EQ(c.receive_like("Good bye!\n"), "Good bye!\n");
  EXPECT_EQ(c.ending(), "eof");
}

TEST(HelloServer, AnswersNamesWrittenByteByByte) {
  reference_server server(reference_protocol::hello);
  test_client c(server.port());
  EXPECT_EQ(c.receive_like(hello_opening), hello_opening);
  ASSERT_TRUE(c.send_byte_by_byte("Tracy\nexit\n"));
  const std::string expected = "Hello Tracy!\nWhat's your name?\nGood bye!\n";
  EXPECT_EQ(c.receive_like(expected), expected);
  EXPECT_EQ(c.ending(), "eof");
}

TEST(HelloServer, AnswersTwoNamesWrittenAsOne) {
  reference_server server(reference_protocol::hello);
  test_client c(server.port());
  EXPECT_EQ(c.receive_like(hello_opening), hello_opening);
  ASSERT_TRUE(c.send("Michael\r\nTracy\nexit\n"));
  const std::string expected =
      "Hello Michael!\nWhat's your name?\nHello Tracy!\nWhat's your name?\nGood bye!\n";
  EXPECT_EQ(c.receive_like(expected), expected);
  EXPECT_EQ(c.ending(), "eof");
}

TEST(HelloServer, SaysGoodByeEvenIfTheClientKeepsWritingAfterExit) {
  reference_server server(reference_protocol::hello);
  test_client c(server.port());
  EXPECT_EQ(c.receive_like(hello_opening), hello_opening);
  // Unread bytes at close would make the server's kernel send a reset; the
  // server drains them, so the goodbye and a clean end arrive.
  ASSERT_TRUE(c.send("exit\n" + std::string(100000, 'z')));
  EXPECT_EQ(c.receive_like("Good bye!\n"), "Good bye!\n");
  EXPECT_EQ(c.ending(), "eof");
}

// --- lenprefix (seed 004) ----------------------------------------------------

TEST(LenprefixServer, EchoesAFrameWrittenWhole) {
  reference_server server(reference_protocol::lenprefix);
  test_client c(server.port());
  ASSERT_TRUE(c.send(framed("hello world!")));
  EXPECT_EQ(c.receive_like(framed("hello world!")), framed("hello world!"));
}

TEST(LenprefixServer, EchoesAFrameWrittenByteByByte) {
  reference_server server(reference_protocol::lenprefix);
  test_client c(server.port());
  ASSERT_TRUE(c.send_byte_by_byte(framed("lift is smart!")));
  EXPECT_EQ(c.receive_like(framed("lift is smart!")), framed("lift is smart!"));
}

TEST(LenprefixServer, EchoesThreeFramesWrittenAsOne) {
  reference_server server(reference_protocol::lenprefix);
  test_client c(server.port());
  const std::string three = framed("hello") + framed("") + framed("hello");
  ASSERT_TRUE(c.send(three));
  EXPECT_EQ(c.receive_like(three), three);
}

TEST(LenprefixServer, EchoesAFrameWhoseHeaderArrivesInPieces) {
  reference_server server(reference_protocol::lenprefix);
  test_client c(server.port());
  const std::string frame = framed("split header");
  // Pauses make each piece its own read on the server.
  for (const auto& piece :
       {frame.substr(0, 1), frame.substr(1, 2), frame.substr(3, 3), frame.substr(6)}) {
    ASSERT_TRUE(c.send(piece));
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(c.receive_like(frame), frame);
}

TEST(LenprefixServer, EchoesAFrameOfTheMaximumSize) {
  reference_server server(reference_protocol::lenprefix);
  test_client c(server.port());
  std::string payload((1 << 20) - 4, '\0'); // max=1M counts the 4-byte header
  for (std::size_t i = 0; i < payload.size(); ++i)
    payload[i] = static_cast<char>(i % 253);
  ASSERT_TRUE(c.send(framed(payload)));
  const std::string back = c.receive(payload.size() + 4);
  EXPECT_TRUE(back == framed(payload)) << back.size() << " bytes back";
}

TEST(LenprefixServer, DisconnectsANegativeLengthAndKeepsServing) {
  reference_server server(reference_protocol::lenprefix);
  {
    test_client c(server.port());
    ASSERT_TRUE(c.send(framed("ok") + i32le(-2) + "xx"));
    EXPECT_EQ(c.receive_like(framed("ok")), framed("ok"));
    EXPECT_TRUE(disconnected(c.ending()));
  }
  test_client next(server.port());
  ASSERT_TRUE(next.send(framed("still here")));
  EXPECT_EQ(next.receive_like(framed("still here")), framed("still here"));
}

TEST(LenprefixServer, DisconnectsALengthAboveTheMaximumWithoutWaitingForIt) {
  reference_server server(reference_protocol::lenprefix);
  test_client c(server.port());
  ASSERT_TRUE(c.send(i32le((1 << 20) - 3))); // a frame of 1M + 1 bytes
  EXPECT_TRUE(disconnected(c.ending()));
}

TEST(LenprefixServer, ClosesQuietlyWhenTheClientEndsInsideAFrame) {
  reference_server server(reference_protocol::lenprefix);
  test_client c(server.port());
  ASSERT_TRUE(c.send(framed("whole") + i32le(10) + "abc"));
  c.shutdown_send();
  EXPECT_EQ(c.receive_like(framed("whole")), framed("whole"));
  EXPECT_EQ(c.ending(), "eof");
}

// --- Concurrency -------------------------------------------------------------

TEST(ReferenceServer, ServesTwoInterleavedClientsIndependently) {
  reference_server server(reference_protocol::hello);
  test_client idle(server.port());
  EXPECT_EQ(idle.receive_like(hello_opening), hello_opening);
  ASSERT_TRUE(idle.send("Mich")); // and then nothing, for now
  test_client busy(server.port());
  EXPECT_EQ(busy.receive_like(hello_opening), hello_opening);
  ASSERT_TRUE(busy.send("Tracy\n"));
  EXPECT_EQ(busy.receive_like("Hello Tracy!\nWhat's your name?\n"),
            "Hello Tracy!\nWhat's your name?\n");
  ASSERT_TRUE(idle.send("ael\n"));
  EXPECT_EQ(idle.receive_like("Hello Michael!\nWhat's your name?\n"),
            "Hello Michael!\nWhat's your name?\n");
  ASSERT_TRUE(busy.send("exit\n"));
  EXPECT_EQ(busy.receive_like("Good bye!\n"), "Good bye!\n");
  ASSERT_TRUE(idle.send("Sarah\n"));
  EXPECT_EQ(idle.receive_like("Hello Sarah!\nWhat's your name?\n"),
            "Hello Sarah!\nWhat's your name?\n");
}

TEST(ReferenceServer, ServesOthersWhileAClientConnectsAndSaysNothing) {
  reference_server server(reference_protocol::lenprefix);
  test_client silent(server.port());
  ASSERT_TRUE(silent.connected());
  test_client talker(server.port());
  ASSERT_TRUE(talker.send(framed("first")));
  EXPECT_EQ(talker.receive_like(framed("first")), framed("first"));
}

TEST(ReferenceServer, ServesOthersWhileAClientNeverReadsItsReplies) {
  reference_server server(reference_protocol::echo);
  test_client hog(server.port());
  const std::size_t flooded = flood_without_reading(hog);
  EXPECT_GT(flooded, 0u);
  test_client other(server.port());
  ASSERT_TRUE(other.send("are you there?"));
  EXPECT_EQ(other.receive(14), "are you there?");
}

TEST(ReferenceServer, ServesManyClientsAtOnce) {
  reference_server server(reference_protocol::greeting);
  std::vector<std::unique_ptr<test_client>> clients;
  for (int i = 0; i < 50; ++i)
    clients.push_back(std::make_unique<test_client>(server.port()));
  for (std::size_t i = 0; i < clients.size(); ++i)
    ASSERT_TRUE(clients[i]->send("client" + std::to_string(i) + "\n"));
  for (std::size_t i = 0; i < clients.size(); ++i) {
    const std::string expected = "Welcome!\nHello, client" + std::to_string(i) + "\n";
    EXPECT_EQ(clients[i]->receive_like(expected), expected);
  }
}

// --- Resets ------------------------------------------------------------------

TEST(ReferenceServer, KeepsServingAfterAClientResets) {
  for (const auto protocol : {reference_protocol::echo, reference_protocol::greeting,
                              reference_protocol::hello, reference_protocol::lenprefix}) {
    SCOPED_TRACE(name_of(protocol));
    reference_server server(protocol);
    {
      test_client quitter(server.port());
      ASSERT_TRUE(quitter.send(protocol == reference_protocol::lenprefix ? i32le(100) + "ab"
                                                                         : "half a li"));
      std::this_thread::sleep_for(20ms); // let the server read it
      quitter.reset();
    }
    test_client next(server.port());
    ASSERT_TRUE(next.connected());
    if (protocol == reference_protocol::lenprefix) {
      ASSERT_TRUE(next.send(framed("after")));
      EXPECT_EQ(next.receive_like(framed("after")), framed("after"));
    } else if (protocol == reference_protocol::echo) {
      ASSERT_TRUE(next.send("after"));
      EXPECT_EQ(next.receive(5), "after");
    } else {
      ASSERT_TRUE(next.send("exit\n"));
      EXPECT_NE(next.receive(200).find("Good bye!\n"), std::string::npos);
    }
  }
}

TEST(ReferenceServer, KeepsServingAfterAClientResetsWhileTheServerWritesToIt) {
  reference_server server(reference_protocol::echo);
  {
    test_client hog(server.port());
    EXPECT_GT(flood_without_reading(hog), 0u);
    hog.reset();
  }
  test_client next(server.port());
  ASSERT_TRUE(next.send("after"));
  EXPECT_EQ(next.receive(5), "after");
}

// --- stop() ------------------------------------------------------------------

TEST(ReferenceServer, StopIsIdempotentAndThePortIsRefusedAfterwards) {
  reference_server server(reference_protocol::greeting);
  const std::uint16_t port = server.port();
  {
    test_client c(port);
    EXPECT_EQ(c.receive_like("Welcome!\n"), "Welcome!\n");
  }
  server.stop();
  server.stop();
  test_client late(port);
  EXPECT_FALSE(late.connected());
  EXPECT_EQ(late.connect_error(), ECONNREFUSED) << std::strerror(late.connect_error());
  EXPECT_EQ(server.port(), port);
}

TEST(ReferenceServer, StopClosesOpenConnectionsPromptly) {
  reference_server server(reference_protocol::hello);
  test_client mid_line(server.port());
  EXPECT_EQ(mid_line.receive_like(hello_opening), hello_opening);
  ASSERT_TRUE(mid_line.send("Mich"));
  test_client lingering(server.port());
  EXPECT_EQ(lingering.receive_like(hello_opening), hello_opening);
  ASSERT_TRUE(lingering.send("exit\n")); // the server now waits for it to close
  EXPECT_EQ(lingering.receive_like("Good bye!\n"), "Good bye!\n");
  const auto start = std::chrono::steady_clock::now();
  server.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_TRUE(disconnected(mid_line.ending()));
  EXPECT_TRUE(disconnected(lingering.ending()));
}

TEST(ReferenceServer, StopReturnsWhileAWriteToAClientIsBlocked) {
  reference_server server(reference_protocol::echo);
  test_client hog(server.port());
  EXPECT_GT(flood_without_reading(hog), 0u);
  const auto start = std::chrono::steady_clock::now();
  server.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

TEST(ReferenceServer, StopsRightAfterStarting) {
  for (int i = 0; i < 20; ++i) {
    reference_server server(reference_protocol::echo);
    server.stop();
  }
}

TEST(ReferenceServer, DestructorClosesConnections) {
  auto server = std::make_unique<reference_server>(reference_protocol::lenprefix);
  test_client c(server->port());
  ASSERT_TRUE(c.send(framed("bye")));
  EXPECT_EQ(c.receive_like(framed("bye")), framed("bye"));
  server.reset();
  EXPECT_TRUE(disconnected(c.ending()));
}

// --- udp-echo ----------------------------------------------------------------

TEST(ReferenceProtocol, UdpEchoParsesBackFromItsNameAndUsesDatagramFraming) {
  EXPECT_EQ(parse_reference_protocol("udp-echo"), reference_protocol::udp_echo);
  EXPECT_EQ(name_of(reference_protocol::udp_echo), "udp-echo");
  EXPECT_EQ(parse_reference_protocol(name_of(reference_protocol::udp_echo)),
            reference_protocol::udp_echo);
  EXPECT_EQ(framing_of(reference_protocol::udp_echo), "datagram");
  spec_error error;
  EXPECT_TRUE(parse_framing_spec(framing_of(reference_protocol::udp_echo), error).has_value())
      << to_string(error);
  EXPECT_EQ(parse_reference_protocol("udp_echo"), std::nullopt);
}

// The largest UDP payload over IPv4: 65,535 less the IP and UDP headers.
constexpr std::size_t max_ipv4_datagram = 65507;

// A datagram that came back, and where from.
struct udp_reply {
  std::string bytes;
  asio::ip::udp::endpoint from;
};

// A blocking UDP client on an ephemeral loopback port. Receives go through
// recvfrom() itself: Asio's blocking receive_from() polls again, with no
// timeout, when SO_RCVTIMEO expires, and a broken server would hang the suite.
class udp_test_client {
public:
  udp_test_client() : socket_(io_, {asio::ip::address_v4::loopback(), 0}) {
    timeval tv{};
    tv.tv_sec = std::chrono::duration_cast<std::chrono::seconds>(udp_timeout).count();
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }

  void send_to(std::uint16_t port, std::string_view bytes) {
    socket_.send_to(asio::buffer(bytes.data(), bytes.size()),
                    {asio::ip::address_v4::loopback(), port});
  }

  /// The next datagram, or nullopt after the timeout (or an error).
  std::optional<udp_reply> receive() {
    std::string buffer(64 * 1024, '\0');
    asio::ip::udp::endpoint from;
    socklen_t size = static_cast<socklen_t>(from.capacity());
    const ssize_t n =
        ::recvfrom(socket_.native_handle(), buffer.data(), buffer.size(), 0, from.data(), &size);
    if (n < 0) return std::nullopt;
    from.resize(size);
    buffer.resize(static_cast<std::size_t>(n));
    return udp_reply{std::move(buffer), from};
  }

private:
  static constexpr auto udp_timeout = 2s;
  asio::io_context io_;
  asio::ip::udp::socket socket_;
};

asio::ip::udp::endpoint loopback(std::uint16_t port) {
  return {asio::ip::address_v4::loopback(), port};
}

TEST(UdpEchoServer, AnswersADatagramWithTheSameBytesFromTheBoundPort) {
  reference_server server(reference_protocol::udp_echo);
  EXPECT_NE(server.port(), 0);
  EXPECT_EQ(server.address(), "127.0.0.1");
  udp_test_client c;
  const std::string message = "hello\0world\r\n\xff"s;
  c.send_to(server.port(), message);
  const auto reply = c.receive();
  ASSERT_TRUE(reply) << "no answer";
  EXPECT_EQ(reply->bytes, message);
  EXPECT_EQ(reply->from, loopback(server.port()));
}

TEST(UdpEchoServer, AnswersAnEmptyDatagramWithAnEmptyOne) {
  reference_server server(reference_protocol::udp_echo);
  udp_test_client c;
  c.send_to(server.port(), "");
  const auto reply = c.receive();
  ASSERT_TRUE(reply) << "no answer";
  EXPECT_EQ(reply->bytes, "");
  EXPECT_EQ(reply->from, loopback(server.port()));
  c.send_to(server.port(), "after");
  const auto next = c.receive();
  ASSERT_TRUE(next) << "no answer after the empty datagram";
  EXPECT_EQ(next->bytes, "after");
}

TEST(UdpEchoServer, EchoesTheLargestIpv4DatagramWhole) {
  reference_server server(reference_protocol::udp_echo);
  udp_test_client c;
  std::string message(max_ipv4_datagram, '\0');
  for (std::size_t i = 0; i < message.size(); ++i)
    message[i] = static_cast<char>((i * 7 + i / 251) & 0xff);
  c.send_to(server.port(), message);
  const auto reply = c.receive();
  ASSERT_TRUE(reply) << "no answer";
  EXPECT_EQ(reply->bytes.size(), message.size());
  EXPECT_TRUE(reply->bytes == message);
}

TEST(UdpEchoServer, AnswersEachOfTwoInterleavedClientsWithItsOwnDatagrams) {
  reference_server server(reference_protocol::udp_echo);
  udp_test_client a;
  udp_test_client b;
  a.send_to(server.port(), "a1");
  b.send_to(server.port(), "b1");
  a.send_to(server.port(), "a2");
  for (const auto& [client, expected] :
       {std::pair{&b, "b1"}, std::pair{&a, "a1"}, std::pair{&a, "a2"}}) {
    const auto reply = client->receive();
    ASSERT_TRUE(reply) << "no answer for " << expected;
    EXPECT_EQ(reply->bytes, expected);
  }
  b.send_to(server.port(), "b2");
  const auto reply = b.receive();
  ASSERT_TRUE(reply) << "no answer for b2";
  EXPECT_EQ(reply->bytes, "b2");
}

TEST(UdpEchoServer, ThrowsSystemErrorWhenThePortIsTaken) {
  reference_server first(reference_protocol::udp_echo);
  try {
    reference_server second(reference_protocol::udp_echo, "127.0.0.1", first.port());
    FAIL() << "bound a UDP port that is taken";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::address_in_use) << e.what();
  }
}

TEST(UdpEchoServer, StopIsIdempotentAndReleasesThePort) {
  reference_server server(reference_protocol::udp_echo);
  const std::uint16_t port = server.port();
  server.stop();
  server.stop();
  EXPECT_EQ(server.port(), port);
  // The port is free again: a new server binds it and answers there.
  reference_server again(reference_protocol::udp_echo, "127.0.0.1", port);
  udp_test_client c;
  c.send_to(port, "again");
  const auto reply = c.receive();
  ASSERT_TRUE(reply) << "no answer";
  EXPECT_EQ(reply->bytes, "again");
}

TEST(UdpEchoServer, StopsRightAfterStartingAndWhileAnswering) {
  for (int i = 0; i < 20; ++i) {
    reference_server server(reference_protocol::udp_echo);
    udp_test_client c;
    if (i % 2 == 1) c.send_to(server.port(), std::string(max_ipv4_datagram, 'x'));
    const auto start = std::chrono::steady_clock::now();
    server.stop();
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  }
}

} // namespace
} // namespace tcpcheck::harness
