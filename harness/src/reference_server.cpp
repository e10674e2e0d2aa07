// The reference servers: the seed articles' protocols served over Asio, framed by tcpcheck's core.
// (udp-echo's loop is in reference_udp_server.cpp; it is bound and run here.)
#include "tcpcheck/harness/reference_server.hpp"

#include "tcpcheck/bytes.hpp"
#include "tcpcheck/frame_decoder.hpp"
#include "tcpcheck/frame_encoder.hpp"
#include "tcpcheck/framing_spec.hpp"

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_set>
#include <utility>

#include <asio/buffer.hpp>
#include <asio/error.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/address.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>

#include "reference_udp_server.hpp"

namespace tcpcheck::harness {

namespace {

using asio::ip::tcp;
using asio::ip::udp;

// What the servers read with. `max` bounds each connection's memory: the
// decoder never holds more than one frame of it.
constexpr std::string_view line_spec_text = "line,max=64K";
constexpr std::string_view lenprefix_spec_text = "len:i32le,max=1M";
// Replies are written with a spec of their own: "Hello, NAME" is longer
// than a NAME of the full 64K, and must still go out.
constexpr std::string_view line_reply_spec_text = "line";

constexpr std::size_t read_chunk = 16 * 1024;
// After "Good bye!", how long the server waits for the client to close.
constexpr std::chrono::seconds linger_time{2};
// After a failed accept (EMFILE, ...), the pause before the next one.
constexpr std::chrono::milliseconds accept_backoff{50};

framing_spec spec_from(std::string_view text) {
  spec_error error;
  auto spec = parse_framing_spec(text, error);
  if (!spec)
    throw std::logic_error("reference_server: built-in framing spec '" + std::string(text) +
                           "' does not parse: " + to_string(error));
  return *std::move(spec);
}

std::string_view read_spec_text(reference_protocol protocol) {
  switch (protocol) {
  case reference_protocol::echo:
  case reference_protocol::udp_echo: // unused: no TCP session serves it
    return "raw";
  case reference_protocol::greeting:
  case reference_protocol::naive_greeting: // unused: it reads without framing
  case reference_protocol::hello:
    return line_spec_text;
  case reference_protocol::lenprefix:
    return lenprefix_spec_text;
  }
  throw std::invalid_argument("reference_server: unknown protocol");
}

std::string_view reply_spec_text(reference_protocol protocol) {
  return protocol == reference_protocol::lenprefix ? lenprefix_spec_text : line_reply_spec_text;
}

// Asio 1.22's system category does not map its codes to std::errc; the
// same errno in std::system_category() does, so that callers can write
// `e.code() == std::errc::address_in_use`.
std::system_error failure(std::error_code ec, const std::string& what) {
  if (ec.category() == asio::error::get_system_category())
    ec = std::error_code(ec.value(), std::system_category());
  return std::system_error(ec, what);
}

// What the server of a framed protocol says, as bytes, with no I/O: the
// opening lines, and the reply to each frame.
class conversation {
public:
  conversation(reference_protocol protocol, const framing_spec& reply_spec)
      : protocol_(protocol), reply_spec_(reply_spec) {}

  /// Appends what the server sends on connect.
  std::error_code open(byte_buffer& out) const {
    switch (protocol_) {
    case reference_protocol::greeting:
    case reference_protocol::naive_greeting:
      return say("Welcome!", out);
    case reference_protocol::hello:
      if (auto ec = say("Server: Welcome!", out)) return ec;
      return say("What's your name?", out);
    case reference_protocol::echo:
    case reference_protocol::lenprefix:
    case reference_protocol::udp_echo: // no TCP session serves it
      break;
    }
    return {};
  }

  /// Appends the reply to one frame; sets `over` when the server closes
  /// after sending it.
  std::error_code answer(byte_view payload, byte_buffer& out, bool& over) const {
    const std::string_view text = as_text(payload);
    switch (protocol_) {
    case reference_protocol::echo: // raw: the bytes themselves (sessions echo reads directly)
      out.insert(out.end(), payload.begin(), payload.end());
      return {};
    case reference_protocol::lenprefix:
      return encode_frame(reply_spec_, payload, out);
    case reference_protocol::greeting:
    case reference_protocol::naive_greeting:
      if (text == "exit") return good_bye(out, over);
      return say(std::string("Hello, ").append(text), out);
    case reference_protocol::hello:
      if (text == "exit") return good_bye(out, over);
      if (auto ec = say(std::string("Hello ").append(text).append("!"), out)) return ec;
      return say("What's your name?", out);
    case reference_protocol::udp_echo: // no TCP session serves it
      break;
    }
    return {};
  }

private:
  std::error_code say(std::string_view text, byte_buffer& out) const {
    return encode_frame(reply_spec_, as_bytes(text), out);
  }

  std::error_code good_bye(byte_buffer& out, bool& over) const {
    over = true;
    return say("Good bye!", out);
  }

  reference_protocol protocol_;
  const framing_spec& reply_spec_;
};

class session;

// What every connection needs of its server. Used on the server's thread only.
struct server_state {
  explicit server_state(reference_protocol p)
      : protocol(p), read_spec(spec_from(read_spec_text(p))),
        reply_spec(spec_from(reply_spec_text(p))) {}

  const reference_protocol protocol;
  const framing_spec read_spec;
  const framing_spec reply_spec;
  std::unordered_set<session*> live; ///< for stop() to close
  bool stopping = false;
};

// One client's connection. Each pending operation's handler holds a
// shared_ptr to it; when the last one returns, it closes and unregisters.
// One operation at a time: read, then write what that read asked for, then
// read again. A client that does not read its replies therefore stops being
// read (TCP back-pressure), and holds at most one frame (the decoder's max)
// and the replies to one chunk of the server's memory.
class session : public std::enable_shared_from_this<session> {
public:
  session(tcp::socket socket, server_state& server)
      : server_(server), socket_(std::move(socket)), linger_(socket_.get_executor()),
        talk_(server.protocol, server.reply_spec), decoder_(server.read_spec) {
    server_.live.insert(this);
  }
  ~session() { server_.live.erase(this); }
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  void start() {
    std::error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored); // only latency depends on it
    // open() cannot fail: the opening lines are short and hold no LF.
    if (talk_.open(out_)) return;
    send(asio::buffer(out_));
  }

  /// For stop(): every pending operation completes with operation_aborted,
  /// and any started later fails at once.
  void close() {
    std::error_code ignored;
    linger_.cancel();
    socket_.close(ignored);
  }

private:
  bool is_echo() const { return server_.protocol == reference_protocol::echo; }

  void read() {
    socket_.async_read_some(
        asio::buffer(input_),
        [self = shared_from_this()](std::error_code ec, std::size_t n) { self->on_read(ec, n); });
  }

  void on_read(std::error_code ec, std::size_t n) {
    // EOF (even inside a frame), a reset, or stop(): the connection just ends.
    if (ec) return;
    if (is_echo()) return send(asio::buffer(input_.data(), n));
    out_.clear();
    if (server_.protocol == reference_protocol::naive_greeting) {
      // The seed articles' bug, on purpose: name = conn.recv(1024).decode().strip()
      std::string_view name(reinterpret_cast<const char*>(input_.data()), n);
      while (!name.empty() && (name.back() == '\n' || name.back() == '\r' || name.back() == ' '))
        name.remove_suffix(1);
      if (auto refused = talk_.answer(as_bytes(name), out_, over_)) broken_ = refused;
      return send(asio::buffer(out_));
    }
    std::error_code refused;
    decoder_.consume(
        byte_view(input_.data(), n),
        [&](const frame& f) {
          if (!over_ && !refused) refused = talk_.answer(f.payload, out_, over_);
        },
        broken_);
    // `refused` cannot happen (a frame the decoder cut re-encodes); were it
    // to, the client is disconnected as for broken framing.
    if (refused && !broken_) broken_ = refused;
    // Replies to the frames before a framing error still go out.
    send(asio::buffer(out_));
  }

  void send(asio::const_buffer bytes) {
    if (bytes.size() == 0) return proceed();
    asio::async_write(socket_, bytes, [self = shared_from_this()](std::error_code ec, std::size_t) {
      if (!ec) self->proceed();
    });
  }

  void proceed() {
    if (over_) return close_gracefully();
    // A client that broke the framing is disconnected: returning drops the
    // last handle on the session. (The decoder's error is sticky anyway.)
    if (broken_) return;
    read();
  }

  // "Good bye!" then close: half-close, then read and drop whatever the
  // client still sends until it closes too. Closing with unread bytes would
  // send a reset, which can destroy the goodbye before the client reads it.
  void close_gracefully() {
    std::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return;
    linger_.expires_after(linger_time);
    linger_.async_wait([self = shared_from_this()](std::error_code waited) {
      if (!waited) self->close(); // the client kept the connection open too long
    });
    drain();
  }

  void drain() {
    socket_.async_read_some(asio::buffer(input_),
                            [self = shared_from_this()](std::error_code ec, std::size_t) {
                              if (ec)
                                self->linger_.cancel();
                              else
                                self->drain();
                            });
  }

  server_state& server_;
  tcp::socket socket_;
  asio::steady_timer linger_;
  const conversation talk_;
  frame_decoder decoder_;
  std::array<std::uint8_t, read_chunk> input_{};
  byte_buffer out_;
  bool over_ = false;
  std::error_code broken_;
};

} // namespace

// Everything but the constructor and shut_down() runs on the server's thread;
// those two only post to it and join it.
struct reference_server::impl {
  impl(reference_protocol protocol, const std::string& address, std::uint16_t port);

  void listen_tcp(const tcp::endpoint& endpoint, const std::string& where);
  void bind_udp(const udp::endpoint& endpoint, const std::string& where);
  void remember(const asio::ip::address& address, std::uint16_t port);
  void run();
  void shut_down();
  void close_everything();
  void accept();

  // Declared before io_: it outlives every handler io_ may still destroy.
  server_state state_;
  asio::io_context io_{1};
  tcp::acceptor acceptor_{io_};
  asio::steady_timer backoff_{io_};
  std::optional<detail::udp_echo_server> udp_; ///< udp-echo only; TCP's acceptor stays closed
  std::uint16_t port_ = 0;
  std::string address_;
  std::once_flag stopped_;
  std::thread thread_; // last: started once everything else exists
};

reference_server::impl::impl(reference_protocol protocol, const std::string& address,
                             std::uint16_t port)
    : state_(protocol) {
  const std::string where = address + ":" + std::to_string(port);
  std::error_code ec;
  const auto ip = asio::ip::make_address(address, ec);
  if (ec) throw failure(ec, "reference server: '" + address + "' is not an IP address");
  if (protocol == reference_protocol::udp_echo)
    bind_udp(udp::endpoint(ip, port), where);
  else
    listen_tcp(tcp::endpoint(ip, port), where);
  thread_ = std::thread([this] { run(); });
}

void reference_server::impl::listen_tcp(const tcp::endpoint& endpoint, const std::string& where) {
  std::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (ec) throw failure(ec, "reference server: cannot open a socket for " + where);
  // Lets a restarted server take its port back from TIME_WAIT connections;
  // on Linux it never lets two listeners share a port.
  acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  acceptor_.bind(endpoint, ec);
  if (ec) throw failure(ec, "reference server: cannot bind " + where);
  acceptor_.listen(tcp::acceptor::max_listen_connections, ec);
  if (ec) throw failure(ec, "reference server: cannot listen on " + where);
  const tcp::endpoint bound = acceptor_.local_endpoint(ec);
  if (ec) throw failure(ec, "reference server: cannot read the bound address");
  remember(bound.address(), bound.port());
  accept();
}

void reference_server::impl::bind_udp(const udp::endpoint& endpoint, const std::string& where) {
  udp::socket socket(io_);
  std::error_code ec;
  socket.open(endpoint.protocol(), ec);
  if (ec) throw failure(ec, "reference server: cannot open a socket for " + where);
  // No reuse_address, unlike TCP: on UDP, Linux lets every socket that sets
  // it bind the same port, and a second server would then bind instead of
  // failing with address_in_use.
  socket.bind(endpoint, ec);
  if (ec) throw failure(ec, "reference server: cannot bind " + where);
  const udp::endpoint bound = socket.local_endpoint(ec);
  if (ec) throw failure(ec, "reference server: cannot read the bound address");
  remember(bound.address(), bound.port());
  udp_.emplace(std::move(socket));
  udp_->start();
}

void reference_server::impl::remember(const asio::ip::address& address, std::uint16_t port) {
  port_ = port;
  address_ = address.to_string();
}

void reference_server::impl::run() {
  for (;;) {
    try {
      io_.run(); // returns once shut_down() has closed everything and the work drained
      return;
    } catch (...) {
      // A handler threw (std::bad_alloc): unwinding released that
      // connection's session, which closed it. Keep serving the others;
      // Asio lets run() be called again after a handler's exception.
    }
  }
}

void reference_server::impl::shut_down() {
  asio::post(io_, [this] { close_everything(); });
  if (thread_.joinable()) thread_.join();
  io_.stop(); // already out of work; marks it stopped for good
}

void reference_server::impl::close_everything() {
  state_.stopping = true;
  std::error_code ignored;
  acceptor_.close(ignored);
  backoff_.cancel();
  if (udp_) udp_->close();
  // Closing posts the pending operations' completions; nothing runs inline,
  // so `live` does not change under the loop.
  for (session* s : state_.live)
    s->close();
}

void reference_server::impl::accept() {
  acceptor_.async_accept([this](std::error_code ec, tcp::socket socket) {
    // An accept that completed just before stop() must not start a
    // session close_everything() has not seen.
    if (state_.stopping || !acceptor_.is_open()) return;
    if (ec) {
      // ECONNABORTED, EMFILE, ...: the listener itself is fine. The pause
      // keeps a shortage of descriptors from spinning the loop.
      backoff_.expires_after(accept_backoff);
      backoff_.async_wait([this](std::error_code) {
        if (!state_.stopping) accept();
      });
      return;
    }
    try {
      std::make_shared<session>(std::move(socket), state_)->start();
    } catch (const std::exception&) {
      // Out of memory for this one client: it is closed, the others go on.
    }
    accept();
  });
}

std::optional<reference_protocol> parse_reference_protocol(std::string_view name) {
  for (const auto protocol : {reference_protocol::echo, reference_protocol::greeting,
                              reference_protocol::hello, reference_protocol::lenprefix,
                              reference_protocol::naive_greeting, reference_protocol::udp_echo})
    if (name == name_of(protocol)) return protocol;
  return std::nullopt;
}

std::string_view name_of(reference_protocol protocol) {
  switch (protocol) {
  case reference_protocol::echo:
    return "echo";
  case reference_protocol::greeting:
    return "greeting";
  case reference_protocol::hello:
    return "hello";
  case reference_protocol::lenprefix:
    return "lenprefix";
  case reference_protocol::naive_greeting:
    return "naive-greeting";
  case reference_protocol::udp_echo:
    return "udp-echo";
  }
  return {};
}

std::string_view framing_of(reference_protocol protocol) {
  switch (protocol) {
  case reference_protocol::echo:
    return "raw";
  case reference_protocol::greeting:
  case reference_protocol::naive_greeting:
  case reference_protocol::hello:
    return "line";
  case reference_protocol::lenprefix:
    return "len:i32le";
  case reference_protocol::udp_echo:
    return "datagram";
  }
  return {};
}

reference_server::reference_server(reference_protocol protocol, const std::string& address,
                                   std::uint16_t port)
    : impl_(std::make_unique<impl>(protocol, address, port)) {}

reference_server::~reference_server() {
  stop();
}

std::uint16_t reference_server::port() const noexcept {
  return impl_->port_;
}

std::string reference_server::address() const {
  return impl_->address_;
}

void reference_server::stop() {
  std::call_once(impl_->stopped_, [this] { impl_->shut_down(); });
}

} // namespace tcpcheck::harness
