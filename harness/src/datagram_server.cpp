// tcpcheck's UDP server side (datagram_server.hpp).
#include "datagram_server.hpp"

#include <algorithm>
#include <cstring>
#include <deque>

#include "udp_transport.hpp"

namespace tcpcheck::harness {

namespace {

using asio::ip::udp;

// A client that floods more than this is not kept whole: UDP drops what a
// receiver has no room for, and so does tcpcheck. Datagrams per source,
// and bytes from all sources together.
constexpr std::size_t most_queued_datagrams = 1024;
constexpr std::size_t most_queued_bytes = 16u << 20;
// Sources past this many are not kept at all (a script has at most 64
// connections).
constexpr std::size_t most_clients = 256;

} // namespace

struct datagram_server::client {
  udp::endpoint source;
  std::deque<byte_buffer> datagrams; // received, not read yet
  std::shared_ptr<waiting> reader;   // the transport's read that waits
  bool taken = false;
  bool let_go = false; // its connection closed: what it sends now is dropped
};

struct datagram_server::waiting {
  std::function<void(std::shared_ptr<client>)> accepted;
  std::span<std::uint8_t> into;
  transport::read_handler read;
};

class datagram_client_transport final : public transport {
public:
  explicit datagram_client_transport(datagram_server& server) : server_(server) {}
  ~datagram_client_transport() override { close(false); }

  // Taken when a source comes (answer_accepts, never inside this call);
  // the driver hears of it through the io_context.
  void async_connect(done_handler done) override {
    accept_done_ = std::move(done);
    accept_ = std::make_shared<datagram_server::waiting>();
    accept_->accepted = [this](std::shared_ptr<datagram_server::client> c) {
      client_ = std::move(c);
      client_->taken = true;
      accept_.reset();
      asio::post(server_.io_, [done = std::move(accept_done_)] { done({}); });
    };
    server_.accepts_.push_back(accept_);
    asio::post(server_.io_, [&server = server_] { server.answer_accepts(); });
  }

  void async_read_some(std::span<std::uint8_t> into, read_handler done) override {
    if (!client_) return post(std::move(done), asio::error::not_connected, 0);
    auto reader = std::make_shared<datagram_server::waiting>();
    reader->into = into;
    reader->read = std::move(done);
    client_->reader = std::move(reader);
    hand_over(server_, *client_);
  }

  void async_write(byte_view bytes, done_handler done) override {
    if (!client_) {
      asio::post(server_.io_, [done = std::move(done)] { done(asio::error::not_connected); });
      return;
    }
    server_.socket_.async_send_to(
        asio::buffer(bytes.data(), bytes.size()), client_->source,
        [done = std::move(done)](std::error_code ec, std::size_t) { done(ec); });
  }

  std::error_code shutdown_send() override {
    return std::make_error_code(std::errc::operation_not_supported);
  }

  // The source stays taken, and what it sends from now on is dropped (as
  // by a closed socket): a new accept takes a new source.
  void close(bool) override {
    if (accept_) {
      accept_->accepted = nullptr;
      accept_.reset();
      asio::post(server_.io_,
                 [done = std::move(accept_done_)] { done(asio::error::operation_aborted); });
    }
    if (client_) {
      if (client_->reader)
        post(std::move(client_->reader->read), asio::error::operation_aborted, 0);
      client_->reader.reset();
      client_->let_go = true;
      server_.drop_datagrams(*client_);
    }
    client_.reset();
    open_ = false;
  }
  bool is_open() const override { return open_; }
  bool datagrams() const override { return true; }
  std::string last_source() const override { return client_ ? to_string(client_->source) : ""; }
  std::string peer_name() const override { return last_source(); }

  // Answers the client's waiting read with its oldest datagram, if any.
  static void hand_over(datagram_server& server, datagram_server::client& c) {
    if (!c.reader || c.datagrams.empty()) return;
    auto reader = std::move(c.reader);
    byte_buffer datagram = std::move(c.datagrams.front());
    c.datagrams.pop_front();
    server.queued_bytes_ -= datagram.size();
    asio::io_context& io = server.io_;
    const std::size_t n = std::min(datagram.size(), reader->into.size());
    std::memcpy(reader->into.data(), datagram.data(), n);
    asio::post(io, [read = std::move(reader->read), n] { read({}, n); });
  }

private:
  void post(read_handler done, std::error_code ec, std::size_t n) {
    asio::post(server_.io_, [done = std::move(done), ec, n] { done(ec, n); });
  }

  datagram_server& server_;
  std::shared_ptr<datagram_server::waiting> accept_;
  done_handler accept_done_;
  std::shared_ptr<datagram_server::client> client_;
  bool open_ = true;
};

datagram_server::datagram_server(asio::io_context& io, const udp::endpoint& where)
    : io_(io), socket_(io, where), buffer_(datagram_read_size) {
  receive();
}

std::unique_ptr<transport> datagram_server::make_transport() {
  return std::make_unique<datagram_client_transport>(*this);
}

void datagram_server::close() {
  std::error_code ignored;
  socket_.close(ignored);
}

void datagram_server::receive() {
  socket_.async_receive_from(asio::buffer(buffer_), source_,
                             [this](std::error_code ec, std::size_t n) {
                               if (ec == asio::error::operation_aborted || !socket_.is_open())
                                 return;
                               // A refused reply (the client's port closed) is no request.
                               if (!ec) deliver(source_, byte_view(buffer_.data(), n));
                               receive();
                             });
}

void datagram_server::deliver(const udp::endpoint& from, byte_view bytes) {
  auto it = std::find_if(clients_.begin(), clients_.end(),
                         [&](const auto& c) { return c->source == from; });
  if (it == clients_.end()) {
    if (clients_.size() == most_clients) return;
    clients_.push_back(std::make_shared<client>());
    clients_.back()->source = from;
    it = std::prev(clients_.end());
  }
  client& c = **it;
  if (c.let_go) return;
  if (c.datagrams.size() < most_queued_datagrams &&
      queued_bytes_ + bytes.size() <= most_queued_bytes) {
    c.datagrams.emplace_back(bytes.begin(), bytes.end());
    queued_bytes_ += bytes.size();
  }
  if (c.taken)
    datagram_client_transport::hand_over(*this, c);
  else
    answer_accepts();
}

void datagram_server::drop_datagrams(client& c) {
  for (const auto& d : c.datagrams)
    queued_bytes_ -= d.size();
  c.datagrams.clear();
}

// Each waiting accept takes the oldest source not taken yet that has sent.
void datagram_server::answer_accepts() {
  for (auto& c : clients_) {
    if (c->taken || c->datagrams.empty()) continue;
    std::shared_ptr<waiting> accept;
    while (!accept && !accepts_.empty()) {
      accept = accepts_.front().lock();
      accepts_.pop_front();
      if (accept && !accept->accepted) accept.reset(); // its transport closed meanwhile
    }
    if (!accept) return;
    accept->accepted(c); // holds `accept` alive while its transport lets go of it
  }
}

} // namespace tcpcheck::harness
