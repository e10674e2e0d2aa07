// One conversation played for a client under test, and its end judged.
#include "tcpcheck/harness/client_play.hpp"

#include "tcpcheck/harness/report.hpp"

#include <algorithm>
#include <memory>

namespace tcpcheck::harness {

namespace {

using std::chrono::milliseconds;

// Polls in a row that must find the client gone before the run is ended
// for it: its last bytes and FIN reach the socket as it exits, and are
// judged first.
constexpr int polls_before_gone = 2;
// How often the client's memory is looked at while it winds down.
constexpr milliseconds end_poll{20};

// The client process while it runs: started once tcpcheck listens, its
// memory watched, stopped when it passes the bound.
class watched_client {
public:
  watched_client(const std::vector<std::string>& argv, const client_limits& limits)
      : process_(argv), limits_(limits) {}

  void start(std::uint16_t port) { process_.start_client(port, start_error_); }
  const std::string& start_error() const { return start_error_; }
  target_process& process() { return process_; }
  std::size_t peak_kib() const { return peak_kib_; }
  bool over_memory() const { return over_memory_; }

  std::string memory_reason() const {
    return "the client's resident memory reached " + mib_text(peak_kib_) + ", over the bound of " +
           mib_text(limits_.memory_kib) + " (stopped)";
  }

  // Asked now and then while the conversation runs (serve_script's
  // client_gone): why to stop waiting for the client, or nothing.
  std::string gone() {
    if (!start_error_.empty()) return "the client could not be started: " + start_error_;
    look_at_memory();
    if (over_memory_) return memory_reason();
    if (process_.running() || ++gone_polls_ < polls_before_gone) return {};
    return "the client " + process_.death()->how + " before the conversation ended";
  }

  // Waits for the client to exit, watching its memory: whether it did.
  bool wait_for_end() {
    const auto deadline = std::chrono::steady_clock::now() + limits_.end_timeout;
    while (!over_memory_) {
      if (process_.wait_for_exit(end_poll)) return true;
      look_at_memory();
      if (std::chrono::steady_clock::now() >= deadline) return false;
    }
    return process_.wait_for_exit(milliseconds(0));
  }

private:
  void look_at_memory() {
    if (over_memory_) return;
    if (const auto now = process_.sample())
      peak_kib_ = std::max({peak_kib_, static_cast<std::size_t>(now->rss_kib),
                            static_cast<std::size_t>(now->peak_rss_kib)});
    if (peak_kib_ <= limits_.memory_kib) return;
    over_memory_ = true;
    process_.stop();
  }

  target_process process_;
  client_limits limits_;
  std::string start_error_;
  std::size_t peak_kib_ = 0;
  bool over_memory_ = false;
  int gone_polls_ = 0;
};

// Whether the way the client ended fails it, after a conversation whose
// verdict is `passed`.
bool ended_badly(const process_death& death, client_ending ending, bool passed) {
  if (death.signaled || !death.sanitizer.empty()) return true;
  return ending == client_ending::succeeds && passed && !death.clean;
}

// A client tcpcheck stopped: its stderr goes with the failure.
void attach_stopped(watched_client& client, const std::string& how, client_outcome& out) {
  auto death = client.process().death();
  if (!death) return;
  death->how = how;
  death->who = "client";
  out.death = std::move(death);
}

// How the client ended, once the conversation has.
void judge_end(watched_client& client, const client_limits& limits, client_ending ending,
               const script& s, client_outcome& out) {
  verdict& v = out.result.outcome;
  const bool exited = client.wait_for_end();
  out.peak_rss_kib = client.peak_kib();
  if (client.over_memory()) {
    out.ended = "stopped: resident memory over " + mib_text(limits.memory_kib);
    fail_after_conversation(v, s, client.memory_reason());
    attach_stopped(client, out.ended, out);
    return;
  }
  if (!exited) {
    client.process().stop();
    const std::string within = std::to_string(limits.end_timeout.count()) + " ms";
    out.ended = "hung: still running " + within + " after the conversation (stopped)";
    if (v.passed)
      fail_after_conversation(v, s,
                              "the client hung: it did not exit within " + within +
                                  " of the conversation's end (stopped)");
    else
      v.reason += "; and the client was still running " + within + " later (stopped)";
    attach_stopped(client, out.ended, out);
    return;
  }
  auto death = client.process().death();
  out.ended = death->how;
  const bool bad = ended_badly(*death, ending, v.passed);
  if (bad && v.passed)
    fail_after_conversation(v, s,
                            "the client " + death->how +
                                (death->sanitizer.empty() ? "" : ", with a sanitizer report"));
  if (bad || (!v.passed && !death->clean)) {
    death->who = "client";
    out.death = std::move(death);
  }
}

} // namespace

std::string mib_text(std::size_t kib) {
  return std::to_string((kib + 1023) / 1024) + " MiB";
}

void fail_after_conversation(verdict& v, const script& s, std::string reason) {
  v.passed = false;
  v.step = s.steps.size();
  v.line = 0;
  v.reason = std::move(reason);
}

client_outcome play_client(const target& where, const std::vector<std::string>& argv,
                           const script& s, const framing_spec& spec, const delivery_plan& plan,
                           const run_options& options, const client_limits& limits,
                           client_ending ending,
                           const std::function<void(const target&)>& listening) {
  client_outcome out;
  std::unique_ptr<watched_client> client;
  if (!argv.empty()) client = std::make_unique<watched_client>(argv, limits);
  const auto on_listening = [&](const target& bound) {
    out.describe = "a client of tcpcheck listening on " + to_string(bound);
    out.port = bound.port;
    if (listening) listening(bound);
    if (!client) return;
    client->start(bound.port);
    out.describe = "client " + shell_quote(client->process().command_line()) +
                   " (tcpcheck listening on " + to_string(bound) + ")";
  };
  std::function<std::string()> gone;
  if (client) gone = [&] { return client->gone(); };
  out.result = serve_script(where, s, spec, plan, options, on_listening, gone);
  if (client && !client->start_error().empty()) {
    out.start_error = client->start_error();
    return out;
  }
  if (client && !out.result.unreachable) {
    judge_end(*client, limits, ending, s, out);
    out.output = client->process().stdout_since(0);
  }
  return out;
}

} // namespace tcpcheck::harness
