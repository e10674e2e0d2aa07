// Disturbances: the words `tcpcheck proxy` takes, parsed and printed back.
#include "tcpcheck/proxy/disturbance.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <set>
#include <vector>

namespace tcpcheck {

namespace {

constexpr std::string_view proxy_plans =
    "whole, bytewise, chunk:N, random:SEED, split-header, merged";

struct ending_word {
  std::string_view key;
  disturbance::ending end;
  bool counts_frames;
};

constexpr ending_word ending_words[] = {
    {"close-after", disturbance::ending::close, false},
    {"reset-after", disturbance::ending::reset, false},
    {"half-close-after", disturbance::ending::half_close, false},
    {"close-after-frame", disturbance::ending::close, true},
    {"reset-after-frame", disturbance::ending::reset, true},
    {"half-close-after-frame", disturbance::ending::half_close, true},
};

std::vector<std::string_view> words_of(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t begin = text.find_first_not_of(" \t", at);
    if (begin == std::string_view::npos) break;
    const std::size_t end = std::min(text.find_first_of(" \t", begin), text.size());
    words.push_back(text.substr(begin, end - begin));
    at = end;
  }
  return words;
}

bool parse_unsigned(std::string_view text, std::uint64_t& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc{} && end == text.data() + text.size();
}

// "250ms", "2s", as scripts write durations, at most longest_disturbance_delay.
bool parse_delay(std::string_view text, duration& out) {
  std::uint64_t scale = 0;
  if (text.ends_with("ms")) {
    scale = 1;
    text.remove_suffix(2);
  } else if (text.ends_with("s")) {
    scale = 1000;
    text.remove_suffix(1);
  }
  std::uint64_t n = 0;
  const auto longest = static_cast<std::uint64_t>(longest_disturbance_delay.count());
  if (scale == 0 || !parse_unsigned(text, n) || n > longest / scale) return false;
  out = duration(static_cast<duration::rep>(n * scale));
  return true;
}

// A byte count, with an optional k (1024) or M (1024²) suffix.
bool parse_size(std::string_view text, std::uint64_t& out) {
  std::uint64_t scale = 1;
  if (text.ends_with("k")) scale = 1024;
  if (text.ends_with("M")) scale = 1024 * 1024;
  if (scale != 1) text.remove_suffix(1);
  std::uint64_t n = 0;
  if (!parse_unsigned(text, n) || n > std::numeric_limits<std::uint64_t>::max() / scale)
    return false;
  out = n * scale;
  return true;
}

std::string size_text(std::uint64_t n) {
  constexpr std::uint64_t mebi = 1024 * 1024;
  if (n != 0 && n % mebi == 0) return std::to_string(n / mebi) + "M";
  if (n != 0 && n % 1024 == 0) return std::to_string(n / 1024) + "k";
  return std::to_string(n);
}

// Parses one word into `d`; false with `why` (the word is added by the caller).
class word_parser {
public:
  explicit word_parser(disturbance& d) : d_(d) {}

  bool parse(std::string_view key, std::string_view value, bool has_value, std::string& why) {
    if (key == "blackhole") {
      if (has_value) return refuse(why, "blackhole takes no value");
      d_.blackhole = true;
      return true;
    }
    if (!has_value) return refuse(why, "expected key=value (or blackhole)");
    if (key == "plan") return parse_plan(value, why);
    if (key == "latency" || key == "jitter") {
      duration& out = key == "latency" ? d_.latency : d_.jitter;
      return parse_delay(value, out) || refuse(why, delay_expected);
    }
    if (key == "rate") {
      if (!parse_size(value, d_.rate) || d_.rate == 0)
        return refuse(why, "expected bytes a second of at least 1, such as 512, 64k or 1M");
      return true;
    }
    if (key == "stall") return parse_stall(value, why);
    for (const auto& word : ending_words)
      if (key == word.key) return parse_ending(word, value, why);
    return refuse(why, "unknown key (keys: plan, latency, jitter, rate, stall, close-after, "
                       "reset-after, half-close-after, close-after-frame, reset-after-frame, "
                       "half-close-after-frame, blackhole)");
  }

private:
  static constexpr std::string_view delay_expected =
      "expected a duration such as 250ms or 2s (at most 10 minutes)";

  static bool refuse(std::string& why, std::string_view reason) {
    why = reason;
    return false;
  }

  bool parse_plan(std::string_view value, std::string& why) {
    const std::string_view name = value.substr(0, value.find(':'));
    if (name == "pipeline")
      return refuse(why, "pipeline has no meaning in a proxy, which has no script to send "
                         "ahead of (plans: " +
                             std::string(proxy_plans) + ")");
    static constexpr std::string_view known[] = {"whole",  "bytewise",     "chunk",
                                                 "random", "split-header", "merged"};
    if (std::find(std::begin(known), std::end(known), name) == std::end(known))
      return refuse(why, "unknown plan (plans: " + std::string(proxy_plans) + ")");
    auto plan = parse_delivery_plan(value, why);
    if (!plan) return false;
    d_.plan = *plan;
    return true;
  }

  bool parse_stall(std::string_view value, std::string& why) {
    const std::size_t colon = value.find(':');
    disturbance::stall_point stall;
    if (colon == std::string_view::npos || !parse_size(value.substr(0, colon), stall.after_bytes) ||
        !parse_delay(value.substr(colon + 1), stall.length) || stall.length.count() == 0)
      return refuse(why, "expected BYTES:DURATION, such as 1000:2s (at least 1ms, at most 10 "
                         "minutes)");
    d_.stall = stall;
    return true;
  }

  bool parse_ending(const ending_word& word, std::string_view value, std::string& why) {
    if (d_.end != disturbance::ending::none)
      return refuse(why, "a second ending (close, reset or half-close): give one");
    std::uint64_t count = 0;
    const bool ok = word.counts_frames ? parse_unsigned(value, count) : parse_size(value, count);
    if (!ok || count == 0)
      return refuse(why, word.counts_frames ? "expected a frame count of at least 1"
                                            : "expected a byte count of at least 1, such as "
                                              "100 or 64k");
    d_.end = word.end;
    d_.end_counts_frames = word.counts_frames;
    d_.end_after = count;
    return true;
  }

  disturbance& d_;
};

std::string_view ending_key(const disturbance& d) {
  for (const auto& word : ending_words)
    if (word.end == d.end && word.counts_frames == d.end_counts_frames) return word.key;
  return {};
}

} // namespace

std::optional<disturbance> parse_disturbance(std::string_view text, std::string& error) {
  disturbance d;
  std::set<std::string_view> keys;
  const auto words = words_of(text);
  for (const std::string_view word : words) {
    const std::size_t equals = word.find('=');
    const std::string_view key = word.substr(0, equals);
    const bool has_value = equals != std::string_view::npos;
    const std::string_view value = has_value ? word.substr(equals + 1) : std::string_view{};
    std::string why;
    if (!keys.insert(key).second)
      why = "'" + std::string(key) + "' is given twice";
    else
      word_parser(d).parse(key, value, has_value, why);
    if (!why.empty()) {
      error = "'" + std::string(word) + "': " + why;
      return std::nullopt;
    }
  }
  // Blackhole forwards nothing, so a cut, a delay or an ending beside it
  // would be a word that does nothing: refuse it rather than ignore it.
  if (d.blackhole && words.size() > 1) {
    error = "'blackhole': forwards nothing, so it takes no other word";
    return std::nullopt;
  }
  return d;
}

std::string disturbance_conflict(const disturbance& d, const framing_spec& spec) {
  if (spec.kind == framing_kind::raw && d.end != disturbance::ending::none && d.end_counts_frames)
    return std::string(ending_key(d)) +
           " needs a framing with frames: raw has none (give --framing)";
  return {};
}

std::string to_string(const disturbance& d) {
  std::vector<std::string> words;
  if (d.plan != delivery_plan{}) words.push_back("plan=" + to_string(d.plan));
  if (d.latency.count() != 0) words.push_back("latency=" + duration_text(d.latency));
  if (d.jitter.count() != 0) words.push_back("jitter=" + duration_text(d.jitter));
  if (d.rate != 0) words.push_back("rate=" + size_text(d.rate));
  if (d.stall)
    words.push_back("stall=" + size_text(d.stall->after_bytes) + ":" +
                    duration_text(d.stall->length));
  if (d.end != disturbance::ending::none)
    words.push_back(std::string(ending_key(d)) + "=" +
                    (d.end_counts_frames ? std::to_string(d.end_after) : size_text(d.end_after)));
  if (d.blackhole) words.push_back("blackhole");
  std::string out;
  for (const auto& word : words)
    out += (out.empty() ? "" : " ") + word;
  return out;
}

} // namespace tcpcheck
