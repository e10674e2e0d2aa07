// The byte strings a check is given: the streams to decode, or the payloads
// to encode.
//
// Written as text in most tests, so a braced list of string literals works:
//
//   using namespace std::literals;
//   tcpcheck::testing::split_invariant(decoder, {"\x02\0\0\0hi"sv, "\x00\0\0\0"sv});
//
// Use `sv` literals (or std::string with a size) for bytes that include a
// NUL: a plain "..." literal ends at its first NUL.
#pragma once

#include "tcpcheck/bytes.hpp"

#include <concepts>
#include <cstddef>
#include <initializer_list>
#include <string_view>
#include <vector>

namespace tcpcheck::testing {

class byte_strings {
public:
  byte_strings(std::initializer_list<std::string_view> texts) {
    for (const auto text : texts)
      add(as_bytes(text));
  }
  /// One string: anything that converts to a string_view (a literal, std::string).
  template <class Text>
  requires std::convertible_to<const Text&, std::string_view> byte_strings(const Text& text) {
    add(as_bytes(std::string_view(text)));
  }
  /// One string of bytes: anything that converts to a byte_view (byte_buffer, a span).
  template <class Bytes>
  requires std::convertible_to<const Bytes&, byte_view> &&
      (!std::convertible_to<const Bytes&, std::string_view>)byte_strings(const Bytes& bytes) {
    add(byte_view(bytes));
  }
  byte_strings(std::vector<byte_buffer> items) : items_(std::move(items)) {}

  const std::vector<byte_buffer>& items() const noexcept { return items_; }
  std::size_t size() const noexcept { return items_.size(); }
  auto begin() const noexcept { return items_.begin(); }
  auto end() const noexcept { return items_.end(); }

private:
  void add(byte_view bytes) { items_.emplace_back(bytes.begin(), bytes.end()); }

  std::vector<byte_buffer> items_;
};

} // namespace tcpcheck::testing
