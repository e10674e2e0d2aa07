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

class client_generator {
public:
  client_generator(const script& baseline, const framing_spec& spec, const matrix_options& options)
      : baseline_(baseline), spec_(spec), options_(options) {}

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

  // The expect steps on `connection` from step k on, up to tcpcheck's next
  // send on any connection: what the client sends before it waits for
  // tcpcheck again.
  std::vector<script_step> owed_from(std::size_t k, const std::string& connection) const {
    std::vector<script_step> owed;
    for (std::size_t i = k; i < baseline_.steps.size(); ++i) {
      const auto& step = baseline_.steps[i];
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
  script_step client_gives_up(const std::string& connection) const {
    script_step wait =
        expect_one_of(connection, {outcome(expect_kind::close), outcome(expect_kind::reset),
                                   outcome(expect_kind::any)});
    wait.within = options_.client_wait;
    return wait;
  }

  // Four faults at one point: the conversation up to step k (and half of
  // the reply's frame), then the fault; then the client must end.
  void add_faults(const fault_point& point) {
    const std::size_t k = point.k;
    const std::string& at = point.at;
    const std::string& where = point.where;
    const std::optional<byte_buffer>& half = point.half;
    const std::string& connection = baseline_.steps[k].connection;
    const auto prefix = [&] { return point.prefix(baseline_); };
    const auto add_fault = [&](const std::string& name, const std::string& what,
                               std::vector<script_step> steps, const std::string& hint) {
      add_ending("faults/" + at + "/" + name, check_area::faults,
                 what + " " + where + "; the client must end", std::move(steps), hint);
    };
    const std::string must_end = "after the server's fault the client must end within the client "
                                 "timeout, by exiting, not by a signal";

    auto rst = prefix();
    rst.push_back(step_on(connection, step_kind::reset));
    add_fault("rst", "reset the connection (RST)", std::move(rst), must_end);

    auto fin = prefix();
    fin.push_back(step_on(connection, step_kind::close));
    add_fault("fin", "close the connection (FIN)", std::move(fin), must_end);

    // The client sees the end of the replies while it can still send.
    auto half_close = prefix();
    half_close.push_back(step_on(connection, step_kind::shutdown));
    half_close.push_back(client_gives_up(connection));
    add_fault("half-close", "half-close (shutdown the write side, keep reading)",
              std::move(half_close), must_end);

    // A server that accepts (and reads) but never answers: a client
    // without a timeout of its own waits forever.
    auto silent = prefix();
    if (!half)
      for (auto& step : owed_from(k, connection))
        silent.push_back(std::move(step));
    silent.push_back(client_gives_up(connection));
    add_fault("silent", "go silent, keeping the connection open,", std::move(silent),
              "a server that says nothing must not hold the client forever: it needs a "
              "timeout of its own, shorter than " +
                  duration_text(options_.client_wait));
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
