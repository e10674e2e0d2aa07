#!/usr/bin/env bash
# The GitHub Action's steps (action.yml, ci/action/*.sh), run as GitHub's
# runner runs them, with a local package and tcpcheck's bundled servers.
#
#   tests/action_steps_test.sh DEB SOURCE_DIR WORK_DIR
#
# DEB         a tcpcheck .deb (ci/build-package.sh makes one)
# SOURCE_DIR  tcpcheck's sources: action.yml and ci/action/ are read from here
# WORK_DIR    scratch space; each run uses a new directory inside it, removed
#             when every case passed and kept for a look otherwise
#
# tests/action_runner.py plays the runner: it reads action.yml, evaluates each
# step's env: from the inputs, runs the run: steps with bash as `shell: bash`
# does, with GITHUB_OUTPUT, GITHUB_PATH and GITHUB_STEP_SUMMARY, puts
# GITHUB_PATH's entries on the PATH of later steps, honours if:, and records
# the upload step's with:. The package is unpacked, never installed
# (TCPCHECK_INSTALL_ROOT, as a user would set it with env: on the step): the
# test leaves the system alone. No network but loopback: the package is given
# with `package:`, or served by a local HTTP server standing in for github.com.
#
# Prints PASS or FAIL for each case; exits 1 if any failed. About 30 seconds.
set -euo pipefail

if (($# != 3)); then
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
[ -f "$1" ] || { echo "action_steps_test: no package at $1" >&2; exit 2; }
[ -f "$2/action.yml" ] || { echo "action_steps_test: no action.yml in $2" >&2; exit 2; }
deb="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
src="$(cd "$2" && pwd)"
mkdir -p "$3"
work="$(mktemp -d "$(cd "$3" && pwd)/action-steps.XXXXXX")"
runner="$src/tests/action_runner.py"
# The interpreter itself, not a wrapper such as pyenv's shim, which costs a
# few hundred milliseconds a call: the test calls Python a hundred times.
python="$(python3 -c 'import sys; print(sys.executable)')"

# When ctest itself runs in GitHub Actions, its step's variables must not reach
# the action's scripts (a finish.sh run directly would annotate the real run)
# and no TCPCHECK_* of the caller may change an input.
unset GITHUB_ACTIONS GITHUB_OUTPUT GITHUB_PATH GITHUB_STEP_SUMMARY GITHUB_ENV GITHUB_STATE \
  GITHUB_ACTION_PATH GITHUB_ACTION_REPOSITORY GITHUB_SERVER_URL ACTION_RUNNER_ACTION_REPOSITORY
for v in "${!TCPCHECK_@}"; do unset "$v"; done

started=$SECONDS
failed_cases=()
serve_pid=""
http_pid=""
cleanup() {
  if [ -n "$serve_pid" ]; then kill "$serve_pid" 2>/dev/null || true; fi
  if [ -n "$http_pid" ]; then kill "$http_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT

# --- cases and checks ---------------------------------------------------------

case_name=""
problems=()
result=""
begin_case() {
  case_name="$1"
  problems=()
    case_started=$SECONDS
}
# expect DESCRIPTION COMMAND...: COMMAND must succeed.
expect() {
  local what="$1"
  shift
  if ! "$@" >/dev/null 2>&1; then problems+=("$what"); fi
}
# expect_eq DESCRIPTION GOT WANT
expect_eq() {
  if [ "$2" != "$3" ]; then problems+=("$1: got '$2', want '$3'"); fi
}
# port_printed LOG SED: the port a server started in the background prints
# in LOG, found by the sed expression; empty after 5 s without it.
port_printed() {
  local port=""
  for _ in $(seq 50); do
    port="$(sed -n "$2" "$1")"
    [ -n "$port" ] && break
    sleep 0.1
  done
  echo "$port"
}
end_case() {
  local took=$((SECONDS - case_started))
  if ((${#problems[@]} == 0)); then
    echo "PASS  $case_name (${took}s)"
    return
  fi
  echo "FAIL  $case_name (${took}s)"
  printf '        %s\n' "${problems[@]}"
  failed_cases+=("$case_name")
  # The last action run's step logs, to see why.
  if [ -n "$result" ] && [ -f "$result" ]; then
    local log
    while IFS= read -r log; do
      [ -n "$log" ] || continue
      echo "        --- $log (last lines)"
      tail -n 15 "$log" | sed 's/^/        | /'
    done < <(q "$result" "'\\n'.join(s.get('log', '') for s in d['steps'])")
  fi
}

# q FILE EXPRESSION: a Python expression over the JSON file's content `d`.
q() {
  "$python" -c '
import json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    d = json.load(f)
v = eval(sys.argv[2])
print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)
' "$1" "$2"
}

# step FIELD STEP_NAME_PREFIX: a field of a step of the last action run.
step() {
  q "$result" "next((s.get('$1', '') for s in d['steps'] if s['name'].startswith('$2')), 'no such step')"
}

# annotations: every annotation of the last action run, one a line.
annotations() {
  q "$result" "'\\n'.join(a['level'] + ': ' + a['message'] for s in d['steps'] for a in s.get('annotations', []))"
}

# --- running the action -------------------------------------------------------

# action NAME INPUT=VALUE...: runs the whole action in a fresh workspace,
# $work/NAME/ws, holding the scripts the cases use. Sets `ws` and `result`.
action() {
  local name="$1"
  shift
  local dir="$work/$name"
  ws="$dir/ws"
  result="$dir/result.json"
  mkdir -p "$ws/regression scripts"
  cp "$src/corpus/scripts/greeting.tcs" "$ws/greeting.tcs"
  # Two names in one write: a server that takes each recv() as one message
  # (naive-greeting) fails it, the greeting server passes it.
  cat >"$ws/regression scripts/merged-names.tcs" <<'EOF'
framing line
timeout 2s

expect "Welcome!"
send raw "Michael\nTracy\n"
expect "Hello, Michael"
expect "Hello, Tracy"
send "exit"
expect "Good bye!"
expect close
EOF
  if ! TCPCHECK_INSTALL_ROOT="$dir/root" "$python" "$runner" run "$src" "$ws" "$result" \
    package="$deb" "$@" >"$dir/runner.log" 2>&1; then
    problems+=("the test's runner failed: $(tail -n 3 "$dir/runner.log")")
    echo '{"steps": [], "outputs": {}, "failed": true}' >"$result"
  fi
}

contains() { [[ "$1" == *"$2"* ]]; }
# json_ok FILE: the file parses as JSON.
json_ok() { "$python" -c 'import json, sys; json.load(open(sys.argv[1]))' "$1"; }
xml_ok() { "$python" -c 'import sys, xml.etree.ElementTree as e; e.parse(sys.argv[1])' "$1"; }
free_port() {
  "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

version="$(dpkg-deb --field "$deb" Version)"

# --- the cases ----------------------------------------------------------------

begin_case "action.yml: composite, inputs through env only, scripts exist and get their variables"
if ! lint_out="$("$python" "$runner" lint "$src" 2>&1)"; then
  problems+=("tests/action_runner.py lint: $(tr '\n' ' ' <<<"$lint_out")")
fi
end_case

begin_case "versions: the action's default release, the package and CMakeLists.txt agree"
default_version="$(sed -n 's/^default_version=//p' "$src/ci/action/install.sh")"
project_version="$(sed -n 's/^project(tcpcheck VERSION \([^ ]*\) .*/\1/p' "$src/CMakeLists.txt")"
expect_eq "install.sh's default_version" "$default_version" "$version"
expect_eq "project(tcpcheck VERSION) in CMakeLists.txt" "$project_version" "$version"
# The templates and docs name the action's tag; a release must update them.
for f in "$src"/ci/github/*.yml "$src/docs/ci.md" "$src/docs/install.md" "$src/README.md"; do
  [ -f "$f" ] || continue
  while IFS= read -r ref; do
    expect_eq "$(basename "$f"): uses ...tcpcheck@" "$ref" "v$version"
  done < <(grep -o 'uses: [A-Za-z0-9_.-]*/tcpcheck@v[0-9][0-9A-Za-z.~+-]*' "$f" | sed 's/.*@//')
done
end_case

# A passing check: the install, then the run, on the correct greeting server.
action check-pass script=greeting.tcs spawn='tcpcheck serve greeting --port {port}'

begin_case "install: tcpcheck $version unpacked and first on the PATH of the later steps"
expect_eq "install step" "$(step outcome 'Install')" success
expect_eq "version output" "$(q "$result" "d['outputs'].get('version')")" "$version"
bin="$work/check-pass/root/usr/bin"
expect_eq "first PATH entry" "$(q "$result" "d.get('PATH', '').split(':')[0]")" "$bin"
expect_eq "tcpcheck --version" "$("$bin/tcpcheck" --version 2>&1 || true)" "tcpcheck $version"
end_case

begin_case "check greeting.tcs against 'serve greeting': exit-code 0, four reports, job passes"
r="$ws/tcpcheck-reports"
expect_eq "exit-code output" "$(q "$result" "d['outputs'].get('exit-code')")" 0
expect_eq "reports output" "$(q "$result" "d['outputs'].get('reports')")" tcpcheck-reports
# tcpcheck's output (the server's bytes among it) is logged between
# ::stop-commands:: markers, closed again after it.
expect_eq "stop-commands closed after the run" "$(step stop_commands_left_open 'Run')" false
for f in check.json check.xml check.sarif check.html check.log; do
  expect "$f written" test -s "$r/$f"
done
expect "check.json parses" json_ok "$r/check.json"
expect_eq "check.json command" "$(q "$r/check.json" "d['command']")" check
expect_eq "check.json failures" "$(q "$r/check.json" "d['check']['fail']")" 0
expect "check.xml parses" xml_ok "$r/check.xml"
expect_eq "check.sarif version" "$(q "$r/check.sarif" "d['version']")" 2.1.0
expect "check.html is a page" grep -qi '^<!doctype html>' "$r/check.html"
expect_eq "upload step" "$(step outcome 'Upload')" success
expect_eq "upload path" "$(q "$result" "next(s['with']['path'] for s in d['steps'] if 'with' in s)")" \
  tcpcheck-reports
expect_eq "final step" "$(step outcome 'Fail as')" success
expect_eq "the action failed" "$(q "$result" "d['failed']")" false
expect "step summary says it passed" contains "$(step summary 'Run')" "### tcpcheck check: passed"
end_case

action check-fail script=greeting.tcs spawn='tcpcheck serve naive-greeting --port {port}' \
  args="--only 'segmentation/*'" reports='out/naive reports' artifact-name=naive
begin_case "check against 'serve naive-greeting': exit-code 1, reports and findings, final step exits 1"
r="$ws/out/naive reports"
expect_eq "exit-code output" "$(q "$result" "d['outputs'].get('exit-code')")" 1
expect "check.json parses" json_ok "$r/check.json"
# --only 'segmentation/*' came through whole: only the 11 segmentation cases ran.
expect_eq "cases run" "$(q "$r/check.json" "len(d['cases'])")" 11
expect_eq "cases outside segmentation/" \
  "$(q "$r/check.json" "len([c for c in d['cases'] if not c['id'].startswith('segmentation/')])")" 0
expect "failures in check.json" test "$(q "$r/check.json" "d['check']['fail']")" -gt 0
for f in check.xml check.sarif check.html; do expect "$f written" test -s "$r/$f"; done
expect "findings/check/ holds the failing cases' scripts" \
  compgen -G "$r/findings/check/segmentation.*.tcs"
expect_eq "upload step ran" "$(step outcome 'Upload')" success
expect_eq "upload name" "$(q "$result" "next(s['with']['name'] for s in d['steps'] if 'with' in s)")" naive
expect_eq "final step exit" "$(step exit 'Fail as')" 1
expect_eq "the action failed" "$(q "$result" "d['failed']")" true
expect "an error annotation says exit code 1" contains "$(annotations)" "exit code 1,"
end_case

action fuzz script=greeting.tcs command=fuzz spawn='tcpcheck serve naive-greeting --port {port}' \
  args='--runs 300 --max-time 20 --seed 1'
begin_case "fuzz, bounded (--runs 300 --max-time 20 --seed 1): runs, JSON written, exit code as tcpcheck's"
r="$ws/tcpcheck-reports"
code="$(q "$result" "d['outputs'].get('exit-code')")"
expect "fuzz.json parses" json_ok "$r/fuzz.json"
expect_eq "fuzz.json command" "$(q "$r/fuzz.json" "d['command']")" fuzz
expect_eq "fuzz.json seed" "$(q "$r/fuzz.json" "d['fuzz']['seed']")" 1
expect "at most 300 runs" test "$(q "$r/fuzz.json" "d['fuzz']['runs']")" -le 300
findings="$(q "$r/fuzz.json" "len(d['findings'])")"
if ((findings > 0)); then expect_eq "exit-code with findings" "$code" 1; else expect_eq "exit-code without findings" "$code" 0; fi
for f in fuzz.xml fuzz.sarif fuzz.html; do expect "$f written" test -s "$r/$f"; done
expect_eq "final step exit" "$(step exit 'Fail as')" "$code"
end_case

action replay-pass command=replay script='"regression scripts" greeting.tcs' \
  spawn='tcpcheck serve greeting --port {port}'
begin_case "replay of a directory and a script against 'serve greeting': exit-code 0"
r="$ws/tcpcheck-reports"
expect_eq "exit-code output" "$(q "$result" "d['outputs'].get('exit-code')")" 0
expect_eq "replay.json command" "$(q "$r/replay.json" "d['command']")" replay
expect_eq "scripts replayed" "$(q "$r/replay.json" "len(d['cases'])")" 2
expect "no findings directory (replay writes none)" test ! -e "$r/findings"
expect_eq "final step" "$(step outcome 'Fail as')" success
end_case

action replay-fail command=replay script='"regression scripts"' \
  spawn='tcpcheck serve naive-greeting --port {port}'
begin_case "replay of the merged-writes script against 'serve naive-greeting': exit-code 1"
expect_eq "exit-code output" "$(q "$result" "d['outputs'].get('exit-code')")" 1
expect_eq "final step exit" "$(step exit 'Fail as')" 1
end_case

begin_case "replay against a target (HOST:PORT) already running: exit-code 0"
"$work/check-pass/root/usr/bin/tcpcheck" serve greeting >"$work/serve.log" 2>&1 &
serve_pid=$!
port="$(port_printed "$work/serve.log" 's/.* on 127\.0\.0\.1:\([0-9]*\) .*/\1/p')"
expect "the greeting server printed its port" test -n "$port"
action replay-target command=replay script=greeting.tcs target="127.0.0.1:${port:-1}"
expect_eq "exit-code output" "$(q "$result" "d['outputs'].get('exit-code')")" 0
kill "$serve_pid" 2>/dev/null || true
wait "$serve_pid" 2>/dev/null || true
serve_pid=""
end_case

begin_case "a target nothing listens on: exit-code 3, final step exits 3"
action unreachable command=replay script=greeting.tcs target="127.0.0.1:$(free_port)"
expect_eq "exit-code output" "$(q "$result" "d['outputs'].get('exit-code')")" 3
expect_eq "final step exit" "$(step exit 'Fail as')" 3
end_case

# bad_inputs NAME MESSAGE_PART INPUT=VALUE...: the run step refuses the inputs
# (exit-code 2) with an error annotation, and the final step exits 2.
bad_inputs() {
  local name="$1" says="$2"
  shift 2
  action "$name" "$@"
  expect_eq "$name: exit-code output" "$(q "$result" "d['outputs'].get('exit-code')")" 2
  expect_eq "$name: run step" "$(step outcome 'Run')" success
  expect_eq "$name: final step exit" "$(step exit 'Fail as')" 2
  expect "$name: an annotation says \"$says\"" contains "$(annotations)" "$says"
}
begin_case "bad inputs: exit-code 2 and a message saying what to fix"
bad_inputs both-servers "not both" script=greeting.tcs spawn='tcpcheck serve greeting --port {port}' \
  target=127.0.0.1:9
bad_inputs no-server "give 'spawn'" script=greeting.tcs
bad_inputs bad-command "unknown command 'lint'" command=lint script=greeting.tcs target=127.0.0.1:9
bad_inputs report-in-args "the action writes the reports" script=greeting.tcs \
  target=127.0.0.1:9 args='--json elsewhere.json'
bad_inputs open-quote "quote that is not closed" script=greeting.tcs target=127.0.0.1:9 \
  args="--only 'segmentation/*"
bad_inputs no-script "give 'script'" script='' target=127.0.0.1:9
# tcpcheck's own bad usage comes through as 2 too.
action tcpcheck-usage script=greeting.tcs target=127.0.0.1:9 args='--no-such-option'
expect_eq "tcpcheck's bad usage: exit-code" "$(q "$result" "d['outputs'].get('exit-code')")" 2
end_case

begin_case "install failures: a clear message, and tcpcheck is not run"
action wrong-version script=greeting.tcs target=127.0.0.1:9 version=9.9.9
expect_eq "install step" "$(step outcome 'Install')" failure
expect_eq "run step" "$(step outcome 'Run')" skipped
expect_eq "upload step (always)" "$(step outcome 'Upload')" success
expect_eq "final step" "$(step outcome 'Fail as')" skipped
expect "the message names both versions" grep -q "version $version, but version 9.9.9" "$(step log 'Install')"
action no-package script=greeting.tcs target=127.0.0.1:9 package=/nonexistent/tcpcheck.deb
expect "a missing package is named" grep -q "'/nonexistent/tcpcheck.deb' does not exist" "$(step log 'Install')"
expect_eq "install step" "$(step outcome 'Install')" failure
# Without `package:` and without knowing the action's repository (a local
# action), there is no release to download from; said before any download.
action no-repository script=greeting.tcs target=127.0.0.1:9 package=
expect "no repository: said so" grep -q "cannot tell which repository" "$(step log 'Install')"
action not-a-deb script=greeting.tcs target=127.0.0.1:9 package="$src/action.yml"
expect "not a package: said so" grep -q "not a Debian package" "$(step log 'Install')"
end_case

begin_case "install from a release URL (a local HTTP server standing in for github.com)"
if ! command -v curl >/dev/null 2>&1; then
  problems+=("curl is not installed (ci/install-deps.sh installs it)")
else
  www="$work/www"
  release="$www/owner/tcpcheck/releases/download/v$version"
  mkdir -p "$release"
  cp "$deb" "$release/tcpcheck_${version}_$(dpkg --print-architecture).deb"
  "$python" -u -m http.server --bind 127.0.0.1 --directory "$www" 0 >"$work/http.log" 2>&1 &
  http_pid=$!
  http_port="$(port_printed "$work/http.log" 's/^Serving HTTP on .* port \([0-9]*\) .*/\1/p')"
  expect "the HTTP server printed its port" test -n "$http_port"
  export GITHUB_SERVER_URL="http://127.0.0.1:${http_port:-1}"
  export ACTION_RUNNER_ACTION_REPOSITORY=owner/tcpcheck
  # The default version, from the release of the action's repository.
  action from-release script=greeting.tcs command=replay spawn='tcpcheck serve greeting --port {port}' \
    package=
  expect_eq "install step" "$(step outcome 'Install')" success
  expect "the release's URL was used" grep -q "downloading $GITHUB_SERVER_URL/owner/tcpcheck/releases/download/v$version/" \
    "$(step log 'Install')"
  expect_eq "version output" "$(q "$result" "d['outputs'].get('version')")" "$version"
  expect_eq "exit-code output" "$(q "$result" "d['outputs'].get('exit-code')")" 0
  # A release that does not exist: said so, with what to check.
  action no-release script=greeting.tcs target=127.0.0.1:9 package= version=9.9.9
  expect_eq "no such release: install step" "$(step outcome 'Install')" failure
  expect "no such release: said so" grep -q "Is there a release v9.9.9" "$(step log 'Install')"
  # package: as a URL.
  action package-url script=greeting.tcs command=replay spawn='tcpcheck serve greeting --port {port}' \
    package="$GITHUB_SERVER_URL/owner/tcpcheck/releases/download/v$version/tcpcheck_${version}_$(dpkg --print-architecture).deb"
  expect_eq "package URL: exit-code output" "$(q "$result" "d['outputs'].get('exit-code')")" 0
  unset GITHUB_SERVER_URL ACTION_RUNNER_ACTION_REPOSITORY
  kill "$http_pid" 2>/dev/null || true
  wait "$http_pid" 2>/dev/null || true
fi
end_case

begin_case "finish.sh: exits with each code of cli/exit_codes.hpp and says what it means"
codes="$(sed -n 's/^ *exit_[a-z_]* = \([0-9]*\),.*/\1/p' "$src/cli/exit_codes.hpp" | tr '\n' ' ')"
expect_eq "the codes of cli/exit_codes.hpp (finish.sh and common.sh know these)" "$codes" "0 1 2 3 4 "
for code in $codes; do
  for command in check fuzz replay; do
    status=0
    said="$(TCPCHECK_EXIT_CODE=$code TCPCHECK_COMMAND=$command bash "$src/ci/action/finish.sh" 2>&1)" ||
      status=$?
    expect_eq "finish.sh for $command, code $code: exit" "$status" "$code"
    if [[ "$said" == *"does not document"* ]]; then problems+=("finish.sh has no words for code $code"); fi
  done
done
status=0
TCPCHECK_EXIT_CODE='' bash "$src/ci/action/finish.sh" >/dev/null 2>&1 || status=$?
expect_eq "finish.sh without an exit code" "$status" 4
end_case

echo "action steps: $((SECONDS - started))s, ${#failed_cases[@]} case(s) failed"
if ((${#failed_cases[@]})); then
  echo "work directory kept: $work"
  exit 1
fi
rm -rf "$work"
