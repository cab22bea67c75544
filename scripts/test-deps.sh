#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine, then downloads the Go modules.
# Safe to run again: it installs only what is missing.
#   prometheus  the real Prometheus the dashboard test scrapes pbledger with (cmd/pbledger/prometheus_test.go),
#               and promtool, which checks and unit-tests the alert rules (cmd/pbledger/alerts_test.go)
#   chromium    the real headless browser the web page test drives (cmd/pbledger/browser_test.go)
#   curl        docs/ADMIN.md's commands, which a test runs verbatim, and scripts/monitoring.sh
#   nodejs, npm and test/node's pinned packages: the official KurrentDB Node client that
#               cmd/pbledger/nodeclient_test.go runs against pbledger's gRPC endpoint
set -euo pipefail
need=()
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
if ((${#need[@]})); then
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
  echo "test-deps: installing ${need[*]} (Debian packages)"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
  # The package starts a Prometheus service where there is an init system; the tests run their own.
  $sudo systemctl stop prometheus >/dev/null 2>&1 || true
fi
go mod download
# The Node client, exactly as pinned by test/node/package-lock.json (node_modules is not committed).
here=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -f "$here/test/node/node_modules/.package-lock.json" ] || ! cmp -s "$here/test/node/package-lock.json" "$here/test/node/.installed-lock.json"; then
  echo "test-deps: npm ci in test/node"
  (cd "$here/test/node" && npm ci --no-audit --no-fund --loglevel=error && cp package-lock.json .installed-lock.json)
fi
