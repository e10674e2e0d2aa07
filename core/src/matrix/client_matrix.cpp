// The matrix of a `role server` script: a client under test, tcpcheck
// playing its server. The segmentation cases are the server matrix's, cut
// in tcpcheck's replies; faults and boundary frames come from the server's
// side, and what follows them is not a fresh conversation (a client makes
// the connections it wants) but the client's own end, which the harness
// judges (check_case::oracle).
#include "tcpcheck/boundary_frames.hpp"
#include "tcpcheck/check_matrix.hpp"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <utility>

#include "matrix_areas.hpp"
#include "matrix_steps.hpp"

namespace tcpcheck::detail {

namespace {

using step_kind = script_step::kind;
using expect_kind = expectation::kind;

// The slow-server case trickles the replies in about this many writes, at
// most, whatever the conversation's length...
constexpr std::size_t most_trickled_writes = 200;
// ...and takes about this long in all, the gap shortened to fit.
constexpr duration trickle_time{2000};

// The expect steps on `connection` from step k on, up to tcpcheck's next
// send on any connection: what the client sends before it waits for
// tcpcheck again.
std::vector<script_step> owed_from(const script& baseline, std::size_t k,
                                   const std::string& connection) {
  std::vector<script_step> owed;
  for (std::size_t i = k; i < baseline.steps.size(); ++i) {
    const auto& step = baseline.steps[i];
    if (step.what == step_kind::send) break;
    if (step.connection != connection) continue;
    if (step.what != step_kind::expect || allows_silence(step)) break;
    owed.push_back(step);
  }
  return owed;
}

// Waits for the client to give up on the connection: it must close it
// (or exit, which closes it) within the client timeout. It may say
// something first (a goodbye, its next request), which ends the wait:
// then tcpcheck closes, and the client must still end.
script_step client_gives_up(const std::string& connection, duration client_wait) {
  script_step wait =
      expect_one_of(connection, {outcome(expect_kind::close), outcome(expect_kind::reset),
                                 outcome(expect_kind::any)});
  wait.within = client_wait;
  return wait;
}

// The steps of a fault case: the conversation up to the point, then the
// fault, then the wait for the client to give up where it must.
std::vector<script_step> fault_steps(const script& baseline, duration client_wait,
                                     const fault_point& point, fault kind) {
  const std::string& connection = baseline.steps[point.k].connection;
  std::vector<script_step> steps = cut_by(baseline, point, kind);
  if (kind == fault::silent && !point.half) {
    // A server that accepts (and reads) but never answers: a client
    // without a timeout of its own waits forever.
    for (auto& step : owed_from(baseline, point.k, connection))
      steps.push_back(std::move(step));
  }
  // Then the client must give up: after a half-close it sees the end of
  // the replies while it can still send; after silence, only a timeout of
  // its own ends its wait.
  if (kind == fault::half_close || kind == fault::silent)
    steps.push_back(client_gives_up(connection, client_wait));
  return steps;
}

class client_generator {
public:
  client_generator(const script& baseline, const framing_spec& spec, const matrix_options& options)
      : shared_baseline_(std::make_shared<const script>(baseline)), baseline_(*shared_baseline_),
        spec_(spec), options_(options) {}

  std::vector<check_case> run() {
    cases_ = segmentation_cases(baseline_, spec_, options_);
    slow_server();
    faults();
    boundary();
    return std::move(cases_);
  }

private:
  void add_ending(std::string id, check_area area, std::string title,
                  std::vector<script_step> steps, std::string hint) {
    auto generated = canonical(baseline_, std::move(steps), "tcpcheck check: " + title);
    if (!generated) return;
    check_case c;
    c.id = std::move(id);
    c.area = area;
    c.title = std::move(title);
    c.steps = *std::move(generated);
    c.failure_hint = std::move(hint);
    c.oracle = client_oracle::ends_cleanly;
    cases_.push_back(std::move(c));
  }

  // The replies trickled: small writes far apart, as a slow server or a
  // slow network delivers them. The client's output must not change.
  void slow_server() {
    std::size_t reply_bytes = 0;
    std::size_t smallest = SIZE_MAX;
    for (std::size_t k = 0; k < baseline_.steps.size(); ++k)
      if (baseline_.steps[k].what == step_kind::send)
        if (auto wire = wire_of(baseline_.steps[k], spec_at(baseline_, k, spec_))) {
          reply_bytes += wire->size();
          smallest = std::min(smallest, wire->size());
        }
    // Pieces small enough to cut even the smallest reply in two.
    const std::size_t piece = std::max<std::size_t>(
        1, std::min((reply_bytes + most_trickled_writes - 1) / most_trickled_writes,
                    smallest == SIZE_MAX ? 1 : smallest / 2));
    const std::size_t writes = std::max<std::size_t>(1, (reply_bytes + piece - 1) / piece);
    const duration gap =
        std::clamp(trickle_time / static_cast<long>(writes), duration(1), options_.trickle_gap);
    check_case c;
    c.id = "segmentation/slow-server";
    c.title = "every reply trickled in writes of " + std::to_string(piece) + " byte" +
              (piece == 1 ? "" : "s") + ", " + duration_text(gap) + " apart (a slow server)";
    c.steps = baseline_;
    c.plan = {delivery_plan::kind::chunk, piece};
    c.write_gap = gap;
    cases_.push_back(std::move(c));
  }

  void faults() {
    for (const auto& point : fault_points(baseline_, spec_, "reply"))
      add_faults(point);
  }

  // Four faults at one point: the conversation up to step k (and half of
  // the reply's frame), then the fault; then the client must end. Their
  // scripts are made when they run (check_case::make_steps).
  void add_faults(const fault_point& point) {
    const auto shared = std::make_shared<const fault_point>(point);
    const std::string must_end = "after the server's fault the client must end within the client "
                                 "timeout, by exiting, not by a signal";
    add_fault(shared, fault::rst, "rst", "reset the connection (RST)", must_end);
    add_fault(shared, fault::fin, "fin", "close the connection (FIN)", must_end);
    add_fault(shared, fault::half_close, "half-close",
              "half-close (shutdown the write side, keep reading)", must_end);
    add_fault(shared, fault::silent, "silent", "go silent, keeping the connection open,",
              "a server that says nothing must not hold the client forever: it needs a "
              "timeout of its own, shorter than " +
                  duration_text(options_.client_wait));
  }

  void add_fault(const std::shared_ptr<const fault_point>& point, fault kind,
                 const std::string& name, const std::string& what, std::string hint) {
    check_case c;
    c.id = "faults/" + point->at + "/" + name;
    c.area = check_area::faults;
    c.title = what + " " + point->where + "; the client must end";
    c.failure_hint = std::move(hint);
    c.oracle = client_oracle::ends_cleanly;
    c.make_steps = [baseline = shared_baseline_, wait = options_.client_wait, point, kind,
                    title = c.title] {
      return canonical(*baseline, fault_steps(*baseline, wait, *point, kind),
                       "tcpcheck check: " + title);
    };
    cases_.push_back(std::move(c));
  }

  void boundary() {
    const std::vector<script_step> opening = opening_of_main(baseline_);
    for (auto& frame : boundary_frames(spec_, first_send_fields(baseline_, spec_))) {
      std::vector<script_step> steps = opening;
      steps.push_back(send_raw("main", frame.wire));
      steps.push_back(step_on("main", step_kind::close));
      add_ending("boundary/" + frame.name, check_area::boundary,
                 "send the client " + frame.description +
                     (frame.breaks_spec ? " (breaks the spec)" : "") +
                     ", then close; the client must end",
                 std::move(steps),
                 "a frame at the edge of the spec must not kill the client, hang it, or make "
                 "it allocate what a length field says");
    }
  }

  // Shared with the fault cases, which make their scripts from it.
  const std::shared_ptr<const script> shared_baseline_;
  const script& baseline_;
  const framing_spec& spec_;
  const matrix_options& options_;
  std::vector<check_case> cases_;
};

} // namespace

std::vector<check_case> client_matrix(const script& baseline, const framing_spec& spec,
                                      const matrix_options& options) {
  return client_generator(baseline, spec, options).run();
}

} // namespace tcpcheck::detail
