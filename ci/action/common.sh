# shellcheck shell=bash
# Shared by the steps of the tcpcheck GitHub Action (install.sh, run.sh,
# finish.sh): sourced, not run.

# annotate LEVEL TITLE TEXT: a GitHub annotation (error, warning, notice) on
# the run's summary page, when running on GitHub. The text is escaped as
# workflow commands require, so an input cannot end the command early and
# start another.
annotate() {
  [ "${GITHUB_ACTIONS:-}" = true ] || return 0
  local level="$1" title="$2" text="$3"
  text="${text//'%'/'%25'}"
  text="${text//$'\r'/'%0D'}"
  text="${text//$'\n'/'%0A'}"
  title="${title//'%'/'%25'}"
  title="${title//$'\r'/'%0D'}"
  title="${title//$'\n'/'%0A'}"
  title="${title//':'/'%3A'}"
  title="${title//','/'%2C'}"
  echo "::$level title=$title::$text"
}

# error_message TITLE TEXT: on GitHub an error annotation (the log shows it
# too, in red); elsewhere "TITLE: error: TEXT" on stderr.
error_message() {
  if [ "${GITHUB_ACTIONS:-}" = true ]; then
    annotate error "$1" "$2"
  else
    echo "$1: error: $2" >&2
  fi
}

# warning_message TITLE TEXT: the same, as a warning.
warning_message() {
  if [ "${GITHUB_ACTIONS:-}" = true ]; then
    annotate warning "$1" "$2"
  else
    echo "$1: warning: $2" >&2
  fi
}

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
