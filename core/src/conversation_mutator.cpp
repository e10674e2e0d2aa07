// The conversation mutator: payload, frame, conversation, delivery and
// datagram mutations of a baseline script, drawn from a per-case random stream.
#include "tcpcheck/conversation_mutator.hpp"

#include "tcpcheck/escape.hpp"
#include "tcpcheck/frame_encoder.hpp"
#include "tcpcheck/fuzzing/response_state.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <random>
#include <set>
#include <stdexcept>
#include <utility>

#include "matrix/liveness_probe.hpp"
#include "matrix/matrix_steps.hpp"

namespace tcpcheck {

namespace {

using step_kind = script_step::kind;

// splitmix64: a well-mixed, portable stream from (seed, index), so that
// case N of seed S is the same everywhere (std::mt19937_64 is portable too;
// the distributions are not, hence the hand-rolled `below`).
class random_stream {
public:
  random_stream(std::uint64_t seed, std::uint64_t index)
      : state_(seed * 0x9E3779B97F4A7C15ull ^ (index + 0x632BE59BD9B4E019ull)) {}

  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, n); 0 when n is 0.
  std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(next() % n); }
  bool chance(unsigned percent) { return below(100) < percent; }

private:
  std::uint64_t state_;
};

constexpr std::array<std::uint8_t, 10> interesting_bytes = {0x00, 0x01, 0x7f, 0x80, 0xff,
                                                            0x0a, 0x0d, 0x20, 0x25, 0x3f};

// A send's payload bytes, computed lengths rendered; empty for one that
// uses a variable (no such send is mutated).
byte_buffer literal_of(const script_text& text) {
  return literal_payload(text).value_or(byte_buffer{});
}

script_step raw_send(const std::string& connection, byte_buffer bytes) {
  script_step step;
  step.what = step_kind::send;
  step.connection = connection;
  step.raw = true;
  step.payload.segments.push_back(script_text::segment::literal(std::move(bytes)));
  return step;
}

script_step pause(duration d) {
  script_step step;
  step.what = step_kind::sleep;
  step.pause = d;
  return step;
}

// `bytes` repeated or cut to `size` bytes ('A's when there are none).
byte_buffer resized(byte_buffer bytes, std::size_t size) {
  if (bytes.empty()) bytes.push_back('A');
  bytes.reserve(size); // no reallocation below: each byte copied is one already there
  for (std::size_t k = 0; bytes.size() < size; ++k)
    bytes.push_back(bytes[k]);
  bytes.resize(size);
  return bytes;
}

// The words a mutation draws from: the mutator's dictionary and, when the
// fuzzer has learned some, the strings (a third of the time) and numbers
// (a sixth) the server compared the input with or answered with.
class word_list {
public:
  word_list(const std::vector<byte_buffer>& fixed, const mutation_sources& from)
      : fixed_(fixed), learned_(usable(from.learned)), numbers_(usable(from.numbers)) {}

  const byte_buffer& pick(random_stream& rng) const {
    // Without learned words the draw is the blind fuzzer's, case for case.
    if (!learned_ && !numbers_) return fixed_[rng.below(fixed_.size())];
    const std::size_t roll = rng.below(6);
    if (learned_ && roll < 2) return (*learned_)[rng.below(learned_->size())];
    if (numbers_ && roll == 2) return (*numbers_)[rng.below(numbers_->size())];
    return fixed_[rng.below(fixed_.size())];
  }

  template <class F>
  void for_each(F&& f) const {
    for (const auto* list : {&fixed_, learned_, numbers_})
      if (list)
        for (const auto& w : *list)
          f(w);
  }

private:
  static const std::vector<byte_buffer>* usable(const std::vector<byte_buffer>* list) {
    return list && !list->empty() ? list : nullptr;
  }

  const std::vector<byte_buffer>& fixed_;
  const std::vector<byte_buffer>* learned_;
  const std::vector<byte_buffer>* numbers_;
};

bool is_mutable_send(const case_step& s) {
  return !s.probe && s.step.what == step_kind::send && !s.step.payload.has_variables();
}

class mutation {
public:
  mutation(const conversation_mutator& m, const word_list& words, const mutation_sources& from,
           fuzz_case& c, random_stream& rng)
      : m_(m), spec_(m.spec()), words_(words), donor_(from.donor),
        replacements_(from.replacements && !from.replacements->empty() ? from.replacements
                                                                       : nullptr),
        commands_(from.commands && !from.commands->empty() ? from.commands : nullptr),
        datagrams_(m.baseline().transport == script_transport::udp), c_(c), rng_(rng) {}

  void apply() {
    if (replacements_ && rng_.below(6) == 0 && replace_compared()) return;
    // Drawn only under udp, so that a TCP case is drawn as it always was.
    if (datagrams_ && rng_.chance(30)) return datagram();
    switch (rng_.below(10)) {
    case 0:
    case 1:
    case 2:
    case 3:
      return payload();
    case 4:
    case 5:
      return frame();
    case 6:
    case 7:
      return conversation();
    default:
      return delivery();
    }
  }

private:
  // A random send whose bytes are known; SIZE_MAX when there is none.
  std::size_t pick_send() {
    std::vector<std::size_t> sends;
    for (std::size_t i = 0; i < c_.steps.size(); ++i)
      if (is_mutable_send(c_.steps[i])) sends.push_back(i);
    return sends.empty() ? SIZE_MAX : sends[rng_.below(sends.size())];
  }

  std::string where(std::size_t i) const {
    const auto line = c_.steps[i].origin_line;
    return line ? "line " + std::to_string(line) : "an inserted send";
  }

  // The framing step i reads and writes with (a `framing` step before it
  // may have changed it): what the mutations of that step frame with.
  void use_framing_of(std::size_t i) {
    spec_ = framing_before(c_.steps, i, m_.spec(),
                           [](const case_step& s) -> const script_step& { return s.step; });
  }

  // The bytes the send puts on the wire.
  byte_buffer wire_of(const script_step& send) const {
    byte_buffer payload = literal_of(send.payload);
    if (send.raw) return payload;
    byte_buffer wire;
    if (encode_frame(spec_, payload, field_values_for(spec_, send.fields), wire)) return payload;
    return wire;
  }

  void replace_with_raw(std::size_t i, byte_buffer wire) {
    c_.steps[i].step = raw_send(c_.steps[i].step.connection, std::move(wire));
    c_.steps[i].mutated = true;
  }

  // --- payload bytes ------------------------------------------------------

  void payload() {
    const std::size_t i = pick_send();
    if (i == SIZE_MAX) return conversation();
    use_framing_of(i);
    script_step& send = c_.steps[i].step;
    byte_buffer bytes = literal_of(send.payload);
    const std::string what = mutate_bytes(bytes);
    c_.notes.push_back(where(i) + ": " + what);
    if (send.raw) return replace_with_raw(i, std::move(bytes));
    byte_buffer wire;
    if (encode_frame(spec_, bytes, field_values_for(spec_, send.fields), wire)) {
      // The framing cannot carry it (a delimiter inside, too long): the
      // bytes go out as they are, which is a frame mutation of its own.
      c_.notes.back() += " (sent unframed: the framing refuses it)";
      return replace_with_raw(i, std::move(bytes));
    }
    replace_with_raw(i, std::move(wire));
  }

  // Input-to-state: where a payload holds the input's side of a
  // comparison the server made with a constant, the constant goes in its
  // place. One of the replacements that apply to the send is chosen; false
  // when none does.
  bool replace_compared() {
    const std::size_t i = pick_send();
    if (i == SIZE_MAX) return false;
    use_framing_of(i);
    byte_buffer bytes = literal_of(c_.steps[i].step.payload);
    std::vector<std::pair<const replacement*, std::size_t>> found; // and where
    for (const auto& r : *replacements_)
      for (auto at = bytes.begin(); !r.from.empty();) {
        at = std::search(at, bytes.end(), r.from.begin(), r.from.end());
        if (at == bytes.end()) break;
        found.emplace_back(&r, static_cast<std::size_t>(at - bytes.begin()));
        ++at;
      }
    if (found.empty()) return false;
    const auto [r, offset] = found[rng_.below(found.size())];
    const auto at = bytes.begin() + static_cast<std::ptrdiff_t>(offset);
    bytes.erase(at, at + static_cast<std::ptrdiff_t>(r->from.size()));
    bytes.insert(bytes.begin() + static_cast<std::ptrdiff_t>(offset), r->to.begin(), r->to.end());
    c_.notes.push_back(where(i) + ": \"" + escape(r->from, "\"") + "\" at byte " +
                       std::to_string(offset) + " replaced by \"" + escape(r->to, "\"") +
                       "\", a value the server compared it with");
    if (c_.steps[i].step.raw) {
      replace_with_raw(i, std::move(bytes));
    } else {
      set_payload(c_.steps[i], std::move(bytes));
      c_.steps[i].mutated = true;
    }
    return true;
  }

  // What a payload may grow to: a datagram goes out whole, however large.
  std::size_t largest_payload() const {
    return datagrams_ ? m_.options().largest_datagram : m_.options().largest_payload;
  }

  std::string mutate_bytes(byte_buffer& bytes) {
    const std::size_t limit = largest_payload();
    switch (rng_.below(bytes.empty() ? 4 : 9)) {
    case 3: { // the whole payload replaced by a dictionary word (a command, a token)
      bytes = words_.pick(rng_);
      if (bytes.size() > limit) bytes.resize(limit);
      return "replaced by \"" + escape(bytes, "\"") + "\"";
    }
    case 0: { // insert a dictionary word
      const byte_buffer& word = words_.pick(rng_);
      const std::size_t at = rng_.below(bytes.size() + 1);
      if (bytes.size() + word.size() > limit) return "kept (too long to grow)";
      bytes.insert(bytes.begin() + static_cast<std::ptrdiff_t>(at), word.begin(), word.end());
      return "inserted \"" + escape(word, "\"") + "\" at byte " + std::to_string(at);
    }
    case 1: { // insert random bytes
      const std::size_t at = rng_.below(bytes.size() + 1);
      const std::size_t n = 1 + rng_.below(8);
      if (bytes.size() + n > limit) return "kept (too long to grow)";
      for (std::size_t k = 0; k < n; ++k)
        bytes.insert(bytes.begin() + static_cast<std::ptrdiff_t>(at),
                     static_cast<std::uint8_t>(rng_.next()));
      return "inserted " + std::to_string(n) + " random bytes at byte " + std::to_string(at);
    }
    case 2: { // splice from another payload
      const std::size_t other = pick_send();
      if (other == SIZE_MAX) return "kept";
      const byte_buffer donor = literal_of(c_.steps[other].step.payload);
      if (donor.empty() || bytes.size() + donor.size() > limit) return "kept";
      const std::size_t from = rng_.below(donor.size());
      const std::size_t n = 1 + rng_.below(donor.size() - from);
      const std::size_t at = rng_.below(bytes.size() + 1);
      bytes.insert(bytes.begin() + static_cast<std::ptrdiff_t>(at),
                   donor.begin() + static_cast<std::ptrdiff_t>(from),
                   donor.begin() + static_cast<std::ptrdiff_t>(from + n));
      return "spliced " + std::to_string(n) + " bytes of another payload in at byte " +
             std::to_string(at);
    }
    case 4: { // flip a bit
      const std::size_t at = rng_.below(bytes.size());
      const unsigned bit = static_cast<unsigned>(rng_.below(8));
      bytes[at] ^= static_cast<std::uint8_t>(1u << bit);
      return "flipped bit " + std::to_string(bit) + " of byte " + std::to_string(at);
    }
    case 5: { // an interesting byte
      const std::size_t at = rng_.below(bytes.size());
      bytes[at] = interesting_bytes[rng_.below(interesting_bytes.size())];
      return "set byte " + std::to_string(at) + " to " + to_hex(byte_view(&bytes[at], 1));
    }
    case 6: { // delete bytes
      const std::size_t at = rng_.below(bytes.size());
      const std::size_t n = 1 + rng_.below(bytes.size() - at);
      bytes.erase(bytes.begin() + static_cast<std::ptrdiff_t>(at),
                  bytes.begin() + static_cast<std::ptrdiff_t>(at + n));
      return "deleted " + std::to_string(n) + " bytes at byte " + std::to_string(at);
    }
    case 7: { // overwrite with a dictionary word
      const byte_buffer& word = words_.pick(rng_);
      const std::size_t at = rng_.below(bytes.size());
      for (std::size_t k = 0; k < word.size(); ++k) {
        if (at + k < bytes.size())
          bytes[at + k] = word[k];
        else if (bytes.size() < limit)
          bytes.push_back(word[k]);
      }
      return "overwrote byte " + std::to_string(at) + " on with \"" + escape(word, "\"") + "\"";
    }
    default: { // repeat a slice (long payloads)
      const std::size_t at = rng_.below(bytes.size());
      const std::size_t n = 1 + rng_.below(std::min<std::size_t>(16, bytes.size() - at));
      const std::size_t times = 1 + rng_.below(64);
      if (bytes.size() + n * times > limit) return "kept (too long to grow)";
      const byte_buffer slice(bytes.begin() + static_cast<std::ptrdiff_t>(at),
                              bytes.begin() + static_cast<std::ptrdiff_t>(at + n));
      for (std::size_t k = 0; k < times; ++k)
        bytes.insert(bytes.begin() + static_cast<std::ptrdiff_t>(at), slice.begin(), slice.end());
      return "repeated " + std::to_string(n) + " bytes at byte " + std::to_string(at) + " " +
             std::to_string(times) + " more times";
    }
    }
  }

  // --- frames -------------------------------------------------------------

  void frame() {
    const std::size_t i = pick_send();
    if (i == SIZE_MAX || c_.steps[i].step.raw) return payload();
    use_framing_of(i);
    byte_buffer wire = wire_of(c_.steps[i].step);
    std::string what;
    if (spec_.kind == framing_kind::length_prefixed && rng_.chance(70))
      what = length_field_value(wire);
    else if (spec_.is_delimiter_based() && rng_.chance(70))
      what = delimiter(wire);
    if (what.empty()) {
      if (wire.size() < 2) return payload();
      const std::size_t keep = 1 + rng_.below(wire.size() - 1);
      wire.resize(keep);
      what = "cut the frame short after " + std::to_string(keep) + " bytes";
    }
    c_.notes.push_back(where(i) + ": " + what);
    replace_with_raw(i, std::move(wire));
  }

  std::string length_field_value(byte_buffer& wire) {
    const length_field& f = spec_.field;
    const std::size_t at = f.offset;
    if (wire.size() < at + f.width || f.width == 0) return {};
    std::uint64_t value = 0;
    for (unsigned k = 0; k < f.width; ++k) {
      const unsigned shift = f.order == byte_order::big ? 8u * (f.width - 1 - k) : 8u * k;
      value |= std::uint64_t{wire[at + k]} << shift;
    }
    std::uint64_t changed = value;
    std::string what;
    switch (rng_.below(8)) {
    case 5:
      changed = rng_.next(), what = "length field random";
      break;
    case 6: { // a dictionary word short enough, as the field's bytes on the wire
      std::vector<const byte_buffer*> fitting;
      words_.for_each([&](const byte_buffer& word) {
        if (word.size() <= f.width) fitting.push_back(&word);
      });
      if (fitting.empty()) return "";
      const byte_buffer& word = *fitting[rng_.below(fitting.size())];
      std::fill(wire.begin() + static_cast<std::ptrdiff_t>(at),
                wire.begin() + static_cast<std::ptrdiff_t>(at + f.width), 0);
      const std::size_t start = f.order == byte_order::big ? at + f.width - word.size() : at;
      std::copy(word.begin(), word.end(), wire.begin() + static_cast<std::ptrdiff_t>(start));
      return "length field set to the word \"" + escape(word, "\"") + "\"";
    }
    case 0:
      changed = value + 1, what = "length field one over (" + std::to_string(value + 1) + ")";
      break;
    case 1:
      changed = value - 1, what = "length field one under";
      break;
    case 2:
      changed = 0, what = "length field zero";
      break;
    case 3:
      changed = f.largest_value(), what = "length field at its largest";
      break;
    case 4:
      // A field too narrow to say max + 1 cannot be over max.
      if (spec_.max + 1 > f.largest_value()) return "";
      changed = spec_.max + 1;
      what = "length field over max (" + std::to_string(spec_.max + 1) + ")";
      break;
    default:
      if (!f.is_signed) return "";
      changed = UINT64_MAX, what = "length field negative (-1)";
      break;
    }
    for (unsigned k = 0; k < f.width; ++k) {
      const unsigned shift = f.order == byte_order::big ? 8u * (f.width - 1 - k) : 8u * k;
      wire[at + k] = static_cast<std::uint8_t>(changed >> shift);
    }
    return what;
  }

  std::string delimiter(byte_buffer& wire) {
    const std::string_view delim = spec_.kind == framing_kind::line
                                       ? (spec_.strict_crlf ? "\r\n" : "\n")
                                       : as_text(spec_.delimiters.front());
    const byte_view d = as_bytes(delim);
    switch (rng_.below(3)) {
    case 0: { // inject
      const std::size_t at = rng_.below(wire.size() + 1);
      wire.insert(wire.begin() + static_cast<std::ptrdiff_t>(at), d.begin(), d.end());
      return "delimiter injected at byte " + std::to_string(at);
    }
    case 1: // remove the frame's own
      if (wire.size() < d.size()) return {};
      wire.resize(wire.size() - d.size());
      return "delimiter removed";
    default: // doubled
      wire.insert(wire.end(), d.begin(), d.end());
      return "delimiter doubled";
    }
  }

  // --- the conversation ---------------------------------------------------

  void conversation() {
    std::vector<std::size_t> sends;
    for (std::size_t i = 0; i < c_.steps.size(); ++i)
      if (!c_.steps[i].probe && c_.steps[i].step.what == step_kind::send) sends.push_back(i);
    const std::size_t choice = rng_.below(sends.empty() ? 1 : 8);
    if (choice == 0 || sends.empty()) return fault();
    const std::size_t i = sends[rng_.below(sends.size())];
    switch (choice) {
    case 4:
      return insert_send(i);
    case 5:
      return repeat_send(i);
    case 6:
      return move_send(i, sends);
    case 7:
      return splice_sends(sends);
    case 1:
      c_.notes.push_back(where(i) + ": send dropped");
      c_.steps[i].mutated = true;
      c_.steps.erase(c_.steps.begin() + static_cast<std::ptrdiff_t>(i));
      mark_from(i);
      return;
    case 2: {
      c_.notes.push_back(where(i) + ": send duplicated");
      case_step copy = c_.steps[i];
      copy.mutated = true;
      c_.steps.insert(c_.steps.begin() + static_cast<std::ptrdiff_t>(i) + 1, copy);
      return;
    }
    default: {
      std::vector<std::size_t> same;
      for (const auto j : sends)
        if (j != i && c_.steps[j].step.connection == c_.steps[i].step.connection) same.push_back(j);
      if (same.empty()) return fault();
      const std::size_t j = same[rng_.below(same.size())];
      c_.notes.push_back(where(i) + " and " + where(j) + ": sends swapped");
      std::swap(c_.steps[i].step, c_.steps[j].step);
      std::swap(c_.steps[i].origin_line, c_.steps[j].origin_line);
      c_.steps[i].mutated = c_.steps[j].mutated = true;
      return;
    }
    }
  }

  // --- several sends: what reaches states a single message cannot ---------

  std::size_t conversation_end() const {
    std::size_t end = 0;
    while (end < c_.steps.size() && !c_.steps[end].probe)
      ++end;
    return end;
  }

  // A new send of its own, made from send `i`: a dictionary word in place
  // of its first word ("get k" -> "del k"), or the word alone.
  void insert_send(std::size_t i) {
    use_framing_of(i);
    case_step made = c_.steps[i];
    const byte_buffer& word = commands_ && rng_.below(4) != 0
                                  ? (*commands_)[rng_.below(commands_->size())]
                                  : words_.pick(rng_);
    // A raw send's bytes are wire bytes: its first word is not at the start.
    byte_buffer bytes = made.step.payload.has_variables() || made.step.raw
                            ? byte_buffer{}
                            : literal_of(made.step.payload);
    std::string what;
    if (!bytes.empty() && rng_.chance(50)) {
      const std::size_t skip = first_word(bytes).size();
      bytes.erase(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(skip));
      bytes.insert(bytes.begin(), word.begin(), word.end());
      what = "a send of its own with \"" + escape(word, "\"") + "\" in place of the first word";
    } else {
      bytes = word;
      what = "a send of its own: \"" + escape(word, "\"") + "\"";
    }
    if (bytes.size() > largest_payload()) bytes.resize(largest_payload());
    set_payload(made, std::move(bytes));
    made.mutated = true;
    made.origin_line = 0;
    const std::size_t at = i + (rng_.chance(50) ? 1 : 0);
    c_.notes.push_back(what + " inserted before step " + std::to_string(at + 1));
    c_.steps.insert(c_.steps.begin() + static_cast<std::ptrdiff_t>(at), std::move(made));
  }

  void repeat_send(std::size_t i) {
    const std::size_t times = 2 + rng_.below(7);
    case_step copy = c_.steps[i];
    copy.mutated = true;
    c_.notes.push_back(where(i) + ": send repeated " + std::to_string(times) + " more times");
    c_.steps.insert(c_.steps.begin() + static_cast<std::ptrdiff_t>(i) + 1, times, copy);
  }

  // A send moved later in the conversation: never before its connection
  // opens or before the capture it uses.
  void move_send(std::size_t i, const std::vector<std::size_t>& sends) {
    const std::size_t end = conversation_end();
    if (sends.size() < 2 || i + 1 >= end) return repeat_send(i);
    const std::size_t at = i + 1 + rng_.below(end - i - 1);
    case_step moved = c_.steps[i];
    moved.mutated = true;
    c_.notes.push_back(where(i) + ": send moved to after step " + std::to_string(at + 1));
    c_.steps.insert(c_.steps.begin() + static_cast<std::ptrdiff_t>(at) + 1, std::move(moved));
    c_.steps.erase(c_.steps.begin() + static_cast<std::ptrdiff_t>(i));
    mark_from(i);
  }

  // A run of sends from another corpus entry, inserted after the first step
  // of this one on the same connection (a connection is open from there).
  void splice_sends(const std::vector<std::size_t>& sends) {
    std::vector<const case_step*> theirs;
    if (donor_)
      for (const auto& s : donor_->steps)
        if (is_mutable_send(s)) theirs.push_back(&s);
    if (theirs.empty()) return insert_send(sends[rng_.below(sends.size())]);
    const std::size_t from = rng_.below(theirs.size());
    const std::size_t n = std::min<std::size_t>(1 + rng_.below(3), theirs.size() - from);
    const std::string& connection = theirs[from]->step.connection;
    const std::size_t end = conversation_end();
    std::size_t first_use = 0;
    while (first_use < end && c_.steps[first_use].step.connection != connection)
      ++first_use;
    if (first_use == end) return insert_send(sends[rng_.below(sends.size())]);
    const std::size_t at = first_use + 1 + rng_.below(end - first_use);
    std::vector<case_step> run;
    for (std::size_t k = 0; k < n; ++k) {
      if (theirs[from + k]->step.connection != connection) break;
      run.push_back(*theirs[from + k]);
      run.back().mutated = true;
      run.back().origin_line = 0;
    }
    c_.notes.push_back(std::to_string(run.size()) +
                       " sends of another corpus entry spliced in before step " +
                       std::to_string(at + 1));
    c_.steps.insert(c_.steps.begin() + static_cast<std::ptrdiff_t>(at), run.begin(), run.end());
  }

  // A framed send carries `bytes` framed when the framing can, raw otherwise.
  void set_payload(case_step& s, byte_buffer bytes) const {
    byte_buffer wire;
    const bool framed = !encode_frame(spec_, bytes, field_values_for(spec_, s.step.fields), wire);
    s.step.payload.segments.assign(1, script_text::segment::literal(std::move(bytes)));
    s.step.raw = !framed;
  }

  // A step that later steps of the case depend on was removed or moved:
  // what follows may be out of step.
  void mark_from(std::size_t i) {
    if (i < c_.steps.size() && !c_.steps[i].probe) c_.steps[i].mutated = true;
  }

  void fault() {
    std::size_t conversation_end = 0;
    while (conversation_end < c_.steps.size() && !c_.steps[conversation_end].probe)
      ++conversation_end;
    const std::size_t at = rng_.below(conversation_end + 1);
    const std::string connection = "main";
    case_step inserted;
    inserted.mutated = true;
    std::string what;
    // A datagram socket has no FIN, RST or half-close: its only fault is a stall.
    switch (datagrams_ ? 3 : rng_.below(4)) {
    case 0:
      inserted.step.what = step_kind::reset, what = "reset (RST)";
      break;
    case 1:
      inserted.step.what = step_kind::close, what = "close (FIN)";
      break;
    case 2:
      inserted.step.what = step_kind::shutdown, what = "half-close";
      break;
    default:
      inserted.step = pause(duration(50)), what = "stall of 50ms";
      break;
    }
    inserted.step.connection = connection;
    c_.notes.push_back(what + " inserted before step " + std::to_string(at + 1));
    c_.steps.insert(c_.steps.begin() + static_cast<std::ptrdiff_t>(at), inserted);
    if (inserted.step.what == step_kind::sleep) return;
    // Nothing more can be sent on a connection that was closed, reset or
    // shut down; after a close or reset nothing can be read either.
    const bool gone = inserted.step.what != step_kind::shutdown;
    for (std::size_t k = at + 1; k < c_.steps.size() && !c_.steps[k].probe;) {
      const auto& s = c_.steps[k].step;
      const bool same = s.connection == connection;
      const bool drop = same && (s.what == step_kind::send || s.what == step_kind::shutdown ||
                                 s.what == step_kind::close || s.what == step_kind::reset ||
                                 (gone && s.what == step_kind::expect));
      if (drop)
        c_.steps.erase(c_.steps.begin() + static_cast<std::ptrdiff_t>(k));
      else
        ++k;
    }
  }

  // --- delivery -----------------------------------------------------------

  void delivery() {
    const std::size_t i = pick_send();
    if (i == SIZE_MAX) return conversation();
    use_framing_of(i);
    const byte_buffer wire = wire_of(c_.steps[i].step);
    if (wire.size() < 2) return payload();
    std::set<std::size_t> cuts;
    // Each piece goes out as a datagram of its own: one cut splits one in two.
    const std::size_t n = datagrams_ ? 1 : 1 + rng_.below(3);
    for (std::size_t k = 0; k < n; ++k)
      cuts.insert(1 + rng_.below(wire.size() - 1));
    std::vector<case_step> pieces;
    std::size_t from = 0;
    std::string where_cut;
    const auto origin = c_.steps[i].origin_line;
    for (const std::size_t cut : cuts) {
      pieces.push_back({raw_send(c_.steps[i].step.connection,
                                 byte_buffer(wire.begin() + static_cast<std::ptrdiff_t>(from),
                                             wire.begin() + static_cast<std::ptrdiff_t>(cut))),
                        origin, true, false});
      pieces.push_back({pause(m_.options().piece_gap), 0, true, false});
      where_cut += (where_cut.empty() ? "" : ",") + std::to_string(cut);
      from = cut;
    }
    pieces.push_back(
        {raw_send(c_.steps[i].step.connection,
                  byte_buffer(wire.begin() + static_cast<std::ptrdiff_t>(from), wire.end())),
         origin, true, false});
    c_.notes.push_back(
        where(i) + (datagrams_ ? ": split the datagram in two at byte " : ": cut at ") + where_cut);
    c_.steps.erase(c_.steps.begin() + static_cast<std::ptrdiff_t>(i));
    c_.steps.insert(c_.steps.begin() + static_cast<std::ptrdiff_t>(i), pieces.begin(),
                    pieces.end());
  }

  // --- datagrams (transport udp) ------------------------------------------

  void datagram() {
    switch (rng_.below(3)) {
    case 0:
      return merge_datagrams();
    case 1:
      return send_from_fresh_socket();
    default:
      return resize_datagram();
    }
  }

  // A server that reads one message per datagram, given two in one, sees
  // the second's bytes where the first should end.
  void merge_datagrams() {
    const std::size_t i = pick_send();
    if (i == SIZE_MAX) return conversation();
    const std::size_t j = next_send_on_same_socket(i);
    if (j == SIZE_MAX) return resize_datagram();
    use_framing_of(j);
    const byte_buffer second = wire_of(c_.steps[j].step);
    use_framing_of(i);
    byte_buffer merged = wire_of(c_.steps[i].step);
    merged.insert(merged.end(), second.begin(), second.end());
    std::string note = "merged the datagrams of " + both(i, j);
    if (merged.size() > largest_payload()) {
      merged.resize(largest_payload());
      note += " (cut to " + std::to_string(merged.size()) + " bytes)";
    }
    c_.notes.push_back(std::move(note));
    replace_with_raw(i, std::move(merged));
    c_.steps.erase(c_.steps.begin() + static_cast<std::ptrdiff_t>(j));
  }

  // The next send of the conversation on send i's socket, if its bytes are
  // known and the socket stays open in between; SIZE_MAX otherwise.
  std::size_t next_send_on_same_socket(std::size_t i) const {
    const std::string& connection = c_.steps[i].step.connection;
    for (std::size_t k = i + 1; k < conversation_end(); ++k) {
      const case_step& s = c_.steps[k];
      if (s.step.connection != connection) continue;
      if (s.step.what == step_kind::send) return is_mutable_send(s) ? k : SIZE_MAX;
      if (s.step.what == step_kind::connect || s.step.what == step_kind::close) return SIZE_MAX;
    }
    return SIZE_MAX;
  }

  // "lines 4 and 6", or each send's own name when one was inserted.
  std::string both(std::size_t i, std::size_t j) const {
    const auto a = c_.steps[i].origin_line, b = c_.steps[j].origin_line;
    if (a && b) return "lines " + std::to_string(a) + " and " + std::to_string(b);
    return where(i) + " and " + where(j);
  }

  // A server that keys its sessions on the peer's address must take a
  // datagram from another source port (a spoofed-looking one) for a
  // stranger's, not for the next message of the conversation.
  void send_from_fresh_socket() {
    std::vector<std::size_t> sends;
    for (std::size_t i = 0; i < conversation_end(); ++i)
      if (c_.steps[i].step.what == step_kind::send) sends.push_back(i);
    const std::string name = fresh_connection_name();
    if (sends.empty() || name.empty()) return resize_datagram();
    const std::size_t i = sends[rng_.below(sends.size())];
    c_.notes.push_back(where(i) + " sent from a fresh socket (another source port)");
    std::vector<case_step> opening;
    opening.push_back({detail::step_on(name, step_kind::connect), 0, true, false});
    // The send keeps the framing its own socket had reached.
    if (auto framing = framing_step_before(i)) {
      framing->connection = name;
      opening.push_back({std::move(*framing), 0, true, false});
    }
    c_.steps[i].step.connection = name;
    c_.steps[i].mutated = true;
    // Its reply, if any, comes back to the fresh socket.
    const case_step reply{relaxed_expect(name, m_.options().quiet, script_transport::udp), 0, true,
                          false};
    c_.steps.insert(c_.steps.begin() + static_cast<std::ptrdiff_t>(i) + 1, reply);
    c_.steps.insert(c_.steps.begin() + static_cast<std::ptrdiff_t>(i), opening.begin(),
                    opening.end());
  }

  // "f1", "f2"...: the first no connection of the baseline or the case
  // uses (probe connections start with "probe"); empty when the case has
  // as many connections as a script may.
  std::string fresh_connection_name() const {
    std::set<std::string> taken = {"main"};
    for (const auto& name : m_.baseline().connections())
      taken.insert(name);
    for (const auto& s : c_.steps)
      taken.insert(s.step.connection);
    if (taken.size() >= script_limits::most_connections) return {};
    for (std::size_t n = 1;; ++n)
      if (!taken.count("f" + std::to_string(n))) return "f" + std::to_string(n);
  }

  // The last `framing` step on step i's connection before it, if any.
  std::optional<script_step> framing_step_before(std::size_t i) const {
    for (std::size_t k = i; k-- > 0;)
      if (c_.steps[k].step.what == step_kind::framing &&
          c_.steps[k].step.connection == c_.steps[i].step.connection)
        return c_.steps[k].step;
    return std::nullopt;
  }

  // A server that reads into a buffer of 1K, 2K, 4K or 8K truncates or
  // overruns at one of these sizes; an empty datagram is a message with
  // nothing in it, which a read loop may take for an error or the end.
  void resize_datagram() {
    static constexpr std::array<std::size_t, 12> edges = {0,    1023, 1024, 1025, 2047, 2048,
                                                          2049, 4095, 4096, 4097, 8192, 8193};
    const std::size_t i = pick_send();
    if (i == SIZE_MAX) return conversation();
    use_framing_of(i);
    const std::size_t size = std::min(edges[rng_.below(edges.size())], largest_payload());
    c_.notes.push_back(where(i) + ": datagram resized to " + std::to_string(size) + " bytes");
    replace_with_raw(i, resized(wire_of(c_.steps[i].step), size));
  }

  const conversation_mutator& m_;
  framing_spec spec_; // of the step being mutated
  const word_list& words_;
  const fuzz_case* donor_; // another corpus entry to splice sends from, if any
  const std::vector<replacement>* replacements_;
  const std::vector<byte_buffer>* commands_;
  const bool datagrams_; // the baseline is `transport udp`
  fuzz_case& c_;
  random_stream& rng_;
};

// After the first mutated step, replies cannot be predicted. The client
// says the rest of what it has to say without waiting for answers (sends
// that need a value captured after the mutation are dropped: the value will
// not be there), half-closes, and takes whatever comes: a frame, a close, a
// reset, or a short silence. Waiting for each reply in turn would spend a
// silence on every one a confused server never sends; after the client's
// FIN most servers close at once. Under udp there is no FIN to send: the
// client reads at once.
//
// `settled` names connections a parent case already waited on: their
// expects went when the parent was relaxed, and they are settled again.
void relax_after_first_mutation(fuzz_case& c, duration quiet, script_transport transport,
                                const std::set<std::string>& settled = {}) {
  const std::size_t end = [&] {
    std::size_t i = 0;
    while (i < c.steps.size() && !c.steps[i].probe)
      ++i;
    return i;
  }();
  std::size_t first = end;
  for (std::size_t i = 0; i < end; ++i)
    if (c.steps[i].mutated) {
      first = i;
      break;
    }
  if (first == end) return;
  std::set<std::string> lost;
  std::set<std::string> expected_on = settled;
  std::set<std::string> ended; // closed, reset or shut down by the case itself
  std::vector<case_step> rest;
  bool carry = false; // a dropped expect's mark passes to the next step kept
  for (std::size_t i = first; i < end; ++i) {
    case_step& s = c.steps[i];
    const auto& step = s.step;
    if (step.what == step_kind::expect) {
      for (const auto& e : step.alternatives)
        if (!e.capture.empty()) lost.insert(e.capture);
      expected_on.insert(step.connection);
      carry |= s.mutated;
      continue;
    }
    s.mutated |= carry;
    carry = false;
    // A sync point: what follows may only be sent once the replies before
    // it came, which after a mutation nobody can tell. The client stops
    // sending there.
    if (step.what == step_kind::sync) break;
    const auto variables = step.payload.variables();
    if (step.what == step_kind::send &&
        std::any_of(variables.begin(), variables.end(),
                    [&](const std::string& name) { return lost.count(name) != 0; }))
      continue;
    if (step.what == step_kind::close || step.what == step_kind::reset ||
        step.what == step_kind::shutdown)
      ended.insert(step.connection);
    rest.push_back(std::move(s));
  }
  for (const auto& connection : expected_on) {
    if (ended.count(connection)) continue;
    if (transport == script_transport::tcp) {
      case_step fin;
      fin.step.what = step_kind::shutdown;
      fin.step.connection = connection;
      fin.mutated = fin.settles = true;
      rest.push_back(fin);
    }
    case_step answer;
    answer.step = relaxed_expect(connection, quiet, transport);
    answer.mutated = answer.settles = true;
    rest.push_back(std::move(answer));
  }
  // The answer may be a reply to an earlier frame, sent before the server
  // got to the one that breaks it: a pause lets it get there before the
  // probe looks, so that a finding replays the same every time.
  if (!expected_on.empty()) {
    case_step settle;
    settle.step = pause(quiet);
    settle.mutated = settle.settles = true;
    rest.push_back(std::move(settle));
  }
  std::vector<case_step> steps(c.steps.begin(),
                               c.steps.begin() + static_cast<std::ptrdiff_t>(first));
  steps.insert(steps.end(), std::make_move_iterator(rest.begin()),
               std::make_move_iterator(rest.end()));
  steps.insert(steps.end(),
               std::make_move_iterator(c.steps.begin() + static_cast<std::ptrdiff_t>(end)),
               std::make_move_iterator(c.steps.end()));
  c.steps = std::move(steps);
}

// Sends whose variables no earlier expect captures any more (a swap moved
// the send ahead of its capture, a fault removed the capture) are dropped:
// the value would never be there.
void drop_unbound_sends(fuzz_case& c) {
  // A built-in value (${token}) is bound from the start, unless the script
  // captures a variable of that name: then it meant the capture.
  std::set<std::string> captured;
  for (const auto& s : c.steps)
    for (const auto& e : s.step.alternatives)
      if (!e.capture.empty()) captured.insert(e.capture);
  std::set<std::string> bound;
  for (std::size_t i = 0; i < c.steps.size();) {
    const script_step& step = c.steps[i].step;
    if (step.what == step_kind::expect)
      for (const auto& e : step.alternatives)
        if (!e.capture.empty()) bound.insert(e.capture);
    const auto variables = step.payload.variables();
    const bool unbound =
        step.what == step_kind::send && !c.steps[i].probe &&
        std::any_of(variables.begin(), variables.end(), [&](const std::string& name) {
          return !bound.count(name) && (!is_builtin_variable(name) || captured.count(name));
        });
    if (unbound)
      c.steps.erase(c.steps.begin() + static_cast<std::ptrdiff_t>(i));
    else
      ++i;
  }
}

} // namespace

script_step relaxed_expect(const std::string& connection, duration quiet,
                           script_transport transport) {
  script_step step;
  step.what = step_kind::expect;
  step.connection = connection;
  for (const auto what : {expectation::kind::any, expectation::kind::close,
                          expectation::kind::reset, expectation::kind::silence}) {
    const bool stream_only = what == expectation::kind::close || what == expectation::kind::reset;
    if (stream_only && transport == script_transport::udp) continue;
    expectation e;
    e.what = what;
    if (what == expectation::kind::silence) e.quiet = quiet;
    step.alternatives.push_back(std::move(e));
  }
  return step;
}

conversation_mutator::conversation_mutator(script baseline, framing_spec spec,
                                           std::vector<byte_buffer> dictionary,
                                           mutator_options options)
    : baseline_(std::move(baseline)), spec_(std::move(spec)), options_(options) {
  dictionary_ = script_dictionary(baseline_, spec_);
  for (auto& word : dictionary)
    if (!word.empty()) dictionary_.push_back(std::move(word));
  if (dictionary_.empty()) dictionary_.push_back({0x00});
  for (auto& step : detail::liveness_probe(baseline_, detail::probe_names(baseline_))) {
    const std::size_t line = step.line; // a copy of the baseline's step keeps its line
    probe_.push_back({std::move(step), line, false, true});
  }
}

fuzz_case conversation_mutator::make(std::uint64_t seed, std::uint64_t index) const {
  return make(seed, index, {});
}

fuzz_case conversation_mutator::make(std::uint64_t seed, std::uint64_t index,
                                     const mutation_sources& from) const {
  fuzz_case c;
  c.seed = seed;
  c.index = index;
  std::set<std::string> settled;
  if (from.parent) {
    // A corpus entry goes on from its conversation; its settling steps and
    // probe are made again after the new mutations.
    c.steps.reserve(from.parent->steps.size() + probe_.size());
    for (const auto& s : from.parent->steps) {
      if (s.settles && s.step.what == step_kind::expect) settled.insert(s.step.connection);
      if (!s.probe && !s.settles) c.steps.push_back(s);
    }
    c.notes = from.parent->notes;
  } else {
    c.steps.reserve(baseline_.steps.size() + probe_.size());
    for (const auto& step : baseline_.steps)
      c.steps.push_back({step, step.line, false, false});
  }
  c.steps.insert(c.steps.end(), probe_.begin(), probe_.end());
  random_stream rng(seed, index);
  const word_list words(dictionary_, from);
  const std::size_t count = 1 + rng.below(options_.most_mutations);
  for (std::size_t k = 0; k < count; ++k)
    mutation(*this, words, from, c, rng).apply();
  // A long lineage keeps its latest notes: what made this case, not its history.
  constexpr std::size_t most_notes = 12;
  if (c.notes.size() > most_notes)
    c.notes.erase(c.notes.begin(), c.notes.end() - static_cast<std::ptrdiff_t>(most_notes));
  relax_after_first_mutation(c, options_.quiet, baseline_.transport, settled);
  drop_unbound_sends(c);
  return c;
}

script unchecked_script(const fuzz_case& c, const script& baseline) {
  script s;
  s.description =
      "tcpcheck fuzz case " + std::to_string(c.index) + " of seed " + std::to_string(c.seed);
  s.transport = baseline.transport;
  s.framing = baseline.framing;
  s.timeout = baseline.timeout;
  s.ignored = baseline.ignored;
  s.steps.reserve(c.steps.size());
  for (const auto& step : c.steps)
    s.steps.push_back(step.step);
  return s;
}

std::optional<script> try_to_script(const fuzz_case& c, const script& baseline) {
  script header = unchecked_script(c, baseline);
  std::vector<script_step> steps = std::move(header.steps);
  // As the case's printed text would read back (its lines numbered for the
  // verdicts), without printing and parsing it: that was a third of the
  // time it took to make a case.
  script_error error;
  return assemble_script(header, std::move(steps), error);
}

script to_script(const fuzz_case& c, const script& baseline) {
  auto s = try_to_script(c, baseline);
  // The mutator only makes cases that parse (its tests check thousands);
  // a minimizer's candidates go through try_to_script instead.
  if (!s) throw std::logic_error("a fuzz case does not parse as a script");
  return *std::move(s);
}

std::vector<byte_buffer> script_dictionary(const script& baseline, const framing_spec& spec) {
  // Ordered and unique; kept as strings (GCC 12 warns falsely on sets of
  // byte vectors, in lexicographical_compare_three_way).
  std::set<std::string> words;
  const auto add = [&](byte_view bytes) {
    if (!bytes.empty() && bytes.size() <= 64) words.insert(std::string(as_text(bytes)));
  };
  for (const auto& step : baseline.steps) {
    if (step.what == step_kind::send)
      for (const auto& seg : step.payload.segments)
        if (!seg.is_variable) add(seg.bytes);
    for (const auto& e : step.alternatives)
      for (const auto& seg : e.text.segments)
        if (!seg.is_variable) add(seg.bytes);
  }
  for (const auto& d : spec.delimiters)
    add(d);
  if (spec.kind == framing_kind::line) add(as_bytes("\r\n"));
  std::vector<byte_buffer> out;
  for (const auto& w : words)
    out.emplace_back(w.begin(), w.end());
  return out;
}

bool parse_dictionary(std::string_view text, std::vector<byte_buffer>& words, std::string& error) {
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t'))
      line.remove_prefix(1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r'))
      line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    const auto open = line.find('"');
    if (open == std::string_view::npos || line.size() < open + 2 || line.back() != '"') {
      error = "line " + std::to_string(line_number) + ": expected \"word\" or name=\"word\"";
      return false;
    }
    const std::string_view body = line.substr(open + 1, line.size() - open - 2);
    byte_buffer word;
    for (std::size_t i = 0; i < body.size(); ++i) {
      if (body[i] != '\\') {
        word.push_back(static_cast<std::uint8_t>(body[i]));
        continue;
      }
      if (i + 1 < body.size() && (body[i + 1] == '\\' || body[i + 1] == '"')) {
        word.push_back(static_cast<std::uint8_t>(body[++i]));
      } else if (i + 3 < body.size() && body[i + 1] == 'x' &&
                 std::isxdigit(static_cast<unsigned char>(body[i + 2])) &&
                 std::isxdigit(static_cast<unsigned char>(body[i + 3]))) {
        word.push_back(
            static_cast<std::uint8_t>(std::stoul(std::string(body.substr(i + 2, 2)), nullptr, 16)));
        i += 3;
      } else {
        error = "line " + std::to_string(line_number) + ": unknown escape in \"" +
                std::string(body) + "\" (\\\\, \\\" and \\xNN only)";
        return false;
      }
    }
    if (!word.empty()) words.push_back(std::move(word));
  }
  return true;
}

} // namespace tcpcheck
