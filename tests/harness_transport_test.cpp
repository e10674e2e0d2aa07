// Tests for transport.hpp: the script runner's logic over an in-memory
// stream with scripted short reads, remote closes and failures (no sockets).
#include "tcpcheck/harness/run.hpp"
#include "tcpcheck/harness/transport.hpp"

#include <algorithm>
#include <deque>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <asio/error.hpp>
#include <gtest/gtest.h>

namespace tcpcheck::harness {
namespace {

// The far end of an in-memory connection: a server model that answers each
// line the client writes, and what it does to the stream besides.
struct scripted_peer {
  std::size_t read_size = 4096;     // most bytes one read hands over
  std::error_code connect_error;    // refuse the connection
  std::error_code write_error;      // fail every write (and end the stream, as a socket does)
  std::vector<std::string> written; // what the client wrote, one entry per write
  std::deque<std::string> greeting; // sent on connect
  std::function<std::string(const std::string&)> answer; // reply to one line
  bool close_after_answers = false;                      // FIN after the first answered line
  bool reset_after_answers = false;                      // RST after the first answered line
  std::string client_line;                               // a partial line written so far
  std::vector<std::string> closes; // "close" or "reset", as the runner ended each connection
};

class fake_transport final : public transport {
public:
  fake_transport(scripted_peer& peer, poster post) : peer_(peer), post_(std::move(post)) {}

  void async_connect(done_handler done) override {
    const std::error_code ec = peer_.connect_error;
    open_ = !ec;
    if (open_)
      for (auto& g : peer_.greeting)
        incoming_ += g;
    post_([done = std::move(done), ec] { done(ec); });
  }

  void async_read_some(std::span<std::uint8_t> into, read_handler done) override {
    pending_ = std::move(done);
    into_ = into;
    deliver();
  }

  void async_write(byte_view bytes, done_handler done) override {
    const std::string text(as_text(bytes));
    peer_.written.push_back(text);
    if (!peer_.write_error) {
      peer_.client_line += text;
      for (std::size_t nl; (nl = peer_.client_line.find('\n')) != std::string::npos;) {
        const std::string line = peer_.client_line.substr(0, nl);
        peer_.client_line.erase(0, nl + 1);
        incoming_ += peer_.answer ? peer_.answer(line) : "";
        if (peer_.close_after_answers) ending_ = asio::error::make_error_code(asio::error::eof);
        if (peer_.reset_after_answers) ending_ = std::make_error_code(std::errc::connection_reset);
      }
    } else {
      // The reset that failed the write ends the read side too; the write
      // took its error, so the reader sees the end of the stream.
      ending_ = asio::error::make_error_code(asio::error::eof);
    }
    post_([done = std::move(done), ec = peer_.write_error] { done(ec); });
    deliver();
  }

  std::error_code shutdown_send() override { return {}; }

  void close(bool reset) override {
    if (open_) peer_.closes.push_back(reset ? "reset" : "close");
    open_ = false;
    if (pending_) {
      auto done = std::move(pending_);
      pending_ = nullptr;
      post_([done = std::move(done)] {
        done(asio::error::make_error_code(asio::error::operation_aborted), 0);
      });
    }
  }

  bool is_open() const override { return open_; }

private:
  // Hands a waiting read what has arrived, in pieces of at most read_size.
  void deliver() {
    if (!pending_) return;
    if (!incoming_.empty()) {
      const std::size_t n = std::min({incoming_.size(), peer_.read_size, into_.size()});
      std::copy_n(incoming_.begin(), n, into_.begin());
      incoming_.erase(0, n);
      auto done = std::move(pending_);
      pending_ = nullptr;
      post_([done = std::move(done), n] { done({}, n); });
      return;
    }
    if (ending_) {
      auto done = std::move(pending_);
      pending_ = nullptr;
      post_([done = std::move(done), ec = *ending_] { done(ec, 0); });
    }
  }

  scripted_peer& peer_;
  poster post_;
  std::string incoming_;
  std::optional<std::error_code> ending_;
  read_handler pending_;
  std::span<std::uint8_t> into_;
  bool open_ = false;
};

script parse(std::string_view text) {
  script_error error;
  auto s = parse_script(text, error);
  if (!s) throw std::invalid_argument(error.to_string("test"));
  return *s;
}

framing_spec line_spec() {
  spec_error error;
  return *parse_framing_spec("line", error);
}

const char* const hello_script = R"(# hello over an in-memory stream
framing line
timeout 300ms
expect "Server: Welcome!"
expect "What's your name?"
send "alice"
expect "Hello alice!"
expect "What's your name?"
)";

scripted_peer hello_peer() {
  scripted_peer peer;
  peer.greeting = {"Server: Welcome!\n", "What's your name?\n"};
  peer.answer = [](const std::string& name) { return "Hello " + name + "!\nWhat's your name?\n"; };
  return peer;
}

run_result run_with(scripted_peer& peer, std::string_view text,
                    std::string_view plan_text = "whole", run_options options = {}) {
  std::string error;
  const auto plan = parse_delivery_plan(plan_text, error);
  options.session.default_timeout = duration(500);
  options.session.write_gap = duration(0);
  const transport_factory make = [&peer](std::size_t, poster post) {
    return std::make_unique<fake_transport>(peer, std::move(post));
  };
  return run_script_with(make, parse(text), line_spec(), *plan, options);
}

TEST(HarnessTransport, PassesWhenTheServerRepliesOneByteAtATime) {
  scripted_peer peer = hello_peer();
  peer.read_size = 1;
  const auto r = run_with(peer, hello_script);
  EXPECT_TRUE(r.outcome.passed) << to_string(r.outcome);
  std::size_t reads = 0;
  for (const auto& e : r.wire_log)
    reads += e.what == wire_event::kind::read ? 1 : 0;
  EXPECT_GT(reads, 40u); // every byte of the replies came in a read of its own
}

TEST(HarnessTransport, WritesEachPieceOfABytewiseSendSeparately) {
  scripted_peer peer = hello_peer();
  const auto r = run_with(peer, hello_script, "bytewise");
  EXPECT_TRUE(r.outcome.passed) << to_string(r.outcome);
  EXPECT_EQ(peer.written, (std::vector<std::string>{"a", "l", "i", "c", "e", "\n"}));
}

TEST(HarnessTransport, FailsAtTheStepWhereTheServerClosed) {
  scripted_peer peer = hello_peer();
  peer.answer = [](const std::string&) { return std::string("Hello"); }; // half a line, then FIN
  peer.close_after_answers = true;
  const auto r = run_with(peer, hello_script);
  EXPECT_FALSE(r.outcome.passed);
  EXPECT_EQ(r.outcome.line, 7u);
  EXPECT_NE(r.outcome.reason.find("broke the framing"), std::string::npos) << r.outcome.reason;
}

TEST(HarnessTransport, FailsWithTheResetWhenTheServerResets) {
  scripted_peer peer = hello_peer();
  peer.answer = [](const std::string&) { return std::string(); };
  peer.reset_after_answers = true;
  const auto r = run_with(peer, hello_script);
  EXPECT_FALSE(r.outcome.passed);
  EXPECT_EQ(r.outcome.line, 7u);
  EXPECT_EQ(r.outcome.reason, "the server reset the connection");
}

TEST(HarnessTransport, FailsWhenAWriteFails) {
  scripted_peer peer = hello_peer();
  peer.write_error = std::make_error_code(std::errc::broken_pipe);
  const auto r = run_with(peer, hello_script);
  EXPECT_FALSE(r.outcome.passed);
  EXPECT_NE(r.outcome.reason.find("cannot write"), std::string::npos) << r.outcome.reason;
}

TEST(HarnessTransport, ReportsARefusedConnectionAsUnreachable) {
  scripted_peer peer = hello_peer();
  peer.connect_error = std::make_error_code(std::errc::connection_refused);
  const auto r = run_with(peer, hello_script);
  EXPECT_FALSE(r.outcome.passed);
  EXPECT_TRUE(r.unreachable);
  EXPECT_NE(r.outcome.reason.find("cannot connect"), std::string::npos) << r.outcome.reason;
}

TEST(HarnessTransport, ReportsAResetDuringTheHandshakeAsTheServersFailureNotUnreachable) {
  scripted_peer peer = hello_peer();
  peer.connect_error = std::make_error_code(std::errc::connection_reset);
  const auto r = run_with(peer, hello_script);
  EXPECT_FALSE(r.outcome.passed);
  EXPECT_FALSE(r.unreachable) << r.outcome.reason;
}

TEST(HarnessTransport, TimesOutWhenTheServerSaysNothing) {
  scripted_peer peer = hello_peer();
  peer.answer = [](const std::string&) { return std::string("Hel"); }; // never finishes the line
  const auto r = run_with(peer, hello_script);
  EXPECT_FALSE(r.outcome.passed);
  EXPECT_EQ(r.outcome.line, 7u);
  EXPECT_EQ(r.outcome.reason, "timed out");
  EXPECT_NE(r.outcome.got.find("3 bytes of an unfinished frame"), std::string::npos)
      << r.outcome.got;
}

// The runner's verdict comes after the script's last bytes are out.

TEST(HarnessTransport, WritesEveryPieceOfALastSendBeforeTheVerdict) {
  scripted_peer peer = hello_peer();
  const auto r =
      run_with(peer, "framing line\nexpect \"Server: Welcome!\"\nsend \"bye\"\n", "bytewise");
  EXPECT_TRUE(r.outcome.passed) << to_string(r.outcome);
  EXPECT_EQ(peer.written, (std::vector<std::string>{"b", "y", "e", "\n"}));
}

TEST(HarnessTransport, ResetsAsALastStepSaysAfterTheWritesBeforeIt) {
  scripted_peer peer = hello_peer();
  const auto r =
      run_with(peer, "framing line\nexpect \"Server: Welcome!\"\nsend \"bye\"\nreset\n", "chunk:2");
  EXPECT_TRUE(r.outcome.passed) << to_string(r.outcome);
  EXPECT_EQ(peer.written, (std::vector<std::string>{"by", "e\n"}));
  EXPECT_EQ(peer.closes, (std::vector<std::string>{"reset"}));
}

TEST(HarnessTransport, KeepsTheVerdictWhenAWriteAfterItFails) {
  // The peer is gone after the script's last step (it may close then):
  // what is left of the last send is dropped, and the run still ends.
  scripted_peer peer = hello_peer();
  peer.write_error = std::make_error_code(std::errc::broken_pipe);
  const auto r =
      run_with(peer, "framing line\nexpect \"Server: Welcome!\"\nsend \"bye\"\n", "bytewise");
  EXPECT_TRUE(r.outcome.passed) << to_string(r.outcome);
  EXPECT_EQ(peer.written, (std::vector<std::string>{"b"}));
}

TEST(HarnessTransport, KeepsTheHeadAndTheTailOfALongWireLogAndCountsTheRest) {
  scripted_peer peer = hello_peer();
  peer.read_size = 1; // a read event per byte of the replies
  run_options options;
  options.wire_log_events = 20;
  const auto r = run_with(peer, hello_script, "whole", options);
  EXPECT_TRUE(r.outcome.passed) << to_string(r.outcome);
  ASSERT_EQ(r.wire_log.size(), 21u);
  EXPECT_EQ(r.wire_log.front().what, wire_event::kind::connect);
  const wire_event& gap = r.wire_log[10];
  EXPECT_EQ(gap.what, wire_event::kind::dropped);
  EXPECT_NE(gap.text.find("events not kept (wire log limit 20)"), std::string::npos) << gap.text;
  // The tail holds the last events: the last byte of the last reply read.
  const auto last_read =
      std::find_if(r.wire_log.rbegin(), r.wire_log.rend(),
                   [](const wire_event& e) { return e.what == wire_event::kind::read; });
  ASSERT_NE(last_read, r.wire_log.rend());
  EXPECT_LT(last_read - r.wire_log.rbegin(), 3);
  EXPECT_EQ(std::string(as_text(last_read->bytes)), "\n");
  for (std::size_t i = 1; i < r.wire_log.size(); ++i)
    EXPECT_LE(r.wire_log[i - 1].at, r.wire_log[i].at) << i;
}

// The server's side (`role server`) over the same stream: the peer is the
// client under test, its "greeting" what it sends once accepted.

TEST(HarnessTransport, PlaysTheServerForAClientOverTheStream) {
  scripted_peer peer;
  peer.greeting = {"alice\n"};
  const auto r = run_with(peer,
                          "role server\nframing line\nexpect \"alice\"\n"
                          "send \"Hello alice!\"\nclose\n",
                          "bytewise");
  EXPECT_TRUE(r.outcome.passed) << to_string(r.outcome);
  std::string replied;
  for (const auto& piece : peer.written)
    replied += piece;
  EXPECT_EQ(replied, "Hello alice!\n");
  EXPECT_EQ(peer.written.size(), replied.size()); // a byte per write
  EXPECT_EQ(peer.closes, (std::vector<std::string>{"close"}));
  ASSERT_FALSE(r.wire_log.empty());
  EXPECT_EQ(r.wire_log.front().what, wire_event::kind::accept);
}

TEST(HarnessTransport, FailsAClientThatSendsOtherThanTheServersScriptExpects) {
  scripted_peer peer;
  peer.greeting = {"bob\n"};
  const auto r =
      run_with(peer, "role server\nframing line\nexpect \"alice\"\nsend \"Hello alice!\"\n");
  EXPECT_FALSE(r.outcome.passed);
  EXPECT_EQ(r.outcome.line, 3u);
  EXPECT_NE(r.outcome.reason.find("the client"), std::string::npos) << r.outcome.reason;
  EXPECT_TRUE(peer.written.empty());
}

} // namespace
} // namespace tcpcheck::harness
