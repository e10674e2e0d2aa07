#!/usr/bin/env bash
# The hostile peer matrix: tcpcheck run / check / fuzz against every mode of
# bench/hostile/hostile_server.py, one run at a time, each under /usr/bin/time (peak RSS,
# wall) and an outer `timeout` safety kill. See README.md.
#
# usage: bench/hostile/run_matrix.sh [--tcpcheck PATH] [--out DIR] [--only MODE...]
#                                    [--cmd CMD...] [--fuzz-time S] [--outer-timeout S]
#   --only MODE...   modes to run (default: all); words up to the next option
#   --cmd CMD...     commands to run (default: all): run check-target check-spawn fuzz
#                    check-late fuzz-late fuzz-spawn-late (the *-late ones: the server is
#                    correct for its first 2 connections; not run for good and good-len)
#   --fuzz-time S    fuzz --max-time (default 20)
#   --outer-timeout S  the safety kill (default 300; a kill is reported as a finding)
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TCPCHECK=$ROOT/build/default/cli/tcpcheck
OUT=/tmp/hostile
FUZZ_TIME=20
OUTER=300
RSS_FLAG_MIB=300
ALL_MODES=(good flood flood-lines huge-length empty-frames silent no-read reset trickle invalid
           long-line close-mid-reply extra-frames dies refuse good-len)
ALL_CMDS=(run check-target check-spawn fuzz check-late fuzz-late fuzz-spawn-late)
# Connections a *-late server serves correctly before it turns hostile: tcpcheck opens one
# (a connect check, or --spawn's wait for the port) before check's baseline and fuzz's
# unmutated conversation, which take the second.
GOOD_FIRST=2
MODES=()
CMDS=()

while [ $# -gt 0 ]; do
  case "$1" in
    --tcpcheck) TCPCHECK=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --fuzz-time) FUZZ_TIME=$2; shift 2 ;;
    --outer-timeout) OUTER=$2; shift 2 ;;
    --only) shift; while [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; do MODES+=("$1"); shift; done ;;
    --cmd) shift; while [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; do CMDS+=("$1"); shift; done ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "run_matrix.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
[ ${#MODES[@]} -eq 0 ] && MODES=("${ALL_MODES[@]}")
[ ${#CMDS[@]} -eq 0 ] && CMDS=("${ALL_CMDS[@]}")

TCPCHECK=$(cd "$(dirname "$TCPCHECK")" 2>/dev/null && pwd)/$(basename "$TCPCHECK")
if [ ! -x "$TCPCHECK" ]; then echo "run_matrix.sh: no tcpcheck at $TCPCHECK" >&2; exit 2; fi
for m in "${MODES[@]}"; do
  case " ${ALL_MODES[*]} " in *" $m "*) ;; *) echo "run_matrix.sh: unknown mode $m" >&2; exit 2 ;; esac
done
for c in "${CMDS[@]}"; do
  case " ${ALL_CMDS[*]} " in *" $c "*) ;; *) echo "run_matrix.sh: unknown command $c" >&2; exit 2 ;; esac
done

mkdir -p "$OUT/raw"
OUT=$(cd "$OUT" && pwd)
RESULTS=$OUT/results.jsonl
TABLE=$OUT/table.md
: > "$RESULTS"

# The --memory default, read from --help (0 when the option is absent).
# The help line reads '  --memory UINT:UINT in [1 - 1048576]=256'.
MEMORY_MIB=$("$TCPCHECK" run --help 2>/dev/null | sed -n 's/^ *--memory [^=]*=\([0-9][0-9]*\).*/\1/p' | head -1)
MEMORY_MIB=${MEMORY_MIB:-0}

script_for() {
  case "$1" in
    huge-length|empty-frames|good-len) echo "$HERE/lenprefix.tcs" ;;
    *) echo "$ROOT/corpus/scripts/greeting.tcs" ;;
  esac
}

quote() { printf '%q ' "$@"; }

SERVER_PID=
start_server() {  # mode dir [server options...] -> sets PORT, SERVER_PID
  local mode=$1 d=$2
  shift 2
  python3 "$HERE/hostile_server.py" "$mode" "$@" > "$d/server.out" 2> "$d/server.err" &
  SERVER_PID=$!
  PORT=
  for _ in $(seq 100); do
    PORT=$(head -n1 "$d/server.out" 2>/dev/null)
    [ -n "$PORT" ] && return 0
    sleep 0.1
  done
  echo "run_matrix.sh: server $mode printed no port" >&2
  return 1
}

stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill -TERM "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=
  fi
}

# Spawned servers (--spawn) write their pids to a file; any still alive after
# tcpcheck ended is counted, then stopped by its pid.
reap_spawned() {  # pidfile -> echoes how many were left alive
  local left=0 pid
  [ -f "$1" ] || { echo 0; return; }
  while read -r pid; do
    [ -n "$pid" ] || continue
    if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q "hostile_server.py"; then
      left=$((left + 1))
      kill -TERM "$pid" 2>/dev/null
    fi
  done < "$1"
  echo "$left"
}

# tcpcheck's own peak RSS (VmHWM, KiB), sampled 10 times a second until the process tree
# under PID (/usr/bin/time -> timeout -> tcpcheck) ends: /usr/bin/time's %M is the largest
# peak among all the processes waited for, which with --spawn includes the servers.
sample_hwm() {  # pid -> echoes the last VmHWM seen (nothing if tcpcheck was never seen)
  local top=$1 tp= mid k v _ hwm=
  while kill -0 "$top" 2>/dev/null; do
    if [ -z "$tp" ]; then
      for mid in $(pgrep -P "$top"); do tp=$(pgrep -P "$mid" | head -n1); [ -n "$tp" ] && break; done
    fi
    if [ -n "$tp" ] && [ -r "/proc/$tp/status" ]; then
      while read -r k v _; do
        [ "$k" = VmHWM: ] && hwm=$v
      done < "/proc/$tp/status" 2>/dev/null
    fi
    sleep 0.1
  done
  echo "$hwm"
}

# The tcpcheck arguments of one cell: cmd mode script dir target -> ARGS
cell_args() {
  local cmd=$1 mode=$2 script=$3 d=$4 target=$5
  local report=(--json "$d/report.json" --junit "$d/report.xml")
  case "$cmd" in
    run)
      ARGS=(run "$script" --target "$target" "${report[@]}") ;;
    check-target)
      ARGS=(check "$script" --target "$target" --out "$d/cases" "${report[@]}") ;;
    check-spawn)
      ARGS=(check "$script"
            --spawn "python3 $HERE/hostile_server.py $mode --port {port} --pidfile $d/spawned.pids"
            --out "$d/cases" "${report[@]}") ;;
    fuzz|fuzz-late)
      ARGS=(fuzz "$script" --target "$target" --max-time "$FUZZ_TIME" --out "$d/findings"
            "${report[@]}") ;;
    check-late)
      ARGS=(check "$script" --target "$target" --out "$d/cases" "${report[@]}") ;;
    fuzz-spawn-late)
      ARGS=(fuzz "$script"
            --spawn "python3 $HERE/hostile_server.py $mode --good-first $GOOD_FIRST --count-file $d/connections --port {port} --pidfile $d/spawned.pids"
            --max-time "$FUZZ_TIME" --out "$d/findings" "${report[@]}") ;;
  esac
}

# On ^C or TERM: stop the running tcpcheck (through its timeout, our child's child), the
# server we started and any server it spawned, each by its pid.
measured=
on_interrupt() {
  if [ -n "$measured" ]; then
    pkill -TERM -P "$measured" 2>/dev/null
    wait "$measured" 2>/dev/null
  fi
  stop_server
  [ -n "${dir:-}" ] && reap_spawned "$dir/spawned.pids" > /dev/null
  exit 130
}
trap on_interrupt INT TERM

{
  echo "# Hostile peer matrix"
  echo
  echo "tcpcheck: \`$TCPCHECK\`; fuzz --max-time $FUZZ_TIME; outer timeout $OUTER s;"\
       "--memory default: ${MEMORY_MIB} MiB; $(date -u '+%Y-%m-%d %H:%M UTC'); raw logs: $OUT/raw/"
  echo
  echo "| mode | command | exit | peak RSS MiB | wall s | reports agree | notes |"
  echo "|---|---|---|---|---|---|---|"
} > "$TABLE"
cat "$TABLE"

for mode in "${MODES[@]}"; do
  script=$(script_for "$mode")
  for cmd in "${CMDS[@]}"; do
    case "$mode:$cmd" in good:*-late|good-len:*-late) continue ;; esac  # same as without -late
    spawned=false; case "$cmd" in *-spawn*) spawned=true ;; esac
    server_opts=(); case "$cmd" in *-late) server_opts=(--good-first "$GOOD_FIRST") ;; esac
    dir=$OUT/raw/$mode.$cmd
    rm -rf "$dir"; mkdir -p "$dir"
    PORT=
    if ! $spawned; then
      if ! start_server "$mode" "$dir" "${server_opts[@]}"; then
        stop_server
        echo "| $mode | $cmd | - | - | - | n/a | harness: hostile_server.py printed no port (see $dir/server.err) |" | tee -a "$TABLE"
        continue
      fi
    fi
    bound=0; bound_name=
    case "$cmd" in
      run) bound=60; bound_name="run's floor of" ;;  # docs/scripts.md: max(sum of waits + 5 s, 60 s)
      fuzz*) bound=$FUZZ_TIME; bound_name="--max-time" ;;
    esac
    cell_args "$cmd" "$mode" "$script" "$dir" "127.0.0.1:$PORT"
    args=("${ARGS[@]}")
    # The reproduce command: the same tcpcheck arguments, its reports and scripts written
    # under $dir/repro/ so that the matrix's own logs stay as they were.
    cell_args "$cmd" "$mode" "$script" "$dir/repro" "127.0.0.1:@PORT@"
    repro="mkdir -p $(quote "$dir/repro") && cd $(quote "$OUT") && "
    if $spawned; then
      repro+="$(quote "$TCPCHECK" "${ARGS[@]}")"
    else
      pf=$(quote "$dir/repro/server.out")
      repro+="{ python3 $(quote "$HERE/hostile_server.py") $mode ${server_opts[*]} > $pf & sleep 1; "
      repro+="$(quote "$TCPCHECK" "${ARGS[@]}" | sed "s|127\.0\.0\.1:@PORT@|127.0.0.1:\$(head -n1 $pf)|")"
      repro+="; echo \"exit \$?\"; kill \$!; }"
    fi
    echo "$repro" > "$dir/cmd.txt"
    (
      cd "$OUT" &&
      exec /usr/bin/time -o "$dir/time" -f '%M %e' \
        timeout -k 10 "$OUTER" "$TCPCHECK" "${args[@]}" > "$dir/stdout" 2> "$dir/stderr" < /dev/null
    ) &
    measured=$!
    sample_hwm "$measured" > "$dir/hwm"
    wait "$measured"
    rc=$?
    measured=
    stop_server
    sleep 0.2
    leftover=0
    $spawned && leftover=$(reap_spawned "$dir/spawned.pids")
    python3 "$HERE/judge.py" --mode "$mode" --cmd "$cmd" --rc "$rc" \
      --json "$dir/report.json" --junit "$dir/report.xml" --time "$dir/time" --hwm "$dir/hwm" \
      --spawned "$spawned" \
      --bound "$bound" --bound-name="$bound_name" --outer "$OUTER" --memory-mib "$MEMORY_MIB" \
      --rss-flag-mib "$RSS_FLAG_MIB" --leftover "$leftover" --repro="$repro" \
      --results "$RESULTS" | tee -a "$TABLE"
  done
done

# The rows worth a look, with the command that reproduces each.
python3 - "$RESULTS" "$TABLE" "$RSS_FLAG_MIB" <<'EOF'
import json, sys
results, table, flag = sys.argv[1], sys.argv[2], sys.argv[3]
rows = [json.loads(l) for l in open(results) if l.strip()]
flagged = [r for r in rows if r["flags"]]
with open(table, "a") as t:
    t.write("\n## Flagged rows (peak RSS >= %s MiB, over a documented time bound, outer timeout, "
            "killed, reports disagree, spawned server left running)\n\n" % flag)
    if not flagged:
        t.write("none\n")
    for r in flagged:
        t.write("- **%s / %s** (%s): exit %d, %.1f MiB, %.1f s; %s\n  `%s`\n" % (
            r["mode"], r["cmd"], ", ".join(r["flags"]), r["rc"], r["rss_mib"] or 0,
            r["wall_s"] or 0, r["agree"], r["repro"]))
EOF
sed -n '/^## Flagged/,$p' "$TABLE"
