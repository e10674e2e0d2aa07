// UDP in the harness, end to end over loopback: `transport udp` scripts run
// against udp-echo and against small servers of the test's own (nothing
// bound, a server that stops taking datagrams, one that answers from
// another port), `role server` UDP scripts served to test clients, the
// datagram oracles on hand-built wire logs, and spawned UDP servers.
#include "tcpcheck/harness/run.hpp"
// (first, apart: it proves run.hpp self-contained)

#include "tcpcheck/bytes.hpp"
#include "tcpcheck/delivery_plan.hpp"
#include "tcpcheck/framing_spec.hpp"
#include "tcpcheck/harness/datagram_oracles.hpp"
#include "tcpcheck/harness/reference_server.hpp"
#include "tcpcheck/harness/target_process.hpp"
#include "tcpcheck/script.hpp"
#include "tcpcheck/session.hpp"

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <netinet/in.h>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <sys/time.h>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

namespace tcpcheck::harness {
namespace {

using namespace std::chrono_literals;

// ---------------------------------------------------------------------------
// Scripts, specs and runs

script parse(std::string_view text) {
  script_error error;
  auto s = parse_script(text, error);
  if (!s) throw std::invalid_argument(error.to_string("<test script>"));
  return *std::move(s);
}

framing_spec datagram_spec() {
  spec_error error;
  auto spec = parse_framing_spec("datagram", error);
  if (!spec) throw std::invalid_argument(to_string(error));
  return *std::move(spec);
}

delivery_plan whole() {
  std::string error;
  auto plan = parse_delivery_plan("whole", error);
  if (!plan) throw std::invalid_argument(error);
  return *plan;
}

// Short limits: a failure a test provokes ends in well under a second.
run_options quick() {
  run_options o;
  o.session.default_timeout = 2s;
  o.session.connect_timeout = 1s;
  o.run_timeout = 20s;
  return o;
}

target loopback(std::uint16_t port) {
  return {"127.0.0.1", port};
}

// A `transport udp` script: the header, then `steps`.
script udp_script(std::string_view steps) {
  return parse("transport udp\nframing datagram\n" + std::string(steps));
}

run_result run_udp(std::uint16_t port, std::string_view steps) {
  return run_script(loopback(port), udp_script(steps), datagram_spec(), whole(), quick());
}

bool mentions(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

// The sizes of every `what` event on `connection`, in order.
std::vector<std::size_t> sizes_of(const std::vector<wire_event>& log, wire_event::kind what,
                                  std::size_t connection) {
  std::vector<std::size_t> out;
  for (const auto& e : log)
    if (e.what == what && e.connection == connection) out.push_back(e.size);
  return out;
}

using sizes = std::vector<std::size_t>;

// ---------------------------------------------------------------------------
// Raw UDP sockets, for servers and clients of the tests' own

// A datagram that came, and the port it came from.
struct datagram {
  std::string bytes;
  std::uint16_t from = 0;
};

// A blocking UDP socket on 127.0.0.1. Receives go through recvfrom() with
// SO_RCVTIMEO: every wait is bounded.
class udp_socket {
public:
  explicit udp_socket(std::uint16_t port = 0, std::chrono::milliseconds timeout = 2s) {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in address = at(port);
    socklen_t length = sizeof address;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0)
      throw std::runtime_error("cannot bind a UDP socket on 127.0.0.1");
    port_ = ntohs(address.sin_port);
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~udp_socket() { close(); }
  udp_socket(const udp_socket&) = delete;
  udp_socket& operator=(const udp_socket&) = delete;

  std::uint16_t port() const { return port_; }

  bool send_to(std::uint16_t port, std::string_view bytes) {
    const sockaddr_in address = at(port);
    return ::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<const sockaddr*>(&address),
                    sizeof address) == static_cast<ssize_t>(bytes.size());
  }

  /// The next datagram, or nullopt after the timeout (or an error).
  std::optional<datagram> receive() {
    std::string buffer(64 * 1024, '\0');
    sockaddr_in from{};
    socklen_t length = sizeof from;
    const ssize_t n = ::recvfrom(fd_, buffer.data(), buffer.size(), 0,
                                 reinterpret_cast<sockaddr*>(&from), &length);
    if (n < 0) return std::nullopt;
    buffer.resize(static_cast<std::size_t>(n));
    return datagram{std::move(buffer), ntohs(from.sin_port)};
  }

  /// From now on the kernel delivers nothing from anyone else here: a
  /// datagram another source sends to this port finds no socket, and is
  /// answered with an ICMP port unreachable, as once the socket is closed.
  bool take_only_from(std::uint16_t port) {
    const sockaddr_in address = at(port);
    return ::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  }

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

private:
  static sockaddr_in at(std::uint16_t port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    return address;
  }

  int fd_ = -1;
  std::uint16_t port_ = 0;
};

// A UDP port where nothing is bound: bound a moment ago, then closed.
std::uint16_t unbound_udp_port() {
  udp_socket s;
  return s.port();
}

// A server thread on a socket of its own: `serve` gets the socket and a
// flag that says when to stop (its receives time out every 100 ms).
class udp_server_thread {
public:
  template <class Serve>
  explicit udp_server_thread(Serve serve) : socket_(0, 100ms) {
    thread_ = std::thread([this, serve] { serve(socket_, stop_); });
  }
  ~udp_server_thread() {
    stop_ = true;
    thread_.join();
  }
  udp_server_thread(const udp_server_thread&) = delete;
  udp_server_thread& operator=(const udp_server_thread&) = delete;
  std::uint16_t port() const { return socket_.port(); }

private:
  udp_socket socket_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// ---------------------------------------------------------------------------
// Scripts against udp-echo

TEST(UdpRun, PassesAConversationWithUdpEcho) {
  reference_server server(reference_protocol::udp_echo);
  const run_result r = run_udp(server.port(), "send \"ping\"\nexpect \"ping\"\n"
                                              "send \"hello world\"\nexpect \"hello world\"\n");
  EXPECT_TRUE(r.outcome.passed) << to_string(r.outcome);
  EXPECT_FALSE(r.unreachable);
}

TEST(UdpRun, PassesAnEmptyDatagramEchoedEmpty) {
  reference_server server(reference_protocol::udp_echo);
  const run_result r =
      run_udp(server.port(), "send \"\"\nexpect \"\"\nsend \"after\"\nexpect \"after\"\n");
  EXPECT_TRUE(r.outcome.passed) << to_string(r.outcome);
}

TEST(UdpRun, EchoesTheLargestIpv4DatagramWhole) {
  reference_server server(reference_protocol::udp_echo);
  const std::string payload(65507, 'a');
  const run_result r = run_udp(server.port(), "send \"" + payload + "\"\nexpect \"" + payload +
                                                  "\"\nsend \"x\"\nexpect \"x\"\n");
  EXPECT_TRUE(r.outcome.passed) << r.outcome.reason;
  EXPECT_EQ(sizes_of(r.wire_log, wire_event::kind::write, 0), (sizes{65507, 1}));
  EXPECT_EQ(sizes_of(r.wire_log, wire_event::kind::read, 0), (sizes{65507, 1}));
}

TEST(UdpRun, GivesEachNamedConnectionItsOwnAnswers) {
  reference_server server(reference_protocol::udp_echo);
  const run_result r = run_udp(server.port(), "send \"from main\"\n"
                                              "b: connect\n"
                                              "b: send \"from b\"\n"
                                              "b: expect \"from b\"\n"
                                              "expect \"from main\"\n"
                                              "send \"main again\"\n"
                                              "b: send \"b again\"\n"
                                              "expect \"main again\"\n"
                                              "b: expect \"b again\"\n");
  EXPECT_TRUE(r.outcome.passed) << to_string(r.outcome);
  EXPECT_EQ(sizes_of(r.wire_log, wire_event::kind::read, 0), (sizes{9, 10}));
  EXPECT_EQ(sizes_of(r.wire_log, wire_event::kind::read, 1), (sizes{6, 7}));
}

TEST(UdpRun, LogsOneWriteAndOneReadPerDatagramWithItsSize) {
  reference_server server(reference_protocol::udp_echo);
  const run_result r =
      run_udp(server.port(), "send \"abc\"\nexpect \"abc\"\nsend \"\"\nexpect \"\"\n"
                             "send \"0123456789\"\nexpect \"0123456789\"\n");
  ASSERT_TRUE(r.outcome.passed) << to_string(r.outcome);
  EXPECT_EQ(sizes_of(r.wire_log, wire_event::kind::write, 0), (sizes{3, 0, 10}));
  EXPECT_EQ(sizes_of(r.wire_log, wire_event::kind::read, 0), (sizes{3, 0, 10}));
  // Each read follows its write.
  std::vector<wire_event::kind> order;
  for (const auto& e : r.wire_log)
    if (e.what == wire_event::kind::write || e.what == wire_event::kind::read)
      order.push_back(e.what);
  using k = wire_event::kind;
  EXPECT_EQ(order, (std::vector<k>{k::write, k::read, k::write, k::read, k::write, k::read}));
}

TEST(UdpRun, AnEchoRunShowsNoTruncationAndNoAmplification) {
  reference_server server(reference_protocol::udp_echo);
  const std::string payload(3000, 'q');
  const run_result r =
      run_udp(server.port(), "send \"" + payload + "\"\nexpect \"" + payload + "\"\n");
  ASSERT_TRUE(r.outcome.passed) << r.outcome.reason;
  const byte_view sent(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size());
  EXPECT_EQ(truncated_echo(sent, r.wire_log), std::nullopt);
  const amplification_verdict v = judge_amplification(r.wire_log, 10);
  EXPECT_FALSE(v.warn) << v.summary;
  EXPECT_FALSE(v.fail) << v.summary;
}

// ---------------------------------------------------------------------------
// Nothing listening, a server gone, a reply from elsewhere

TEST(UdpRun, NothingBoundIsUnreachableWithICMPPortUnreachable) {
  const std::uint16_t port = unbound_udp_port();
  const run_result r = run_udp(port, "send \"ping\"\nexpect \"ping\"\n");
  EXPECT_FALSE(r.outcome.passed);
  EXPECT_TRUE(r.unreachable) << r.outcome.reason;
  EXPECT_TRUE(mentions(r.outcome.reason, "nothing is listening")) << r.outcome.reason;
  EXPECT_TRUE(mentions(r.outcome.reason, "ICMP port unreachable")) << r.outcome.reason;
  EXPECT_TRUE(mentions(r.outcome.reason, "127.0.0.1:" + std::to_string(port))) << r.outcome.reason;
}

TEST(UdpRun, AServerThatAnsweredOnceAndThenWentAwayIsNotUnreachable) {
  udp_server_thread server([](udp_socket& s, const std::atomic<bool>& stop) {
    while (!stop) {
      const auto request = s.receive();
      if (!request) continue;
      // Nothing more is taken here; the answer still leaves from this port.
      s.take_only_from(s.port());
      s.send_to(request->from, request->bytes);
      return;
    }
  });
  const run_result r =
      run_udp(server.port(), "send \"one\"\nexpect \"one\"\nsend \"two\"\nexpect \"two\"\n");
  EXPECT_FALSE(r.outcome.passed);
  EXPECT_FALSE(r.unreachable) << "the server answered once: it was there";
  EXPECT_TRUE(mentions(r.outcome.reason, "nothing is listening")) << r.outcome.reason;
  EXPECT_TRUE(mentions(r.outcome.reason, "ICMP port unreachable")) << r.outcome.reason;
  EXPECT_EQ(sizes_of(r.wire_log, wire_event::kind::read, 0), sizes{3}) << "the first answer";
}

TEST(UdpRun, AReplyFromAnotherPortFailsNamingBothPorts) {
  udp_socket answering;
  const std::uint16_t answering_port = answering.port();
  udp_server_thread server([&answering](udp_socket& s, const std::atomic<bool>& stop) {
    while (!stop)
      if (const auto request = s.receive()) answering.send_to(request->from, request->bytes);
  });
  const run_result r = run_udp(server.port(), "send \"ping\"\nexpect \"ping\"\n");
  EXPECT_FALSE(r.outcome.passed);
  EXPECT_FALSE(r.unreachable);
  const std::string& why = r.outcome.reason;
  EXPECT_TRUE(mentions(why, "a reply came from 127.0.0.1:" + std::to_string(answering_port)))
      << why;
  EXPECT_TRUE(mentions(why, "not from 127.0.0.1:" + std::to_string(server.port()))) << why;
}

TEST(UdpRun, ARefusalLearntAfterSeveralSendsSaysNothingIsListening) {
  // Three sends before the expect: the ICMP error may fail a later send or
  // the read; either way the reason is the same. (Whether the run is
  // `unreachable` depends on how many sends went out before the refusal
  // was learnt: only a refusal of the very first datagram is.)
  const std::uint16_t port = unbound_udp_port();
  const run_result r = run_udp(port, "send \"a\"\nsend \"b\"\nsend \"c\"\nexpect \"a\"\n");
  EXPECT_FALSE(r.outcome.passed);
  EXPECT_TRUE(
      mentions(r.outcome.reason, "nothing is listening on UDP 127.0.0.1:" + std::to_string(port)))
      << r.outcome.reason;
  EXPECT_TRUE(mentions(r.outcome.reason, "ICMP port unreachable")) << r.outcome.reason;
}

TEST(UdpRun, ARefusedOtherEndpointDoesNotMakeTheTargetUnreachable) {
  // The target answers; only the endpoint `b` names refuses, as a TCP
  // script's `b: connect HOST:PORT` that is refused leaves the target
  // reachable (run_result::unreachable: "the target refused or never
  // answered the first connect").
  reference_server server(reference_protocol::udp_echo);
  const std::uint16_t elsewhere = unbound_udp_port();
  const run_result r = run_udp(server.port(), "b: connect 127.0.0.1:" + std::to_string(elsewhere) +
                                                  "\n"
                                                  "b: send \"x\"\n"
                                                  "b: expect \"x\"\n"
                                                  "send \"y\"\n"
                                                  "expect \"y\"\n");
  EXPECT_FALSE(r.outcome.passed);
  EXPECT_TRUE(mentions(r.outcome.reason, "127.0.0.1:" + std::to_string(elsewhere)))
      << r.outcome.reason;
  EXPECT_FALSE(r.unreachable) << "the target at " << server.port()
                              << " listens; only b's endpoint refused: " << r.outcome.reason;
}

TEST(UdpRun, ADatagramAboveTheLargestFailsItsSendWithTheReason) {
  // 65,508 bytes: no IPv4 socket sends it (EMSGSIZE). The send cannot
  // happen, and no answer can come: the run should say why at once, not
  // wait out the expect and call it a timeout.
  reference_server server(reference_protocol::udp_echo);
  const std::string payload(65508, 'a');
  const run_result r =
      run_udp(server.port(), "send \"" + payload + "\"\nexpect \"" + payload + "\"\n");
  EXPECT_FALSE(r.outcome.passed);
  EXPECT_FALSE(r.unreachable);
  EXPECT_TRUE(mentions(r.outcome.reason, "too long")) << r.outcome.reason;
  EXPECT_FALSE(mentions(r.outcome.reason, "timed out")) << r.outcome.reason;
}

TEST(UdpRun, PassesOverIpv6Loopback) {
  std::optional<reference_server> server;
  try {
    server.emplace(reference_protocol::udp_echo, "::1");
  } catch (const std::system_error& e) {
    GTEST_SKIP() << "no IPv6 loopback here: " << e.what();
  }
  const run_result r = run_script(target{"::1", server->port()},
                                  udp_script("send \"ping\"\nexpect \"ping\"\nsend \"\"\n"
                                             "expect \"\"\n"),
                                  datagram_spec(), whole(), quick());
  EXPECT_TRUE(r.outcome.passed) << to_string(r.outcome);
  const std::uint16_t port = server->port();
  server.reset();
  // And once it is gone, ICMPv6 says so (IPV6_RECVERR).
  const run_result gone = run_script(target{"::1", port}, udp_script("send \"x\"\nexpect \"x\"\n"),
                                     datagram_spec(), whole(), quick());
  EXPECT_FALSE(gone.outcome.passed);
  EXPECT_TRUE(gone.unreachable) << gone.outcome.reason;
  EXPECT_TRUE(mentions(gone.outcome.reason, "nothing is listening on UDP [::1]:"))
      << gone.outcome.reason;
}

// ---------------------------------------------------------------------------
// `role server` over UDP

script udp_server_script(std::string_view steps, std::string_view timeout = "2s") {
  return parse("role server\ntransport udp\nframing datagram\ntimeout " + std::string(timeout) +
               "\n" + std::string(steps));
}

// Serves `s` on a free loopback port; `client` runs on a thread of its own
// once the port is bound, and is joined before this returns.
template <class Client>
run_result serve_udp(const script& s, Client client, std::uint16_t* bound_port = nullptr,
                     const run_options& options = quick()) {
  std::thread client_thread;
  const run_result r =
      serve_script(loopback(0), s, datagram_spec(), whole(), options, [&](const target& bound) {
        if (bound_port) *bound_port = bound.port;
        client_thread = std::thread([client, port = bound.port] { client(port); });
      });
  if (client_thread.joinable()) client_thread.join();
  return r;
}

TEST(UdpServe, AnswersTheClientFromTheBoundPort) {
  std::optional<datagram> reply;
  std::uint16_t client_sent_to = 0;
  std::uint16_t bound = 0;
  const run_result r = serve_udp(
      udp_server_script("accept\nexpect \"hello\"\nsend \"hi\"\n"),
      [&](std::uint16_t port) {
        udp_socket c;
        client_sent_to = port;
        if (c.send_to(port, "hello")) reply = c.receive();
      },
      &bound);
  EXPECT_TRUE(r.outcome.passed) << to_string(r.outcome);
  EXPECT_NE(bound, 0);
  EXPECT_EQ(client_sent_to, bound);
  ASSERT_TRUE(reply) << "the client got no answer";
  EXPECT_EQ(reply->bytes, "hi");
  EXPECT_EQ(reply->from, bound);
}

TEST(UdpServe, GivesTwoClientsTheirOwnRepliesFirstSenderFirstAccepted) {
  std::optional<datagram> first_reply, second_reply;
  const run_result r = serve_udp(udp_server_script("accept\n"
                                                   "expect \"hello\"\n"
                                                   "send \"to main\"\n"
                                                   "b: accept\n"
                                                   "b: expect \"hello\"\n"
                                                   "b: send \"to b\"\n"),
                                 [&](std::uint16_t port) {
                                   udp_socket first, second;
                                   // Both send before the script accepts
                                   // either: the first to send is `accept`'s.
                                   if (!first.send_to(port, "hello")) return;
                                   if (!second.send_to(port, "hello")) return;
                                   first_reply = first.receive();
                                   second_reply = second.receive();
                                 });
  EXPECT_TRUE(r.outcome.passed) << to_string(r.outcome);
  ASSERT_TRUE(first_reply);
  ASSERT_TRUE(second_reply);
  EXPECT_EQ(first_reply->bytes, "to main");
  EXPECT_EQ(second_reply->bytes, "to b");
}

TEST(UdpServe, AClientThatNeverSendsFailsTheAcceptWithAReason) {
  // An accept waits as long as a connect may (the connect timeout).
  run_options options = quick();
  options.session.connect_timeout = 300ms;
  const run_result r = serve_udp(
      udp_server_script("accept\nexpect \"hello\"\nsend \"hi\"\n", "300ms"), [](std::uint16_t) {},
      nullptr, options);
  EXPECT_FALSE(r.outcome.passed);
  EXPECT_EQ(r.outcome.line, 5u) << to_string(r.outcome);
  EXPECT_TRUE(mentions(r.outcome.reason, "no client")) << r.outcome.reason;
}

TEST(UdpServe, AClientThatFallsSilentFailsTheNextExpectAtTheScriptsTimeout) {
  std::optional<datagram> reply;
  const run_result r = serve_udp(
      udp_server_script("accept\nexpect \"hello\"\nsend \"hi\"\nexpect \"more\"\n", "300ms"),
      [&](std::uint16_t port) {
        udp_socket c;
        if (c.send_to(port, "hello")) reply = c.receive();
      });
  EXPECT_FALSE(r.outcome.passed);
  EXPECT_EQ(r.outcome.line, 8u) << to_string(r.outcome);
  EXPECT_TRUE(mentions(r.outcome.reason, "timed out")) << r.outcome.reason;
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->bytes, "hi");
}

TEST(UdpServe, AClientThatSendsSomethingElseFailsTheExpect) {
  std::optional<datagram> reply;
  const run_result r = serve_udp(udp_server_script("accept\nexpect \"hello\"\nsend \"hi\"\n"),
                                 [&](std::uint16_t port) {
                                   udp_socket c(0, 500ms);
                                   if (c.send_to(port, "goodbye")) reply = c.receive();
                                 });
  EXPECT_FALSE(r.outcome.passed);
  EXPECT_TRUE(mentions(r.outcome.reason + r.outcome.got, "goodbye")) << to_string(r.outcome);
  EXPECT_FALSE(reply) << "no reply to a wrong request: got " << reply->bytes;
}

// ---------------------------------------------------------------------------
// datagram_oracles.hpp on hand-built wire logs

byte_buffer random_bytes(std::size_t n) {
  std::mt19937 generator(20240501);
  byte_buffer out(n);
  for (auto& b : out)
    b = static_cast<std::uint8_t>(generator() & 0xff);
  return out;
}

wire_event event(wire_event::kind what, std::size_t connection, byte_buffer bytes) {
  wire_event e;
  e.what = what;
  e.connection = connection;
  e.size = bytes.size();
  e.bytes = std::move(bytes);
  return e;
}

wire_event sized(wire_event::kind what, std::size_t connection, std::size_t size) {
  wire_event e;
  e.what = what;
  e.connection = connection;
  e.size = size;
  return e;
}

byte_buffer slice(const byte_buffer& b, std::size_t from, std::size_t to) {
  return byte_buffer(b.begin() + static_cast<std::ptrdiff_t>(from),
                     b.begin() + static_cast<std::ptrdiff_t>(to));
}

using kind = wire_event::kind;

TEST(UdpTruncatedEcho, NamesAnAnswerThatRepeatsTheStartButNotTheEnd) {
  const byte_buffer sent = random_bytes(2000);
  const std::vector<wire_event> log = {event(kind::write, 0, sent),
                                       event(kind::read, 0, slice(sent, 0, 1024))};
  const auto why = truncated_echo(sent, log);
  ASSERT_TRUE(why);
  EXPECT_TRUE(mentions(*why, "truncated")) << *why;
  EXPECT_TRUE(mentions(*why, "2000")) << *why;
  EXPECT_TRUE(mentions(*why, "1024")) << *why;
}

TEST(UdpTruncatedEcho, SaysNothingOfAnAnswerThatRepeatsTheEnd) {
  const byte_buffer sent = random_bytes(2000);
  EXPECT_EQ(truncated_echo(sent, {event(kind::write, 0, sent), event(kind::read, 0, sent)}),
            std::nullopt);
  // Only the part from 512 on came back, end included: nothing lost.
  EXPECT_EQ(truncated_echo(
                sent, {event(kind::write, 0, sent), event(kind::read, 0, slice(sent, 500, 2000))}),
            std::nullopt);
}

TEST(UdpTruncatedEcho, SaysNothingOfAnAnswerThatRepeatsNothing) {
  const byte_buffer sent = random_bytes(2000);
  const byte_buffer other(1024, 'x');
  EXPECT_EQ(truncated_echo(sent, {event(kind::write, 0, sent), event(kind::read, 0, other)}),
            std::nullopt);
  EXPECT_EQ(truncated_echo(sent, {event(kind::write, 0, sent)}), std::nullopt) << "no answer";
}

TEST(UdpTruncatedEcho, SaysNothingOfADatagramShorterThan544Bytes) {
  const byte_buffer sent = random_bytes(543);
  EXPECT_EQ(truncated_echo(
                sent, {event(kind::write, 0, sent), event(kind::read, 0, slice(sent, 0, 530))}),
            std::nullopt);
  const byte_buffer just_long_enough = random_bytes(544);
  EXPECT_TRUE(
      truncated_echo(just_long_enough, {event(kind::write, 0, just_long_enough),
                                        event(kind::read, 0, slice(just_long_enough, 0, 530))}));
}

TEST(UdpTruncatedEcho, TakesOnlyTheAnswersOnTheDatagramsConnection) {
  const byte_buffer sent = random_bytes(2000);
  const std::vector<wire_event> log = {event(kind::write, 0, sent),
                                       event(kind::read, 1, slice(sent, 0, 1024))};
  EXPECT_EQ(truncated_echo(sent, log), std::nullopt);
}

TEST(UdpAmplification, FailsAnAnswerFarLargerThanItsRequestNamingBothSizes) {
  const std::vector<wire_event> log = {sized(kind::write, 0, 4), sized(kind::read, 0, 4096)};
  const amplification_verdict v = judge_amplification(log, 10);
  EXPECT_TRUE(v.warn);
  EXPECT_TRUE(v.fail);
  EXPECT_DOUBLE_EQ(v.worst, 1024.0);
  EXPECT_TRUE(mentions(v.summary, "request of 4 bytes")) << v.summary;
  EXPECT_TRUE(mentions(v.summary, "4096 bytes")) << v.summary;
}

TEST(UdpAmplification, WarnsOfAnAnswerLargerThanItsRequestBelowTheLimit) {
  const amplification_verdict v =
      judge_amplification({sized(kind::write, 0, 4), sized(kind::read, 0, 12)}, 10);
  EXPECT_TRUE(v.warn) << v.summary;
  EXPECT_FALSE(v.fail) << v.summary;
  EXPECT_DOUBLE_EQ(v.worst, 3.0);
}

TEST(UdpAmplification, SaysNothingOfAnAnswerAsLargeAsItsRequest) {
  const amplification_verdict v =
      judge_amplification({sized(kind::write, 0, 100), sized(kind::read, 0, 100)}, 10);
  EXPECT_FALSE(v.warn) << v.summary;
  EXPECT_FALSE(v.fail) << v.summary;
  EXPECT_TRUE(v.summary.empty()) << v.summary;
  // An empty answer to an empty request (udp-echo's) is no amplification.
  const amplification_verdict empty =
      judge_amplification({sized(kind::write, 0, 0), sized(kind::read, 0, 0)}, 10);
  EXPECT_FALSE(empty.warn) << empty.summary;
}

TEST(UdpAmplification, CountsAnEmptyRequestAsOneByte) {
  const std::vector<wire_event> log = {sized(kind::write, 0, 0), sized(kind::read, 0, 5)};
  const auto volumes = exchange_volumes(log);
  ASSERT_EQ(volumes.size(), 1u);
  EXPECT_EQ(volumes[0].request_bytes, 0u);
  EXPECT_EQ(volumes[0].answer_bytes, 5u);
  const amplification_verdict v = judge_amplification(log, 3);
  EXPECT_DOUBLE_EQ(v.worst, 5.0);
  EXPECT_TRUE(v.warn);
  EXPECT_TRUE(v.fail);
  EXPECT_TRUE(mentions(v.summary, "request of 0 bytes")) << v.summary;
}

TEST(UdpAmplification, CountsAnswersOnlyOnTheRequestsConnectionUntilItsNextRequest) {
  const std::vector<wire_event> log = {
      sized(kind::write, 0, 4),  sized(kind::read, 1, 4096), // another socket's
      sized(kind::read, 0, 3),   sized(kind::read, 0, 2),    // two answers
      sized(kind::write, 0, 10), sized(kind::read, 0, 10),
  };
  const auto volumes = exchange_volumes(log);
  ASSERT_EQ(volumes.size(), 2u);
  EXPECT_EQ(volumes[0].connection, 0u);
  EXPECT_EQ(volumes[0].request_bytes, 4u);
  EXPECT_EQ(volumes[0].answer_bytes, 5u);
  EXPECT_EQ(volumes[0].answer_datagrams, 2u);
  EXPECT_EQ(volumes[1].request_bytes, 10u);
  EXPECT_EQ(volumes[1].answer_bytes, 10u);
  EXPECT_EQ(volumes[1].answer_datagrams, 1u);
  const amplification_verdict v = judge_amplification(log, 10);
  EXPECT_FALSE(v.fail) << v.summary << " (the 4096 bytes came on another connection)";
  EXPECT_DOUBLE_EQ(v.worst, 2.0) << "two datagrams for one";
}

// Requests sent ahead of their answers are one exchange: the answers are
// set against all of them, not all against the last.
TEST(UdpAmplification, TakesRequestsSentAheadAsOneExchange) {
  const std::vector<wire_event> log = {sized(kind::write, 0, 3), sized(kind::write, 0, 3),
                                       sized(kind::read, 0, 3),  sized(kind::read, 0, 3),
                                       sized(kind::write, 0, 4), sized(kind::read, 0, 4)};
  const auto volumes = exchange_volumes(log);
  ASSERT_EQ(volumes.size(), 2u);
  EXPECT_EQ(volumes[0].request_bytes, 6u);
  EXPECT_EQ(volumes[0].request_datagrams, 2u);
  EXPECT_EQ(volumes[0].answer_bytes, 6u);
  EXPECT_EQ(volumes[0].answer_datagrams, 2u);
  EXPECT_EQ(volumes[1].request_datagrams, 1u);
  const amplification_verdict v = judge_amplification(log, 10);
  EXPECT_FALSE(v.warn) << v.summary;
}

// A datagram or an answer the wire log kept only in part cannot show a
// missing end: no verdict rather than a wrong one.
TEST(UdpTruncatedEcho, SaysNothingWhenTheWireLogCutTheBytes) {
  const byte_buffer sent = random_bytes(2000);
  wire_event answer = event(kind::read, 0, sent);
  answer.bytes.resize(1500); // the log's limit, not the server, cut it
  EXPECT_EQ(truncated_echo(sent, {event(kind::write, 0, sent), answer}), std::nullopt);
}

// ---------------------------------------------------------------------------
// Spawned UDP servers (target_process with spawn_options::udp)

// `python3 -c CODE {port}`: CODE finds its port in sys.argv[1].
std::vector<std::string> python(std::string code) {
  return {"python3", "-c", std::move(code), "{port}"};
}

// A UDP echo server that binds only after 200 ms.
std::vector<std::string> slow_udp_echo() {
  return python("import socket, sys, time\n"
                "time.sleep(0.2)\n"
                "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                "s.bind(('127.0.0.1', int(sys.argv[1])))\n"
                "while True:\n"
                "    data, source = s.recvfrom(65536)\n"
                "    s.sendto(data, source)\n");
}

spawn_options udp_spawn() {
  spawn_options o;
  o.udp = true;
  o.startup_timeout = 10s;
  o.stop_timeout = 2s;
  return o;
}

TEST(UdpTargetProcess, StartsOnceTheServerIsBoundAndItAnswers) {
  target_process server(slow_udp_echo(), udp_spawn());
  std::string error;
  ASSERT_TRUE(server.start(error)) << error;
  EXPECT_TRUE(server.listening());
  const target where = server.where();
  ASSERT_NE(where.port, 0);
  // Sent once, at once: a server not bound yet would lose it.
  udp_socket c;
  ASSERT_TRUE(c.send_to(where.port, "ping"));
  const auto reply = c.receive();
  ASSERT_TRUE(reply) << "no answer right after start()";
  EXPECT_EQ(reply->bytes, "ping");
  EXPECT_EQ(reply->from, where.port);
  // And a script runs against it.
  const run_result r = run_udp(where.port, "send \"x\"\nexpect \"x\"\n");
  EXPECT_TRUE(r.outcome.passed) << to_string(r.outcome);
}

TEST(UdpTargetProcess, ATcpOnlyServerNeverBecomesReadyAsAUdpOne) {
  spawn_options options = udp_spawn();
  options.startup_timeout = 2s;
  target_process server(python("import socket, sys, time\n"
                               "s = socket.socket()\n"
                               "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
                               "s.bind(('127.0.0.1', int(sys.argv[1])))\n"
                               "s.listen(16)\n"
                               "time.sleep(60)\n"),
                        options);
  std::string error;
  EXPECT_FALSE(server.start(error));
  EXPECT_TRUE(mentions(error, "did not listen on UDP 127.0.0.1:")) << error;
  EXPECT_FALSE(server.running());
}

TEST(UdpTargetProcess, AUdpServerIsNotListeningForATcpSpawn) {
  spawn_options options = udp_spawn();
  options.udp = false;
  options.startup_timeout = 2s;
  target_process server(slow_udp_echo(), options);
  std::string error;
  EXPECT_FALSE(server.start(error));
  EXPECT_TRUE(mentions(error, "did not listen on 127.0.0.1:")) << error;
  EXPECT_FALSE(mentions(error, "UDP")) << error;
  EXPECT_FALSE(server.listening());
}

} // namespace
} // namespace tcpcheck::harness
