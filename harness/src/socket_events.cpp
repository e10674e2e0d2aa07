// The epoll set behind the runner's TCP sockets (socket_events.hpp).
#include "socket_events.hpp"

#include <array>
#include <cerrno>
#include <sys/epoll.h>
#include <unistd.h>

namespace tcpcheck::harness {

asio::io_context::id socket_events::id;

namespace {

// A token is a slot's index and the slot's generation when it was handed
// out: an event taken for a socket removed since finds another generation.
std::uint64_t token_of(std::uint32_t index, std::uint32_t generation) {
  return static_cast<std::uint64_t>(generation) << 32 | index;
}

} // namespace

socket_events::socket_events(asio::io_context& io) : asio::io_context::service(io), set_(io) {
  epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
  // Without a set, add() says why for each socket.
  if (epoll_ >= 0) set_.assign(epoll_);
}

socket_events::~socket_events() {
  shutdown();
}

void socket_events::shutdown() {
  if (closed_) return;
  closed_ = true;
  std::error_code ignored;
  set_.close(ignored); // closes epoll_ too
}

std::error_code socket_events::add(int fd, watcher& to, std::uint64_t& token) {
  if (epoll_ < 0 || closed_) return std::make_error_code(std::errc::bad_file_descriptor);
  std::uint32_t index;
  if (!free_slots_.empty()) {
    index = free_slots_.back();
    free_slots_.pop_back();
  } else {
    index = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  slot& s = slots_[index];
  s.to = &to;
  token = token_of(index, s.generation);
  epoll_event wanted{};
  wanted.events = EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  wanted.data.u64 = token;
  if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &wanted) == 0) return {};
  const std::error_code failed(errno, std::system_category());
  remove(token);
  return failed;
}

void socket_events::remove(std::uint64_t token) {
  const auto index = static_cast<std::uint32_t>(token);
  if (index >= slots_.size() || slots_[index].generation != token >> 32) return;
  slot& s = slots_[index];
  s.to = nullptr;
  ++s.generation;
  free_slots_.push_back(index);
}

void socket_events::wait_begins() {
  ++waiting_;
  watch();
}

void socket_events::wait_ends() {
  if (waiting_ > 0) --waiting_;
  // Nothing waits: a pending wait would keep run() from returning.
  if (waiting_ == 0 && wait_armed_) {
    std::error_code ignored;
    set_.cancel(ignored);
  }
}

void socket_events::watch() {
  if (wait_armed_ || look_posted_ || waiting_ == 0 || closed_ || epoll_ < 0) return;
  wait_armed_ = true;
  set_.async_wait(asio::posix::stream_descriptor::wait_read, [this](std::error_code ec) {
    wait_armed_ = false;
    if (!ec) return look();
    // Cancelled when nothing waited; something may wait again since.
    if (ec == asio::error::operation_aborted) watch();
  });
}

void socket_events::look() {
  std::array<epoll_event, 64> taken;
  int n = ::epoll_wait(epoll_, taken.data(), static_cast<int>(taken.size()), 0);
  if (n < 0) n = 0; // EINTR: the next look takes them
  for (int i = 0; i < n; ++i) {
    const std::uint64_t token = taken[i].data.u64;
    const auto index = static_cast<std::uint32_t>(token);
    // A socket an earlier event's handler removed is skipped.
    if (index < slots_.size() && slots_[index].generation == token >> 32 && slots_[index].to)
      slots_[index].to->on_events(taken[i].events);
  }
  if (n == 0 || waiting_ == 0 || closed_) return watch();
  // More may come while the handlers just run are answered: look again
  // after the io_context's other work, without re-arming the wait.
  look_posted_ = true;
  asio::post(get_io_context(), [this] {
    look_posted_ = false;
    if (!closed_) look();
  });
}

} // namespace tcpcheck::harness
