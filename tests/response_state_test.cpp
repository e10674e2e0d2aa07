// Tests for fuzzing/response_state.hpp: first words, reply tokens, and the
// states and transitions read off hand-built session transcripts.
#include "tcpcheck/fuzzing/response_state.hpp"

#include "tcpcheck/bytes.hpp"
#include "tcpcheck/framing_spec.hpp"
#include "tcpcheck/session.hpp"

#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace tcpcheck {
namespace {

using namespace std::string_literals;
using test::spec_of;
using entry_kind = transcript_entry::kind;

// ---------------------------------------------------------------------------
// Helpers

byte_buffer bytes_of(std::string_view text) {
  const byte_view view = as_bytes(text);
  return byte_buffer(view.begin(), view.end());
}

std::string word_of(std::string_view payload) {
  return std::string(as_text(first_word(as_bytes(payload))));
}

std::string token_of(std::string_view payload) {
  return reply_token(as_bytes(payload));
}

transcript_entry sent(std::size_t connection, std::string_view bytes) {
  return {entry_kind::sent, connection, bytes_of(bytes), {}};
}

transcript_entry got(std::size_t connection, std::string_view payload) {
  return {entry_kind::received_frame, connection, bytes_of(payload), {}};
}

transcript_entry closed(std::size_t connection) {
  return {entry_kind::peer_closed, connection, {}, {}};
}

transcript_entry reset(std::size_t connection) {
  return {entry_kind::peer_reset, connection, {}, {}};
}

transcript_entry connected(std::size_t connection) {
  return {entry_kind::connected, connection, {}, {}};
}

transcript_entry note(std::size_t connection, std::string text) {
  return {entry_kind::note, connection, {}, std::move(text)};
}

using strings = std::vector<std::string>;

strings words_of(const response_signature& s) {
  strings out;
  for (const auto& w : s.reply_words)
    out.emplace_back(as_text(w));
  return out;
}

const std::set<std::string> known = {"GET", "SET", "QUIT"};

// The signature of a transcript on one watched connection (0), line framing.
response_signature read_line(const std::vector<transcript_entry>& transcript,
                             const std::set<std::string>& words = known) {
  return read_responses(transcript, {true}, spec_of("line"), words);
}

// ---------------------------------------------------------------------------
// first_word

TEST(FirstWord, IsTheLeadingRunOfLettersDigitsUnderscoresAndDashes) {
  EXPECT_EQ(word_of("hello world"), "hello");
  EXPECT_EQ(word_of("user_name-2 x"), "user_name-2");
  EXPECT_EQ(word_of("GET"), "GET");
  EXPECT_EQ(word_of("VALUE 1\r\n"), "VALUE");
  EXPECT_EQ(word_of("12 apples"), "12");
}

TEST(FirstWord, TakesOneLeadingPunctuationByte) {
  EXPECT_EQ(word_of("+OK\r\n"), "+OK");
  EXPECT_EQ(word_of("-ERR x"), "-ERR");
  EXPECT_EQ(word_of("$12\r\n"), "$12");
  EXPECT_EQ(word_of("*3\r\n"), "*3");
  EXPECT_EQ(word_of(":1000"), ":1000");
}

TEST(FirstWord, IsThePunctuationByteAloneWhenNoWordFollowsIt) {
  EXPECT_EQ(word_of("+"), "+");
  EXPECT_EQ(word_of("+ x"), "+");
  EXPECT_EQ(word_of("::x"), ":");
  EXPECT_EQ(word_of("++OK"), "+");
}

TEST(FirstWord, IsEmptyWhenThePayloadStartsWithAnythingElse) {
  EXPECT_EQ(word_of(""), "");
  EXPECT_EQ(word_of("\x01OK"), "");
  EXPECT_EQ(word_of("\x80OK"), "");
  EXPECT_EQ(word_of("\xffOK"), "");
  EXPECT_EQ(word_of(" OK"), "");
  EXPECT_EQ(word_of("\r\n"), "");
  EXPECT_EQ(word_of("\0OK"s), "");
  EXPECT_EQ(word_of("\"quoted\""), "") << "a quote is not a leading punctuation byte";
  EXPECT_EQ(word_of("\\x41"), "") << "a backslash is not a leading punctuation byte";
}

TEST(FirstWord, StopsAtTwelveBytes) {
  static_assert(response_limits::longest_word == 12);
  EXPECT_EQ(word_of("ABCDEFGHIJKLMNOPQ"), "ABCDEFGHIJKL");
  EXPECT_EQ(word_of("ABCDEFGHIJKL"), "ABCDEFGHIJKL");
  EXPECT_EQ(word_of("ABCDEFGHIJK "), "ABCDEFGHIJK");
  EXPECT_EQ(word_of("+ABCDEFGHIJKLMNOP"), "+ABCDEFGHIJK") << "the punctuation byte counts";
}

TEST(FirstWord, ViewsThePayloadsOwnBytes) {
  const std::string payload = "+OK ready";
  const byte_view view = as_bytes(payload);
  const byte_view word = first_word(view);
  EXPECT_EQ(static_cast<const void*>(word.data()), static_cast<const void*>(view.data()));
  EXPECT_EQ(word.size(), 3u);
}

// ---------------------------------------------------------------------------
// reply_token

TEST(ReplyToken, IsTheFirstWordWithDigitRunsFoldedToAHash) {
  EXPECT_EQ(token_of("$12\r\n"), "$#");
  EXPECT_EQ(token_of("$5"), "$#");
  EXPECT_EQ(token_of("$1234567"), "$#");
  EXPECT_EQ(token_of("a1b22c333"), "a#b#c#");
  EXPECT_EQ(token_of("123abc"), "#abc");
  EXPECT_EQ(token_of(":0"), ":#");
  EXPECT_EQ(token_of("+OK"), "+OK");
  EXPECT_EQ(token_of("-ERR unknown command"), "-ERR");
  EXPECT_EQ(token_of("VALUE key 0 5"), "VALUE");
}

TEST(ReplyToken, FoldsOnlyTheFirstTwelveBytes) {
  EXPECT_EQ(token_of("VALUE1234567890"), "VALUE#");
  EXPECT_EQ(token_of("ABCDEFGHIJKL9"), "ABCDEFGHIJKL");
  EXPECT_EQ(token_of("12345678901234567890"), "#");
}

TEST(ReplyToken, IsTheFirstByteInHexWhenThePayloadDoesNotStartWithAWord) {
  EXPECT_EQ(token_of("\x01\x02\x03"), "\\x01");
  EXPECT_EQ(token_of("\xff"), "\\xff");
  EXPECT_EQ(token_of("\x80OK"), "\\x80");
  EXPECT_EQ(token_of(" hi"), "\\x20");
  EXPECT_EQ(token_of("\"q\""), "\\x22");
  EXPECT_EQ(token_of("\0\0"s), "\\x00");
  EXPECT_EQ(token_of("\xAB"), "\\xab") << "lower-case hex";
}

TEST(ReplyToken, IsEmptyForAnEmptyPayload) {
  EXPECT_EQ(token_of(""), "empty");
}

// ---------------------------------------------------------------------------
// read_responses: exchanges and states

TEST(ReadResponses, ReadsOneExchangePerSendWithTheRepliesThatFollowIt) {
  const auto seen = read_line({
      sent(0, "GET k\n"),
      got(0, "VALUE 1"),
      got(0, "END"),
      sent(0, "SET k 2\n"),
      got(0, "STORED"),
      closed(0),
  });
  EXPECT_EQ(seen.states, (strings{"END/s,VALUE/s", "STORED/s", "close"}));
  EXPECT_EQ(seen.transitions,
            (strings{"start -> GET -> END/s,VALUE/s", "END/s,VALUE/s -> SET -> STORED/s",
                     "STORED/s -> nothing -> close"}));
}

TEST(ReadResponses, AGreetingBeforeAnySendIsAnExchangeOfNothingSent) {
  const auto seen = read_line({
      got(0, "Welcome"),
      sent(0, "GET k\n"),
      got(0, "VALUE 1"),
  });
  EXPECT_EQ(seen.states, (strings{"Welcome/s", "VALUE/s"}));
  EXPECT_EQ(seen.transitions,
            (strings{"start -> nothing -> Welcome/s", "Welcome/s -> GET -> VALUE/s"}));
}

TEST(ReadResponses, ClassesReplySizesAsEmptyShortMediumAndLong) {
  const auto of_size = [](std::size_t n) {
    std::string payload = "OK";
    payload.resize(n, ' ');
    return payload;
  };
  const auto seen = read_line({
      sent(0, "GET a\n"),
      got(0, ""),
      sent(0, "GET b\n"),
      got(0, of_size(15)),
      sent(0, "GET c\n"),
      got(0, of_size(16)),
      sent(0, "GET d\n"),
      got(0, of_size(255)),
      sent(0, "GET e\n"),
      got(0, of_size(256)),
      sent(0, "GET f\n"),
      got(0, of_size(5000)),
  });
  EXPECT_EQ(seen.states, (strings{"empty/0", "OK/s", "OK/m", "OK/m", "OK/l", "OK/l"}));
  EXPECT_EQ(seen.transitions,
            (strings{"start -> GET -> empty/0", "empty/0 -> GET -> OK/s", "OK/s -> GET -> OK/m",
                     "OK/m -> GET -> OK/m", "OK/m -> GET -> OK/l", "OK/l -> GET -> OK/l"}));
}

TEST(ReadResponses, NamesAStateByItsDistinctTokensInOrderWithTheirSizeClasses) {
  const auto seen = read_line({
      sent(0, "GET k\n"),
      got(0, "$5"),
      got(0, "$12"),
      got(0, "$5"),
      got(0, "VALUE " + std::string(20, 'x')),
      got(0, "VALUE 1"),
  });
  // "$5" and "$12" are one token; VALUE comes in two sizes, so twice.
  EXPECT_EQ(seen.states, (strings{"$#/s,VALUE/m,VALUE/s"}));
}

TEST(ReadResponses, NamesAStateByAtMostThreeTokensTheFirstToArrive) {
  static_assert(response_limits::frames_per_state == 3);
  const auto seen = read_line({
      sent(0, "GET k\n"),
      got(0, "D"),
      got(0, "C"),
      got(0, "D"),
      got(0, "B"),
      got(0, "A"),
      got(0, "E"),
  });
  EXPECT_EQ(seen.states, (strings{"B/s,C/s,D/s"}));
}

TEST(ReadResponses, NamesBinaryRepliesByTheirFirstByte) {
  const auto seen = read_line({
      sent(0, "GET k\n"),
      got(0, "\x01\x02"),
      got(0, "\xff"),
  });
  EXPECT_EQ(seen.states, (strings{"\\x01/s,\\xff/s"}));
}

TEST(ReadResponses, EndsWithAResetAfterTheRepliesBeforeIt) {
  const auto seen = read_line({
      sent(0, "GET k\n"),
      got(0, "-ERR bad"),
      reset(0),
  });
  EXPECT_EQ(seen.states, (strings{"-ERR/s", "reset"}));
  EXPECT_EQ(seen.transitions, (strings{"start -> GET -> -ERR/s", "-ERR/s -> nothing -> reset"}));
}

TEST(ReadResponses, ASendAnsweredByAResetGoesStraightToReset) {
  const auto seen = read_line({sent(0, "GET k\n"), reset(0)});
  EXPECT_EQ(seen.states, (strings{"reset"}));
  EXPECT_EQ(seen.transitions, (strings{"start -> GET -> reset"}));
}

TEST(ReadResponses, ASendAnsweredByACloseGoesStraightToClose) {
  const auto seen = read_line({sent(0, "QUIT\n"), closed(0)});
  EXPECT_EQ(seen.states, (strings{"close"}));
  EXPECT_EQ(seen.transitions, (strings{"start -> QUIT -> close"}));
}

TEST(ReadResponses, ACloseBeforeAnythingIsAnExchangeOfNothingSent) {
  const auto seen = read_line({closed(0)});
  EXPECT_EQ(seen.states, (strings{"close"}));
  EXPECT_EQ(seen.transitions, (strings{"start -> nothing -> close"}));
}

TEST(ReadResponses, ALastSendWithNoReplyEndsInSilence) {
  const auto seen = read_line({
      sent(0, "GET k\n"),
      got(0, "OK"),
      sent(0, "SET k 1\n"),
  });
  EXPECT_EQ(seen.states, (strings{"OK/s", "silence"}));
  EXPECT_EQ(seen.transitions, (strings{"start -> GET -> OK/s", "OK/s -> SET -> silence"}));
}

TEST(ReadResponses, ACloseAfterTheLastSendIsNotSilence) {
  const auto seen = read_line({sent(0, "GET k\n"), got(0, "OK"), sent(0, "SET k 1\n"), closed(0)});
  EXPECT_EQ(seen.transitions, (strings{"start -> GET -> OK/s", "OK/s -> SET -> close"}));
}

TEST(ReadResponses, AConnectionThatNeitherSentNorReceivedReachesNoState) {
  const auto seen = read_line({connected(0), note(0, "nothing happened")});
  EXPECT_TRUE(seen.states.empty());
  EXPECT_TRUE(seen.transitions.empty());
  EXPECT_TRUE(seen.reply_words.empty());
}

TEST(ReadResponses, ConnectsAndNotesChangeNothing) {
  const std::vector<transcript_entry> plain = {sent(0, "GET k\n"), got(0, "VALUE 1"),
                                               sent(0, "SET k\n"), got(0, "STORED")};
  const std::vector<transcript_entry> noisy = {
      connected(0), note(0, "a note"),  sent(0, "GET k\n"), note(0, "between"), got(0, "VALUE 1"),
      connected(0), sent(0, "SET k\n"), got(0, "STORED"),   note(0, "the end")};
  const auto a = read_line(plain);
  const auto b = read_line(noisy);
  EXPECT_EQ(a.states, (strings{"VALUE/s", "STORED/s"}));
  EXPECT_EQ(b.states, a.states);
  EXPECT_EQ(b.transitions, a.transitions);
  EXPECT_EQ(words_of(b), words_of(a));
}

// ---------------------------------------------------------------------------
// read_responses: what was sent

TEST(ReadResponses, SendsThatWentOutTogetherAreOneExchangeNamedByTheFirstKnownWord) {
  const auto seen = read_line({
      sent(0, "zzz\n"),
      sent(0, "GET a\n"),
      sent(0, "SET b 1\n"),
      got(0, "OK"),
      got(0, "OK"),
  });
  EXPECT_EQ(seen.states, (strings{"OK/s"}));
  EXPECT_EQ(seen.transitions, (strings{"start -> GET -> OK/s"}));
}

TEST(ReadResponses, NamesAFramedSendWithAnUnknownWordAQuestionMark) {
  const auto seen = read_line({
      sent(0, "FOO x\n"),
      got(0, "-ERR"),
      sent(0, "\x01\x02\n"),
      got(0, "-ERR"),
      sent(0, "\n"),
      got(0, "-ERR"),
      sent(0, "get k\n"),
      got(0, "-ERR"),
  });
  EXPECT_EQ(seen.transitions, (strings{"start -> ? -> -ERR/s", "-ERR/s -> ? -> -ERR/s",
                                       "-ERR/s -> ? -> -ERR/s", "-ERR/s -> ? -> -ERR/s"}))
      << "words are matched as they are: \"get\" is not \"GET\"";
}

TEST(ReadResponses, NamesBytesTheFramingCannotDecodeRaw) {
  const auto seen = read_line({
      sent(0, "GET k"), // no newline: no frame
      got(0, "-ERR"),
  });
  EXPECT_EQ(seen.transitions, (strings{"start -> raw -> -ERR/s"}));

  const auto u16 = read_responses({sent(0, "\x00\x03GET"s), got(0, "A"), sent(0, "\x00\x09GET"s),
                                   got(0, "B"), sent(0, "\x00\x03ZZZ"s), got(0, "C")},
                                  {true}, spec_of("len:u16be"), known);
  EXPECT_EQ(u16.transitions,
            (strings{"start -> GET -> A/s", "A/s -> raw -> B/s", "B/s -> ? -> C/s"}));
}

TEST(ReadResponses, NamesASendByTheFirstFrameOfTheWrite) {
  const auto seen = read_line({
      sent(0, "SET a 1\nGET a\n"),
      got(0, "STORED"),
      sent(0, "FOO\nGET a\n"),
      got(0, "VALUE 1"),
  });
  EXPECT_EQ(seen.transitions, (strings{"start -> SET -> STORED/s", "STORED/s -> ? -> VALUE/s"}));
}

TEST(ReadResponses, AKnownWordOrAQuestionMarkTakesOverFromRawButNothingTakesOverFromAKnownWord) {
  // raw, then a framed unknown word: "?".
  EXPECT_EQ(read_line({sent(0, "GE"), sent(0, "FOO\n"), got(0, "A")}).transitions,
            (strings{"start -> ? -> A/s"}));
  // raw, then a known word: the word.
  EXPECT_EQ(read_line({sent(0, "GE"), sent(0, "SET\n"), got(0, "A")}).transitions,
            (strings{"start -> SET -> A/s"}));
  // "?", then raw: still "?".
  EXPECT_EQ(read_line({sent(0, "FOO\n"), sent(0, "GE"), got(0, "A")}).transitions,
            (strings{"start -> ? -> A/s"}));
  // a known word, then "?" and raw: still the word.
  EXPECT_EQ(
      read_line({sent(0, "QUIT\n"), sent(0, "FOO\n"), sent(0, "GE"), got(0, "A")}).transitions,
      (strings{"start -> QUIT -> A/s"}));
  // a known word, then another: the first.
  EXPECT_EQ(read_line({sent(0, "QUIT\n"), sent(0, "GET\n"), got(0, "A")}).transitions,
            (strings{"start -> QUIT -> A/s"}));
}

TEST(ReadResponses, NamesSendsUnderRawFramingByTheirFirstWord) {
  const auto seen = read_responses({sent(0, "GET k"), got(0, "A"), sent(0, "\x01\x02"), got(0, "B"),
                                    sent(0, "FOO"), got(0, "C")},
                                   {true}, spec_of("raw"), known);
  // Raw framing decodes any bytes: nothing is "raw" there.
  EXPECT_EQ(seen.transitions,
            (strings{"start -> GET -> A/s", "A/s -> ? -> B/s", "B/s -> ? -> C/s"}));
}

TEST(ReadResponses, NamesSendsByTheKnownWordsGiven) {
  const std::vector<transcript_entry> transcript = {sent(0, "PING\n"), got(0, "+PONG")};
  EXPECT_EQ(read_line(transcript, {}).transitions, (strings{"start -> ? -> +PONG/s"}));
  EXPECT_EQ(read_line(transcript, {"PING"}).transitions, (strings{"start -> PING -> +PONG/s"}));
}

// ---------------------------------------------------------------------------
// read_responses: connections

TEST(ReadResponses, SkipsConnectionsThatAreNotWatched) {
  const std::vector<transcript_entry> transcript = {
      sent(0, "GET k\n"), got(1, "PROBED"), sent(1, "SET p\n"), got(0, "VALUE 1"), got(2, "FAR"),
      sent(2, "QUIT\n"),  reset(1),         closed(2),          closed(0),
  };
  const auto seen = read_responses(transcript, {true, false}, spec_of("line"), known);
  EXPECT_EQ(seen.states, (strings{"VALUE/s", "close"}));
  EXPECT_EQ(seen.transitions, (strings{"start -> GET -> VALUE/s", "VALUE/s -> nothing -> close"}));
  EXPECT_EQ(words_of(seen), (strings{"VALUE"}));

  const auto none = read_responses(transcript, {false, false, false}, spec_of("line"), known);
  EXPECT_TRUE(none.states.empty());
  EXPECT_TRUE(none.transitions.empty());
  EXPECT_TRUE(none.reply_words.empty());

  const auto probe_only = read_responses(transcript, {false, true}, spec_of("line"), known);
  EXPECT_EQ(probe_only.transitions,
            (strings{"start -> nothing -> PROBED/s", "PROBED/s -> SET -> reset"}));
}

TEST(ReadResponses, FollowsEachWatchedConnectionFromItsOwnStart) {
  const auto seen = read_responses(
      {
          sent(0, "GET a\n"),
          sent(1, "SET b 1\n"),
          got(0, "A"),
          got(1, "B"),
          sent(0, "SET a 2\n"),
          got(0, "C"),
      },
      {true, true}, spec_of("line"), known);
  // Connection 0's first exchange ends at its second send; the others end
  // with the transcript, connection by connection.
  EXPECT_EQ(seen.transitions,
            (strings{"start -> GET -> A/s", "A/s -> SET -> C/s", "start -> SET -> B/s"}));
  EXPECT_EQ(seen.states, (strings{"A/s", "C/s", "B/s"}));
}

// ---------------------------------------------------------------------------
// read_responses: reply words

TEST(ReadResponses, CollectsTheFirstWordOfEveryReplyInOrder) {
  const auto seen = read_line({
      got(0, "+OK ready"),
      sent(0, "GET k\n"),
      got(0, "$12"),
      got(0, "\x01\x02"),
      got(0, ""),
      got(0, "-ERR no"),
      got(0, "$12"),
      got(0, "ABCDEFGHIJKLMNOP"),
      got(0, "VALUE 1"),
  });
  // Digits are not folded in words, binary and empty replies give none, and
  // every reply gives its word (a state names only three tokens).
  EXPECT_EQ(words_of(seen), (strings{"+OK", "$12", "-ERR", "$12", "ABCDEFGHIJKL", "VALUE"}));
}

TEST(ReadResponses, CollectsNoWordsFromWhatWasSent) {
  const auto seen = read_line({sent(0, "GET k\n"), sent(0, "SET k 1\n"), closed(0)});
  EXPECT_TRUE(seen.reply_words.empty());
}

} // namespace
} // namespace tcpcheck
