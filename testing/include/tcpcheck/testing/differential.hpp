// Differential checks: a decoder yields what a reference yields, from the
// same bytes cut the same ways. The reference is another adapter (the last
// release of the same decoder, a slow obvious one) or one of tcpcheck's
// framing specs (docs/framing.md) that describes the same format.
//
//   EXPECT_TRUE(tcpcheck::testing::agrees_with(adapter, "len:u32le,max=1K,max-of=field",
//                                              streams));
//
// Errors of two different decoders seldom have the same text, so by default
// only where they happen counts (error_match::occurrence): after the same
// messages. Pass error_match::exact to compare their text too.
#pragma once

#include "tcpcheck/framing_spec.hpp"
#include "tcpcheck/testing/byte_strings.hpp"
#include "tcpcheck/testing/cuttings.hpp"
#include "tcpcheck/testing/decoder_adapter.hpp"
#include "tcpcheck/testing/decoder_run.hpp"

#include <string_view>

#include <gtest/gtest.h>

namespace tcpcheck::testing {

::testing::AssertionResult agrees_with(decoder_adapter& decoder, decoder_adapter& reference,
                                       const byte_strings& streams,
                                       error_match errors = error_match::occurrence,
                                       const check_options& options = {});

::testing::AssertionResult agrees_with(decoder_adapter& decoder, const framing_spec& reference,
                                       const byte_strings& streams,
                                       error_match errors = error_match::occurrence,
                                       const check_options& options = {});

/// The spec as text; a spec that does not parse fails the assertion.
::testing::AssertionResult agrees_with(decoder_adapter& decoder, std::string_view reference_spec,
                                       const byte_strings& streams,
                                       error_match errors = error_match::occurrence,
                                       const check_options& options = {});

} // namespace tcpcheck::testing
