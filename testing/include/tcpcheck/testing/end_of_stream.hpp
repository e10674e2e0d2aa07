// End of stream: what a decoder does when the peer closes in the middle of a
// message, checked against what it declares, in tcpcheck's eof policies:
//
//   eof_policy::error  an error, after the messages that were complete
//   eof_policy::drop   no error; the partial message is forgotten
//   eof_policy::emit   no error; the partial bytes come out as a last message
//                      (a prefix of the payload that was cut; empty when the
//                      stream ended inside a header)
//
// The helper frames `payloads` with the encoder, ends the stream after every
// byte in turn (fed whole and byte by byte), and checks each ending: at a
// message boundary, the messages so far and no error; inside a message, the
// declared policy. The first, shortest, stream that breaks it is reported.
//
//   EXPECT_TRUE(tcpcheck::testing::handles_end_of_stream(
//       adapter, tcpcheck::eof_policy::error, my_encoder, {"hello", "hi"}));
#pragma once

#include "tcpcheck/framing_spec.hpp"
#include "tcpcheck/testing/byte_strings.hpp"
#include "tcpcheck/testing/decoder_adapter.hpp"
#include "tcpcheck/testing/encoder.hpp"

#include <gtest/gtest.h>

namespace tcpcheck::testing {

::testing::AssertionResult handles_end_of_stream(decoder_adapter& decoder, eof_policy declared,
                                                 const encoder& encode,
                                                 const byte_strings& payloads);

} // namespace tcpcheck::testing
