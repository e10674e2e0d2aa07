// The conversation recorder: what each side of each connection sent, decoded
// with the framing spec, written as the client script that replays it.
#include "tcpcheck/recording/conversation_recorder.hpp"

#include "tcpcheck/frame_decoder.hpp"
#include "tcpcheck/frame_encoder.hpp"
#include "tcpcheck/frame_header.hpp"

#include <algorithm>
#include <functional>
#include <stdexcept>
#include <utility>

namespace tcpcheck {

namespace {

// Steps kept free under the script limit for what finish() flushes: one
// partial client frame per connection.
constexpr std::size_t most_recorded_steps =
    script_limits::most_steps - script_limits::most_connections;

// Notes and the description are comment lines: one line each, trimmed as
// the parser trims a description.
std::string one_line(std::string text) {
  std::replace_if(
      text.begin(), text.end(), [](char ch) { return ch == '\n' || ch == '\r'; }, ' ');
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

script_text literal_text(byte_view bytes) {
  script_text text;
  if (!bytes.empty())
    text.segments.push_back(script_text::segment::literal({bytes.begin(), bytes.end()}));
  return text;
}

std::vector<field_setting> field_settings(const framing_spec& spec, const field_values& values) {
  std::vector<field_setting> out;
  for (std::size_t i = 0; i < spec.fields.size() && i < values.size(); ++i)
    out.push_back({spec.fields[i].name, values[i], false});
  return out;
}

expectation outcome_of(expectation::kind what) {
  expectation e;
  e.what = what;
  return e;
}

// A note whose count grows as more is left out for one reason: one line,
// rewritten in place, rather than a note per call.
struct tally {
  std::optional<std::size_t> note; // index in the notes
  std::uint64_t bytes = 0;
  std::uint64_t count = 0; // connections, for the tallies that count them
};

struct recorded_connection {
  recorded_connection(std::string n, const framing_spec& decoding)
      : name(std::move(n)), client(decoding), server(decoding) {}

  std::string name;
  frame_decoder client, server;     // with every header byte kept (keeping_headers)
  byte_buffer pending;              // client bytes that are not steps yet
  std::uint64_t pending_offset = 0; // client stream offset of pending[0]
  std::uint64_t server_seen = 0;    // server bytes fed so far
  bool client_ended = false, server_ended = false;
  bool reset = false; // either side reset it: nothing more happens on it
  tally late;         // bytes after a side ended, or after the reset
  tally undecodable;  // server bytes from a decode error on
};

} // namespace

struct conversation_recorder::state {
  recording_options options;
  framing_spec spec;     // the script's: encodes sends, splits headers off
  framing_spec decoding; // keeping_headers(spec)
  script recorded;
  std::vector<std::string> notes;
  std::size_t lasting_notes = 0;                // notes after these are the last finish()'s
  std::vector<recorded_connection> connections; // the first most_connections opened
  std::size_t opened = 0;
  std::uint64_t kept_bytes = 0;
  bool over = false; // the bound was reached: nothing more is recorded
  tally over_bound;
  tally extra_connections;

  void set_note(tally& t, std::string text) {
    if (!t.note) {
      drop_closing_notes();
      t.note = notes.size();
      notes.emplace_back();
      lasting_notes = notes.size();
    }
    notes[*t.note] = one_line(std::move(text));
  }
  void add_note(std::string text) {
    drop_closing_notes();
    notes.push_back(one_line(std::move(text)));
    lasting_notes = notes.size();
  }
  void drop_closing_notes() { notes.resize(lasting_notes); }

  recorded_connection* find(std::size_t id) {
    if (id >= opened)
      throw std::out_of_range("no connection " + std::to_string(id) + " was opened");
    return id < connections.size() ? &connections[id] : nullptr;
  }

  // ---- the bound ----

  void count_over_bound(std::uint64_t bytes) {
    over_bound.bytes += bytes;
    set_note(over_bound, "the recording keeps at most " + std::to_string(options.most_bytes) +
                             " payload bytes and " + std::to_string(most_recorded_steps) +
                             " steps: the " + std::to_string(over_bound.bytes) +
                             " bytes of traffic from there on are left out");
  }
  void go_over() {
    if (over) return;
    over = true;
    count_over_bound(0);
  }
  // What the connections hold is never recorded once over the bound: given
  // back, once no call is inside them any more.
  void release_if_over() {
    if (!over || connections.empty()) return;
    connections.clear();
    connections.shrink_to_fit();
  }
  // Whether a step with `payload` bytes fits the bound; counts them if so.
  bool room_for(std::uint64_t payload) {
    if (over) return false;
    if (recorded.steps.size() >= most_recorded_steps || payload > options.most_bytes - kept_bytes) {
      go_over();
      return false;
    }
    kept_bytes += payload;
    return true;
  }

  // ---- steps ----

  void add_step(const recorded_connection& c, script_step step) {
    step.connection = c.name;
    recorded.steps.push_back(std::move(step));
  }
  void add_plain(const recorded_connection& c, script_step::kind what) {
    if (!room_for(0)) return;
    script_step step;
    step.what = what;
    add_step(c, std::move(step));
  }
  void add_raw(const recorded_connection& c, byte_view bytes) {
    if (bytes.empty() || !room_for(bytes.size())) return;
    script_step step;
    step.raw = true;
    step.payload = literal_text(bytes);
    add_step(c, std::move(step));
  }
  void add_expect(const recorded_connection& c, expectation outcome, std::uint64_t payload) {
    if (!room_for(payload)) return;
    script_step step;
    step.what = script_step::kind::expect;
    step.alternatives.push_back(std::move(outcome));
    add_step(c, std::move(step));
  }

  // ---- the client's side ----

  // A client frame: `send` when the spec writes it back byte for byte (so
  // the replay sends what was recorded), else `send raw` of its wire bytes
  // (a CRLF line under plain `line`, a varint written longer than it need
  // be, nonzero bytes the spec does not name).
  void client_frame(recorded_connection& c, std::size_t& used, const frame& f) {
    if (over) return;
    const std::size_t start = f.offset - c.pending_offset;
    if (start > used) // bytes the decoder skipped (too-long=discard): the server got them
      add_raw(c, byte_view(c.pending).subspan(used, start - used));
    used = start + f.wire_size;
    const byte_view wire = byte_view(c.pending).subspan(start, f.wire_size);
    const split_frame parts = split_header(spec, f.payload);
    byte_buffer again;
    if (encode_frame(spec, parts.body, parts.fields, again) || !std::ranges::equal(again, wire))
      return add_raw(c, wire);
    if (!room_for(parts.body.size())) return;
    script_step step;
    step.payload = literal_text(parts.body);
    step.fields = field_settings(spec, parts.fields);
    add_step(c, std::move(step));
  }

  void client_data(recorded_connection& c, byte_view bytes) {
    // Raw framing cuts nothing until the end, and a broken stream nothing
    // at all: each piece goes out as it came.
    if (spec.kind == framing_kind::raw || c.client.failed()) return add_raw(c, bytes);
    c.pending.insert(c.pending.end(), bytes.begin(), bytes.end());
    if (c.pending.size() > options.most_bytes - kept_bytes) return go_over();
    std::size_t used = 0;
    std::error_code ec;
    c.client.consume(
        bytes, [&](const frame& f) { client_frame(c, used, f); }, ec);
    if (over) return;
    if (ec) {
      add_note(c.name + ": the client's bytes stopped decoding (" + to_string(c.client.error()) +
               "); from there on they are sent raw");
      used = flush_client(c, used);
    }
    c.pending.erase(c.pending.begin(), c.pending.begin() + static_cast<std::ptrdiff_t>(used));
    c.pending_offset += used;
  }

  // The client bytes no frame took, from `used` on, as one `send raw`.
  std::size_t flush_client(recorded_connection& c, std::size_t used) {
    add_raw(c, byte_view(c.pending).subspan(used));
    return c.pending.size();
  }

  void end_client(recorded_connection& c, stream_end how) {
    c.pending.erase(c.pending.begin(),
                    c.pending.begin() + static_cast<std::ptrdiff_t>(flush_client(c, 0)));
    c.client_ended = true;
    c.reset = how == stream_end::reset;
    add_plain(c, c.reset ? script_step::kind::reset : script_step::kind::shutdown);
  }

  // ---- the server's side ----

  void server_frame(const recorded_connection& c, const frame& f) {
    if (over) return;
    const split_frame parts = split_header(spec, f.payload);
    expectation outcome;
    outcome.fields = field_settings(spec, parts.fields);
    outcome.text = literal_text(parts.body);
    add_expect(c, std::move(outcome), parts.body.size());
  }

  // Server bytes that will never be expected: after a decode error, from
  // the error's offset on (the replay's own decoder stops there too).
  void count_undecodable(recorded_connection& c, std::uint64_t bytes) {
    c.undecodable.bytes += bytes;
    set_note(c.undecodable, c.name + ": the server's bytes stopped decoding (" +
                                to_string(c.server.error()) + "); its " +
                                std::to_string(c.undecodable.bytes) +
                                " bytes from there on are left out");
  }

  void server_data(recorded_connection& c, byte_view bytes) {
    c.server_seen += bytes.size();
    if (c.server.failed()) return count_undecodable(c, bytes.size());
    std::error_code ec;
    c.server.consume(
        bytes, [&](const frame& f) { server_frame(c, f); }, ec);
    if (ec && !over) count_undecodable(c, c.server_seen - c.server.error().offset);
  }

  void end_server(recorded_connection& c, stream_end how) {
    c.server_ended = true;
    if (how == stream_end::reset) {
      if (c.server.buffered() != 0 && !c.server.failed())
        add_note(c.name + ": the " + std::to_string(c.server.buffered()) +
                 " bytes of the server's unfinished frame before its reset are left out");
      c.reset = true;
      return add_expect(c, outcome_of(expectation::kind::reset), 0);
    }
    if (!c.server.failed()) {
      std::error_code ec;
      c.server.finish([&](const frame& f) { server_frame(c, f); }, ec);
      if (ec && !over)
        add_note(c.name + ": the server's stream ended inside a frame (" +
                 to_string(c.server.error()) + "); its last bytes are left out");
    }
    add_expect(c, outcome_of(expectation::kind::close), 0);
  }

  // Bytes a side sent after it (or the connection) ended: a feeder's
  // race, which a script cannot replay.
  void count_late(recorded_connection& c, std::uint64_t bytes) {
    c.late.bytes += bytes;
    set_note(c.late, c.name + ": " + std::to_string(c.late.bytes) +
                         " bytes sent after their side or the connection ended are left out");
  }

  void count_extra_connection(std::uint64_t bytes, bool opened_one) {
    extra_connections.bytes += bytes;
    if (opened_one) ++extra_connections.count;
    set_note(extra_connections,
             "a script holds at most " + std::to_string(script_limits::most_connections) +
                 " connections: the " + std::to_string(extra_connections.count) +
                 " opened after them (" + std::to_string(extra_connections.bytes) +
                 " bytes) are left out");
  }
};

conversation_recorder::conversation_recorder(recording_options options)
    : state_(std::make_unique<state>()) {
  spec_error error;
  const auto spec = parse_framing_spec(options.framing, error);
  if (!spec) throw std::invalid_argument("bad framing spec: " + to_string(error));
  state_->spec = *spec;
  state_->decoding = keeping_headers(*spec);
  // Without a description the first note would read back as one.
  options.description = one_line(std::move(options.description));
  if (options.description.empty()) options.description = "a recorded conversation";
  state_->recorded.description = options.description;
  state_->recorded.framing = options.framing;
  state_->recorded.timeout = options.timeout;
  state_->options = std::move(options);
}

conversation_recorder::~conversation_recorder() = default;
conversation_recorder::conversation_recorder(conversation_recorder&&) noexcept = default;
conversation_recorder& conversation_recorder::operator=(conversation_recorder&&) noexcept = default;

// `main` is open when a script starts; a later connection is opened where
// it was seen to open, whether or not main has ended by then: its steps
// replay in the recorded order, and main is never opened again.
std::size_t conversation_recorder::open_connection() {
  state& s = *state_;
  const std::size_t id = s.opened++;
  if (s.over) return id;
  if (id >= script_limits::most_connections) {
    s.count_extra_connection(0, true);
    return id;
  }
  s.connections.emplace_back(id == 0 ? "main" : "c" + std::to_string(id + 1), s.decoding);
  if (id != 0) s.add_plain(s.connections.back(), script_step::kind::connect);
  s.release_if_over();
  return id;
}

void conversation_recorder::data(std::size_t id, traffic_side from, byte_view bytes) {
  state& s = *state_;
  recorded_connection* c = s.find(id);
  if (bytes.empty()) return;
  if (!s.over && !c) return s.count_extra_connection(bytes.size(), false);
  if (!s.over) {
    const bool ended = from == traffic_side::client ? c->client_ended : c->server_ended;
    if (ended || c->reset) return s.count_late(*c, bytes.size());
    from == traffic_side::client ? s.client_data(*c, bytes) : s.server_data(*c, bytes);
  }
  if (s.over) s.count_over_bound(bytes.size()); // the call that reached it counts whole
  s.release_if_over();
}

void conversation_recorder::end(std::size_t id, traffic_side by, stream_end how) {
  state& s = *state_;
  recorded_connection* c = s.find(id);
  if (s.over || !c || c->reset) return;
  if (by == traffic_side::client && !c->client_ended) s.end_client(*c, how);
  if (by == traffic_side::server && !c->server_ended) s.end_server(*c, how);
  s.release_if_over();
}

const std::vector<std::string>& conversation_recorder::notes() const noexcept {
  return state_->notes;
}

// A snapshot: the recording goes on as it was. What it adds (a partial
// client frame as `send raw`, a note on a partial server frame) is only in
// what it returns and in the notes until the next call changes them.
script conversation_recorder::finish() {
  state& s = *state_;
  s.drop_closing_notes();
  script out = s.recorded;
  for (const auto& c : s.connections) {
    if (!c.client_ended && !c.reset && !c.pending.empty()) {
      script_step step;
      step.connection = c.name;
      step.raw = true;
      step.payload = literal_text(c.pending);
      out.steps.push_back(std::move(step));
    }
    if (!c.server_ended && !c.reset && !c.server.failed() && c.server.buffered() != 0)
      s.notes.push_back(c.name + ": the " + std::to_string(c.server.buffered()) +
                        " bytes of the server's unfinished frame are left out");
  }
  return out;
}

std::string recording_text(const script& recorded, const std::vector<std::string>& notes) {
  std::string text = to_string(recorded);
  std::string lines;
  for (const auto& note : notes)
    lines += "# note: " + one_line(note) + "\n";
  // Under the description; without one, under the directives, where a
  // comment cannot be taken for the description.
  std::size_t at = text.size();
  if (!recorded.description.empty())
    at = text.find('\n') + 1;
  else if (const auto blank = text.find("\n\n"); blank != std::string::npos)
    at = blank + 1;
  text.insert(at, lines);
  return text;
}

} // namespace tcpcheck
