// The tcpcheck executable's exit codes: small, stable, documented in --help.
#pragma once

namespace tcpcheck::cli {

enum exit_code : int {
  exit_ok = 0,       ///< everything checked passed
  exit_failures = 1, ///< a check failed, or the input broke its framing
  exit_usage = 2,    ///< bad arguments, spec or script: the user must fix them
  exit_io_error = 3, ///< a file or connection could not be used
  exit_internal = 4, ///< a bug in tcpcheck
};

inline constexpr const char* exit_codes_help =
    "Exit codes: 0 all passed, 1 failures found, 2 bad arguments, spec or script, "
    "3 I/O error, 4 internal error.";

} // namespace tcpcheck::cli
