// The conformance matrix of a `role server` script run against a client
// under test: every case starts the client afresh, plays the case's script
// for it and judges its end by the case's oracle (check_case::oracle). The
// baseline (segmentation/whole, which run_check runs before the rest) fixes
// what the client must print under every other cut of the same
// conversation: its standard output, the port tcpcheck listened on written
// as "{port}", the latest spawn_options::output_limit bytes of it.
#pragma once

#include "tcpcheck/harness/check.hpp"
#include "tcpcheck/harness/client_play.hpp"

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace tcpcheck::harness {

class client_target final : public check_target {
public:
  /// `argv` holds "{port}" in one word.
  client_target(std::vector<std::string> argv, client_limits limits)
      : argv_(std::move(argv)), limits_(limits) {}

  played_case play(const check_case& c, const framing_spec& spec,
                   const run_options& options) override;

  target where() const override { return {"127.0.0.1", 0}; }
  bool ready(std::string&) override { return true; }
  std::optional<process_death> died(bool) override { return std::nullopt; }
  std::optional<resource_sample> sample() const override { return std::nullopt; }
  bool one_at_a_time() const override { return false; }
  bool restart(std::string& why) override {
    why = "a client under test is started afresh for every case";
    return false;
  }

private:
  /// Judges a passing conversation against the baseline (or makes it the
  /// baseline): why its output differs, or nothing. (Its exit status
  /// cannot differ: a passing invariance case, the baseline included,
  /// exited with status 0.)
  std::string differs_from_baseline(const check_case& c, const client_outcome& played);
  static constexpr const char* baseline_id = "segmentation/whole";

  std::vector<std::string> argv_;
  client_limits limits_;
  std::mutex mutex_;
  std::optional<std::string> baseline_output_;
};

/// `text` with each `port` standing alone as a number written "{port}".
std::string with_port_as_placeholder(std::string text, std::uint16_t port);

/// Where two outputs first differ, for people: "at byte 17 (line 2):
/// the baseline printed "hello world!", this run "hello wo"".
std::string first_difference(const std::string& expected, const std::string& got);

} // namespace tcpcheck::harness
