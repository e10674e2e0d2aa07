// Exchanges and states from a session's transcript.
#include "tcpcheck/fuzzing/response_state.hpp"

#include "tcpcheck/frame_decoder.hpp"

#include <cctype>
#include <cstdio>
#include <map>

namespace tcpcheck {

namespace {

bool is_word_byte(std::uint8_t b) {
  return std::isalnum(b) || b == '_' || b == '-';
}

bool is_punctuation(std::uint8_t b) {
  return b < 0x80 && std::ispunct(b) && b != '"' && b != '\\';
}

// Reply sizes, coarse on purpose (a reply that echoes its request would
// make a state per request length otherwise): empty, short, medium, long.
char size_class(std::size_t size) {
  return size == 0 ? '0' : size < 16 ? 's' : size < 256 ? 'm' : 'l';
}

// "a,b" from a set of tokens.
std::string joined(const std::set<std::string>& tokens) {
  std::string out;
  for (const auto& t : tokens)
    out += (out.empty() ? "" : ",") + t;
  return out;
}

// What one write of the client said: the first word of the first frame it
// holds (raw framing: of the bytes), and the name of the send from it.
struct sent_words {
  std::string word;
  std::string token; // the word if known, "?" for another payload, "raw" for no frame
};

sent_words words_of_send(byte_view bytes, const framing_spec& spec,
                         const std::set<std::string>& known) {
  sent_words out{"", "raw"};
  const auto name = [&](byte_view payload) {
    out.word = std::string(as_text(first_word(payload)));
    out.token = known.count(out.word) ? out.word : "?";
  };
  if (spec.kind == framing_kind::raw || spec.kind == framing_kind::datagram) {
    name(bytes);
    return out;
  }
  frame_decoder decoder(spec);
  std::error_code ec;
  bool first = true;
  decoder.consume(
      bytes,
      [&](const frame& f) {
        if (first) name(f.payload);
        first = false;
      },
      ec);
  return out;
}

// One connection's exchanges as they are read off its transcript.
class exchange_reader {
public:
  exchange_reader(const framing_spec& spec, const std::set<std::string>& known,
                  response_signature& out)
      : spec_(spec), known_(known), out_(out) {}

  void sent(byte_view bytes) {
    if (reply_count_) end_exchange(state_of_replies());
    // The exchange is named by the first send the fuzzer has a word for:
    // pieces and garbage ("raw", "?") around it change nothing.
    const auto words = words_of_send(bytes, spec_, known_);
    if (sent_.empty() || ((sent_ == "?" || sent_ == "raw") && words.token != "raw"))
      sent_ = words.token;
    if (!words.word.empty() && sent_words_.size() < echo_words) sent_words_.insert(words.word);
  }

  void received(byte_view payload) {
    ++reply_count_;
    const byte_view word = first_word(payload);
    // A reply that starts with what was just sent is an echo: one state,
    // whatever was sent, and no word worth learning.
    const bool echo = !word.empty() && sent_words_.count(std::string(as_text(word)));
    if (replies_.size() < response_limits::frames_per_state)
      replies_.insert((echo ? std::string("=echo") : reply_token(payload)) + "/" +
                      size_class(payload.size()));
    if (!word.empty() && !echo) out_.reply_words.emplace_back(word.begin(), word.end());
  }

  void ended(const char* how) {
    if (reply_count_) end_exchange(state_of_replies());
    end_exchange(how);
    closed_ = true;
  }

  void finish() {
    if (closed_) return;
    if (reply_count_)
      end_exchange(state_of_replies());
    else if (!sent_.empty())
      end_exchange("silence");
  }

private:
  // The distinct tokens of the replies.
  std::string state_of_replies() const { return joined(replies_); }

  void end_exchange(std::string after) {
    out_.states.push_back(after);
    out_.transitions.push_back(state_ + " -> " + (sent_.empty() ? "nothing" : sent_) + " -> " +
                               after);
    state_ = std::move(after);
    sent_.clear();
    sent_words_.clear();
    replies_.clear();
    reply_count_ = 0;
  }

  const framing_spec& spec_;
  const std::set<std::string>& known_;
  response_signature& out_;
  std::string state_ = "start";
  static constexpr std::size_t echo_words = 8;
  std::string sent_;                 // what names the exchange's sends
  std::set<std::string> sent_words_; // their first words, to tell an echo
  std::set<std::string> replies_;    // distinct tokens
  std::size_t reply_count_ = 0;
  bool closed_ = false;
};

} // namespace

byte_view first_word(byte_view payload) {
  std::size_t n = 0;
  if (!payload.empty() && is_punctuation(payload[0])) n = 1;
  while (n < payload.size() && n < response_limits::longest_word && is_word_byte(payload[n]))
    ++n;
  if (n == 1 && is_punctuation(payload[0])) return payload.first(1);
  return payload.first(n);
}

std::string reply_token(byte_view payload) {
  if (payload.empty()) return "empty";
  const byte_view word = first_word(payload);
  if (word.empty()) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "\\x%02x", payload[0]);
    return hex;
  }
  std::string token;
  for (const std::uint8_t b : word) {
    if (std::isdigit(b)) {
      if (token.empty() || token.back() != '#') token += '#';
    } else {
      token += static_cast<char>(b);
    }
  }
  return token;
}

response_signature read_responses(const std::vector<transcript_entry>& transcript,
                                  const std::vector<bool>& watched, const framing_spec& spec,
                                  const std::set<std::string>& known_words) {
  response_signature out;
  std::map<std::size_t, exchange_reader> readers;
  for (const auto& e : transcript) {
    if (e.connection >= watched.size() || !watched[e.connection]) continue;
    auto& r = readers.try_emplace(e.connection, spec, known_words, out).first->second;
    switch (e.what) {
    case transcript_entry::kind::sent:
      r.sent(e.bytes);
      break;
    case transcript_entry::kind::received_frame:
      r.received(e.bytes);
      break;
    case transcript_entry::kind::peer_closed:
      r.ended("close");
      break;
    case transcript_entry::kind::peer_reset:
      r.ended("reset");
      break;
    default:
      break;
    }
  }
  for (auto& [connection, r] : readers)
    r.finish();
  return out;
}

} // namespace tcpcheck
