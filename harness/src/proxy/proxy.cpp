// The proxy's listener, its control socket and its life: accepts clients
// into proxy_connections, carries out control commands, stops on request.
#include "tcpcheck/harness/proxy.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <sys/resource.h>
#include <system_error>

#include "proxy_connection.hpp"

namespace tcpcheck::harness {

using detail::proxy_connection;
using detail::tcp;

namespace {

framing_spec parse_spec_or_throw(const std::string& text) {
  spec_error error;
  auto spec = parse_framing_spec(text, error);
  if (!spec) throw std::invalid_argument("bad framing spec '" + text + "': " + to_string(error));
  return *spec;
}

tcp::endpoint bind_endpoint(asio::io_context& io, const target& where) {
  tcp::resolver resolver(io);
  auto results = resolver.resolve(where.host, std::to_string(where.port));
  return results.begin()->endpoint();
}

// Control connections open at once.
constexpr std::size_t most_control_sessions = 8;

std::string words_or_none(const disturbance& d) {
  return d.is_none() ? std::string("none") : to_string(d);
}

} // namespace

struct proxy::impl {
  explicit impl(proxy_options o)
      : options(std::move(o)),
        context{io,           options,    parse_spec_or_throw(options.framing),
                {},           options.up, options.down,
                std::nullopt, {},         {}},
        acceptor(io), control(io), stop_timer(io), signals(io) {
    if (options.record) {
      recording_options r = *options.record;
      r.framing = options.framing;
      context.recorder.emplace(std::move(r));
    }
    tcp::resolver resolver(io);
    context.upstream =
        resolver.resolve(options.upstream.host, std::to_string(options.upstream.port));
    open(acceptor, bind_endpoint(io, options.listen));
    if (options.control) {
      // The control socket takes commands from anyone who reaches it.
      const tcp::endpoint where = bind_endpoint(io, *options.control);
      if (!where.address().is_loopback())
        throw std::invalid_argument("the control socket listens on loopback only, not " +
                                    to_string(*options.control));
      open(control, where);
    }
    context.on_finished = [this](std::size_t id) { finished(id); };
  }

  static void open(tcp::acceptor& a, const tcp::endpoint& endpoint) {
    a.open(endpoint.protocol());
    a.set_option(asio::socket_base::reuse_address(true));
    a.bind(endpoint);
    a.listen();
  }

  void accept();
  void retry_accept(std::error_code ec);
  void fit_descriptor_limit();
  void accept_control();
  void serve_control(std::shared_ptr<tcp::socket> socket, std::shared_ptr<asio::streambuf> buffer);
  std::string carry_out(const control_command& command, bool& quit);
  void finished(std::size_t id);
  void shut_down();

  asio::io_context io;
  proxy_options options;
  detail::proxy_context context;
  tcp::acceptor acceptor;
  tcp::acceptor control;
  asio::steady_timer stop_timer;
  asio::signal_set signals;
  std::map<std::size_t, std::shared_ptr<proxy_connection>> open_connections;
  std::vector<std::weak_ptr<tcp::socket>> control_sessions;
  std::size_t next_id = 1;
  std::size_t ended = 0;
  bool stopping = false;
  bool accept_failing = false;
  asio::steady_timer accept_pause{io};
};

void proxy::impl::accept() {
  acceptor.async_accept([this](std::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec != asio::error::operation_aborted && !stopping) retry_accept(ec);
      return;
    }
    accept_failing = false;
    const std::size_t id = next_id++;
    ++context.summary.accepted;
    if (open_connections.size() >= options.most_connections) {
      ++context.summary.refused;
      context.tell(proxy_event::kind::refused, id,
                   "refused: " + std::to_string(options.most_connections) +
                       " connections are open already");
      std::error_code ignored;
      socket.set_option(asio::socket_base::linger(true, 0), ignored);
      socket.close(ignored);
    } else {
      auto connection = std::make_shared<proxy_connection>(context, std::move(socket), id);
      open_connections.emplace(id, connection);
      connection->start();
    }
    accept();
  });
}

// An accept that fails (out of file descriptors, most often) fails again at
// once: it is tried again after a pause, and told once until one succeeds.
void proxy::impl::retry_accept(std::error_code ec) {
  if (!accept_failing)
    context.tell(proxy_event::kind::note, 0,
                 "accept failed: " + ec.message() + "; trying again every 100 ms");
  accept_failing = true;
  accept_pause.expires_after(std::chrono::milliseconds(100));
  accept_pause.async_wait([this](std::error_code wait_error) {
    if (!wait_error && !stopping) accept();
  });
}

void proxy::impl::finished(std::size_t id) {
  // Erased after the handler that closed it has returned, since that
  // handler may be running on the connection right now.
  asio::post(io, [this, id] {
    open_connections.erase(id);
    ++ended;
    if (options.stop_after_connections && ended >= *options.stop_after_connections) shut_down();
  });
}

void proxy::impl::accept_control() {
  control.async_accept([this](std::error_code ec, tcp::socket socket) {
    if (ec) return;
    std::erase_if(control_sessions, [](const auto& session) { return session.expired(); });
    if (control_sessions.size() >= most_control_sessions) {
      std::error_code ignored;
      socket.close(ignored); // one test drives the proxy; a crowd is a mistake
      accept_control();
      return;
    }
    auto shared = std::make_shared<tcp::socket>(std::move(socket));
    control_sessions.push_back(shared);
    serve_control(shared, std::make_shared<asio::streambuf>(longest_control_line + 1));
    accept_control();
  });
}

void proxy::impl::serve_control(std::shared_ptr<tcp::socket> socket,
                                std::shared_ptr<asio::streambuf> buffer) {
  asio::async_read_until(
      *socket, *buffer, '\n', [this, socket, buffer](std::error_code ec, std::size_t n) {
        if (ec) {
          if (ec == asio::error::not_found) {
            auto reply = std::make_shared<std::string>("error: a line longer than " +
                                                       std::to_string(longest_control_line) +
                                                       " bytes; closing\n");
            asio::async_write(*socket, asio::buffer(*reply),
                              [socket, reply](std::error_code, std::size_t) { socket->close(); });
          }
          return;
        }
        std::string line(asio::buffers_begin(buffer->data()),
                         asio::buffers_begin(buffer->data()) + n - 1);
        buffer->consume(n);
        std::string error;
        bool quit = false;
        std::string reply;
        if (auto command = parse_control_command(line, error))
          reply = carry_out(*command, quit);
        else
          reply = "error: " + error;
        auto text = std::make_shared<std::string>(reply + "\n");
        asio::async_write(
            *socket, asio::buffer(*text),
            [this, socket, buffer, text, quit](std::error_code write_error, std::size_t) {
              if (write_error || quit) return socket->close();
              serve_control(socket, buffer);
            });
      });
}

std::string proxy::impl::carry_out(const control_command& command, bool& quit) {
  const auto set = [&](proxy_direction direction, const disturbance& d) {
    if (direction != proxy_direction::down) context.up = d;
    if (direction != proxy_direction::up) context.down = d;
    for (auto& [id, connection] : open_connections)
      connection->change(direction, d);
  };
  switch (command.what) {
  case control_command::kind::set:
    if (const std::string conflict = disturbance_conflict(command.change, context.spec);
        !conflict.empty())
      return "error: " + conflict;
    set(command.direction, command.change);
    break;
  case control_command::kind::clear:
    set(command.direction, disturbance{});
    break;
  case control_command::kind::show:
    break;
  case control_command::kind::connections:
    return "ok " + std::to_string(open_connections.size()) + " open, " +
           std::to_string(context.summary.accepted) + " accepted";
  case control_command::kind::cut: {
    const auto cutting = open_connections; // cut() erases through finished()
    for (auto& [id, connection] : cutting)
      connection->cut();
    return "ok cut " + std::to_string(cutting.size());
  }
  case control_command::kind::quit:
    quit = true;
    return "ok bye";
  }
  return "ok up=" + words_or_none(context.up) + " | down=" + words_or_none(context.down);
}

void proxy::impl::shut_down() {
  if (stopping) return;
  stopping = true;
  std::error_code ignored;
  acceptor.close(ignored);
  control.close(ignored);
  stop_timer.cancel();
  signals.cancel(ignored);
  for (auto& session : control_sessions)
    if (auto socket = session.lock()) socket->close(ignored);
  const auto cutting = open_connections;
  for (auto& [id, connection] : cutting)
    connection->cut();
}

proxy::proxy(proxy_options options) : impl_(std::make_unique<impl>(std::move(options))) {}
proxy::~proxy() = default;

std::uint16_t proxy::port() const noexcept {
  std::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

std::uint16_t proxy::control_port() const noexcept {
  std::error_code ec;
  return impl_->control.is_open() ? impl_->control.local_endpoint(ec).port() : 0;
}

// Each connection holds two descriptors: the limit of open connections is
// kept under what the process may open, raising its soft limit first, so
// that accept does not start failing under a crowd.
void proxy::impl::fit_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  const rlim_t needed = 2 * options.most_connections + 32;
  if (limit.rlim_cur < needed && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = std::min(needed, limit.rlim_max);
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  if (limit.rlim_cur >= needed || limit.rlim_cur <= 64) return;
  options.most_connections = (limit.rlim_cur - 32) / 2;
  context.tell(proxy_event::kind::note, 0,
               "at most " + std::to_string(options.most_connections) +
                   " connections at once: the process may open " + std::to_string(limit.rlim_cur) +
                   " file descriptors");
}

void proxy::run() {
  impl& i = *impl_;
  i.fit_descriptor_limit();
  i.accept();
  if (i.control.is_open()) i.accept_control();
  if (i.options.run_for) {
    i.stop_timer.expires_after(*i.options.run_for);
    i.stop_timer.async_wait([&i](std::error_code ec) {
      if (!ec) i.shut_down();
    });
  }
  if (i.options.stop_on_signals) {
    i.signals.add(SIGINT);
    i.signals.add(SIGTERM);
    i.signals.async_wait([&i](std::error_code ec, int) {
      if (!ec) i.shut_down();
    });
  }
  i.io.run();
}

void proxy::stop() {
  asio::post(impl_->io, [&i = *impl_] { i.shut_down(); });
}

proxy_summary proxy::summary() const {
  return impl_->context.summary;
}

std::optional<std::pair<script, std::vector<std::string>>> proxy::recording() {
  auto& recorder = impl_->context.recorder;
  if (!recorder) return std::nullopt;
  script recorded = recorder->finish();
  return std::make_pair(std::move(recorded), recorder->notes());
}

} // namespace tcpcheck::harness
