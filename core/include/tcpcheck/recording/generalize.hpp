// Generalizing recordings: values that change from one run to the next
// (ids, timestamps, session tokens) made into regular expressions, and the
// values a client echoes back made into captures and `${variables}`.
//
// Two recordings of the same conversation are compared step by step. Where
// they agree the step stays literal. Where a server frame differs, the
// parts that differ (found by aligning the two frames' tokens) become
// patterns, the parts that agree stay literal, and the step becomes
// `expect regex`. When a later client frame carries a value the server
// sent (the same bytes in both recordings' sends where the server's
// frames had them), that value is captured (`as NAME`) and the send uses
// `${NAME}`.
//
//   first:   expect "SESSION 4f2a"      second:  expect "SESSION 91bc"
//            send "AUTH 4f2a"                    send "AUTH 91bc"
//   result:  expect regex "^SESSION ([0-9a-fA-F]{4})$" as v1
//            send "AUTH ${v1}"
//
// A differing part becomes the narrowest class both values fit (`[0-9]`,
// `[0-9a-fA-F]`, `[A-Za-z0-9+/=_-]`, else any byte), `{n}` when both have
// n bytes, else `+` (`*` when one is empty); every pattern is checked to
// match both frames (and capture both values) before it is used. What
// cannot be generalized so is kept as in the first recording, with a note:
// a client's own value (a timestamp), expects with several outcomes or of
// other kinds, header fields that differ, a pattern longer than
// script_limits::longest_regex.
//
// Bounded whatever the input: frames are aligned token by token up to 512
// tokens each beyond their common start and end (and 2^28 token pairs in
// all), past which the middle is one differing part; the search for echoed
// values compares at most 64 MiB. Notes name steps by the first
// recording's lines. No I/O; `tcpcheck generalize` reads and writes files.
#pragma once

#include "tcpcheck/script.hpp"

#include <optional>
#include <string>
#include <vector>

namespace tcpcheck {

struct generalize_result {
  script general; ///< the generalized script
  /// What was generalized, step by step, or left as it was and why, each
  /// naming its step by the first recording's line ("line 7: ...").
  std::vector<std::string> notes;
};

/// Generalizes `first` by what differs in `second`, a recording of the same
/// conversation. Nullopt, with `why`, when the two do not have the same
/// shape (other steps, connections or order): they are not recordings of
/// one conversation.
std::optional<generalize_result> generalize(const script& first, const script& second,
                                            std::string& why);

} // namespace tcpcheck
