// Fuzz targets from an adapter: split invariance, and agreement with a
// reference when one is given, checked on every input libFuzzer makes.
//
//   // fuzz/my_decoder_fuzzer.cpp
//   #include "tcpcheck/testing/fuzz_target.hpp"
//   #include "my_adapter.hpp"
//   TCPCHECK_FUZZ_DECODER_AGAINST(my_adapter{}, tcpcheck::testing::spec_adapter("len:u32le"))
//
// An input is read as: one byte, the number of cuts (its value modulo 8);
// two bytes per cut, little-endian, its position (modulo the stream's size
// plus one); the rest, the stream. So a corpus file for the stream S with no
// cuts is a zero byte followed by S. Streams up to 128 bytes are also fed
// byte by byte. A violation is shrunk, printed to stderr, and aborts, which
// libFuzzer and tcpcheck_add_fuzzer's corpus replay both report as a crash.
//
// The adapters are built once (function-local statics) and reset for each
// input. An adapter expression with a top-level comma goes in parentheses.
#pragma once

#include "tcpcheck/bytes.hpp"
#include "tcpcheck/testing/decoder_adapter.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace tcpcheck::testing {

/// What is wrong with `decoder` on the fuzz input `data`, shrunk and
/// explained; nullopt when nothing is. `reference` may be null.
std::optional<std::string> check_fuzz_input(decoder_adapter& decoder, decoder_adapter* reference,
                                            byte_view data);

/// check_fuzz_input, and on a violation: print it and abort.
void fuzz_decoder(decoder_adapter& decoder, decoder_adapter* reference, byte_view data);

} // namespace tcpcheck::testing

/// Defines LLVMFuzzerTestOneInput checking the adapter `make_decoder` builds.
#define TCPCHECK_FUZZ_DECODER(make_decoder)                                                        \
  extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {              \
    static auto tcpcheck_fuzz_decoder = make_decoder;                                              \
    ::tcpcheck::testing::fuzz_decoder(tcpcheck_fuzz_decoder, nullptr, {data, size});               \
    return 0;                                                                                      \
  }

/// The same, also checking that it agrees with `make_reference` (errors by
/// occurrence, as agrees_with does by default).
#define TCPCHECK_FUZZ_DECODER_AGAINST(make_decoder, make_reference)                                \
  extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {              \
    static auto tcpcheck_fuzz_decoder = make_decoder;                                              \
    static auto tcpcheck_fuzz_reference = make_reference;                                          \
    ::tcpcheck::testing::fuzz_decoder(tcpcheck_fuzz_decoder, &tcpcheck_fuzz_reference,             \
                                      {data, size});                                               \
    return 0;                                                                                      \
  }
