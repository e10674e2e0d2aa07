// Generalizing two recordings of one conversation (recording/generalize.hpp):
// the shapes compared, server frames that differ made patterns, the values
// a client echoes made captures.
#include "tcpcheck/recording/generalize.hpp"

#include "tcpcheck/escape.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "frame_alignment.hpp"
#include "frame_pattern.hpp"
#include "recording_shape.hpp"

namespace tcpcheck {

namespace {

using detail::aligned_part;
using detail::capture_span;
using detail::equal_but_line;
using detail::shown;
using detail::where;

// --- Values in notes ------------------------------------------------------------------

std::string shown(std::string_view value) {
  constexpr std::size_t longest = 24;
  const bool cut = value.size() > longest;
  return "\"" + escape(as_bytes(value.substr(0, longest)), "\"", true) + (cut ? "...\"" : "\"");
}

std::string_view in_a(std::string_view a, const aligned_part& p) {
  return a.substr(p.a_begin, p.a_end - p.a_begin);
}
std::string_view in_b(std::string_view b, const aligned_part& p) {
  return b.substr(p.b_begin, p.b_end - p.b_begin);
}

// "\"4f2a\" / \"91bc\"" for the first few parts that differ.
std::string differences(std::string_view a, std::string_view b,
                        const std::vector<aligned_part>& parts) {
  constexpr std::size_t most_shown = 3;
  std::string out;
  std::size_t count = 0;
  for (const aligned_part& p : parts) {
    if (!p.differs || count++ >= most_shown) continue;
    out += (out.empty() ? "" : ", ") + shown(in_a(a, p)) + " / " + shown(in_b(b, p));
  }
  if (count > most_shown) out += " and " + std::to_string(count - most_shown) + " more";
  return out;
}

// Every variable name either recording uses, so new ones do not clash.
std::set<std::string> names_used(const script& first, const script& second) {
  std::set<std::string> names;
  const auto add_text = [&](const script_text& t) {
    for (auto& name : t.variables())
      names.insert(std::move(name));
  };
  const auto add_expectation = [&](const expectation& e) {
    if (!e.capture.empty()) names.insert(e.capture);
    add_text(e.text);
  };
  for (const script* s : {&first, &second}) {
    for (const expectation& e : s->ignored)
      add_expectation(e);
    for (const script_step& step : s->steps) {
      add_text(step.payload);
      add_text(step.endpoint);
      for (const expectation& e : step.alternatives)
        add_expectation(e);
    }
  }
  return names;
}

// --- One generalize call -----------------------------------------------------------------

// An expect whose frame differs between the recordings, made a pattern.
struct server_frame {
  std::size_t step = 0;
  std::string a, b; // the frame in each recording
  std::vector<aligned_part> parts;
  std::optional<capture_span> capture;
  std::string variable;
  std::vector<capture_span> refused; // spans whose pattern captured another value
};

// A part of a send that is a value a server frame gave: bytes [a_begin,
// a_end) of the first recording's send and [b_begin, b_end) of the second's.
struct echo {
  std::size_t frame = 0; // index into the server frames
  capture_span span;
  std::size_t a_begin = 0, a_end = 0, b_begin = 0, b_end = 0;
};

struct substitution {
  std::size_t a_begin = 0, a_end = 0;
  std::string variable;
  std::string b_value;
};

class generalizer {
public:
  generalizer(const script& first, const script& second)
      : first_(first), second_(second), general_(first), taken_(names_used(first, second)),
        peer_(first.role == script_role::client ? "the server" : "the client"),
        self_(first.role == script_role::client ? "the client" : "tcpcheck") {}

  generalize_result run() {
    compare_headers();
    for (std::size_t i = 0; i < first_.steps.size(); ++i)
      if (!equal_but_line(first_.steps[i], second_.steps[i])) generalize_step(i);
    for (const server_frame& f : frames_)
      write_pattern(f);
    return {std::move(general_), std::move(notes_)};
  }

private:
  void note(std::size_t i, const std::string& text) {
    notes_.push_back(where(first_.steps[i], i) + ": " + text);
  }

  void compare_headers() {
    if (first_.timeout != second_.timeout)
      notes_.push_back("the recordings' timeouts differ: the first's is kept");
    if (first_.ignored != second_.ignored)
      notes_.push_back("the recordings' ignore lines differ: the first's are kept");
  }

  void generalize_step(std::size_t i) {
    const script_step &a = first_.steps[i], &b = second_.steps[i];
    if (a.what == script_step::kind::expect && differs_in_text_only(a, b))
      return generalize_expect(i);
    if (a.what == script_step::kind::send && a.fields == b.fields && a.payload.is_literal() &&
        b.payload.is_literal())
      return generalize_send(i);
    note(i, "differs between the recordings (the second has " + shown(b, second_.role) +
                "): kept as in the first");
  }

  // One exact outcome on each side, literal text, same header fields and
  // timeout: only the frame's bytes differ.
  static bool differs_in_text_only(const script_step& a, const script_step& b) {
    if (a.alternatives.size() != 1) return false;
    const expectation &ea = a.alternatives[0], &eb = b.alternatives[0];
    if (ea.what != expectation::kind::exact || !ea.text.is_literal() || !eb.text.is_literal())
      return false;
    script_step a_bare = a, b_bare = b;
    a_bare.alternatives[0].text = b_bare.alternatives[0].text = {};
    return equal_but_line(a_bare, b_bare);
  }

  static std::string literal_of(const script_text& text) {
    const auto bytes = literal_payload(text);
    return bytes ? std::string(as_text(*bytes)) : std::string();
  }

  void generalize_expect(std::size_t i) {
    server_frame f{i,
                   literal_of(first_.steps[i].alternatives[0].text),
                   literal_of(second_.steps[i].alternatives[0].text),
                   {},
                   {},
                   {},
                   {}};
    f.parts = detail::align_frames(f.a, f.b, alignment_);
    const std::string values = differences(f.a, f.b, f.parts);
    if (!detail::pattern_matches(detail::pattern_for(f.a, f.b, f.parts, {}),
                                 {{f.a, {}}, {f.b, {}}})) {
      note(i, peer_ + "'s frame differs (" + values + ") but no pattern of at most " +
                  std::to_string(script_limits::longest_regex) +
                  " characters matches both: kept as in the first");
      return;
    }
    note(i, peer_ + "'s frame differs (" + values + "): matched by a pattern");
    frames_.push_back(std::move(f));
  }

  void generalize_send(std::size_t i) {
    const std::string a = literal_of(first_.steps[i].payload);
    const std::string b = literal_of(second_.steps[i].payload);
    const std::vector<aligned_part> parts = detail::align_frames(a, b, alignment_);
    std::vector<substitution> substitutions;
    std::size_t covered = 0; // bytes of `a` up to the last substitution's end
    for (const aligned_part& p : parts) {
      if (!p.differs || p.a_begin < covered) continue;
      const auto found = find_echo(i, a, b, p);
      if (!found) continue;
      server_frame& f = frames_[found->frame];
      substitutions.push_back({found->a_begin, found->a_end, f.variable,
                               b.substr(found->b_begin, found->b_end - found->b_begin)});
      covered = found->a_end;
      note(i, "sends the value " + peer_ + " sent at " + where(first_.steps[f.step], f.step) +
                  " (" + shown(a.substr(found->a_begin, found->a_end - found->a_begin)) + " / " +
                  shown(substitutions.back().b_value) + ") as ${" + f.variable + "}");
    }
    general_.steps[i].payload = with_variables(a, substitutions);
    if (rendered_in_second(a, substitutions) == b) return;
    const auto unexplained = outside(parts, substitutions);
    note(i, self_ + "'s frame differs (" +
                differences(a, b, unexplained.empty() ? parts : unexplained) + ") where no value " +
                peer_ + " sent explains it (a value of " + self_ +
                "'s own, such as a timestamp?): kept as in the first");
  }

  // The differing parts no substitution covers.
  static std::vector<aligned_part> outside(const std::vector<aligned_part>& parts,
                                           const std::vector<substitution>& subs) {
    std::vector<aligned_part> out;
    for (const aligned_part& p : parts) {
      const bool covered = std::any_of(subs.begin(), subs.end(), [&](const substitution& s) {
        return s.a_begin <= p.a_begin && p.a_end <= s.a_end;
      });
      if (p.differs && !covered) out.push_back(p);
    }
    return out;
  }

  // `a` with the substitutions' bytes replaced: by their variables.
  static script_text with_variables(const std::string& a, const std::vector<substitution>& subs) {
    script_text text;
    std::size_t at = 0;
    for (const substitution& s : subs) {
      if (s.a_begin > at)
        text.segments.push_back(script_text::segment::literal(bytes_in(a, at, s.a_begin)));
      script_text::segment variable;
      variable.is_variable = true;
      variable.variable = s.variable;
      text.segments.push_back(std::move(variable));
      at = s.a_end;
    }
    if (at < a.size() || text.segments.empty())
      text.segments.push_back(script_text::segment::literal(bytes_in(a, at, a.size())));
    return text;
  }

  static byte_buffer bytes_in(const std::string& s, std::size_t begin, std::size_t end) {
    const byte_view all = as_bytes(s);
    return {all.begin() + static_cast<std::ptrdiff_t>(begin),
            all.begin() + static_cast<std::ptrdiff_t>(end)};
  }

  // The send as the second recording would render it: each substitution by
  // its value there.
  static std::string rendered_in_second(const std::string& a,
                                        const std::vector<substitution>& subs) {
    std::string out;
    std::size_t at = 0;
    for (const substitution& s : subs) {
      out.append(a, at, s.a_begin - at);
      out += s.b_value;
      at = s.a_end;
    }
    return out + a.substr(at);
  }

  // The most recent server frame with a differing value that the send's
  // part `p` carries in both recordings, and that can be captured.
  std::optional<echo> find_echo(std::size_t i, const std::string& a, const std::string& b,
                                const aligned_part& p) {
    for (std::size_t f = frames_.size(); f-- > 0;) {
      for (std::size_t k = 0; k < frames_[f].parts.size(); ++k) {
        if (!frames_[f].parts[k].differs) continue;
        const std::uint64_t cost = (p.a_end - p.a_begin) + (p.b_end - p.b_begin) + 1;
        if (!spend(i, cost)) return std::nullopt;
        auto found = echo_at(frames_[f], k, a, b, p);
        if (found && capture(frames_[f], found->span)) {
          found->frame = f;
          return found;
        }
      }
    }
    return std::nullopt;
  }

  // Whether part `p` of the send holds differing part `k` of `f`: the
  // same bytes before it in both recordings, then each recording's value;
  // then as many of `f`'s following parts as the send goes on with.
  static std::optional<echo> echo_at(const server_frame& f, std::size_t k, const std::string& a,
                                     const std::string& b, const aligned_part& p) {
    const std::string_view va = in_a(f.a, f.parts[k]), vb = in_b(f.b, f.parts[k]);
    if (va.empty() || vb.empty()) return std::nullopt;
    const std::size_t offset = in_a(a, p).find(va);
    if (offset == std::string_view::npos || offset > p.b_end - p.b_begin) return std::nullopt;
    const std::size_t b_at = p.b_begin + offset;
    if (a.compare(p.a_begin, offset, b, p.b_begin, offset) != 0 ||
        b.compare(b_at, vb.size(), vb) != 0)
      return std::nullopt;
    echo e{0, {k, k}, p.a_begin + offset, p.a_begin + offset + va.size(), b_at, b_at + vb.size()};
    while (e.span.last + 2 < f.parts.size()) {
      const aligned_part &shared = f.parts[e.span.last + 1], &next = f.parts[e.span.last + 2];
      const std::string more_a = std::string(in_a(f.a, shared)) + std::string(in_a(f.a, next));
      const std::string more_b = std::string(in_b(f.b, shared)) + std::string(in_b(f.b, next));
      if (a.compare(e.a_end, more_a.size(), more_a) != 0 ||
          b.compare(e.b_end, more_b.size(), more_b) != 0)
        break;
      e.a_end += more_a.size();
      e.b_end += more_b.size();
      e.span.last += 2;
    }
    return e;
  }

  // Makes `span` the capture of `f` (one per expect step), unless it has
  // another, or its pattern would then not capture the value in both.
  bool capture(server_frame& f, const capture_span& span) {
    if (f.capture) return *f.capture == span;
    if (std::find(f.refused.begin(), f.refused.end(), span) != f.refused.end()) return false;
    if (!spend(f.step, f.a.size() + f.b.size() + script_limits::longest_regex)) return false;
    const aligned_part &from = f.parts[span.first], &to = f.parts[span.last];
    const std::string_view value_a =
        std::string_view(f.a).substr(from.a_begin, to.a_end - from.a_begin);
    const std::string_view value_b =
        std::string_view(f.b).substr(from.b_begin, to.b_end - from.b_begin);
    if (!detail::pattern_matches(detail::pattern_for(f.a, f.b, f.parts, span),
                                 {{f.a, value_a}, {f.b, value_b}})) {
      f.refused.push_back(span);
      return false;
    }
    f.capture = span;
    f.variable = fresh_name();
    return true;
  }

  // Whether the search for echoes may go on, `cost` bytes further; said
  // once, at step `i`, when it may not.
  bool spend(std::size_t i, std::uint64_t cost) {
    if (cost <= echo_search_left_) {
      echo_search_left_ -= cost;
      return true;
    }
    if (!search_stopped_)
      note(i, "the search for values echoed from the server stops here, at its bound: later "
              "differences are kept as in the first");
    search_stopped_ = true;
    return false;
  }

  std::string fresh_name() {
    for (;; ++next_name_) {
      std::string name = "v" + std::to_string(next_name_);
      if (!is_builtin_variable(name) && taken_.insert(name).second) return name;
    }
  }

  void write_pattern(const server_frame& f) {
    expectation& e = general_.steps[f.step].alternatives[0];
    e.what = expectation::kind::regex;
    e.pattern = detail::pattern_for(f.a, f.b, f.parts, f.capture);
    e.capture = f.variable;
    e.text = {};
  }

  const script& first_;
  const script& second_;
  script general_;
  std::vector<std::string> notes_;
  std::vector<server_frame> frames_;
  std::set<std::string> taken_;
  std::string peer_, self_; // who sent the expected frames, who the sends
  std::size_t next_name_ = 1;
  detail::alignment_budget alignment_;
  /// Bytes searched for echoes, in all: each differing part of a send is
  /// compared with every differing value of the frames before it, and a
  /// frame's pattern with a capture is matched against both frames again.
  std::uint64_t echo_search_left_ = std::uint64_t{1} << 26;
  bool search_stopped_ = false;
};

} // namespace

std::optional<generalize_result> generalize(const script& first, const script& second,
                                            std::string& why) {
  if (auto difference = detail::shape_difference(first, second)) {
    why = "not two recordings of one conversation: " + *std::move(difference);
    return std::nullopt;
  }
  generalize_result result = generalizer(first, second).run();
  // The result is printed, and read back: its lines become those of its
  // canonical text, and a script that would not read back is refused here.
  script_error error;
  auto reread = parse_script(to_string(result.general), error);
  if (!reread) {
    why = "the generalized script does not read back: " + error.to_string("generalized");
    return std::nullopt;
  }
  result.general = *std::move(reread);
  return result;
}

} // namespace tcpcheck
