#!/usr/bin/env bash
# Measures what docs/BENCHMARKS.md reports, all in one run on this machine, next to the limits the hardware
# sets (raw fdatasync rate and sequential write bandwidth on the same disk). Usage: scripts/bench.sh [OUTDIR]
# Needs wrk for the read benchmark (Debian package wrk; installed here if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-bench-results}
mkdir -p "$out"
export PBLEDGER_BENCH_DIR=${PBLEDGER_BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/pbledger-bench.XXXXXX")}
command -v wrk >/dev/null || { sudo=; [ "$(id -u)" -ne 0 ] && sudo=sudo; $sudo apt-get install -y -qq wrk >/dev/null; }

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) x $(nproc)"
  echo "memory: $(free -g | awk '/Mem:/{print $2}') GiB"
  echo "disk: $(df -h "$PBLEDGER_BENCH_DIR" | awk 'NR==2{print $1, $2}') ($(findmnt -no FSTYPE -T "$PBLEDGER_BENCH_DIR"))"
  echo "go: $(go version)"
} | tee "$out/machine.txt"

echo "== event store"
go test -run '^$' -bench . -benchtime 2s -benchmem ./eventstore/filestore/ | tee "$out/filestore.txt"
echo "== event store through the KurrentDB protocol: esdbstore -> TLS gRPC -> pbledger's endpoint -> file store"
go test -run '^$' -bench . -benchtime 2s -benchmem ./eventstore/esdbstore/ | tee "$out/esdbstore.txt"
echo "== outcome rules"
go test -run '^$' -bench . -benchtime 3x -benchmem ./domain/outcome/ | tee "$out/outcome.txt"
echo "== read model rebuild"
go test -run '^$' -bench 'Rebuild|ModelMemory' -benchtime 3x -benchmem ./projections/ | tee "$out/rebuild.txt"

echo "== HTTP: ballots with pbledger load, ranking reads with wrk, rebuild with pbledger rebuild"
go build -o "$out/pbledger" ./cmd/pbledger
data="$PBLEDGER_BENCH_DIR/serve"
rm -rf "$data"
"$out/pbledger" serve --data "$data" --addr 127.0.0.1:18765 --demo >"$out/serve.log" 2>&1 &
srv=$!
trap 'kill $srv 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf http://127.0.0.1:18765/readyz >/dev/null && break; sleep 0.2; done
token=$(awk '/demo-admin/{print $3}' "$data/demo-tokens.txt")
for run in 1 2 3; do
  "$out/pbledger" load --url http://127.0.0.1:18765 --token "$token" --cycle "bench-$run" --into-live-data \
    --pabulib testdata/pabulib/poland_wieliczka_2023.pb --clients 64 --repeat 4
done | tee "$out/load.txt"
ranking=http://127.0.0.1:18765/v1/cycles/almaty-2025/districts/almaly/ranking
for c in 8 64; do
  echo "-- wrk -t2 -c$c -d10s $ranking"
  wrk -t2 -c$c -d10s --latency "$ranking"
done | tee "$out/wrk.txt"
kill $srv; wait $srv 2>/dev/null || true
trap - EXIT
"$out/pbledger" rebuild --data "$data" | tee "$out/rebuild-cli.txt"

echo "== HTTP: ballots through three servers sharing one store (serve --store esdb://… on a fourth's --grpc-addr)"
multi="$PBLEDGER_BENCH_DIR/multi"
rm -rf "$multi" && mkdir -p "$multi"
admin_tok=$("$out/pbledger" token --name bench-admin --role admin | awk '/^token/{print $NF}')
store_tok=$("$out/pbledger" token --name bench-store --role store | awk '/^token/{print $NF}')
# pbledger token prints the token and its entry; rebuild the entries from the tokens themselves.
entry() { printf '{"name":"%s","role":"%s","sha256":"%s"}' "$1" "$2" "$(printf %s "$3" | sha256sum | cut -d' ' -f1)"; }
echo "{\"tokens\":[$(entry bench-admin admin "$admin_tok"),$(entry bench-store store "$store_tok")]}" >"$multi/tokens.json"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$multi/voter.secret"
common=(--tokens "$multi/tokens.json" --voter-secret "$multi/voter.secret")
"$out/pbledger" serve --data "$multi/store" --addr 127.0.0.1:18770 --grpc-addr 127.0.0.1:18771 "${common[@]}" >"$out/serve-store.log" 2>&1 &
pids=($!)
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf http://127.0.0.1:18770/readyz >/dev/null && break; sleep 0.2; done
conn="esdb://bench-store:$store_tok@127.0.0.1:18771?tlsCAFile=$multi/store/grpc/cert.pem"
urls=()
for i in 1 2 3; do
  "$out/pbledger" serve --data "$multi/api$i" --addr 127.0.0.1:1877$((i + 2)) --store "$conn" "${common[@]}" >"$out/serve-api$i.log" 2>&1 &
  pids+=($!)
  urls+=("http://127.0.0.1:1877$((i + 2))")
done
for u in "${urls[@]}"; do for _ in $(seq 100); do curl -sf "$u/readyz" >/dev/null && break; sleep 0.2; done; done
list=$(IFS=,; echo "${urls[*]}")
for run in 1 2 3; do
  "$out/pbledger" load --url "$list" --token "$admin_tok" --cycle "multi-$run" \
    --pabulib testdata/pabulib/poland_wieliczka_2023.pb --clients 64 --repeat 4
done | tee "$out/load-3servers.txt"
kill "${pids[@]}"; wait "${pids[@]}" 2>/dev/null || true
trap - EXIT
echo "results in $out/"
bash scripts/bench-translog.sh "$out"
