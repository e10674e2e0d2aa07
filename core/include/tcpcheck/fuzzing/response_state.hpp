// Response feedback: the states a server's replies reveal, for any server
// in any language, with no instrumentation and no protocol parser.
//
// tcpcheck already decodes every reply with the script's framing, so each
// reply frame has a token: its first word (digits folded to '#', so
// "$5" and "$12" are one token), or its first byte in hex when it does not
// start with a word. An exchange is the sends that went out together and
// the replies that came back before the next send:
//
//   state before  --what was sent-->  state after
//
// A state is the distinct tokens of the reply frames with a coarse size
// class (empty, short < 16, medium < 256, long): "END/s,VALUE/m", or
// "close", "reset", "silence". A reply whose first word is the first word
// of a send of the same exchange is an echo, token "=echo": an echo server
// would otherwise make a state of every word sent to it. What was sent is the first word of the
// exchange's first send that has one the fuzzer knows (the script's, the
// dictionary's, learned ones), else "?" for a framed payload and "raw" for
// bytes the framing cannot decode: a mutated payload does not make a new
// transition by itself, a new reply does. States and transitions are
// coarse on purpose: every new one keeps a case in the corpus.
//
//   auto seen = read_responses(verdict.transcript, watched, spec, known_words);
//   for (auto& t : seen.transitions) if (transitions.insert(t).second) keep(the case);
#pragma once

#include "tcpcheck/bytes.hpp"
#include "tcpcheck/framing_spec.hpp"
#include "tcpcheck/session.hpp"

#include <cstddef>
#include <set>
#include <string>
#include <vector>

namespace tcpcheck {

struct response_limits {
  static constexpr std::size_t longest_word = 12;    ///< bytes of a token or a first word
  static constexpr std::size_t frames_per_state = 3; ///< distinct reply tokens a state names
};

struct response_signature {
  std::vector<std::string> states;      ///< every state reached, in order
  std::vector<std::string> transitions; ///< "before -> sent -> after"
  /// First words of the replies: words the server answered with, which the
  /// mutator may send back.
  std::vector<byte_buffer> reply_words;
};

/// The first word of a payload: an optional leading punctuation byte, then
/// letters, digits, '_' and '-', at most response_limits::longest_word
/// bytes. Empty when the payload starts with anything else.
byte_view first_word(byte_view payload);

/// A reply frame's token: its first word with digit runs folded to '#', or
/// "\xNN" for its first byte, or "empty".
std::string reply_token(byte_view payload);

/// The exchanges of the connections marked in `watched` (by transcript
/// connection index; others, such as the liveness probe's, are skipped).
/// `known_words` holds the first words a send may be named by.
response_signature read_responses(const std::vector<transcript_entry>& transcript,
                                  const std::vector<bool>& watched, const framing_spec& spec,
                                  const std::set<std::string>& known_words);

} // namespace tcpcheck
