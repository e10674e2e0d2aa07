// Fuzz target: the session state machine fed random event sequences never
// crashes, never hangs, and always reaches a verdict once its timers fire.
#include "tcpcheck/session.hpp"

#include <FuzzedDataProvider.h>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace {

// Scripts that between them use every step and expectation form.
constexpr std::string_view scripts[] = {
    R"(# greeting
framing line
timeout 1s
expect "Server: Welcome!"
expect "What's your name?"
send "alice"
expect regex "^Hello (\w+)!$" as who
send "${who}"
expect prefix "Hel" or contains "x" or close within 50ms
expect any 2
send "exit"
expect "Good bye!" or close
expect close or reset
)",
    R"(# two clients and the quiet ones
framing len:i32le,max=64
send hex "00 01"
b: connect
b: send raw "\x05\0\0\0hello"
b: expect silence 20ms
sleep 10ms
expect "hello" or reset
shutdown
expect close
b: reset
)",
    R"(# delimiters and discards
framing "delim:\r\n|\n,max=8,too-long=discard,eof=emit"
send "ping"
expect "pong" or any
send raw "x"
close
connect
send "again"
expect contains "a" within 20ms
)",
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  // Parsed once: parsing (and compiling the regexes) is not what this fuzzes.
  static const auto parsed = [] {
    std::vector<std::pair<tcpcheck::script, tcpcheck::framing_spec>> all;
    for (const auto text : scripts) {
      tcpcheck::script_error error;
      auto script = tcpcheck::parse_script(text, error);
      tcpcheck::spec_error bad_spec;
      auto spec = script ? tcpcheck::parse_framing_spec(*script->framing, bad_spec) : std::nullopt;
      if (!script || !spec) std::abort(); // the embedded scripts are valid
      all.emplace_back(std::move(*script), std::move(*spec));
    }
    return all;
  }();
  const auto& [script, spec] = parsed[in.ConsumeIntegralInRange<std::size_t>(0, parsed.size() - 1)];
  static constexpr const char* plans[] = {"whole",        "bytewise", "chunk:3", "random:7",
                                          "split-header", "merged",   "pipeline"};
  std::string bad_plan;
  const auto plan = tcpcheck::parse_delivery_plan(in.PickValueInArray(plans), bad_plan);

  // Borrowed, not copied: the script lives on.
  tcpcheck::session session(tcpcheck::borrowed_script(script), spec, *plan);
  session.start();
  std::vector<std::uint64_t> timers;
  const std::size_t connections = session.connection_names().size();
  std::vector<tcpcheck::session_action> actions;
  const auto collect = [&] {
    session.take_actions(actions);
    for (const auto& a : actions)
      if (a.what == tcpcheck::session_action::kind::start_timer) timers.push_back(a.timer);
  };
  collect();
  while (!session.finished() && in.remaining_bytes() > 0) {
    const auto c = in.ConsumeIntegralInRange<std::size_t>(0, connections);
    switch (in.ConsumeIntegralInRange<int>(0, 7)) {
    case 0:
      session.on_connected(c);
      break;
    case 1: {
      const auto bytes =
          in.ConsumeBytes<std::uint8_t>(in.ConsumeIntegralInRange<std::size_t>(0, 32));
      session.on_received(c, bytes);
      break;
    }
    case 2:
      session.on_peer_closed(c);
      break;
    case 3:
      session.on_peer_reset(c);
      break;
    case 4:
      if (!timers.empty())
        session.on_timer(timers[in.ConsumeIntegralInRange<std::size_t>(0, timers.size() - 1)]);
      break;
    case 5:
      session.on_timer(in.ConsumeIntegral<std::uint64_t>());
      break;
    case 6:
      session.on_write_failed(c, "fuzzed");
      break;
    case 7:
      session.on_connect_failed(c, "fuzzed");
      break;
    }
    collect();
  }
  // No more events from the network: only timers fire now, newest first,
  // and each one must bring the verdict closer.
  for (int i = 0; !session.finished(); ++i) {
    if (i > 1000 || timers.empty()) {
      std::fprintf(stderr, "session reached no verdict: %zu timers left\n", timers.size());
      std::abort();
    }
    const std::uint64_t timer = timers.back();
    timers.pop_back();
    session.on_timer(timer);
    collect();
  }
  if (!session.result().passed && session.result().reason.empty()) std::abort();
  return 0;
}
