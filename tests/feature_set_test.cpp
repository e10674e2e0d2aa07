// Tests for fuzzing/feature_set.hpp: hit-count classes, edge and response
// feature numbers in their ranges, and the bitmap set.
#include "tcpcheck/fuzzing/feature_set.hpp"

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace tcpcheck {
namespace {

// ---------------------------------------------------------------------------
// hit_class

TEST(HitClass, FollowsAflsBucketsAtEveryBoundary) {
  const std::vector<std::pair<unsigned, unsigned>> expected = {
      {1, 0},  {2, 1},   {3, 2},   {4, 3},   {5, 3},   {7, 3},  {8, 4},
      {9, 4},  {15, 4},  {16, 5},  {17, 5},  {31, 5},  {32, 6}, {33, 6},
      {64, 6}, {127, 6}, {128, 7}, {129, 7}, {200, 7}, {255, 7}};
  for (const auto& [hits, bucket] : expected)
    EXPECT_EQ(hit_class(static_cast<std::uint8_t>(hits)), bucket) << hits << " hits";
}

TEST(HitClass, NeverLeavesTheEightClassesAndNeverGoesDown) {
  unsigned previous = 0;
  for (unsigned hits = 1; hits <= 255; ++hits) {
    const unsigned bucket = hit_class(static_cast<std::uint8_t>(hits));
    EXPECT_LT(bucket, 8u) << hits << " hits";
    EXPECT_GE(bucket, previous) << hits << " hits";
    previous = bucket;
  }
}

TEST(HitClass, HasEightDistinctClassesOverAllHitCounts) {
  std::set<unsigned> classes;
  for (unsigned hits = 1; hits <= 255; ++hits)
    classes.insert(hit_class(static_cast<std::uint8_t>(hits)));
  EXPECT_EQ(classes, (std::set<unsigned>{0, 1, 2, 3, 4, 5, 6, 7}));
}

// ---------------------------------------------------------------------------
// edge_feature

TEST(EdgeFeature, IsTheEdgeTimesEightPlusTheHitClass) {
  EXPECT_EQ(edge_feature(0, 1), 0u);
  EXPECT_EQ(edge_feature(0, 255), 7u);
  EXPECT_EQ(edge_feature(1, 1), 8u);
  EXPECT_EQ(edge_feature(5, 4), 5u * 8 + 3);
  EXPECT_EQ(edge_feature(1000, 16), 1000u * 8 + 5);
}

TEST(EdgeFeature, DiffersForEveryHitClassOfOneEdge) {
  std::set<feature> seen;
  for (const unsigned hits : {1u, 2u, 3u, 4u, 8u, 16u, 32u, 128u})
    EXPECT_TRUE(seen.insert(edge_feature(77, static_cast<std::uint8_t>(hits))).second)
        << hits << " hits";
  EXPECT_EQ(seen.size(), 8u);
}

TEST(EdgeFeature, IsTheSameForHitCountsOfOneClass) {
  EXPECT_EQ(edge_feature(77, 4), edge_feature(77, 7));
  EXPECT_EQ(edge_feature(77, 8), edge_feature(77, 15));
  EXPECT_EQ(edge_feature(77, 16), edge_feature(77, 31));
  EXPECT_EQ(edge_feature(77, 32), edge_feature(77, 127));
  EXPECT_EQ(edge_feature(77, 128), edge_feature(77, 255));
}

TEST(EdgeFeature, DiffersForEveryEdgeAndClass) {
  std::set<feature> seen;
  std::size_t made = 0;
  for (std::size_t edge = 0; edge < 4096; ++edge)
    for (const unsigned hits : {1u, 2u, 3u, 4u, 8u, 16u, 32u, 128u}) {
      seen.insert(edge_feature(edge, static_cast<std::uint8_t>(hits)));
      ++made;
    }
  EXPECT_EQ(seen.size(), made);
}

TEST(EdgeFeature, StaysBelowTheResponseFeatures) {
  constexpr std::size_t last_edge = feature_limits::most_edges - 1;
  EXPECT_EQ(edge_feature(last_edge, 255), feature_limits::response_base - 1);
  for (const std::size_t edge : {std::size_t{0}, last_edge, feature_limits::most_edges,
                                 feature_limits::most_edges * 3 + 5, SIZE_MAX})
    for (const unsigned hits : {1u, 3u, 200u, 255u})
      EXPECT_LT(edge_feature(edge, static_cast<std::uint8_t>(hits)), feature_limits::response_base)
          << "edge " << edge << ", " << hits << " hits";
}

// ---------------------------------------------------------------------------
// response_feature

TEST(ResponseFeature, LandsInTheResponseRange) {
  const std::vector<std::string> texts = {"",
                                          "close",
                                          "reset",
                                          "silence",
                                          "END/s,VALUE/m",
                                          "start -> GET -> VALUE/s",
                                          "OK/s -> ? -> close",
                                          std::string(1000, 'x'),
                                          std::string("\0\xff\x80", 3)};
  for (const char kind : {'S', 'T'})
    for (const auto& text : texts) {
      const feature f = response_feature(kind, text);
      EXPECT_GE(f, feature_limits::response_base) << kind << " " << text;
      EXPECT_LT(f, feature_limits::space) << kind << " " << text;
    }
  for (int n = 0; n < 10000; ++n) {
    const feature f = response_feature('T', "state " + std::to_string(n));
    ASSERT_GE(f, feature_limits::response_base) << n;
    ASSERT_LT(f, feature_limits::space) << n;
  }
}

TEST(ResponseFeature, IsTheSameForTheSameKindAndText) {
  EXPECT_EQ(response_feature('S', "END/s,VALUE/m"), response_feature('S', "END/s,VALUE/m"));
  EXPECT_EQ(response_feature('T', "start -> GET -> close"),
            response_feature('T', "start -> GET -> close"));
}

TEST(ResponseFeature, DiffersForAStateAndATransitionOfTheSameText) {
  for (const char* text : {"close", "reset", "silence", "OK/s", ""})
    EXPECT_NE(response_feature('S', text), response_feature('T', text)) << text;
}

TEST(ResponseFeature, DiffersForDifferentTexts) {
  std::set<feature> seen;
  for (const char* text :
       {"close", "reset", "silence", "OK/s", "OK/m", "OK/l", "empty/0", "-ERR/s", "+OK/s",
        "start -> GET -> OK/s", "start -> SET -> OK/s", "OK/s -> GET -> OK/s"})
    EXPECT_TRUE(seen.insert(response_feature('S', text)).second) << text;
}

// ---------------------------------------------------------------------------
// feature_set

TEST(FeatureSet, StartsEmpty) {
  const feature_set set;
  EXPECT_EQ(set.size(), 0u);
  for (const feature f : {feature{0}, feature{1}, feature{63}, feature{64},
                          feature_limits::response_base, feature{feature_limits::space - 1}})
    EXPECT_FALSE(set.contains(f)) << f;
}

TEST(FeatureSet, InsertTellsWhetherAFeatureIsNew) {
  feature_set set;
  EXPECT_TRUE(set.insert(42));
  EXPECT_FALSE(set.insert(42));
  EXPECT_TRUE(set.contains(42));
  EXPECT_EQ(set.size(), 1u);
}

TEST(FeatureSet, HoldsOnlyWhatWasInserted) {
  feature_set set;
  const std::vector<feature> inserted = {0,
                                         1,
                                         63,
                                         64,
                                         65,
                                         127,
                                         128,
                                         edge_feature(12345, 9),
                                         feature_limits::response_base - 1,
                                         feature_limits::response_base,
                                         response_feature('S', "close"),
                                         feature{feature_limits::space - 1}};
  for (const feature f : inserted)
    EXPECT_TRUE(set.insert(f)) << f;
  EXPECT_EQ(set.size(), inserted.size());
  for (const feature f : inserted)
    EXPECT_TRUE(set.contains(f)) << f;
  for (const feature f : {feature{2}, feature{62}, feature{66}, feature{126}, feature{129},
                          feature{edge_feature(12345, 9) + 1}, feature_limits::response_base + 1,
                          feature{feature_limits::space - 2}})
    EXPECT_FALSE(set.contains(f)) << f;
}

TEST(FeatureSet, CountsEachFeatureOnce) {
  feature_set set;
  std::size_t fresh = 0;
  for (int round = 0; round < 3; ++round)
    for (std::size_t edge = 0; edge < 1000; ++edge)
      fresh += set.insert(edge_feature(edge, static_cast<std::uint8_t>(1 + edge % 200)));
  EXPECT_EQ(fresh, 1000u);
  EXPECT_EQ(set.size(), 1000u);
}

TEST(FeatureSet, KeepsEdgeAndResponseFeaturesApart) {
  feature_set set;
  EXPECT_TRUE(set.insert(edge_feature(3, 1)));
  EXPECT_FALSE(set.contains(response_feature('S', "close")));
  EXPECT_TRUE(set.insert(response_feature('S', "close")));
  EXPECT_TRUE(set.insert(response_feature('T', "start -> GET -> close")));
  EXPECT_EQ(set.size(), 3u);
  EXPECT_TRUE(set.contains(edge_feature(3, 1)));
  EXPECT_FALSE(set.contains(edge_feature(3, 2)));
}

} // namespace
} // namespace tcpcheck
