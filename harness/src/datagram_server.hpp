// tcpcheck playing a UDP server (`role server`, `transport udp`): one
// socket bound where the client under test sends, and a transport per
// client the script accepts.
//
// UDP has no accept. A client is a source address and port: the script's
// `accept` takes the next source that has sent something and is not taken
// yet, and that first datagram is its first read. Datagrams from a source
// a connection holds are its reads; its writes go to that source. Sources
// not taken yet wait, bounded, for the next accept.
//
// The server and its transports run on one thread (serve_script's own
// io_context), so they share state without locks.
#pragma once

#include "tcpcheck/harness/transport.hpp"

#include <cstddef>
#include <deque>
#include <memory>
#include <vector>

#include <asio.hpp>

namespace tcpcheck::harness {

class datagram_server {
public:
  /// Binds `where` (port 0: a free one). Throws std::system_error.
  datagram_server(asio::io_context& io, const asio::ip::udp::endpoint& where);
  datagram_server(const datagram_server&) = delete;
  datagram_server& operator=(const datagram_server&) = delete;

  asio::ip::udp::endpoint local_endpoint() const { return socket_.local_endpoint(); }
  /// The transport of one connection the script accepts.
  std::unique_ptr<transport> make_transport();
  void close();

  struct client;  // one source: its datagrams not read yet, and who reads them
  struct waiting; // a transport's accept or read, not answered yet

private:
  friend class datagram_client_transport;
  void receive();
  void deliver(const asio::ip::udp::endpoint& from, byte_view bytes);
  void answer_accepts();
  void drop_datagrams(client& c);

  asio::io_context& io_;
  asio::ip::udp::socket socket_;
  std::vector<std::uint8_t> buffer_;
  asio::ip::udp::endpoint source_;
  std::vector<std::shared_ptr<client>> clients_; // every source seen, in order
  std::deque<std::weak_ptr<waiting>> accepts_;   // transports waiting for a client
  std::size_t queued_bytes_ = 0;                 // in every client's datagrams
};

} // namespace tcpcheck::harness
