// The session state machine: steps, per-connection decoding, waits, verdicts.
#include "tcpcheck/session.hpp"

#include "tcpcheck/detail/front_queue.hpp"
#include "tcpcheck/escape.hpp"
#include "tcpcheck/frame_encoder.hpp"
#include "tcpcheck/frame_header.hpp"

#include <algorithm>
#include <charconv>
#include <iterator>
#include <re2/re2.h>
#include <set>

#include "compiled_regex.hpp"

namespace tcpcheck {

namespace {

std::string quoted(byte_view bytes) {
  return "\"" + escape(bytes, "\"") + "\"";
}

// A payload as a verdict's expected or got shows it: whole up to 512 bytes,
// else its head and its size, said (the transcript and wire log keep more;
// a failure line of megabytes helps nobody).
std::string shown(byte_view bytes) {
  constexpr std::size_t most = 512, head = 448;
  if (bytes.size() <= most) return quoted(bytes);
  return quoted(bytes.first(head)) + "... (" + std::to_string(bytes.size()) + " bytes in all)";
}

// The bytes of a frame that never ended, for a failure's "got" (`raw`
// framing holds the whole stream so, until its end): after `joint`,
// "3 bytes of an unfinished frame: \"hel\""; nothing when there are none.
std::string unfinished(const frame_decoder& decoder, std::string_view joint) {
  if (decoder.buffered() == 0) return {};
  return std::string(joint) + std::to_string(decoder.buffered()) +
         " bytes of an unfinished frame: " + shown(decoder.pending());
}

bool contains(byte_view haystack, byte_view needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) !=
         haystack.end();
}

// "type=0x20 " for a frame's header fields, as scripts write them.
std::string fields_text(const framing_spec& spec, const field_values& values) {
  std::string out;
  for (std::size_t i = 0; i < spec.fields.size() && i < values.size(); ++i)
    out += spec.fields[i].name + "=" + hex_number(values[i]) + " ";
  return out;
}

std::string fields_text(const std::vector<field_setting>& fields) {
  std::string out;
  for (const auto& f : fields)
    out += f.name + "=" + hex_number(f.value) + " ";
  return out;
}

std::size_t field_index(const framing_spec& spec, const std::string& name) {
  for (std::size_t i = 0; i < spec.fields.size(); ++i)
    if (spec.fields[i].name == name) return i;
  return SIZE_MAX;
}

// splitmix64: a conversation id spread over 64 bits, for ${token}.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// ${token}: the conversation id spread over 64 bits, as 16 lowercase hex digits.
byte_buffer token_of(std::uint64_t conversation_id) {
  char digits[16];
  char* const end = std::to_chars(digits, std::end(digits), mix(conversation_id), 16).ptr;
  byte_buffer token(static_cast<std::size_t>(std::end(digits) - end), '0'); // leading zeros
  token.insert(token.end(), digits, end);
  return token;
}

session_action action(session_action::kind what, std::size_t connection) {
  session_action a;
  a.what = what;
  a.connection = connection;
  return a;
}

} // namespace

// A frame as scripts see it: the body after the whole header, and the
// header's named fields.
struct session::received_frame {
  byte_buffer body;
  field_values fields;
  std::uint64_t offset = 0; // stream offset of its first byte on the wire
};

// Compiled regexes by the expectation (in script_) that holds them, shared
// with the other sessions of the process (compiled_regex.hpp).
struct session::regex_cache : std::map<const expectation*, std::shared_ptr<const RE2>> {};

struct session::connection_state {
  explicit connection_state(const framing_spec& s) : spec(s), decoder(keeping_headers(s)) {}
  framing_spec spec;              // what this connection reads and writes with now
  frame_decoder decoder;          // spec with every header byte kept: frames are split here
  std::uint64_t decoder_from = 0; // stream offset of the decoder's first byte
  detail::front_queue<received_frame> frames; // decoded, not yet expected
  // Received bytes from `kept_from` on, when the script changes framing:
  // frames not yet expected are cut again with the new spec.
  byte_buffer kept;
  std::uint64_t kept_from = 0;
  std::size_t unread_bytes = 0;
  bool connected = false;
  bool peer_closed = false;
  bool peer_reset = false;
  /// The reset came after the peer's FIN (for data written after it): the
  /// close the script may expect did happen first.
  bool reset_after_close = false;
  /// Why a write failed, when that is how the peer's end was learnt.
  std::string write_failure;
  bool stream_broken = false;       // the server broke the framing
  std::uint64_t datagram_bytes = 0; // `transport udp`: bytes of the datagrams before the next
  bool bytes_arrived = false;       // since the current step began waiting
};

std::string to_string(const verdict& v) {
  if (v.passed) return "pass";
  std::string out = "line " + std::to_string(v.line) + ": " + v.reason;
  if (!v.expected.empty()) out += "\n  expected: " + v.expected;
  if (!v.got.empty()) out += "\n  got:      " + v.got;
  return out;
}

session::session(script s, framing_spec spec, delivery_plan plan, session_options options)
    : session(std::make_shared<const script>(std::move(s)), std::move(spec), plan, options) {}

session::session(std::shared_ptr<const script> s, framing_spec spec, delivery_plan plan,
                 session_options options)
    : shared_script_(std::move(s)), script_(*shared_script_), spec_(std::move(spec)), plan_(plan),
      options_(options) {
  names_ = script_.connections();
  if (names_.empty()) names_.push_back("main");
  for (std::size_t i = 0; i < names_.size(); ++i)
    connections_.push_back(std::make_unique<connection_state>(spec_));
  sent_ahead_.assign(script_.steps.size(), false);
  const std::string run = std::to_string(options_.conversation_id);
  run_value_.assign(run.begin(), run.end());
  token_value_ = token_of(options_.conversation_id);
  for (const auto& name : names_) {
    const std::string conn = run + "-" + name;
    conn_values_.emplace_back(conn.begin(), conn.end());
  }
  changes_framing_ = !datagrams() && std::any_of(script_.steps.begin(), script_.steps.end(),
                                                 [](const script_step& step) {
                                                   return step.what == script_step::kind::framing;
                                                 });
  verdict_.plan = to_string(plan_);
  // About an entry a step (its send or frame) and one a connection: one
  // allocation, not one per doubling.
  verdict_.transcript.reserve(
      std::min(options_.transcript_entries, script_.steps.size() + names_.size() + 2));
  // Each regex is looked up once, here, not at every frame it is matched
  // against. The parser has checked that each compiles; one that does not
  // (a script built in code) is left out, and matching it fails the step.
  // Most scripts have no regex: the cache is made for the first.
  const auto compile = [&](const expectation& e) {
    if (e.what != expectation::kind::regex) return;
    auto compiled = detail::compiled_regex(e.pattern);
    if (!compiled->ok()) return;
    if (!regexes_) regexes_ = std::make_unique<regex_cache>();
    regexes_->emplace(&e, std::move(compiled));
  };
  for (const auto& step : script_.steps)
    for (const auto& e : step.alternatives)
      compile(e);
  for (const auto& e : script_.ignored)
    compile(e);
}

session::~session() = default;

const re2::RE2* session::regex_of(const expectation& e) const {
  if (!regexes_) return nullptr;
  const auto it = regexes_->find(&e);
  return it == regexes_->end() ? nullptr : it->second.get();
}

std::size_t session::connection_of(const script_step& step) const {
  return static_cast<std::size_t>(std::find(names_.begin(), names_.end(), step.connection) -
                                  names_.begin());
}

std::vector<session_action> session::take_actions() {
  std::vector<session_action> out;
  take_actions(out);
  return out;
}

void session::take_actions(std::vector<session_action>& into) {
  into.clear();
  into.swap(actions_);
}

void session::note(std::size_t connection, transcript_entry::kind what, byte_view bytes,
                   std::string text) {
  if (verdict_.transcript.size() >= options_.transcript_entries) {
    ++transcript_dropped_;
    return;
  }
  transcript_entry e;
  e.what = what;
  e.connection = connection;
  const std::size_t room =
      options_.transcript_bytes - std::min(options_.transcript_bytes, transcript_bytes_);
  const std::size_t kept = std::min(room, bytes.size());
  e.bytes.assign(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(kept));
  transcript_bytes_ += kept;
  e.text = std::move(text);
  if (kept < bytes.size())
    e.text += (e.text.empty() ? "" : "; ") + std::to_string(bytes.size() - kept) +
              " more bytes not kept (transcript limit)";
  verdict_.transcript.push_back(std::move(e));
}

// A variable's value: built in, or captured (null when not captured yet).
// A capture of the same name hides a built-in value from then on.
const byte_buffer* session::value_of(const std::string& name, std::size_t connection) const {
  if (const auto it = variables_.find(name); it != variables_.end()) return &it->second;
  if (name == "run") return &run_value_;
  if (name == "token") return &token_value_;
  if (name == "conn") return &conn_values_[std::min(connection, conn_values_.size() - 1)];
  return nullptr;
}

byte_buffer session::render(const script_text& text, std::size_t connection) const {
  byte_buffer out;
  std::string why; // a length that does not fit renders short; sends check it
  render_text(
      text.segments, [&](const std::string& name) { return value_of(name, connection); }, out, why);
  return out;
}

// Most expected texts are one literal: compared where they are, not copied.
const byte_buffer& session::rendered(const script_text& text, std::size_t connection,
                                     byte_buffer& scratch) const {
  if (text.segments.size() == 1 && text.is_literal()) return text.segments.front().bytes;
  scratch = render(text, connection);
  return scratch;
}

// Renders text to be sent: false, after failing the run, when a variable
// was never captured or a computed length does not fit.
bool session::render_checked(const script_text& text, std::size_t connection, byte_buffer& out) {
  for (const auto& name : text.variables())
    if (!is_builtin_variable(name) && !variables_.count(name)) {
      fail("", "", "${" + name + "} was not captured: its expect step matched another alternative");
      return false;
    }
  std::string why;
  if (render_text(
          text.segments, [&](const std::string& name) { return value_of(name, connection); }, out,
          why))
    return true;
  fail("", "", "cannot render the payload: " + why);
  return false;
}

std::string session::describe(const expectation& e) const {
  const std::string fields = fields_text(e.fields);
  switch (e.what) {
  case expectation::kind::exact:
    return fields + shown(render(e.text));
  case expectation::kind::prefix:
    return fields + "a frame starting with " + shown(render(e.text));
  case expectation::kind::contains:
    return fields + "a frame containing " + shown(render(e.text));
  case expectation::kind::regex:
    return fields + "a frame matching /" + e.pattern + "/";
  case expectation::kind::any:
    return fields + (e.count == 1 ? "a frame" : std::to_string(e.count) + " frames");
  case expectation::kind::close:
    return "the connection closed (FIN)";
  case expectation::kind::reset:
    return "the connection reset (RST)";
  case expectation::kind::silence:
    return "silence for " + duration_text(e.quiet);
  }
  return "?";
}

std::string session::describe(const script_step& step) const {
  std::string out;
  for (std::size_t i = 0; i < step.alternatives.size(); ++i)
    out += (i ? " or " : "") + describe(step.alternatives[i]);
  return out;
}

void session::fail(std::string expected, std::string got, std::string reason) {
  if (finished_) return;
  finished_ = true;
  waiting_ = false;
  verdict_.passed = false;
  verdict_.step = pc_;
  verdict_.line = pc_ < script_.steps.size() ? script_.steps[pc_].line : 0;
  verdict_.expected = std::move(expected);
  verdict_.got = std::move(got);
  verdict_.reason = std::move(reason);
  keep_last_note("failed: " + verdict_.reason);
  for (std::size_t i = 0; i < connections_.size(); ++i)
    if (connections_[i]->connected) actions_.push_back(action(session_action::kind::close, i));
}

// A note kept past the transcript's limit, after one that counts what
// the limit dropped.
void session::keep_last_note(std::string text) {
  if (transcript_dropped_) {
    transcript_entry dropped;
    dropped.what = transcript_entry::kind::note;
    dropped.text = std::to_string(transcript_dropped_) + " more transcript entries not kept " +
                   "(limit " + std::to_string(options_.transcript_entries) + ")";
    verdict_.transcript.push_back(std::move(dropped));
  }
  transcript_entry e;
  e.what = transcript_entry::kind::note;
  e.text = std::move(text);
  verdict_.transcript.push_back(std::move(e));
}

void session::pass() {
  finished_ = true;
  waiting_ = false;
  verdict_.passed = true;
  verdict_.step = script_.steps.size();
  for (std::size_t i = 0; i < connections_.size(); ++i)
    if (connections_[i]->connected) actions_.push_back(action(session_action::kind::close, i));
}

void session::wait(duration timeout) {
  waiting_ = true;
  if (timer_step_ == pc_ && awaited_timer_ != 0) return; // this step's deadline is already set
  timer_step_ = pc_;
  awaited_timer_ = next_timer_++;
  session_action timer = action(session_action::kind::start_timer, 0);
  timer.delay = timeout;
  timer.timer = awaited_timer_;
  actions_.push_back(std::move(timer));
}

std::string session::peer() const {
  return script_.role == script_role::server ? "the client" : "the server";
}

session_action session::open_action(std::size_t connection) const {
  return action(script_.role == script_role::server ? session_action::kind::accept
                                                    : session_action::kind::connect,
                connection);
}

void session::start() {
  if (started_) return;
  started_ = true;
  // "main" is opened before the first step, unless that step opens it.
  const bool opens_main = !script_.steps.empty() &&
                          script_.steps.front().what == script_step::kind::connect &&
                          script_.steps.front().connection == "main";
  if (names_.front() == "main" && !opens_main) {
    actions_.push_back(open_action(0));
    wait_for_ = wait_for::implicit_connect;
    wait(options_.connect_timeout);
    return;
  }
  run();
}

void session::run() {
  while (!finished_ && !waiting_) {
    if (pc_ == script_.steps.size()) {
      pass();
      return;
    }
    if (plan_.what == delivery_plan::kind::pipeline) pipeline_ahead();
    if (finished_) return;
    if (!run_step(script_.steps[pc_])) return;
    ++pc_;
    awaited_timer_ = 0;
    wait_for_ = wait_for::nothing;
  }
}

bool session::run_step(const script_step& step) {
  const std::size_t c = connection_of(step);
  connection_state& conn = *connections_[c];
  switch (step.what) {
  case script_step::kind::connect:
    if (conn.connected) {
      fail("", "", "connection '" + step.connection + "' is already open");
      return false;
    }
    if (wait_for_ != wait_for::connect) {
      session_action connect = open_action(c);
      if (!step.endpoint.segments.empty()) {
        byte_buffer endpoint;
        if (!render_checked(step.endpoint, c, endpoint)) return false;
        connect.endpoint = std::string(as_text(endpoint));
      }
      actions_.push_back(std::move(connect));
      wait_for_ = wait_for::connect;
      wait(options_.connect_timeout);
      return false;
    }
    return conn.connected;
  case script_step::kind::send:
    if (!conn.connected) {
      fail("", "", "cannot send: connection '" + step.connection + "' is not open");
      return false;
    }
    if (!check_fields(step)) return false;
    if (!sent_ahead_[pc_]) send_step(pc_);
    return !finished_;
  case script_step::kind::expect:
    wait_for_ = wait_for::expect;
    return check_fields(step) && check_expect(step);
  case script_step::kind::framing:
    change_framing(c, step.framing);
    return !finished_;
  case script_step::kind::sync: // the steps before have passed: nothing went ahead of it
    return true;
  case script_step::kind::sleep:
    if (wait_for_ != wait_for::sleep) {
      wait_for_ = wait_for::sleep;
      wait(step.pause);
      return false;
    }
    return false;
  case script_step::kind::shutdown:
  case script_step::kind::close:
  case script_step::kind::reset: {
    if (!conn.connected) {
      fail("", "", "connection '" + step.connection + "' is not open");
      return false;
    }
    const auto what = step.what == script_step::kind::shutdown ? session_action::kind::shutdown
                      : step.what == script_step::kind::close  ? session_action::kind::close
                                                               : session_action::kind::reset;
    actions_.push_back(action(what, c));
    if (step.what != script_step::kind::shutdown) conn.connected = false;
    return true;
  }
  }
  return true;
}

void session::send_step(std::size_t index) {
  const script_step& step = script_.steps[index];
  const std::size_t c = connection_of(step);
  const framing_spec& spec = connections_[c]->spec;
  const auto wire_of = [&](std::size_t at, byte_buffer& wire) {
    const script_step& s = script_.steps[at];
    byte_buffer payload;
    const std::size_t resume = pc_;
    pc_ = at; // a failure is this step's
    if (!check_fields(s) || !render_checked(s.payload, c, payload)) return false;
    // Raw framing has no boundaries to write: its sends go as they are.
    if (s.raw || spec.kind == framing_kind::raw) {
      wire.insert(wire.end(), payload.begin(), payload.end());
      pc_ = resume;
      return true;
    }
    if (auto ec = encode_frame(spec, payload, field_values_for(spec, s.fields), wire)) {
      fail("a payload that '" + to_string(spec) + "' can frame", shown(payload),
           "cannot frame the payload: " + explain_refusal(spec, payload, ec));
      return false;
    }
    pc_ = resume;
    return true;
  };
  byte_buffer wire;
  if (!wire_of(index, wire)) return;
  sent_ahead_[index] = true;
  bool framed = !step.raw;
  // A datagram goes whole: there is no stream to cut or merge sends in
  // (the UDP matrix and the fuzzer change datagrams in the script instead).
  if (plan_.what == delivery_plan::kind::merged && !datagrams()) {
    // Consecutive sends on this connection, nothing between: one write.
    for (std::size_t j = index + 1; j < script_.steps.size(); ++j) {
      const script_step& next = script_.steps[j];
      if (next.what != script_step::kind::send || connection_of(next) != c) break;
      if (!wire_of(j, wire)) return;
      sent_ahead_[j] = true;
    }
  }
  // A send right after another on this connection waits the write gap too
  // (and the driver, as for a cut send's pieces, for the peer to have read
  // the last): consecutive sends reach the peer as reads of their own.
  // Sends in one read are the merged and pipeline plans' business.
  const bool after_a_send = index > 0 && script_.steps[index - 1].what == script_step::kind::send &&
                            connection_of(script_.steps[index - 1]) == c &&
                            plan_.what != delivery_plan::kind::merged &&
                            plan_.what != delivery_plan::kind::pipeline;
  const auto cuts =
      datagrams() ? std::vector<std::size_t>{} : plan_cuts(plan_, spec, wire, framed, sends_++);
  std::size_t from = 0;
  for (std::size_t i = 0; i <= cuts.size(); ++i) {
    const std::size_t to = i < cuts.size() ? cuts[i] : wire.size();
    // No bytes on a stream are no write; an empty datagram is one.
    if (to <= from && !(datagrams() && wire.empty())) continue;
    session_action write = action(session_action::kind::write, c);
    write.bytes.assign(wire.begin() + static_cast<std::ptrdiff_t>(from),
                       wire.begin() + static_cast<std::ptrdiff_t>(to));
    write.delay = from == 0 && !after_a_send ? duration{0} : options_.write_gap;
    note(c, transcript_entry::kind::sent, write.bytes);
    actions_.push_back(std::move(write));
    from = to;
  }
}

// Pipelining: sends after pending expects go out now, up to the first send
// that needs a variable those expects have not captured yet.
void session::pipeline_ahead() {
  std::set<std::string> pending_captures; // by expects not yet matched
  for (std::size_t j = pc_; j < script_.steps.size(); ++j) {
    const script_step& step = script_.steps[j];
    if (step.what == script_step::kind::expect) {
      for (const auto& e : step.alternatives) {
        // Nothing is sent ahead of a silence, a close or a reset: a send
        // would draw the very reply, or hit the very close, being awaited.
        if (e.what == expectation::kind::silence || e.what == expectation::kind::close ||
            e.what == expectation::kind::reset)
          return;
        if (!e.capture.empty()) pending_captures.insert(e.capture);
      }
      continue;
    }
    if (step.what != script_step::kind::send) return;
    if (sent_ahead_[j]) continue;
    // A variable an earlier expect has yet to (re)capture is not ready.
    for (const auto& name : step.payload.variables())
      if (pending_captures.count(name) || (!variables_.count(name) && !is_builtin_variable(name)))
        return;
    if (!connections_[connection_of(step)]->connected) return;
    send_step(j);
    if (finished_) return;
  }
}

// Header fields a step names must be fields of its connection's framing.
bool session::check_fields(const script_step& step) {
  const framing_spec& spec = connections_[connection_of(step)]->spec;
  const auto known = [&](const std::vector<field_setting>& fields) {
    for (const auto& f : fields)
      if (field_index(spec, f.name) == SIZE_MAX) {
        fail("", "",
             "header field '" + f.name + "' is not a field of framing '" + to_string(spec) + "'");
        return false;
      }
    return true;
  };
  if (!known(step.fields)) return false;
  for (const auto& e : step.alternatives)
    if (!known(e.fields)) return false;
  return true;
}

bool session::has_fields(const std::vector<field_setting>& fields, const received_frame& f,
                         const connection_state& conn) const {
  for (const auto& want : fields) {
    const std::size_t i = field_index(conn.spec, want.name);
    if (i >= f.fields.size() || f.fields[i] != want.value) return false;
  }
  return true;
}

// Whether frame `f` on connection `c` is what `e` expects; a regex's capture
// goes to `captured` when given. Close, reset and silence match no frame.
bool session::matches(const expectation& e, const received_frame& f, std::size_t c,
                      byte_buffer* captured) const {
  if (!has_fields(e.fields, f, *connections_[c])) return false;
  const byte_buffer& frame = f.body;
  byte_buffer scratch;
  switch (e.what) {
  case expectation::kind::exact:
    return frame == rendered(e.text, c, scratch);
  case expectation::kind::prefix: {
    const byte_buffer& p = rendered(e.text, c, scratch);
    return p.size() <= frame.size() && std::equal(p.begin(), p.end(), frame.begin());
  }
  case expectation::kind::contains:
    return contains(frame, rendered(e.text, c, scratch));
  case expectation::kind::regex: {
    const re2::RE2* const compiled = regex_of(e);
    if (!compiled) return false;
    // RE2 matches in time linear in the frame, without recursion, so
    // frames of any length are matched, captured or not.
    const RE2& re = *compiled;
    const std::string_view text = as_text(frame);
    if (!captured) return RE2::FullMatch(text, re);
    // Group 1, or the whole frame (the whole match) without a group. A
    // group that took no part in the match captures "".
    re2::StringPiece groups[2];
    const int wanted = std::min(re.NumberOfCapturingGroups(), 1) + 1;
    if (!re.Match(text, 0, text.size(), RE2::ANCHOR_BOTH, groups, wanted)) return false;
    const re2::StringPiece value = groups[wanted - 1];
    captured->assign(value.begin(), value.end());
    return true;
  }
  case expectation::kind::any:
    return true;
  case expectation::kind::close:
  case expectation::kind::reset:
  case expectation::kind::silence:
    return false;
  }
  return false;
}

// Frames the script's `ignore` directives let pass, at the front of the
// queue, unless the step expects them.
void session::drop_ignored(const script_step& step, std::size_t c) {
  if (script_.ignored.empty()) return;
  connection_state& conn = *connections_[c];
  bool dropped = false;
  while (!conn.frames.empty()) {
    const received_frame& f = conn.frames.front();
    const auto match = [&](const expectation& e) { return matches(e, f, c, nullptr); };
    if (std::any_of(step.alternatives.begin(), step.alternatives.end(), match) ||
        std::none_of(script_.ignored.begin(), script_.ignored.end(), match))
      break;
    note(c, transcript_entry::kind::ignored_frame, f.body, fields_text(conn.spec, f.fields));
    pop_frame(conn);
    dropped = true;
  }
  if (dropped && conn.frames.empty() && conn.decoder.buffered() == 0) conn.bytes_arrived = false;
}

void session::pop_frame(connection_state& conn) {
  conn.unread_bytes -= conn.frames.front().body.size();
  conn.frames.pop_front();
  if (!changes_framing_) return;
  // Bytes before the first frame not yet expected are never read again.
  const std::uint64_t keep_from =
      conn.frames.empty() ? conn.decoder_from + conn.decoder.offset() - conn.decoder.buffered()
                          : conn.frames.front().offset;
  const std::uint64_t drop = std::min<std::uint64_t>(keep_from - conn.kept_from, conn.kept.size());
  if (drop < 4096 && drop * 2 < conn.kept.size()) return; // erase in batches
  conn.kept.erase(conn.kept.begin(), conn.kept.begin() + static_cast<std::ptrdiff_t>(drop));
  conn.kept_from += drop;
}

bool session::check_expect(const script_step& step) {
  const std::size_t c = connection_of(step);
  connection_state& conn = *connections_[c];
  drop_ignored(step, c);
  const auto& alts = step.alternatives;
  const bool only_silence = std::all_of(alts.begin(), alts.end(), [](const expectation& e) {
    return e.what == expectation::kind::silence;
  });
  if (only_silence && conn.bytes_arrived && conn.frames.empty()) {
    fail(describe(step), "bytes of a frame", peer() + " sent something during the silence");
    return false;
  }
  if (!conn.frames.empty()) return match_frames(step, conn);
  return match_end(step, conn);
}

// The front frame (or, for `any N`, the first N) against the alternatives.
bool session::match_frames(const script_step& step, connection_state& conn) {
  const std::size_t c = connection_of(step);
  // Described only on a failure: a text of megabytes, rendered and escaped
  // at every read of a frame that arrives in thousands, made a slow reader
  // quadratic.
  const auto expected = [&] { return describe(step); };
  const received_frame& frame = conn.frames.front();
  for (const auto& e : step.alternatives) {
    if (e.what == expectation::kind::any) {
      if (conn.frames.size() >= e.count) {
        for (std::uint32_t i = 0; i < e.count; ++i)
          if (!has_fields(e.fields, conn.frames[i], conn)) {
            fail(expected(),
                 fields_text(conn.spec, conn.frames[i].fields) + shown(conn.frames[i].body),
                 peer() + " sent another frame than expected");
            return false;
          }
        for (std::uint32_t i = 0; i < e.count; ++i)
          pop_frame(conn);
        conn.bytes_arrived = false;
        return true;
      }
      if (!conn.peer_closed && !conn.peer_reset && !conn.stream_broken) {
        wait(step.within.value_or(script_.timeout.value_or(options_.default_timeout)));
        return false;
      }
      continue;
    }
    if (e.what == expectation::kind::regex && !regex_of(e)) {
      fail(expected(), "", "invalid regular expression /" + e.pattern + "/");
      return false;
    }
    byte_buffer captured;
    if (!matches(e, frame, c, e.capture.empty() ? nullptr : &captured)) continue;
    if (!e.capture.empty()) variables_[e.capture] = std::move(captured);
    pop_frame(conn);
    conn.bytes_arrived = false;
    return true;
  }
  const bool counting =
      std::any_of(step.alternatives.begin(), step.alternatives.end(),
                  [](const expectation& e) { return e.what == expectation::kind::any; });
  if (counting) { // `any N` with fewer frames, and the connection is over
    fail(expected(),
         std::to_string(conn.frames.size()) + " frames, then " +
             (conn.peer_reset      ? "a reset (RST)"
              : conn.stream_broken ? "bytes that break the framing"
                                   : "the connection closed (FIN)"),
         conn.peer_reset      ? peer() + " reset the connection"
         : conn.stream_broken ? peer() + " broke the framing: " + to_string(conn.decoder.error())
                              : peer() + " closed the connection");
    return false;
  }
  fail(expected(), fields_text(conn.spec, frame.fields) + shown(frame.body),
       peer() + " sent another frame than expected");
  return false;
}

// No frame waiting: a close or reset the step expects, a failure, or a wait.
bool session::match_end(const script_step& step, connection_state& conn) {
  const auto& alts = step.alternatives;
  for (const auto& e : alts) {
    if (e.what == expectation::kind::reset && conn.peer_reset) return true;
    if (e.what == expectation::kind::close &&
        ((conn.peer_closed && !conn.peer_reset) || conn.reset_after_close) &&
        conn.decoder.buffered() == 0)
      return true;
  }
  const auto expected = [&] { return describe(step); }; // only on a failure
  if (conn.stream_broken) {
    fail(expected(), "bytes that break the framing",
         peer() + " broke the framing: " + to_string(conn.decoder.error()));
    return false;
  }
  if (conn.peer_reset && !conn.write_failure.empty()) {
    fail(expected(), "", "cannot write to '" + step.connection + "': " + conn.write_failure);
    return false;
  }
  if (conn.peer_reset) {
    fail(expected(),
         (conn.reset_after_close ? "the connection closed (FIN), then reset (RST)"
                                 : "a reset (RST)") +
             unfinished(conn.decoder, " after "),
         peer() + " reset the connection");
    return false;
  }
  if (conn.peer_closed) {
    fail(expected(), "the connection closed (FIN)", peer() + " closed the connection");
    return false;
  }
  // (After a failed write, the read side has yet to tell the end.)
  if (!conn.connected && conn.write_failure.empty()) {
    fail(expected(), "", "connection '" + step.connection + "' is not open");
    return false;
  }
  // Nothing yet: wait until the quiet period passes (silence) or the timeout.
  duration timeout = step.within.value_or(script_.timeout.value_or(options_.default_timeout));
  for (const auto& e : alts)
    if (e.what == expectation::kind::silence) timeout = e.quiet;
  wait(timeout);
  return false;
}

void session::on_connected(std::size_t connection) {
  if (finished_ || connection >= connections_.size()) return;
  connections_[connection]->connected = true;
  note(connection, transcript_entry::kind::connected, {});
  if (waiting_ && (wait_for_ == wait_for::connect || wait_for_ == wait_for::implicit_connect)) {
    const bool implicit = wait_for_ == wait_for::implicit_connect;
    waiting_ = false;
    awaited_timer_ = 0;
    if (implicit) {
      wait_for_ = wait_for::nothing;
    } else {
      ++pc_;
      wait_for_ = wait_for::nothing;
    }
    run();
  }
}

void session::on_connect_failed(std::size_t connection, std::string reason) {
  if (finished_ || connection >= connections_.size()) return;
  if (script_.role == script_role::server)
    fail("the client's connection", "",
         "no client connection for '" + names_[connection] + "': " + reason);
  else
    fail("a connection", "", "cannot connect '" + names_[connection] + "': " + reason);
}

void session::queue_frame(std::size_t connection, const frame& f) {
  connection_state& conn = *connections_[connection];
  const split_frame split = split_header(conn.spec, f.payload);
  received_frame r{conn.decoder.take(split.body), split.fields, conn.decoder_from + f.offset};
  conn.unread_bytes += r.body.size();
  note(connection, transcript_entry::kind::received_frame, r.body,
       fields_text(conn.spec, r.fields));
  conn.frames.push_back(std::move(r));
}

void session::decode(std::size_t connection, byte_view bytes) {
  connection_state& conn = *connections_[connection];
  if (conn.stream_broken) return;
  if (datagrams()) return decode_datagram(connection, bytes);
  std::error_code ec;
  conn.decoder.consume(
      bytes, [&](const frame& f) { queue_frame(connection, f); }, ec);
  if (ec) conn.stream_broken = true;
}

// A datagram is read alone, with a decoder of its own: no frame goes on into
// the next datagram, and one that ends inside a frame breaks the framing
// (`datagram` and `raw` make the whole datagram one frame, an empty one too).
void session::decode_datagram(std::size_t connection, byte_view bytes) {
  connection_state& conn = *connections_[connection];
  conn.decoder.reset();
  conn.decoder_from = conn.datagram_bytes;
  conn.datagram_bytes += bytes.size();
  const auto queue = [&](const frame& f) { queue_frame(connection, f); };
  const bool whole =
      conn.spec.kind == framing_kind::datagram || conn.spec.kind == framing_kind::raw;
  if (bytes.empty()) {
    if (whole) queue(frame{bytes, 0, 0});
    return;
  }
  std::error_code ec;
  conn.decoder.consume(bytes, queue, ec);
  if (!ec) conn.decoder.finish(queue, ec);
  if (ec) conn.stream_broken = true;
}

// `framing SPEC` on a connection: what it sends from now on is framed with
// SPEC, and what it received but the script has not expected yet is cut
// again with it (a banner and the binary frames after it may come in one
// read).
void session::change_framing(std::size_t connection, const std::string& spec_text) {
  connection_state& conn = *connections_[connection];
  spec_error bad;
  auto spec = parse_framing_spec(spec_text, bad);
  if (!spec) { // the parser makes this unreachable for parsed scripts
    fail("", "", "bad framing spec '" + spec_text + "': " + to_string(bad));
    return;
  }
  // Datagrams are not kept to cut again (changes_framing_ is for streams):
  // the frames already read stay as they are, and the new spec reads the
  // datagrams that come from now on.
  if (datagrams()) {
    conn.spec = std::move(*spec);
    conn.decoder = frame_decoder(keeping_headers(conn.spec));
    note(connection, transcript_entry::kind::note, {}, "framing " + to_string(conn.spec));
    return;
  }
  const std::uint64_t from =
      conn.frames.empty() ? conn.decoder_from + conn.decoder.offset() - conn.decoder.buffered()
                          : conn.frames.front().offset;
  const std::size_t skip =
      static_cast<std::size_t>(std::min<std::uint64_t>(from - conn.kept_from, conn.kept.size()));
  const byte_buffer again(conn.kept.begin() + static_cast<std::ptrdiff_t>(skip), conn.kept.end());
  conn.spec = std::move(*spec);
  conn.decoder = frame_decoder(keeping_headers(conn.spec));
  conn.decoder_from = from;
  conn.frames.clear();
  conn.unread_bytes = 0;
  conn.stream_broken = false;
  note(connection, transcript_entry::kind::note, {},
       "framing " + to_string(conn.spec) +
           (again.empty() ? std::string()
                          : ": " + std::to_string(again.size()) + " bytes received read again"));
  decode(connection, again);
  if (conn.peer_closed && !conn.stream_broken) {
    std::error_code ec;
    conn.decoder.finish([&](const frame& f) { queue_frame(connection, f); }, ec);
    if (ec) conn.stream_broken = true;
  }
}

std::size_t session::held_bytes() const noexcept {
  std::size_t held = 0;
  for (const auto& conn : connections_)
    held += conn->unread_bytes + conn->decoder.buffered();
  return held;
}

void session::on_received(std::size_t connection, byte_view bytes) {
  // An empty datagram is a message; on a stream, no bytes are no news.
  if (finished_ || connection >= connections_.size() || (bytes.empty() && !datagrams())) return;
  connection_state& conn = *connections_[connection];
  conn.bytes_arrived = true;
  if (changes_framing_) conn.kept.insert(conn.kept.end(), bytes.begin(), bytes.end());
  decode(connection, bytes);
  // The script takes what it waits for first: only frames it has not
  // taken count against the bounds ("expect any 1000000" takes a flood of
  // frames as they come).
  wake(connection);
  if (finished_) return;
  // One frame is not counted, the next one due or the newest, so that a
  // frame the spec allows is judged, not refused, however large; a flood
  // of frames still meets the bound.
  const std::size_t one_frame = conn.frames.empty() ? 0
                                                    : std::max(conn.frames.front().body.size(),
                                                               conn.frames.back().body.size());
  if (conn.unread_bytes - one_frame > options_.most_unread_bytes) {
    fail("", std::to_string(conn.unread_bytes) + " bytes not yet expected",
         peer() + " sent more than " + std::to_string(options_.most_unread_bytes) +
             " bytes ahead of the script (besides one frame, which may be as large as the "
             "spec's max=" +
             std::to_string(conn.spec.max) + ")");
    return;
  }
  if (conn.frames.size() > options_.most_unread_frames) {
    fail("", std::to_string(conn.frames.size()) + " frames not yet expected",
         peer() + " sent more than " + std::to_string(options_.most_unread_frames) +
             " frames ahead of the script");
  }
}

void session::wake(std::size_t connection) {
  if (!waiting_ || wait_for_ != wait_for::expect || pc_ >= script_.steps.size()) return;
  if (connection_of(script_.steps[pc_]) != connection) return;
  waiting_ = false;
  run();
}

void session::on_peer_closed(std::size_t connection) {
  if (finished_ || connection >= connections_.size()) return;
  connection_state& conn = *connections_[connection];
  if (conn.peer_closed) return;
  // The write that failed took the reset's error: the read side sees only
  // the end of the stream.
  if (!conn.write_failure.empty() && !conn.peer_reset) return on_peer_reset(connection);
  conn.peer_closed = true;
  note(connection, transcript_entry::kind::peer_closed, {});
  if (!conn.stream_broken) {
    std::error_code ec;
    conn.decoder.finish([&](const frame& f) { queue_frame(connection, f); }, ec);
    if (ec) conn.stream_broken = true;
  }
  wake(connection);
}

void session::on_peer_reset(std::size_t connection) {
  if (finished_ || connection >= connections_.size()) return;
  connection_state& conn = *connections_[connection];
  // After the peer's FIN, or learnt from a write that failed (the peer
  // closed, then refused what was still being written): the close the
  // script may expect happened first.
  if ((conn.peer_closed || !conn.write_failure.empty()) && !conn.peer_reset)
    conn.reset_after_close = true;
  conn.peer_reset = true;
  conn.connected = false;
  note(connection, transcript_entry::kind::peer_reset, {}, conn.peer_closed ? "after its FIN" : "");
  wake(connection);
}

void session::on_write_failed(std::size_t connection, std::string reason) {
  if (finished_ || connection >= connections_.size()) return;
  connection_state& conn = *connections_[connection];
  conn.connected = false;
  // The peer's reset or close, already seen and judged, explains the
  // failure; and a connection the script is done with owes nothing more
  // (a server that answered a huge frame and closed before reading it all).
  const bool script_done_with_it =
      std::none_of(script_.steps.begin() + static_cast<std::ptrdiff_t>(pc_), script_.steps.end(),
                   [&](const script_step& step) { return step.connection == names_[connection]; });
  if (conn.peer_reset || conn.peer_closed || script_done_with_it) {
    note(connection, transcript_entry::kind::note, {}, "write failed: " + reason);
    return;
  }
  // The peer is gone: a server that closes on a frame it refuses, while
  // the frame is still being written, makes the write fail (EPIPE,
  // ECONNRESET). The read side then ends too, after the frames that came
  // before (an error reply): the next expect on this connection judges
  // them, then the end, as the close or the reset it allows, else as the
  // failed write. Without one, the failed write is the failure.
  const bool expects_more = std::any_of(script_.steps.begin() + static_cast<std::ptrdiff_t>(pc_),
                                        script_.steps.end(), [&](const script_step& step) {
                                          return step.connection == names_[connection] &&
                                                 step.what == script_step::kind::expect;
                                        });
  if (!expects_more) {
    fail("", "", "cannot write to '" + names_[connection] + "': " + reason);
    return;
  }
  conn.write_failure = reason;
  note(connection, transcript_entry::kind::note, {}, "write failed: " + reason);
}

void session::abort(std::string reason) {
  fail("", "", std::move(reason));
}

void session::on_timer(std::uint64_t timer) {
  if (finished_ || !waiting_ || timer != awaited_timer_) return;
  awaited_timer_ = 0;
  switch (wait_for_) {
  case wait_for::implicit_connect:
  case wait_for::connect: {
    const std::string within = " within " + duration_text(options_.connect_timeout);
    if (script_.role != script_role::server)
      return fail("a connection", "", "no connection" + within);
    const std::string& name =
        wait_for_ == wait_for::connect ? script_.steps[pc_].connection : names_.front();
    fail("the client's connection", "", "no client connected for '" + name + "'" + within);
    return;
  }
  case wait_for::sleep:
    waiting_ = false;
    wait_for_ = wait_for::nothing;
    ++pc_;
    run();
    return;
  case wait_for::expect: {
    const script_step& step = script_.steps[pc_];
    const bool silence =
        std::any_of(step.alternatives.begin(), step.alternatives.end(),
                    [](const expectation& e) { return e.what == expectation::kind::silence; });
    const auto& quiet_conn = *connections_[connection_of(step)];
    if (silence && !quiet_conn.bytes_arrived) {
      waiting_ = false;
      wait_for_ = wait_for::nothing;
      connections_[connection_of(step)]->bytes_arrived = false;
      ++pc_;
      run();
      return;
    }
    const std::string expected = describe(step);
    const auto& conn = *connections_[connection_of(step)];
    const duration timeout =
        step.within.value_or(script_.timeout.value_or(options_.default_timeout));
    fail(expected, "nothing within " + duration_text(timeout) + unfinished(conn.decoder, ", only "),
         "timed out");
    return;
  }
  case wait_for::nothing:
    return;
  }
}

} // namespace tcpcheck
