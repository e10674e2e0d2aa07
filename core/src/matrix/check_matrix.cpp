// The conformance matrix: the cases of each area, generated from the baseline.
#include "tcpcheck/check_matrix.hpp"

#include "tcpcheck/boundary_frames.hpp"
#include "tcpcheck/frame_encoder.hpp"

#include <algorithm>
#include <charconv>
#include <fnmatch.h>
#include <memory>
#include <set>
#include <stdexcept>
#include <utility>

#include "liveness_probe.hpp"
#include "matrix_areas.hpp"
#include "matrix_steps.hpp"
#include "slow_reader.hpp"

namespace tcpcheck {

namespace {

using namespace detail;
using step_kind = script_step::kind;

// The steps of a fault case: the conversation up to the point, the fault,
// then the liveness probe.
std::vector<script_step> fault_steps(const script& baseline, const probe_names& rename,
                                     const fault_point& point, fault kind) {
  std::vector<script_step> steps = cut_by(baseline, point, kind);
  if (kind == fault::half_close && !point.half) {
    // Half-close and keep reading: the replies already owed must still
    // come. (Not an expected silence: a server may well close once it sees
    // the client's FIN, and the silence was the open conversation's.)
    const std::string& connection = baseline.steps[point.k].connection;
    for (std::size_t i = point.k; i < baseline.steps.size(); ++i) {
      const auto& owed = baseline.steps[i];
      if (owed.connection != connection) continue;
      if (owed.what != step_kind::expect || allows_silence(owed)) break;
      steps.push_back(owed);
    }
  }
  // The silent fault: the connection stays open and says nothing while
  // the probe runs.
  for (auto& probe_step : liveness_probe(baseline, rename))
    steps.push_back(std::move(probe_step));
  return steps;
}

class generator {
public:
  generator(const script& baseline, const framing_spec& spec, const matrix_options& options)
      : shared_baseline_(std::make_shared<const script>(baseline)), baseline_(*shared_baseline_),
        spec_(spec), options_(options), rename_(baseline) {}

  std::vector<check_case> run() {
    segmentation();
    faults();
    concurrency();
    soak_and_latency();
    boundary();
    return std::move(cases_);
  }

private:
  void add(std::string id, check_area area, std::string title, script steps,
           delivery_plan plan = {}, std::string hint = {}) {
    check_case c;
    c.id = std::move(id);
    c.area = area;
    c.title = std::move(title);
    c.steps = std::move(steps);
    c.plan = plan;
    c.failure_hint = std::move(hint);
    cases_.push_back(std::move(c));
  }

  // A case whose script was generated; none when it did not parse.
  void add_generated(std::string id, check_area area, std::string title,
                     std::optional<script> steps, std::string hint) {
    if (steps) add(std::move(id), area, std::move(title), *std::move(steps), {}, std::move(hint));
  }

  void add_runner(std::string id, check_area area, std::string title, case_runner runner,
                  std::size_t count, std::string hint = {}) {
    add(std::move(id), area, std::move(title), baseline_, {}, std::move(hint));
    cases_.back().runner = runner;
    cases_.back().count = count;
  }

  void segmentation() {
    for (auto& c : segmentation_cases(baseline_, spec_, options_))
      cases_.push_back(std::move(c));
  }

  void faults() {
    for (const auto& point : fault_points(baseline_, spec_, "frame"))
      add_faults(point);
  }

  // Four faults at one point: the conversation up to step k (and half of
  // its frame), then the fault, then the liveness probe. Their scripts are
  // made when they run (check_case::make_steps).
  void add_faults(const fault_point& point) {
    const auto shared = std::make_shared<const fault_point>(point);
    add_fault(shared, fault::rst, "rst", "reset the connection (RST)");
    add_fault(shared, fault::fin, "fin", "close the connection (FIN)");
    add_fault(shared, fault::half_close, "half-close",
              "half-close (shutdown the write side, keep reading)");
    add_fault(shared, fault::silent, "silent", "go silent, keeping the connection open,");
  }

  void add_fault(const std::shared_ptr<const fault_point>& point, fault kind,
                 const std::string& name, const std::string& what) {
    check_case c;
    c.id = "faults/" + point->at + "/" + name;
    c.area = check_area::faults;
    c.title = what + " " + point->where + ", then a fresh conversation";
    c.failure_hint = "after the fault the server no longer served a fresh conversation";
    c.make_steps = [baseline = shared_baseline_, rename = rename_, point, kind, title = c.title] {
      return canonical(*baseline, fault_steps(*baseline, rename, *point, kind),
                       "tcpcheck check: " + title);
    };
    cases_.push_back(std::move(c));
  }

  void concurrency() {
    add_runner("concurrency/parallel-" + std::to_string(options_.parallel), check_area::concurrency,
               std::to_string(options_.parallel) +
                   " baseline conversations at once, all passing, faster than one after another",
               case_runner::parallel, options_.parallel,
               "the server serves one client at a time (or slows down under parallel clients)");

    // A client that sent part of a frame and went quiet (on "main", which
    // connects first), then the whole conversation on a fresh connection.
    std::vector<script_step> steps;
    const std::string stalled = "main";
    bool stalled_mid_frame = false;
    for (std::size_t k = 0; k < baseline_.steps.size(); ++k) {
      const script_step& step = baseline_.steps[k];
      if (step.connection != stalled) continue;
      if (step.what == step_kind::send) {
        if (auto half = half_frame(step, spec_at(baseline_, k, spec_))) {
          steps.push_back(send_raw(stalled, std::move(*half)));
          stalled_mid_frame = true;
        }
        break;
      }
      if (step.what != step_kind::expect && step.what != step_kind::connect) break;
      steps.push_back(step);
    }
    for (auto& probe_step : liveness_probe(baseline_, rename_))
      steps.push_back(std::move(probe_step));
    const std::string title =
        std::string("one client stalls ") + (stalled_mid_frame ? "in the middle of a frame" : "") +
        (stalled_mid_frame ? "" : "without sending") + "; another runs the whole conversation";
    add_generated("concurrency/stalled-peer", check_area::concurrency, title,
                  canonical(baseline_, std::move(steps), "tcpcheck check: " + title),
                  "the server serves one client at a time: a stalled client blocks the others");
  }

  void soak_and_latency() {
    add_runner("soak/sequential-" + std::to_string(options_.soak), check_area::soak,
               std::to_string(options_.soak) + " baseline conversations one after another",
               case_runner::soak, options_.soak);
    add_runner("latency/exchanges", check_area::latency,
               "the time from each send to its reply, over " +
                   std::to_string(options_.latency_runs) + " conversations",
               case_runner::latency, options_.latency_runs);
  }

  void boundary() {
    // Where to send the frame: main, after the steps before its first send
    // (a server that speaks first has said its piece).
    const std::vector<script_step> opening = opening_of_main(baseline_);
    for (auto& frame : boundary_frames(spec_, first_send_fields(baseline_, spec_))) {
      // Under the default policy a frame one byte over max that the server
      // answers is a warning, not a failure: its own limit may count the
      // payload where the spec counts the frame (or the other way round).
      const bool answer_warns =
          frame.over_max && options_.on_bad_frame == bad_frame_policy::close_or_ignore;
      std::vector<script_step> steps = opening;
      steps.push_back(send_raw("main", frame.wire));
      steps.push_back(expect_one_of(
          "main", frame.breaks_spec && !answer_warns ? bad_frame_outcomes() : any_outcome()));
      for (auto& probe_step : liveness_probe(baseline_, rename_))
        steps.push_back(std::move(probe_step));
      const std::string title =
          "send " + frame.description +
          (frame.breaks_spec
               ? " (breaks the spec: " + std::string(name_of(options_.on_bad_frame)) + ")"
               : "") +
          ", then a fresh conversation";
      add_generated("boundary/" + frame.name, check_area::boundary, title,
                    canonical(baseline_, std::move(steps), "tcpcheck check: " + title),
                    frame.breaks_spec
                        ? "the server's answer to a frame that breaks the spec is not what "
                          "--on-bad-frame " +
                              std::string(name_of(options_.on_bad_frame)) +
                              " allows, or it stopped serving"
                        : "after a valid but unusual frame the server stopped serving");
      if (answer_warns && !cases_.empty() && cases_.back().id == "boundary/" + frame.name) {
        cases_.back().warn_if_answered = over_max_answered();
        cases_.back().spec = reading_answers_to(frame);
      }
      if (frame.over_max && spec_.too_long == too_long_policy::discard)
        add_too_long_recovery(opening, frame);
    }
    add_slow_reader();
  }

  // boundary/slow-reader (slow_reader.hpp). Its script holds megabytes:
  // made when it runs.
  void add_slow_reader() {
    const auto shape = slow_reader_shape_of(baseline_, spec_);
    if (!shape) return;
    check_case c;
    c.id = "boundary/slow-reader";
    c.area = check_area::boundary;
    const bool once = shape->times == 1;
    c.title = "the send of line " + std::to_string(shape->line) + " grown to " +
              std::to_string(shape->text_bytes) + " bytes" +
              (once ? "" : " and written " + std::to_string(shape->times) + " times at once") +
              ", " + (once ? "its answer" : "the answers") +
              " read slowly through a small receive buffer; then a fresh conversation";
    c.failure_hint = "answers to a slow reader came short or garbled: the server ignores how much "
                     "a send() took (a partial send) once its socket buffer is full";
    c.slow_reader = true;
    c.make_steps = [baseline = shared_baseline_, spec = spec_, rename = rename_] {
      return slow_reader_script(*baseline, spec, liveness_probe(*baseline, rename));
    };
    cases_.push_back(std::move(c));
  }

  // The spec discards a frame over max (too-long=discard): after one, the
  // rest of main's conversation on the same connection must go on as if
  // the frame had never come.
  void add_too_long_recovery(const std::vector<script_step>& opening, const boundary_frame& frame) {
    std::vector<script_step> steps = opening;
    steps.push_back(send_raw("main", frame.wire));
    std::size_t on_main = 0;
    for (const auto& step : baseline_.steps)
      if (step.connection == "main" && on_main++ >= opening.size()) steps.push_back(step);
    for (auto& probe_step : liveness_probe(baseline_, rename_))
      steps.push_back(std::move(probe_step));
    const std::string title = "send " + frame.description +
                              " (too-long=discard: skipped), then the rest of the conversation "
                              "on the same connection";
    add_generated("boundary/too-long-recovery", check_area::boundary, title,
                  canonical(baseline_, std::move(steps), "tcpcheck check: " + title),
                  "the spec says too-long=discard: after a frame over max, the frames that follow "
                  "on the connection must be answered as if it had never come");
  }

  // The spec with room to read an answer to `frame` that repeats it (an
  // echo, a greeting naming it): twice its size and a margin, within the
  // largest max a spec may have.
  framing_spec reading_answers_to(const boundary_frame& frame) const {
    framing_spec relaxed = spec_;
    relaxed.max =
        std::min<std::uint64_t>(framing_limits::largest_max,
                                std::max<std::uint64_t>(spec_.max, frame.wire.size()) * 2 + 1024);
    return relaxed;
  }

  std::string over_max_answered() const {
    const bool length =
        spec_.kind == framing_kind::length_prefixed || spec_.kind == framing_kind::varint;
    const bool field = spec_.max_of == max_applies_to::field;
    const std::string other = !length ? ""
                              : field ? " (the whole frame? try max-of=frame)"
                                      : " (the payload or the field's value? try max-of=field)";
    return "the server answered a frame one byte over the spec's max=" + std::to_string(spec_.max) +
           " where the spec says to close or ignore it: if the server is right, its limit counts "
           "something else than the spec's" +
           other + "; --on-bad-frame close makes this a failure";
  }

  std::vector<expectation> bad_frame_outcomes() const {
    using k = expectation::kind;
    switch (options_.on_bad_frame) {
    case bad_frame_policy::close:
      return {outcome(k::close), outcome(k::reset)};
    case bad_frame_policy::reply:
      return {outcome(k::any)};
    case bad_frame_policy::ignore:
      return {outcome(k::silence, options_.quiet)};
    case bad_frame_policy::close_or_ignore:
      break;
    }
    return {outcome(k::close), outcome(k::reset), outcome(k::silence, options_.quiet)};
  }

  // A valid frame: any answer will do; the probe after it is the oracle.
  std::vector<expectation> any_outcome() const {
    using k = expectation::kind;
    return {outcome(k::any), outcome(k::close), outcome(k::reset),
            outcome(k::silence, options_.quiet)};
  }

  // Shared with the fault cases, which make their scripts from it.
  const std::shared_ptr<const script> shared_baseline_;
  const script& baseline_;
  const framing_spec& spec_;
  const matrix_options& options_;
  const probe_names rename_;
  std::vector<check_case> cases_;
};

} // namespace

namespace detail {

// The baseline under every delivery plan: the same cases for a server
// under test (tcpcheck's sends cut) and a client (tcpcheck's replies cut).
std::vector<check_case> segmentation_cases(const script& baseline, const framing_spec& spec,
                                           const matrix_options& options) {
  using plan_kind = delivery_plan::kind;
  const bool replies = baseline.role == script_role::server;
  const std::string sends = replies ? "replies" : "sends";
  const std::string every = replies ? "every reply" : "every send";
  std::vector<check_case> cases;
  const auto under = [&](std::string name, std::string title, delivery_plan plan) {
    check_case c;
    c.id = "segmentation/" + name;
    c.title = std::move(title);
    c.steps = baseline;
    c.plan = plan;
    cases.push_back(std::move(c));
  };
  under("whole",
        "the conversation as written, one write per " + std::string(replies ? "reply" : "send") +
            " (the baseline)",
        {});
  under("bytewise", every + " one byte per write", {plan_kind::bytewise});
  under("split-header",
        spec.is_length_based() ? every + " cut inside its length header"
                               : every + " cut just before its delimiter",
        {plan_kind::split_header});
  for (const std::size_t n : {2, 7})
    under("chunk-" + std::to_string(n),
          sends + " cut into writes of " + std::to_string(n) + " bytes", {plan_kind::chunk, n});
  for (std::size_t i = 1; i <= options.random_plans; ++i) {
    const std::uint64_t seed = options.seed + i - 1;
    under("random-" + std::to_string(i),
          sends + " cut at random points (seed " + std::to_string(seed) + ")",
          {plan_kind::random, 0, seed});
  }
  under("merged", "consecutive " + sends + " merged into one write", {plan_kind::merged});
  under("pipeline",
        sends + " written ahead of " + (replies ? "the requests" : "the replies") +
            ", as far as the script allows",
        {plan_kind::pipeline});
  return cases;
}

} // namespace detail

std::string_view name_of(check_area area) {
  switch (area) {
  case check_area::segmentation:
    return "segmentation";
  case check_area::faults:
    return "faults";
  case check_area::concurrency:
    return "concurrency";
  case check_area::soak:
    return "soak";
  case check_area::boundary:
    return "boundary";
  case check_area::latency:
    return "latency";
  case check_area::loss:
    return "loss";
  case check_area::duplication:
    return "duplication";
  case check_area::reordering:
    return "reordering";
  case check_area::burst:
    return "burst";
  case check_area::size:
    return "size";
  case check_area::clients:
    return "clients";
  case check_area::amplification:
    return "amplification";
  }
  return {};
}

std::string_view name_of(client_oracle oracle) {
  switch (oracle) {
  case client_oracle::same_as_baseline:
    return "same-as-baseline";
  case client_oracle::ends_cleanly:
    return "ends-cleanly";
  }
  return {};
}

std::optional<bad_frame_policy> parse_bad_frame_policy(std::string_view text) {
  for (const auto policy : {bad_frame_policy::close_or_ignore, bad_frame_policy::close,
                            bad_frame_policy::reply, bad_frame_policy::ignore})
    if (text == name_of(policy)) return policy;
  return std::nullopt;
}

std::string_view name_of(bad_frame_policy policy) {
  switch (policy) {
  case bad_frame_policy::close_or_ignore:
    return "close-or-ignore";
  case bad_frame_policy::close:
    return "close";
  case bad_frame_policy::reply:
    return "reply";
  case bad_frame_policy::ignore:
    return "ignore";
  }
  return {};
}

std::optional<script> case_script(const check_case& c) {
  if (c.make_steps) return c.make_steps();
  return c.steps;
}

std::optional<check_case> with_script_made(check_case c) {
  if (!c.make_steps) return c;
  auto steps = c.make_steps();
  if (!steps) return std::nullopt;
  c.steps = *std::move(steps);
  c.make_steps = nullptr;
  return c;
}

std::vector<check_case> generate_matrix(const script& baseline, const framing_spec& spec,
                                        const matrix_options& options) {
  const bool udp = baseline.transport == script_transport::udp;
  if (baseline.role == script_role::server)
    return udp ? detail::datagram_client_matrix(baseline, spec, options)
               : detail::client_matrix(baseline, spec, options);
  if (udp) return detail::datagram_matrix(baseline, spec, options);
  return generator(baseline, spec, options).run();
}

std::optional<shard> parse_shard(std::string_view text, std::string& error) {
  const auto slash = text.find('/');
  shard s;
  const auto number = [](std::string_view digits, std::size_t& out) {
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out);
    return ec == std::errc{} && end == digits.data() + digits.size() && !digits.empty();
  };
  if (slash == std::string_view::npos || !number(text.substr(0, slash), s.index) ||
      !number(text.substr(slash + 1), s.count)) {
    error = "expected I/N (shard I of N, counting from 1), found '" + std::string(text) + "'";
    return std::nullopt;
  }
  if (s.count == 0 || s.index == 0 || s.index > s.count) {
    error = "shard " + std::string(text) + " does not exist: I must be 1 to N";
    return std::nullopt;
  }
  return s;
}

bool matches(std::string_view pattern, std::string_view id) {
  const std::string p(pattern);
  const std::string i(id);
  return fnmatch(p.c_str(), i.c_str(), 0) == 0 || fnmatch((p + "/*").c_str(), i.c_str(), 0) == 0;
}

std::vector<std::string> unmatched_patterns(const std::vector<check_case>& cases,
                                            const case_selection& selection) {
  std::vector<std::string> unmatched;
  for (const auto* patterns : {&selection.only, &selection.exclude})
    for (const auto& p : *patterns)
      if (std::none_of(cases.begin(), cases.end(),
                       [&](const check_case& c) { return matches(p, c.id); }))
        unmatched.push_back(p);
  return unmatched;
}

std::vector<check_case> select_cases(std::vector<check_case> cases,
                                     const case_selection& selection) {
  const auto any_match = [](const std::vector<std::string>& patterns, const std::string& id) {
    return std::any_of(patterns.begin(), patterns.end(),
                       [&](const std::string& p) { return matches(p, id); });
  };
  std::vector<check_case> kept;
  std::size_t position = 0;
  for (auto& c : cases) {
    if (!selection.only.empty() && !any_match(selection.only, c.id)) continue;
    if (any_match(selection.exclude, c.id)) continue;
    if (position++ % selection.slice.count == selection.slice.index - 1)
      kept.push_back(std::move(c));
  }
  return kept;
}

} // namespace tcpcheck
