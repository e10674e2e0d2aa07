// Tests for tcpcheck/testing/counterexample.hpp: shrinking and describing.
#include "tcpcheck/testing/counterexample.hpp"

#include <algorithm>
#include <string>

#include <gtest/gtest.h>

namespace tcpcheck::testing {
namespace {

using cuts_t = std::vector<std::size_t>;

bool has_cut(std::span<const std::size_t> cuts, std::size_t at) {
  return std::find(cuts.begin(), cuts.end(), at) != cuts.end();
}

TEST(Shrink, DropsTheCutsTheFailureDoesNotNeed) {
  const failure_test fails = [](byte_view, std::span<const std::size_t> cuts) {
    return has_cut(cuts, 3);
  };
  const counterexample found{byte_buffer(8, 'a'), {1, 2, 3, 5, 7}};
  const counterexample small = shrink(found, fails, shrink_scope::cuts);
  EXPECT_EQ(small.stream, found.stream);
  EXPECT_EQ(small.cuts, cuts_t{3});
}

TEST(Shrink, DropsBytesAndMovesCutsWithThem) {
  // Fails while an 'x' is at the end of a piece that is not the last.
  const failure_test fails = [](byte_view s, std::span<const std::size_t> cuts) {
    return std::any_of(cuts.begin(), cuts.end(), [&](std::size_t c) { return s[c - 1] == 'x'; });
  };
  const std::string text = "abcdxefgh";
  const counterexample found{byte_buffer(text.begin(), text.end()), {2, 5, 7}};
  const counterexample small = shrink(found, fails, shrink_scope::cuts_and_input);
  EXPECT_EQ(small.stream.size(), 2u);
  EXPECT_EQ(small.stream[0], 'x');
  EXPECT_EQ(small.cuts, cuts_t{1});
}

TEST(Shrink, StopsAfterItsBudget) {
  std::size_t tries = 0;
  const failure_test fails = [&](byte_view, std::span<const std::size_t>) {
    ++tries;
    return false;
  };
  shrink({byte_buffer(100, 'a'), {10, 20, 30}}, fails, shrink_scope::cuts_and_input, 5);
  EXPECT_EQ(tries, 5u);
}

TEST(Describe, PrintsTheInputItsHexAndThePieces) {
  const counterexample e{{0x01, 0x00, 'h', 'i'}, {1, 2}};
  EXPECT_EQ(describe(e), "input (4 bytes): \"\\x01\\0hi\" (hex 01 00 68 69)\n"
                         "cut at 1, 2: \"\\x01\" | \"\\0\" | \"hi\"\n");
}

TEST(Describe, SaysAnInputFedWhole) {
  EXPECT_EQ(describe({{'a'}, {}}), "input (1 bytes): \"a\" (hex 61)\nfed whole\n");
}

TEST(Describe, ShortensLongInputs) {
  const std::string text = describe({byte_buffer(300, 'x'), {100}});
  EXPECT_NE(text.find("... and 44 more bytes"), std::string::npos) << text;
  EXPECT_EQ(text.find("hex"), std::string::npos) << text;
  EXPECT_NE(text.find("cut at 100: 100 bytes | 200 bytes"), std::string::npos) << text;
}

} // namespace
} // namespace tcpcheck::testing
