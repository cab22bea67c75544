package http_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/filestore"
	pbhttp "github.com/pbledger/pbledger/http"
	"github.com/pbledger/pbledger/ledger"
	"github.com/pbledger/pbledger/personal"
	"github.com/pbledger/pbledger/projections"
)

// env is a real server: the file store in a temp dir, the read model fed by its subscription, the ledger,
// and the HTTP handler on a loopback port.
type env struct {
	url    string
	store  *filestore.Store
	tokens map[string]string
	api    *pbhttp.Server
}

func newEnv(tb testing.TB) *env { tb.Helper(); return newEnvWith(tb, nil) }

// newEnvWith is newEnv with a last say over the server's configuration (nil: none).
func newEnvWith(tb testing.TB, configure func(*pbhttp.Config)) *env {
	tb.Helper()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	store, err := filestore.Open(context.Background(), tb.TempDir(), filestore.Options{Logger: quiet})
	if err != nil {
		tb.Fatal(err)
	}
	model := projections.NewModel()
	ctx, cancel := context.WithCancel(context.Background())
	runner := &projections.Runner{Store: store, Model: model, Logger: quiet}
	done := make(chan error, 1)
	go func() { done <- runner.Run(ctx, nil) }()
	var entries []string
	e := &env{store: store, tokens: map[string]string{}}
	for _, p := range []struct {
		name     string
		role     pbhttp.Role
		assessor string
	}{
		{"portal", pbhttp.RoleGateway, ""}, {"mod1", pbhttp.RoleModerator, ""}, {"exp1", pbhttp.RoleAssessor, "exp1"},
		{"bc1", pbhttp.RoleAssessor, "bc1"}, {"admin", pbhttp.RoleAdmin, ""},
	} {
		token, entry, err := pbhttp.NewToken(p.name, p.role, p.assessor)
		if err != nil {
			tb.Fatal(err)
		}
		e.tokens[p.name] = token
		entries = append(entries, entry)
	}
	tokens, err := pbhttp.ParseTokens(strings.NewReader(`{"tokens":[` + strings.Join(entries, ",") + `]}`))
	if err != nil {
		tb.Fatal(err)
	}
	voters, err := pbhttp.NewVoterKeys([]byte("test secret, sixteen bytes or more"))
	if err != nil {
		tb.Fatal(err)
	}
	vault, err := personal.Open(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	cfg := pbhttp.Config{
		Store: store, Ledger: ledger.New(store, model, ledger.Metrics{}), Model: model, Tokens: tokens, Voters: voters, Personal: vault, Logger: quiet,
		MaxBodyBytes: 8 << 10,
	}
	if configure != nil {
		configure(&cfg)
	}
	e.api = pbhttp.NewServer(cfg)
	srv := httptest.NewServer(e.api)
	e.url = srv.URL
	tb.Cleanup(func() {
		srv.Close()
		cancel()
		<-done
		store.Close()
	})
	return e
}

// response is what a call returned.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(tb testing.TB) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		tb.Fatalf("body %q is not JSON: %v", r.body, err)
	}
	return m
}

func (e *env) do(tb testing.TB, method, path, token string, body string, headers ...string) response {
	tb.Helper()
	req, err := http.NewRequest(method, e.url+path, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// must calls and checks the status.
func (e *env) must(tb testing.TB, want int, method, path, who, body string, headers ...string) response {
	tb.Helper()
	r := e.do(tb, method, path, e.tokens[who], body, headers...)
	if r.status != want {
		tb.Fatalf("%s %s as %s: got %d %s, want %d", method, path, who, r.status, r.body, want)
	}
	return r
}

func (e *env) head(tb testing.TB) eventstore.Position {
	tb.Helper()
	h, err := e.store.Head(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

const openCycle = `{"cycle_id":"c1","name":"Test City 2026","currency":"KZT","currency_exponent":2,
 "districts":[{"id":"north","name":"North","budget":100000},{"id":"south","name":"South","budget":50000}],
 "plan":["submission","review","voting","assessment","allocation","implementation","closed"],
 "ballot_rule":{"type":"approval","max_choices":2},
 "outcome_rule":{"name":"greedy"},
 "assessment":{"scale":{"min":0,"max":10},"exclude_infeasible":true}}`

// voting sets up a cycle in voting with three published proposals in north (p1 60000, p2 30000, p3 20000).
func (e *env) voting(tb testing.TB) {
	tb.Helper()
	e.vote(tb, openCycle)
}

// vote is voting with the cycle opened by the body given.
func (e *env) vote(tb testing.TB, open string) {
	tb.Helper()
	e.must(tb, 201, "POST", "/v1/cycles", "admin", open)
	e.must(tb, 201, "POST", "/v1/cycles/c1/assessors", "admin", `{"assessor_id":"exp1","role":"expert"}`)
	e.must(tb, 201, "POST", "/v1/cycles/c1/assessors", "admin", `{"assessor_id":"bc1","role":"budget-commission"}`)
	for _, p := range []struct {
		id   string
		cost int
	}{{"p1", 60000}, {"p2", 30000}, {"p3", 20000}} {
		e.must(tb, 201, "POST", "/v1/cycles/c1/proposals", "portal",
			fmt.Sprintf(`{"proposal_id":%q,"district_id":"north","resident_id":"author-%s","title":"Proposal %s","description":"","cost":%d}`, p.id, p.id, p.id, p.cost))
		e.must(tb, 200, "POST", "/v1/proposals/"+p.id+"/publish", "mod1", "")
	}
	e.must(tb, 200, "POST", "/v1/cycles/c1/phase", "admin", `{"to":"review"}`)
	e.must(tb, 200, "POST", "/v1/cycles/c1/phase", "admin", `{"to":"voting"}`)
}

func ballot(resident string, proposals ...string) string {
	var ch []string
	for _, p := range proposals {
		ch = append(ch, fmt.Sprintf(`{"proposal_id":%q}`, p))
	}
	return fmt.Sprintf(`{"district_id":"north","resident_id":%q,"choices":[%s]}`, resident, strings.Join(ch, ","))
}

func TestAWholeCycleOverHTTP(t *testing.T) {
	e := newEnv(t)
	e.voting(t)
	e.must(t, 201, "POST", "/v1/cycles/c1/ballots", "portal", ballot("r1", "p1", "p2"))
	e.must(t, 201, "POST", "/v1/cycles/c1/ballots", "portal", ballot("r2", "p1"))
	last := e.must(t, 201, "POST", "/v1/cycles/c1/ballots", "portal", ballot("r3", "p2", "p3"))
	pos := last.header.Get("X-Pbledger-Position")

	// Read your own write: the ranking at least at the ballot's position.
	rk := e.must(t, 200, "GET", "/v1/cycles/c1/districts/north/ranking?min_position="+pos, "", "").json(t)
	if rk["ballots"].(float64) != 3 || rk["provisional"] != true {
		t.Fatalf("ranking: got %v ballots (provisional %v), want 3 and provisional", rk["ballots"], rk["provisional"])
	}
	entries := rk["entries"].([]any)
	// p1 and p2 both have 2 votes: the declared tie-break (lowest cost first) puts p2 first, and says so.
	first, second := entries[0].(map[string]any), entries[1].(map[string]any)
	if first["proposal_id"] != "p2" || first["votes"].(float64) != 2 || first["selected"] != true || second["proposal_id"] != "p1" {
		t.Fatalf("first entries: got %v then %v, want p2 then p1, both with 2 votes", first, second)
	}
	if tb := rk["tie_breaks"].([]any); len(tb) != 1 || tb[0].(map[string]any)["by"] != "lowest-cost" {
		t.Fatalf("tie breaks: got %v, want one by lowest cost", rk["tie_breaks"])
	}

	e.must(t, 200, "POST", "/v1/cycles/c1/phase", "admin", `{"to":"assessment"}`)
	e.must(t, 201, "POST", "/v1/proposals/p2/assessments", "exp1", `{"score":7,"comment":"Good"}`)
	e.must(t, 200, "POST", "/v1/proposals/p3/infeasible", "bc1", `{"reason":"Flood zone"}`)
	e.must(t, 201, "POST", "/v1/proposals/p1/pledges", "portal", `{"pledge_id":"g1","pledger_kind":"business","business_id":"bin-1","amount":10000}`)
	e.must(t, 200, "POST", "/v1/cycles/c1/phase", "admin", `{"to":"allocation"}`)
	alloc := e.must(t, 201, "POST", "/v1/cycles/c1/districts/north/allocation", "admin", "")
	if loc := alloc.header.Get("Location"); loc != "/v1/cycles/c1/districts/north/outcome" {
		t.Errorf("allocation Location %q", loc)
	}
	apos := alloc.header.Get("X-Pbledger-Position")
	out := e.must(t, 200, "GET", "/v1/cycles/c1/districts/north/outcome?min_position="+apos, "", "").json(t)
	winners := out["winners"].([]any)
	// p1 (public cost 50000, 2 votes) then p2 (30000, 2 votes: tie on votes broken by… the order the rule
	// gives; both fit), p3 infeasible.
	if len(winners) != 2 || out["total"].(float64) != 80000 {
		t.Fatalf("outcome: got winners %v total %v, want 2 winners for 80000", winners, out["total"])
	}
	bal := e.must(t, 200, "GET", "/v1/cycles/c1/districts/north/balance", "", "").json(t)
	if bal["allocated"].(float64) != 80000 || bal["remaining"].(float64) != 20000 || bal["co_financed"].(float64) != 10000 {
		t.Fatalf("balance: got %v", bal)
	}
	e.must(t, 409, "POST", "/v1/cycles/c1/phase", "admin", `{"to":"implementation"}`) // south is not allocated
	e.must(t, 201, "POST", "/v1/cycles/c1/districts/south/allocation", "admin", "")
	e.must(t, 200, "POST", "/v1/cycles/c1/phase", "admin", `{"to":"implementation"}`)
	m := e.must(t, 200, "POST", "/v1/proposals/p1/milestones", "admin", `{"milestone_id":"m1","title":"Design","status":"in-progress","progress":30,"spent":5000}`)
	tr := e.must(t, 200, "GET", "/v1/cycles/c1/implementation?min_position="+m.header.Get("X-Pbledger-Position"), "", "").json(t)
	if items := tr["items"].([]any); len(items) != 2 || items[1].(map[string]any)["spent"].(float64) != 5000 {
		t.Fatalf("tracker: got %v", tr["items"])
	}
	p := e.must(t, 200, "GET", "/v1/proposals/p1", "", "").json(t)
	hist := p["history"].([]any)
	var types []string
	for _, h := range hist {
		types = append(types, h.(map[string]any)["type"].(string))
	}
	if got := strings.Join(types, ","); got != "ProposalSubmitted,ProposalPublished,CoFinancingPledged,MilestoneReported" {
		t.Fatalf("history: got %s", got)
	}
	if h := hist[0].(map[string]any); h["principal"] != "portal" || h["role"] != "gateway" || h["request_id"] == "" {
		t.Fatalf("history metadata: got %v", h)
	}
	cities := e.must(t, 200, "GET", "/v1/cycles/c1/balances", "", "").json(t)
	if tot := cities["totals"].(map[string]any); tot["budget"].(float64) != 150000 || tot["districts_allocated"].(float64) != 2 {
		t.Fatalf("citywide totals: got %v", tot)
	}
}

// TestBadInputIsRefusedAndStoresNothing checks every kind of bad request gets problem+json with the right
// status and code, and that the log's head does not move.
func TestBadInputIsRefusedAndStoresNothing(t *testing.T) {
	e := newEnv(t)
	e.voting(t)
	e.must(t, 201, "POST", "/v1/cycles/c1/ballots", "portal", ballot("r1", "p1"))
	big := `{"district_id":"north","resident_id":"r9","choices":[` + strings.Repeat(`{"proposal_id":"p1"},`, 1000) + `{"proposal_id":"p1"}]}`
	tests := []struct {
		name, method, path, who, body string
		headers                       []string
		status                        int
		code                          string
	}{
		{"malformed JSON", "POST", "/v1/cycles/c1/ballots", "portal", `{"district_id":`, nil, 400, "malformed"},
		{"unknown field", "POST", "/v1/cycles/c1/ballots", "portal", `{"district_id":"north","resident_id":"r5","choices":[],"extra":1}`, nil, 400, "malformed"},
		{"wrong type", "POST", "/v1/cycles/c1/ballots", "portal", `{"district_id":7}`, nil, 400, "malformed"},
		{"trailing data", "POST", "/v1/cycles/c1/ballots", "portal", ballot("r5", "p1") + `{}`, nil, 400, "malformed"},
		{"empty body", "POST", "/v1/cycles/c1/phase", "admin", ``, nil, 400, "malformed"},
		{"not JSON content type", "POST", "/v1/cycles/c1/phase", "admin", `to=closed`, []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"},
		{"oversized body", "POST", "/v1/cycles/c1/ballots", "portal", big, nil, 400, "too_large"},
		{"no token", "POST", "/v1/cycles/c1/ballots", "", ballot("r5", "p1"), nil, 401, "unauthorized"},
		{"bad token", "POST", "/v1/cycles/c1/ballots", "", ballot("r5", "p1"), []string{"Authorization", "Bearer nope"}, 401, "unauthorized"},
		{"wrong role", "POST", "/v1/cycles/c1/phase", "portal", `{"to":"assessment"}`, nil, 403, "forbidden"},
		{"assessor acting as another", "POST", "/v1/proposals/p1/assessments", "exp1", `{"assessor_id":"bc1","score":3}`, nil, 403, "forbidden"},
		{"unknown cycle", "POST", "/v1/cycles/nope/ballots", "portal", ballot("r5", "p1"), nil, 404, "not_found"},
		{"unknown district", "POST", "/v1/cycles/c1/ballots", "portal", `{"district_id":"east","resident_id":"r5","choices":[{"proposal_id":"p1"}]}`, nil, 404, "not_found"},
		{"unknown proposal", "POST", "/v1/proposals/zzz/publish", "mod1", ``, nil, 404, "not_found"},
		{"unknown route", "GET", "/v1/nothing", "", ``, nil, 404, "not_found"},
		{"second ballot", "POST", "/v1/cycles/c1/ballots", "portal", ballot("r1", "p2"), nil, 409, "conflict"},
		{"wrong phase", "POST", "/v1/proposals/p1/assessments", "exp1", `{"score":3}`, nil, 409, "conflict"},
		{"ballot breaking the rule", "POST", "/v1/cycles/c1/ballots", "portal", ballot("r5", "p1", "p2", "p3"), nil, 400, "invalid"},
		{"ballot for an unknown proposal", "POST", "/v1/cycles/c1/ballots", "portal", ballot("r5", "nope"), nil, 400, "invalid"},
		{"stale If-Match", "POST", "/v1/proposals/p1/withdraw", "portal", `{"resident_id":"author-p1"}`, []string{"If-Match", `"0"`}, 412, "precondition_failed"},
		{"bad If-Match", "POST", "/v1/proposals/p1/withdraw", "portal", `{"resident_id":"author-p1"}`, []string{"If-Match", `x`}, 400, "malformed"},
		{"foreign If-Match tag", "POST", "/v1/proposals/p1/withdraw", "portal", `{"resident_id":"author-p1"}`, []string{"If-Match", `"x"`}, 412, "precondition_failed"},
		{"not the author", "POST", "/v1/proposals/p1/withdraw", "portal", `{"resident_id":"someone-else"}`, nil, 403, "forbidden"},
		{"wrong method", "DELETE", "/v1/cycles", "admin", ``, nil, 405, "method_not_allowed"},
		{"min_position beyond the log", "GET", "/v1/cycles?min_position=999999", "", ``, nil, 400, "invalid"},
		{"bad min_position", "GET", "/v1/cycles?min_position=x", "", ``, nil, 400, "malformed"},
		{"bad feed limit", "GET", "/v1/events?limit=0", "", ``, nil, 400, "malformed"},
		{"unknown cycle read", "GET", "/v1/cycles/nope/districts/north/ranking", "", ``, nil, 404, "not_found"},
		{"outcome before allocation", "GET", "/v1/cycles/c1/districts/north/outcome", "", ``, nil, 404, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.head(t)
			r := e.do(t, tt.method, tt.path, e.tokens[tt.who], tt.body, tt.headers...)
			if r.status != tt.status {
				t.Fatalf("got %d %s, want %d", r.status, r.body, tt.status)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("got Content-Type %q, want application/problem+json", ct)
			}
			p := r.json(t)
			if p["code"] != tt.code || p["status"].(float64) != float64(tt.status) || p["detail"] == "" || p["title"] == "" || p["type"] == "" {
				t.Fatalf("got problem %v, want code %q", p, tt.code)
			}
			if tt.status == 412 && p["current_revision"].(float64) != 1 {
				t.Errorf("412 says current revision %v, want 1", p["current_revision"])
			}
			if after := e.head(t); after != before {
				t.Fatalf("the log's head moved from %d to %d", before, after)
			}
		})
	}
}

func TestIdempotencyKey(t *testing.T) {
	e := newEnv(t)
	e.voting(t)
	body := ballot("r1", "p1")
	first := e.must(t, 201, "POST", "/v1/cycles/c1/ballots", "portal", body, "Idempotency-Key", "k-1")
	head := e.head(t)
	again := e.must(t, 201, "POST", "/v1/cycles/c1/ballots", "portal", body, "Idempotency-Key", "k-1")
	if !bytes.Equal(first.body, again.body) || first.header.Get("ETag") != again.header.Get("ETag") {
		t.Fatalf("retry answered %s, first answer was %s", again.body, first.body)
	}
	if e.head(t) != head {
		t.Fatalf("the retry appended: head %d, was %d", e.head(t), head)
	}
	r := e.do(t, "POST", "/v1/cycles/c1/ballots", e.tokens["portal"], ballot("r2", "p1"), "Idempotency-Key", "k-1")
	if r.status != 422 || r.json(t)["code"] != "idempotency_key_reused" {
		t.Fatalf("reused key: got %d %s, want 422", r.status, r.body)
	}
	// Keys are per principal: another principal's k-1 is a different key.
	e.must(t, 200, "POST", "/v1/cycles/c1/phase", "admin", `{"to":"assessment"}`, "Idempotency-Key", "k-1")
	if e.head(t) != head+1 {
		t.Fatalf("head %d, want %d", e.head(t), head+1)
	}
}

func TestIdempotentSubmissionWithoutIDNamesTheSameProposal(t *testing.T) {
	e := newEnv(t)
	e.must(t, 201, "POST", "/v1/cycles", "admin", openCycle)
	body := `{"district_id":"north","resident_id":"r1","title":"Benches","description":"","cost":1000}`
	first := e.must(t, 201, "POST", "/v1/cycles/c1/proposals", "portal", body, "Idempotency-Key", "sub-1")
	head := e.head(t)
	again := e.must(t, 201, "POST", "/v1/cycles/c1/proposals", "portal", body, "Idempotency-Key", "sub-1")
	if !bytes.Equal(first.body, again.body) || first.header.Get("Location") != again.header.Get("Location") || e.head(t) != head {
		t.Fatalf("retry: got %s at %s, first %s at %s", again.body, again.header.Get("Location"), first.body, first.header.Get("Location"))
	}
	other := e.must(t, 201, "POST", "/v1/cycles/c1/proposals", "portal", body)
	if other.json(t)["id"] == first.json(t)["id"] {
		t.Fatal("a submission without a key got the same ID as one with a key")
	}
}

func TestIfMatch(t *testing.T) {
	e := newEnv(t)
	e.voting(t)
	p := e.must(t, 200, "GET", "/v1/proposals/p1", "", "")
	etag := p.header.Get("ETag")
	if etag != `"1"` {
		t.Fatalf("got ETag %s, want \"1\" (submitted, published)", etag)
	}
	w := e.must(t, 200, "POST", "/v1/proposals/p1/withdraw", "portal", `{"resident_id":"author-p1","reason":"Moved away"}`, "If-Match", etag)
	if w.header.Get("ETag") != `"2"` {
		t.Fatalf("after the write: ETag %s, want \"2\"", w.header.Get("ETag"))
	}
	r := e.do(t, "POST", "/v1/proposals/p2/withdraw", e.tokens["portal"], `{"resident_id":"author-p2"}`, "If-Match", `"5"`)
	if r.status != 412 {
		t.Fatalf("got %d, want 412", r.status)
	}
}

func TestEventFeed(t *testing.T) {
	e := newEnv(t)
	e.voting(t)
	head := e.head(t)
	r := e.must(t, 200, "GET", "/v1/events?after=0&limit=5", "", "")
	if ct := r.header.Get("Content-Type"); ct != "application/x-ndjson" {
		t.Fatalf("got Content-Type %q", ct)
	}
	if r.header.Get("X-Pbledger-Head") != strconv.FormatUint(uint64(head), 10) {
		t.Fatalf("X-Pbledger-Head %s, want %d", r.header.Get("X-Pbledger-Head"), head)
	}
	var positions []float64
	sc := bufio.NewScanner(bytes.NewReader(r.body))
	for sc.Scan() {
		var ev map[string]any
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		positions = append(positions, ev["position"].(float64))
		if ev["type"] == "" || ev["stream"] == "" || ev["data"] == nil || ev["metadata"] == nil {
			t.Fatalf("incomplete event %v", ev)
		}
	}
	if fmt.Sprint(positions) != "[1 2 3 4 5]" {
		t.Fatalf("got positions %v, want 1..5", positions)
	}
	// Paging from the last position reaches the head and no further.
	r = e.must(t, 200, "GET", fmt.Sprintf("/v1/events?after=%d&limit=10000", 5), "", "")
	if n := bytes.Count(r.body, []byte("\n")); n != int(head)-5 {
		t.Fatalf("got %d more events, want %d", n, head-5)
	}
	first := e.must(t, 200, "GET", "/v1/events?after=0&limit=1", "", "").json(t)
	// The ledger announces each district's index before the cycle itself (ledger/index.go).
	if first["type"] != ledger.EventDistrictIndexOpened {
		t.Fatalf("first event %v", first["type"])
	}
}

func TestPublicPages(t *testing.T) {
	e := newEnv(t)
	e.voting(t)
	e.must(t, 201, "POST", "/v1/cycles/c1/ballots", "portal", ballot("r1", "p1"))
	for _, path := range []string{"/", "/cycles/c1", "/cycles/c1/districts/north", "/proposals/p1", "/style.css"} {
		r := e.must(t, 200, "GET", path, "", "")
		if len(r.body) == 0 {
			t.Fatalf("%s: empty page", path)
		}
	}
	r := e.do(t, "GET", "/proposals/nope", "", "")
	if r.status != 404 || !strings.Contains(string(r.body), "does not exist") {
		t.Fatalf("unknown proposal page: %d %s", r.status, r.body)
	}
}
