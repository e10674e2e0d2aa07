// Checks of option values that CLI11's own validators do not say well.
#pragma once

#include "tcpcheck/delivery_plan.hpp"

#include <string>

#include <CLI/CLI.hpp>

namespace tcpcheck::cli {

/// The check of `--plan`. Its description lists the plans in braces, as
/// CLI11's IsMember does, so that `--help` shows them and the shell
/// completion offers them (completion.cpp reads the braces).
inline CLI::Validator delivery_plan_check() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        if (text == "random") return ""; // seeded by --seed
        std::string error;
        return parse_delivery_plan(text, error) ? "" : error;
      },
      "{whole,bytewise,chunk:N,random[:SEED],split-header,merged,pipeline}", "plan");
}

/// The check of a `--framing` that overrides a script's: an empty spec is
/// refused ("" is not "no override").
inline std::string non_empty_spec(const std::string& text) {
  return text.empty() ? "an empty framing spec (try line or len:u32be)" : "";
}

/// The check of `--seed`: a negative number would wrap to a huge seed.
inline std::string unsigned_seed(const std::string& text) {
  return !text.empty() && text.front() == '-' ? "a seed is a number from 0 to 2^64-1" : "";
}

} // namespace tcpcheck::cli
