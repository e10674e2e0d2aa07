// `tcpcheck proxy` on loopback: a real client socket, the proxy, a server
// that logs every read it makes (so each disturbance is seen as the other
// side sees it), control commands, recording, and hostile traffic.
#include "tcpcheck/harness/proxy.hpp"

#include "tcpcheck/harness/reference_server.hpp"
#include "tcpcheck/harness/run.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <fcntl.h>
#include <mutex>
#include <poll.h>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "loopback_support.hpp"
#include "test_support.hpp"

namespace tcpcheck {
namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

int connect_loopback(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  if (fd < 0 || ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0)
    throw std::runtime_error("cannot connect to the proxy");
  return fd;
}

void send_text(int fd, std::string_view text) {
  ASSERT_EQ(::send(fd, text.data(), text.size(), MSG_NOSIGNAL), static_cast<ssize_t>(text.size()));
}

// Reads until `want` bytes came, the peer closed, or `limit` passed.
// Returns what came; `end` says "eof", "reset" or "" (still open).
std::string receive(int fd, std::size_t want, std::string* end = nullptr,
                    std::chrono::milliseconds limit = 5000ms) {
  std::string got;
  const auto deadline = clock_type::now() + limit;
  while (got.size() < want && clock_type::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10) <= 0) continue;
    char buffer[4096];
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n > 0) {
      got.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (end) *end = n == 0 ? "eof" : (errno == ECONNRESET ? "reset" : "error");
    return got;
  }
  return got;
}

// A server for one connection at a time that keeps every read it makes, as
// it made it (its size is what a disturbance changes), with the time it
// came; it echoes them back when asked, and reads nothing when told not to.
class logging_server {
public:
  enum class mode { log, echo, never_read };

  explicit logging_server(mode m = mode::log) : mode_(m) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener_, 8) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0)
      throw std::runtime_error("cannot listen");
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~logging_server() {
    stop_ = true;
    thread_.join();
    ::close(listener_);
  }

  std::uint16_t port() const { return port_; }
  std::vector<std::string> reads() const {
    std::lock_guard lock(mutex_);
    return reads_;
  }
  std::vector<clock_type::time_point> read_times() const {
    std::lock_guard lock(mutex_);
    return times_;
  }
  std::string all() const {
    std::string joined;
    for (const auto& r : reads())
      joined += r;
    return joined;
  }
  std::string end() const {
    std::lock_guard lock(mutex_);
    return end_;
  }

private:
  void serve() {
    while (!stop_) {
      pollfd p{listener_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      serve_one(fd);
      ::close(fd);
    }
  }

  void serve_one(int fd) {
    while (!stop_) {
      if (mode_ == mode::never_read) {
        std::this_thread::sleep_for(10ms);
        continue;
      }
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      char buffer[65536];
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      std::lock_guard lock(mutex_);
      if (n <= 0) {
        end_ = n == 0 ? "eof" : (errno == ECONNRESET ? "reset" : "error");
        return;
      }
      reads_.emplace_back(buffer, static_cast<std::size_t>(n));
      times_.push_back(clock_type::now());
      if (mode_ == mode::echo) ::send(fd, buffer, static_cast<std::size_t>(n), MSG_NOSIGNAL);
    }
  }

  mode mode_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::vector<std::string> reads_;
  std::vector<clock_type::time_point> times_;
  std::string end_;
};

disturbance words(std::string_view text) {
  std::string error;
  auto d = parse_disturbance(text, error);
  if (!d) throw std::runtime_error("bad disturbance in a test: " + error);
  return *d;
}

// The proxy on a thread of its own, stopped and joined at the end; the
// events it told, kept.
class running_proxy {
public:
  explicit running_proxy(harness::proxy_options o) : proxy_(with_events(std::move(o))) {
    thread_ = std::thread([this] {
      proxy_.run();
      returned_ = true;
    });
  }
  /// run() returned by itself (a stop condition): the summary and the
  /// recording may then be read, from this thread, without a race.
  bool returned() const { return returned_; }
  ~running_proxy() { stop(); }
  void stop() {
    if (!thread_.joinable()) return;
    proxy_.stop();
    thread_.join();
  }
  harness::proxy& operator*() { return proxy_; }
  harness::proxy* operator->() { return &proxy_; }
  std::vector<harness::proxy_event> events() const {
    std::lock_guard lock(*mutex_);
    return *events_;
  }
  bool told(harness::proxy_event::kind what, std::string_view text) const {
    for (const auto& e : events())
      if (e.what == what && e.text.find(text) != std::string::npos) return true;
    return false;
  }

private:
  harness::proxy_options with_events(harness::proxy_options o) {
    o.on_event = [events = events_, mutex = mutex_](const harness::proxy_event& e) {
      std::lock_guard lock(*mutex);
      events->push_back(e);
    };
    return o;
  }
  std::shared_ptr<std::mutex> mutex_ = std::make_shared<std::mutex>();
  std::shared_ptr<std::vector<harness::proxy_event>> events_ =
      std::make_shared<std::vector<harness::proxy_event>>();
  harness::proxy proxy_;
  std::atomic<bool> returned_{false};
  std::thread thread_;
};

harness::proxy_options to_server(std::uint16_t port, std::string framing = "raw") {
  harness::proxy_options o;
  o.upstream = {"127.0.0.1", port};
  o.framing = std::move(framing);
  o.idle_timeout = 10000ms;
  return o;
}

struct closing_fd {
  int fd;
  ~closing_fd() { ::close(fd); }
};

TEST(Proxy, ForwardsBothWaysUntouched) {
  logging_server server(logging_server::mode::echo);
  running_proxy proxy(to_server(server.port()));
  closing_fd client{connect_loopback(proxy->port())};
  send_text(client.fd, "hello, proxy\n");
  EXPECT_EQ(receive(client.fd, 13), "hello, proxy\n");
  ::close(client.fd);
  client.fd = -1;
  ASSERT_TRUE(test::eventually([&] { return server.end() == "eof"; }));
  proxy.stop();
  EXPECT_EQ(proxy->summary().accepted, 1u);
  EXPECT_EQ(proxy->summary().bytes_up, 13u);
  EXPECT_EQ(proxy->summary().bytes_down, 13u);
}

TEST(Proxy, BytewiseReachesTheServerAsSingleBytes) {
  logging_server server;
  auto o = to_server(server.port());
  o.up = words("plan=bytewise");
  running_proxy proxy(std::move(o));
  closing_fd client{connect_loopback(proxy->port())};
  send_text(client.fd, "abcdefgh");
  ASSERT_TRUE(test::eventually([&] { return server.all().size() == 8; }));
  EXPECT_EQ(server.all(), "abcdefgh");
  // Each byte is written 1 ms after the last: a server that is not held up
  // reads them one by one (one coalesced pair is tolerated for a loaded machine).
  EXPECT_GE(server.reads().size(), 7u);
}

TEST(Proxy, MergedJoinsMessagesSentBackToBack) {
  logging_server server;
  auto o = to_server(server.port(), "line");
  o.up = words("plan=merged");
  running_proxy proxy(std::move(o));
  closing_fd client{connect_loopback(proxy->port())};
  for (const char* line : {"one\n", "two\n", "three\n"}) {
    send_text(client.fd, line);
    std::this_thread::sleep_for(2ms);
  }
  ASSERT_TRUE(test::eventually([&] { return server.all().size() == 14; }));
  EXPECT_EQ(server.reads(), std::vector<std::string>{"one\ntwo\nthree\n"});
}

TEST(Proxy, CloseAfterBytesCutsTheStreamThere) {
  logging_server server;
  auto o = to_server(server.port());
  o.up = words("close-after=5");
  running_proxy proxy(std::move(o));
  closing_fd client{connect_loopback(proxy->port())};
  send_text(client.fd, "helloworld");
  ASSERT_TRUE(test::eventually([&] { return !server.end().empty(); }));
  EXPECT_EQ(server.all(), "hello");
  EXPECT_EQ(server.end(), "eof");
  std::string end;
  EXPECT_EQ(receive(client.fd, 1, &end), "");
  EXPECT_EQ(end, "eof");
}

TEST(Proxy, ResetAfterTheSecondFrame) {
  logging_server server;
  auto o = to_server(server.port(), "line");
  o.up = words("reset-after-frame=2");
  running_proxy proxy(std::move(o));
  closing_fd client{connect_loopback(proxy->port())};
  send_text(client.fd, "a\nb\nc\n");
  ASSERT_TRUE(test::eventually([&] { return !server.end().empty(); }));
  EXPECT_EQ(server.all(), "a\nb\n");
  EXPECT_EQ(server.end(), "reset");
  std::string end;
  receive(client.fd, 1, &end);
  EXPECT_EQ(end, "reset");
}

TEST(Proxy, HalfCloseEndsOneDirectionAndKeepsTheOther) {
  logging_server server(logging_server::mode::echo);
  auto o = to_server(server.port());
  o.up = words("half-close-after=3");
  running_proxy proxy(std::move(o));
  closing_fd client{connect_loopback(proxy->port())};
  send_text(client.fd, "abcdef");
  ASSERT_TRUE(test::eventually([&] { return !server.end().empty(); }));
  EXPECT_EQ(server.all(), "abc");
  EXPECT_EQ(server.end(), "eof");
  // The server's echo of what it got still reaches the client.
  std::string end;
  EXPECT_EQ(receive(client.fd, 4, &end), "abc");
}

TEST(Proxy, BlackholeForwardsNothingAndClosesNothing) {
  logging_server server;
  auto o = to_server(server.port());
  o.up = words("blackhole");
  running_proxy proxy(std::move(o));
  closing_fd client{connect_loopback(proxy->port())};
  send_text(client.fd, "into the void");
  std::string end;
  EXPECT_EQ(receive(client.fd, 1, &end, 300ms), "");
  EXPECT_EQ(end, ""); // still open
  EXPECT_TRUE(server.reads().empty());
  EXPECT_EQ(server.end(), "");
}

TEST(Proxy, LatencyHoldsEveryReply) {
  logging_server server(logging_server::mode::echo);
  auto o = to_server(server.port());
  o.down = words("latency=120ms");
  running_proxy proxy(std::move(o));
  closing_fd client{connect_loopback(proxy->port())};
  const auto sent = clock_type::now();
  send_text(client.fd, "ping");
  EXPECT_EQ(receive(client.fd, 4), "ping");
  EXPECT_GE(clock_type::now() - sent, 120ms);
}

TEST(Proxy, StallHoldsWhatComesAfterItsPoint) {
  logging_server server;
  auto o = to_server(server.port());
  o.up = words("stall=2:150ms");
  running_proxy proxy(std::move(o));
  closing_fd client{connect_loopback(proxy->port())};
  send_text(client.fd, "abcd");
  ASSERT_TRUE(test::eventually([&] { return server.all().size() == 4; }));
  const auto reads = server.reads();
  const auto times = server.read_times();
  ASSERT_EQ(reads.size(), 2u);
  EXPECT_EQ(reads[0], "ab");
  EXPECT_EQ(reads[1], "cd");
  EXPECT_GE(times[1] - times[0], 140ms);
}

TEST(Proxy, UpstreamThatRefusesResetsTheClient) {
  test::refusing_port nobody;
  running_proxy proxy(to_server(nobody.port()));
  closing_fd client{connect_loopback(proxy->port())};
  std::string end;
  receive(client.fd, 1, &end);
  EXPECT_EQ(end, "reset");
  ASSERT_TRUE(test::eventually(
      [&] { return proxy.told(harness::proxy_event::kind::refused, "did not accept"); }));
}

TEST(Proxy, ConnectionsOverTheLimitAreRefused) {
  logging_server server;
  auto o = to_server(server.port());
  o.most_connections = 1;
  running_proxy proxy(std::move(o));
  closing_fd first{connect_loopback(proxy->port())};
  send_text(first.fd, "x");
  ASSERT_TRUE(test::eventually([&] { return server.all() == "x"; }));
  closing_fd second{connect_loopback(proxy->port())};
  std::string end;
  receive(second.fd, 1, &end);
  EXPECT_EQ(end, "reset");
  EXPECT_TRUE(proxy.told(harness::proxy_event::kind::refused, "1 connections are open"));
}

// The control socket: one line a command, one line an answer.
class control_client {
public:
  explicit control_client(std::uint16_t port) : fd_(connect_loopback(port)) {}
  ~control_client() { ::close(fd_); }
  std::string ask(std::string_view line) {
    std::string text(line);
    text += '\n';
    send_text(fd_, text);
    std::string answer;
    const auto deadline = clock_type::now() + 5s;
    while (answer.find('\n') == std::string::npos && clock_type::now() < deadline) {
      std::string end;
      const std::string part = receive(fd_, 1, &end, 100ms);
      answer += part;
      if (!end.empty()) break;
    }
    if (!answer.empty() && answer.back() == '\n') answer.pop_back();
    return answer;
  }

private:
  int fd_;
};

TEST(Proxy, ControlChangesTheDisturbanceWhileItRuns) {
  logging_server server;
  auto o = to_server(server.port());
  o.control = harness::target{"127.0.0.1", 0};
  running_proxy proxy(std::move(o));
  ASSERT_NE(proxy->control_port(), 0);
  control_client control(proxy->control_port());
  EXPECT_EQ(control.ask("show"), "ok up=none | down=none");

  closing_fd open_before{connect_loopback(proxy->port())};
  send_text(open_before.fd, "x");
  ASSERT_TRUE(test::eventually([&] { return server.all() == "x"; }));
  EXPECT_EQ(control.ask("set up blackhole"), "ok up=blackhole | down=none");
  send_text(open_before.fd, "y");
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(server.all(), "x"); // the open connection's new bytes are swallowed
  EXPECT_EQ(control.ask("connections"), "ok 1 open, 1 accepted");
  EXPECT_EQ(control.ask("cut"), "ok cut 1");
  std::string end;
  receive(open_before.fd, 1, &end);
  EXPECT_EQ(end, "reset");
  EXPECT_EQ(control.ask("clear"), "ok up=none | down=none");
}

TEST(Proxy, ControlRefusesBadCommandsAndLongLines) {
  logging_server server;
  auto o = to_server(server.port());
  o.control = harness::target{"127.0.0.1", 0};
  running_proxy proxy(std::move(o));
  control_client control(proxy->control_port());
  EXPECT_EQ(control.ask("launch rockets").rfind("error: ", 0), 0u);
  EXPECT_EQ(control.ask("set up plan=pipeline").rfind("error: ", 0), 0u);
  EXPECT_EQ(control.ask("show"), "ok up=none | down=none"); // still answering
  const std::string answer = control.ask(std::string(longest_control_line + 10, 'x'));
  EXPECT_NE(answer.find("longer than"), std::string::npos) << answer;
}

TEST(Proxy, TheControlSocketListensOnLoopbackOnly) {
  logging_server server;
  auto o = to_server(server.port());
  o.control = harness::target{"0.0.0.0", 0};
  EXPECT_THROW(harness::proxy{o}, std::invalid_argument);
}

TEST(Proxy, RecordsAConversationThatReplays) {
  harness::reference_server greeting(harness::reference_protocol::greeting);
  auto o = to_server(greeting.port(), "line");
  o.record = recording_options{};
  o.record->description = "greeting, recorded";
  o.stop_after_connections = 1;
  running_proxy proxy(std::move(o));
  {
    closing_fd client{connect_loopback(proxy->port())};
    EXPECT_EQ(receive(client.fd, 9), "Welcome!\n");
    send_text(client.fd, "alice\n");
    EXPECT_EQ(receive(client.fd, 13), "Hello, alice\n");
    send_text(client.fd, "exit\n");
    std::string end;
    EXPECT_EQ(receive(client.fd, 100, &end), "Good bye!\n");
    EXPECT_EQ(end, "eof");
  }
  // --connections 1: the proxy stops by itself once the connection ended.
  ASSERT_TRUE(test::eventually([&] { return proxy.returned(); }));
  proxy.stop();
  auto recorded = proxy->recording();
  ASSERT_TRUE(recorded);
  const script& s = recorded->first;
  const std::string text = to_string(s);
  EXPECT_NE(text.find("expect \"Welcome!\""), std::string::npos) << text;
  EXPECT_NE(text.find("send \"alice\""), std::string::npos) << text;
  EXPECT_NE(text.find("expect \"Hello, alice\""), std::string::npos) << text;
  EXPECT_NE(text.find("expect \"Good bye!\""), std::string::npos) << text;

  const auto replay = harness::run_script({"127.0.0.1", greeting.port()}, s, test::spec_of("line"),
                                          delivery_plan{});
  EXPECT_TRUE(replay.outcome.passed) << text << "\n" << replay.outcome.reason;
}

TEST(Proxy, KeepsDecodingErrorsApartAndForwardsTheBytes) {
  logging_server server;
  auto o = to_server(server.port(), "len:u32be,max=1024");
  running_proxy proxy(std::move(o));
  closing_fd client{connect_loopback(proxy->port())};
  const std::string huge_length("\xff\xff\xff\xff"
                                "abc",
                                7);
  send_text(client.fd, huge_length);
  ASSERT_TRUE(test::eventually([&] { return server.all().size() == 7; }));
  EXPECT_EQ(server.all(), huge_length);
  ASSERT_TRUE(test::eventually(
      [&] { return proxy.told(harness::proxy_event::kind::decode_error, "offset 0"); }));
}

// A flood toward a server that never reads: the proxy stops reading once
// it holds its bound, so the client's writes stop being taken.
TEST(Proxy, AFloodTowardAServerThatNeverReadsIsHeldBack) {
  logging_server server(logging_server::mode::never_read);
  running_proxy proxy(to_server(server.port()));
  closing_fd client{connect_loopback(proxy->port())};
  ::fcntl(client.fd, F_SETFL, O_NONBLOCK);
  const std::string block(1 << 16, 'z');
  std::size_t taken = 0;
  auto last_progress = clock_type::now();
  const auto deadline = clock_type::now() + 20s;
  while (clock_type::now() - last_progress < 500ms && clock_type::now() < deadline) {
    const ssize_t n = ::send(client.fd, block.data(), block.size(), MSG_NOSIGNAL);
    if (n > 0) {
      taken += static_cast<std::size_t>(n);
      last_progress = clock_type::now();
    } else {
      std::this_thread::sleep_for(5ms);
    }
  }
  // Kernel buffers on both legs (autotuned to a few MiB each) plus the
  // proxy's bound, and nowhere near what 20 s of loopback would carry.
  EXPECT_LT(taken, 48u << 20);
  EXPECT_GT(taken, 0u);
  EXPECT_LT(clock_type::now(), deadline) << "the proxy kept taking bytes";
}

} // namespace
} // namespace tcpcheck
