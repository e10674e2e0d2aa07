// Tests for tcpcheck/testing/fuzz_target.hpp: how a fuzz input is read as
// cuts and a stream, and what the fuzz check reports.
#include "tcpcheck/testing/fuzz_target.hpp"
#include "tcpcheck/testing/spec_adapter.hpp"

#include <string>

#include <gtest/gtest.h>

#include "buggy_decoders.hpp"

namespace tcpcheck::test {
namespace {

using namespace std::literals;
using testing::check_fuzz_input;

// One cut at 2 (bytes 02 00), then the stream: a header cut in two.
const auto cut_header = "\x01\x02\x00\x05\0\0\0hello"sv;

TEST(FuzzTarget, PassesACorrectDecoderAgainstItsSpec) {
  length_prefix_decoder decoder;
  testing::spec_adapter reference("len:u32le,max=16,max-of=field");
  for (const auto input : {""sv, "\0"sv, cut_header, "\x07\xff\xff\x01\x00\x02\0\0\0hi\x03"sv})
    EXPECT_EQ(check_fuzz_input(decoder, &reference, as_bytes(input)), std::nullopt);
}

TEST(FuzzTarget, CatchesTheSeedArticlesBugAtTheFuzzedCut) {
  length_prefix_decoder decoder(decoder_bug::whole_header_per_read);
  // The fuzzed cut at 2, or the bytewise cutting of this short stream, finds it.
  const auto report = check_fuzz_input(decoder, nullptr, as_bytes(cut_header));
  ASSERT_TRUE(report);
  EXPECT_NE(report->find("split invariance broken"), std::string::npos) << *report;
  EXPECT_NE(report->find("of the fuzz input, 9 bytes"), std::string::npos) << *report;
}

TEST(FuzzTarget, ReadsCutsModuloTheStreamSize) {
  // Cut at 0x0102 % 10 = 8, inside "hello": harmless for a correct decoder,
  // and the bytewise cutting is off for streams above 128 bytes.
  length_prefix_decoder decoder(decoder_bug::drops_partial_header, 200);
  const std::string stream = "\x96\0\0\0"s + std::string(150, 'x');
  EXPECT_EQ(check_fuzz_input(decoder, nullptr, as_bytes("\x01\x02\x01"s + stream)), std::nullopt);
  const auto report = check_fuzz_input(decoder, nullptr, as_bytes("\x01\x02\x00"s + stream));
  ASSERT_TRUE(report) << "a cut at 2 splits the header";
}

TEST(FuzzTarget, CatchesADisagreementWithTheReference) {
  length_prefix_decoder decoder(decoder_bug::no_limit_check);
  testing::spec_adapter reference("len:u32le,max=16,max-of=field");
  const auto report =
      check_fuzz_input(decoder, &reference, as_bytes("\0\x11\0\0\0"s + std::string(17, 'x')));
  ASSERT_TRUE(report);
  EXPECT_NE(report->find("the decoder disagrees with the reference"), std::string::npos) << *report;
}

TEST(FuzzTargetDeathTest, AbortsWithTheReport) {
  length_prefix_decoder decoder(decoder_bug::whole_header_per_read);
  EXPECT_DEATH(testing::fuzz_decoder(decoder, nullptr, as_bytes(cut_header)),
               "split invariance broken");
}

} // namespace
} // namespace tcpcheck::test
