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
expect "random random:" tcpcheck run --plan = ra
expect "bytewise chunk: merged pipeline random random: split-header whole" tcpcheck run --plan =
# Past the one positional, nothing more; replay's PATH repeats.
expect "" tcpcheck serve echo ""
expect "corpus/scripts/greeting.tcs" tcpcheck replay corpus/scripts/hello.tcs corpus/scripts/greet
expect "corpus/scripts/greeting.tcs" tcpcheck run --framing line corpus/scripts/greet
# A number is not completed with file names.
expect "" tcpcheck check --seed ""

# Every value offered is accepted (a parameter filled in where one is due):
# `accepts STATUS COMMAND...` runs the command and wants STATUS. Against the
# unreachable port 1, exit 3 is reached only after the parse has accepted
# the value; 2 would be a refused command line.
accepts() {
  local want="$1" status=0
  shift
  "$@" >/dev/null 2>&1 || status=$?
  if [ "$status" -eq "$want" ]; then echo "ok: accepted: ${*: -2}"; else
    echo "FAIL: completion offered a value tcpcheck refuses (exit $status): $*"
    failures=$((failures + 1))
  fi
}
# offered WORD...: the values completion offers, failing when there are none.
offered() {
  local values
  values="$(complete_words "$@")"
  if [ -z "$values" ]; then
    echo "FAIL: no completions for '$*'" >&2
    failures=$((failures + 1))
  fi
  echo "$values"
}
plans="$(offered tcpcheck run --plan "")"
for plan in $plans; do
  [[ "$plan" == *: ]] && plan="${plan}3"
  accepts 3 "$tcpcheck" run corpus/scripts/greeting.tcs --target 127.0.0.1:1 --timeout 200 \
    --plan "$plan"
done
policies="$(offered tcpcheck check --on-bad-frame "")"
for policy in $policies; do
  accepts 0 "$tcpcheck" check corpus/scripts/greeting.tcs --target 127.0.0.1:1 --list \
    --on-bad-frame "$policy"
done
feedbacks="$(offered tcpcheck fuzz --feedback "")"
for feedback in $feedbacks; do
  accepts 3 "$tcpcheck" fuzz corpus/scripts/greeting.tcs --target 127.0.0.1:1 --runs 1 \
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
protocols="$(offered tcpcheck serve "")"
for protocol in $protocols; do serves "$protocol"; done

if ((failures)); then
  echo "$failures failure(s)"
  exit 1
fi
echo "completion: all prefixes and values as expected"
