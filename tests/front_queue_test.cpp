// Tests for detail/front_queue.hpp: the queue the session and the driver
// keep received frames and pending writes in.
#include "tcpcheck/detail/front_queue.hpp"

#include <algorithm>
#include <cstddef>
#include <deque>
#include <memory>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace tcpcheck::detail {
namespace {

TEST(FrontQueue, KeepsOrderLikeADequeThroughPushesPopsAndClears) {
  front_queue<int> queue;
  std::deque<int> model;
  std::mt19937 random(7);
  std::size_t most_popped_held = 0; // popped items still in the buffer
  for (int i = 0; i < 50000; ++i) {
    const auto roll = random() % 2000;
    if (roll < 1100) { // more pushes than pops: the queue grows, and compacts
      queue.push_back(i);
      model.push_back(i);
    } else if (roll < 1999) {
      if (model.empty()) continue;
      ASSERT_EQ(queue.front(), model.front());
      queue.pop_front();
      model.pop_front();
    } else {
      queue.clear();
      model.clear();
    }
    ASSERT_EQ(queue.size(), model.size());
    ASSERT_EQ(queue.empty(), model.empty());
    // Popped items are dropped once they are 64 and half the buffer.
    ASSERT_LE(queue.held(), std::max<std::size_t>(2 * model.size(), 64 + model.size()));
    most_popped_held = std::max(most_popped_held, queue.held() - queue.size());
    if (!model.empty()) {
      ASSERT_EQ(queue.back(), model.back());
      ASSERT_EQ(queue[model.size() / 2], model[model.size() / 2]);
      ASSERT_EQ(std::vector<int>(queue.begin(), queue.end()),
                std::vector<int>(model.begin(), model.end()));
    }
  }
  EXPECT_GE(most_popped_held, 63u); // the walk reached a compaction
}

TEST(FrontQueue, APoppedItemIsReleasedAtOnce) {
  front_queue<std::shared_ptr<int>> queue;
  const auto first = std::make_shared<int>(1);
  queue.push_back(first);
  queue.push_back(std::make_shared<int>(2));
  EXPECT_EQ(first.use_count(), 2);
  queue.pop_front(); // the queue is not empty: its buffer stays, the item goes
  EXPECT_EQ(first.use_count(), 1);
  EXPECT_EQ(*queue.front(), 2);
}

TEST(FrontQueue, AQueueThatNeverEmptiesKeepsItsBufferBounded) {
  front_queue<int> queue;
  queue.push_back(-1);
  for (int i = 0; i < 100000; ++i) {
    queue.push_back(i);
    queue.pop_front();
  }
  EXPECT_EQ(queue.size(), 1u);
  EXPECT_EQ(queue.front(), 99999);
  // Popped items are dropped once they are 64 and half the buffer.
  EXPECT_LE(queue.held(), 65u);
  EXPECT_EQ(queue.end() - queue.begin(), 1);
}

} // namespace
} // namespace tcpcheck::detail
