// The buggy servers and the recording server: blocking POSIX sockets, one thread per connection.
#include "buggy_servers.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <mutex>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <sys/time.h>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <utility>

namespace tcpcheck::test {

namespace {

// A send that the client does not drain gives up after this, so stop()
// never waits on a full socket buffer.
constexpr int send_timeout_seconds = 2;
// What single_read_framing accepts as a length before it gives up on a client.
constexpr std::int64_t largest_body = 1 << 20;

std::system_error os_error(const char* what) {
  return std::system_error(errno, std::generic_category(), what);
}

// Waits until `fd` has something to report (bytes, EOF, an error, a
// connection to accept); false when the wake-up pipe says the server stops.
bool wait_readable(int fd, int wake_fd) {
  std::array<pollfd, 2> fds{{{fd, POLLIN, 0}, {wake_fd, POLLIN, 0}}};
  for (;;) {
    const int ready = ::poll(fds.data(), fds.size(), -1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0 || fds[1].revents != 0) return false;
    if (fds[0].revents != 0) return true;
  }
}

// One accepted connection, as a handler sees it.
class client {
public:
  client(int fd, int wake_fd) : fd_(fd), wake_fd_(wake_fd) {}

  /// One recv() of at most `size` bytes: the count, 0 at EOF or when the
  /// server stops, -1 on an error (error() says which).
  std::ptrdiff_t recv_once(void* into, std::size_t size) {
    if (!wait_readable(fd_, wake_fd_)) return 0;
    for (;;) {
      const ssize_t got = ::recv(fd_, into, size, 0);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) error_ = errno;
      return got;
    }
  }

  bool send_all(std::string_view bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        error_ = n < 0 ? errno : EPIPE;
        return false;
      }
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }

  /// One send() that does not wait for room in the socket buffer; what it
  /// did not take is dropped (the bug of ignores_short_send).
  void send_once(std::string_view bytes) {
    ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  }

  /// The next line, read correctly (across as many reads as it takes),
  /// without its "\n" or "\r\n"; false at EOF, on an error or on stop.
  bool read_line(std::string& line) {
    for (;;) {
      // Only the bytes not searched yet: a line of megabytes comes in
      // thousands of reads.
      const std::size_t end = pending_.find('\n', searched_);
      if (end != std::string::npos) {
        line = pending_.substr(0, end);
        pending_.erase(0, end + 1);
        searched_ = 0;
        if (line.ends_with('\r')) line.pop_back();
        return true;
      }
      searched_ = pending_.size();
      std::array<char, 4096> buffer{};
      const std::ptrdiff_t n = recv_once(buffer.data(), buffer.size());
      if (n <= 0) return false;
      pending_.append(buffer.data(), static_cast<std::size_t>(n));
    }
  }

  /// errno of the last failed recv() or send(); 0 if none failed.
  int error() const noexcept { return error_; }

private:
  int fd_;
  int wake_fd_;
  int error_ = 0;
  std::string pending_;
  std::size_t searched_ = 0; // bytes of pending_ known to hold no line feed
};

// The listening side the servers share: 127.0.0.1:0, an accept thread, a
// thread per connection (or none: one_at_a_time), and a bounded stop.
class listener {
public:
  using handler = std::function<void(client&, std::size_t index)>;

  listener(bool one_at_a_time, handler serve)
      : one_at_a_time_(one_at_a_time), serve_(std::move(serve)) {
    if (::pipe2(wake_.data(), O_CLOEXEC) != 0) throw os_error("pipe2");
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) {
      const auto error = os_error("socket");
      close_pipe();
      throw error;
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof address;
    if (::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listen_fd_, 16) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      const auto error = os_error("bind/listen");
      ::close(listen_fd_);
      close_pipe();
      throw error;
    }
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }

  ~listener() { stop(); }
  listener(const listener&) = delete;
  listener& operator=(const listener&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  std::size_t accepted() const noexcept { return accepted_; }

  /// Wakes every wait: the accept loop ends (closing the listening socket)
  /// and so does every connection. Safe from a handler; joins nothing.
  void halt() {
    if (halted_.exchange(true)) return;
    const char byte = 1;
    while (::write(wake_[1], &byte, 1) < 0 && errno == EINTR) {
    }
  }

  void stop() {
    const std::lock_guard once(stop_mutex_);
    if (stopped_) return;
    stopped_ = true;
    halt();
    if (acceptor_.joinable()) acceptor_.join();
    // The accept loop has ended: no handler starts after this.
    std::vector<std::thread> handlers;
    {
      const std::lock_guard lock(mutex_);
      handlers.swap(handlers_);
    }
    for (auto& t : handlers)
      t.join();
    close_pipe();
  }

private:
  void close_pipe() {
    for (int& fd : wake_)
      if (fd >= 0) ::close(std::exchange(fd, -1));
  }

  void accept_loop() {
    while (wait_readable(listen_fd_, wake_[0])) {
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue; // EAGAIN (the client left first), ECONNABORTED, EMFILE: poll again
      const int on = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
      const timeval limit{send_timeout_seconds, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
      const std::size_t index = accepted_++;
      if (one_at_a_time_) {
        // Bug (c): the accept loop serves the connection itself; the next
        // client waits in the backlog until this one leaves.
        serve(fd, index);
        continue;
      }
      const std::lock_guard lock(mutex_);
      handlers_.emplace_back([this, fd, index] { serve(fd, index); });
    }
    // A server that stopped (or died) refuses new connections at once.
    ::close(listen_fd_);
  }

  void serve(int fd, std::size_t index) {
    client c(fd, wake_[0]);
    serve_(c, index);
    ::close(fd);
  }

  const bool one_at_a_time_;
  const handler serve_;
  std::array<int, 2> wake_{-1, -1};
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<std::size_t> accepted_{0};
  std::atomic<bool> halted_{false};
  std::mutex mutex_;
  std::vector<std::thread> handlers_;
  std::mutex stop_mutex_;
  bool stopped_ = false;
  std::thread acceptor_;
};

// Bug (a): "data = conn.recv(1024)" taken as one whole name.
void one_read_hello(client& c) {
  if (!c.send_all("Server: Welcome!\n")) return;
  std::array<char, 1024> buffer{};
  for (;;) {
    if (!c.send_all("What's your name?\n")) return;
    const std::ptrdiff_t n = c.recv_once(buffer.data(), buffer.size());
    if (n <= 0) return;
    std::string name(buffer.data(), static_cast<std::size_t>(n));
    // The line end is dropped, as the articles' .strip() does.
    if (name.ends_with('\n')) name.pop_back();
    if (name.ends_with('\r')) name.pop_back();
    if (name == "exit") {
      c.send_all("Good bye!\n");
      return;
    }
    if (!c.send_all("Hello " + name + "!\n")) return;
  }
}

// The hello conversation done right, line by line.
void hello(client& c) {
  if (!c.send_all("Server: Welcome!\nWhat's your name?\n")) return;
  std::string name;
  while (c.read_line(name)) {
    if (name == "exit") {
      c.send_all("Good bye!\n");
      return;
    }
    if (!c.send_all("Hello " + name + "!\nWhat's your name?\n")) return;
  }
}

std::string le32(std::uint32_t value) {
  std::string out(4, '\0');
  for (std::size_t i = 0; i < 4; ++i)
    out[i] = static_cast<char>((value >> (8 * i)) & 0xff);
  return out;
}

// Bug (b): "header = conn.recv(4)" then "conn.recv(header_len)", each taken
// as complete. A short header keeps the zeros it was cleared to; a short
// body is echoed short.
void single_read_lenprefix(client& c) {
  for (;;) {
    std::array<std::uint8_t, 4> header{};
    if (c.recv_once(header.data(), header.size()) <= 0) return;
    std::int32_t length = 0;
    std::memcpy(&length, header.data(), sizeof length); // i32le on every host this runs on
    if (length < 0 || length > largest_body) return;    // unpacked nonsense: give up on the client
    std::string body(static_cast<std::size_t>(length), '\0');
    std::size_t got = 0;
    if (length > 0) {
      const std::ptrdiff_t n = c.recv_once(body.data(), body.size());
      if (n <= 0) return;
      got = static_cast<std::size_t>(n);
    }
    body.resize(got);
    if (!c.send_all(le32(static_cast<std::uint32_t>(got)) + body)) return;
  }
}

// Bug (e): the hello conversation, its answers each sent with one send()
// whose count is ignored, as `conn.send(reply)` on a socket with a timeout
// (non-blocking inside) does.
void short_send_hello(client& c) {
  c.send_once("Server: Welcome!\nWhat's your name?\n");
  std::string name;
  while (c.read_line(name)) {
    if (name == "exit") {
      c.send_once("Good bye!\n");
      return;
    }
    c.send_once("Hello " + name + "!\nWhat's your name?\n");
  }
}

void drop_everything(client& c) {
  std::array<char, 4096> buffer{};
  while (c.recv_once(buffer.data(), buffer.size()) > 0) {
  }
}

} // namespace

struct buggy_server::impl {
  explicit impl(server_bug bug)
      : server(bug == server_bug::one_client_at_a_time,
               [this, bug](client& c, std::size_t index) { serve(bug, c, index); }) {}

  void serve(server_bug bug, client& c, std::size_t index) {
    switch (bug) {
    case server_bug::one_read_is_one_message:
      one_read_hello(c);
      return;
    case server_bug::single_read_framing:
      single_read_lenprefix(c);
      return;
    case server_bug::one_client_at_a_time:
      hello(c);
      return;
    case server_bug::dies_on_reset:
      hello(c);
      // Bug (d): one client's reset is treated as the server's own failure.
      if (c.error() == ECONNRESET || c.error() == EPIPE) {
        dead = true;
        server.halt();
      }
      return;
    case server_bug::never_answers:
      drop_everything(c);
      return;
    case server_bug::silent_after_two:
      if (index < 2) {
        hello(c);
      } else {
        drop_everything(c);
      }
      return;
    case server_bug::ignores_short_send:
      short_send_hello(c);
      return;
    }
  }

  std::atomic<bool> dead{false};
  listener server; // last: its threads use the members above
};

buggy_server::buggy_server(server_bug bug) : impl_(std::make_unique<impl>(bug)) {}

buggy_server::~buggy_server() {
  stop();
}

std::uint16_t buggy_server::port() const noexcept {
  return impl_->server.port();
}

bool buggy_server::dead() const noexcept {
  return impl_->dead;
}

std::size_t buggy_server::accepted() const noexcept {
  return impl_->server.accepted();
}

void buggy_server::stop() {
  impl_->server.stop();
}

struct recording_server::impl {
  impl(std::string hello, std::chrono::milliseconds pause)
      : greeting(std::move(hello)), read_pause(pause),
        server(false, [this](client& c, std::size_t index) { serve(c, index); }) {}

  void serve(client& c, std::size_t index) {
    {
      const std::lock_guard lock(mutex);
      if (reads.size() <= index) reads.resize(index + 1);
    }
    std::vector<std::uint8_t> buffer(64 * 1024);
    bool open = c.send_all(greeting);
    while (open) {
      if (read_pause.count() > 0) std::this_thread::sleep_for(read_pause);
      const std::ptrdiff_t n = c.recv_once(buffer.data(), buffer.size());
      if (n <= 0) break;
      {
        const std::lock_guard lock(mutex);
        reads[index].push_back(static_cast<std::size_t>(n));
      }
      open =
          c.send_all({reinterpret_cast<const char*>(buffer.data()), static_cast<std::size_t>(n)});
    }
    const std::lock_guard lock(mutex);
    ++ended;
    changed.notify_all();
  }

  const std::string greeting;
  const std::chrono::milliseconds read_pause;
  mutable std::mutex mutex;
  mutable std::condition_variable changed;
  std::vector<std::vector<std::size_t>> reads;
  std::size_t ended = 0;
  listener server; // last: its threads use the members above
};

recording_server::recording_server(std::string greeting, std::chrono::milliseconds read_pause)
    : impl_(std::make_unique<impl>(std::move(greeting), read_pause)) {}

recording_server::~recording_server() {
  stop();
}

std::uint16_t recording_server::port() const noexcept {
  return impl_->server.port();
}

void recording_server::stop() {
  impl_->server.stop();
}

bool recording_server::wait_until_ended(std::size_t count, std::chrono::milliseconds limit) const {
  std::unique_lock lock(impl_->mutex);
  return impl_->changed.wait_for(lock, limit, [&] { return impl_->ended >= count; });
}

std::size_t recording_server::connections() const {
  return impl_->server.accepted();
}

std::vector<std::size_t> recording_server::reads(std::size_t index) const {
  const std::lock_guard lock(impl_->mutex);
  return index < impl_->reads.size() ? impl_->reads[index] : std::vector<std::size_t>{};
}

} // namespace tcpcheck::test
