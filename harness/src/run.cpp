// The Asio driver of the session state machine: sockets, timers, wire log.
//
// One driver per session, all of its handlers on one strand. Each
// io_context is run by one thread (run_sessions gives each thread its own):
// the TCP transport's epoll set relies on it (socket_events.hpp). The driver only
// carries out what the session asks and reports what happened; every
// decision about the conversation is the session's.
#include "tcpcheck/harness/run.hpp"

#include "tcpcheck/detail/front_queue.hpp"
#include "tcpcheck/harness/memory_budget.hpp"
#include "tcpcheck/harness/socket_diag.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <iterator>
#include <mutex>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include <asio.hpp>

#include "datagram_server.hpp"
#include "session_timers.hpp"
#include "tcp_transport.hpp"
#include "udp_transport.hpp"

namespace tcpcheck::harness {

namespace {

using asio::ip::tcp;
using clock = std::chrono::steady_clock;

// How long writes still queued when a passing verdict came may wait for
// room in the peer's window, beyond the gaps they were queued with.
constexpr std::chrono::milliseconds drain_patience{1000};

// Whether a failed connect was answered by a peer (reset) rather than
// refused or never answered.
bool answered(const std::error_code& ec) {
  return ec == asio::error::connection_reset || ec == std::errc::connection_reset;
}

struct queued_op {
  session_action::kind what;
  byte_buffer bytes;
  duration delay{0};
};

// Each conversation's own ${run}: a counter that starts somewhere else in
// each process, so that parallel runs, later runs and other tcpcheck
// processes against one server do not collide on the names they create.
std::uint64_t next_conversation_id() {
  static std::atomic<std::uint64_t> next{[] {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const auto ms = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
    return (static_cast<std::uint64_t>(::getpid()) * 1000003u + ms) % 100000000000u * 1000u;
  }()};
  return next++;
}

session_options with_conversation_id(session_options options) {
  if (options.conversation_id == 0) options.conversation_id = next_conversation_id();
  return options;
}

// `connect HOST:PORT`: the endpoint, which must be a loopback address
// (tcpcheck talks to nothing else). False with `error` otherwise.
bool loopback_endpoint(const std::string& text, tcp::resolver::results_type& out,
                       std::string& error) {
  const std::size_t colon = text.rfind(':');
  std::string host = text.substr(0, colon == std::string::npos ? 0 : colon);
  if (host == "localhost") host = "127.0.0.1";
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  unsigned port = 0;
  const std::string digits = colon == std::string::npos ? "" : text.substr(colon + 1);
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  std::error_code bad;
  const auto address = asio::ip::make_address(host, bad);
  if (colon == std::string::npos || ec != std::errc{} || end != digits.data() + digits.size() ||
      port == 0 || port > 65535 || bad) {
    error = "'" + text + "' is not HOST:PORT";
    return false;
  }
  if (!address.is_loopback()) {
    error = "'" + text + "' is not a loopback address: tcpcheck connects to nothing else";
    return false;
  }
  out = tcp::resolver::results_type::create(
      tcp::endpoint(address, static_cast<unsigned short>(port)), host, digits);
  return true;
}

// Where a driver's connections go: with `make`, transports it provides (an
// in-memory stream in tests); else TCP sockets to `endpoints` or, for a
// `role server` script, accepted by `acceptor`.
struct peer_side {
  transport_factory make;
  const tcp::resolver::results_type* endpoints = nullptr;
  tcp::acceptor* acceptor = nullptr;
  datagram_server* datagrams = nullptr; ///< a UDP `role server` script's socket
};

class driver : public std::enable_shared_from_this<driver> {
public:
  driver(asio::io_context& io, peer_side peer, const script& s, const framing_spec& spec,
         const delivery_plan& plan, const run_options& options,
         std::function<void(run_result)> done)
      : strand_(asio::make_strand(io)), make_(std::move(peer.make)), endpoints_(peer.endpoints),
        acceptor_(peer.acceptor), datagram_server_(peer.datagrams),
        // Borrowed, not copied: the script outlives every run of it.
        session_(borrowed_script(s), spec, plan, with_conversation_id(options.session)),
        options_(options), done_(std::move(done)), run_timer_(strand_), drain_timer_(strand_),
        started_(clock::now()), timers_(strand_) {
    for (std::size_t i = 0; i < session_.connection_names().size(); ++i)
      connections_.push_back(std::make_unique<connection>(strand_));
  }

  void start() {
    asio::dispatch(strand_, [self = shared_from_this()] {
      self->run_timer_.expires_after(self->options_.run_timeout);
      self->run_timer_.async_wait([self](std::error_code ec) {
        if (ec || self->ended_) return;
        self->cut_short(
            "the whole run took longer than " +
            duration_text(std::chrono::duration_cast<duration>(self->options_.run_timeout)));
      });
      self->session_.start();
      self->pump();
    });
  }

  /// Ends the run as a failure (something outside it went wrong: the
  /// client under test died), unless it has ended.
  void stop(std::string reason) {
    asio::dispatch(strand_, [self = shared_from_this(), reason = std::move(reason)]() mutable {
      if (self->ended_) return;
      self->cut_short(std::move(reason));
    });
  }

private:
  struct connection {
    explicit connection(runner_strand& strand) : gap(strand), read_pause(strand) {}
    std::unique_ptr<transport> link;            // made anew by each connect
    tcp::resolver::results_type other_endpoint; // `connect HOST:PORT`: where link goes
    asio::steady_timer gap;
    asio::steady_timer read_pause; // run_options::read_pause, or a read the pool held back
    bool read_pause_noted = false; // the wire log says a read was held back
    bool to_target = true;         // not `connect HOST:PORT` elsewhere
    tcpcheck::detail::front_queue<queued_op> queue;
    bool busy = false;
    // The bytes of the write in flight (one at a time: busy), kept here until
    // it completes rather than in a shared buffer made for each write. A link
    // replaced or closed meanwhile no longer touches them.
    byte_buffer writing;
    bool watch_peer_reads = true; // until the peer once reads nothing for peer_read_patience
    // Small on purpose for a stream: ten thousand sessions at once must fit
    // in memory, and a larger reply simply takes several reads. A datagram
    // must fit whole (a read takes one, and drops what does not fit).
    std::vector<std::uint8_t> buffer;
  };

  std::chrono::microseconds now() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - started_);
  }

  void log(wire_event::kind what, std::size_t c, byte_view bytes = {}, std::string text = {}) {
    wire_event e;
    e.what = what;
    e.at = now();
    e.connection = c;
    e.size = bytes.size();
    const std::size_t room = options_.wire_log_bytes - std::min(options_.wire_log_bytes, logged_);
    const std::size_t kept = std::min(room, bytes.size());
    e.bytes.assign(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(kept));
    logged_ += kept;
    e.text = std::move(text);
    keep(std::move(e));
  }

  // The log's head goes to the result as it comes; past half the limit,
  // events wait in the tail, the oldest counted out as new ones come.
  void keep(wire_event e) {
    const std::size_t half = std::max<std::size_t>(1, options_.wire_log_events / 2);
    if (result_.wire_log.size() < half) {
      result_.wire_log.push_back(std::move(e));
      return;
    }
    log_tail_.push_back(std::move(e));
    if (log_tail_.size() <= half) return;
    if (dropped_events_++ == 0) first_dropped_at_ = log_tail_.front().at;
    log_tail_.pop_front();
  }

  void close_log() {
    if (dropped_events_) {
      wire_event gap;
      gap.what = wire_event::kind::dropped;
      gap.at = first_dropped_at_;
      gap.text = std::to_string(dropped_events_) + " events not kept (wire log limit " +
                 std::to_string(options_.wire_log_events) + ")";
      result_.wire_log.push_back(std::move(gap));
    }
    std::move(log_tail_.begin(), log_tail_.end(), std::back_inserter(result_.wire_log));
    log_tail_.clear();
  }

  // Carries out what the session asked for, or ends the run.
  void pump() {
    if (ended_) return;
    // The batch's buffer goes back to the session for its next actions (a
    // pump from within carry_out finds no spare and takes a fresh vector).
    std::vector<session_action> batch;
    batch.swap(spare_actions_);
    session_.take_actions(batch);
    for (auto& action : batch)
      carry_out(std::move(action));
    batch.clear();
    spare_actions_.swap(batch);
    end_when_done();
  }

  // A conversation that passed ends once what it queued has gone out (a
  // last reply, a closing reset): its verdict must not come before its
  // last bytes. One that failed ends at once.
  void end_when_done() {
    if (ended_ || !session_.finished()) return;
    if (session_.result().passed && writing() && !peer_gone_) {
      start_drain_timer();
      return;
    }
    end();
  }

  // A peer that stops reading would keep the last writes waiting for room
  // until the run's timeout: they get a moment, then the verdict stands
  // without them.
  void start_drain_timer() {
    if (draining_) return;
    draining_ = true;
    duration gaps{0}; // a trickled reply's pieces wait their gaps by design
    for (const auto& conn : connections_) {
      for (const auto& op : conn->queue)
        gaps += op.delay;
      if (conn->watch_peer_reads) gaps += peer_read_patience;
    }
    drain_timer_.expires_after(drain_patience + gaps);
    drain_timer_.async_wait([self = shared_from_this()](std::error_code ec) {
      if (ec || self->ended_) return;
      self->peer_gone_ = true;
      self->end();
    });
  }

  bool writing() const {
    return std::any_of(connections_.begin(), connections_.end(),
                       [](const auto& conn) { return conn->busy || !conn->queue.empty(); });
  }

  // Ends the run as a failure, whether the session is still running or
  // passed with writes still going out.
  void cut_short(std::string reason) {
    if (session_.finished()) {
      drain_failure_ = std::move(reason) + " (the script's last writes were still going out)";
      end();
      return;
    }
    session_.abort(std::move(reason));
    pump();
  }

  void carry_out(session_action action) {
    const std::size_t c = action.connection;
    switch (action.what) {
    case session_action::kind::connect:
    case session_action::kind::accept:
      connect(c, action.endpoint, action.what == session_action::kind::accept);
      return;
    case session_action::kind::start_timer:
      if (timers_.add(action.timer, action.delay)) wait_for_timers();
      return;
    case session_action::kind::write:
    case session_action::kind::shutdown:
    case session_action::kind::close:
    case session_action::kind::reset:
      connections_[c]->queue.push_back({action.what, std::move(action.bytes), action.delay});
      next_op(c);
      return;
    }
  }

  // Opens connection `c`: connects, or takes the client's next connection.
  void connect(std::size_t c, const std::string& endpoint, bool accepting) {
    connection& conn = *connections_[c];
    if (conn.link && conn.link->is_open()) conn.link->close(false);
    conn.queue.clear();
    conn.busy = false;
    conn.gap.cancel(); // a pause for the old link's next piece
    conn.read_pause.cancel();
    conn.watch_peer_reads = true;
    std::string error;
    conn.link = make_link(c, endpoint, accepting, error);
    conn.to_target = endpoint.empty();
    if (conn.link) conn.buffer.resize(conn.link->datagrams() ? datagram_read_size : 4 * 1024);
    if (!conn.link) {
      log(wire_event::kind::error, c, {}, (accepting ? "accept: " : "connect: ") + error);
      session_.on_connect_failed(c, error);
      pump();
      return;
    }
    log(accepting ? wire_event::kind::accept : wire_event::kind::connect, c);
    transport* link = conn.link.get();
    link->async_connect([self = shared_from_this(), c, link, accepting](std::error_code ec) {
      if (self->ended_ || self->connections_[c]->link.get() != link) return;
      if (ec) {
        self->log(wire_event::kind::error, c, {},
                  std::string(accepting ? "accept: " : "connect: ") + ec.message());
        // Unreachable: nothing answered. A reset during the handshake came
        // from something that took the connection (a server that accepts
        // and resets): that is the server's failure, not a missing target.
        if (c == 0 && !self->connected_once_ && !accepting && !answered(ec))
          self->result_.unreachable = true;
        self->session_.on_connect_failed(c, ec.message());
        self->pump();
        return;
      }
      self->connected_once_ = true;
      self->log(accepting ? wire_event::kind::accepted : wire_event::kind::connected, c);
      self->session_.on_connected(c);
      if (self->options_.read_pause.count() > 0) link->shrink_receive_buffer();
      self->read(c);
      self->pump();
    });
  }

  // The transport connection `c` opens with: the factory's, a socket to the
  // target or to `endpoint`, or one the acceptor fills. Null, with `error`,
  // when there is none to be had.
  std::unique_ptr<transport> make_link(std::size_t c, const std::string& endpoint, bool accepting,
                                       std::string& error) {
    if (make_)
      return make_(
          c, [strand = strand_](std::function<void()> f) { asio::post(strand, std::move(f)); });
    if (accepting) {
      if (datagram_server_) return datagram_server_->make_transport();
      if (acceptor_) return make_tcp_transport(strand_, *acceptor_);
      error = "tcpcheck is not listening: run it with --client or --listen";
      return nullptr;
    }
    const tcp::resolver::results_type* to = endpoints_;
    if (!endpoint.empty()) {
      connection& conn = *connections_[c];
      if (!loopback_endpoint(endpoint, conn.other_endpoint, error)) return nullptr;
      to = &conn.other_endpoint;
    }
    if (session_.steps().transport == script_transport::udp) {
      // UDP cannot try the next address when one refuses, as a TCP connect
      // does: an IPv4 one when the name has both ("localhost" is 127.0.0.1
      // wherever tcpcheck names a loopback itself).
      tcp::endpoint chosen = to->begin()->endpoint();
      for (const auto& entry : *to)
        if (entry.endpoint().address().is_v4()) {
          chosen = entry.endpoint();
          break;
        }
      return make_udp_transport(strand_, asio::ip::udp::endpoint(chosen.address(), chosen.port()));
    }
    return make_tcp_transport(strand_, *to);
  }

  // What the session holds beyond its own share is borrowed from the
  // budget's pool; false when the pool lends no more (the read waits).
  bool may_read() {
    if (!options_.pool) return true;
    const std::size_t held = session_.held_bytes();
    if (held <= options_.own_bytes + borrowed_) return true;
    const std::size_t more = held - options_.own_bytes - borrowed_;
    if (!options_.pool->borrow(more)) return false;
    borrowed_ += more;
    return true;
  }

  // Said once per connection: a verdict reached while reads waited names
  // the wait, so a timeout is not taken for the server's alone.
  void note_held_back(std::size_t c) {
    connections_[c]->read_pause_noted = true;
    log(wire_event::kind::error, c, {},
        "read held back: the memory budget's pool (--memory) has nothing left to lend; "
        "reading again as other conversations end");
  }

  void read(std::size_t c) {
    if (!may_read()) {
      // Asked again soon: other sessions give back as they end. The
      // session's own timeouts still run meanwhile.
      if (!connections_[c]->read_pause_noted) note_held_back(c);
      return after_read_pause(c, std::chrono::milliseconds(5), &driver::read);
    }
    if (options_.read_pause.count() == 0) return read_now(c);
    after_read_pause(c, options_.read_pause, &driver::read_now);
  }

  // Calls `then(c)` after `pause`, unless the run ends or the connection
  // is opened anew meanwhile.
  void after_read_pause(std::size_t c, std::chrono::microseconds pause,
                        void (driver::*then)(std::size_t)) {
    connection& conn = *connections_[c];
    conn.read_pause.expires_after(pause);
    conn.read_pause.async_wait(
        [self = shared_from_this(), c, link = conn.link.get(), then](std::error_code ec) {
          if (ec || self->ended_ || self->connections_[c]->link.get() != link) return;
          ((*self).*then)(c);
        });
  }

  void read_now(std::size_t c) {
    connection& conn = *connections_[c];
    transport* link = conn.link.get();
    link->async_read_some(
        conn.buffer, [self = shared_from_this(), c, link](std::error_code ec, std::size_t n) {
          // A handler for a connection closed or replaced since: nothing to say.
          if (self->ended_ || self->connections_[c]->link.get() != link) return;
          connection& reading = *self->connections_[c];
          if (link->datagrams() && ec) return self->datagram_failed(c, ec, n);
          if (n > 0 || link->datagrams()) {
            if (link->datagrams()) self->received_datagram_ = true;
            const byte_view bytes(reading.buffer.data(), n);
            self->log(wire_event::kind::read, c, bytes);
            self->session_.on_received(c, bytes);
          }
          if (!ec) {
            self->pump();
            // The steps pump() ran may have opened the connection anew: the
            // new link reads for itself, and this one is gone.
            if (!self->ended_ && self->connections_[c]->link.get() == link && link->is_open())
              self->read(c);
            return;
          }
          if (ec == asio::error::eof) {
            self->log(wire_event::kind::peer_fin, c);
            self->session_.on_peer_closed(c);
            self->watch_after_fin(c);
          } else if (ec != asio::error::operation_aborted && ec != asio::error::bad_descriptor) {
            // A reset, or any other end the peer caused: the session judges it.
            self->log(wire_event::kind::peer_rst, c, {}, ec.message());
            self->session_.on_peer_reset(c);
          }
          self->pump();
        });
  }

  // UDP has no connection to lose. A refused datagram (an ICMP port
  // unreachable) says nothing listens there; a datagram from another
  // address or port than the one asked is the server's fault, since a
  // client with a connected socket would never see it.
  void datagram_failed(std::size_t c, std::error_code ec, std::size_t n, bool writing = false) {
    transport& link = *connections_[c]->link;
    if (ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor) return pump();
    std::string reason;
    if (ec == datagram_error::stray_source) {
      log(wire_event::kind::read, c, byte_view(connections_[c]->buffer.data(), n),
          "from " + link.last_source());
      reason = "a reply came from " + link.last_source() + ", not from " + link.peer_name() +
               " where the request went (a client with a connected socket never sees it)";
    } else if (ec == asio::error::connection_refused) {
      reason = "nothing is listening on UDP " + link.peer_name() + " (ICMP port unreachable)";
      // Refused before anything came back, when at most one datagram had
      // gone out (the refusal of the first may fail the second's write):
      // the server was not there. After more, the case may have killed it,
      // which is the case's doing, judged as such; and another endpoint's
      // refusal is the script's business.
      if (!received_datagram_ && datagrams_sent_ <= 1 && connections_[c]->to_target)
        result_.unreachable = true;
    } else {
      // No FIN or RST will follow to end a wait: the run fails here.
      reason = std::string(writing ? "cannot send the datagram: " : "cannot read a datagram: ") +
               ec.message();
    }
    log(wire_event::kind::error, c, {}, reason);
    session_.abort(reason);
    pump();
  }

  // A peer that closed may still reset the connection (data written after
  // its FIN reaches a socket that is gone): logged and judged, not lost.
  // A session the FIN finished has nothing more to judge: watching would
  // only cost a registration with the reactor.
  void watch_after_fin(std::size_t c) {
    if (session_.finished()) return;
    transport* link = connections_[c]->link.get();
    link->async_wait_failure([self = shared_from_this(), c, link](std::error_code ec) {
      if (self->ended_ || self->connections_[c]->link.get() != link) return;
      if (ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor) return;
      self->log(wire_event::kind::peer_rst, c, {}, "after its FIN: " + ec.message());
      self->session_.on_peer_reset(c);
      self->pump();
    });
  }

  void wait_for_timers() {
    timers_.wait([self = shared_from_this()](std::error_code ec) {
      if (ec || self->ended_) return; // a wait set anew since, or the run is over
      self->timers_.take_due(self->due_timers_);
      for (const std::uint64_t id : self->due_timers_) {
        if (self->ended_) return;
        self->session_.on_timer(id);
        self->pump();
      }
      if (!self->ended_ && self->timers_.needs_wait()) self->wait_for_timers();
    });
  }

  void next_op(std::size_t c) {
    connection& conn = *connections_[c];
    if (conn.busy || conn.queue.empty() || ended_) return;
    conn.busy = true;
    if (conn.queue.front().delay.count() > 0) {
      conn.gap.expires_after(conn.queue.front().delay);
      conn.gap.async_wait([self = shared_from_this(), c](std::error_code ec) {
        if (ec || self->ended_) return;
        self->do_op_once_read(c, clock::now() + peer_read_patience, peer_read_first_poll);
      });
      return;
    }
    do_op(c);
  }

  // A later piece of a cut send goes out once the peer has read the pieces
  // before it, where its receive queue can be seen: each piece is then a
  // read of its own however slowly the peer reads, not only while it reads
  // faster than the gap.
  void do_op_once_read(std::size_t c, clock::time_point give_up_at,
                       std::chrono::microseconds poll) {
    connection& conn = *connections_[c];
    if (conn.queue.empty()) return; // the connection was opened anew meanwhile
    const bool watched = conn.watch_peer_reads && conn.link &&
                         conn.queue.front().what == session_action::kind::write;
    const auto unread = watched ? conn.link->peer_unread() : std::nullopt;
    if (!unread || *unread == 0) return do_op(c);
    if (clock::now() >= give_up_at) {
      conn.watch_peer_reads = false; // a peer busy elsewhere, or not reading at all
      return do_op(c);
    }
    conn.gap.expires_after(poll);
    conn.gap.async_wait([self = shared_from_this(), c, give_up_at, poll](std::error_code ec) {
      if (ec || self->ended_) return;
      self->do_op_once_read(c, give_up_at, std::min(poll * 2, peer_read_slowest_poll));
    });
  }

  void do_op(std::size_t c) {
    connection& conn = *connections_[c];
    queued_op op = std::move(conn.queue.front());
    conn.queue.pop_front();
    if (!conn.link) { // the script acts on a connection it never opened
      conn.busy = false;
      session_.on_write_failed(c, "not connected");
      pump();
      return;
    }
    switch (op.what) {
    case session_action::kind::write: {
      conn.writing = std::move(op.bytes);
      // Logged as it is issued: a reply can come before the write's
      // completion handler runs, and the log must show the write first.
      log(wire_event::kind::write, c, conn.writing);
      transport* link = conn.link.get();
      conn.link->async_write(
          conn.writing, [self = shared_from_this(), c, link](std::error_code ec) {
            // A write of a link opened anew since: connect() has reset the
            // queue, and the new link's writes are its own.
            if (self->ended_ || self->connections_[c]->link.get() != link) return;
            self->connections_[c]->writing = byte_buffer{}; // a large send's memory back now
            self->connections_[c]->busy = false;
            if (ec && link->datagrams()) return self->datagram_failed(c, ec, 0, true);
            if (link->datagrams()) ++self->datagrams_sent_;
            if (ec) {
              self->log(wire_event::kind::error, c, {}, "write: " + ec.message());
              // After the verdict, a peer that is gone (the script let it
              // close) takes nothing more: stop sending, keep the verdict.
              if (self->session_.finished()) self->peer_gone_ = true;
              self->session_.on_write_failed(c, ec.message());
            }
            self->pump();
            self->next_op(c);
            self->end_when_done();
          });
      return;
    }
    case session_action::kind::shutdown: {
      const std::error_code ec = conn.link->shutdown_send();
      log(wire_event::kind::shutdown, c, {}, ec ? ec.message() : "");
      break;
    }
    case session_action::kind::close:
    case session_action::kind::reset:
      conn.link->close(op.what == session_action::kind::reset);
      log(op.what == session_action::kind::reset ? wire_event::kind::reset
                                                 : wire_event::kind::close,
          c);
      break;
    default:
      break;
    }
    conn.busy = false;
    next_op(c);
    end_when_done();
  }

  void end() {
    if (ended_) return;
    ended_ = true;
    std::error_code ignored;
    run_timer_.cancel();
    drain_timer_.cancel();
    timers_.cancel();
    if (options_.pool && borrowed_ > 0) options_.pool->give_back(borrowed_);
    borrowed_ = 0;
    for (auto& conn : connections_) {
      conn->gap.cancel();
      conn->read_pause.cancel();
      // Writes still queued when the verdict came are not sent: the
      // conversation is over.
      if (conn->link && conn->link->is_open()) conn->link->close(false);
    }
    close_log();
    result_.outcome = session_.take_result();
    if (!drain_failure_.empty() && result_.outcome.passed) {
      result_.outcome.passed = false;
      result_.outcome.line = 0;
      result_.outcome.reason = drain_failure_;
    }
    result_.elapsed = now();
    result_.started = started_;
    asio::post(strand_, [self = shared_from_this()] { self->done_(std::move(self->result_)); });
  }

  runner_strand strand_;
  transport_factory make_;
  const tcp::resolver::results_type* endpoints_;
  tcp::acceptor* acceptor_;
  datagram_server* datagram_server_;
  session session_;
  std::vector<session_action> spare_actions_; // a buffer for the next take_actions
  run_options options_;
  std::function<void(run_result)> done_;
  asio::steady_timer run_timer_;
  asio::steady_timer drain_timer_;
  clock::time_point started_;
  std::vector<std::unique_ptr<connection>> connections_;
  session_timers timers_;
  std::vector<std::uint64_t> due_timers_; // a buffer for the timers due at once
  run_result result_;
  std::size_t logged_ = 0;
  /// The latest events, once the log's head is full.
  tcpcheck::detail::front_queue<wire_event> log_tail_;
  std::size_t dropped_events_ = 0;
  std::chrono::microseconds first_dropped_at_{0};
  bool ended_ = false;
  bool connected_once_ = false;
  bool received_datagram_ = false; ///< some datagram came: the target was there
  std::size_t datagrams_sent_ = 0; ///< written whole (a refused write is not counted)
  std::size_t borrowed_ = 0;       // from options_.pool, given back at the end
  std::string drain_failure_;      ///< why a run that passed was cut short while writing
  bool peer_gone_ = false; ///< a write failed, or draining took too long: the rest is dropped
  bool draining_ = false;  ///< the verdict came with writes still going out
};

tcp::resolver::results_type resolve(asio::io_context& io, const target& where, std::string& error) {
  tcp::resolver resolver(io);
  std::error_code ec;
  auto results =
      resolver.resolve(where.host, std::to_string(where.port), tcp::resolver::numeric_service, ec);
  if (ec) error = "cannot resolve '" + where.host + "': " + ec.message();
  return results;
}

run_result unreachable(const target& where, std::string reason) {
  run_result r;
  r.unreachable = true;
  r.outcome.passed = false;
  r.outcome.reason = "cannot reach " + to_string(where) + ": " + std::move(reason);
  return r;
}

} // namespace

namespace {

std::optional<target> parse_host_port(std::string_view text, std::string& error,
                                      unsigned lowest_port) {
  target t;
  std::string_view port_text;
  if (text.starts_with('[')) {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      error = "'" + std::string(text) + "' is not [IPv6]:PORT";
      return std::nullopt;
    }
    t.host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0 ||
        text.substr(0, colon).find(':') != std::string_view::npos) {
      error = "'" + std::string(text) + "' is not HOST:PORT (IPv6 as [::1]:PORT)";
      return std::nullopt;
    }
    t.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size() ||
      port < lowest_port || port > 65535) {
    error = "'" + std::string(port_text) + "' is not a port from " + std::to_string(lowest_port) +
            " to 65535";
    return std::nullopt;
  }
  t.port = static_cast<std::uint16_t>(port);
  return t;
}

} // namespace

std::optional<target> parse_target(std::string_view text, std::string& error) {
  return parse_host_port(text, error, 1);
}

std::optional<target> parse_listen_target(std::string_view text, std::string& error) {
  return parse_host_port(text, error, 0);
}

std::string to_string(const target& t) {
  const bool v6 = t.host.find(':') != std::string::npos;
  return (v6 ? "[" + t.host + "]" : t.host) + ":" + std::to_string(t.port);
}

run_result run_script_with(const transport_factory& make, const script& s, const framing_spec& spec,
                           const delivery_plan& plan, const run_options& options) {
  asio::io_context io;
  run_result result;
  std::make_shared<driver>(io, peer_side{make}, s, spec, plan, options, [&result](run_result r) {
    result = std::move(r);
  })->start();
  io.run();
  return result;
}

namespace {

// The loopback address `where` names; nullopt with `error` for any other.
std::optional<asio::ip::address> loopback_address(const target& where, std::string& error) {
  std::error_code ec;
  const std::string host = where.host == "localhost" ? "127.0.0.1" : where.host;
  const auto address = asio::ip::make_address(host, ec);
  if (!ec && address.is_loopback()) return address;
  error = "'" + where.host + "' is not a loopback address: tcpcheck listens on nothing else";
  return std::nullopt;
}

// The loopback endpoint `where` names, listening; nullopt with `error`.
std::optional<tcp::acceptor> listen_on(asio::io_context& io, const target& where,
                                       std::string& error) {
  const auto address = loopback_address(where, error);
  if (!address) return std::nullopt;
  std::error_code ec;
  tcp::acceptor acceptor(io);
  const tcp::endpoint endpoint(*address, where.port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error = "cannot listen on " + to_string(where) + ": " + ec.message();
    return std::nullopt;
  }
  return acceptor;
}

// A UDP `role server` script's socket, bound on loopback; null with `error`.
std::unique_ptr<datagram_server> bind_datagrams(asio::io_context& io, const target& where,
                                                std::string& error) {
  const auto address = loopback_address(where, error);
  if (!address) return nullptr;
  try {
    return std::make_unique<datagram_server>(io, asio::ip::udp::endpoint(*address, where.port));
  } catch (const std::system_error& e) {
    error = "cannot bind UDP " + to_string(where) + ": " + e.code().message();
    return nullptr;
  }
}

} // namespace

run_result serve_script(const target& where, const script& s, const framing_spec& spec,
                        const delivery_plan& plan, const run_options& options,
                        const std::function<void(const target&)>& listening,
                        const std::function<std::string()>& client_gone) {
  asio::io_context io;
  std::string error;
  const bool udp = s.transport == script_transport::udp;
  std::optional<tcp::acceptor> acceptor;
  std::unique_ptr<datagram_server> datagrams;
  if (udp)
    datagrams = bind_datagrams(io, where, error);
  else
    acceptor = listen_on(io, where, error);
  if (!acceptor && !datagrams) {
    run_result r;
    r.outcome.reason = error;
    r.unreachable = true;
    return r;
  }
  const target bound{where.host,
                     udp ? datagrams->local_endpoint().port() : acceptor->local_endpoint().port()};
  if (listening) listening(bound);
  run_result result;
  bool ended = false;
  const peer_side peer{{}, nullptr, acceptor ? &*acceptor : nullptr, datagrams.get()};
  const auto d = std::make_shared<driver>(io, peer, s, spec, plan, options, [&](run_result r) {
    result = std::move(r);
    ended = true;
    std::error_code ignored;
    if (acceptor) acceptor->close(ignored);
    if (datagrams) datagrams->close();
  });
  d->start();
  // Whether the client is still there, every so often: one that died
  // before it connected would otherwise be waited for until the timeout.
  asio::steady_timer watch(io);
  std::function<void()> look = [&] {
    watch.expires_after(std::chrono::milliseconds(50));
    watch.async_wait([&](std::error_code ec) {
      if (ec || ended) return;
      if (std::string gone = client_gone ? client_gone() : ""; !gone.empty())
        d->stop(std::move(gone));
      else
        look();
    });
  };
  if (client_gone) look();
  io.run();
  return result;
}

void keep_payload(run_result& r, std::size_t most_bytes, std::string_view why) {
  std::size_t room = most_bytes;
  for (auto& e : r.wire_log) {
    const std::size_t keep = std::min(room, e.bytes.size());
    e.bytes.resize(keep);
    e.bytes.shrink_to_fit();
    room -= keep;
  }
  room = most_bytes;
  for (auto& e : r.outcome.transcript) {
    const std::size_t keep = std::min(room, e.bytes.size());
    if (keep < e.bytes.size())
      e.text += (e.text.empty() ? "" : "; ") + std::to_string(e.bytes.size() - keep) +
                " more bytes not kept (" + std::string(why) + ")";
    e.bytes.resize(keep);
    e.bytes.shrink_to_fit();
    room -= keep;
  }
}

std::chrono::milliseconds run_limit_for(const script& s, const run_options& options) {
  using kind = script_step::kind;
  // Beyond the waits: writes, their gaps, a slow machine.
  constexpr duration margin{5000};
  const duration expect_default = s.timeout.value_or(options.session.default_timeout);
  duration longest = margin;
  for (const auto& step : s.steps) {
    if (step.what == kind::expect || step.what == kind::sync)
      longest += step.within.value_or(expect_default);
    else if (step.what == kind::connect)
      longest += options.session.connect_timeout;
    else if (step.what == kind::sleep)
      longest += step.pause;
  }
  return std::max(options.run_timeout,
                  std::chrono::duration_cast<std::chrono::milliseconds>(longest));
}

run_result run_script(const target& where, const script& s, const framing_spec& spec,
                      const delivery_plan& plan, const run_options& options) {
  run_result result;
  run_many(where, s, spec, plan, 1, 1, options,
           [&](std::size_t, run_result r) { result = std::move(r); });
  return result;
}

namespace {

// Runs `count` sessions, session i on `script_of(i)`, `concurrency` at a
// time. Each thread runs an io_context of its own, and a session lives on
// one of them from start to end: no thread ever wakes another or waits on
// its locks, which on a shared io_context cost more CPU than the
// conversations themselves (futex and epoll wake-ups at every handler).
void run_sessions(const target& where, std::size_t count,
                  const std::function<const script&(std::size_t)>& script_of,
                  const framing_spec& spec, const delivery_plan& plan, std::size_t threads,
                  const run_options& options,
                  const std::function<void(std::size_t, run_result)>& done, std::size_t concurrency,
                  const std::atomic<bool>* stop = nullptr) {
  const std::size_t at_once = concurrency == 0 ? count : std::min(concurrency, count);
  const std::size_t shards = std::clamp<std::size_t>(threads, 1, std::max<std::size_t>(at_once, 1));
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  for (std::size_t k = 0; k < shards; ++k)
    contexts.push_back(std::make_unique<asio::io_context>(1)); // one thread runs each
  std::string error;
  const auto endpoints = resolve(*contexts.front(), where, error);
  if (!error.empty()) {
    for (std::size_t i = 0; i < count; ++i)
      done(i, unreachable(where, error));
    return;
  }
  std::mutex report;
  std::atomic<std::size_t> next{0};
  // Starts the next session on `io`, if any is left; each one that ends
  // starts one on the same io_context.
  std::function<void(asio::io_context&)> launch = [&](asio::io_context& io) {
    if (stop && stop->load()) return;
    const std::size_t i = next++;
    if (i >= count) return;
    std::make_shared<driver>(io, peer_side{{}, &endpoints}, script_of(i), spec, plan, options,
                             [&done, &report, &launch, &io, i](run_result r) {
                               {
                                 const std::lock_guard lock(report);
                                 done(i, std::move(r));
                               }
                               launch(io);
                             })
        ->start();
  };
  for (std::size_t k = 0; k < at_once; ++k)
    launch(*contexts[k % shards]);
  std::vector<std::thread> pool;
  for (std::size_t k = 1; k < shards; ++k)
    pool.emplace_back([&io = *contexts[k]] { io.run(); });
  contexts.front()->run();
  for (auto& thread : pool)
    thread.join();
}

} // namespace

void run_many(const target& where, const script& s, const framing_spec& spec,
              const delivery_plan& plan, std::size_t count, std::size_t threads,
              const run_options& options, const std::function<void(std::size_t, run_result)>& done,
              std::size_t concurrency, const std::atomic<bool>* stop) {
  run_sessions(
      where, count, [&s](std::size_t) -> const script& { return s; }, spec, plan, threads, options,
      done, concurrency, stop);
}

void run_each(const target& where, const std::vector<script>& scripts, const framing_spec& spec,
              const delivery_plan& plan, std::size_t threads, const run_options& options,
              const std::function<void(std::size_t, run_result)>& done, std::size_t concurrency,
              const std::atomic<bool>* stop) {
  run_sessions(
      where, scripts.size(), [&scripts](std::size_t i) -> const script& { return scripts[i]; },
      spec, plan, threads, options, done, concurrency, stop);
}

} // namespace tcpcheck::harness
