// Byte escapes: how tcpcheck writes bytes for people and reads them back.
//
// The same escape language is used in framing specs (`delim:\r\n`), scripts
// and reports, so a byte string copied from a report can be pasted into a
// script unchanged:
//   \r \n \t \0 \\   the usual control bytes and the backslash
//   \xNN             any byte, two hex digits
// `unescape` is strict: any other backslash sequence is an error that names
// its position, never a silent literal.
#pragma once

#include "tcpcheck/bytes.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace tcpcheck {

/// Printable form of `bytes`: printable ASCII as is, everything else escaped
/// (`\r`, `\n`, `\t`, `\0`, `\\`, `\xNN`). Characters listed in `also_escape`
/// are written as `\xNN` too, or, with `backslash_also`, as a backslash and the
/// character (`\"`), so a caller can keep its own separators unambiguous.
/// Always reversible with `unescape` (given the same characters as `escapable`
/// in the backslash form).
std::string escape(byte_view bytes, std::string_view also_escape = {}, bool backslash_also = false);

/// Space-separated lowercase hex, "68 65 6c 6c 6f".
std::string to_hex(byte_view bytes);

/// A number as scripts write header field values: "0x30".
std::string hex_number(std::uint64_t value);

/// Where and why `unescape` failed.
struct unescape_error {
  std::size_t index = 0; ///< 0-based index of the offending backslash in the input
  std::string reason;
};

/// Decodes escapes in `text`. Characters listed in `escapable` may also be
/// written as backslash + character (a spec uses this for its separators).
/// On failure returns nullopt and fills `error`.
std::optional<byte_buffer> unescape(std::string_view text, unescape_error& error,
                                    std::string_view escapable = {});

} // namespace tcpcheck
