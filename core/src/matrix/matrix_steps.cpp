// The matrix's building blocks (matrix_steps.hpp).
#include "matrix_steps.hpp"

#include "tcpcheck/frame_encoder.hpp"

#include <algorithm>

namespace tcpcheck::detail {

using step_kind = script_step::kind;

script_step step_on(const std::string& connection, step_kind what) {
  script_step step;
  step.what = what;
  step.connection = connection;
  return step;
}

check_case case_of(std::string id, check_area area, std::string title, script steps,
                   std::string hint) {
  check_case c;
  c.id = std::move(id);
  c.area = area;
  c.title = std::move(title);
  c.steps = std::move(steps);
  c.failure_hint = std::move(hint);
  return c;
}

script_step send_raw(const std::string& connection, byte_buffer bytes) {
  script_step step = step_on(connection, step_kind::send);
  step.raw = true;
  step.payload.segments.push_back(script_text::segment::literal(std::move(bytes)));
  return step;
}

expectation outcome(expectation::kind what, duration quiet) {
  expectation e;
  e.what = what;
  e.quiet = quiet;
  return e;
}

script_step expect_one_of(const std::string& connection, std::vector<expectation> alternatives) {
  script_step step = step_on(connection, step_kind::expect);
  step.alternatives = std::move(alternatives);
  return step;
}

std::optional<script> canonical(const script& header, std::vector<script_step> steps,
                                std::string description) {
  script s;
  s.description = std::move(description);
  s.role = header.role;
  s.transport = header.transport;
  s.framing = header.framing;
  s.timeout = header.timeout;
  s.ignored = header.ignored;
  s.steps = std::move(steps);
  script_error error;
  return parse_script(to_string(s), error);
}

std::optional<byte_buffer> wire_of(const script_step& send, const framing_spec& spec) {
  auto payload = literal_payload(send.payload);
  if (!payload || send.raw) return payload;
  byte_buffer wire;
  if (encode_frame(spec, *payload, field_values_for(spec, send.fields), wire))
    return payload; // what the session itself sends
  return wire;
}

std::optional<byte_buffer> half_frame(const script_step& send, const framing_spec& spec) {
  auto wire = wire_of(send, spec);
  if (!wire || wire->size() < 2) return std::nullopt;
  wire->resize(wire->size() / 2);
  return wire;
}

bool allows_silence(const script_step& step) {
  return std::any_of(step.alternatives.begin(), step.alternatives.end(),
                     [](const expectation& e) { return e.what == expectation::kind::silence; });
}

namespace {

bool opened_before(const script& baseline, std::size_t k) {
  const std::string& connection = baseline.steps[k].connection;
  if (connection == "main") return true;
  for (std::size_t i = 0; i < k; ++i)
    if (baseline.steps[i].connection == connection && baseline.steps[i].what == step_kind::connect)
      return true;
  return false;
}

} // namespace

bool open_after(const script& baseline, std::size_t k) {
  if (!opened_before(baseline, k)) return false;
  const std::string& connection = baseline.steps[k].connection;
  bool open = true;
  for (std::size_t i = 0; i < k; ++i) {
    const auto& step = baseline.steps[i];
    if (step.connection != connection) continue;
    if (step.what == step_kind::connect) open = true;
    if (step.what == step_kind::close || step.what == step_kind::reset) open = false;
  }
  return open;
}

framing_spec spec_at(const script& baseline, std::size_t k, const framing_spec& spec) {
  return framing_before(
      baseline.steps, k, spec, [](const script_step& s) -> const auto& { return s; });
}

std::vector<script_step> fault_point::prefix(const script& baseline) const {
  std::vector<script_step> steps(baseline.steps.begin(),
                                 baseline.steps.begin() + static_cast<std::ptrdiff_t>(k));
  if (half) steps.push_back(send_raw(baseline.steps[k].connection, *half));
  return steps;
}

std::vector<fault_point> fault_points(const script& baseline, const framing_spec& spec,
                                      const std::string& frame_word) {
  std::vector<fault_point> points;
  for (std::size_t k = 0; k < baseline.steps.size(); ++k) {
    const script_step& step = baseline.steps[k];
    if (step.what != step_kind::send && step.what != step_kind::expect) continue;
    if (!open_after(baseline, k)) continue;
    const std::string line = std::to_string(step.line);
    points.push_back({k, "line-" + line, "just before line " + line, std::nullopt});
    if (step.what != step_kind::send) continue;
    if (auto half = half_frame(step, spec_at(baseline, k, spec)))
      points.push_back({k, "line-" + line + "-mid",
                        "in the middle of the " + frame_word + " of line " + line,
                        std::move(half)});
  }
  return points;
}

field_values first_send_fields(const script& baseline, const framing_spec& spec) {
  for (const auto& step : baseline.steps) {
    if (step.connection != "main") continue;
    if (step.what == step_kind::framing) break;
    if (step.what == step_kind::send && !step.fields.empty())
      return field_values_for(spec, step.fields);
  }
  return {};
}

std::vector<script_step> cut_by(const script& baseline, const fault_point& point, fault kind) {
  const std::string& connection = baseline.steps[point.k].connection;
  std::vector<script_step> steps = point.prefix(baseline);
  switch (kind) {
  case fault::rst:
    steps.push_back(step_on(connection, step_kind::reset));
    break;
  case fault::fin:
    steps.push_back(step_on(connection, step_kind::close));
    break;
  case fault::half_close:
    steps.push_back(step_on(connection, step_kind::shutdown));
    break;
  case fault::silent:
    break;
  }
  return steps;
}

std::vector<script_step> opening_of_main(const script& baseline) {
  std::vector<script_step> opening;
  for (const auto& step : baseline.steps) {
    if (step.connection != "main") continue;
    if (step.what != step_kind::expect && step.what != step_kind::connect) break;
    opening.push_back(step);
  }
  return opening;
}

} // namespace tcpcheck::detail
