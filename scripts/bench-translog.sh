#!/usr/bin/env bash
# The transparency log's figures for docs/BENCHMARKS.md, all in one run: appends to the store with the tree off
# and on (interleaved, three times each), the tree's CPU cost per event, proofs, `verify` on a 1,000,000-event log,
# proof latency over HTTP, and durable ballots over HTTP with the tree off and on. Usage: scripts/bench-translog.sh [OUTDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-bench-results}
mkdir -p "$out"
export PBLEDGER_BENCH_DIR=${PBLEDGER_BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/pbledger-bench.XXXXXX")}

echo "== transparency log: appends with the tree off and on, the tree's cost, proofs"
go test -run '^$' -bench 'RawFsync' -benchtime 2s ./eventstore/filestore/ | tee "$out/translog.txt"
go test -run '^$' -bench 'AppendWithTree|FollowerCatchUp|HashFloor|Proofs' -benchtime 2s ./eventstore/translog/ | tee -a "$out/translog.txt"
echo "== verify: 1,000,000 events"
go test -run '^$' -bench 'VerifyLog' -benchtime 2x -timeout 30m ./verify/ | tee "$out/verify.txt"
echo "== proofs over HTTP"
go test -run '^$' -bench 'ProofLatency' -benchtime 5000x ./cmd/pbledger/ | tee "$out/proofs-http.txt"

echo "== ballots over HTTP, tree off and on"
go build -o "$out/pbledger" ./cmd/pbledger
: >"$out/load-translog.txt"
for mode in false true false true false true; do
  data="$PBLEDGER_BENCH_DIR/serve-$mode"
  rm -rf "$data"
  "$out/pbledger" serve --data "$data" --addr 127.0.0.1:18766 --demo --transparency=$mode >"$out/serve-$mode.log" 2>&1 &
  srv=$!
  for _ in $(seq 150); do curl -sf http://127.0.0.1:18766/readyz >/dev/null && break; sleep 0.2; done
  token=$(awk '/demo-admin/{print $3}' "$data/demo-tokens.txt")
  echo "-- transparency=$mode" | tee -a "$out/load-translog.txt"
  "$out/pbledger" load --url http://127.0.0.1:18766 --token "$token" --cycle "bench-$mode" \
    --pabulib testdata/pabulib/poland_wieliczka_2023.pb --clients 64 --repeat 2 --into-live-data | tee -a "$out/load-translog.txt"
  kill "$srv"; wait "$srv" 2>/dev/null || true
  rm -rf "$data"
done
echo "results in $out/"
