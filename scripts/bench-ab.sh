#!/usr/bin/env bash
# A/B of ballots over HTTP and of `pbledger rebuild` for two builds of pbledger, interleaved round by round on
# the same disk, so that the noise of a shared machine falls on both alike. Raw fdatasync rate measured before
# and after, as the limit to compare with. Usage: scripts/bench-ab.sh BIN_A BIN_B [ROUNDS]
#   e.g. git archive main | tar -x -C /tmp/main && (cd /tmp/main && go build -o /tmp/pbl-main ./cmd/pbledger)
#        go build -o /tmp/pbl-branch ./cmd/pbledger && scripts/bench-ab.sh /tmp/pbl-main /tmp/pbl-branch 3
set -euo pipefail
cd "$(dirname "$0")/.."
a=$1 b=$2 rounds=${3:-3}
pb=testdata/pabulib/poland_wieliczka_2023.pb
port=18791
work=$(mktemp -d "${TMPDIR:-/tmp}/pbledger-ab.XXXXXX")
trap 'rm -rf "$work"' EXIT
go test -run '^$' -bench RawFsync -benchtime 2s ./eventstore/filestore/ | grep Benchmark
for round in $(seq "$rounds"); do
  for bin in "$a" "$b"; do
    data=$work/data
    rm -rf "$data"
    "$bin" serve --data "$data" --addr 127.0.0.1:$port --demo >"$work/serve.log" 2>&1 &
    srv=$!
    for _ in $(seq 150); do curl -sf http://127.0.0.1:$port/readyz >/dev/null && break; sleep 0.2; done
    token=$(awk '/demo-admin/{print $3}' "$data/demo-tokens.txt")
    for run in 1 2 3; do
      echo "== $bin round $round run $run"
      timeout 120 "$bin" load --url http://127.0.0.1:$port --token "$token" --cycle "bench-$run" --pabulib $pb --clients 64 --repeat 4
    done
    kill $srv; wait $srv 2>/dev/null || true
    echo "== $bin round $round rebuild"
    "$bin" rebuild --data "$data"
  done
done
go test -run '^$' -bench RawFsync -benchtime 2s ./eventstore/filestore/ | grep Benchmark
