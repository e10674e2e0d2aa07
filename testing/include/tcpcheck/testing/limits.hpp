// Limits: a decoder never hands out a message longer than its declared
// limit, however the stream is cut (a length field that claims 4 GiB must
// not become a 4 GiB message, or a 4 GiB allocation).
//
//   EXPECT_TRUE(tcpcheck::testing::respects_limit(adapter, 1024, my_encoder));
//
// Given an encoder, the helper writes its own streams: a message of exactly
// `limit` bytes, which must come out whole (so the limit is not off by one),
// and messages of `limit + 1` bytes alone and between two small ones, which
// must never come out; the decoder may fail or skip them. Given streams
// instead, it checks only that no message above `limit` comes out of them.
#pragma once

#include "tcpcheck/testing/byte_strings.hpp"
#include "tcpcheck/testing/cuttings.hpp"
#include "tcpcheck/testing/decoder_adapter.hpp"
#include "tcpcheck/testing/encoder.hpp"

#include <cstddef>

#include <gtest/gtest.h>

namespace tcpcheck::testing {

/// `limit` is the longest message (payload) the decoder may hand out.
::testing::AssertionResult respects_limit(decoder_adapter& decoder, std::size_t limit,
                                          const encoder& encode, const check_options& options = {});

::testing::AssertionResult respects_limit(decoder_adapter& decoder, std::size_t limit,
                                          const byte_strings& streams,
                                          const check_options& options = {});

} // namespace tcpcheck::testing
