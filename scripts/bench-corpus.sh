#!/usr/bin/env bash
# Issue 9's figures for docs/BENCHMARKS.md in one run over the whole Pabulib library: the hardware's limits,
# the whole-corpus import (wall, CPU, peak memory, per-file time at the start and at the end of the library),
# serve cold (replays everything, writes its checkpoint), serve from that checkpoint (time to the first answer,
# memory), a ranking, rebuild (events/s, memory) and Equal Shares on the synthetic district.
#
# Usage: scripts/bench-corpus.sh CORPUS_DIR [OUTDIR]
#   CORPUS_DIR holds the *.pb files: tar --zstd -xf ../shared/data/pabulib-corpus.tar.zst -C CORPUS_DIR
# Needs /usr/bin/time (Debian package `time`) and curl. Takes about 10 minutes on 2 idle cores and ~4 GB of disk
# in $TMPDIR; the data directory is removed at the end unless KEEP=1.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:?usage: scripts/bench-corpus.sh CORPUS_DIR [OUTDIR]}
out=${2:-bench-results/corpus}
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/pbledger-corpus.XXXXXX")
data="$work/data"
addr=127.0.0.1:18961
srv=
cleanup() {
  [ -n "$srv" ] && kill "$srv" 2>/dev/null && wait "$srv" 2>/dev/null
  [ "${KEEP:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT

bin="$work/pbledger"
go build -o "$bin" ./cmd/pbledger
git rev-parse --short HEAD >"$out/commit" 2>/dev/null || true
nfiles=$(ls "$corpus"/*.pb | wc -l)

# measure NAME CMD...: runs CMD under /usr/bin/time -v, keeps its output in $out/NAME.{out,time}
measure() {
  local name=$1
  shift
  echo "== $name ($(uptime | sed 's/.*load/load/'))"
  /usr/bin/time -v "$@" >"$out/$name.out" 2>"$out/$name.time" || {
    tail -20 "$out/$name.time"
    return 1
  }
  grep -E 'Elapsed|User time|System time|Maximum resident' "$out/$name.time" | sed 's/^\s*/   /'
}

# serve_start NAME: starts serve on $data, prints the seconds until GET /v1/cycles answers and the memory then
serve_start() {
  local name=$1
  local t0 t1
  t0=$(date +%s.%N)
  "$bin" serve --data "$data" --addr "$addr" >"$out/$name.log" 2>&1 &
  srv=$!
  until curl -sf "http://$addr/v1/cycles" -o /dev/null; do
    kill -0 "$srv" 2>/dev/null || { tail "$out/$name.log"; return 1; }
    sleep 0.05
  done
  t1=$(date +%s.%N)
  echo "== $name: first answer after $(echo "$t1 - $t0" | bc) s; $(grep -E 'VmRSS|VmHWM|RssAnon|RssFile' /proc/$srv/status | tr -s ' \t' ' ' | tr '\n' ' ')"
}

serve_stop() {
  kill -TERM "$srv"
  wait "$srv" 2>/dev/null || true
  srv=
}

exec > >(tee "$out/summary.txt") 2>&1
if curl -s -o /dev/null "http://$addr/"; then echo "something already listens on $addr" >&2; exit 1; fi
{
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2), $(free -g | awk '/Mem/{print $2}') GiB; $(date -u +%FT%TZ)"
  echo "== the hardware's limits"
  go test -run '^$' -bench 'RawFsync' -benchtime 2s ./eventstore/filestore/ | grep -E 'Benchmark'
  go test -run '^$' -bench 'HashFloor' -benchtime 1s ./eventstore/translog/ | grep -E 'Benchmark' || true

  # The same file, under six names, is imported three times into an empty data directory of its own and three
  # times into the full log after the library, each trio by a command of its own: same command, same files,
  # only the log's size differs. (Inside one import, a file's time also depends on its neighbours: the next file is
  # prepared while this one is written.)
  probe=${PROBE:-$corpus/Poland_Krakow_2024.pb}
  mkdir -p "$work/probe"
  for p in ProbeFirst1 ProbeFirst2 ProbeFirst3 ProbeLast1 ProbeLast2 ProbeLast3; do cp "$probe" "$work/probe/$p.pb"; done
  "$bin" import --data "$work/probe-data" "$work/probe"/ProbeFirst?.pb >"$out/import-probe-first.out"
  measure import "$bin" import --keep-going --data "$data" --exclusions scripts/corpus-exclusions.txt "$corpus"/*.pb
  "$bin" import --data "$data" "$work/probe"/ProbeLast?.pb >"$out/import-probe-last.out"
  echo "   files: $nfiles; $(grep -c ': cycle ' "$out/import.out") imported; $(du -sh "$data" | cut -f1) on disk"
  echo "   the same file ($(basename "$probe")), three times into an empty log, three times into the full one:"
  cat "$out/import-probe-first.out" "$out/import-probe-last.out" | grep -E '/Probe(First|Last)[0-9]\.pb: cycle' |
    sed -E 's/^.*\/(Probe[A-Za-z0-9]*)\.pb: .*ballots, up to position ([0-9]*) \((.*)\)$/     \1: \3 (log up to position \2)/'
  # per-file time per ballot, files of 1,000-5,000 ballots, first third vs last third of the library
  awk -v n="$nfiles" '/: cycle .* ballots, up to position/ {
      i++; b=$0; sub(/ ballots,.*/, "", b); sub(/.* /, "", b); gsub(/,/, "", b)
      t=$NF; gsub(/[()]/, "", t)
      if (t ~ /ms$/) { sub(/ms$/, "", t); t=t/1000 } else if (t ~ /µs$/) { sub(/µs$/, "", t); t=t/1e6 } else { sub(/s$/, "", t) }
      if (b < 1000 || b > 5000) next
      us=t*1e6/b
      if (i <= n/3) first[++nf]=us; else if (i > 2*n/3) last[++nl]=us
    }
    function median(a, k,   j, m, tmp) { for (j=1;j<=k;j++) for (m=j+1;m<=k;m++) if (a[m]<a[j]) {tmp=a[j];a[j]=a[m];a[m]=tmp}; return a[int((k+1)/2)] }
    END { printf "   per file (1,000-5,000 ballots): median %.0f µs/ballot in the first third (%d files), %.0f µs/ballot in the last third (%d files)\n", median(first,nf), nf, median(last,nl), nl }' "$out/import.out"

  serve_start serve-cold
  # the cold start writes its checkpoint after catching up; wait for it before stopping
  sleep 5
  serve_stop
  serve_start serve-checkpoint
  cycles=$(curl -sf "http://$addr/v1/cycles" | grep -o '"id":"[^"]*' | cut -d'"' -f4 || true)
  cycle=$( (echo "$cycles" | grep '^Poland_Warszawa_2023_' || echo "$cycles") | head -1)
  if [ -n "$cycle" ]; then
    district=$(curl -sf "http://$addr/v1/cycles/$cycle" | grep -o '"districts":\[[^]]*' | grep -o '"id":"[^"]*' | head -1 | cut -d'"' -f4 || true)
    for _ in 1 2 3; do
      curl -sf -o /dev/null -w "   ranking of $cycle/$district: %{time_total} s, %{size_download} bytes\n" \
        "http://$addr/v1/cycles/$cycle/districts/$district/ranking" || true
    done
  fi
  sleep 20 # the transparency log re-hashes the whole log after the start (docs/VERIFY.md)
  echo "   20 s after the rankings: $(grep -E 'VmRSS|VmHWM|RssAnon|RssFile' /proc/$srv/status | tr -s ' \t' ' ' | tr '\n' ' ')"
  serve_stop

  events=$(grep -o 'up to position [0-9]*' "$out/import.out" | tail -1 | awk '{print $4}')
  measure rebuild "$bin" rebuild --data "$data"
  cat "$out/rebuild.out"
  echo "   log: about $events events"

  # One op in a fresh process also pays for faulting in its memory (0.70-1.00 s against 0.66 s per op on
  # 2026-12-08); five give the time per op in a running server.
  echo "== Equal Shares, synthetic 100,000 ballots x 100 projects (5 ops; then 1 op in a fresh process)"
  go test -run '^$' -bench 'Compute/synthetic' -benchtime 5x ./domain/outcome/ | grep -E 'Benchmark'
  go test -run '^$' -bench 'Compute/synthetic/rule=equal' -benchtime 1x ./domain/outcome/ | grep -E 'Benchmark'
}
echo "results in $out/"
