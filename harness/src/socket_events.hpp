// One edge-triggered epoll set per io_context, for the sockets the script
// runner connects: each socket is registered once, for reading and writing,
// and told when it becomes readable or writable.
//
// Why not Asio's reactor for these sockets: Asio 1.22 tries every read at
// once before it waits, and that read finds nothing once a message (the
// reply cannot have come yet), while a wait without that read costs an
// epoll_ctl each time. Here a socket remembers whether it was drained and
// only reads once an edge says new bytes came: one recv per message.
//
// The set is itself a descriptor in Asio's reactor, so timers, posted
// handlers and the other sockets of the io_context keep working: when it
// is readable, its events are taken with epoll_wait and handed out. While
// events keep coming, the next look is posted rather than waited for (no
// epoll_ctl to re-arm the wait); the wait is re-armed once a look finds
// nothing. It is armed only while some socket waits for an event, so an
// io_context with nothing to do still returns from run().
//
// One thread runs each io_context (run_sessions), so nothing here locks,
// and a transport calls the handlers an event completes from the look
// itself rather than through its strand: no other handler can be running.
// Nothing is lost when the wait is armed after an edge came: Asio 1.22
// re-arms a descriptor's wait with epoll_ctl(MOD), which reports a set
// already readable.
#pragma once

#include <cstdint>
#include <system_error>
#include <vector>

#include <asio.hpp>

namespace tcpcheck::harness {

class socket_events : public asio::io_context::service {
public:
  /// What a registered socket is told: the epoll events that came.
  class watcher {
  public:
    virtual void on_events(std::uint32_t events) = 0;

  protected:
    ~watcher() = default;
  };

  static asio::io_context::id id;

  explicit socket_events(asio::io_context& io);
  ~socket_events() override;
  socket_events(const socket_events&) = delete;
  socket_events& operator=(const socket_events&) = delete;

  /// Registers `fd` for edges of reading, urgent bytes, writing, the
  /// peer's FIN and errors, told to `to`; the token names it for remove().
  std::error_code add(int fd, watcher& to, std::uint64_t& token);
  /// Forgets the socket `token` names: call it before closing the socket or
  /// destroying its watcher. Events already taken for it are dropped.
  void remove(std::uint64_t token);

  /// A socket waits for an event; the set is watched until it stops.
  void wait_begins();
  /// A socket stopped waiting (its event came, or it was closed).
  void wait_ends();

private:
  void shutdown() override;
  void watch();
  void look();

  struct slot {
    watcher* to = nullptr;
    std::uint32_t generation = 0;
  };

  int epoll_ = -1;
  asio::posix::stream_descriptor set_;
  std::vector<slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::size_t waiting_ = 0;
  bool wait_armed_ = false;  // a wait for the set is pending in the reactor
  bool look_posted_ = false; // a look is queued in the io_context
  bool closed_ = false;
};

} // namespace tcpcheck::harness
