// Split invariance: a decoder gives the same messages and the same error
// however the stream is cut into reads.
//
// The property behind the classic stream-socket bugs: a length header read
// with one recv(4), one recv() taken as one message. Each stream is decoded
// whole, then at every 2-way split, byte by byte and at random cuts
// (check_options); the first difference is shrunk and reported:
//
//   EXPECT_TRUE(tcpcheck::testing::split_invariant(adapter, {"\x05\0\0\0hello"sv}));
//
//   split invariance broken: cutting the stream changes what the decoder yields
//   (found by cut at 2 of stream 1, 9 bytes; shrunk to 2 bytes and 1 cut)
//   input (2 bytes): "\x01\0" (hex 01 00)
//   cut at 1: "\x01" | "\0"
//   decoded whole:
//     error: ...
//   decoded in pieces:
//     message 1 (1 bytes): "\0"
#pragma once

#include "tcpcheck/testing/byte_strings.hpp"
#include "tcpcheck/testing/cuttings.hpp"
#include "tcpcheck/testing/decoder_adapter.hpp"

#include <gtest/gtest.h>

namespace tcpcheck::testing {

::testing::AssertionResult split_invariant(decoder_adapter& decoder, const byte_strings& streams,
                                           const check_options& options = {});

} // namespace tcpcheck::testing
