# shellcheck shell=bash
# Shared by the steps of the tcpcheck GitHub Action (install.sh, run.sh,
# finish.sh): sourced, not run.

# annotate LEVEL TITLE TEXT: a GitHub annotation (error, warning, notice) on
# the run's summary page, when running on GitHub. The text is escaped as
# workflow commands require, so an input cannot end the command early and
# start another.
# command_escaped TEXT: TEXT with what ends a workflow command's message
# (%, CR, LF) escaped.
command_escaped() {
  local text="${1//'%'/'%25'}"
  text="${text//$'\r'/'%0D'}"
  printf '%s' "${text//$'\n'/'%0A'}"
}

annotate() {
  [ "${GITHUB_ACTIONS:-}" = true ] || return 0
  local title
  title="$(command_escaped "$2")"
  title="${title//':'/'%3A'}"
  echo "::$1 title=${title//','/'%2C'}::$(command_escaped "$3")"
}

# message LEVEL TITLE TEXT: on GitHub an annotation of that level (the log
# shows it too); elsewhere "TITLE: LEVEL: TEXT" on stderr.
message() {
  if [ "${GITHUB_ACTIONS:-}" = true ]; then
    annotate "$1" "$2" "$3"
  else
    echo "$2: $1: $3" >&2
  fi
}
error_message() { message error "$1" "$2"; }
warning_message() { message warning "$1" "$2"; }

# set_output NAME VALUE: a step output, when running on GitHub (or in a test
# that sets GITHUB_OUTPUT). Values never hold a newline: callers check.
set_output() {
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    echo "$1=$2" >>"$GITHUB_OUTPUT"
  fi
}

# exit_code_meaning COMMAND CODE: what tcpcheck's exit code says, for the log,
# the annotation and the step summary. The codes are cli/exit_codes.hpp's; the
# per-command wording is each command's --help.
exit_code_meaning() {
  local command="$1" code="$2"
  case "$code" in
    0)
      case "$command" in
        check) echo "passed: every case passed" ;;
        fuzz) echo "passed: no findings" ;;
        replay) echo "passed: every script passed" ;;
        *) echo "passed" ;;
      esac
      ;;
    1)
      case "$command" in
        check) echo "failures found: a case failed or was flaky" ;;
        fuzz) echo "findings: the server crashed, hung or refused connections (or the unmutated conversation failed)" ;;
        replay) echo "failures found: some script failed" ;;
        *) echo "failures found" ;;
      esac
      ;;
    2) echo "bad usage: the arguments, the script or the framing spec must be fixed" ;;
    3) echo "the target could not be reached or started, or a file could not be used" ;;
    4) echo "internal error: a bug in tcpcheck (please report it, with the reports)" ;;
    127) echo "tcpcheck could not be run: it is not on the PATH" ;;
    *)
      if [[ "$code" =~ ^[0-9]+$ ]] && ((code > 128 && code < 256)); then
        echo "tcpcheck was killed by signal $((code - 128)) (the job's time limit, or out of memory?)"
      else
        echo "an exit code tcpcheck does not document"
      fi
      ;;
  esac
}
