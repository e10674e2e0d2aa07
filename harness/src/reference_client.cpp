// The reference clients: the greeting protocol's client side, over a POSIX socket and poll().
#include "tcpcheck/harness/reference_client.hpp"

#include "tcpcheck/bytes.hpp"
#include "tcpcheck/error.hpp"
#include "tcpcheck/frame_decoder.hpp"
#include "tcpcheck/framing_spec.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <cerrno>
#include <deque>
#include <memory>
#include <netinet/in.h>
#include <poll.h>
#include <span>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/types.h>
#include <system_error>
#include <unistd.h>
#include <utility>

namespace tcpcheck::harness {

namespace {

using std::chrono::milliseconds;

// What the client says, in order, each after reading the previous answer.
constexpr std::array<std::string_view, 4> names = {"Michael", "Tracy", "Sarah", "exit"};
// The seed articles' conn.recv(4096): the most one naive read takes.
constexpr std::size_t naive_read_size = 4096;
constexpr std::size_t line_read_size = 16 * 1024;

std::string quoted(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

// "127.0.0.1:5555", "[::1]:5555"
std::string endpoint_text(const std::string& host, std::uint16_t port) {
  const bool bare_ipv6 = host.find(':') != std::string::npos && host.front() != '[';
  return (bare_ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string duration_text(milliseconds duration) {
  return std::to_string(duration.count()) + " ms";
}

// What an errno from connect, send or recv means, in the server's terms.
std::string connection_error(int error) {
  if (error == ECONNRESET) return "the server reset the connection";
  if (error == EPIPE) return "the server closed the connection";
  return "the connection failed: " + std::generic_category().message(error);
}

bool would_block(int error) {
  return error == EAGAIN || error == EWOULDBLOCK || error == EINTR;
}

// ---- the socket

class socket_fd {
public:
  explicit socket_fd(int fd) noexcept : fd_(fd) {}
  ~socket_fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  socket_fd(const socket_fd&) = delete;
  socket_fd& operator=(const socket_fd&) = delete;

  int get() const noexcept { return fd_; }
  bool valid() const noexcept { return fd_ >= 0; }

private:
  int fd_;
};

struct socket_address {
  sockaddr_storage storage{};
  socklen_t size = 0;

  int family() const noexcept { return storage.ss_family; }
  const sockaddr* get() const noexcept { return reinterpret_cast<const sockaddr*>(&storage); }
};

// The loopback address `host` names (127.0.0.0/8, ::1 or [::1], localhost),
// as run.cpp's `connect` accepts them; nullopt for anything else, names of
// other hosts included: nothing is resolved.
std::optional<socket_address> loopback_address(std::string host, std::uint16_t port) {
  if (host == "localhost") host = "127.0.0.1";
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  socket_address address;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&address.storage);
  if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    if (ntohl(v4->sin_addr.s_addr) >> 24 != 127) return std::nullopt;
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    address.size = sizeof *v4;
    return address;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&address.storage);
  if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) != 1 ||
      !IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr))
    return std::nullopt;
  v6->sin6_family = AF_INET6;
  v6->sin6_port = htons(port);
  address.size = sizeof *v6;
  return address;
}

// Whether `fd` is ready for `events` (or has an error or hang-up to tell)
// within `limit`. A signal restarts the wait with the time that is left.
bool ready_within(int fd, short events, milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd watched{fd, events, 0};
    const int ready = ::poll(&watched, 1, static_cast<int>(std::max<long long>(left.count(), 0)));
    if (ready > 0) return true;
    if (ready == 0 || errno != EINTR) return false;
  }
}

// Connects the non-blocking `fd` within `limit`; false with `why`.
bool connect_within(int fd, const socket_address& to, milliseconds limit, std::string& why) {
  if (::connect(fd, to.get(), to.size) == 0) return true;
  if (errno != EINPROGRESS && errno != EINTR) {
    why = std::generic_category().message(errno);
    return false;
  }
  if (!ready_within(fd, POLLOUT, limit)) {
    why = "no connection within " + duration_text(limit);
    return false;
  }
  int error = 0;
  socklen_t size = sizeof error;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) != 0) error = errno;
  if (error == 0) return true;
  why = std::generic_category().message(error);
  return false;
}

// One read: bytes, the server's close (size 0), or why neither.
struct read_result {
  std::size_t size = 0;
  std::string failure; ///< a reset, silence, ...; empty when the read happened
};

read_result read_some(int fd, std::span<char> into, milliseconds limit) {
  for (;;) {
    if (!ready_within(fd, POLLIN, limit))
      return {0, "the server sent nothing for " + duration_text(limit)};
    const ssize_t n = ::recv(fd, into.data(), into.size(), 0);
    if (n >= 0) return {static_cast<std::size_t>(n), {}};
    if (!would_block(errno)) return {0, connection_error(errno)};
  }
}

// Sends `text` and an LF. MSG_NOSIGNAL: a server that has gone is a
// reason to report, not a SIGPIPE.
bool send_line(int fd, std::string_view text, milliseconds limit, std::string& why) {
  const std::string line = std::string(text) + '\n';
  std::string_view rest = line;
  while (!rest.empty()) {
    const ssize_t n = ::send(fd, rest.data(), rest.size(), MSG_NOSIGNAL);
    if (n > 0) {
      rest.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && !would_block(errno)) {
      why = connection_error(errno) + " before the client could send " + quoted(text);
      return false;
    }
    if (!ready_within(fd, POLLOUT, limit)) {
      why = "the server took nothing of " + quoted(text) + " for " + duration_text(limit);
      return false;
    }
  }
  return true;
}

// ---- how each client cuts the stream into messages

class message_source {
public:
  virtual ~message_source() = default;
  /// The server's next message; false with `why` when there is none.
  virtual bool next(std::string& message, std::string& why) = 0;
  /// After the last message: whether the server closes; false with `why`.
  virtual bool closes(std::string& why) = 0;
};

framing_spec line_spec(std::size_t max_line) {
  const std::string text = "line,max=" + std::to_string(max_line);
  spec_error error;
  auto spec = parse_framing_spec(text, error);
  if (!spec) throw std::invalid_argument("reference client: '" + text + "': " + to_string(error));
  return *std::move(spec);
}

// `greeting`: lines cut by tcpcheck's decoder (the scripts' `framing line`:
// an LF, and one CR before it, end a line), so a message is whole however
// the reads cut it, and several in one read are several messages.
class line_source final : public message_source {
public:
  line_source(int fd, const reference_client_limits& limits)
      : fd_(fd), silence_limit_(limits.silence_limit), decoder_(line_spec(limits.max_line)) {}

  bool next(std::string& message, std::string& why) override {
    while (lines_.empty())
      if (!read_more(why)) return false;
    message = std::move(lines_.front());
    lines_.pop_front();
    return true;
  }

  // Strict: the protocol ends with the server's close, so a byte more, even
  // a whole line, is the server's fault.
  bool closes(std::string& why) override {
    if (!lines_.empty() || decoder_.buffered() != 0 || !broken_.empty()) {
      why = "the server sent more instead of closing";
      return false;
    }
    const read_result got = read_some(fd_, chunk_, silence_limit_);
    if (got.size == 0 && got.failure.empty()) return true;
    why = got.failure.empty() ? "the server sent more instead of closing" : got.failure;
    return false;
  }

private:
  bool read_more(std::string& why) {
    if (!broken_.empty()) {
      why = broken_;
      return false;
    }
    const read_result got = read_some(fd_, chunk_, silence_limit_);
    if (!got.failure.empty() || got.size == 0) {
      why = got.failure.empty() ? "the server closed the connection" : got.failure;
      return false;
    }
    std::error_code ec;
    decoder_.consume(
        as_bytes(std::string_view(chunk_.data(), got.size)),
        [this](const frame& line) { lines_.emplace_back(as_text(line.payload)); }, ec);
    // The lines before the fault are still messages; the fault is told
    // once they have been read.
    if (ec) broken_ = "the server broke the line framing (" + to_string(decoder_.error()) + ")";
    return true;
  }

  int fd_;
  milliseconds silence_limit_;
  frame_decoder decoder_; // holds at most one line of max_line bytes
  std::deque<std::string> lines_;
  std::string broken_;
  std::array<char, line_read_size> chunk_{};
};

// `naive-greeting`: the seed articles' bug, on purpose. One recv() is one
// message (data = conn.recv(4096)), whatever it holds: a piece of a line,
// or several lines, printed as they came.
class naive_source final : public message_source {
public:
  naive_source(int fd, const reference_client_limits& limits)
      : fd_(fd), silence_limit_(limits.silence_limit), drop_limit_(limits.max_line) {}

  bool next(std::string& message, std::string& why) override {
    const read_result got = read_some(fd_, chunk_, silence_limit_);
    if (!got.failure.empty() || got.size == 0) {
      why = got.failure.empty() ? "the server closed the connection" : got.failure;
      return false;
    }
    std::string_view text(chunk_.data(), got.size);
    if (text.ends_with('\n')) text.remove_suffix(1);
    message.assign(text);
    return true;
  }

  // What it read past its fixed count of messages is dropped unseen, as
  // the articles' clients leave it unread: out of step, yet exiting 0, so
  // only its output shows the bug. Bounded, so a server that never stops
  // sending cannot keep it forever.
  bool closes(std::string& why) override {
    for (std::size_t dropped = 0; dropped <= drop_limit_;) {
      const read_result got = read_some(fd_, chunk_, silence_limit_);
      if (!got.failure.empty()) {
        why = got.failure;
        return false;
      }
      if (got.size == 0) return true;
      dropped += got.size;
    }
    why = "the server sent more than " + std::to_string(drop_limit_) + " bytes instead of closing";
    return false;
  }

private:
  int fd_;
  milliseconds silence_limit_;
  std::size_t drop_limit_;
  std::array<char, naive_read_size> chunk_{};
};

std::unique_ptr<message_source> source_for(reference_client_protocol protocol, int fd,
                                           const reference_client_limits& limits) {
  if (protocol == reference_client_protocol::naive_greeting)
    return std::make_unique<naive_source>(fd, limits);
  return std::make_unique<line_source>(fd, limits);
}

// ---- the conversation

// Reads one message and prints it; `awaited` names it in a failure's reason.
bool relay(message_source& source, std::ostream& out, std::string_view awaited, std::string& why) {
  std::string message;
  if (!source.next(message, why)) {
    why += " while the client waited for " + std::string(awaited);
    return false;
  }
  out << message << '\n' << std::flush;
  return true;
}

bool converse(int fd, message_source& source, std::ostream& out, milliseconds limit,
              std::string& why) {
  if (!relay(source, out, "the welcome", why)) return false;
  for (const std::string_view name : names) {
    if (!send_line(fd, name, limit, why)) return false;
    if (!relay(source, out, "the answer to " + quoted(name), why)) return false;
  }
  if (source.closes(why)) return true;
  why += " after the answer to \"exit\", when it should close";
  return false;
}

} // namespace

std::optional<reference_client_protocol> parse_reference_client_protocol(std::string_view name) {
  for (const auto protocol :
       {reference_client_protocol::greeting, reference_client_protocol::naive_greeting})
    if (name == name_of(protocol)) return protocol;
  return std::nullopt;
}

std::string_view name_of(reference_client_protocol protocol) {
  switch (protocol) {
  case reference_client_protocol::greeting:
    return "greeting";
  case reference_client_protocol::naive_greeting:
    return "naive-greeting";
  }
  return {};
}

reference_client_result run_reference_client(reference_client_protocol protocol,
                                             const std::string& host, std::uint16_t port,
                                             std::ostream& out,
                                             const reference_client_limits& limits) {
  using enum reference_client_outcome;
  const auto address = loopback_address(host, port);
  if (!address)
    return {not_loopback, "'" + host +
                              "' is not a loopback address (127.0.0.0/8, ::1, "
                              "localhost): the reference clients connect to nothing else"};
  const socket_fd socket(
      ::socket(address->family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!socket.valid())
    return {cannot_connect, "cannot open a socket: " + std::generic_category().message(errno)};
  std::string why;
  if (!connect_within(socket.get(), *address, limits.silence_limit, why))
    return {cannot_connect, "cannot connect to " + endpoint_text(host, port) + ": " + why};
  const auto source = source_for(protocol, socket.get(), limits);
  if (!converse(socket.get(), *source, out, limits.silence_limit, why))
    return {server_misbehaved, why};
  return {};
}

} // namespace tcpcheck::harness
