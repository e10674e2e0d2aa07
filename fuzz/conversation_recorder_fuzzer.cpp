// Fuzz target: the proxy's conversation recorder. A recording does not
// depend on how the traffic was cut, keeps to its bound, and its file text
// reads back as the same script.
#include "tcpcheck/recording/conversation_recorder.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "fuzz_spec.hpp"
#include "property_failure.hpp"

namespace {

using tcpcheck::byte_buffer;
using tcpcheck::byte_view;
using tcpcheck::fuzz::report;

struct traffic_event {
  enum class kind { open, data, end } what = kind::data;
  std::size_t connection = 0;
  tcpcheck::traffic_side side = tcpcheck::traffic_side::client;
  tcpcheck::stream_end how = tcpcheck::stream_end::fin;
  byte_buffer bytes;
  std::vector<std::size_t> cuts; // ascending, inside bytes
};

struct recording {
  tcpcheck::script script; // finish()'s
  std::vector<std::string> notes;
};

// Payload bytes of a script's sends and expects.
std::uint64_t payload_bytes(const tcpcheck::script& s) {
  std::uint64_t total = 0;
  const auto add = [&](const tcpcheck::script_text& text) {
    for (const auto& seg : text.segments)
      total += seg.bytes.size();
  };
  for (const auto& step : s.steps) {
    add(step.payload);
    for (const auto& e : step.alternatives)
      add(e.text);
  }
  return total;
}

// Feeds the events, each data() whole or cut at its points, perhaps taking
// a snapshot (finish()) after event `snapshot_at` on the way. Between calls
// the recorder holds no more than its bound, and what it writes keeps to it.
recording record(const tcpcheck::recording_options& options,
                 const std::vector<traffic_event>& events, bool cut, std::size_t snapshot_at) {
  tcpcheck::conversation_recorder recorder(options);
  const auto bounded = [&] {
    if (recorder.held_bytes() > options.most_bytes)
      report("a recorder holds more than most_bytes",
             std::to_string(recorder.held_bytes()) + " > " + std::to_string(options.most_bytes));
  };
  std::size_t opened = 0;
  const auto open = [&] {
    if (recorder.open_connection() != opened++) report("connection ids are not 0, 1, 2...", "");
  };
  open();
  for (std::size_t i = 0; i < events.size(); ++i) {
    const traffic_event& e = events[i];
    switch (e.what) {
    case traffic_event::kind::open:
      open();
      break;
    case traffic_event::kind::end:
      recorder.end(e.connection, e.side, e.how);
      break;
    case traffic_event::kind::data: {
      const byte_view bytes(e.bytes);
      static const std::vector<std::size_t> uncut;
      std::size_t from = 0;
      for (const std::size_t at : cut ? e.cuts : uncut) {
        recorder.data(e.connection, e.side, bytes.subspan(from, at - from));
        bounded();
        from = at;
      }
      recorder.data(e.connection, e.side, bytes.subspan(from));
      break;
    }
    }
    bounded();
    if (i == snapshot_at) (void)recorder.finish();
  }
  recording out;
  out.script = recorder.finish(); // before notes(): finish() adds the closing notes
  out.notes = recorder.notes();
  if (payload_bytes(out.script) > options.most_bytes)
    report("a recording writes more payload than most_bytes", tcpcheck::to_string(out.script));
  return out;
}

// Consecutive `send raw` steps of one connection as one: the same bytes on
// the wire, however many calls they came in.
tcpcheck::script joined_raw_sends(tcpcheck::script s) {
  std::vector<tcpcheck::script_step> steps;
  for (auto& step : s.steps) {
    const bool raw_send = step.what == tcpcheck::script_step::kind::send && step.raw;
    if (raw_send && !steps.empty() && steps.back().what == tcpcheck::script_step::kind::send &&
        steps.back().raw && steps.back().connection == step.connection) {
      auto& into = steps.back().payload.segments;
      into.insert(into.end(), step.payload.segments.begin(), step.payload.segments.end());
      continue;
    }
    steps.push_back(std::move(step));
  }
  for (auto& step : steps) { // literal segments as one
    auto& segments = step.payload.segments;
    if (segments.size() < 2) continue;
    byte_buffer all;
    for (const auto& seg : segments)
      all.insert(all.end(), seg.bytes.begin(), seg.bytes.end());
    segments = {tcpcheck::script_text::segment::literal(std::move(all))};
  }
  s.steps = std::move(steps);
  return s;
}

bool client_stopped_decoding(const std::vector<std::string>& notes) {
  return std::any_of(notes.begin(), notes.end(), [](const std::string& note) {
    return note.find("client's bytes stopped decoding") != std::string::npos;
  });
}

std::string joined(const std::vector<std::string>& notes) {
  std::string out;
  for (const auto& note : notes)
    out += "# note: " + note + "\n";
  return out;
}

// A recording's file text parses back to the script recorded.
void check_reads_back(const recording& r, const tcpcheck::recording_options& options) {
  const std::string text = tcpcheck::recording_text(r.script, r.notes);
  tcpcheck::script_error error;
  const auto parsed = tcpcheck::parse_script(text, error);
  if (!parsed)
    report("a recording does not read back",
           text + "-- " + error.to_string("recording") + "\nframing " + options.framing);
  const std::string printed = tcpcheck::to_string(r.script);
  if (tcpcheck::to_string(*parsed) != printed)
    report("a recording reads back as another script",
           "-- recorded:\n" + printed + "-- read back:\n" + tcpcheck::to_string(*parsed));
}

void fuzz_recorder(FuzzedDataProvider& in) {
  auto spec = tcpcheck::fuzz::consume_spec(in);
  tcpcheck::recording_options options;
  options.description = "fuzzed conversation";
  options.framing = spec ? tcpcheck::to_string(*spec) : "line";
  const bool raw = spec && spec->kind == tcpcheck::framing_kind::raw;

  std::vector<traffic_event> events;
  std::size_t opened = 1;
  const int count = in.ConsumeIntegralInRange<int>(0, 16);
  for (int i = 0; i < count && in.remaining_bytes() > 0; ++i) {
    traffic_event e;
    const int what = in.ConsumeIntegralInRange<int>(0, 15);
    e.connection = in.ConsumeIntegralInRange<std::size_t>(0, opened - 1);
    e.side = in.ConsumeBool() ? tcpcheck::traffic_side::server : tcpcheck::traffic_side::client;
    // At most three connections: each costs the recorder kilobytes, and
    // two beside main show every interleaving.
    if (what == 0 && opened < 3) {
      e.what = traffic_event::kind::open;
      ++opened;
    } else if (what <= 2) {
      e.what = traffic_event::kind::end;
      e.how = in.ConsumeBool() ? tcpcheck::stream_end::reset : tcpcheck::stream_end::fin;
    } else {
      e.bytes = in.ConsumeBytes<std::uint8_t>(in.ConsumeIntegralInRange<std::size_t>(0, 40));
      e.cuts.resize(in.ConsumeIntegralInRange<std::size_t>(0, 3));
      for (auto& at : e.cuts)
        at = in.ConsumeIntegralInRange<std::size_t>(0, e.bytes.size());
      std::sort(e.cuts.begin(), e.cuts.end());
    }
    events.push_back(std::move(e));
  }
  // A snapshot (finish()) on the way, one time in four.
  const auto snapshot_at = in.ConsumeIntegralInRange<std::size_t>(0, 4 * events.size());

  // Where the bound is reached depends on the cuts (what a partial frame
  // holds counts), so a bounded recording is only checked to keep to its
  // bound and to read back.
  if (in.ConsumeIntegralInRange<int>(0, 3) == 0) {
    options.most_bytes = in.ConsumeIntegralInRange<std::uint64_t>(1, 300);
    check_reads_back(record(options, events, true, snapshot_at), options);
    return;
  }
  const recording whole = record(options, events, false, events.size());
  const recording cut = record(options, events, true, snapshot_at);
  const auto fail = [&](const char* what) {
    report(what, "framing " + options.framing + "\n-- whole:\n" +
                     tcpcheck::to_string(whole.script) + joined(whole.notes) +
                     "-- cut (snapshot after event " + std::to_string(snapshot_at) + "):\n" +
                     tcpcheck::to_string(cut.script) + joined(cut.notes));
  };
  // Raw framing, and a client stream that stopped decoding, send each
  // piece raw as it came: only the bytes are the same.
  const bool per_piece =
      raw || client_stopped_decoding(whole.notes) || client_stopped_decoding(cut.notes);
  if (per_piece ? !(joined_raw_sends(whole.script) == joined_raw_sends(cut.script))
                : !(whole.script == cut.script)) {
    const bool snapshot = !(record(options, events, true, events.size()).script == cut.script);
    fail(snapshot ? "a finish() on the way changed the recording"
                  : "the recording depends on how the traffic was cut");
  }
  if (whole.notes != cut.notes) fail("the notes depend on how the traffic was cut");
  check_reads_back(whole, options);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 2048) return 0; // longer inputs find nothing shorter ones do not, slowly
  FuzzedDataProvider in(data, size);
  fuzz_recorder(in);
  return 0;
}
