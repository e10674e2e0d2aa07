#!/usr/bin/env bash
# Step 2 of the tcpcheck GitHub Action (action.yml): runs tcpcheck with every
# report written into one directory.
#
# Environment (the action's inputs, passed through env, never into the
# script's text):
#   TCPCHECK_COMMAND   check, fuzz or replay (default check)
#   TCPCHECK_SCRIPT    the script; for fuzz and replay, several paths (replay:
#                      scripts or directories), split like TCPCHECK_ARGS
#   TCPCHECK_SPAWN     the command that starts the server, with {port}
#   TCPCHECK_TARGET    HOST:PORT of a server already running (exactly one of
#                      TCPCHECK_SPAWN and TCPCHECK_TARGET)
#   TCPCHECK_ARGS      more arguments, split into words by xargs: blanks and
#                      newlines separate, '...' and "..." quote, \ outside
#                      quotes escapes; nothing is expanded ($VAR, globs and
#                      $(...) stay as written), so no input can run a command
#   TCPCHECK_REPORTS   the reports directory (default tcpcheck-reports)
#   TCPCHECK_ARTIFACT  the artifact the reports are uploaded as (for the summary)
#
# Runs
#   tcpcheck COMMAND SCRIPT... (--spawn S | --target T)
#     --json R/COMMAND.json --junit R/COMMAND.xml --sarif R/COMMAND.sarif
#     --html R/COMMAND.html [--out R/findings/COMMAND/] ARGS...
# (replay has no --out: it writes no scripts), keeps its output in
# R/COMMAND.log, and writes `exit-code` and `reports` to $GITHUB_OUTPUT and a
# short summary to $GITHUB_STEP_SUMMARY.
#
# It always exits 0, so that the reports are uploaded whatever tcpcheck said;
# finish.sh, the last step, exits with tcpcheck's code. Bad inputs give
# exit-code 2, as tcpcheck's own bad usage does.
set -euo pipefail

# shellcheck source=ci/action/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

command="${TCPCHECK_COMMAND:-check}"
reports="${TCPCHECK_REPORTS:-tcpcheck-reports}"
artifact="${TCPCHECK_ARTIFACT:-}"
cmd=()
log=""
done_writing=0

# The end of every path: the outputs, the summary, exit 0.
finish_with() {
  local code="$1" meaning
  meaning="$(exit_code_meaning "$command" "$code")"
  set_output exit-code "$code"
  set_output reports "$reports"
  done_writing=1
  echo "tcpcheck action: tcpcheck $command exited with $code: $meaning"
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    {
      echo "### tcpcheck $command: $meaning (exit code $code)"
      echo
      if ((${#cmd[@]})); then
        echo '```'
        quote_words "${cmd[@]}"
        echo '```'
      fi
      if [ -n "$log" ] && [ -s "$log" ]; then
        # The verdict is tcpcheck's last line; fuzz's run line precedes it.
        echo '```'
        if [ "$command" = fuzz ]; then grep -E '^seed [0-9]+: ' "$log" | tail -n 1 || true; fi
        grep -v '^[[:space:]]*$' "$log" | tail -n 1 || true
        echo '```'
      fi
      if [ -n "$artifact" ]; then
        echo "Reports: \`$reports/\`, uploaded as the artifact \`$artifact\`."
      else
        echo "Reports: \`$reports/\`."
      fi
      echo
    } >>"$GITHUB_STEP_SUMMARY"
  fi
  exit 0
}

# A bug here, rather than tcpcheck's verdict, still ends with the outputs set:
# exit-code 4, the code of an internal error.
# shellcheck disable=SC2317 # called by the trap
on_exit() {
  local status=$?
  if ((status != 0 && done_writing == 0)); then
    error_message "tcpcheck action" "the run step failed unexpectedly (exit $status): a bug in the action"
    done_writing=1
    set_output exit-code 4
    set_output reports "$reports"
    exit 0
  fi
}
trap on_exit EXIT

bad_input() {
  error_message "tcpcheck action" "$*"
  finish_with 2
}

trim() {
  local s="$1"
  s="${s#"${s%%[![:space:]]*}"}"
  s="${s%"${s##*[![:space:]]}"}"
  printf '%s' "$s"
}

# split_words TEXT: sets the array `words` to TEXT split into words by
# xargs: blanks and newlines separate, '...' and "..." quote, a backslash
# escapes the next character; nothing is expanded and nothing runs. Returns 1
# when xargs refuses the text (a quote left open).
split_words() {
  local split
  split="$(mktemp)"
  if ! printf '%s' "$1" | xargs -r printf '%s\0' >"$split" 2>/dev/null; then
    rm -f "$split"
    return 1
  fi
  mapfile -d '' -t words <"$split"
  rm -f "$split"
}

# quote_words WORD...: the words as one command line to copy into a shell.
quote_words() {
  local out="" w
  for w in "$@"; do
    if [[ "$w" =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]]; then
      out+="$w "
    else
      out+="'${w//\'/\'\\\'\'}' "
    fi
  done
  echo "${out% }"
}

# 1. The inputs.
case "$reports" in
  "" | *$'\n'* | *$'\r'*) reports=tcpcheck-reports; bad_input "'reports' must be one directory path, on one line" ;;
esac
case "$command" in
  check | fuzz | replay) ;;
  *)
    bad="$command"
    command=check
    bad_input "unknown command '$bad': 'command' is check, fuzz or replay"
    ;;
esac

spawn="$(trim "${TCPCHECK_SPAWN:-}")"
target="$(trim "${TCPCHECK_TARGET:-}")"
if [ -n "$spawn" ] && [ -n "$target" ]; then
  bad_input "give 'spawn' or 'target', not both: spawn starts the server, target names one already running"
fi
if [ -z "$spawn" ] && [ -z "$target" ]; then
  bad_input "give 'spawn' (a command that starts the server, with {port}) or 'target' (HOST:PORT)"
fi

split_words "${TCPCHECK_SCRIPT:-}" || bad_input "'script' has a quote that is not closed"
scripts=("${words[@]}")
if ((${#scripts[@]} == 0)); then
  bad_input "give 'script': the script (.tcs) of a normal conversation with the server"
fi
if [ "$command" = check ] && ((${#scripts[@]} > 1)); then
  bad_input "check takes one script, 'script' names ${#scripts[@]}; run the action once per script"
fi

split_words "${TCPCHECK_ARGS:-}" || bad_input "'args' has a quote that is not closed"
args=("${words[@]}")
# The reports are the action's to name: tcpcheck refuses an option given
# twice, and a report written elsewhere would not be uploaded.
for arg in "${args[@]}"; do
  case "$arg" in
    --json | --json=* | --junit | --junit=* | --sarif | --sarif=* | --html | --html=* | \
      --out | --out=* | -o | -o?*)
      bad_input "'args' has '$arg': the action writes the reports itself, into 'reports' ($reports/)"
      ;;
    --spawn | --spawn=* | --target | --target=* | -t | -t?*)
      bad_input "'args' has '$arg': give the server with the 'spawn' or 'target' input"
      ;;
  esac
done

# 2. The command line.
cmd=(tcpcheck "$command" "${scripts[@]}")
if [ -n "$spawn" ]; then cmd+=(--spawn "$spawn"); else cmd+=(--target "$target"); fi
cmd+=(--json "$reports/$command.json" --junit "$reports/$command.xml"
  --sarif "$reports/$command.sarif" --html "$reports/$command.html")
findings=""
if [ "$command" != replay ]; then
  # check writes each failing case's script here, fuzz each finding's.
  findings="$reports/findings/$command"
  cmd+=(--out "$findings/")
fi
cmd+=("${args[@]}")

# What this step writes replaces what an earlier run on this runner left
# (self-hosted runners keep their workspace), so the artifact is this run's.
if ! mkdir -p "$reports"; then
  error_message "tcpcheck action" "cannot create the reports directory '$reports'"
  finish_with 3
fi
rm -f "$reports/$command".{json,xml,sarif,html,log}
if [ -n "$findings" ]; then rm -rf "$findings"; fi
log="$reports/$command.log"

if ! command -v tcpcheck >/dev/null 2>&1; then
  error_message "tcpcheck action" "tcpcheck is not on the PATH: did the install step run?"
  finish_with 127
fi

# 3. Run it. Its output (the server's included) is only logged: workflow
# commands are off meanwhile, so a line from the server under test cannot set
# outputs or environment variables of the job.
echo "tcpcheck action: $(quote_words "${cmd[@]}")"
stop_token=""
if [ "${GITHUB_ACTIONS:-}" = true ]; then
  stop_token="tcpcheck-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  echo "::stop-commands::$stop_token"
fi
set +e
"${cmd[@]}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
if [ -n "$stop_token" ]; then echo "::$stop_token::"; fi

finish_with "$status"
