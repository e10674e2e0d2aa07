// Running an adapter over one stream cut into pieces, and comparing runs.
//
// Every helper is built on this: decode the same bytes cut two ways (or by
// two decoders) and compare what came out.
//
//   const std::size_t cuts[] = {2, 5};
//   auto run = tcpcheck::testing::run_decoder(adapter, stream, cuts);
//   std::cout << tcpcheck::testing::to_string(run);
#pragma once

#include "tcpcheck/bytes.hpp"
#include "tcpcheck/testing/decoder_adapter.hpp"

#include <cstddef>
#include <span>
#include <string>

namespace tcpcheck::testing {

/// Resets `decoder`, feeds it `stream` in pieces cut at `cuts` (ascending
/// positions inside the stream; others are ignored), stopping at the first
/// error, then ends the stream when `finish` is true.
decoder_run run_decoder(decoder_adapter& decoder, byte_view stream,
                        std::span<const std::size_t> cuts, bool finish = true);

/// How errors count when two decoders are compared.
enum class error_match {
  exact,      ///< the same error text (or code) at the same point
  occurrence, ///< an error at the same point, whatever it says
};

/// Whether two runs agree: the same messages, and errors as `errors` says.
bool same_run(const decoder_run& a, const decoder_run& b, error_match errors = error_match::exact);

/// One line per message (number, size, escaped bytes, long ones shortened),
/// then the error; "(no messages, no error)" for an empty run.
std::string to_string(const decoder_run& run);

} // namespace tcpcheck::testing
