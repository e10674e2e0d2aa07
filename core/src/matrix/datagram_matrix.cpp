// The matrix of a UDP script: what breaks datagram servers, in place of
// the stream's cuts and faults (matrix_areas.hpp).
//
// A datagram cannot be cut or merged on its way, and there is no
// connection to reset or close. What goes wrong instead: datagrams are
// lost, doubled and reordered; many come at once; their size meets the
// server's receive buffer; two clients of one host differ only by port;
// an answer may be far larger than its request. Every case but the
// baseline ends with the liveness probe, the baseline again on fresh
// sockets, so a server that died, hangs or lost its state fails there.
//
// After a datagram was lost, doubled or moved, the answers that follow
// may rightly differ (a `set` that never came): they are then only
// required to come (`expect any`), and the probe judges the rest.
#include "tcpcheck/boundary_frames.hpp"

#include <algorithm>
#include <memory>
#include <utility>

#include "datagram_sizes.hpp"
#include "liveness_probe.hpp"
#include "matrix_areas.hpp"
#include "matrix_steps.hpp"

namespace tcpcheck::detail {

namespace {

using step_kind = script_step::kind;
using expect_kind = expectation::kind;

// A send on main and the expects that answer it.
struct exchange {
  std::size_t send = 0;
  std::vector<std::size_t> expects;
};

std::vector<exchange> exchanges_of_main(const script& baseline) {
  std::vector<exchange> out;
  for (std::size_t i = 0; i < baseline.steps.size(); ++i) {
    const script_step& step = baseline.steps[i];
    if (step.connection != "main") continue;
    if (step.what == step_kind::send)
      out.push_back({i, {}});
    else if (step.what == step_kind::expect && !out.empty())
      out.back().expects.push_back(i);
  }
  return out;
}

// An expect that only asks for an answer: what it holds may rightly differ
// once the server's state does. One that allowed silence still does, and
// one that captured a value still captures the answer, whole, for the
// steps that use it.
script_step relaxed(const script_step& expect, duration quiet) {
  expectation answer = outcome(expect_kind::any);
  for (const auto& e : expect.alternatives)
    if (!e.capture.empty()) {
      answer.what = expect_kind::regex;
      answer.pattern = "(?s).*";
      answer.capture = e.capture;
      break;
    }
  script_step step = expect_one_of(expect.connection, {std::move(answer)});
  if (allows_silence(expect)) step.alternatives.push_back(outcome(expect_kind::silence, quiet));
  step.within = expect.within;
  return step;
}

script_step any_or_silence(const std::string& connection, duration quiet) {
  return expect_one_of(connection,
                       {outcome(expect_kind::any), outcome(expect_kind::silence, quiet)});
}

class datagram_generator {
public:
  datagram_generator(const script& baseline, const framing_spec& spec,
                     const matrix_options& options)
      : shared_baseline_(std::make_shared<const script>(baseline)), baseline_(*shared_baseline_),
        spec_(spec), options_(options), rename_(baseline), exchanges_(exchanges_of_main(baseline)) {
  }

  std::vector<check_case> run() {
    // As its file reads, so that a failure's line is the file's.
    add_case("segmentation/whole", check_area::segmentation,
             "the conversation as written, one datagram per send (the baseline)", baseline_);
    loss();
    duplication();
    reordering();
    burst();
    sizes();
    clients();
    amplification();
    boundary();
    runners();
    return std::move(cases_);
  }

private:
  // A case of `steps` then the probe, unless its script does not parse.
  check_case* add(std::string id, check_area area, std::string title,
                  std::vector<script_step> steps, std::string hint = {}) {
    for (auto& probe_step : liveness_probe(baseline_, rename_))
      steps.push_back(std::move(probe_step));
    auto made = canonical(baseline_, std::move(steps),
                          "tcpcheck check: " + title + ", then a fresh conversation");
    if (!made) return nullptr;
    return add_case(std::move(id), area, std::move(title), *std::move(made), std::move(hint));
  }

  check_case* add_case(std::string id, check_area area, std::string title, script steps,
                       std::string hint = {}) {
    cases_.push_back(
        case_of(std::move(id), area, std::move(title), std::move(steps), std::move(hint)));
    return &cases_.back();
  }

  std::string line_of(std::size_t step) const { return std::to_string(baseline_.steps[step].line); }

  // The baseline with main's sends and expects of exchanges `first` to
  // `last` replaced by what `change` writes (the other steps among them
  // kept, after it); the expects of later exchanges on main relaxed.
  template <class Change>
  std::vector<script_step> changed_at(std::size_t first, std::size_t last, Change change) const {
    const std::size_t from = exchanges_[first].send;
    std::vector<script_step> steps(baseline_.steps.begin(),
                                   baseline_.steps.begin() + static_cast<std::ptrdiff_t>(from));
    change(steps);
    const exchange& end = exchanges_[last];
    const std::size_t after = end.expects.empty() ? end.send + 1 : end.expects.back() + 1;
    for (std::size_t i = from; i < after; ++i) {
      const script_step& step = baseline_.steps[i];
      const bool replaced = step.connection == "main" &&
                            (step.what == step_kind::send || step.what == step_kind::expect);
      if (!replaced) steps.push_back(step);
    }
    for (std::size_t i = after; i < baseline_.steps.size(); ++i) {
      const script_step& step = baseline_.steps[i];
      const bool later_answer = step.what == step_kind::expect && step.connection == "main";
      steps.push_back(later_answer ? relaxed(step, options_.quiet) : step);
    }
    return steps;
  }

  template <class Change>
  std::vector<script_step> changed_at(std::size_t e, Change change) const {
    return changed_at(e, e, change);
  }

  // loss/line-N: the send never arrives; its answer must not come either
  // (the expect that waited for it times out), and the server goes on.
  void loss() {
    for (std::size_t e = 0; e < exchanges_.size(); ++e) {
      const std::string line = line_of(exchanges_[e].send);
      auto steps = changed_at(e, [&](std::vector<script_step>& out) {
        if (!exchanges_[e].expects.empty())
          out.push_back(expect_one_of("main", {outcome(expect_kind::silence, options_.quiet)}));
      });
      add("loss/line-" + line, check_area::loss,
          "the datagram of line " + line + " lost (its answer waited for in vain)",
          std::move(steps),
          "after a lost datagram the server stopped answering, or answered what never came");
    }
  }

  // duplication/line-N: the same datagram twice; the first is answered as
  // the script says, the copy however the server likes.
  void duplication() {
    for (std::size_t e = 0; e < exchanges_.size(); ++e) {
      const std::string line = line_of(exchanges_[e].send);
      auto steps = changed_at(e, [&](std::vector<script_step>& out) {
        out.push_back(baseline_.steps[exchanges_[e].send]);
        out.push_back(baseline_.steps[exchanges_[e].send]);
        for (std::size_t x : exchanges_[e].expects)
          out.push_back(baseline_.steps[x]);
        if (!exchanges_[e].expects.empty()) out.push_back(any_or_silence("main", options_.quiet));
      });
      add("duplication/line-" + line, check_area::duplication,
          "the datagram of line " + line + " sent twice", std::move(steps),
          "a duplicated datagram (UDP may deliver one twice) broke the server");
    }
  }

  // reordering/line-N: the send of line N goes after the next one; both
  // answers must come, in any order (each expect relaxed: which answer
  // comes first is the server's business), and the conversation goes on.
  void reordering() {
    for (std::size_t e = 0; e + 1 < exchanges_.size(); ++e) {
      const std::string line = line_of(exchanges_[e].send);
      auto steps = changed_at(e, e + 1, [&](std::vector<script_step>& out) {
        out.push_back(baseline_.steps[exchanges_[e + 1].send]);
        out.push_back(baseline_.steps[exchanges_[e].send]);
        for (const std::size_t x : exchanges_[e + 1].expects)
          out.push_back(relaxed(baseline_.steps[x], options_.quiet));
        for (const std::size_t x : exchanges_[e].expects)
          out.push_back(relaxed(baseline_.steps[x], options_.quiet));
      });
      add("reordering/line-" + line, check_area::reordering,
          "the datagrams of lines " + line + " and " + line_of(exchanges_[e + 1].send) + " swapped",
          std::move(steps),
          "datagrams that came out of order (UDP keeps no order) broke the server");
    }
  }

  // burst/N: main's sends over and over, N datagrams without waiting, on a
  // socket of their own; every answer the baseline gets must come back.
  void burst() {
    std::vector<const script_step*> sends;
    std::uint32_t answers_per_round = 0;
    for (const auto& ex : exchanges_) {
      sends.push_back(&baseline_.steps[ex.send]);
      for (std::size_t x : ex.expects)
        if (!allows_silence(baseline_.steps[x])) ++answers_per_round;
    }
    if (sends.empty()) return;
    const std::size_t rounds = std::max<std::size_t>(1, options_.burst / sends.size());
    std::vector<script_step> steps{step_on("burst", step_kind::connect)};
    for (std::size_t r = 0; r < rounds; ++r)
      for (const script_step* send : sends) {
        steps.push_back(*send);
        steps.back().connection = "burst";
      }
    const auto expected = static_cast<std::uint32_t>(rounds) * answers_per_round;
    if (expected > 0) {
      expectation all = outcome(expect_kind::any);
      all.count = expected;
      steps.push_back(expect_one_of("burst", {all}));
    }
    const std::string n = std::to_string(rounds * sends.size());
    add("burst/" + n, check_area::burst,
        n + " datagrams (main's sends, over and over) without waiting; all " +
            std::to_string(expected) + " answers must come",
        std::move(steps),
        "answers went missing in a burst: the server drops datagrams when several wait (a small "
        "receive buffer, or one request at a time with a slow step)");
  }

  // The send whose answer is most likely to repeat it (an echo): one whose
  // last bytes come back in the expect after it; else the longest.
  const script_step* echoed_send() const {
    const script_step* longest = nullptr;
    std::size_t longest_size = 0;
    for (const auto& ex : exchanges_) {
      const auto payload = literal_payload(baseline_.steps[ex.send].payload);
      if (!payload) continue;
      if (!longest || payload->size() > longest_size)
        longest = &baseline_.steps[ex.send], longest_size = payload->size();
      const std::size_t tail = std::min<std::size_t>(payload->size(), 8);
      for (std::size_t x : ex.expects)
        for (const auto& e : baseline_.steps[x].alternatives) {
          const auto text = literal_payload(e.text);
          if (tail > 0 && text &&
              std::search(text->begin(), text->end(), payload->end() - tail, payload->end()) !=
                  text->end())
            return &baseline_.steps[ex.send];
        }
    }
    return longest;
  }

  // size/...: on a socket of its own, an empty datagram, datagrams one
  // byte over common receive buffers, and the largest there is.
  void sizes() {
    add_size("size/empty", "an empty datagram", {});
    const script_step* send = echoed_send();
    if (!send) return;
    const byte_buffer head = literal_payload(send->payload).value_or(byte_buffer{});
    const std::string from = " (the send of line " + std::to_string(send->line) + ", grown)";
    for (const auto& size : datagram_sizes())
      add_size("size/" + size.name, "a datagram of " + size.description + from,
               grown_datagram(head, size.bytes));
  }

  void add_size(std::string id, const std::string& what, byte_buffer datagram) {
    std::vector<script_step> steps{step_on("size", step_kind::connect), send_raw("size", datagram),
                                   any_or_silence("size", options_.quiet)};
    check_case* c = add(std::move(id), check_area::size, what, std::move(steps),
                        "the server died, hung or cut the datagram short: a receive buffer smaller "
                        "than the datagram truncates it silently (seed 001)");
    if (c && !datagram.empty()) c->truncation_probe = std::move(datagram);
  }

  // clients/interleaved: main's exchanges on two sockets of one host,
  // taking turns. A server that keeps state per address, not per address
  // and port, mixes them up (values that differ need ${conn} in them).
  void clients() {
    if (exchanges_.size() < 2) return;
    std::vector<script_step> steps{step_on("client-a", step_kind::connect),
                                   step_on("client-b", step_kind::connect)};
    for (const auto& ex : exchanges_)
      for (const char* name : {"client-a", "client-b"}) {
        steps.push_back(baseline_.steps[ex.send]);
        steps.back().connection = name;
        for (std::size_t x : ex.expects) {
          steps.push_back(baseline_.steps[x]);
          steps.back().connection = name;
        }
      }
    add("clients/interleaved", check_area::clients,
        "main's exchanges from two sockets of this host in turn", std::move(steps),
        "two clients on one host, told apart only by their ports, got each other's answers: the "
        "server keeps state per address, not per address and port");
  }

  void amplification() {
    check_case* c = add_case("amplification/exchanges", check_area::amplification,
                             "the baseline, each answer's bytes and datagrams set against its "
                             "request's",
                             baseline_);
    if (!c) return;
    c->amplification_limit = options_.amplification_limit;
    c->failure_hint = "answers far larger than their requests make the server a reflector for "
                      "attacks that spoof the victim's address";
  }

  // Boundary frames of the framing inside each datagram, one per datagram.
  void boundary() {
    if (spec_.kind == framing_kind::datagram || spec_.kind == framing_kind::raw) return;
    const std::vector<script_step> opening = opening_of_main(baseline_);
    for (auto& frame : boundary_frames(spec_, first_send_fields(baseline_, spec_))) {
      if (frame.wire.size() > largest_datagram) continue; // no socket sends it: nothing to learn
      std::vector<script_step> steps = opening;
      steps.push_back(send_raw("main", frame.wire));
      steps.push_back(any_or_silence("main", options_.quiet));
      add("boundary/" + frame.name, check_area::boundary, "a datagram of " + frame.description,
          std::move(steps), "after an unusual frame the server stopped serving");
    }
  }

  void runners() {
    const auto runner = [&](std::string id, check_area area, std::string title, case_runner how,
                            std::size_t count) {
      check_case* c = add_case(std::move(id), area, std::move(title), baseline_);
      c->runner = how;
      c->count = count;
    };
    runner("concurrency/parallel-" + std::to_string(options_.parallel), check_area::concurrency,
           std::to_string(options_.parallel) + " conversations at once, each from its own socket",
           case_runner::parallel, options_.parallel);
    runner("soak/sequential-" + std::to_string(options_.soak), check_area::soak,
           std::to_string(options_.soak) + " baseline conversations one after another",
           case_runner::soak, options_.soak);
    runner("latency/exchanges", check_area::latency,
           "the time from each send to its reply, over " + std::to_string(options_.latency_runs) +
               " conversations",
           case_runner::latency, options_.latency_runs);
  }

  const std::shared_ptr<const script> shared_baseline_;
  const script& baseline_;
  const framing_spec& spec_;
  const matrix_options& options_;
  const probe_names rename_;
  const std::vector<exchange> exchanges_;
  std::vector<check_case> cases_;
};

} // namespace

std::vector<check_case> datagram_matrix(const script& baseline, const framing_spec& spec,
                                        const matrix_options& options) {
  return datagram_generator(baseline, spec, options).run();
}

} // namespace tcpcheck::detail
