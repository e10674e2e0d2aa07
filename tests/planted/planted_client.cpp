// A len:u32be client with one planted bug, for the end-to-end tests of `tcpcheck check --client`.
//
//   planted_client --bug none|one-recv|short-header|no-timeout|dies-on-reset|huge-alloc
//                  --port PORT [--messages N]
//
// Connects to 127.0.0.1:PORT, where tcpcheck plays the server, and sends the
// requests "ping 1" ... "ping N" (N = 2 unless told), each one frame (a 4-byte
// big-endian length, then the body) in one send(). After each request it reads
// one reply frame and prints the reply's body on a line of its own (flushed);
// after the last reply it closes the connection and exits 0. Done right
// (`none`), the header and then the body are read across as many recv() calls
// as they take, a wait for bytes gives up after 2000 ms, a reply length above
// 1 MiB is refused before anything is allocated, and EOF, a reset, a timeout
// or any other error ends the run with one line on stderr and exit 1, never a
// signal. Each bug differs from that in one way only:
//
//   none           no bug
//   one-recv       takes one recv() (up to 64 KiB) as a whole reply: cut replies print wrong
//   short-header   reads the header with one recv(4), the bytes that did not come taken as zero
//   no-timeout     blocking recv(), no poll(): a server that never answers keeps it forever
//   dies-on-reset  ECONNRESET or EPIPE from recv() or send() throws, uncaught: SIGABRT
//   huge-alloc     allocates (zero-filled) whatever length the header says: 0xFFFFFFFF is 4 GiB
//
// Bad arguments exit with status 2.
#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <optional>
#include <poll.h>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <system_error>
#include <unistd.h>
#include <utility>
#include <vector>

namespace {

enum class bug { none, one_recv, short_header, no_timeout, dies_on_reset, huge_alloc };

struct named_bug {
  std::string_view name;
  bug kind;
};
constexpr std::array<named_bug, 6> bugs{{{"none", bug::none},
                                         {"one-recv", bug::one_recv},
                                         {"short-header", bug::short_header},
                                         {"no-timeout", bug::no_timeout},
                                         {"dies-on-reset", bug::dies_on_reset},
                                         {"huge-alloc", bug::huge_alloc}}};

constexpr std::size_t header_size = 4;
// A correct client's limit: a longer reply is refused before it is allocated.
constexpr std::uint32_t largest_reply = 1024 * 1024;
// How long a correct client waits for the next byte before it gives up.
constexpr int wait_ms = 2000;
// The one-recv bug's single read.
constexpr std::size_t one_recv_size = 65536;

struct options {
  bug planted = bug::none;
  std::uint16_t port = 0;
  unsigned messages = 2;
};

// The connection, its bug, and why the conversation stopped (empty while it goes on).
struct client {
  int fd = -1;
  bug planted = bug::none;
  std::string failure;
};

/// Records why the conversation stops; returns false, for `return fail(...)`.
bool fail(client& c, std::string why) {
  c.failure = std::move(why);
  return false;
}

/// A system call that failed with `error`. A reset or a broken pipe is an
/// observation a client reports like any other, except under dies-on-reset.
bool fail_call(client& c, const char* call, int error) {
  if (c.planted == bug::dies_on_reset && (error == ECONNRESET || error == EPIPE))
    throw std::system_error(error, std::generic_category(), call); // planted: nothing catches it
  return fail(c, std::string(call) + ": " + std::strerror(error));
}

/// Waits until recv() will not block: false after wait_ms without a byte.
bool wait_readable(client& c) {
  if (c.planted == bug::no_timeout) return true; // planted: recv() blocks for as long as it takes
  pollfd watched{c.fd, POLLIN, 0};
  for (;;) {
    const int ready = ::poll(&watched, 1, wait_ms);
    if (ready > 0) return true; // bytes, EOF or an error: recv() says which
    if (ready == 0) return fail(c, "timeout: no byte in " + std::to_string(wait_ms) + " ms");
    if (errno != EINTR) return fail_call(c, "poll", errno);
  }
}

/// One recv() once bytes are there: how many came (at least one), or nothing
/// at EOF, on an error or a timeout (c.failure says which).
std::optional<std::size_t> recv_some(client& c, char* into, std::size_t size) {
  if (!wait_readable(c)) return std::nullopt;
  for (;;) {
    const ssize_t got = ::recv(c.fd, into, size, 0);
    if (got > 0) return static_cast<std::size_t>(got);
    if (got == 0) {
      fail(c, "EOF: the server closed the connection");
      return std::nullopt;
    }
    if (errno != EINTR) {
      fail_call(c, "recv", errno);
      return std::nullopt;
    }
  }
}

/// Reads exactly `size` bytes, across as many recv() calls as they take.
bool recv_exact(client& c, char* into, std::size_t size, std::string_view what) {
  for (std::size_t got = 0; got < size;) {
    const auto more = recv_some(c, into + got, size - got);
    if (!more)
      return fail(c, c.failure + " (" + std::string(what) + ": " + std::to_string(got) + " of " +
                         std::to_string(size) + " bytes)");
    got += *more;
  }
  return true;
}

std::uint32_t big_endian_u32(const char* bytes) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i)
    value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

/// The reply's length field: all 4 header bytes, or under short-header what
/// one recv() brought, with the bytes that had not come yet left zero.
std::optional<std::uint32_t> read_length(client& c) {
  std::array<char, header_size> header{};
  if (c.planted == bug::short_header) {
    if (!recv_some(c, header.data(), header.size()))
      return std::nullopt; // planted: a cut is trusted
  } else if (!recv_exact(c, header.data(), header.size(), "header")) {
    return std::nullopt;
  }
  return big_endian_u32(header.data());
}

/// A correct client refuses a length above 1 MiB before it allocates.
bool length_acceptable(client& c, std::uint32_t length) {
  if (c.planted == bug::huge_alloc) return true; // planted: any length is allocated
  if (length <= largest_reply) return true;
  return fail(c, "reply length " + std::to_string(length) + " is above the 1 MiB limit");
}

std::optional<std::vector<char>> read_body(client& c, std::uint32_t length) {
  // Zero-filled: under huge-alloc every page of it is touched, so resident memory grows.
  std::vector<char> body(length);
  if (!recv_exact(c, body.data(), body.size(), "body")) return std::nullopt;
  return body;
}

/// The one-recv bug: what one recv() brings is the whole reply. The body is
/// the bytes after the header in it (at most the header's length); fewer
/// than 4 bytes make an empty body; bytes beyond the body are lost.
std::optional<std::vector<char>> read_reply_in_one_recv(client& c) {
  std::vector<char> chunk(one_recv_size);
  const auto got = recv_some(c, chunk.data(), chunk.size());
  if (!got) return std::nullopt;
  if (*got < header_size) return std::vector<char>{};
  const std::uint32_t length = big_endian_u32(chunk.data());
  if (!length_acceptable(c, length)) return std::nullopt;
  const std::size_t body_size = std::min<std::size_t>(length, *got - header_size);
  const auto body = chunk.begin() + header_size;
  return std::vector<char>(body, body + static_cast<std::ptrdiff_t>(body_size));
}

/// One reply's body, or nothing when the conversation stopped.
std::optional<std::vector<char>> read_reply(client& c) {
  if (c.planted == bug::one_recv) return read_reply_in_one_recv(c);
  const auto length = read_length(c);
  if (!length || !length_acceptable(c, *length)) return std::nullopt;
  return read_body(c, *length);
}

/// Sends one request as one frame: header and body in one send().
bool send_request(client& c, std::string_view body) {
  std::string wire(header_size, '\0');
  for (std::size_t i = 0; i < header_size; ++i)
    wire[i] = static_cast<char>((body.size() >> (8 * (header_size - 1 - i))) & 0xff);
  wire.append(body);
  // A partial send (never seen for a frame this small) goes on where it stopped.
  for (std::size_t sent = 0; sent < wire.size();) {
    // MSG_NOSIGNAL: a server that is gone is EPIPE here, not a SIGPIPE death.
    const ssize_t n = ::send(c.fd, wire.data() + sent, wire.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_call(c, "send", errno);
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

void print_line(const std::vector<char>& text) {
  // An empty vector's data() may be null, which fwrite() must not be given.
  if (!text.empty()) std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

/// Request `number`, then its reply printed.
bool exchange(client& c, unsigned number) {
  const std::string tag = std::to_string(number);
  if (!send_request(c, "ping " + tag)) return fail(c, "request " + tag + ": " + c.failure);
  const auto reply = read_reply(c);
  if (!reply) return fail(c, "reply " + tag + ": " + c.failure);
  print_line(*reply);
  return true;
}

bool connect_to(client& c, std::uint16_t port) {
  c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (c.fd < 0) return fail_call(c, "socket", errno);
  // Each request leaves at once, not held back by Nagle's algorithm.
  const int on = 1;
  ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  if (::connect(c.fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0)
    return fail_call(c, ("connect to 127.0.0.1:" + std::to_string(port)).c_str(), errno);
  return true;
}

template <typename Number>
bool parse_number(std::string_view text, Number& into) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), into);
  return ec == std::errc{} && end == text.data() + text.size();
}

std::optional<bug> bug_named(std::string_view name) {
  for (const named_bug& known : bugs)
    if (known.name == name) return known.kind;
  return std::nullopt;
}

/// Fills `into` from the command line: what is wrong with it, or "".
std::string parse_arguments(int argc, char** argv, options& into) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view option = argv[i];
    if (i + 1 >= argc) return "missing a value after " + std::string(option);
    const std::string_view value = argv[++i];
    if (option == "--bug") {
      const auto kind = bug_named(value);
      if (!kind) return "unknown bug '" + std::string(value) + "'";
      into.planted = *kind;
    } else if (option == "--port") {
      if (!parse_number(value, into.port) || into.port == 0)
        return "bad port '" + std::string(value) + "'";
    } else if (option == "--messages") {
      if (!parse_number(value, into.messages))
        return "bad message count '" + std::string(value) + "'";
    } else {
      return "unknown option '" + std::string(option) + "'";
    }
  }
  return into.port == 0 ? "--port is required" : "";
}

int usage(const std::string& why) {
  std::fprintf(stderr,
               "planted_client: %s\nusage: planted_client --bug "
               "none|one-recv|short-header|no-timeout|dies-on-reset|huge-alloc --port PORT "
               "[--messages N]\n",
               why.c_str());
  return 2;
}

} // namespace

int main(int argc, char** argv) {
  options chosen;
  if (const std::string wrong = parse_arguments(argc, argv, chosen); !wrong.empty())
    return usage(wrong);

  client c;
  c.planted = chosen.planted;
  bool done = connect_to(c, chosen.port);
  for (unsigned i = 0; done && i < chosen.messages; ++i)
    done = exchange(c, i + 1);
  if (c.fd >= 0) ::close(c.fd);
  if (!done) std::fprintf(stderr, "planted_client: %s\n", c.failure.c_str());
  return done ? 0 : 1;
}
