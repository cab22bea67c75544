#!/usr/bin/env bash
# make monitoring: Prometheus with pbledger's scrape configuration and alert rules (dashboards/prometheus.yml,
# dashboards/alerts.yml) against a running pbledger, and Grafana with the pbledger dashboard where Grafana is
# installed. Ctrl-C stops what it started.
#
# Environment:
#   PBLEDGER_ADDR    the server to scrape (default 127.0.0.1:8080, what `make run` listens on)
#   PROMETHEUS_ADDR  where Prometheus listens (default 127.0.0.1:9090)
#   GRAFANA_ADDR     where Grafana listens (default 127.0.0.1:3000)
#   SCRAPE_INTERVAL  default 15s
#   MONITORING_DIR   where Prometheus and Grafana keep their data (default: a temporary directory, removed on exit)
#   MONITORING_ONCE  if set: wait until Prometheus scrapes pbledger and has loaded the rules, report, stop (for tests)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
addr=${PBLEDGER_ADDR:-127.0.0.1:8080}
prom_addr=${PROMETHEUS_ADDR:-127.0.0.1:9090}
grafana_addr=${GRAFANA_ADDR:-127.0.0.1:3000}
interval=${SCRAPE_INTERVAL:-15s}

if ! command -v prometheus >/dev/null; then
  echo "monitoring: prometheus is not installed; on Debian: sudo apt-get install prometheus (make test-deps installs it)" >&2
  exit 1
fi
if ! curl -fsS -o /dev/null "http://$addr/metrics"; then
  echo "monitoring: no pbledger answers at http://$addr/metrics; start one (make run) or set PBLEDGER_ADDR" >&2
  exit 1
fi

if [ -n "${MONITORING_DIR:-}" ]; then
  work=$MONITORING_DIR
  mkdir -p "$work"
else
  work=$(mktemp -d -t pbledger-monitoring.XXXXXX)
fi
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [ -n "${MONITORING_DIR:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The shipped configuration, pointed at this server.
mkdir -p "$work/prometheus"
cp "$root/dashboards/alerts.yml" "$work/prometheus/alerts.yml"
sed -e "s|127.0.0.1:8080|$addr|" -e "s|scrape_interval: 15s|scrape_interval: $interval|" \
  "$root/dashboards/prometheus.yml" >"$work/prometheus/prometheus.yml"

prometheus --config.file="$work/prometheus/prometheus.yml" --storage.tsdb.path="$work/prometheus/data" \
  --web.listen-address="$prom_addr" --log.level=warn >"$work/prometheus.log" 2>&1 &
pids+=($!)
echo "monitoring: Prometheus on http://$prom_addr (alerts: http://$prom_addr/alerts), scraping pbledger at $addr"

grafana=$(command -v grafana-server || command -v grafana || true)
if [ -n "$grafana" ]; then
  g="$work/grafana"
  mkdir -p "$g/provisioning/datasources" "$g/provisioning/dashboards" "$g/dashboards" "$g/data"
  sed -e "s|http://localhost:9090|http://$prom_addr|" -e "s|timeInterval: 15s|timeInterval: $interval|" \
    "$root/dashboards/provisioning/datasource.yaml" >"$g/provisioning/datasources/pbledger.yaml"
  sed -e "s|/var/lib/grafana/dashboards/pbledger|$root/dashboards|" \
    "$root/dashboards/provisioning/dashboards.yaml" >"$g/provisioning/dashboards/pbledger.yaml"
  home=${GRAFANA_HOME:-/usr/share/grafana}
  # Grafana's GF_<SECTION>_<KEY> variables override its configuration files.
  export GF_PATHS_DATA="$g/data" GF_PATHS_LOGS="$g" GF_PATHS_PROVISIONING="$g/provisioning" \
    GF_SERVER_HTTP_ADDR="${grafana_addr%:*}" GF_SERVER_HTTP_PORT="${grafana_addr##*:}"
  if [ "$(basename "$grafana")" = grafana ]; then
    "$grafana" server --homepath "$home" >"$work/grafana.log" 2>&1 &
  else
    "$grafana" --homepath "$home" >"$work/grafana.log" 2>&1 &
  fi
  pids+=($!)
  echo "monitoring: Grafana on http://$grafana_addr (admin/admin), dashboard pbledger/pbledger"
else
  echo "monitoring: Grafana is not installed, so only Prometheus runs. Debian has no Grafana package: see"
  echo "            dashboards/README.md (Grafana's own APT repository, its .deb or tarball, or the Docker image)."
fi

if [ -n "${MONITORING_ONCE:-}" ]; then
  for _ in $(seq 1 60); do
    if curl -fsS "http://$prom_addr/api/v1/targets" 2>/dev/null | grep -q '"health":"up"' &&
      curl -fsS "http://$prom_addr/api/v1/rules" 2>/dev/null | grep -q '"name":"PbledgerDown"'; then
      echo "monitoring: Prometheus scrapes pbledger and has loaded the alert rules"
      exit 0
    fi
    sleep 0.5
  done
  echo "monitoring: Prometheus did not scrape pbledger within 30 s; its log:" >&2
  cat "$work/prometheus.log" >&2
  exit 1
fi
echo "monitoring: Ctrl-C to stop"
wait
