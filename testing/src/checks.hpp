// What the split-invariance and differential checks share with the fuzz
// target: the checks on one stream, returning a shrunk, explained failure.
#pragma once

#include "tcpcheck/testing/byte_strings.hpp"
#include "tcpcheck/testing/counterexample.hpp"
#include "tcpcheck/testing/cuttings.hpp"
#include "tcpcheck/testing/decoder_adapter.hpp"
#include "tcpcheck/testing/decoder_run.hpp"

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace tcpcheck::testing::detail {

/// `text` with two spaces before each line.
std::string indented(const std::string& text);

/// "(found by cut at 2 of stream 1 of 3, 9 bytes; shrunk to 2 bytes and 1 cut)"
std::string found_by(const cutting& how, std::string_view origin, std::size_t original_size,
                     const counterexample& small);

/// The first cutting under which `stream` decodes differently from whole,
/// shrunk and explained. `origin` names the stream in the report.
std::optional<std::string> split_variance(decoder_adapter& decoder, byte_view stream,
                                          std::span<const cutting> cuttings, bool finish,
                                          std::string_view origin);

/// The first cutting under which `decoder` and `reference` disagree.
std::optional<std::string> disagreement(decoder_adapter& decoder, decoder_adapter& reference,
                                        std::string_view reference_name, byte_view stream,
                                        std::span<const cutting> cuttings, error_match errors,
                                        bool finish, std::string_view origin);

/// Runs `check(stream, origin)` on each stream; the first report fails.
::testing::AssertionResult
each_stream(const byte_strings& streams,
            const std::function<std::optional<std::string>(byte_view, const std::string&)>& check);

} // namespace tcpcheck::testing::detail
