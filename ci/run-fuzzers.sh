#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzz build on its corpus for a fixed time.
#
#   ci/run-fuzzers.sh [--build DIR] [--seconds N] [--merge] [--artifacts DIR]
#                     [--min-exec-rate N|FILE] [--parallel N] [TARGET...]
#
# Fails (exit 1) on any crash, leak, timeout or out-of-memory, and keeps the
# input that caused it under the artifacts directory (default
# build/fuzz-artifacts/<target>/). With --merge, inputs that found new
# coverage are merged into corpus/<target>/ so they can be committed.
# With --min-exec-rate, a target slower than N executions per CPU second
# fails; given a FILE (ci/fuzz-exec-floors.txt), each target has its own.
# With --parallel N, N targets run at once (each fuzzer uses one core).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build/fuzz"
seconds=15
merge=0
artifacts=""
min_rate=0
floors=""
parallel=1
targets=()

# A rate in exec/CPU-s, written without leading zeros: bash arithmetic
# would read 0800 as octal and fail, and a failed comparison passes.
rate_pattern='^(0|[1-9][0-9]*)$'

usage() { sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

while (($#)); do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --merge) merge=1; shift ;;
    --artifacts) artifacts="$2"; shift 2 ;;
    --min-exec-rate)
      if [[ "$2" =~ $rate_pattern ]]; then min_rate="$2"; else floors="$2"; fi
      shift 2 ;;
    --parallel) parallel="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "run-fuzzers: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
artifacts="${artifacts:-$build/fuzz-artifacts}"
if ! [[ "$parallel" =~ ^[1-9][0-9]*$ ]]; then
  echo "run-fuzzers: --parallel takes a number of targets at once, 1 or more (got '$parallel')" >&2
  exit 2
fi

# Without names, the build's own list (fuzz/CMakeLists.txt writes it): a
# binary left in the build directory by a target since removed is not run.
if ((${#targets[@]} == 0)); then
  if ! [ -f "$build/fuzz/targets.txt" ]; then
    echo "run-fuzzers: no fuzz build in $build (build the fuzz preset first:" \
         "cmake --preset fuzz && cmake --build --preset fuzz)" >&2
    exit 2
  fi
  mapfile -t targets < "$build/fuzz/targets.txt"
fi
for target in "${targets[@]}"; do
  if ! [ -x "$build/fuzz/${target}_fuzzer" ]; then
    echo "run-fuzzers: $build/fuzz/${target}_fuzzer is not built (cmake --build --preset fuzz)" >&2
    exit 2
  fi
done

# Reads the floors file $1 into floor_of: "TARGET RATE" lines, # comments,
# CRLF line ends taken as LF. Exits 2, naming the line, on a floor that is
# no rate, a second floor for one target, or a name that is no target of
# the build (a typo, or a target since removed, would otherwise leave its
# floor unused unnoticed); and on a target to run that the file leaves out,
# which is an error, not a target without a floor.
declare -A floor_of=()
read_floors() {
  local file="$1" line=0 name rate
  if ! [ -f "$file" ]; then
    echo "run-fuzzers: --min-exec-rate takes a number or a file of floors; no file '$file'" >&2
    exit 2
  fi
  # The build's list names every target; without one (targets named on the
  # command line, no list written) names cannot be checked against it.
  declare -A is_target=()
  local have_list=0 target listed=()
  if [ -f "$build/fuzz/targets.txt" ]; then
    have_list=1
    mapfile -t listed < "$build/fuzz/targets.txt"
    for target in "${listed[@]}"; do is_target["$target"]=1; done
  fi
  while read -r name rate _ || [ -n "${name:-}" ]; do
    line=$((line + 1))
    name="${name%$'\r'}" rate="${rate%$'\r'}"
    [[ -z "$name" || "$name" == \#* ]] && continue
    if ! [[ "$rate" =~ $rate_pattern ]]; then
      echo "run-fuzzers: $file:$line: '$name' has no floor in exec/CPU-s (got '$rate')" >&2
      exit 2
    fi
    if ((have_list)) && [ -z "${is_target[$name]:-}" ]; then
      echo "run-fuzzers: $file:$line: '$name' is not a fuzz target of $build" \
           "(targets: ${listed[*]})" >&2
      exit 2
    fi
    if [ -n "${floor_of[$name]:-}" ]; then
      echo "run-fuzzers: $file:$line: a second floor for '$name'" >&2
      exit 2
    fi
    floor_of["$name"]="$rate"
  done < "$file"
  for target in "${targets[@]}"; do
    if [ -z "${floor_of[$target]:-}" ]; then
      echo "run-fuzzers: $file gives no floor for $target" >&2
      exit 2
    fi
  done
}
if [ -n "$floors" ]; then read_floors "$floors"; fi

# Tells what a failed run of target $1 (exit $2) left in $3 and said in $4:
# the artifacts, what the target or the sanitizer said, and the input.
describe_failure() {
  local target="$1" status="$2" out="$3" log="$4"
  echo "!! $target failed (exit $status); artifacts in $out/:"
  ls "$out" | grep -E '^(crash|leak|timeout|oom|slow-unit)-' || true
  # What the target or the sanitizer said after libFuzzer's last progress
  # line, and the input itself: a CI log is often all that is left of a
  # failure, and the input is enough to replay it (base64 -d > input).
  # Left out: libFuzzer's own lines, its crash handler's stack (it shows
  # the handler, not the fault) and ASan's shadow map; sanitizer stacks stay.
  awk '/^#[0-9]+\t/ { said = ""; next }
       /^(INFO:|stat::|MS:|base unit:|NOTE: libFuzzer|      Combine libFuzzer)/ { next }
       /^0x[0-9a-f]+,|^[ \t]+NEW_FUNC/ { next }
       /deadly signal/ { handler = 1 }
       handler && /^[ \t]+#[0-9]+ 0x/ { next }
       /^Shadow bytes around/ { shadow = 1 }
       shadow { if (/^==[0-9]+==ABORTING/) shadow = 0; else next }
       { said = said $0 "\n" }
       END { printf "%s", said }' "$log" | head -120 || true
  # libFuzzer prints small inputs in base64 itself.
  local input
  for input in "$out"/crash-* "$out"/leak-* "$out"/timeout-* "$out"/oom-*; do
    [ -f "$input" ] || continue
    if ! grep -q '^Base64: ' "$log" && (($(stat -c %s "$input") <= 8192)); then
      echo "   $(basename "$input") in base64:"
      base64 -w 76 "$input" | sed 's/^/   /'
    fi
  done
}

# Fuzzes one target; its summary line goes to $out/summary, and $out/failed
# exists if it failed, with what went wrong.
fuzz_one() {
  local target="$1"
  local fuzzer="$build/fuzz/${target}_fuzzer"
  local corpus="$root/corpus/$target"
  local out="$artifacts/$target"
  local new="$out/new-inputs"
  mkdir -p "$new" "$corpus"
  rm -f "$out/failed" "$out/summary"
  local log="$out/fuzz.log"
  echo "== $target: ${seconds}s on corpus/$target ($(find "$corpus" -type f | wc -l) files)"
  local status=0 rate runs cpu_rate
  # New inputs go to the first directory; the committed corpus is only read.
  # ASan keeps freed memory in a 256 MB quarantine by default: cycling
  # through it costs page faults, 400 MB of memory per target and about a
  # quarter of the CPU per execution (docs/performance.md). With 10 MB
  # (OSS-Fuzz's setting) a use after free is still caught while the
  # memory is among the last 10 MB freed.
  # The CPU time it took is kept too: on a shared machine the wall-clock
  # rate swings twofold with the neighbours' load, executions per CPU
  # second far less.
  TIMEFORMAT='%3U %3S'
  { time ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:quarantine_size_mb=10}" \
      "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$out/" "$new" "$corpus" >"$log" 2>&1; } \
    2>"$out/cpu-seconds" || status=$?
  rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  cpu_rate="$(awk -v runs="${runs:-0}" '{ cpu = $1 + $2 } END { if (cpu > 0) printf "%d", runs / cpu; else print "?" }' "$out/cpu-seconds")"
  if ((status != 0)); then
    # Kept whole in the marker file and printed after all have run, so
    # that the reports of targets run at once do not interleave.
    describe_failure "$target" "$status" "$out" "$log" >"$out/failed"
  else
    # Judged by CPU time: on a shared machine the neighbours' load halves
    # the rate by the clock, not the rate per CPU second.
    local floor="${floor_of[$target]:-$min_rate}"
    if ((floor > 0)) && ! [[ "$cpu_rate" =~ ^[0-9]+$ && "$cpu_rate" -ge "$floor" ]]; then
      echo "!! $target ran at $cpu_rate exec/CPU-s, below its floor of $floor" >"$out/failed"
    fi
  fi
  if ((merge && status == 0)); then
    "$fuzzer" -merge=1 "$corpus" "$new" >>"$log" 2>&1
    echo "   merged into corpus/$target: now $(find "$corpus" -type f | wc -l) files"
  fi
  printf '%-22s %8s runs %8s exec/s %8s exec/CPU-s  exit %s\n' \
    "$target" "${runs:-?}" "${rate:-?}" "${cpu_rate:-?}" "$status" >"$out/summary"
}

running=0
for target in "${targets[@]}"; do
  if ((running >= parallel)); then
    wait -n || true
    running=$((running - 1))
  fi
  fuzz_one "$target" &
  running=$((running + 1))
done
wait

failed=0
for target in "${targets[@]}"; do
  if [ -e "$artifacts/$target/failed" ]; then
    failed=1
    cat "$artifacts/$target/failed" >&2
  fi
done

echo "== fuzz summary (${seconds}s each, $parallel at once; exec/s by the clock, exec/CPU-s by CPU time used)"
for target in "${targets[@]}"; do
  cat "$artifacts/$target/summary" 2>/dev/null || echo "$target: no summary (the run was cut short)"
done
exit "$failed"
