// The report model's small questions: names, counts, areas.
#include "tcpcheck/report/model.hpp"

#include <algorithm>

namespace tcpcheck::report {

std::string_view name_of(status s) {
  switch (s) {
  case status::pass:
    return "pass";
  case status::fail:
    return "FAIL";
  case status::flaky:
    return "FLAKY";
  case status::warn:
    return "warn";
  case status::not_run:
    return "not run";
  case status::skipped:
    return "skipped";
  }
  return "?";
}

std::string_view name_of(step_line::mark m) {
  switch (m) {
  case step_line::mark::ok:
    return "ok";
  case step_line::mark::failed:
    return "failed";
  case step_line::mark::not_run:
    return "not_run";
  }
  return "?";
}

counts count(const std::vector<test_case>& cases) {
  counts c;
  for (const auto& t : cases) {
    switch (t.state) {
    case status::pass:
      ++c.pass;
      break;
    case status::fail:
      ++c.fail;
      break;
    case status::flaky:
      ++c.flaky;
      break;
    case status::warn:
      ++c.warn;
      break;
    case status::not_run:
      ++c.not_run;
      break;
    case status::skipped:
      ++c.skipped;
      break;
    }
  }
  return c;
}

std::vector<std::string> areas_of(const std::vector<test_case>& cases) {
  std::vector<std::string> out;
  for (const auto& c : cases)
    if (std::find(out.begin(), out.end(), c.area) == out.end()) out.push_back(c.area);
  return out;
}

std::vector<std::size_t> cases_in(const std::vector<test_case>& cases, std::string_view area) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < cases.size(); ++i)
    if (cases[i].area == area) out.push_back(i);
  return out;
}

std::string death_report(const test_case& c) {
  if (!c.death) return {};
  return !c.death->sanitizer.empty() ? c.death->sanitizer : c.death->stderr_tail;
}

} // namespace tcpcheck::report
