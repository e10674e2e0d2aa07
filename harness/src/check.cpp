// The check runner: cases to verdicts, area by area.
#include "tcpcheck/harness/check.hpp"

#include "tcpcheck/harness/datagram_oracles.hpp"
#include "tcpcheck/harness/exchange_latency.hpp"
#include "tcpcheck/harness/socket_diag.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

namespace tcpcheck::harness {

namespace {

using clock = std::chrono::steady_clock;
using std::chrono::duration_cast;
using std::chrono::microseconds;
using std::chrono::milliseconds;

std::string ms_text(microseconds us) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f ms", static_cast<double>(us.count()) / 1000.0);
  return buf;
}

// One attempt at a case: passed or not, and what to say about it.
struct attempt {
  bool passed = false;
  bool warn = false;
  std::string summary;
  std::vector<std::string> details;
  std::optional<run_result> failed_run;
  std::optional<process_death> death; ///< seen by the case itself (a client under test)
};

std::string failure_line(const verdict& v) {
  if (v.line == 0) return v.reason; // after the script's last step (a client's end)
  return "line " + std::to_string(v.line) + ": " + v.reason;
}

// The send lines that open each exchange on `connection`, in order: a send
// whose next step on that connection is an expect.
std::vector<std::size_t> exchange_lines(const script& s, const std::string& connection) {
  std::vector<std::size_t> lines;
  const script_step* pending = nullptr;
  for (const auto& step : s.steps) {
    if (step.connection != connection) continue;
    if (step.what == script_step::kind::send) {
      pending = &step;
    } else if (step.what == script_step::kind::expect && pending) {
      lines.push_back(pending->line);
      pending = nullptr;
    } else {
      pending = nullptr;
    }
  }
  return lines;
}

// Whether the peer sent a frame on "main" after the script's last send there.
bool answered_last_send(const script& s, const verdict& v) {
  const auto names = s.connections();
  const auto main = std::find(names.begin(), names.end(), "main");
  if (main == names.end()) return false;
  const auto connection = static_cast<std::size_t>(main - names.begin());
  bool answered = false;
  for (const auto& e : v.transcript) {
    if (e.connection != connection) continue;
    if (e.what == transcript_entry::kind::sent) answered = false;
    if (e.what == transcript_entry::kind::received_frame) answered = true;
  }
  return answered;
}

// When a conversation was being answered, as the client saw it: from its
// first read to its last write (or the first read again, when every write
// came before it). The end is a write, logged as it was issued, because the
// server had it before it could be done with this client: a server that
// serves one client at a time answers the next one only after it, so its
// spans never overlap however late the client runs. Reads are logged when
// the client gets to them, which a slow client (a sanitizer build, a busy
// machine) does late: spans that ended at a read seemed to overlap.
std::optional<std::pair<clock::time_point, clock::time_point>> answered_span(const run_result& r) {
  std::optional<clock::time_point> first_read, last_write;
  for (const auto& e : r.wire_log) {
    if (e.what == wire_event::kind::read && !first_read) first_read = r.started + e.at;
    if (e.what == wire_event::kind::write) last_write = r.started + e.at;
  }
  if (!first_read) return std::nullopt;
  return std::pair{*first_read, std::max(*first_read, last_write.value_or(*first_read))};
}

// The most spans covering one moment.
std::size_t most_at_once(std::vector<std::pair<clock::time_point, clock::time_point>> spans) {
  std::vector<std::pair<clock::time_point, int>> edges;
  for (const auto& [from, to] : spans) {
    edges.emplace_back(from, +1);
    edges.emplace_back(to, -1);
  }
  // At a tie, an end before a start: touching spans do not overlap.
  std::sort(edges.begin(), edges.end());
  std::size_t most = 0;
  long now = 0;
  for (const auto& [at, step] : edges) {
    now += step;
    most = std::max(most, static_cast<std::size_t>(std::max(now, 0L)));
  }
  return most;
}

// A connect that took about a SYN retransmit (1 s on Linux): the server's
// accept queue was full and its SYN was dropped.
bool held_back_by_backlog(const std::vector<wire_event>& log) {
  constexpr auto syn_retransmit = std::chrono::milliseconds(900);
  std::optional<microseconds> connecting;
  for (const auto& e : log) {
    if (e.what == wire_event::kind::connect) connecting = e.at;
    if (e.what == wire_event::kind::connected && connecting && e.at - *connecting >= syn_retransmit)
      return true;
  }
  return false;
}

std::string numeric_host(const target& t) {
  return t.host == "localhost" ? "127.0.0.1" : t.host;
}

// Watches, on a thread of its own, whether the target's accept queue is
// full at some moment until stop(): a burst overflowing this server's
// backlog, not another's on the same host.
class full_queue_watch {
public:
  explicit full_queue_watch(const target& t)
      : thread_([this, host = numeric_host(t), port = t.port] {
          while (!stopping_) {
            const auto queue = accept_queue_of(host, port);
            if (queue && queue->full()) seen_full_ = true;
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
          }
        }) {}
  ~full_queue_watch() { stop(); }
  full_queue_watch(const full_queue_watch&) = delete;
  full_queue_watch& operator=(const full_queue_watch&) = delete;

  /// Stops watching; whether the queue was seen full.
  bool stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
    return seen_full_;
  }

private:
  std::atomic<bool> stopping_{false};
  std::atomic<bool> seen_full_{false};
  std::thread thread_; // last: it uses the members above
};

// Whether a case means something against a server that serves one
// connection: one script, not a race between clients.
bool fits_one_connection(const check_case& c) {
  return c.runner == case_runner::script && c.area != check_area::concurrency;
}

// The case with only the steps of its first connection, when it has steps
// on others; nothing when it has none.
std::optional<check_case> on_first_connection(const check_case& c) {
  const auto names = c.steps.connections();
  if (names.size() < 2) return std::nullopt;
  check_case narrowed = c;
  std::erase_if(narrowed.steps.steps,
                [&](const script_step& step) { return step.connection != names.front(); });
  return narrowed;
}

class runner {
public:
  /// Narrowed cases are kept in `narrowed`, whose elements do not move:
  /// their results point at them.
  /// `jobs` cases run side by side.
  runner(const framing_spec& spec, check_target& where, const check_options& options,
         std::size_t jobs, std::deque<check_case>& narrowed)
      : spec_(spec), where_(where), options_(options), side_by_side_(shared_by(jobs)),
        narrowed_(narrowed) {}

  case_result run(const check_case& listed) {
    case_result r;
    r.which = &listed;
    // A case whose script is made when it runs has it only meanwhile: the
    // result points at the listed case.
    const std::optional<check_case> made = with_script_made(listed);
    if (!made) {
      r.status = case_status::skipped;
      r.summary = "its script cannot be made: the cut leaves a step needing what it removed";
      return r;
    }
    const check_case& given = *made;
    if (where_.serves_one_connection() && !fits_one_connection(given)) {
      r.status = case_status::skipped;
      r.summary = "it needs several conversations, and the server serves one "
                  "connection and exits";
      return r;
    }
    // Against a server that serves one connection, a case on several (a
    // fault or a frame, then a fresh conversation) runs on its first alone,
    // judged by its own steps and by how the server ends.
    const bool narrowed = where_.serves_one_connection() && keep_narrowed(given, r);
    const check_case& c = narrowed ? *r.which : given;
    const auto started = clock::now();
    std::string why;
    for (std::size_t n = 0; n <= options_.retries; ++n) {
      if (!where_.ready(why)) {
        if (r.attempts == 0) {
          r.status = case_status::not_run;
          r.summary = why;
        }
        break;
      }
      ++r.attempts;
      attempt a = once(c);
      if (auto death = where_.died(!a.passed)) {
        a.passed = false;
        a.summary = "the server died: " + death->how + (a.summary.empty() ? "" : "; " + a.summary);
        if (!r.death) r.death = std::move(death);
      } else if (a.death && !a.passed && r.attempts == 1) {
        // A client's, with the failure reported (the first): its verdict
        // already says how it ended.
        r.death = std::move(a.death);
      }
      if (a.passed) {
        r.status =
            r.attempts == 1 ? (a.warn ? case_status::warn : case_status::pass) : case_status::flaky;
        if (r.status != case_status::flaky) {
          r.summary = std::move(a.summary);
          r.details = std::move(a.details);
        } else {
          r.details.push_back("passed on attempt " + std::to_string(r.attempts) + " of " +
                              std::to_string(options_.retries + 1));
        }
        break;
      }
      if (r.attempts == 1) {
        // The first failure is the one reported; re-runs only decide flaky or not.
        r.status = case_status::fail;
        r.summary = std::move(a.summary);
        r.details = std::move(a.details);
        r.failed_run = std::move(a.failed_run);
        if (r.failed_run) keep_within_share(*r.failed_run);
      }
    }
    if (r.status == case_status::fail && r.attempts > 1)
      r.details.push_back("failed all " + std::to_string(r.attempts) + " attempts");
    if (narrowed)
      r.details.insert(r.details.begin(), "the conversation on another connection after it was "
                                          "left out: the server serves one connection");
    r.elapsed = duration_cast<microseconds>(clock::now() - started);
    return r;
  }

private:
  attempt once(const check_case& c) {
    switch (c.runner) {
    case case_runner::script:
      return run_script_case(c);
    case case_runner::parallel:
      return run_parallel(c);
    case case_runner::soak:
      return run_soak(c);
    case case_runner::latency:
      return run_latency(c);
    }
    return {};
  }

  attempt run_script_case(const check_case& c) {
    attempt a;
    run_options options = side_by_side_;
    if (c.write_gap) options.session.write_gap = *c.write_gap;
    if (c.slow_reader) options.read_pause = std::chrono::microseconds(250);
    played_case played = where_.play(c, c.spec ? *c.spec : spec_, options);
    a.passed = played.result.outcome.passed;
    a.details = std::move(played.details);
    a.death = std::move(played.death);
    if (!a.passed) {
      a.summary = failure_line(played.result.outcome);
      a.failed_run = std::move(played.result);
    } else if (!c.warn_if_answered.empty() && answered_last_send(c.steps, played.result.outcome)) {
      a.warn = true;
      a.summary = c.warn_if_answered;
    } else {
      judge_datagrams(c, played.result, a);
    }
    return a;
  }

  // UDP: a passing run whose answer shows its datagram cut, or whose
  // answers amplify the requests (datagram_oracles.hpp).
  static void judge_datagrams(const check_case& c, run_result& run, attempt& a) {
    if (c.truncation_probe) {
      if (auto cut = truncated_echo(*c.truncation_probe, run.wire_log)) {
        a.passed = false;
        a.summary = *std::move(cut);
        a.failed_run = std::move(run);
        return;
      }
    }
    if (!c.amplification_limit) return;
    const auto verdict = judge_amplification(run.wire_log, *c.amplification_limit);
    a.summary = verdict.summary;
    a.warn = verdict.warn && !verdict.fail;
    if (verdict.fail) {
      a.passed = false;
      a.failed_run = std::move(run);
    }
  }

  // Runs the baseline `count` times, `at_once` at a time; returns the
  // failures and keeps the first failing run.
  struct batch {
    std::size_t ran = 0;
    std::size_t failures = 0;
    std::optional<run_result> first_failure;
    microseconds wall{0};
    bool out_of_time = false; ///< stopped at --soak-time
  };
  // How a batch may end before `count`: a soak or latency case stops at its
  // first failure (a server gone silent would make each of the rest wait a
  // timeout) and at --soak-time.
  enum class batch_bound { none, first_failure_or_time };
  batch run_batch(const check_case& c, std::size_t count, std::size_t at_once, std::size_t threads,
                  const std::function<void(const run_result&)>& each = {},
                  batch_bound bound = batch_bound::none) {
    batch b;
    std::mutex mutex;
    std::atomic<bool> stop{false};
    const auto started = clock::now();
    run_many(
        where_.where(), c.steps, spec_, c.plan, count, threads, shared_by(at_once),
        [&](std::size_t, run_result r) {
          std::lock_guard lock(mutex);
          ++b.ran;
          if (each) each(r);
          if (!r.outcome.passed && b.failures++ == 0) b.first_failure = std::move(r);
          if (bound == batch_bound::none || stop) return;
          b.out_of_time = b.failures == 0 && clock::now() - started >= options_.soak_time;
          stop = b.failures > 0 || b.out_of_time;
        },
        at_once, &stop);
    b.wall = duration_cast<microseconds>(clock::now() - started);
    return b;
  }

  // "412 of 1000 conversations passed in 5000.12 ms (stopped at --soak-time
  // 5 s)" or, after a failure, "2 of 3 conversations passed (1000 planned;
  // stopped at the first failure)".
  std::string batch_summary(const check_case& c, const batch& b) const {
    std::string text = std::to_string(b.ran - b.failures) + " of " + std::to_string(b.ran) +
                       " conversations passed in " + ms_text(b.wall);
    if (b.ran < c.count)
      text += " (" + std::to_string(c.count) + " planned; stopped at " +
              (b.failures ? std::string("the first failure")
                          : "--soak-time " + std::to_string(options_.soak_time.count()) + " ms") +
              ")";
    return text;
  }

  // The parallel batch, and what was seen while it ran.
  struct burst {
    batch b;
    std::size_t spans = 0;   ///< conversations that received anything
    std::size_t overlap = 0; ///< the most being answered at one moment
    /// Connects that waited a SYN retransmit in this very batch.
    std::size_t held_back = 0;
    /// The kernel's count of full accept queues meanwhile, counted only
    /// when this server's queue was seen full (the count covers every
    /// listener on the host).
    std::uint64_t overflows = 0;
  };

  burst run_burst(const check_case& c) {
    // Each conversation's span (answered_span): a server that serves one
    // client at a time answers the next only once the last is done, so no
    // two spans overlap; timing alone cannot tell that apart from a slow
    // client (a sanitizer build, a busy machine), overlap can.
    std::vector<std::pair<clock::time_point, clock::time_point>> spans;
    burst seen;
    const auto overflows_before = listen_overflows();
    full_queue_watch watch(where_.where());
    seen.b = run_batch(c, c.count, c.count, options_.threads, [&](const run_result& r) {
      if (const auto span = answered_span(r)) spans.push_back(*span);
      seen.held_back += held_back_by_backlog(r.wire_log) ? 1 : 0;
    });
    const auto overflows_after = listen_overflows();
    if (watch.stop() && overflows_before && overflows_after)
      seen.overflows = *overflows_after - *overflows_before;
    seen.spans = spans.size();
    seen.overlap = most_at_once(std::move(spans));
    return seen;
  }

  attempt run_parallel(const check_case& c) {
    attempt a;
    // One conversation alone, the fastest of three: the yardstick.
    microseconds alone = microseconds::max();
    for (int i = 0; i < 3; ++i) {
      run_result one = run_script(where_.where(), c.steps, spec_, c.plan, options_.run);
      if (!one.outcome.passed) {
        a.summary = "a single conversation failed: " + failure_line(one.outcome);
        a.failed_run = std::move(one);
        return a;
      }
      alone = std::min(alone, one.elapsed);
    }
    const burst seen = run_burst(c);
    const batch& b = seen.b;
    const std::size_t overlap = seen.overlap;
    const microseconds serial = alone * static_cast<long>(c.count);
    a.details.push_back(std::to_string(c.count) + " at once took " + ms_text(b.wall) +
                        "; one alone takes " + ms_text(alone) + " (" + ms_text(serial) + " for " +
                        std::to_string(c.count) + " in a row); at most " + std::to_string(overlap) +
                        " were being answered at the same moment");
    const std::string overflow = seen.held_back || seen.overflows
                                     ? backlog_overflow_text(c, seen.held_back, seen.overflows)
                                     : "";
    if (b.failures) {
      a.summary =
          std::to_string(b.failures) + " of " + std::to_string(c.count) +
          " parallel conversations failed; the first: " + failure_line(b.first_failure->outcome);
      if (!overflow.empty()) a.details.push_back(overflow);
      a.failed_run = b.first_failure;
      return a;
    }
    // A UDP server answers datagram after datagram by design: what counts
    // is that every conversation got its own answers, which it did.
    if (c.steps.transport == script_transport::udp) {
      a.passed = true;
      a.summary = std::to_string(c.count) +
                  " conversations at once, each from its own socket, in " + ms_text(b.wall) +
                  ": every one answered as the script says";
      return a;
    }
    if (!overflow.empty()) {
      // A finding of its own, and the retransmits' second makes the timing
      // say nothing about serialization; the stalled-peer case still does.
      a.passed = true;
      a.warn = true;
      a.summary = overflow;
      a.details.push_back(
          overlap <= 2 ? "at most " + std::to_string(overlap) +
                             " conversations were answered at the same moment: the server may "
                             "also serve one client at a time (concurrency/stalled-peer tells)"
                       : "whether the server serializes clients is not judged from this run");
      return a;
    }
    // Serial: no two answered at the same moment, and all at once not
    // clearly faster than one after another. Both: overlap alone misjudges
    // conversations too short to overlap, time alone a busy machine. (Two
    // are allowed to seem to overlap: the margin costs little, as a server
    // that serves clients side by side overlaps far more.)
    if (seen.spans >= 4 && overlap <= 2 && b.wall * 2 >= serial) {
      a.summary = "the server serializes clients: of " + std::to_string(c.count) +
                  " conversations started at once, it answered one at a time (" + ms_text(b.wall) +
                  " in all)";
      return a;
    }
    a.passed = true;
    a.summary = std::to_string(c.count) + " conversations at once in " + ms_text(b.wall) +
                ", up to " + std::to_string(overlap) + " answered side by side";
    return a;
  }

  // A burst larger than the server's listen backlog: the kernel dropped
  // the handshakes it had no room for, and those clients waited a second
  // for a retransmit. `held_back`: connects seen taking that long;
  // `overflows`: the kernel's count of full accept queues meanwhile.
  std::string backlog_overflow_text(const check_case& c, std::size_t held_back,
                                    std::uint64_t overflows) const {
    const target t = where_.where();
    const auto queue = accept_queue_of(numeric_host(t), t.port);
    std::string text = std::to_string(c.count) +
                       " connections at once overflowed the server's "
                       "listen backlog" +
                       (queue ? " (" + std::to_string(queue->backlog) + ")" : std::string()) + ": ";
    if (overflows)
      text += "the kernel found the accept queue full " + std::to_string(overflows) + " time" +
              (overflows == 1 ? "" : "s");
    if (held_back)
      text += std::string(overflows ? ", and " : "") + std::to_string(held_back) +
              " connects waited about a second";
    return text + "; a larger backlog (listen(fd, N), net.core.somaxconn) takes such a burst "
                  "without the clients waiting for retransmits";
  }

  attempt run_soak(const check_case& c) {
    attempt a;
    const auto before = where_.sample();
    const batch b = run_batch(c, c.count, 1, 1, {}, batch_bound::first_failure_or_time);
    const auto after = where_.sample();
    a.summary = batch_summary(c, b);
    if (before && after) {
      const auto growth = [](std::int64_t from, std::int64_t to, const char* what) {
        return std::string(what) + " " + std::to_string(from) + " -> " + std::to_string(to);
      };
      a.details.push_back("server resources: " +
                          growth(static_cast<std::int64_t>(before->rss_kib),
                                 static_cast<std::int64_t>(after->rss_kib), "resident KiB") +
                          ", " +
                          growth(static_cast<std::int64_t>(before->open_fds),
                                 static_cast<std::int64_t>(after->open_fds), "open fds") +
                          ", " +
                          growth(static_cast<std::int64_t>(before->threads),
                                 static_cast<std::int64_t>(after->threads), "threads"));
      // Descriptors and threads left behind grow with the conversations; a
      // handful is a pool warming up.
      constexpr std::size_t leak_margin = 8;
      const bool fds_leak = after->open_fds > before->open_fds + leak_margin;
      const bool threads_leak = after->threads > before->threads + leak_margin;
      const bool rss_grew = after->rss_kib > before->rss_kib + 4096 &&
                            after->rss_kib > before->rss_kib + before->rss_kib / 4;
      if (fds_leak) a.details.push_back("open file descriptors grew: connections may leak");
      if (threads_leak) a.details.push_back("threads grew: threads may outlive their clients");
      if (rss_grew) a.details.push_back("resident memory grew by over a quarter");
      a.warn = fds_leak || threads_leak || rss_grew;
    }
    if (b.failures) {
      a.summary += "; the first failure: " + failure_line(b.first_failure->outcome);
      a.failed_run = b.first_failure;
      return a;
    }
    a.passed = true;
    return a;
  }

  attempt run_latency(const check_case& c) {
    attempt a;
    latency_collector collector;
    const batch b = run_batch(
        c, c.count, 1, 1, [&](const run_result& r) { collector.add(r.wire_log); },
        batch_bound::first_failure_or_time);
    if (b.failures) {
      a.summary =
          batch_summary(c, b) + "; the first failure: " + failure_line(b.first_failure->outcome);
      a.failed_run = b.first_failure;
      return a;
    }
    a.passed = true;
    a.details.push_back(batch_summary(c, b));
    const auto names = c.steps.connections();
    std::size_t slow = 0;
    microseconds worst{0};
    std::optional<exchange_stats> slowest;
    for (const auto& e : collector.summarize()) {
      const std::string name = e.connection < names.size() ? names[e.connection] : "?";
      const auto lines = exchange_lines(c.steps, name);
      const std::string where = e.ordinal <= lines.size()
                                    ? "line " + std::to_string(lines[e.ordinal - 1])
                                    : "exchange " + std::to_string(e.ordinal);
      const bool is_slow = e.median >= slow_exchange;
      slow += is_slow ? 1 : 0;
      if (is_slow && (!slowest || e.median > slowest->median)) slowest = e;
      worst = std::max(worst, e.median);
      a.details.push_back((is_slow ? "SLOW " : "") + where + (name == "main" ? "" : " on " + name) +
                          ": median " + ms_text(e.median) + ", p99 " + ms_text(e.p99) + " (" +
                          std::to_string(e.samples) + " samples" +
                          (is_slow ? ", " + std::to_string(e.held_back) +
                                         " with the reply in pieces held back ~40 ms"
                                   : "") +
                          ")");
    }
    if (slowest) {
      a.warn = true;
      a.summary = std::to_string(slow) + " exchange" + (slow == 1 ? "" : "s") +
                  " keep taking tens of milliseconds: " + explain_slow_exchange(*slowest);
    } else {
      a.summary = "slowest median exchange " + ms_text(worst);
    }
    return a;
  }

  // Keeps `c` narrowed to its first connection, if it has others, as the
  // case `r` is the result of.
  bool keep_narrowed(const check_case& c, case_result& r) {
    auto narrowed = on_first_connection(c);
    if (!narrowed) return false;
    const std::lock_guard lock(narrowed_mutex_);
    narrowed_.push_back(std::move(*narrowed));
    r.which = &narrowed_.back();
    return true;
  }

  // Every failing case keeps its run for the reports. Against a server
  // that fails them all with floods, 70 runs of a megabyte of wire log
  // each, and reports of them, would outgrow the memory budget: the first
  // failures keep what their run kept, later ones 64 KiB of payload each
  // (their events and sizes all kept, the bytes cut, as the report says).
  void keep_within_share(run_result& failed) {
    constexpr std::size_t kept_whole = 8, later_bytes = std::size_t{64} << 10;
    if (failures_kept_++ < kept_whole) return;
    keep_payload(failed, later_bytes, "a later failure's share of the report");
  }

  // The limits of one of `sessions` conversations running at once.
  run_options shared_by(std::size_t sessions) const {
    return sharing(options_.run, options_.memory_budget, sessions, pool_);
  }

  const framing_spec& spec_;
  check_target& where_;
  const check_options& options_;
  // Lent to the conversations that hold more than their share: one pool
  // for the whole check, whatever runs at once.
  const std::shared_ptr<memory_pool> pool_ = pool_for(options_.memory_budget);
  const run_options side_by_side_; // a script case's limits: one of `jobs` sessions
  std::atomic<std::size_t> failures_kept_{0};
  std::deque<check_case>& narrowed_;
  std::mutex narrowed_mutex_;
};

bool measures_time(const check_case& c) {
  return c.runner != case_runner::script;
}

} // namespace

std::string_view name_of(case_status status) {
  switch (status) {
  case case_status::pass:
    return "pass";
  case case_status::fail:
    return "FAIL";
  case case_status::flaky:
    return "FLAKY";
  case case_status::warn:
    return "warn";
  case case_status::not_run:
    return "not run";
  case case_status::skipped:
    return "skipped";
  }
  return {};
}

played_case check_target::play(const check_case& c, const framing_spec& spec,
                               const run_options& options) {
  return {run_script(where(), c.steps, spec, c.plan, options), std::nullopt, {}};
}

bool spawned_target::ready(std::string& why) {
  // A server that serves one connection and is still running has served
  // it (and not yet noticed the close): each case gets a fresh one.
  if ((one_connection_ || !process_.running()) && !process_.start(why)) {
    why = "the server could not be started again: " + why;
    return false;
  }
  case_mark_ = process_.stderr_mark();
  return true;
}

std::optional<process_death> spawned_target::died(bool case_failed) {
  // A server may die a moment after the case that killed it has ended (it
  // reads the fatal bytes after the client's last check): a short settle
  // keeps that death from being pinned on the next case. After a failure,
  // a server that no longer listens gets longer to be seen dead, and one
  // writing a sanitizer report longer still (symbolizing takes a while).
  constexpr auto settle = std::chrono::milliseconds(10);
  constexpr auto grace = std::chrono::milliseconds(500);
  constexpr auto report_time = std::chrono::milliseconds(3000);
  constexpr auto poll = std::chrono::milliseconds(2);
  auto deadline = clock::now() + settle;
  if (case_failed && process_.running() && !process_.listening()) deadline += grace;
  // One that serves one connection ends after each case: its way of ending
  // (a signal, a sanitizer report) is the case's to report. Whether it is
  // one is seen after the first case (the baseline), which it passed.
  const bool first = std::exchange(first_case_, false);
  if (one_connection_ || (first && !case_failed)) deadline += grace;
  bool reporting = false;
  while (process_.running()) {
    if (!reporting && !find_sanitizer_report(process_.stderr_since(case_mark_)).empty()) {
      reporting = true;
      deadline = std::max(deadline, clock::now() + report_time);
    }
    if (clock::now() >= deadline) {
      case_mark_ = process_.stderr_mark();
      return std::nullopt;
    }
    std::this_thread::sleep_for(poll);
  }
  case_mark_ = process_.stderr_mark();
  auto death = process_.death();
  // Status 0 after the first case (the baseline), which passed: it serves one
  // connection and exits, which is its design, not a death.
  if (death && death->clean && (one_connection_ || (first && !case_failed))) {
    one_connection_ = true;
    return std::nullopt;
  }
  return death;
}

check_outcome run_check(const check_case& baseline, const std::vector<check_case>& cases,
                        const framing_spec& spec, check_target& where,
                        const check_options& options) {
  const auto started = clock::now();
  check_outcome out;
  out.results.resize(cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i)
    out.results[i].which = &cases[i];
  out.resources_before = where.sample();

  const std::size_t jobs = where.one_at_a_time() ? 1 : std::max<std::size_t>(1, options.jobs);
  runner run(spec, where, options, jobs, out.narrowed);
  std::mutex progress_mutex;
  std::size_t done = 0;
  const auto report = [&](const case_result& r) {
    std::lock_guard lock(progress_mutex);
    ++done;
    if (options.progress) options.progress(r, done, cases.size());
  };

  out.baseline = run.run(baseline);
  out.unreachable = out.baseline.failed_run && out.baseline.failed_run->unreachable;
  if (out.baseline.status == case_status::fail || out.baseline.status == case_status::not_run) {
    for (auto& r : out.results) {
      r.status = case_status::not_run;
      r.summary = "not run: the baseline conversation fails";
    }
    out.elapsed = duration_cast<milliseconds>(clock::now() - started);
    return out;
  }

  // Area by area, in the matrix's order; inside an area, the cases that
  // measure time alone, the others side by side.
  std::vector<check_area> areas;
  for (const auto& c : cases)
    if (std::find(areas.begin(), areas.end(), c.area) == areas.end()) areas.push_back(c.area);
  for (const check_area area : areas) {
    const auto area_started = clock::now();
    std::vector<std::size_t> side_by_side;
    for (std::size_t i = 0; i < cases.size(); ++i) {
      if (cases[i].area != area) continue;
      if (measures_time(cases[i])) {
        out.results[i] = run.run(cases[i]);
        report(out.results[i]);
      } else {
        side_by_side.push_back(i);
      }
    }
    std::atomic<std::size_t> next{0};
    const auto work = [&] {
      for (std::size_t k; (k = next++) < side_by_side.size();) {
        const std::size_t i = side_by_side[k];
        out.results[i] = run.run(cases[i]);
        report(out.results[i]);
      }
    };
    std::vector<std::thread> workers;
    for (std::size_t j = 1; j < std::min(jobs, side_by_side.size()); ++j)
      workers.emplace_back(work);
    work();
    for (auto& w : workers)
      w.join();
    out.area_times.emplace_back(area, duration_cast<milliseconds>(clock::now() - area_started));
  }
  out.resources_after = where.sample();
  out.serves_one_connection = where.serves_one_connection();
  out.elapsed = duration_cast<milliseconds>(clock::now() - started);
  return out;
}

} // namespace tcpcheck::harness
