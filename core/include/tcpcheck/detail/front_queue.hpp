// A first-in first-out queue for the per-conversation hot paths: a vector
// and the index of its front item.
//
// std::deque allocates a block as soon as it is made. A session makes one
// queue per connection and a driver one per conversation, most of which
// never hold an item, and a fuzz target makes thousands of sessions a
// second: this queue allocates nothing until its first item, and keeps
// its buffer once emptied.
// Internal to tcpcheck: not part of the supported interface.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace tcpcheck::detail {

template <typename T>
class front_queue {
public:
  bool empty() const noexcept { return head_ == items_.size(); }
  std::size_t size() const noexcept { return items_.size() - head_; }
  /// Items in the buffer, popped ones not dropped yet included: its memory.
  std::size_t held() const noexcept { return items_.size(); }
  T& front() { return items_[head_]; }
  const T& front() const { return items_[head_]; }
  T& back() { return items_.back(); }
  const T& back() const { return items_.back(); }
  T& operator[](std::size_t i) { return items_[head_ + i]; }
  const T& operator[](std::size_t i) const { return items_[head_ + i]; }
  auto begin() { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
  auto end() { return items_.end(); }
  auto begin() const { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
  auto end() const { return items_.end(); }

  void push_back(T item) { items_.push_back(std::move(item)); }

  void pop_front() {
    items_[head_++] = T{}; // what the item holds is freed now, not when the queue empties
    if (empty()) {
      clear();
    } else if (head_ >= 64 && head_ * 2 >= items_.size()) {
      // A queue that never empties: drop the popped half, which keeps
      // the cost of a pop constant on average.
      items_.erase(items_.begin(), begin());
      head_ = 0;
    }
  }

  void clear() noexcept {
    items_.clear();
    head_ = 0;
  }

private:
  std::vector<T> items_;
  std::size_t head_ = 0;
};

} // namespace tcpcheck::detail
