// Fuzz target: the proxy's stream shaper. It writes, in time order, a prefix
// of what it was pushed and nothing after its ending, sees the frame
// decoder's frames, and keeps to its memory bound, under disturbances read
// from the input's first words or drawn from it.
#include "tcpcheck/escape.hpp"
#include "tcpcheck/frame_decoder.hpp"
#include "tcpcheck/proxy/disturbance.hpp"
#include "tcpcheck/proxy/stream_shaper.hpp"

#include <FuzzedDataProvider.h>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "disturbance_checks.hpp"

namespace {

using tcpcheck::byte_buffer;
using tcpcheck::byte_view;
using tcpcheck::disturbance;
using tcpcheck::fuzz::check_words;
using tcpcheck::fuzz::quoted;
using tcpcheck::fuzz::report;
using clock_type = tcpcheck::stream_shaper::clock;
using namespace std::chrono_literals;

// Valid disturbance words drawn from the input, with values near the
// shaper's boundaries (a few bytes, a few frames, milliseconds).
std::string draw_words(FuzzedDataProvider& in) {
  const auto flags = in.ConsumeIntegral<std::uint8_t>();
  if ((flags & 0x7f) == 0x7f) return "blackhole";
  std::string words;
  const auto add = [&](const std::string& word) { words += (words.empty() ? "" : " ") + word; };
  switch (in.ConsumeIntegralInRange<int>(0, 6)) {
  case 0:
    break;
  case 1:
    add("plan=whole");
    break;
  case 2:
    add("plan=bytewise");
    break;
  case 3:
    add("plan=chunk:" + std::to_string(in.ConsumeIntegralInRange<int>(1, 9)));
    break;
  case 4:
    add("plan=random:" + std::to_string(in.ConsumeIntegral<std::uint16_t>()));
    break;
  case 5:
    add("plan=split-header");
    break;
  case 6:
    add("plan=merged");
    break;
  }
  if (flags & 0x01) add("latency=" + std::to_string(in.ConsumeIntegralInRange<int>(0, 90)) + "ms");
  if (flags & 0x02) add("jitter=" + std::to_string(in.ConsumeIntegralInRange<int>(0, 30)) + "ms");
  if (flags & 0x04) {
    static constexpr const char* rates[] = {"1", "7", "100", "1k", "64k", "1M"};
    add(std::string("rate=") + in.PickValueInArray(rates));
  }
  if (flags & 0x08)
    add("stall=" + std::to_string(in.ConsumeIntegralInRange<int>(0, 300)) + ":" +
        std::to_string(in.ConsumeIntegralInRange<int>(1, 3000)) + "ms");
  if (flags & 0x10) {
    static constexpr const char* endings[] = {"close-after", "reset-after", "half-close-after"};
    const std::string key = in.PickValueInArray(endings);
    if (flags & 0x20)
      add(key + "-frame=" + std::to_string(in.ConsumeIntegralInRange<int>(1, 12)));
    else
      add(key + "=" + std::to_string(in.ConsumeIntegralInRange<int>(1, 400)));
  }
  return words;
}

disturbance draw_disturbance(FuzzedDataProvider& in) {
  const std::string words = draw_words(in);
  auto d = check_words(words);
  if (!d) report("the target drew words that do not parse", quoted(words));
  return *d;
}

// An observed frame's payload, compared later without a copy.
std::size_t hash_of(byte_view bytes) {
  return std::hash<std::string_view>{}(tcpcheck::as_text(bytes));
}

struct seen_frame {
  std::uint64_t offset = 0, wire_size = 0, payload_size = 0;
  std::size_t head_size = 0; // payload bytes shown
  std::size_t head_hash = 0;
};

struct timed_push {
  std::size_t end = 0; // offset after the push in the bytes forwarded
  clock_type::time_point at;
};

struct popped {
  tcpcheck::shaped_action action;
  clock_type::time_point at; // the pop's `now`
  std::size_t start = 0;     // offset of a write's first byte in the bytes written
};

struct shaper_run {
  disturbance first;
  std::string spec_text;
  byte_buffer pushed;
  // What was pushed while the disturbance then was no blackhole: what the
  // shaper forwards, up to its ending. The whole stream unless a change or
  // a blackhole.
  byte_buffer forwarded;
  std::vector<timed_push> pushes;
  clock_type::time_point end_at;
  bool by_reset = false; // the sender reset rather than closed
  std::vector<seen_frame> frames;
  std::vector<popped> actions;
  byte_buffer written;
  bool changed = false;
};

std::string describe(const shaper_run& run, const tcpcheck::stream_shaper& shaper) {
  std::string out = "disturbance " + quoted(tcpcheck::to_string(run.first)) + " (now " +
                    quoted(tcpcheck::to_string(shaper.current())) + "), framing " + run.spec_text +
                    "\npushes (end offset @ us):";
  const auto us = [](clock_type::time_point t) {
    return std::to_string(
        std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count());
  };
  for (const auto& p : run.pushes)
    out += " " + std::to_string(p.end) + "@" + us(p.at);
  out += std::string("\n") + (run.by_reset ? "reset" : "end") + " @" + us(run.end_at) +
         "\nframes seen (offset+wire, payload):";
  for (std::size_t i = 0; i < run.frames.size() && i < 32; ++i)
    out += " " + std::to_string(run.frames[i].offset) + "+" +
           std::to_string(run.frames[i].wire_size) + "," +
           std::to_string(run.frames[i].payload_size);
  out += "\nactions (kind start+size due/popped):";
  for (std::size_t i = 0; i < run.actions.size(); ++i) {
    if (i == 40 && run.actions.size() > 48) {
      out += "\n  ...";
      i = run.actions.size() - 8;
    }
    const auto& a = run.actions[i];
    out += "\n  " + std::to_string(static_cast<int>(a.action.what)) + " " +
           std::to_string(a.start) + "+" + std::to_string(a.action.bytes.size()) + " " +
           us(a.action.due) + "/" + us(a.at);
  }
  const auto shown = [](const byte_buffer& b) {
    return b.size() > 512 ? tcpcheck::escape(byte_view(b).first(512)) + "... (" +
                                std::to_string(b.size()) + " bytes)"
                          : tcpcheck::escape(b);
  };
  out += "\npushed:  " + shown(run.pushed);
  if (run.forwarded != run.pushed) out += "\nto forward: " + shown(run.forwarded);
  out += "\nwritten: " + shown(run.written);
  return out;
}

// Whether the disturbance ends the direction after a number of frames.
bool ends_after_frames(const disturbance& d) {
  return d.end != disturbance::ending::none && d.end_counts_frames;
}

// When the byte at `offset` in the bytes to forward was pushed.
clock_type::time_point pushed_at(const shaper_run& run, std::size_t offset) {
  const auto p = std::upper_bound(run.pushes.begin(), run.pushes.end(), offset,
                                  [](std::size_t o, const timed_push& q) { return o < q.end; });
  return p == run.pushes.end() ? run.end_at : p->at;
}

void pop_due(tcpcheck::stream_shaper& shaper, shaper_run& run, clock_type::time_point now) {
  while (auto action = shaper.pop(now)) {
    popped p{std::move(*action), now, run.written.size()};
    if (p.action.what == tcpcheck::shaped_action::kind::write)
      run.written.insert(run.written.end(), p.action.bytes.begin(), p.action.bytes.end());
    run.actions.push_back(std::move(p));
  }
  if (const auto due = shaper.next_due(); due && *due <= now)
    report("an action is due but pop() holds it back", describe(run, shaper));
}

// The frames the shaper saw are the frame decoder's (frame_boundaries
// finds the same frames and error holding only a frame's head); returns
// where the frames end, up to the one that ends the direction when the
// first disturbance counts frames (typed words may count past the 12 that
// drawn ones do).
std::vector<std::size_t> check_frames(const shaper_run& run, const tcpcheck::stream_shaper& shaper,
                                      const tcpcheck::framing_spec& spec) {
  const auto fail = [&](const char* what) { report(what, describe(run, shaper)); };
  std::vector<std::size_t> ends;
  const disturbance& d = run.first;
  const std::uint64_t ends_wanted = ends_after_frames(d) ? d.end_after : 0;
  if (spec.kind == tcpcheck::framing_kind::raw) {
    if (!run.frames.empty() || shaper.frames_in() != 0) fail("a raw direction counted frames");
    return ends;
  }
  tcpcheck::frame_decoder decoder(spec);
  std::size_t index = 0;
  const auto compare = [&](const tcpcheck::frame& f) {
    if (index >= run.frames.size()) fail("the shaper saw fewer frames than the decoder finds");
    const seen_frame& s = run.frames[index++];
    if (s.offset != f.offset || s.wire_size != f.wire_size || s.payload_size != f.payload.size())
      fail("a frame seen is not where the decoder finds it");
    if (s.head_size > s.payload_size ||
        (s.wire_size <= tcpcheck::frame_head_bytes && s.head_size != s.payload_size) ||
        s.head_size < std::min<std::uint64_t>(s.payload_size, 4096))
      fail("a frame seen shows too little or too much of its payload");
    if (s.head_hash != hash_of(f.payload.first(s.head_size)))
      fail("a frame seen shows other payload bytes than the decoder's");
    if (ends.size() < ends_wanted) ends.push_back(static_cast<std::size_t>(f.offset + f.wire_size));
  };
  std::error_code ec;
  decoder.consume(run.pushed, compare, ec);
  // The stream is finished (its eof policy applied) only when the sender
  // closed it before the disturbance ended the direction.
  if (!run.by_reset && !shaper.ended()) decoder.finish(compare, ec);
  if (index != run.frames.size()) fail("the shaper saw more frames than the decoder finds");
  if (shaper.frames_in() != run.frames.size()) fail("frames_in() is not the frames seen");
  if (!(shaper.decode_error() == decoder.error())) fail("decode_error() is not the decoder's");
  return ends;
}

// The invariants that hold whatever the disturbance and its changes.
void check_shaper_always(const shaper_run& run, const tcpcheck::stream_shaper& shaper) {
  const auto fail = [&](const char* what) { report(what, describe(run, shaper)); };
  if (shaper.queued_bytes() != 0) fail("bytes still queued after everything was popped");
  if (shaper.next_due()) fail("an action still queued after everything was popped");
  if (shaper.bytes_in() != run.pushed.size()) fail("bytes_in() is not what was pushed");
  if (run.written.size() > run.forwarded.size() ||
      !std::equal(run.written.begin(), run.written.end(), run.forwarded.begin()))
    fail("the bytes written are not a prefix of the bytes pushed (outside a blackhole)");
  if (!shaper.ended() && run.written != run.forwarded)
    fail("a direction that did not end left bytes unwritten");
  std::optional<clock_type::time_point> previous;
  int endings = 0;
  for (const auto& a : run.actions) {
    if (endings != 0) fail("an action after a close, reset or half-close");
    if (a.action.due > a.at) fail("pop() handed out an action before it was due");
    if (previous && a.action.due < *previous) fail("due times went backwards");
    previous = a.action.due;
    if (a.action.what != tcpcheck::shaped_action::kind::write)
      ++endings;
    else if (a.action.bytes.empty())
      fail("a write of no bytes");
    else if (a.action.due < pushed_at(run, a.start + a.action.bytes.size() - 1))
      fail("a write due before its bytes were pushed");
  }
}

// How much gets through, and how the direction ends, under one disturbance
// from start to end. Returns how many bytes are written before the ending.
std::size_t check_ending(const shaper_run& run, const tcpcheck::stream_shaper& shaper,
                         const std::vector<std::size_t>& frame_ends) {
  const auto fail = [&](const char* what) { report(what, describe(run, shaper)); };
  const disturbance& d = run.first;
  using kind = tcpcheck::shaped_action::kind;
  std::size_t expected = d.blackhole ? 0 : run.pushed.size();
  bool ends = false;
  if (d.end != disturbance::ending::none) {
    if (!d.end_counts_frames && run.pushed.size() >= d.end_after) {
      ends = true;
      expected = static_cast<std::size_t>(d.end_after);
    } else if (d.end_counts_frames && frame_ends.size() >= d.end_after) {
      ends = true;
      expected = frame_ends[static_cast<std::size_t>(d.end_after - 1)];
    }
  }
  if (shaper.ended() != ends) fail("ended() is not what the disturbance says");
  if (d.blackhole) {
    if (!run.actions.empty()) fail("a blackhole handed out an action");
    return 0;
  }
  if (run.written.size() != expected) fail("not every byte up to the ending was written");
  if (run.actions.empty() || run.actions.back().action.what == kind::write)
    fail("the direction did not end with a close, reset or half-close");
  kind ending = run.by_reset ? kind::reset : kind::close;
  if (ends) {
    static constexpr kind kinds[] = {kind::close, kind::close, kind::reset, kind::half_close};
    ending = kinds[static_cast<int>(d.end)];
  }
  const auto& last = run.actions.back().action;
  if (last.what != ending) fail("the direction ended the wrong way");
  const clock_type::time_point ended_at = ends ? pushed_at(run, expected - 1) : run.end_at;
  if (last.due < ended_at + d.latency) fail("the ending came before its latency");
  return expected;
}

// Where writes begin, of the `expected` bytes written before the ending:
// at every push boundary (pieces never join pushes but under merged) and at
// the stall point, after the stall.
void check_write_starts(const shaper_run& run, const tcpcheck::stream_shaper& shaper,
                        std::size_t expected) {
  const auto fail = [&](const char* what) { report(what, describe(run, shaper)); };
  const disturbance& d = run.first;
  using kind = tcpcheck::shaped_action::kind;
  std::vector<std::size_t> starts;
  for (const auto& a : run.actions)
    if (a.action.what == kind::write) starts.push_back(a.start);
  const auto is_start = [&](std::size_t at) {
    return std::binary_search(starts.begin(), starts.end(), at);
  };
  const auto plan = d.plan.what;
  if (plan != tcpcheck::delivery_plan::kind::merged)
    for (const auto& p : run.pushes)
      if (p.end < expected && !is_start(p.end)) fail("a write joins two pushes");
  if (d.stall && d.stall->after_bytes < expected) {
    const auto at = static_cast<std::size_t>(d.stall->after_bytes);
    if (!is_start(at)) fail("no write begins at the stall point");
    for (const auto& a : run.actions)
      if (a.start == at && a.action.what == kind::write &&
          a.action.due < pushed_at(run, at) + d.latency + d.stall->length)
        fail("the write after the stall point did not wait the stall");
  }
}

// Each write's size and time: the plan's piece sizes, rate's slices and
// pace, the latency, and cutting plans' gaps.
void check_write_pacing(const shaper_run& run, const tcpcheck::stream_shaper& shaper) {
  const auto fail = [&](const char* what) { report(what, describe(run, shaper)); };
  const disturbance& d = run.first;
  using kind = tcpcheck::shaped_action::kind;
  const auto plan = d.plan.what;
  constexpr auto slices_a_second = std::chrono::seconds(1) / tcpcheck::rate_slice;
  const std::uint64_t slice =
      d.rate == 0 ? 0 : std::max<std::uint64_t>(1, d.rate / slices_a_second);
  const popped* previous = nullptr;
  for (const auto& a : run.actions) {
    const std::size_t size = a.action.bytes.size();
    if (a.action.what == kind::write) {
      if (plan == tcpcheck::delivery_plan::kind::bytewise && size != 1)
        fail("bytewise wrote more than a byte at once");
      if (plan == tcpcheck::delivery_plan::kind::chunk && size > d.plan.chunk)
        fail("chunk:N wrote more than N bytes at once");
      if (slice != 0 && size > slice) fail("a write under rate is more than its slice");
      if (a.action.due < pushed_at(run, a.start + size - 1) + d.latency)
        fail("a write came before its latency");
      if (d.plan.cuts_sends() && previous && a.action.due < previous->action.due + 1ms)
        fail("a cutting plan's writes are less than cut_write_gap apart");
    }
    // Under rate, an action waits for the write before it to have had its
    // time (1 us spared for the clock's rounding).
    if (d.rate != 0 && previous && previous->action.what == kind::write &&
        a.action.due + 1us <
            previous->action.due +
                std::chrono::nanoseconds(previous->action.bytes.size() * 1'000'000'000ull / d.rate))
      fail("writes came faster than the rate");
    previous = &a;
  }
}

// With one disturbance from start to end, what it says is exactly what happens.
void check_shaper_exact(const shaper_run& run, const tcpcheck::stream_shaper& shaper,
                        const tcpcheck::framing_spec& spec,
                        const std::vector<std::size_t>& frame_ends) {
  const disturbance& d = run.first;
  if (tcpcheck::disturbance_conflict(d, spec).empty() !=
      !(ends_after_frames(d) && spec.kind == tcpcheck::framing_kind::raw))
    report("disturbance_conflict() is not what its header says", describe(run, shaper));
  const std::size_t expected = check_ending(run, shaper, frame_ends);
  if (d.blackhole) return;
  check_write_starts(run, shaper, expected);
  check_write_pacing(run, shaper);
}

// Most bytes a filler push may add: a few hundred where every byte or
// frame could become a write of its own, else enough for frames longer
// than frame_head_bytes.
std::size_t largest_filler(const disturbance& d) {
  using plan = tcpcheck::delivery_plan::kind;
  const bool small_pieces = d.plan.what == plan::bytewise || d.plan.what == plan::chunk ||
                            d.plan.what == plan::split_header || (d.rate != 0 && d.rate < 6400);
  return small_pieces ? 512 : 9000;
}

void fuzz_shaper(FuzzedDataProvider& in, const std::optional<disturbance>& parsed) {
  static const std::vector<std::pair<std::string, tcpcheck::framing_spec>> specs = [] {
    std::vector<std::pair<std::string, tcpcheck::framing_spec>> all;
    for (const char* text :
         {"raw", "line", "line,crlf", "len:u16be", "len:u32be,max=1024", "fixed:4"}) {
      tcpcheck::spec_error error;
      const auto spec = tcpcheck::parse_framing_spec(text, error);
      if (!spec) std::abort(); // the specs above are valid
      all.emplace_back(text, *spec);
    }
    return all;
  }();
  const auto& [spec_text, spec] =
      specs[in.ConsumeIntegralInRange<std::size_t>(0, specs.size() - 1)];
  shaper_run run;
  run.first = parsed && !parsed->is_none() ? *parsed : draw_disturbance(in);
  run.spec_text = spec_text;
  tcpcheck::stream_shaper shaper(run.first, spec, in.ConsumeIntegral<std::uint32_t>());
  shaper.observe_frames([&](const tcpcheck::observed_frame& f) {
    run.frames.push_back(
        {f.offset, f.wire_size, f.payload_size, f.payload.size(), hash_of(f.payload)});
  });

  // Mostly small steps (the merge window is 20 ms), now and then seconds.
  clock_type::time_point now = clock_type::time_point{} + 1h;
  const auto step = [&] {
    const auto code = in.ConsumeIntegral<std::uint8_t>();
    now += code < 200 ? std::chrono::microseconds(code * 250)
                      : std::chrono::microseconds((code - 200) * 100'000);
  };
  // Bytewise makes a write of every byte: a few KiB keep an execution short.
  constexpr std::size_t most_pushed = 1024;
  const int pushes = in.ConsumeIntegralInRange<int>(0, 16);
  const int change_at = in.ConsumeIntegralInRange<int>(0, 31);
  for (int i = 0; i < pushes && in.remaining_bytes() > 0; ++i) {
    if (i == change_at) {
      const bool was_ended = shaper.ended();
      shaper.change(draw_disturbance(in));
      run.changed = true;
      if (was_ended && !shaper.ended()) report("a change reopened an ended direction", "");
    }
    step();
    byte_buffer bytes;
    if (in.ConsumeIntegralInRange<int>(0, 7) == 0) { // a run of one byte: frames of kilobytes
      const auto filler = in.ConsumeIntegral<std::uint8_t>();
      const std::size_t room = most_pushed - run.pushed.size();
      bytes.assign(in.ConsumeIntegralInRange<std::size_t>(
                       0, std::min(room, largest_filler(shaper.current()))),
                   filler);
    } else {
      bytes = in.ConsumeBytes<std::uint8_t>(in.ConsumeIntegralInRange<std::size_t>(0, 64));
    }
    run.pushed.insert(run.pushed.end(), bytes.begin(), bytes.end());
    if (!shaper.current().blackhole) {
      run.forwarded.insert(run.forwarded.end(), bytes.begin(), bytes.end());
      run.pushes.push_back({run.forwarded.size(), now});
    }
    shaper.push(bytes, now);
    if (shaper.held_bytes() >= tcpcheck::most_held_bytes)
      report("a shaper holds most_held_bytes or more", describe(run, shaper));
    if (in.ConsumeBool()) pop_due(shaper, run, now);
  }
  step();
  run.end_at = now;
  run.by_reset = in.ConsumeBool();
  if (run.by_reset)
    shaper.push_reset(now);
  else
    shaper.push_end(now);
  pop_due(shaper, run, now);
  // Far beyond any delay a bounded input can add, and far from overflowing.
  pop_due(shaper, run, clock_type::time_point{} + 24h * 365 * 100);

  check_shaper_always(run, shaper);
  const auto frame_ends = check_frames(run, shaper, spec);
  if (!run.changed) check_shaper_exact(run, shaper, spec, frame_ends);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 2048) return 0; // longer inputs find nothing shorter ones do not, slowly
  FuzzedDataProvider in(data, size);
  // Words a user could type come first; when they say nothing, the
  // disturbance is drawn from the rest.
  const std::string text = in.ConsumeRandomLengthString(128);
  std::string error;
  fuzz_shaper(in, tcpcheck::parse_disturbance(text, error));
  return 0;
}
