// The reference servers: the seed articles' protocols served over Asio, framed by tcpcheck's core.
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

#include <asio/awaitable.hpp>
#include <asio/buffer.hpp>
#include <asio/co_spawn.hpp>
#include <asio/error.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/address.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

namespace tcpcheck::harness {

namespace {

using asio::ip::tcp;

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
    return "raw";
  case reference_protocol::greeting:
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

auto redirect(std::error_code& ec) {
  return asio::redirect_error(asio::use_awaitable, ec);
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
      return say("Welcome!", out);
    case reference_protocol::hello:
      if (auto ec = say("Server: Welcome!", out)) return ec;
      return say("What's your name?", out);
    case reference_protocol::echo:
    case reference_protocol::lenprefix:
      break;
    }
    return {};
  }

  /// Appends the reply to one frame; sets `over` when the server closes
  /// after sending it.
  std::error_code answer(byte_view payload, byte_buffer& out, bool& over) const {
    const std::string_view text = as_text(payload);
    switch (protocol_) {
    case reference_protocol::echo:
    case reference_protocol::lenprefix:
      return encode_frame(reply_spec_, payload, out);
    case reference_protocol::greeting:
      if (text == "exit") return good_bye(out, over);
      return say(std::string("Hello, ").append(text), out);
    case reference_protocol::hello:
      if (text == "exit") return good_bye(out, over);
      if (auto ec = say(std::string("Hello ").append(text).append("!"), out)) return ec;
      return say("What's your name?", out);
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

struct connection {
  explicit connection(tcp::socket accepted)
      : socket(std::move(accepted)), linger(socket.get_executor()) {}

  tcp::socket socket;
  asio::steady_timer linger;
  std::array<std::uint8_t, read_chunk> input{};
};

} // namespace

// Everything below runs on the server's thread, except the constructor and
// shut_down(), which only post to it and join it.
struct reference_server::impl {
  impl(reference_protocol protocol, const std::string& address, std::uint16_t port);

  void run();
  void shut_down();
  void close_everything();

  asio::awaitable<void> accept_loop();
  asio::awaitable<void> serve(std::shared_ptr<connection> c);
  asio::awaitable<void> echo(connection& c);
  asio::awaitable<void> converse(std::shared_ptr<connection> c);
  asio::awaitable<void> close_gracefully(std::shared_ptr<connection> c);

  // Removes a connection from `live_` when its coroutine ends, however it ends.
  struct registration {
    std::unordered_set<connection*>& live;
    connection* c;
    ~registration() { live.erase(c); }
  };

  const reference_protocol protocol_;
  const framing_spec read_spec_;
  const framing_spec reply_spec_;
  // Declared before io_ so that it outlives any coroutine frame io_ destroys.
  std::unordered_set<connection*> live_;
  bool stopping_ = false;
  asio::io_context io_{1};
  tcp::acceptor acceptor_{io_};
  asio::steady_timer backoff_{io_};
  std::uint16_t port_ = 0;
  std::string address_;
  std::once_flag stopped_;
  std::thread thread_; // last: started once everything else exists
};

reference_server::impl::impl(reference_protocol protocol, const std::string& address,
                             std::uint16_t port)
    : protocol_(protocol), read_spec_(spec_from(read_spec_text(protocol))),
      reply_spec_(spec_from(reply_spec_text(protocol))) {
  const std::string where = address + ":" + std::to_string(port);
  std::error_code ec;
  const auto ip = asio::ip::make_address(address, ec);
  if (ec) throw failure(ec, "reference server: '" + address + "' is not an IP address");
  const tcp::endpoint endpoint(ip, port);
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
  port_ = bound.port();
  address_ = bound.address().to_string();

  asio::co_spawn(io_, accept_loop(), [](const std::exception_ptr&) {});
  thread_ = std::thread([this] { run(); });
}

void reference_server::impl::run() {
  for (;;) {
    try {
      io_.run(); // returns once shut_down() has closed everything and the work drained
      return;
    } catch (...) {
      // No handler is meant to throw (coroutines' exceptions end in their
      // completion handlers); if one does, keep serving the others. Asio
      // lets run() be called again after a handler's exception.
    }
  }
}

void reference_server::impl::shut_down() {
  asio::post(io_, [this] { close_everything(); });
  if (thread_.joinable()) thread_.join();
  io_.stop(); // already out of work; marks it stopped for good
}

void reference_server::impl::close_everything() {
  stopping_ = true;
  std::error_code ignored;
  acceptor_.close(ignored);
  backoff_.cancel();
  // Closing posts the pending operations' completions (operation_aborted);
  // nothing runs inline, so live_ does not change under the loop.
  for (connection* c : live_) {
    c->linger.cancel();
    c->socket.close(ignored);
  }
}

asio::awaitable<void> reference_server::impl::accept_loop() {
  for (;;) {
    std::error_code ec;
    tcp::socket socket = co_await acceptor_.async_accept(redirect(ec));
    // An accept that completed just before stop() must not start a
    // connection close_everything() has not seen.
    if (stopping_ || !acceptor_.is_open()) co_return;
    if (ec) {
      // ECONNABORTED, EMFILE, ...: the listener itself is fine. The pause
      // keeps a shortage of descriptors from spinning the loop.
      backoff_.expires_after(accept_backoff);
      co_await backoff_.async_wait(redirect(ec));
      continue;
    }
    auto c = std::make_shared<connection>(std::move(socket));
    live_.insert(c.get());
    // An exception (allocation) ends that one connection, nothing else.
    asio::co_spawn(io_, serve(std::move(c)), [](const std::exception_ptr&) {});
  }
}

asio::awaitable<void> reference_server::impl::serve(std::shared_ptr<connection> c) {
  const registration registered{live_, c.get()};
  std::error_code ignored;
  c->socket.set_option(tcp::no_delay(true), ignored); // only latency depends on it
  if (protocol_ == reference_protocol::echo)
    co_await echo(*c);
  else
    co_await converse(c);
  c->socket.close(ignored);
}

// Raw echo: each read is written back before the next read, so a client
// that does not read its echo stops being read (TCP back-pressure) and
// holds no more than one chunk of the server's memory.
asio::awaitable<void> reference_server::impl::echo(connection& c) {
  for (;;) {
    std::error_code ec;
    const std::size_t n = co_await c.socket.async_read_some(asio::buffer(c.input), redirect(ec));
    if (ec) co_return; // EOF, reset or stop(): the connection just ends
    co_await asio::async_write(c.socket, asio::buffer(c.input.data(), n), redirect(ec));
    if (ec) co_return;
  }
}

asio::awaitable<void> reference_server::impl::converse(std::shared_ptr<connection> c) {
  const conversation talk(protocol_, reply_spec_);
  frame_decoder decoder(read_spec_);
  byte_buffer out;
  std::error_code ec;
  if (talk.open(out)) co_return; // cannot happen: the opening lines encode
  if (!out.empty()) {
    co_await asio::async_write(c->socket, asio::buffer(out), redirect(ec));
    if (ec) co_return;
  }
  for (;;) {
    const std::size_t n = co_await c->socket.async_read_some(asio::buffer(c->input), redirect(ec));
    // EOF (even inside a frame), reset or stop(): the connection just ends.
    if (ec) co_return;
    out.clear();
    bool over = false;
    std::error_code refused;
    std::error_code broken;
    decoder.consume(
        byte_view(c->input.data(), n),
        [&](const frame& f) {
          if (!over && !refused) refused = talk.answer(f.payload, out, over);
        },
        broken);
    // Replies to the frames before a framing error still go out.
    if (!out.empty()) {
      co_await asio::async_write(c->socket, asio::buffer(out), redirect(ec));
      if (ec) co_return;
    }
    if (over) {
      co_await close_gracefully(std::move(c));
      co_return;
    }
    // A client that broke the framing is disconnected (the decoder's error
    // is sticky); `refused` cannot happen: a decoded frame re-encodes.
    if (broken || refused) co_return;
  }
}

// "Good bye!" then close: half-close, then read and drop whatever the client
// still sends until it closes too. Closing with unread bytes would send a
// reset, which can destroy the goodbye before the client reads it.
asio::awaitable<void> reference_server::impl::close_gracefully(std::shared_ptr<connection> c) {
  std::error_code ec;
  c->socket.shutdown(tcp::socket::shutdown_send, ec);
  c->linger.expires_after(linger_time);
  c->linger.async_wait([c](std::error_code waited) {
    std::error_code ignored;
    if (!waited) c->socket.close(ignored); // the client kept the connection open too long
  });
  while (!ec)
    co_await c->socket.async_read_some(asio::buffer(c->input), redirect(ec));
  c->linger.cancel();
}

std::optional<reference_protocol> parse_reference_protocol(std::string_view name) {
  for (const auto protocol : {reference_protocol::echo, reference_protocol::greeting,
                              reference_protocol::hello, reference_protocol::lenprefix})
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
  }
  return {};
}

std::string_view framing_of(reference_protocol protocol) {
  switch (protocol) {
  case reference_protocol::echo:
    return "raw";
  case reference_protocol::greeting:
  case reference_protocol::hello:
    return "line";
  case reference_protocol::lenprefix:
    return "len:i32le";
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
