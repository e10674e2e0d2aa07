// GoogleTest helpers for testing your own framing code with the properties
// tcpcheck checks for its built-in framers (docs/library.md).
//
// Wrap the decoder in a decoder_adapter, then assert, for example:
//
//   #include <tcpcheck/testing.hpp>
//   using namespace std::literals;
//   namespace tt = tcpcheck::testing;
//
//   TEST(MyDecoder, KeepsItsPropertiesUnderEveryCut) {
//     my_adapter decoder;
//     const tt::byte_strings streams{"\x05\0\0\0hello"sv, "\x02\0\0\0hi\x00\0\0\0"sv};
//     EXPECT_TRUE(tt::split_invariant(decoder, streams));
//     EXPECT_TRUE(tt::agrees_with(decoder, "len:u32le,max=1K,max-of=field", streams));
//     EXPECT_TRUE(tt::round_trips(decoder, my_encoder, {"", "hello"}));
//     EXPECT_TRUE(tt::respects_limit(decoder, 1024, my_encoder));
//     EXPECT_TRUE(tt::handles_end_of_stream(decoder, tcpcheck::eof_policy::error, my_encoder,
//                                           {"hello"}));
//   }
//
// Link tcpcheck::testing (CMake) or tcpcheck-testing (pkg-config).
#pragma once

#include "tcpcheck/testing/byte_strings.hpp"
#include "tcpcheck/testing/counterexample.hpp"
#include "tcpcheck/testing/cuttings.hpp"
#include "tcpcheck/testing/decoder_adapter.hpp"
#include "tcpcheck/testing/decoder_run.hpp"
#include "tcpcheck/testing/differential.hpp"
#include "tcpcheck/testing/encoder.hpp"
#include "tcpcheck/testing/end_of_stream.hpp"
#include "tcpcheck/testing/fuzz_target.hpp"
#include "tcpcheck/testing/limits.hpp"
#include "tcpcheck/testing/round_trip.hpp"
#include "tcpcheck/testing/spec_adapter.hpp"
#include "tcpcheck/testing/split_invariance.hpp"
