#!/usr/bin/env bash
# What keeping the transparency log's tree current costs the appends (issue 7 item 1: at most 10 %), measured
# robustly on a noisy machine: PAIRS alternating off/on pairs (the order flips every pair) of
#   (a) BenchmarkAppendWithTree, 64 writers × 1 and 64 writers × 10 events per append, a fixed number of
#       appends per run, in the same test binary (as serve runs the tree: the follower at low priority, and
#       one P more than the cores, in the tree-off runs too);
#   (b) durable ballots over HTTP: `pbledger load` against two `pbledger serve --demo` started once, one with
#       --transparency=false and one with --transparency=true, the loads alternating between them;
# with the raw write+fdatasync rate of the same disk measured before and after, and, per pair and as the MEDIAN
# over the pairs, the change in events (ballots) per second and the CPU per event (the benchmark's process, or
# the server's user+system time per ballot). Everything is built into a temporary directory and removed at the
# end, servers included (also on Ctrl-C).
#
# Usage: scripts/bench-tree-ab.sh [PAIRS]    (default 8; about 2–3 minutes once built)
# Knobs (environment): N1 (appends per 64×1 run, default 150000), N10 (appends per 64×10 run, default 40000),
# REPEAT (`load --repeat`, default 2: 13,172 ballots per run), KEEP=1 keeps the raw outputs and prints where.
set -euo pipefail
cd "$(dirname "$0")/.."
pairs=${1:-8}
n1=${N1:-150000} n10=${N10:-40000} repeat=${REPEAT:-2}
pb=testdata/pabulib/poland_wieliczka_2023.pb
port_off=${PORT_OFF:-18771} port_on=${PORT_ON:-18772}

work=$(mktemp -d "${TMPDIR:-/tmp}/pbledger-tree-ab.XXXXXX")
servers=()
cleanup() {
  for pid in "${servers[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ "${KEEP:-}" = 1 ]; then echo "raw outputs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "building into $work ..."
go build -o "$work/pbledger" ./cmd/pbledger
go test -c -o "$work/translog.test" ./eventstore/translog/
go test -c -o "$work/filestore.test" ./eventstore/filestore/
export TMPDIR=$work PBLEDGER_BENCH_DIR=$work

echo "machine: $(nproc) CPUs, $(uptime | sed 's/.*load average/load average/')"
fsync_rate() {
  (cd "$work" && ./filestore.test -test.run '^$' -test.bench '^BenchmarkRawFsync$' -test.benchtime 1s) |
    awk '/^BenchmarkRawFsync/ { for (i = 1; i < NF; i++) if ($(i+1) == "fsyncs/s") printf "%.0f", $i }'
}
echo "raw write+fdatasync before: $(fsync_rate) /s"

# median reads numbers, one a line, and prints their median.
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR+1)/2]; else print (v[NR/2] + v[NR/2+1]) / 2 }'; }

# append_run BATCH off|on N prints "events/s cpu-ns/event" of one BenchmarkAppendWithTree run.
append_run() {
  (cd "$work" && ./translog.test -test.run '^$' -test.bench "^BenchmarkAppendWithTree\$/^writers=64\$/^batch=$1\$/^tree=$2\$" \
    -test.benchtime "${3}x" -test.timeout 10m) |
    awk '/^BenchmarkAppendWithTree/ { for (i = 1; i < NF; i++) { if ($(i+1) == "events/s") e = $i; if ($(i+1) == "cpu-ns/event") c = $i }; print e, c }'
}

for batch in 1 10; do
  n=$n1
  [ "$batch" = 10 ] && n=$n10
  echo
  echo "== appends to the store, 64 writers × $batch, $n appends per run (BenchmarkAppendWithTree)"
  printf '%-6s %-28s %-28s %9s %11s\n' pair "tree off: events/s (CPU/ev)" "tree on: events/s (CPU/ev)" change "CPU added"
  : >"$work/append-$batch.txt"
  for p in $(seq "$pairs"); do
    order="off on"
    [ $((p % 2)) = 0 ] && order="on off"
    for mode in $order; do
      ev= cpu=
      read -r ev cpu < <(append_run "$batch" "$mode" "$n") || true
      if [ -z "${cpu:-}" ]; then echo "BenchmarkAppendWithTree 64×$batch tree=$mode gave no result" >&2; exit 1; fi
      printf -v "ev_$mode" %s "$ev"
      printf -v "cpu_$mode" %s "$cpu"
    done
    awk -v p="$p" -v eo="$ev_off" -v co="$cpu_off" -v en="$ev_on" -v cn="$cpu_on" 'BEGIN {
      ch = (en / eo - 1) * 100; add = (cn - co) / 1000
      printf "%-6s %12.0f (%5.2f µs)%9s %12.0f (%5.2f µs)%9s %+8.1f %% %+8.2f µs\n", p, eo, co/1000, "", en, cn/1000, "", ch, add
      printf "%f %f %f %f\n", ch, add, co, cn > "/dev/stderr" }' 2>>"$work/append-$batch.txt"
  done
  printf 'MEDIAN change %+.1f %%, CPU per event off %.2f µs, on %.2f µs, added %+.2f µs\n' \
    "$(awk '{print $1}' "$work/append-$batch.txt" | median)" \
    "$(awk '{print $3/1000}' "$work/append-$batch.txt" | median)" \
    "$(awk '{print $4/1000}' "$work/append-$batch.txt" | median)" \
    "$(awk '{print $2}' "$work/append-$batch.txt" | median)"
done

echo
echo "== durable ballots over HTTP: pbledger load --clients 64 --repeat $repeat against serve --demo, tree off and on"
for mode in off on; do
  port=$port_off transparency=false
  if [ "$mode" = on ]; then port=$port_on transparency=true; fi
  if curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
    echo "port $port is in use: set PORT_OFF / PORT_ON" >&2
    exit 1
  fi
  "$work/pbledger" serve --data "$work/serve-$mode" --addr "127.0.0.1:$port" --demo --transparency=$transparency \
    >"$work/serve-$mode.log" 2>&1 &
  servers+=($!)
  printf -v "pid_$mode" %s "$!"
done
for port in $port_off $port_on; do
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null || { echo "server on $port did not start" >&2; exit 1; }
done
tick=$(getconf CLK_TCK)
# cpu_of PID prints the process's user+system CPU time so far, in clock ticks.
cpu_of() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# load_run off|on CYCLE prints "ballots/s p50-ms cpu-µs-per-ballot statuses".
load_run() {
  local port=$port_off pid=$pid_off
  if [ "$1" = on ]; then port=$port_on pid=$pid_on; fi
  local token c0 c1 out
  token=$(awk '/demo-admin/{print $3}' "$work/serve-$1/demo-tokens.txt")
  c0=$(cpu_of "$pid")
  out=$(timeout 300 "$work/pbledger" load --url "http://127.0.0.1:$port" --token "$token" --cycle "$2" \
    --pabulib "$pb" --clients 64 --repeat "$repeat" --into-live-data)
  c1=$(cpu_of "$pid")
  echo "$out" | awk -v c="$((c1 - c0))" -v tick="$tick" '
    $1 == "ballots" { n = $2; rate = $7; sub("/s", "", rate); p50 = $9; sub("ms", "", p50) }
    /answers:/ { sub(/.*answers: /, ""); st = $0; gsub(/ /, "_", st) }
    END { if (n > 0) printf "%s %s %.1f %s\n", rate, p50, c / tick * 1e6 / n, st }'
}
printf '%-6s %-34s %-34s %9s %11s\n' pair "tree off: ballots/s (p50, CPU/ballot)" "tree on: ballots/s (p50, CPU/ballot)" change "CPU added"
: >"$work/ballots.txt"
for p in $(seq "$pairs"); do
  order="off on"
  [ $((p % 2)) = 0 ] && order="on off"
  for mode in $order; do
    rate= p50= cpu= st=
    read -r rate p50 cpu st < <(load_run "$mode" "bench-$mode-$p") || true
    if [ -z "${st:-}" ]; then echo "pbledger load against the tree-$mode server gave no result" >&2; exit 1; fi
    for v in rate p50 cpu st; do printf -v "${v}_$mode" %s "${!v}"; done
  done
  awk -v p="$p" -v ro="$rate_off" -v po="$p50_off" -v co="$cpu_off" -v rn="$rate_on" -v pn="$p50_on" -v cn="$cpu_on" 'BEGIN {
    ch = (rn / ro - 1) * 100; add = cn - co
    printf "%-6s %9.0f (%5.2f ms, %6.1f µs)%9s %9.0f (%5.2f ms, %6.1f µs)%9s %+8.1f %% %+8.1f µs\n", p, ro, po, co, "", rn, pn, cn, "", ch, add
    printf "%f %f %f %f %f %f\n", ch, add, po, pn, co, cn > "/dev/stderr" }' 2>>"$work/ballots.txt"
  for st in "$st_off" "$st_on"; do
    case $st in *";"* | "" | [!2]*) echo "   not every ballot was accepted: ${st//_/ }" ;; esac
  done
done
printf 'MEDIAN change %+.1f %%, p50 off %.2f ms, on %.2f ms, server CPU per ballot off %.1f µs, on %.1f µs, added %+.1f µs\n' \
  "$(awk '{print $1}' "$work/ballots.txt" | median)" \
  "$(awk '{print $3}' "$work/ballots.txt" | median)" \
  "$(awk '{print $4}' "$work/ballots.txt" | median)" \
  "$(awk '{print $5}' "$work/ballots.txt" | median)" \
  "$(awk '{print $6}' "$work/ballots.txt" | median)" \
  "$(awk '{print $2}' "$work/ballots.txt" | median)"

echo
echo "raw write+fdatasync after: $(fsync_rate) /s; $(uptime | sed 's/.*load average/load average/')"
