// Fuzz target: length_decoder gives the same messages however the input is
// cut, and agrees with tcpcheck's spec of its format.
#include <tcpcheck/testing/fuzz_target.hpp>
#include <tcpcheck/testing/spec_adapter.hpp>

#include "length_decoder_adapter.hpp"

TCPCHECK_FUZZ_DECODER_AGAINST(length_decoder_adapter(),
                              tcpcheck::testing::spec_adapter("len:u32le,max=1K,max-of=field"))
