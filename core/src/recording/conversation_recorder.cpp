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
  frame_decoder client, server; // with every header byte kept (keeping_headers)
  byte_buffer pending;          // client bytes not recorded yet: the stream from client_done on
  std::uint64_t client_seen = 0, client_done = 0; // client bytes fed; recorded as steps up to
  std::uint64_t server_seen = 0, server_done = 0; // server bytes fed; recorded or accounted for
  std::uint64_t client_held = 0, server_held = 0; // what each side holds, as last counted
  bool client_raw = false;    // the client's bytes stopped decoding: sent raw from there on
  bool server_broken = false; // the server's bytes stopped decoding: left out from there on
  std::string server_error;   // why they stopped
  bool client_ended = false, server_ended = false;
  bool reset = false; // either side reset it: nothing more happens on it
  tally late;         // bytes after a side ended, or after the reset
  tally undecodable;  // server bytes from a decode error on
};

// The client bytes of one data() call beside those held from before it
// (pending): a frame's wire bytes lie in either, or straddle the two.
struct client_input {
  byte_view held;          // the stream from held_from on
  std::uint64_t held_from; // = client_done when the call began
  byte_view bytes;         // the call's: the stream from held_from + held.size() on
  byte_buffer joined;      // a straddling range, gathered

  byte_view range(std::uint64_t from, std::uint64_t to) {
    const std::uint64_t at = held_from + held.size();
    const auto size = static_cast<std::size_t>(to - from);
    if (from >= at) return bytes.subspan(static_cast<std::size_t>(from - at), size);
    if (to <= at) return held.subspan(static_cast<std::size_t>(from - held_from), size);
    joined.assign(held.begin() + static_cast<std::ptrdiff_t>(from - held_from), held.end());
    joined.insert(joined.end(), bytes.begin(),
                  bytes.begin() + static_cast<std::ptrdiff_t>(to - at));
    return joined;
  }
};

} // namespace

// The bound (recording_options::most_bytes) covers kept_bytes, the payload
// of the steps, and held_bytes, what the connections hold for frames not
// yet whole: between calls the two never add up to more. During a call on
// one side of a connection, that side's held bytes are the call's to turn
// into steps (room_for does not count them); after it, what the side holds
// is counted again, and an unfinished frame that does not fit stops the
// recording.
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
  std::uint64_t held_bytes = 0; // the sum of the connections' client_held and server_held
  bool over = false;            // the bound was reached: nothing more is recorded
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

  // `side`'s held bytes, during a call that feeds or ends it.
  void take_out(recorded_connection& c, traffic_side side) {
    std::uint64_t& held = side == traffic_side::client ? c.client_held : c.server_held;
    held_bytes -= held;
    held = 0;
  }
  void recount(recorded_connection& c) {
    held_bytes -= c.client_held + c.server_held;
    c.client_held = c.pending.size() + c.client.buffered();
    c.server_held = c.server.buffered();
    held_bytes += c.client_held + c.server_held;
  }
  bool over_the_bound() const { return kept_bytes + held_bytes > options.most_bytes; }

  void count_over_bound(std::uint64_t bytes) {
    over_bound.bytes += bytes;
    set_note(over_bound, "the recording keeps at most " + std::to_string(options.most_bytes) +
                             " payload bytes (held for unfinished frames included) and " +
                             std::to_string(most_recorded_steps) +
                             " steps: it stopped where they ran out, and the " +
                             std::to_string(over_bound.bytes) +
                             " bytes of traffic not recorded by then or seen after are left out");
  }
  void go_over() {
    if (over) return;
    over = true;
    count_over_bound(0);
  }
  // Client bytes held when the recording stopped: they were within the
  // bound, and are written as finish() writes a partial frame, with a step
  // of those kept free for it.
  void write_held(const recorded_connection& c, byte_view bytes) {
    if (bytes.empty()) return;
    if (bytes.size() > options.most_bytes - kept_bytes) return count_over_bound(bytes.size());
    kept_bytes += bytes.size();
    script_step step;
    step.raw = true;
    step.payload = literal_text(bytes);
    add_step(c, std::move(step));
  }
  // Once over the bound, the recording ends as finish() would have found
  // it (the servers' unfinished frames counted as left out) and what the
  // connections hold is given back, once no call is inside them any more.
  void release_if_over() {
    if (!over || connections.empty()) return;
    std::uint64_t left_out = 0;
    for (const auto& c : connections) {
      write_held(c, c.pending);
      if (!c.server_broken) left_out += c.server_seen - c.server_done;
    }
    count_over_bound(left_out);
    connections.clear();
    connections.shrink_to_fit();
    held_bytes = 0;
  }
  // Whether a step with `payload` bytes fits the bound; counts them if so.
  bool room_for(std::uint64_t payload) {
    if (over) return false;
    if (recorded.steps.size() >= most_recorded_steps ||
        kept_bytes + held_bytes > options.most_bytes ||
        payload > options.most_bytes - kept_bytes - held_bytes) {
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
  bool add_raw(const recorded_connection& c, byte_view bytes) {
    if (bytes.empty()) return true;
    if (!room_for(bytes.size())) return false;
    script_step step;
    step.raw = true;
    step.payload = literal_text(bytes);
    add_step(c, std::move(step));
    return true;
  }
  bool add_expect(const recorded_connection& c, expectation outcome, std::uint64_t payload) {
    if (!room_for(payload)) return false;
    script_step step;
    step.what = script_step::kind::expect;
    step.alternatives.push_back(std::move(outcome));
    add_step(c, std::move(step));
    return true;
  }

  // ---- the client's side ----

  // A client frame: `send` when the spec writes it back byte for byte (so
  // the replay sends what was recorded), else `send raw` of its wire bytes
  // (a CRLF line under plain `line`, a varint written longer than it need
  // be, nonzero bytes the spec does not name).
  void client_frame(recorded_connection& c, client_input& in, const frame& f) {
    if (over) return;
    if (f.offset >
        c.client_done) { // bytes the decoder skipped (too-long=discard): the server got them
      if (!add_raw(c, in.range(c.client_done, f.offset))) return;
      c.client_done = f.offset;
    }
    const byte_view wire = in.range(f.offset, f.offset + f.wire_size);
    const split_frame parts = split_header(spec, f.payload);
    byte_buffer again;
    if (encode_frame(spec, parts.body, parts.fields, again) || !std::ranges::equal(again, wire)) {
      if (!add_raw(c, wire)) return;
    } else {
      if (!room_for(parts.body.size())) return;
      script_step step;
      step.payload = literal_text(parts.body);
      step.fields = field_settings(spec, parts.fields);
      add_step(c, std::move(step));
    }
    c.client_done = f.offset + f.wire_size;
  }

  void client_data(recorded_connection& c, byte_view bytes) {
    take_out(c, traffic_side::client);
    const std::uint64_t at = c.client_seen, held_from = c.client_done;
    c.client_seen += bytes.size();
    if (spec.kind == framing_kind::raw || c.client_raw) {
      // Raw framing cuts nothing until the end, and a broken stream nothing
      // at all: each piece goes out as it came.
      if (add_raw(c, bytes)) c.client_done = c.client_seen;
    } else {
      client_input in{c.pending, held_from, bytes, {}};
      std::error_code ec;
      c.client.consume(
          bytes, [&](const frame& f) { client_frame(c, in, f); }, ec);
      if (ec && !over) {
        add_note(c.name + ": the client's bytes stopped decoding (" + to_string(c.client.error()) +
                 "); from there on they are sent raw");
        if (add_raw(c, in.range(c.client_done, c.client_seen))) c.client_done = c.client_seen;
        c.client_raw = true;
        c.client = frame_decoder(decoding); // never fed again: its buffer is given back
      }
      // Keep the stream from client_done on, and nothing before it.
      if (c.client_done >= at) {
        c.pending.assign(bytes.begin() + static_cast<std::ptrdiff_t>(c.client_done - at),
                         bytes.end());
      } else {
        c.pending.erase(c.pending.begin(),
                        c.pending.begin() + static_cast<std::ptrdiff_t>(c.client_done - held_from));
        c.pending.insert(c.pending.end(), bytes.begin(), bytes.end());
      }
    }
    recount(c);
    if (!over && over_the_bound()) go_over(); // the unfinished frame does not fit
    if (!over) return;
    // What the side held from before this call was within the bound; the
    // call's own bytes that no step took are left out.
    if (c.client_done < at) write_held(c, byte_view(c.pending).first(at - c.client_done));
    count_over_bound(c.client_seen - std::max(c.client_done, at));
    c.pending.clear();
    c.client_done = c.client_seen;
    recount(c);
  }

  void end_client(recorded_connection& c, stream_end how) {
    take_out(c, traffic_side::client);
    if (add_raw(c, c.pending)) { // else the bound's release writes them
      c.client_done = c.client_seen;
      c.pending.clear();
    }
    c.client = frame_decoder(decoding); // never fed again: its buffer is given back
    c.client_ended = true;
    if (how == stream_end::reset) reset_connection(c);
    add_plain(c, c.reset ? script_step::kind::reset : script_step::kind::shutdown);
    recount(c);
  }

  // Nothing more happens on a reset connection: the server's unfinished
  // frame is said to be left out, and both decoders give their buffers back.
  void reset_connection(recorded_connection& c) {
    if (!c.server_broken && c.server.buffered() != 0)
      add_note(c.name + ": the " + std::to_string(c.server.buffered()) +
               " bytes of the server's unfinished frame before the reset are left out");
    c.server_done = c.server_seen;
    c.reset = true;
    c.client = frame_decoder(decoding);
    c.server = frame_decoder(decoding);
  }

  // ---- the server's side ----

  void server_frame(recorded_connection& c, const frame& f) {
    if (over) return;
    const split_frame parts = split_header(spec, f.payload);
    expectation outcome;
    outcome.fields = field_settings(spec, parts.fields);
    outcome.text = literal_text(parts.body);
    if (add_expect(c, std::move(outcome), parts.body.size()))
      c.server_done = f.offset + f.wire_size;
  }

  // Server bytes that will never be expected: after a decode error, from
  // the error's offset on (the replay's own decoder stops there too).
  void count_undecodable(recorded_connection& c, std::uint64_t bytes) {
    c.undecodable.bytes += bytes;
    set_note(c.undecodable, c.name + ": the server's bytes stopped decoding (" + c.server_error +
                                "); its " + std::to_string(c.undecodable.bytes) +
                                " bytes from there on are left out");
  }
  void server_broke(recorded_connection& c) {
    c.server_broken = true;
    c.server_error = to_string(c.server.error());
    count_undecodable(c, c.server_seen - c.server.error().offset);
    c.server = frame_decoder(decoding); // never fed again: its buffer is given back
  }

  void server_data(recorded_connection& c, byte_view bytes) {
    take_out(c, traffic_side::server);
    c.server_seen += bytes.size();
    if (c.server_broken) {
      count_undecodable(c, bytes.size());
    } else {
      std::error_code ec;
      c.server.consume(
          bytes, [&](const frame& f) { server_frame(c, f); }, ec);
      if (ec && !over) server_broke(c);
    }
    recount(c);
    // The unfinished frame does not fit: release_if_over counts it.
    if (!over && over_the_bound()) go_over();
  }

  void end_server(recorded_connection& c, stream_end how) {
    take_out(c, traffic_side::server);
    c.server_ended = true;
    if (how == stream_end::reset) {
      reset_connection(c);
      add_expect(c, outcome_of(expectation::kind::reset), 0);
      return recount(c);
    }
    if (!c.server_broken) {
      std::error_code ec;
      c.server.finish([&](const frame& f) { server_frame(c, f); }, ec);
      if (over)
        count_over_bound(c.server_seen - c.server_done);
      else if (ec)
        add_note(c.name + ": the server's stream ended inside a frame (" +
                 to_string(c.server.error()) + "); its last bytes are left out");
      c.server_done = c.server_seen;
      c.server = frame_decoder(decoding); // finished: its buffer is given back
    }
    add_expect(c, outcome_of(expectation::kind::close), 0);
    recount(c);
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
  if (s.over) return s.count_over_bound(bytes.size());
  if (!c) return s.count_extra_connection(bytes.size(), false);
  const bool ended = from == traffic_side::client ? c->client_ended : c->server_ended;
  if (ended || c->reset) return s.count_late(*c, bytes.size());
  // The call that reaches the bound counts what no step took of it.
  from == traffic_side::client ? s.client_data(*c, bytes) : s.server_data(*c, bytes);
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

std::uint64_t conversation_recorder::held_bytes() const noexcept {
  return state_->held_bytes;
}

// A snapshot: the recording goes on as it was. What it adds (a partial
// client frame as `send raw`, a note on a partial server frame) is only in
// what it returns and in the notes until the next call changes them.
script conversation_recorder::finish() {
  state& s = *state_;
  s.drop_closing_notes();
  script out = s.recorded;
  // Held bytes are within the bound (see state): this never runs out, and
  // says so if it ever did.
  std::uint64_t room = s.options.most_bytes - std::min(s.kept_bytes, s.options.most_bytes);
  for (const auto& c : s.connections) {
    if (!c.client_ended && !c.reset && !c.pending.empty()) {
      if (c.pending.size() > room) {
        s.notes.push_back(
            c.name + ": the " + std::to_string(c.pending.size()) +
            " bytes of the client's unfinished frame are over the bound and left out");
      } else {
        room -= c.pending.size();
        script_step step;
        step.connection = c.name;
        step.raw = true;
        step.payload = literal_text(c.pending);
        out.steps.push_back(std::move(step));
      }
    }
    if (!c.server_ended && !c.reset && !c.server_broken && c.server.buffered() != 0)
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
