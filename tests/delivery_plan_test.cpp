// Tests for delivery_plan.hpp: plan names and their errors, and where each plan cuts a send.
#include "tcpcheck/delivery_plan.hpp"

#include "tcpcheck/frame_encoder.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace tcpcheck {
namespace {

using cuts = std::vector<std::size_t>;

delivery_plan plan_of(std::string_view text) {
  std::string error;
  const auto plan = parse_delivery_plan(text, error);
  if (!plan) throw std::invalid_argument("plan '" + std::string(text) + "': " + error);
  return *plan;
}

/// The error `text` is refused with; fails the test when it parses.
std::string refusal(std::string_view text) {
  std::string error;
  const auto plan = parse_delivery_plan(text, error);
  EXPECT_FALSE(plan.has_value()) << "plan '" << text << "' parsed as " << to_string(*plan);
  return error;
}

/// The wire bytes of `payload` framed by `spec_text`.
byte_buffer framed(std::string_view spec_text, std::string_view payload) {
  byte_buffer wire;
  if (auto ec = encode_frame(test::spec_of(spec_text), as_bytes(payload), wire))
    throw std::invalid_argument("cannot frame '" + std::string(payload) + "': " + ec.message());
  return wire;
}

cuts cuts_of(std::string_view plan, std::string_view spec, byte_view wire, bool is_framed = true,
             std::uint64_t send_index = 0) {
  return plan_cuts(plan_of(plan), test::spec_of(spec), wire, is_framed, send_index);
}

/// The plan's cuts of `payload` framed by `spec`.
cuts cuts_of_frame(std::string_view plan, std::string_view spec, std::string_view payload) {
  return cuts_of(plan, spec, framed(spec, payload));
}

/// Asserts the documented shape of any plan's cuts: ascending, unique, inside (0, size).
void expect_well_formed(const cuts& c, std::size_t size) {
  EXPECT_TRUE(std::is_sorted(c.begin(), c.end()));
  EXPECT_EQ(std::adjacent_find(c.begin(), c.end()), c.end()) << "a cut is repeated";
  for (const std::size_t at : c) {
    EXPECT_GT(at, 0u);
    EXPECT_LT(at, size);
  }
}

// --- Names ---------------------------------------------------------------------

TEST(DeliveryPlan, ParsesEveryPlanAndPrintsItsName) {
  const std::string names[] = {"whole",
                               "bytewise",
                               "chunk:3",
                               "chunk:1",
                               "random:0",
                               "random:42",
                               "random:18446744073709551615",
                               "split-header",
                               "merged",
                               "pipeline"};
  for (const auto& name : names) {
    std::string error;
    const auto plan = parse_delivery_plan(name, error);
    ASSERT_TRUE(plan.has_value()) << name << ": " << error;
    EXPECT_EQ(to_string(*plan), name);
  }
}

TEST(DeliveryPlan, ParsesEachNameToItsKindAndArgument) {
  EXPECT_EQ(plan_of("whole").what, delivery_plan::kind::whole);
  EXPECT_EQ(plan_of("bytewise").what, delivery_plan::kind::bytewise);
  EXPECT_EQ(plan_of("split-header").what, delivery_plan::kind::split_header);
  EXPECT_EQ(plan_of("merged").what, delivery_plan::kind::merged);
  EXPECT_EQ(plan_of("pipeline").what, delivery_plan::kind::pipeline);
  const auto chunk = plan_of("chunk:16");
  EXPECT_EQ(chunk.what, delivery_plan::kind::chunk);
  EXPECT_EQ(chunk.chunk, 16u);
  const auto random = plan_of("random:1234");
  EXPECT_EQ(random.what, delivery_plan::kind::random);
  EXPECT_EQ(random.seed, 1234u);
}

TEST(DeliveryPlan, TheDefaultPlanIsWhole) {
  EXPECT_EQ(delivery_plan{}, plan_of("whole"));
  EXPECT_EQ(to_string(delivery_plan{}), "whole");
}

TEST(DeliveryPlan, RejectsAChunkOfZeroBytes) {
  const std::string error = refusal("chunk:0");
  EXPECT_NE(error.find("chunk"), std::string::npos) << error;
  EXPECT_NE(error.find("at least 1"), std::string::npos) << error;
}

TEST(DeliveryPlan, RejectsAChunkWithoutANumber) {
  for (const std::string_view text : {"chunk", "chunk:", "chunk:x", "chunk:-1", "chunk:+3",
                                      "chunk:3x", "chunk: 3", "chunk:3:4"}) {
    const std::string error = refusal(text);
    EXPECT_NE(error.find("chunk needs a size"), std::string::npos) << text << ": " << error;
  }
}

TEST(DeliveryPlan, RejectsARandomPlanWithoutANumericSeed) {
  for (const std::string_view text :
       {"random", "random:", "random:x", "random:-1", "random:18446744073709551616"}) {
    const std::string error = refusal(text);
    EXPECT_NE(error.find("random needs a seed"), std::string::npos) << text << ": " << error;
  }
}

TEST(DeliveryPlan, RejectsAnArgumentToAPlanThatTakesNone) {
  EXPECT_EQ(refusal("whole:1"), "plan 'whole' takes no argument");
  EXPECT_EQ(refusal("bytewise:2"), "plan 'bytewise' takes no argument");
  EXPECT_EQ(refusal("merged:"), "plan 'merged' takes no argument");
  EXPECT_EQ(refusal("split-header:4"), "plan 'split-header' takes no argument");
  EXPECT_EQ(refusal("pipeline:x"), "plan 'pipeline' takes no argument");
}

TEST(DeliveryPlan, RejectsAnUnknownPlanListingThePlans) {
  const std::string error = refusal("unknown");
  EXPECT_EQ(error, "unknown plan 'unknown' (plans: whole, bytewise, chunk:N, random:SEED, "
                   "split-header, merged, pipeline)");
  EXPECT_EQ(error.find('\n'), std::string::npos);
}

TEST(DeliveryPlan, NamesAreCaseSensitiveAndExact) {
  for (const std::string_view text : {"", "Whole", "WHOLE", " whole", "whole ", "split_header",
                                      "splitheader", "byte-wise", "chunks:3"})
    EXPECT_NE(refusal(text).find("unknown plan '" + std::string(text) + "'"), std::string::npos)
        << "'" << text << "'";
}

TEST(DeliveryPlan, CutsSendsOnlyForThePlansThatCutBytes) {
  EXPECT_FALSE(plan_of("whole").cuts_sends());
  EXPECT_TRUE(plan_of("bytewise").cuts_sends());
  EXPECT_TRUE(plan_of("chunk:3").cuts_sends());
  EXPECT_TRUE(plan_of("random:1").cuts_sends());
  EXPECT_TRUE(plan_of("split-header").cuts_sends());
  EXPECT_FALSE(plan_of("merged").cuts_sends());
  EXPECT_FALSE(plan_of("pipeline").cuts_sends());
}

// --- Plans that do not cut -------------------------------------------------------

TEST(PlanCuts, WholeMergedAndPipelineNeverCut) {
  const byte_buffer wire = framed("line", "hello world");
  for (const std::string_view plan : {"whole", "merged", "pipeline"})
    for (std::uint64_t index : {0u, 1u, 99u}) {
      EXPECT_EQ(cuts_of(plan, "line", wire, true, index), cuts{}) << plan;
      EXPECT_EQ(cuts_of(plan, "line", wire, false, index), cuts{}) << plan;
    }
}

// --- bytewise and chunk ----------------------------------------------------------

TEST(PlanCuts, BytewiseCutsBetweenEveryTwoBytes) {
  EXPECT_EQ(cuts_of_frame("bytewise", "line", "abcd"), (cuts{1, 2, 3, 4}));
  EXPECT_EQ(cuts_of_frame("bytewise", "len:u16be", "xyz"), (cuts{1, 2, 3, 4}));
  EXPECT_EQ(cuts_of("bytewise", "line", as_bytes("abc"), false), (cuts{1, 2}));
}

TEST(PlanCuts, BytewiseLeavesOneByteAndNothingUncut) {
  EXPECT_EQ(cuts_of("bytewise", "line", as_bytes("\n")), cuts{});
  EXPECT_EQ(cuts_of("bytewise", "raw", as_bytes(""), false), cuts{});
}

TEST(PlanCuts, ChunkCutsEveryNBytes) {
  EXPECT_EQ(cuts_of("chunk:3", "raw", as_bytes("0123456789"), false), (cuts{3, 6, 9}));
  EXPECT_EQ(cuts_of("chunk:3", "raw", as_bytes("012345678"), false), (cuts{3, 6}));
  EXPECT_EQ(cuts_of("chunk:1", "raw", as_bytes("0123"), false), (cuts{1, 2, 3}));
  EXPECT_EQ(cuts_of_frame("chunk:4", "len:u32be", "abcdef"), (cuts{4, 8}));
}

TEST(PlanCuts, ChunkAsLargeAsTheSendDoesNotCutIt) {
  EXPECT_EQ(cuts_of("chunk:10", "raw", as_bytes("0123456789"), false), cuts{});
  EXPECT_EQ(cuts_of("chunk:1000", "raw", as_bytes("0123456789"), false), cuts{});
  EXPECT_EQ(cuts_of("chunk:3", "raw", as_bytes(""), false), cuts{});
}

// --- random ----------------------------------------------------------------------

TEST(PlanCuts, RandomCutsAreAscendingUniqueAndInside) {
  for (std::uint64_t seed : {0u, 1u, 42u, 777u})
    for (std::size_t size : {2u, 3u, 5u, 17u, 200u})
      for (std::uint64_t index = 0; index < 20; ++index) {
        const std::string bytes(size, 'x');
        const auto c =
            cuts_of("random:" + std::to_string(seed), "raw", as_bytes(bytes), false, index);
        SCOPED_TRACE("seed " + std::to_string(seed) + ", size " + std::to_string(size) + ", send " +
                     std::to_string(index));
        EXPECT_FALSE(c.empty()) << "a random plan always cuts a send of two bytes or more";
        EXPECT_LE(c.size(), 8u);
        expect_well_formed(c, size);
      }
}

TEST(PlanCuts, RandomIsReproducibleForTheSameSeedAndSend) {
  const std::string bytes(100, 'x');
  for (std::uint64_t index = 0; index < 10; ++index)
    EXPECT_EQ(cuts_of("random:42", "raw", as_bytes(bytes), false, index),
              cuts_of("random:42", "raw", as_bytes(bytes), false, index));
}

TEST(PlanCuts, RandomCutsDifferFromSendToSend) {
  const std::string bytes(100, 'x');
  std::set<cuts> seen;
  for (std::uint64_t index = 0; index < 10; ++index)
    seen.insert(cuts_of("random:42", "raw", as_bytes(bytes), false, index));
  EXPECT_GE(seen.size(), 9u) << "ten sends cut the same way far too often";
  EXPECT_NE(cuts_of("random:42", "raw", as_bytes(bytes), false, 0),
            cuts_of("random:42", "raw", as_bytes(bytes), false, 1));
}

TEST(PlanCuts, RandomCutsDifferFromSeedToSeed) {
  const std::string bytes(100, 'x');
  std::set<cuts> seen;
  for (std::uint64_t seed = 0; seed < 10; ++seed)
    seen.insert(cuts_of("random:" + std::to_string(seed), "raw", as_bytes(bytes), false, 3));
  EXPECT_GE(seen.size(), 9u);
}

TEST(PlanCuts, RandomLeavesOneByteAndNothingUncut) {
  EXPECT_EQ(cuts_of("random:5", "raw", as_bytes("x"), false), cuts{});
  EXPECT_EQ(cuts_of("random:5", "raw", as_bytes(""), false), cuts{});
  EXPECT_EQ(cuts_of("random:5", "raw", as_bytes("xy"), false), (cuts{1}));
}

// --- split-header ------------------------------------------------------------------

TEST(PlanCuts, SplitHeaderCutsJustAfterAOneByteLengthField) {
  // A u8 field cannot be split: the cut separates it from the payload.
  const byte_buffer wire = framed("len:u8", "hello");
  ASSERT_EQ(wire.size(), 6u);
  EXPECT_EQ(cuts_of("split-header", "len:u8", wire), (cuts{1}));
}

TEST(PlanCuts, SplitHeaderCutsInsideATwoByteLengthField) {
  EXPECT_EQ(cuts_of_frame("split-header", "len:u16be", "hello"), (cuts{1}));
  EXPECT_EQ(cuts_of_frame("split-header", "len:u16le", "hello"), (cuts{1}));
}

TEST(PlanCuts, SplitHeaderCutsInTheMiddleOfAFourByteLengthField) {
  EXPECT_EQ(cuts_of_frame("split-header", "len:u32be", "hello"), (cuts{2}));
  EXPECT_EQ(cuts_of_frame("split-header", "len:i32le", "hello"), (cuts{2}));
}

TEST(PlanCuts, SplitHeaderCutsInsideWiderFields) {
  EXPECT_EQ(cuts_of_frame("split-header", "len:u24be", "hello"), (cuts{1}));
  EXPECT_EQ(cuts_of_frame("split-header", "len:u64be", "hello"), (cuts{4}));
}

TEST(PlanCuts, SplitHeaderCutsInsideAFieldAfterAnOffset) {
  // Two bytes before the field: the cut lands inside the field, not the offset.
  const byte_buffer u16 = framed("len:u16be,offset=2", "hello");
  ASSERT_EQ(u16.size(), 2u + 2u + 5u);
  EXPECT_EQ(cuts_of("split-header", "len:u16be,offset=2", u16), (cuts{3}));
  EXPECT_EQ(cuts_of_frame("split-header", "len:u32be,offset=3", "hello"), (cuts{5}));
  EXPECT_EQ(cuts_of_frame("split-header", "len:u8,offset=2", "hello"), (cuts{3}));
}

TEST(PlanCuts, SplitHeaderCutsAnEmptyPayloadsHeaderToo) {
  const byte_buffer wire = framed("len:u32be", "");
  ASSERT_EQ(wire.size(), 4u);
  EXPECT_EQ(cuts_of("split-header", "len:u32be", wire), (cuts{2}));
  // A u8 header alone is one byte: nothing to cut.
  EXPECT_EQ(cuts_of("split-header", "len:u8", framed("len:u8", "")), cuts{});
}

TEST(PlanCuts, SplitHeaderCutsAfterTheFirstByteOfAVarint) {
  EXPECT_EQ(cuts_of_frame("split-header", "varint", "hello"), (cuts{1}));
  const std::string long_payload(300, 'p'); // a two-byte varint
  const byte_buffer wire = framed("varint", long_payload);
  ASSERT_EQ(wire.size(), 302u);
  EXPECT_EQ(cuts_of("split-header", "varint", wire), (cuts{1}));
}

TEST(PlanCuts, SplitHeaderCutsJustBeforeTheLineFeed) {
  const byte_buffer wire = framed("line", "hello");
  ASSERT_EQ(as_text(wire), "hello\n");
  EXPECT_EQ(cuts_of("split-header", "line", wire), (cuts{5}));
}

TEST(PlanCuts, SplitHeaderCutsJustBeforeACrlf) {
  const byte_buffer wire = framed("line,crlf", "hello");
  ASSERT_EQ(as_text(wire), "hello\r\n");
  EXPECT_EQ(cuts_of("split-header", "line,crlf", wire), (cuts{5}));
  EXPECT_EQ(cuts_of("split-header", "line", as_bytes("hello\r\n")), (cuts{5}));
}

TEST(PlanCuts, SplitHeaderCutsAnEmptyLineBeforeItsEnd) {
  EXPECT_EQ(cuts_of("split-header", "line", as_bytes("\n")), cuts{});
  EXPECT_EQ(cuts_of("split-header", "line,crlf", as_bytes("\r\n")), (cuts{1}));
}

TEST(PlanCuts, SplitHeaderCutsJustBeforeTheDelimiter) {
  EXPECT_EQ(cuts_of_frame("split-header", "delim:#", "hello"), (cuts{5}));
  const byte_buffer wire = framed("delim:<END>", "hello");
  ASSERT_EQ(as_text(wire), "hello<END>");
  EXPECT_EQ(cuts_of("split-header", "delim:<END>", wire), (cuts{5}));
}

TEST(PlanCuts, SplitHeaderCutsBeforeTheDelimiterTheSendEndsWith) {
  // The encoder writes the first delimiter; the cut finds whichever ends the send.
  const byte_buffer wire = framed("delim:\\r\\n|#", "hello");
  ASSERT_EQ(as_text(wire), "hello\r\n");
  EXPECT_EQ(cuts_of("split-header", "delim:\\r\\n|#", wire), (cuts{5}));
  EXPECT_EQ(cuts_of("split-header", "delim:#|\\r\\n", as_bytes("hello\r\n")), (cuts{5}));
  EXPECT_EQ(cuts_of("split-header", "delim:#|\\r\\n", as_bytes("hello#")), (cuts{5}));
}

TEST(PlanCuts, SplitHeaderCutsARawSendInItsMiddle) {
  // Not framed by the spec: there is no header to split.
  EXPECT_EQ(cuts_of("split-header", "len:u32be", as_bytes("abcdefgh"), false), (cuts{4}));
  EXPECT_EQ(cuts_of("split-header", "line", as_bytes("abcde\n"), false), (cuts{3}));
  EXPECT_EQ(cuts_of("split-header", "line", as_bytes("abcde"), false), (cuts{2}));
  EXPECT_EQ(cuts_of("split-header", "line", as_bytes("a"), false), cuts{});
}

TEST(PlanCuts, SplitHeaderCutsFixedAndRawFramingInTheMiddle) {
  EXPECT_EQ(cuts_of("split-header", "fixed:4", as_bytes("abcd")), (cuts{2}));
  EXPECT_EQ(cuts_of("split-header", "raw", as_bytes("abcdefg")), (cuts{3}));
}

TEST(PlanCuts, EveryPlanCutsWithinTheSend) {
  const std::string_view plans[] = {"whole",    "bytewise",     "chunk:2", "chunk:7", "random:3",
                                    "random:9", "split-header", "merged",  "pipeline"};
  const std::string_view specs[] = {
      "line",      "line,crlf",          "delim:#", "len:u8", "len:u16be",
      "len:u32le", "len:u16be,offset=2", "varint"};
  for (const auto plan : plans)
    for (const auto spec : specs)
      for (const std::string_view payload : {"", "a", "ab", "hello, world"}) {
        const byte_buffer wire = framed(spec, payload);
        SCOPED_TRACE(std::string(plan) + " over " + std::string(spec) + ", payload '" +
                     std::string(payload) + "'");
        expect_well_formed(cuts_of(plan, spec, wire, true, 5), wire.size());
        expect_well_formed(cuts_of(plan, spec, wire, false, 5), wire.size());
      }
}

} // namespace
} // namespace tcpcheck
