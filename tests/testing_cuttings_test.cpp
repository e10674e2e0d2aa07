// Tests for tcpcheck/testing/cuttings.hpp: which cuttings the checks try.
#include "tcpcheck/testing/cuttings.hpp"

#include <algorithm>

#include <gtest/gtest.h>

namespace tcpcheck::testing {
namespace {

TEST(CuttingsFor, StartsWholeThenEveryTwoWaySplitBytewiseAndRandom) {
  const byte_buffer stream(5, 'a');
  const auto all = cuttings_for(stream, check_options{});
  ASSERT_EQ(all.size(), 1u + 4u + 1u + 64u);
  EXPECT_EQ(all[0].name, "fed whole");
  EXPECT_TRUE(all[0].cuts.empty());
  EXPECT_EQ(all[1].name, "cut at 1");
  EXPECT_EQ(all[4].cuts, std::vector<std::size_t>{4});
  EXPECT_EQ(all[5].name, "bytewise");
  EXPECT_EQ(all[5].cuts, (std::vector<std::size_t>{1, 2, 3, 4}));
  for (std::size_t i = 6; i < all.size(); ++i) {
    EXPECT_FALSE(all[i].cuts.empty());
    EXPECT_TRUE(std::is_sorted(all[i].cuts.begin(), all[i].cuts.end()));
    EXPECT_GT(all[i].cuts.front(), 0u);
    EXPECT_LT(all[i].cuts.back(), stream.size());
  }
}

TEST(CuttingsFor, CutsRandomlyTheSameWayForTheSameSeed) {
  const byte_buffer stream(40, 'a');
  check_options options;
  options.every_two_way_split = false;
  options.bytewise = false;
  options.random_splits = 8;
  const auto first = cuttings_for(stream, options);
  EXPECT_EQ(first.size(), 9u);
  for (std::size_t i = 0; i < first.size(); ++i)
    EXPECT_EQ(first[i].cuts, cuttings_for(stream, options)[i].cuts);
  options.seed = 2;
  EXPECT_EQ(cuttings_for(stream, options)[1].name, "random split 1 of seed 2");
}

TEST(CuttingsFor, LeavesTinyStreamsWhole) {
  EXPECT_EQ(cuttings_for(byte_buffer{}, check_options{}).size(), 1u);
}

} // namespace
} // namespace tcpcheck::testing
