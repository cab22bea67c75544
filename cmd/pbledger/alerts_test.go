package main

import (
	"bufio"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// mustPromtool finds promtool, which comes with the prometheus package that `make test` installs.
func mustPromtool(tb testing.TB) string {
	tb.Helper()
	if p, err := exec.LookPath("promtool"); err == nil {
		return p
	}
	tb.Fatal("promtool is not installed: run `make test`, which installs the prometheus package (scripts/test-deps.sh)")
	return ""
}

// The shipped alert rules and Prometheus configuration are valid, and every alert behaves on synthetic series
// as dashboards/alerts_test.yml says: firing where it must, silent where it must not.
func TestAlertRulesPassPromtool(t *testing.T) {
	promtool := mustPromtool(t)
	dir := filepath.Join("..", "..", "dashboards")
	for _, args := range [][]string{
		{"check", "rules", "alerts.yml"},
		{"check", "config", "prometheus.yml"},
		{"test", "rules", "alerts_test.yml"},
	} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// metricsFromOtherParts are named by the alert rules but exported by parts built elsewhere, not yet in this
// build: none today. Add a name here only while the part that exports it has not landed.
var metricsFromOtherParts = map[string]bool{}

// Every pbledger metric the alert rules use is one a real server exports, so a renamed metric cannot leave
// an alert that never fires; and the server exports the disk and version metrics.
func TestAlertRulesUseExportedMetrics(t *testing.T) {
	// The demo has cycles with a calendar; a request gives the request metrics a series.
	ts := startTestServer(t, true)
	if resp, err := http.Get(ts.URL + "/v1/cycles"); err == nil {
		resp.Body.Close()
	}
	resp, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	exported := map[string]string{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		name := line[:strings.IndexAny(line, "{ ")]
		exported[name] = line
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if base, ok := strings.CutSuffix(name, suffix); ok {
				exported[base] = line
			}
		}
	}
	rules, err := os.ReadFile(filepath.Join("..", "..", "dashboards", "alerts.yml"))
	if err != nil {
		t.Fatal(err)
	}
	used := regexp.MustCompile(`pbledger_[a-z0-9_]+`).FindAllString(string(rules), -1)
	if len(used) == 0 {
		t.Fatal("the rules name no pbledger metric")
	}
	seen := map[string]bool{}
	for _, name := range used {
		if seen[name] {
			continue
		}
		seen[name] = true
		base := strings.TrimSuffix(name, "_bucket")
		if _, ok := exported[base]; !ok && !metricsFromOtherParts[name] {
			t.Errorf("alerts.yml uses %s, which the server does not export", name)
		}
	}
	for _, name := range []string{"pbledger_store_log_bytes", "pbledger_disk_free_bytes", "pbledger_disk_size_bytes", "pbledger_build_info",
		"pbledger_cycle_next_phase_start_timestamp_seconds", "pbledger_translog_size", "pbledger_checkpoint_signed_size"} {
		if _, ok := exported[name]; !ok {
			t.Errorf("the server does not export %s", name)
		}
	}
	if line := exported["pbledger_build_info"]; !strings.Contains(line, `version="`) || strings.Contains(line, `version=""`) {
		t.Errorf("build info %q has no version", line)
	}
}

func TestVersionCommand(t *testing.T) {
	out, err := runCmd(t, "version")
	if err != nil || !strings.HasPrefix(out, "pbledger ") {
		t.Fatalf("version: %v %q", err, out)
	}
	old := version
	version = "v1.2.3-4-gabcdef"
	defer func() { version = old }()
	if out, _ := runCmd(t, "version", "--json"); !strings.Contains(out, `"version": "v1.2.3-4-gabcdef"`) {
		t.Fatalf("version --json with -ldflags version: %s", out)
	}
}

// `make monitoring` (scripts/monitoring.sh) starts a real Prometheus with the shipped configuration against a
// running server: it scrapes it and loads the alert rules.
func TestMonitoringScriptScrapesAServer(t *testing.T) {
	mustPrometheusBinary(t)
	ts := startTestServer(t, false)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	promAddr := l.Addr().String()
	l.Close()
	cmd := exec.Command("bash", filepath.Join("..", "..", "scripts", "monitoring.sh"))
	cmd.Env = append(os.Environ(), "PBLEDGER_ADDR="+strings.TrimPrefix(ts.URL, "http://"), "PROMETHEUS_ADDR="+promAddr,
		"GRAFANA_ADDR=127.0.0.1:0", "SCRAPE_INTERVAL=1s", "MONITORING_ONCE=1", "PATH="+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "has loaded the alert rules") {
		t.Fatalf("monitoring.sh: %v\n%s", err, out)
	}
}
