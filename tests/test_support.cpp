// Helpers the framing tests share: specs from text, payload lists, and split grinding.
#include "test_support.hpp"

#include "tcpcheck/escape.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <stdexcept>

#include <gtest/gtest.h>

namespace tcpcheck {

void PrintTo(const decode_log& log, std::ostream* os) {
  const std::string text = to_string(log);
  *os << (text.empty() ? "(no frames, no error)" : "\n" + text);
}

void PrintTo(const stream_error& error, std::ostream* os) {
  *os << to_string(error);
}

} // namespace tcpcheck

namespace tcpcheck::test {

framing_spec spec_of(std::string_view text) {
  spec_error error;
  auto spec = parse_framing_spec(text, error);
  if (!spec)
    throw std::invalid_argument("spec '" + std::string(text) +
                                "' does not parse: " + to_string(error));
  return *spec;
}

script script_of(std::string_view text) {
  script_error error;
  auto s = parse_script(text, error);
  if (!s) throw std::invalid_argument(error.to_string("<test script>"));
  return *std::move(s);
}

framing_spec spec_of(const script& s) {
  return spec_of(s.framing.value_or("raw"));
}

std::vector<std::string> payloads(const decode_log& log) {
  std::vector<std::string> out;
  for (const auto& f : log.frames)
    out.emplace_back(as_text(f.payload));
  return out;
}

namespace {

// Compares one cut's log with the whole decode's; reports the first mismatch.
class grinder {
public:
  grinder(const framing_spec& spec, byte_view stream, bool finish)
      : spec_(spec), stream_(stream), finish_(finish),
        whole_(decode_in_pieces(spec, stream, {}, finish)) {}

  const decode_log& whole() const { return whole_; }

  bool same(const decode_log& got, const std::string& how) const {
    if (got == whole_) return true;
    ADD_FAILURE() << "split invariance broken for spec '" << to_string(spec_) << "', stream \""
                  << escape(stream_, "\"") << "\"" << (finish_ ? "" : " (not finished)") << ", "
                  << how << ":\n"
                  << to_string(got) << "but decoded whole:\n"
                  << to_string(whole_);
    return false;
  }

  bool cut(std::span<const std::size_t> cuts, const std::string& how) const {
    return same(decode_in_pieces(spec_, stream_, cuts, finish_), how);
  }

private:
  const framing_spec& spec_;
  byte_view stream_;
  bool finish_;
  decode_log whole_;
};

} // namespace

decode_log grind(const framing_spec& spec, std::string_view text, bool finish) {
  const byte_view stream = as_bytes(text);
  const grinder g(spec, stream, finish);
  const std::size_t n = stream.size();
  for (std::size_t i = 1; i < n; ++i) {
    const std::array<std::size_t, 1> cuts{i};
    if (!g.cut(cuts, "cut at " + std::to_string(i))) break;
  }
  bool ok = true;
  for (std::size_t i = 1; i < n && ok; ++i)
    for (std::size_t j = i + 1; j < n && ok; ++j) {
      const std::array<std::size_t, 2> cuts{i, j};
      ok = g.cut(cuts, "cut at " + std::to_string(i) + " and " + std::to_string(j));
    }
  g.same(decode_bytewise(spec, stream, finish), "fed byte by byte");
  return g.whole();
}

decode_log grind(std::string_view spec_text, std::string_view stream, bool finish) {
  return grind(spec_of(spec_text), stream, finish);
}

byte_buffer bytes_of(std::string_view text) {
  const byte_view view = as_bytes(text);
  return byte_buffer(view.begin(), view.end());
}

byte_buffer literal_of(const script_text& text) {
  byte_buffer out;
  for (const auto& seg : text.segments)
    out.insert(out.end(), seg.bytes.begin(), seg.bytes.end());
  return out;
}

bool contains(const byte_buffer& haystack, const byte_buffer& needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) !=
         haystack.end();
}

std::vector<check_case> with_scripts_made(std::vector<check_case> cases) {
  for (auto& c : cases) {
    auto made = with_script_made(c);
    if (!made) throw std::invalid_argument("the script of '" + c.id + "' cannot be made");
    c = *std::move(made);
  }
  return cases;
}

} // namespace tcpcheck::test
