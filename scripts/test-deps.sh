#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine. Safe to run again: it installs only what is missing.
set -euo pipefail
need=()
# (Filled in as tests need system packages.)
if ((${#need[@]})); then
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
go mod download
