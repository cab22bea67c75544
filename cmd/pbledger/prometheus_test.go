package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The dashboard test runs the real Prometheus against a live pbledger with the Almaty demo loaded, keeps
// real traffic going while Prometheus scrapes it every second, and evaluates every query of
// dashboards/pbledger.json through Prometheus's HTTP API: each must return data. The queries are read from
// the JSON, so a new panel is tested as soon as it is added.

const (
	dashboardPath = "../../dashboards/pbledger.json"
	// dashboardDatasource is the datasource every panel and variable must use, so the dashboard imports and
	// provisions anywhere: the DS_PROMETHEUS template variable.
	dashboardDatasource = "${DS_PROMETHEUS}"
	// promRange stands in for Grafana's $__rate_interval, $__interval and $__range. A minute covers many
	// 1 s scrapes, so rate() has data as soon as a series has been scraped twice.
	promRange = "1m"
	// promHangGuard bounds each wait on Prometheus. It only stops a hung test: when everything works the
	// waits end within seconds, and no assertion depends on how long they took.
	promHangGuard = 2 * time.Minute
)

func TestPrometheusEvaluatesEveryDashboardQuery(t *testing.T) {
	bin := mustPrometheusBinary(t)
	dash := mustLoadDashboard(t, dashboardPath)
	queries := dash.queries()
	if len(queries) == 0 {
		t.Fatalf("%s: no panel has a query", dashboardPath)
	}
	checkDashboardShape(t, dash, queries)

	ts := startTestServer(t, true)
	startDashboardTraffic(t, ts)
	prom := startPrometheus(t, bin, ts.URL)
	prom.waitForTarget(t, "pbledger")

	// Every query is evaluated twice: with each multi-value variable on "All" (Grafana's default here) and
	// with every variable on its first value, the way a user narrows the dashboard down.
	modes := []struct {
		name string
		all  bool
	}{{"All", true}, {"first value", false}}
	deadline := time.Now().Add(promHangGuard)
	for {
		var missing []string
		for _, mode := range modes {
			vals, problems := prom.resolveVariables(t, dash.Templating.List, mode.all)
			for _, p := range problems {
				missing = append(missing, fmt.Sprintf("[%s] %s", mode.name, p))
			}
			if len(problems) > 0 {
				continue
			}
			for _, q := range queries {
				expr, err := dashInterpolate(q.Expr, vals)
				if err != nil {
					t.Fatalf("panel %q query %s: %v", q.Panel, q.RefID, err)
				}
				if why := prom.noData(t, q, expr); why != "" {
					missing = append(missing, fmt.Sprintf("[%s] panel %q query %s: %s\n\t%s", mode.name, q.Panel, q.RefID, why, expr))
				}
			}
		}
		if len(missing) == 0 {
			t.Logf("all %d queries (and %d variables) returned data, in both variable modes", len(queries), len(dash.Templating.List))
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d dashboard queries or variables returned no data from a live pbledger scraped by Prometheus:\n%s\n\nPrometheus log:\n%s",
				len(missing), strings.Join(missing, "\n"), prom.logTail())
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// mustPrometheusBinary finds the prometheus binary. It never skips: a dashboard that is not checked is a
// dashboard that silently breaks.
func mustPrometheusBinary(tb testing.TB) string {
	tb.Helper()
	if p, err := exec.LookPath("prometheus"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/bin/prometheus"); err == nil {
		return "/usr/bin/prometheus"
	}
	tb.Fatal("the prometheus binary is not installed: run `make test`, which installs it (scripts/test-deps.sh)")
	return ""
}

// ---- the dashboard ----

// grafanaDashboard is the part of a Grafana dashboard JSON the test reads.
type grafanaDashboard struct {
	Templating struct {
		List []dashVariable `json:"list"`
	} `json:"templating"`
	Panels []dashPanel `json:"panels"`
}

type dashDatasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type dashVariable struct {
	Name       string             `json:"name"`
	Type       string             `json:"type"`
	Datasource *dashDatasourceRef `json:"datasource"`
	Query      json.RawMessage    `json:"query"`
	Multi      bool               `json:"multi"`
	IncludeAll bool               `json:"includeAll"`
	AllValue   *string            `json:"allValue"`
	Sort       int                `json:"sort"`
}

// queryString is the variable's query: Grafana stores it as a string or, since Grafana 10, as an object.
func (v dashVariable) queryString() string {
	var s string
	if json.Unmarshal(v.Query, &s) == nil {
		return s
	}
	var obj struct {
		Query string `json:"query"`
	}
	json.Unmarshal(v.Query, &obj)
	return obj.Query
}

type dashPanel struct {
	ID         int                `json:"id"`
	Title      string             `json:"title"`
	Type       string             `json:"type"`
	Datasource *dashDatasourceRef `json:"datasource"`
	Targets    []struct {
		RefID      string             `json:"refId"`
		Expr       string             `json:"expr"`
		Datasource *dashDatasourceRef `json:"datasource"`
	} `json:"targets"`
	// Panels holds the panels of a collapsed row.
	Panels []dashPanel `json:"panels"`
}

// dashQuery is one target of one panel.
type dashQuery struct {
	Panel, RefID, Expr string
	Datasource         []*dashDatasourceRef // the panel's and the target's
}

func mustLoadDashboard(tb testing.TB, path string) *grafanaDashboard {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var d grafanaDashboard
	if err := json.Unmarshal(b, &d); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return &d
}

// queries returns every target of every panel, rows' nested panels included.
func (d *grafanaDashboard) queries() []dashQuery {
	var out []dashQuery
	var walk func([]dashPanel)
	walk = func(ps []dashPanel) {
		for _, p := range ps {
			for _, tg := range p.Targets {
				out = append(out, dashQuery{Panel: p.Title, RefID: tg.RefID, Expr: tg.Expr, Datasource: []*dashDatasourceRef{p.Datasource, tg.Datasource}})
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	return out
}

// dashRangeSelector finds PromQL range selectors such as [5m] or [$__rate_interval] (not Grafana's [[var]]).
var dashRangeSelector = regexp.MustCompile(`[^\[]\[([^\[\]]+)\]`)

// checkDashboardShape checks what Prometheus cannot: that every query names the DS_PROMETHEUS datasource
// (a hard-coded datasource UID breaks the import elsewhere) and that no range is hard-coded (Grafana's
// $__rate_interval follows the scrape interval and the zoom).
func checkDashboardShape(t *testing.T, d *grafanaDashboard, queries []dashQuery) {
	t.Helper()
	for _, q := range queries {
		if strings.TrimSpace(q.Expr) == "" {
			t.Errorf("panel %q query %s has no expr", q.Panel, q.RefID)
		}
		for _, ds := range q.Datasource {
			if ds != nil && ds.UID != dashboardDatasource {
				t.Errorf("panel %q query %s uses datasource %q, want %q", q.Panel, q.RefID, ds.UID, dashboardDatasource)
			}
		}
		if q.Datasource[0] == nil && q.Datasource[1] == nil {
			t.Errorf("panel %q query %s names no datasource, want %q", q.Panel, q.RefID, dashboardDatasource)
		}
		for _, m := range dashRangeSelector.FindAllStringSubmatch(q.Expr, -1) {
			if r := m[1]; r != "$__rate_interval" && r != "$__range" && r != "$__interval" {
				t.Errorf("panel %q query %s has the range [%s], want [$__rate_interval]", q.Panel, q.RefID, r)
			}
		}
	}
	for _, v := range d.Templating.List {
		if v.Type == "query" && (v.Datasource == nil || v.Datasource.UID != dashboardDatasource) {
			t.Errorf("variable %q does not use datasource %q", v.Name, dashboardDatasource)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

// dashVarRef matches Grafana's variable syntaxes: $name, ${name}, ${name:format} and [[name]].
var dashVarRef = regexp.MustCompile(`\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)(?::\w+)?\]\]`)

// dashInterpolate substitutes the dashboard's variables and Grafana's interval variables into expr.
func dashInterpolate(expr string, vals map[string]string) (string, error) {
	var unknown []string
	out := dashVarRef.ReplaceAllStringFunc(expr, func(ref string) string {
		m := dashVarRef.FindStringSubmatch(ref)
		name := m[1] + m[2] + m[3]
		switch name {
		case "__rate_interval", "__interval", "__range":
			return promRange
		}
		v, ok := vals[name]
		if !ok {
			unknown = append(unknown, ref)
			return ref
		}
		return v
	})
	if len(unknown) > 0 {
		return "", fmt.Errorf("unknown variables %s in %s", strings.Join(unknown, ", "), expr)
	}
	return out, nil
}

// dashLabelValues parses Grafana's label_values(selector, label) and label_values(label).
var dashLabelValues = regexp.MustCompile(`^\s*label_values\(\s*(?:(.*?)\s*,\s*)?(\w+)\s*\)\s*$`)

// promRegexEscape escapes a value for a =~ matcher inside a PromQL string, as Grafana does for multi-value
// variables: regexp metacharacters get a backslash, and the backslash is doubled for the string literal.
func promRegexEscape(s string) string {
	return strings.ReplaceAll(regexp.QuoteMeta(s), `\`, `\\`)
}

// ---- traffic ----

// startDashboardTraffic sends pbledger a mix of reads, errors and ballots, once checked and then
// continuously until the test ends, so every rate() on the dashboard has something to measure.
func startDashboardTraffic(t *testing.T, ts *testServer) {
	t.Helper()
	c := &promTrafficClient{base: ts.URL, http: &http.Client{Timeout: 30 * time.Second}}
	const cycle, district = "almaty-2026", "almaly"

	var ranking struct {
		Entries []struct {
			Rank       int    `json:"rank"`
			ProposalID string `json:"proposal_id"`
		} `json:"entries"`
	}
	body := c.must(t, "GET", "/v1/cycles/"+cycle+"/districts/"+district+"/ranking", "", "", http.StatusOK)
	if err := json.Unmarshal(body, &ranking); err != nil {
		t.Fatalf("ranking: %v", err)
	}
	var candidates []string
	for _, e := range ranking.Entries {
		if e.Rank > 0 {
			candidates = append(candidates, e.ProposalID)
		}
	}
	if len(candidates) == 0 {
		t.Fatalf("the demo's %s/%s ranking has no candidate proposals: %s", cycle, district, body)
	}
	portal := ts.Tokens["demo-portal"]
	if portal == "" {
		t.Fatalf("no demo-portal token among %v", ts.Tokens)
	}
	ballot := func(n int) string {
		return fmt.Sprintf(`{"district_id":%q,"resident_id":%q,"choices":[{"proposal_id":%q}]}`,
			district, demoIIN(7_000_000+n), candidates[n%len(candidates)])
	}

	// Once, checked: the error statuses the error-ratio panel counts.
	c.must(t, "GET", "/v1/no-such-resource", "", "", http.StatusNotFound)
	c.must(t, "POST", "/v1/cycles/"+cycle+"/ballots", portal, `{"district_id":`, http.StatusBadRequest)
	c.must(t, "POST", "/v1/cycles/"+cycle+"/ballots", "", ballot(0), http.StatusUnauthorized)

	round := func(n int) error {
		for _, r := range []struct {
			method, path, token, body string
			want                      int
		}{
			{"GET", "/v1/cycles", "", "", http.StatusOK},
			{"GET", "/v1/cycles/" + cycle + "/districts/" + district + "/ranking", "", "", http.StatusOK},
			{"GET", "/v1/cycles/" + cycle + "/balances", "", "", http.StatusOK},
			{"GET", "/v1/cycles/almaty-2025/districts/" + district + "/balance", "", "", http.StatusOK},
			{"POST", "/v1/cycles/" + cycle + "/ballots", portal, ballot(n), http.StatusCreated},
		} {
			status, body, err := c.do(r.method, r.path, r.token, r.body)
			if err != nil {
				return err
			}
			if status != r.want {
				return fmt.Errorf("%s %s: status %d, want %d: %s", r.method, r.path, status, r.want, body)
			}
		}
		return nil
	}
	if err := round(1); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var failure error
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for n := 2; ; n++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if err := round(n); err != nil {
				if ctx.Err() == nil {
					failure = err
				}
				return
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		if failure != nil {
			t.Errorf("background traffic: %v", failure)
		}
	})
}

// promTrafficClient sends the test traffic to pbledger.
type promTrafficClient struct {
	base string
	http *http.Client
}

func (c *promTrafficClient) do(method, path, token, body string) (int, []byte, error) {
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func (c *promTrafficClient) must(tb testing.TB, method, path, token, body string, want int) []byte {
	tb.Helper()
	status, b, err := c.do(method, path, token, body)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	if status != want {
		tb.Fatalf("%s %s: status %d, want %d: %s", method, path, status, want, b)
	}
	return b
}

// ---- Prometheus ----

type promServer struct {
	url     string
	logPath string
	http    *http.Client
	exited  chan struct{}
}

// startPrometheus runs Prometheus scraping target every second from a fresh data directory; it is stopped
// when the test ends.
func startPrometheus(t *testing.T, bin, target string) *promServer {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	config := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: pbledger
    metrics_path: /metrics
    static_configs:
      - targets: [%q]
`, u.Host)
	configPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(configPath, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := promFreeAddr(t)
	logPath := filepath.Join(dir, "prometheus.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin,
		"--config.file="+configPath,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
		"--web.enable-lifecycle",
		"--log.level=warn",
	)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		t.Fatalf("starting %s: %v", bin, err)
	}
	p := &promServer{url: "http://" + addr, logPath: logPath, http: &http.Client{Timeout: 30 * time.Second}, exited: make(chan struct{})}
	go func() {
		cmd.Wait()
		logFile.Close()
		close(p.exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

// promFreeAddr returns a loopback address with a port nothing listens on right now.
func promFreeAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func (p *promServer) logTail() string {
	b, _ := os.ReadFile(p.logPath)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// get calls Prometheus's HTTP API and decodes the data of a successful answer into data. An answer with
// status "error" is returned as a *promAPIError.
func (p *promServer) get(path string, params url.Values, data any) error {
	resp, err := p.http.Get(p.url + path + "?" + params.Encode())
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var ans struct {
		Status    string          `json:"status"`
		Data      json.RawMessage `json:"data"`
		ErrorType string          `json:"errorType"`
		Error     string          `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil {
		return fmt.Errorf("%s: HTTP %d: %w", path, resp.StatusCode, err)
	}
	if ans.Status != "success" {
		return &promAPIError{Type: ans.ErrorType, Message: ans.Error}
	}
	return json.Unmarshal(ans.Data, data)
}

type promAPIError struct{ Type, Message string }

func (e *promAPIError) Error() string { return e.Type + ": " + e.Message }

// waitForTarget waits until Prometheus is ready and has scraped the job's target successfully.
func (p *promServer) waitForTarget(t *testing.T, job string) {
	t.Helper()
	deadline := time.Now().Add(promHangGuard)
	last := "Prometheus is not ready"
	for {
		select {
		case <-p.exited:
			t.Fatalf("Prometheus exited:\n%s", p.logTail())
		default:
		}
		if resp, err := p.http.Get(p.url + "/-/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				var targets struct {
					ActiveTargets []struct {
						Labels    map[string]string `json:"labels"`
						Health    string            `json:"health"`
						LastError string            `json:"lastError"`
					} `json:"activeTargets"`
				}
				if err := p.get("/api/v1/targets", url.Values{"state": {"active"}}, &targets); err != nil {
					last = err.Error()
				} else {
					last = fmt.Sprintf("no target of job %q", job)
					for _, tg := range targets.ActiveTargets {
						if tg.Labels["job"] == job {
							if tg.Health == "up" {
								return
							}
							last = fmt.Sprintf("target %s is %s: %s", tg.Labels["instance"], tg.Health, tg.LastError)
						}
					}
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("Prometheus did not scrape pbledger: %s\n%s", last, p.logTail())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// resolveVariables gives each templating variable a value, in order, as Grafana does: it runs the variable's
// label_values query with the values chosen so far, then takes "All" (when all is set and the variable
// offers it) or the first value in the variable's sort order. It returns the variables that have no values.
func (p *promServer) resolveVariables(t *testing.T, vars []dashVariable, all bool) (map[string]string, []string) {
	t.Helper()
	vals := map[string]string{}
	var problems []string
	for _, v := range vars {
		switch v.Type {
		case "datasource":
			vals[v.Name] = dashboardDatasource
			continue
		case "query":
		default:
			t.Fatalf("variable %q: the test does not know variables of type %q; teach it", v.Name, v.Type)
		}
		m := dashLabelValues.FindStringSubmatch(v.queryString())
		if m == nil {
			t.Fatalf("variable %q: the test only evaluates label_values(selector, label) queries, not %q; teach it", v.Name, v.queryString())
		}
		params := url.Values{}
		if m[1] != "" {
			selector, err := dashInterpolate(m[1], vals)
			if err != nil {
				t.Fatalf("variable %q: %v", v.Name, err)
			}
			params.Set("match[]", selector)
		}
		var values []string
		if err := p.get("/api/v1/label/"+m[2]+"/values", params, &values); err != nil {
			var apiErr *promAPIError
			if errors.As(err, &apiErr) && apiErr.Type == "bad_data" {
				t.Fatalf("variable %q: Prometheus rejects its query: %v", v.Name, err)
			}
			problems = append(problems, fmt.Sprintf("variable %q: %v", v.Name, err))
			continue
		}
		if len(values) == 0 {
			problems = append(problems, fmt.Sprintf("variable %q has no values: %s", v.Name, v.queryString()))
			continue
		}
		slices.Sort(values)
		if v.Sort == 2 || v.Sort == 4 { // Grafana's descending sorts
			slices.Reverse(values)
		}
		if !all || !v.IncludeAll {
			values = values[:1]
		}
		switch {
		case all && v.IncludeAll && v.AllValue != nil && *v.AllValue != "":
			vals[v.Name] = *v.AllValue
		case v.Multi || v.IncludeAll:
			for i, s := range values {
				values[i] = promRegexEscape(s)
			}
			if len(values) == 1 {
				vals[v.Name] = values[0]
			} else {
				vals[v.Name] = "(" + strings.Join(values, "|") + ")"
			}
		default:
			vals[v.Name] = values[0]
		}
	}
	return vals, problems
}

// noData evaluates expr now and says why it shows nothing in Grafana ("" when it returns data): an empty
// result, or only NaN (what histogram_quantile and ratios give when nothing was observed).
func (p *promServer) noData(t *testing.T, q dashQuery, expr string) string {
	t.Helper()
	var data struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	}
	err := p.get("/api/v1/query", url.Values{"query": {expr}}, &data)
	var apiErr *promAPIError
	if errors.As(err, &apiErr) && apiErr.Type == "bad_data" {
		t.Fatalf("panel %q query %s: Prometheus rejects it: %v\n\t%s", q.Panel, q.RefID, err, expr)
	}
	if err != nil {
		return err.Error()
	}
	var values []string
	switch data.ResultType {
	case "vector":
		var vec []struct {
			Value [2]any `json:"value"`
		}
		if err := json.Unmarshal(data.Result, &vec); err != nil {
			return err.Error()
		}
		for _, s := range vec {
			v, _ := s.Value[1].(string)
			values = append(values, v)
		}
	case "scalar":
		var s [2]any
		if err := json.Unmarshal(data.Result, &s); err != nil {
			return err.Error()
		}
		v, _ := s[1].(string)
		values = append(values, v)
	default:
		return fmt.Sprintf("result type %q; a panel query must give an instant vector or a scalar", data.ResultType)
	}
	if len(values) == 0 {
		return "empty result"
	}
	for _, v := range values {
		if f, err := strconv.ParseFloat(v, 64); err == nil && !math.IsNaN(f) {
			return ""
		}
	}
	return fmt.Sprintf("only NaN in %d series", len(values))
}
