#include "proxy_connection.hpp"

#include "tcpcheck/escape.hpp"

#include <algorithm>
#include <string>

namespace tcpcheck::harness::detail {

namespace {

// Large enough to take a loopback burst in one read, small enough that a
// few hundred connections cost little.
constexpr std::size_t read_buffer_size = 64u << 10;
// What `-v` shows of a frame.
constexpr std::size_t shown_frame_bytes = 96;

// Cutting plans queue one action per piece: they are held to a smaller
// bound so that a bytewise direction does not hold a million actions.
std::size_t queue_bound_for(const proxy_options& options, const disturbance& d) {
  return d.plan.cuts_sends() ? std::min<std::size_t>(options.queue_bound, 16u << 10)
                             : options.queue_bound;
}

std::string frame_text(const observed_frame& f) {
  std::string text = escape(f.payload.first(std::min(f.payload.size(), shown_frame_bytes)));
  if (f.payload_size > shown_frame_bytes) text += "...";
  return "\"" + text + "\"";
}

} // namespace

void proxy_context::tell(proxy_event::kind what, std::size_t connection, std::string text) const {
  if (options.on_event) options.on_event({what, connection, std::move(text)});
}

proxy_connection::pump::pump(proxy_connection& owner, tcp::socket& source, tcp::socket& sink,
                             traffic_side sender, stream_shaper shaping)
    : from(source), to(sink), side(sender), shaper(std::move(shaping)), buffer(read_buffer_size),
      timer(owner.context_.io) {}

proxy_connection::proxy_connection(proxy_context& context, tcp::socket client, std::size_t id)
    : context_(context), id_(id), client_(std::move(client)), upstream_(context.io),
      connect_timer_(context.io), idle_timer_(context.io), last_activity_(clock::now()),
      up_(*this, client_, upstream_, traffic_side::client, make_shaper(context.up, 0)),
      down_(*this, upstream_, client_, traffic_side::server, make_shaper(context.down, 1)) {}

stream_shaper proxy_connection::make_shaper(const disturbance& d, std::uint64_t salt) const {
  // Each connection's directions get seeds of their own, the same from run
  // to run for the same --seed and the same order of connections.
  const std::uint64_t seed = context_.options.seed * 0x9E3779B97F4A7C15ull + id_ * 2 + salt;
  return stream_shaper(d, context_.spec, seed);
}

void proxy_connection::start() {
  for (pump* p : {&up_, &down_}) {
    p->shaper.observe_frames([this, p](const observed_frame& f) {
      if (context_.options.verbose)
        context_.tell(proxy_event::kind::frame, id_,
                      std::string(p->name()) + " frame of " + std::to_string(f.payload_size) +
                          " bytes at offset " + std::to_string(f.offset) + ": " + frame_text(f));
    });
  }
  if (context_.recorder) recorder_id_ = context_.recorder->open_connection();
  connect_timer_.expires_after(context_.options.connect_timeout);
  connect_timer_.async_wait([self = shared_from_this()](std::error_code ec) {
    if (!ec) self->upstream_.cancel();
  });
  asio::async_connect(upstream_, context_.upstream,
                      [self = shared_from_this()](std::error_code ec, const tcp::endpoint&) {
                        self->connect_timer_.cancel();
                        if (ec) {
                          ++self->context_.summary.refused;
                          self->context_.tell(proxy_event::kind::refused, self->id_,
                                              "the upstream did not accept: " +
                                                  (ec == asio::error::operation_aborted
                                                       ? std::string("connect timed out")
                                                       : ec.message()));
                          self->close_all(true, "no upstream");
                          return;
                        }
                        self->connected();
                      });
}

void proxy_connection::connected() {
  connected_ = true;
  std::error_code ignored;
  client_.set_option(tcp::no_delay(true), ignored);
  upstream_.set_option(tcp::no_delay(true), ignored);
  context_.tell(proxy_event::kind::opened, id_, "connected to the upstream");
  watch_idle();
  read(up_);
  read(down_);
}

void proxy_connection::change(proxy_direction direction, const disturbance& d) {
  if (closed_) return;
  if (direction != proxy_direction::down) up_.shaper.change(d);
  if (direction != proxy_direction::up) down_.shaper.change(d);
  if (!connected_) return; // nothing flows before the upstream accepts
  drive(up_);
  drive(down_);
}

void proxy_connection::read(pump& p) {
  if (closed_ || !connected_ || p.reading || p.source_ended) return;
  if (p.shaper.queued_bytes() >= queue_bound_for(context_.options, p.shaper.current())) return;
  p.reading = true;
  p.from.async_read_some(asio::buffer(p.buffer),
                         [self = shared_from_this(), &p](std::error_code ec, std::size_t n) {
                           p.reading = false;
                           self->on_read(p, ec, n);
                         });
}

void proxy_connection::on_read(pump& p, std::error_code ec, std::size_t n) {
  if (closed_) return;
  last_activity_ = clock::now();
  if (ec == asio::error::eof) {
    p.source_ended = true;
    record_end(p, stream_end::fin);
    p.shaper.push_end(clock::now());
    drive(p);
    return;
  }
  if (ec) { // the sender's RST: passed on after what is still held for the receiver
    p.source_ended = true;
    record_end(p, stream_end::reset);
    p.shaper.push_reset(clock::now());
    drive(p);
    return;
  }
  const byte_view bytes(p.buffer.data(), n);
  if (context_.recorder) context_.recorder->data(recorder_id_, p.side, bytes);
  p.shaper.push(bytes, clock::now());
  note_decode_error(p);
  drive(p);
  read(p);
}

void proxy_connection::note_decode_error(pump& p) {
  const stream_error& error = p.shaper.decode_error();
  if (!error.code || p.decode_error_told) return;
  p.decode_error_told = true;
  ++context_.summary.decode_errors;
  context_.tell(proxy_event::kind::decode_error, id_,
                std::string(p.name()) + " stops decoding at offset " +
                    std::to_string(error.offset) + ": " + error.reason +
                    " (bytes are still forwarded)");
}

// Performs every action that is due, one write at a time; then waits for
// the next one's time, and reads again once the queue is under its bound.
void proxy_connection::drive(pump& p) {
  while (!closed_ && !p.write_in_flight) {
    if (!p.held) p.held = p.shaper.pop(clock::now());
    if (!p.held) break;
    if (wait_for_receiver(p)) return;
    shaped_action action = std::move(*p.held);
    p.held.reset();
    perform(p, std::move(action));
  }
  if (closed_) return;
  if (!p.write_in_flight)
    if (const auto due = p.shaper.next_due()) arm_timer(p, *due);
  read(p);
}

// A cut piece goes out once the receiver has read the one before, where
// its receive queue can be seen: each piece is then a read of its own
// however slowly the receiver reads, not only while it reads faster than
// the gap between pieces.
bool proxy_connection::wait_for_receiver(pump& p) {
  const bool piece = p.held->what == shaped_action::kind::write &&
                     p.shaper.current().plan.cuts_sends() && p.watch_receiver;
  if (!piece) return false;
  if (!p.wrote_piece) { // the first piece: nothing of ours is unread yet
    p.wrote_piece = true;
    return false;
  }
  if (!p.receiver) p.receiver.emplace(p.to.native_handle());
  const auto unread = p.receiver->unread();
  if (!unread || *unread == 0) {
    p.poll = {};
    return false;
  }
  const auto now = clock::now();
  if (p.poll.count() == 0) {
    p.stop_waiting_at = now + peer_read_patience;
    p.poll = peer_read_first_poll;
  } else if (now >= p.stop_waiting_at) {
    p.watch_receiver = false; // a receiver busy elsewhere, or not reading at all
    return false;
  } else {
    p.poll = std::min(p.poll * 2, peer_read_slowest_poll);
  }
  arm_timer(p, now + p.poll);
  return true;
}

void proxy_connection::perform(pump& p, shaped_action action) {
  switch (action.what) {
  case shaped_action::kind::write:
    start_write(p, std::move(action.bytes));
    return;
  case shaped_action::kind::close:
    // A close the disturbance asked for ends the connection; the sender's
    // own FIN is passed on as a half-close, as it came.
    if (p.shaper.ended())
      return close_all(false, std::string(p.name()) + " closed by the disturbance");
    return deliver_end(p);
  case shaped_action::kind::half_close:
    return deliver_end(p);
  case shaped_action::kind::reset:
    if (p.shaper.ended())
      return close_all(true, std::string(p.name()) + " reset by the disturbance");
    return close_all(true,
                     std::string(p.side == traffic_side::client ? "the client" : "the upstream") +
                         " reset the connection");
  }
}

void proxy_connection::start_write(pump& p, byte_buffer bytes) {
  if (context_.options.verbose)
    context_.tell(proxy_event::kind::write, id_,
                  std::string(p.name()) + " write of " + std::to_string(bytes.size()) + " bytes");
  p.writing = std::move(bytes);
  p.write_in_flight = true;
  asio::async_write(p.to, asio::buffer(p.writing),
                    [self = shared_from_this(), &p](std::error_code ec, std::size_t) {
                      p.write_in_flight = false;
                      if (self->closed_) return;
                      self->last_activity_ = clock::now();
                      if (ec) {
                        self->close_all(true,
                                        std::string(p.name()) + " write failed: " + ec.message());
                        return;
                      }
                      self->drive(p);
                    });
}

void proxy_connection::deliver_end(pump& p) {
  std::error_code ignored;
  p.to.shutdown(tcp::socket::shutdown_send, ignored);
  p.delivered_end = true;
  pump& other = &p == &up_ ? down_ : up_;
  if (other.delivered_end) close_all(false, "both sides closed");
}

void proxy_connection::arm_timer(pump& p, clock::time_point due) {
  p.timer.expires_at(due);
  p.timer.async_wait([self = shared_from_this(), &p](std::error_code ec) {
    if (!ec) self->drive(p);
  });
}

void proxy_connection::watch_idle() {
  idle_timer_.expires_at(last_activity_ + context_.options.idle_timeout);
  idle_timer_.async_wait([self = shared_from_this()](std::error_code ec) {
    if (ec || self->closed_) return;
    if (clock::now() - self->last_activity_ >= self->context_.options.idle_timeout)
      return self->close_all(false,
                             "idle for " + duration_text(self->context_.options.idle_timeout));
    self->watch_idle();
  });
}

void proxy_connection::record_end(pump& p, stream_end how) {
  if (context_.recorder) context_.recorder->end(recorder_id_, p.side, how);
}

void proxy_connection::close_all(bool reset, const std::string& why) {
  if (closed_) return;
  closed_ = true;
  std::error_code ignored;
  for (tcp::socket* s : {&client_, &upstream_}) {
    if (reset && s->is_open()) s->set_option(asio::socket_base::linger(true, 0), ignored);
    s->close(ignored);
  }
  for (pump* p : {&up_, &down_})
    p->timer.cancel();
  connect_timer_.cancel();
  idle_timer_.cancel();
  context_.summary.bytes_up += up_.shaper.bytes_in();
  context_.summary.bytes_down += down_.shaper.bytes_in();
  context_.summary.frames_up += up_.shaper.frames_in();
  context_.summary.frames_down += down_.shaper.frames_in();
  context_.tell(proxy_event::kind::closed, id_,
                (reset ? "reset: " : "closed: ") + why + " (" +
                    std::to_string(up_.shaper.bytes_in()) + " bytes up, " +
                    std::to_string(down_.shaper.bytes_in()) + " down)");
  if (context_.on_finished) context_.on_finished(id_);
}

} // namespace tcpcheck::harness::detail
