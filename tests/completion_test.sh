#!/usr/bin/env bash
# bash completion (completion/tcpcheck.bash): sourced in bash, asked for the
# completions of a few prefixes as bash would ask (COMP_WORDS, COMP_CWORD),
# and every value it offers for --plan, --on-bad-frame, --feedback and
# serve's protocols is one tcpcheck accepts.
#
#   tests/completion_test.sh TCPCHECK COMPLETION_SCRIPT SOURCE_DIR
set -euo pipefail
tcpcheck="$(realpath "$1")"
source_dir="$3"
# shellcheck source=/dev/null
source "$2"
PATH="$(dirname "$tcpcheck"):$PATH"
cd "$source_dir"
failures=0

# complete WORD...: COMPREPLY for the last word, sorted, space-separated.
complete_words() {
  COMP_WORDS=("$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMPREPLY=()
  _tcpcheck
  printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}

expect() {
  local want="$1"
  shift
  local got
  got="$(complete_words "$@")"
  if [ "$got" = "$want" ]; then
    echo "ok: '$*' -> $got"
  else
    echo "FAIL: '$*' -> '$got', expected '$want'"
    failures=$((failures + 1))
  fi
}

expect "check client" tcpcheck c
expect "decode demo" tcpcheck de
expect "--feedback" tcpcheck fuzz --feed
expect "--jobs --json --junit" tcpcheck check --j
expect "chunk:" tcpcheck run --plan ch
expect "random random:" tcpcheck run --plan ra
expect "close close-or-ignore" tcpcheck check --on-bad-frame clo
expect "coverage" tcpcheck fuzz --feedback co
expect "naive-greeting" tcpcheck serve na
expect "corpus/scripts/greeting.tcs" tcpcheck check corpus/scripts/greet
expect "corpus/scripts/greeting.tcs" tcpcheck run --plan bytewise corpus/scripts/greet
# A number is not completed with file names.
expect "" tcpcheck check --seed ""

# Every value offered is accepted (a parameter filled in where one is due).
accepted() {
  if "$@" >/dev/null 2>&1; then echo "ok: accepted: $*"; else
    echo "FAIL: completion offered a value tcpcheck refuses: $*"
    failures=$((failures + 1))
  fi
}
# An exit code of 2 is a refused command line; 3 is the unreachable port 1,
# reached only after the parse has accepted the value.
refused_value() {
  local status=0
  "$@" >/dev/null 2>&1 || status=$?
  if [ "$status" -eq 3 ]; then echo "ok: accepted: ${*: -6}"; else
    echo "FAIL: completion offered a value tcpcheck refuses (exit $status): $*"
    failures=$((failures + 1))
  fi
}
for plan in $(complete_words tcpcheck run --plan ""); do
  [[ "$plan" == *: ]] && plan="${plan}3"
  refused_value "$tcpcheck" run corpus/scripts/greeting.tcs --target 127.0.0.1:1 --timeout 200 \
    --plan "$plan"
done
for policy in $(complete_words tcpcheck check --on-bad-frame ""); do
  accepted "$tcpcheck" check corpus/scripts/greeting.tcs --target 127.0.0.1:1 \
    --on-bad-frame "$policy" --list
done
for feedback in $(complete_words tcpcheck fuzz --feedback ""); do
  refused_value "$tcpcheck" fuzz corpus/scripts/greeting.tcs --target 127.0.0.1:1 --runs 1 \
    --max-time 1 --feedback "$feedback"
done
# serve prints its address once it listens, then serves until stopped.
serves() {
  local protocol="$1" log
  log="$(mktemp)"
  "$tcpcheck" serve "$protocol" --port 0 >"$log" 2>&1 &
  local pid=$! waited=0
  while ! grep -q "^serving " "$log" && kill -0 "$pid" 2>/dev/null && ((waited < 100)); do
    sleep 0.1
    waited=$((waited + 1))
  done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if grep -q "^serving $protocol on 127.0.0.1:" "$log"; then echo "ok: serves $protocol"; else
    echo "FAIL: serve $protocol: $(cat "$log")"
    failures=$((failures + 1))
  fi
  rm -f "$log"
}
for protocol in $(complete_words tcpcheck serve ""); do serves "$protocol"; done

if ((failures)); then
  echo "$failures failure(s)"
  exit 1
fi
echo "completion: all prefixes and values as expected"
