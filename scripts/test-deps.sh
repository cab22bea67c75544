#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine, then downloads the Go modules.
# Safe to run again: it installs only what is missing.
#   prometheus  the real Prometheus the dashboard test scrapes pbledger with (cmd/pbledger/prometheus_test.go)
#   chromium    the real headless browser the web page test drives (cmd/pbledger/browser_test.go)
set -euo pipefail
need=()
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if ((${#need[@]})); then
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
  echo "test-deps: installing ${need[*]} (Debian packages)"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
  # The package starts a Prometheus service where there is an init system; the tests run their own.
  $sudo systemctl stop prometheus >/dev/null 2>&1 || true
fi
go mod download
