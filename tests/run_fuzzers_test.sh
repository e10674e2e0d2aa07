#!/usr/bin/env bash
# ci/run-fuzzers.sh judges each target by its floor (--min-exec-rate, a
# number or ci/fuzz-exec-floors.txt) and by its exit: CI's smoke run passes
# only on its passing path, so the failing ones are tried here. Stand-in
# fuzzers, not libFuzzer: each spins for a moment of CPU and prints the
# statistics libFuzzer prints, claiming many runs (fast) or one (slow).
#
#   tests/run_fuzzers_test.sh SOURCE_DIR WORK_DIR
set -euo pipefail
source_dir="$(realpath "$1")"
work="$2"
script="$source_dir/ci/run-fuzzers.sh"
rm -rf "$work"
mkdir -p "$work/build/fuzz"
failures=0

# A stand-in fuzzer for target $1: $2 executions claimed, $3 its exit status. The targets
# are named after real ones, whose corpus directories exist: the script
# reads corpus/<target>/ from the source tree (and creates it if missing).
stand_in() {
  cat > "$work/build/fuzz/$1_fuzzer" <<STAND_IN
#!/usr/bin/env bash
for ((i = 0; i < 40000; i++)); do :; done
echo "stat::number_of_executed_units: $2"
echo "stat::average_exec_per_sec:     $2"
exit $3
STAND_IN
  chmod +x "$work/build/fuzz/$1_fuzzer"
}

# run NAME WANT_EXIT WANT_TEXT ARGS...: runs the script on the stand-ins;
# its exit must be WANT_EXIT and its output must hold WANT_TEXT.
run() {
  local name="$1" want_exit="$2" want_text="$3"
  shift 3
  local status=0
  bash "$script" --build "$work/build" --seconds 1 --artifacts "$work/artifacts" "$@" \
    > "$work/out" 2>&1 || status=$?
  if [ "$status" != "$want_exit" ]; then
    echo "FAIL $name: exit $status, wanted $want_exit"; cat "$work/out"; failures=$((failures + 1))
  elif ! grep -qF -- "$want_text" "$work/out"; then
    echo "FAIL $name: no '$want_text' in:"; cat "$work/out"; failures=$((failures + 1))
  else
    echo "ok   $name"
  fi
}

floors() { printf '%s\n' "# target floor" "$@" > "$work/floors.txt"; }

printf '%s\n' spec_parser session > "$work/build/fuzz/targets.txt"
stand_in spec_parser 100000000 0
stand_in session 1 0

floors "spec_parser 1000" "session 1000"
run "a target below its floor fails" 1 "session ran at" --min-exec-rate "$work/floors.txt"
run "the failure names the floor" 1 "below its floor of 1000" --min-exec-rate "$work/floors.txt"
run "the summary lists every target" 1 "spec_parser            100000000 runs" \
  --min-exec-rate "$work/floors.txt"
floors "spec_parser 1000" "session 1"
run "targets at or above their floors pass" 0 "fuzz summary" --min-exec-rate "$work/floors.txt"
run "one number is every target's floor" 1 "below its floor of 500" --min-exec-rate 500
run "a floor file for targets not run" 0 "fuzz summary" --min-exec-rate "$work/floors.txt" spec_parser
run "two at once" 0 "2 at once" --min-exec-rate "$work/floors.txt" --parallel 2

floors "spec_parser 1000"
run "a target without a floor is an error" 2 "gives no floor for session" \
  --min-exec-rate "$work/floors.txt"
floors "spec_parser 1000" "session 1" "sesion 1"
run "a name that is no target is an error" 2 "floors.txt:4: 'sesion' is not a fuzz target" \
  --min-exec-rate "$work/floors.txt"
floors "spec_parser 1000" "session 1" "session 5"
run "a second floor for one target is an error" 2 "a second floor for 'session'" \
  --min-exec-rate "$work/floors.txt"
printf 'spec_parser 1000\nsession 1' > "$work/floors.txt"
run "a last line without a line end counts" 0 "fuzz summary" --min-exec-rate "$work/floors.txt"
printf '# target floor\r\nspec_parser 1000\r\n\r\nsession 1000\r\n' > "$work/floors.txt"
run "CRLF line ends are read as LF" 1 "below its floor of 1000" --min-exec-rate "$work/floors.txt"
floors "spec_parser 1000" "session 0800"
run "a floor with a leading zero is an error, not no floor" 2 "'session' has no floor" \
  --min-exec-rate "$work/floors.txt"
floors "spec_parser fast" "session 1"
run "a floor that is no number is an error" 2 "'spec_parser' has no floor" \
  --min-exec-rate "$work/floors.txt"
run "a floor file that is not there is an error" 2 "no file" \
  --min-exec-rate "$work/no-such-floors.txt"

stand_in session 100000000 1
floors "spec_parser 1000" "session 1000"
run "a target that fails fails the run, fast or not" 1 "session failed (exit 1)" \
  --min-exec-rate "$work/floors.txt"

if ((failures)); then
  echo "$failures case(s) failed"
  exit 1
fi
echo "all cases passed"
