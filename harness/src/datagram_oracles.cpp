// The UDP matrix's judgments of a passing run (datagram_oracles.hpp).
#include "tcpcheck/harness/datagram_oracles.hpp"

#include <algorithm>
#include <cstdio>

namespace tcpcheck::harness {

namespace {

constexpr std::size_t window = 16;
constexpr std::size_t start_window_at = 512;

bool holds(const std::vector<byte_view>& answers, byte_view part) {
  return std::any_of(answers.begin(), answers.end(), [&](byte_view a) {
    return std::search(a.begin(), a.end(), part.begin(), part.end()) != a.end();
  });
}

// The reads on the connection of the write of `datagram`, until its next
// write; nullopt when the wire log did not keep all their bytes (or the
// write's), for then a missing end says nothing.
std::optional<std::vector<byte_view>> answers_to(byte_view datagram,
                                                 const std::vector<wire_event>& log) {
  std::vector<byte_view> out;
  std::optional<std::size_t> connection;
  for (const auto& e : log) {
    if (e.what == wire_event::kind::write && !connection && e.size == datagram.size() &&
        std::equal(e.bytes.begin(), e.bytes.end(), datagram.begin())) {
      if (e.bytes.size() < e.size) return std::nullopt;
      connection = e.connection;
    } else if (connection && e.connection == *connection) {
      if (e.what == wire_event::kind::write) break;
      if (e.what != wire_event::kind::read) continue;
      if (e.bytes.size() < e.size) return std::nullopt;
      out.emplace_back(e.bytes.data(), e.bytes.size());
    }
  }
  return out;
}

// Whether `seen` holds a part of the datagram's start (from offset 512)
// but not its last 16 bytes: what a read through a smaller buffer leaves.
bool shows_its_start_only(byte_view datagram, const std::vector<byte_view>& seen) {
  if (datagram.size() < start_window_at + 2 * window) return false;
  return holds(seen, datagram.subspan(start_window_at, window)) &&
         !holds(seen, datagram.last(window));
}

constexpr const char* seed_001_warning =
    "(seed 001: \"if the amount of data sent exceeds the recv limit, the data will be "
    "truncated\")";

std::string ratio_text(double r) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1fx", r);
  return text;
}

double ratio(std::size_t answer, std::size_t request) {
  return static_cast<double>(answer) / static_cast<double>(std::max<std::size_t>(request, 1));
}

} // namespace

std::optional<std::string> truncated_echo(byte_view datagram, const std::vector<wire_event>& log) {
  const auto answers = answers_to(datagram, log);
  if (!answers || !shows_its_start_only(datagram, *answers)) return std::nullopt;
  std::size_t longest = 0;
  for (const auto& a : *answers)
    longest = std::max(longest, a.size());
  return "the answer to a datagram of " + std::to_string(datagram.size()) +
         " bytes repeats its start but not its end (" + std::to_string(longest) +
         " bytes came back): the server read it through a smaller buffer and lost the rest " +
         seed_001_warning;
}

std::optional<std::string> truncated_in_output(byte_view datagram, std::string_view output) {
  if (!shows_its_start_only(datagram, {as_bytes(output)})) return std::nullopt;
  return "the client printed the start of a reply of " + std::to_string(datagram.size()) +
         " bytes but not its end: it read the datagram through a smaller buffer and lost the "
         "rest " +
         seed_001_warning;
}

// An exchange is the writes on a connection until the reads after them:
// requests sent ahead (`send a`, `send b`, then both answers) are one
// exchange, so an answer is never set against a request it does not answer.
std::vector<exchange_volume> exchange_volumes(const std::vector<wire_event>& log) {
  std::vector<exchange_volume> out;
  struct state {
    std::size_t index = 0; // in `out`, + 1; 0 for none yet
    bool answered = false; // reads came since its last write
  };
  std::vector<state> open; // by connection
  for (const auto& e : log) {
    if (e.connection >= open.size()) open.resize(e.connection + 1);
    state& at = open[e.connection];
    if (e.what == wire_event::kind::write) {
      if (at.index == 0 || at.answered) {
        out.push_back({e.connection, 0, 0, 0, 0});
        at = {out.size(), false};
      }
      out[at.index - 1].request_bytes += e.size;
      ++out[at.index - 1].request_datagrams;
    } else if (e.what == wire_event::kind::read && at.index != 0) {
      exchange_volume& x = out[at.index - 1];
      x.answer_bytes += e.size;
      ++x.answer_datagrams;
      at.answered = true;
    }
  }
  return out;
}

amplification_verdict judge_amplification(const std::vector<wire_event>& log, double limit) {
  amplification_verdict v;
  const std::vector<exchange_volume> volumes = exchange_volumes(log);
  const exchange_volume* worst = nullptr;
  for (const auto& x : volumes) {
    const double r = std::max(ratio(x.answer_bytes, x.request_bytes),
                              ratio(x.answer_datagrams, x.request_datagrams));
    if (!worst || r > v.worst) worst = &x, v.worst = r;
  }
  if (!worst || v.worst <= 1.0) return v;
  v.warn = true;
  v.fail = v.worst > limit;
  const std::size_t requests = worst->request_datagrams;
  v.summary = (requests == 1 ? "a request of " : std::to_string(requests) + " requests of ") +
              std::to_string(worst->request_bytes) + " bytes drew " +
              std::to_string(worst->answer_bytes) + " bytes in " +
              std::to_string(worst->answer_datagrams) + " datagram(s): " + ratio_text(v.worst) +
              (v.fail ? ", above the limit of " + ratio_text(limit) +
                            " (--amplification-limit): a reflector for spoofed requests"
                      : " (the limit is " + ratio_text(limit) + ")");
  return v;
}

} // namespace tcpcheck::harness
