// The greeting scripts built into the executable for `tcpcheck demo`.
#pragma once

namespace tcpcheck::cli {

/// corpus/scripts/greeting.tcs, as it was when tcpcheck was built.
extern const char* const demo_greeting_script;

/// corpus/scripts/clients/greeting.tcs (`role server`: tcpcheck plays the
/// greeting server for a client), as it was when tcpcheck was built.
extern const char* const demo_client_greeting_script;

} // namespace tcpcheck::cli
