#!/usr/bin/env bash
# Step 4 of the tcpcheck GitHub Action (action.yml), after the reports are
# uploaded: fails the step, and so the job, as tcpcheck's exit code says, and
# says what the code means.
#
# Environment:
#   TCPCHECK_EXIT_CODE  the run step's exit-code output
#   TCPCHECK_COMMAND    check, fuzz or replay (for the wording)
#   TCPCHECK_REPORTS    the reports directory, TCPCHECK_ARTIFACT its artifact
#
# Exits with the same code: 0 passed, 1 failures or findings, 2 bad usage
# (arguments, script, spec, or the action's inputs), 3 the target could not
# be reached or started, 4 internal error (cli/exit_codes.hpp).
set -euo pipefail

# shellcheck source=ci/action/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

code="${TCPCHECK_EXIT_CODE:-}"
command="${TCPCHECK_COMMAND:-check}"
reports="${TCPCHECK_REPORTS:-tcpcheck-reports}"
artifact="${TCPCHECK_ARTIFACT:-}"

if ! [[ "$code" =~ ^[0-9]{1,3}$ ]] || ((code > 255)); then
  error_message "tcpcheck $command" "the run step left no exit code ('$code'): a bug in the action"
  exit 4
fi

meaning="$(exit_code_meaning "$command" "$code")"
if ((code == 0)); then
  echo "tcpcheck $command: $meaning"
  exit 0
fi

where="the reports are in $reports/"
if [ -n "$artifact" ]; then where+=" (artifact $artifact)"; fi
error_message "tcpcheck $command" "exit code $code, $meaning; $where"
exit "$code"
