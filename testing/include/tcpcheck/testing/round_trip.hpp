// Round trip: what the encoder frames, the decoder gives back, payload for
// payload, with no error, however the stream is cut.
//
//   EXPECT_TRUE(tcpcheck::testing::round_trips(adapter, my_encoder, {"", "hello"}));
//
// Each payload is tried alone first, smallest first, then all of them in one
// stream, so a failure names the smallest payload that shows it.
#pragma once

#include "tcpcheck/testing/byte_strings.hpp"
#include "tcpcheck/testing/cuttings.hpp"
#include "tcpcheck/testing/decoder_adapter.hpp"
#include "tcpcheck/testing/encoder.hpp"

#include <gtest/gtest.h>

namespace tcpcheck::testing {

::testing::AssertionResult round_trips(decoder_adapter& decoder, const encoder& encode,
                                       const byte_strings& payloads,
                                       const check_options& options = {});

} // namespace tcpcheck::testing
