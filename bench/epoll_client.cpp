// A minimal event-driven greeting client: the harness bench's reference point.
#include "epoll_client.hpp"

#include <array>
#include <cerrno>
#include <string>
#include <string_view>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <unordered_map>

#include "bench_support.hpp"

namespace tcpcheck::bench {

namespace {

struct conversation {
  std::size_t replies_seen = 0;
  std::string pending; // bytes of a reply not ended by its newline yet
};

enum class progress { going, done, failed };

// Handles what arrived on `fd`: checks each whole reply and answers it.
progress on_bytes(int fd, conversation& c, std::string_view bytes) {
  c.pending.append(bytes);
  while (c.pending.find('\n') != std::string::npos) {
    if (c.replies_seen == greeting_replies.size() ||
        !take_line(c.pending, greeting_replies[c.replies_seen]))
      return progress::failed;
    if (c.replies_seen < greeting_sayings.size() && !say_line(fd, greeting_sayings[c.replies_seen]))
      return progress::failed;
    ++c.replies_seen;
  }
  return progress::going;
}

// Reads what epoll says is there; the conversation is done at the server's
// close after the last reply.
progress on_readable(int fd, conversation& c) {
  char buffer[4096];
  const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
  if (n > 0) return on_bytes(fd, c, std::string_view(buffer, static_cast<std::size_t>(n)));
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return progress::going;
  return n == 0 && c.replies_seen == greeting_replies.size() && c.pending.empty()
             ? progress::done
             : progress::failed;
}

// A connection started on `epoll`, registered for reading once; its first
// readable event is the welcome (or the connect's failure).
int start(int epoll, std::uint16_t port) {
  const int fd = connect_to_loopback(port, SOCK_NONBLOCK);
  if (fd < 0) return -1;
  epoll_event want{};
  want.events = EPOLLIN;
  want.data.fd = fd;
  if (epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &want) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

} // namespace

std::size_t epoll_conversations(std::uint16_t port, std::size_t count, std::size_t at_once) {
  const int epoll = epoll_create1(0);
  if (epoll < 0) return count;
  std::unordered_map<int, conversation> open;
  std::size_t started = 0, failed = 0;
  const auto refill = [&] {
    while (open.size() < at_once && started < count) {
      ++started;
      const int fd = start(epoll, port);
      if (fd < 0)
        ++failed;
      else
        open.emplace(fd, conversation{});
    }
  };
  refill();
  std::array<epoll_event, 64> events;
  while (!open.empty()) {
    const int ready = epoll_wait(epoll, events.data(), static_cast<int>(events.size()), 5000);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break; // 5 s with no news from any: what is still open fails below
    for (int i = 0; i < ready; ++i) {
      const int fd = events[static_cast<std::size_t>(i)].data.fd;
      const progress p = on_readable(fd, open.at(fd));
      if (p == progress::going) continue;
      failed += p == progress::failed ? 1 : 0;
      close(fd); // leaves the epoll set with it
      open.erase(fd);
    }
    refill();
  }
  for (const auto& [fd, c] : open)
    close(fd);
  failed += open.size() + (count - started);
  close(epoll);
  return failed;
}

} // namespace tcpcheck::bench
