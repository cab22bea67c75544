package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/domain/pabulib"
)

// `pbledger load` drives a running server the way a city portal would on voting day: it sets up a cycle from
// a Pabulib file over the API, then casts the file's ballots with many concurrent clients and reports
// throughput and latency percentiles. With --reads it also hammers the district's ranking.

type loadReport struct {
	Phase     string         `json:"phase"`
	Requests  int            `json:"requests"`
	Clients   int            `json:"clients"`
	Seconds   float64        `json:"seconds"`
	PerSecond float64        `json:"per_second"`
	Statuses  map[string]int `json:"statuses"`
	P50Ms     float64        `json:"p50_ms"`
	P90Ms     float64        `json:"p90_ms"`
	P99Ms     float64        `json:"p99_ms"`
	P999Ms    float64        `json:"p999_ms"`
	MaxMs     float64        `json:"max_ms"`
}

func runLoad(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("url", "http://127.0.0.1:8080", "the server; several, comma-separated, share the ballots round-robin (servers on one store)")
	token := fs.String("token", "", "an admin token (it sets the cycle up and casts ballots as the gateway); or set PBLEDGER_TOKEN")
	file := fs.String("pabulib", "", "the Pabulib file whose projects and ballots to use")
	cycle := fs.String("cycle", "", "the cycle to create (default loadtest-<file>-<time>); it is named \"LOAD TEST …\"")
	intoLive := fs.Bool("into-live-data", false, "run even though the server holds cycles load did not create (the test cycle stays in its log for good)")
	clients := fs.Int("clients", 64, "concurrent clients")
	repeat := fs.Int("repeat", 1, "cast the file's ballots this many times, as different residents")
	reads := fs.Int("reads", 0, "after voting, this many ranking reads")
	asJSON := fs.Bool("json", false, "print the reports as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *token == "" {
		*token = os.Getenv("PBLEDGER_TOKEN")
	}
	if *file == "" || *token == "" {
		return errors.New("--pabulib FILE and --token (or PBLEDGER_TOKEN) are required")
	}
	if *clients < 1 || *repeat < 1 {
		return errors.New("--clients and --repeat must be at least 1")
	}
	if *cycle == "" {
		*cycle = fmt.Sprintf("loadtest-%s-%d", domain.Slug(strings.TrimSuffix(filepath.Base(*file), filepath.Ext(*file)), '-', 40), time.Now().Unix())
	}
	imp, err := parseForImport(*file, domain.CycleID(*cycle), "")
	if err != nil {
		return err
	}
	imp.Cycle.Name = loadTestName(imp.Cycle.Name, *file)
	bases := strings.Split(*base, ",")
	c := &loadClient{base: bases[0], token: *token, stderr: stderr, http: &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConns: *clients * 2, MaxIdleConnsPerHost: *clients * 2, IdleConnTimeout: time.Minute},
	}}
	if !*intoLive {
		if err := c.refuseLiveData(ctx); err != nil {
			return err
		}
	}
	district := imp.Cycle.Districts[0].ID
	if err := c.setUp(ctx, imp); err != nil {
		return fmt.Errorf("setting up cycle %s: %w", *cycle, err)
	}
	// The ballots, as request bodies, prepared before the clock starts.
	var bodies [][]byte
	for k := 0; k < *repeat; k++ {
		for _, b := range imp.Ballots {
			body, _ := json.Marshal(map[string]any{"district_id": district, "resident_id": fmt.Sprintf("%s#%d", b.Voter, k), "choices": b.Choices})
			bodies = append(bodies, body)
		}
	}
	var ballotURLs []string
	for _, b := range bases {
		ballotURLs = append(ballotURLs, fmt.Sprintf("%s/v1/cycles/%s/ballots", b, *cycle))
	}
	vote := c.hammer(ctx, "ballots", *clients, len(bodies), func(i int) (int, error) {
		return c.do(ctx, "POST", ballotURLs[i%len(ballotURLs)], bodies[i])
	})
	reports := []loadReport{vote}
	if *reads > 0 {
		rankURL := fmt.Sprintf("%s/v1/cycles/%s/districts/%s/ranking", bases[0], *cycle, district)
		reports = append(reports, c.hammer(ctx, "ranking reads", *clients, *reads, func(int) (int, error) {
			return c.do(ctx, "GET", rankURL, nil)
		}))
	}
	if *asJSON {
		return writeJSONTo(stdout, reports)
	}
	fmt.Fprintf(stdout, "cycle %s %q (%s, %d proposals), %d clients\n", *cycle, imp.Cycle.Name, *file, len(imp.Proposals), *clients)
	for _, r := range reports {
		fmt.Fprintf(stdout, "%-14s %7d requests in %6.2fs = %8.0f/s   p50 %6.2fms  p90 %6.2fms  p99 %6.2fms  p99.9 %6.2fms  max %6.2fms\n",
			r.Phase, r.Requests, r.Seconds, r.PerSecond, r.P50Ms, r.P90Ms, r.P99Ms, r.P999Ms, r.MaxMs)
		fmt.Fprintf(stdout, "%-14s answers: %s\n", "", formatStatuses(r.Statuses))
	}
	return nil
}

// loadTestPrefix starts the name of every cycle load creates, so that nobody mistakes one for a real
// election (the public page lists it) and load can tell its own cycles from live ones.
const loadTestPrefix = "LOAD TEST"

// loadTestName names a load-test cycle: "LOAD TEST of <file> (<the file's own name>)".
func loadTestName(fileName, path string) string {
	name := fmt.Sprintf("%s of %s", loadTestPrefix, filepath.Base(path))
	if fileName != "" {
		name += " (" + fileName + ")"
	}
	if r := []rune(name); len(r) > domain.MaxNameLen {
		name = string(r[:domain.MaxNameLen])
	}
	return name
}

// refuseLiveData fails when the server holds cycles load did not create: a load test adds a cycle and its
// ballots to the log for good, which a server with real (or demo) cycles must not get by accident.
func (c *loadClient) refuseLiveData(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+"/v1/cycles", nil)
	if err != nil {
		return err
	}
	res, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	var list struct {
		Cycles []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"cycles"`
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /v1/cycles: %s", res.Status)
	}
	if err := json.NewDecoder(res.Body).Decode(&list); err != nil {
		return fmt.Errorf("GET /v1/cycles: %w", err)
	}
	var live []string
	for _, cy := range list.Cycles {
		if !strings.HasPrefix(cy.Name, loadTestPrefix) {
			live = append(live, cy.ID)
		}
	}
	if len(live) == 0 {
		return nil
	}
	if len(live) > 5 {
		live = append(live[:5], "…")
	}
	return fmt.Errorf("the server at %s holds cycles that load did not create (%s); a load test would leave its cycle and "+
		"ballots in that log for good. Run it against a server of its own (pbledger serve --data /tmp/loadtest), or pass "+
		"--into-live-data if that is what you want", c.base, strings.Join(live, ", "))
}

// formatStatuses writes status counts for people: "201 Created: 98,790; 409 Conflict: 3".
func formatStatuses(st map[string]int) string {
	keys := make([]string, 0, len(st))
	for k := range st {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		label := k
		if code, err := strconv.Atoi(k); err == nil && http.StatusText(code) != "" {
			label = k + " " + http.StatusText(code)
		} else if k == "error" {
			label = "no answer (connection error)"
		}
		parts = append(parts, fmt.Sprintf("%s: %s", label, groupDigits(int64(st[k]))))
	}
	return strings.Join(parts, "; ")
}

type loadClient struct {
	base, token string
	http        *http.Client
	stderr      io.Writer // progress goes here when it is a terminal
}

// do sends one request and returns its status.
func (c *loadClient) do(ctx context.Context, method, url string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, nil
}

// must sends a setup request and fails unless it succeeds.
func (c *loadClient) must(ctx context.Context, method, path string, v any) error {
	body, _ := json.Marshal(v)
	req, _ := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	res, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode >= 300 {
		b, _ := io.ReadAll(res.Body)
		return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, b)
	}
	return nil
}

// setUp opens the cycle, submits and publishes the proposals and opens voting, over the API.
func (c *loadClient) setUp(ctx context.Context, imp *pabulib.Import) error {
	id := string(imp.Cycle.CycleID)
	if err := c.must(ctx, "POST", "/v1/cycles", imp.Cycle); err != nil {
		return err
	}
	for _, p := range imp.Proposals {
		body := map[string]any{"proposal_id": p.ProposalID, "district_id": p.DistrictID, "resident_id": "load-author",
			"title": p.Title, "description": p.Description, "cost": p.Cost, "category": p.Category, "external_ref": p.ExternalRef}
		if p.Location != nil {
			body["location"] = p.Location
		}
		if err := c.must(ctx, "POST", "/v1/cycles/"+id+"/proposals", body); err != nil {
			return err
		}
		if err := c.must(ctx, "POST", "/v1/proposals/"+string(p.ProposalID)+"/publish", map[string]any{}); err != nil {
			return err
		}
	}
	return c.must(ctx, "POST", "/v1/cycles/"+id+"/phase", map[string]any{"to": domain.PhaseVoting})
}

// hammer runs n requests with the given number of clients and reports.
func (c *loadClient) hammer(ctx context.Context, phase string, clients, n int, call func(i int) (int, error)) loadReport {
	lat := make([]time.Duration, n)
	status := make([]int, n)
	var next, finished atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	prog := startProgress(c.stderr, phase, "requests", int64(n), finished.Load)
	defer prog.Stop()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				t := time.Now()
				st, err := call(i)
				lat[i] = time.Since(t)
				if err != nil {
					st = -1
				}
				status[i] = st
				finished.Add(1)
			}
		}()
	}
	wg.Wait()
	prog.Stop()
	took := time.Since(start)
	r := loadReport{Phase: phase, Requests: n, Clients: clients, Seconds: took.Seconds(), PerSecond: float64(n) / took.Seconds(), Statuses: map[string]int{}}
	for _, st := range status {
		key := strconv.Itoa(st)
		if st == -1 {
			key = "error"
		}
		r.Statuses[key]++
	}
	sorted := slices.Clone(lat)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	q := func(p float64) float64 {
		if len(sorted) == 0 {
			return 0
		}
		i := int(p * float64(len(sorted)-1))
		return float64(sorted[i]) / float64(time.Millisecond)
	}
	r.P50Ms, r.P90Ms, r.P99Ms, r.P999Ms, r.MaxMs = q(0.5), q(0.9), q(0.99), q(0.999), q(1)
	return r
}
