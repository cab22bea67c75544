package http_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pbledger/pbledger/eventstore/filestore"
	pbhttp "github.com/pbledger/pbledger/http"
	"github.com/pbledger/pbledger/ledger"
	"github.com/pbledger/pbledger/projections"
)

// Issue 8, item 7: JSON bodies are read strictly. Each of these was answered 201 before.
func TestStrictJSONIsRefusedAndStoresNothing(t *testing.T) {
	e := newEnv(t)
	e.voting(t)
	tests := []struct {
		name, body string
	}{
		{"field name in capitals", `{"DISTRICT_ID":"north","resident_id":"r1","choices":[{"proposal_id":"p1"}]}`},
		{"field name in mixed case", `{"district_id":"north","Resident_Id":"r1","choices":[{"proposal_id":"p1"}]}`},
		{"nested field name in capitals", `{"district_id":"north","resident_id":"r1","choices":[{"PROPOSAL_ID":"p1"}]}`},
		{"duplicate key", `{"district_id":"north","resident_id":"r1","resident_id":"r2","choices":[{"proposal_id":"p1"}]}`},
		{"duplicate key through an escape", `{"district_id":"north","resident_id":"r1","resident_\u0069d":"r2","choices":[{"proposal_id":"p1"}]}`},
		{"duplicate nested key", `{"district_id":"north","resident_id":"r1","choices":[{"proposal_id":"p1","proposal_id":"p2"}]}`},
		{"invalid UTF-8", "{\"district_id\":\"north\",\"resident_id\":\"r\xff1\",\"choices\":[{\"proposal_id\":\"p1\"}]}"},
		{"lone high surrogate", `{"district_id":"north","resident_id":"r\ud8001","choices":[{"proposal_id":"p1"}]}`},
		{"lone low surrogate", `{"district_id":"north","resident_id":"r\udc001","choices":[{"proposal_id":"p1"}]}`},
		{"high surrogate then another escape", `{"district_id":"north","resident_id":"r\ud800\u00411","choices":[{"proposal_id":"p1"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.head(t)
			r := e.do(t, "POST", "/v1/cycles/c1/ballots", e.tokens["portal"], tt.body)
			if r.status != 400 || r.json(t)["code"] != "malformed" {
				t.Fatalf("got %d %s, want 400 malformed", r.status, r.body)
			}
			if after := e.head(t); after != before {
				t.Fatalf("the log moved from %d to %d", before, after)
			}
		})
	}
	// What strictness must not refuse: a valid surrogate pair, escapes, and the exact names.
	e.must(t, 201, "POST", "/v1/cycles/c1/ballots", "portal", `{"district_id":"north","resident_id":"r\ud83d\ude00\u00e9","choices":[{"proposal_id":"p\u0031"}]}`)
}

// Issue 8, item 7: titles and text shown on the page refuse bidi overrides and zero-width characters.
func TestPageTextRefusesBidiAndZeroWidth(t *testing.T) {
	e := newEnv(t)
	e.must(t, 201, "POST", "/v1/cycles", "admin", openCycle)
	for _, tt := range []struct{ name, title, desc string }{
		{"right-to-left override in the title", "Park \u202egnp.exe", ""},
		{"zero-width space in the title", "Pa\u200brk", ""},
		{"byte order mark in the title", "\ufeffPark", ""},
		{"bidi isolate in the description", "Park", "A park \u2067for all\u2069"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body := fmt.Sprintf(`{"district_id":"north","resident_id":"a1","title":%q,"description":%q,"cost":100}`, tt.title, tt.desc)
			r := e.do(t, "POST", "/v1/cycles/c1/proposals", e.tokens["portal"], body)
			if r.status != 400 || r.json(t)["code"] != "invalid" {
				t.Fatalf("got %d %s, want 400 invalid", r.status, r.body)
			}
		})
	}
	// Scripts that need joiners keep them in descriptions; right-to-left text itself is fine everywhere.
	e.must(t, 201, "POST", "/v1/cycles/c1/proposals", "portal", `{"district_id":"north","resident_id":"a1","title":"پارک شهر","description":"می‌خواهیم","cost":100}`)
}

// Issue 8, item 8: Content-Type must be application/json, with parameters allowed.
func TestContentTypeMustBeApplicationJSON(t *testing.T) {
	e := newEnv(t)
	e.voting(t)
	for _, ct := range []string{"application/jsonp", "text/plain; note=json", "foo/json-evil", "application/json-seq",
		"text/json", "application/json; charset=latin1", "application/problem+json", ";application/json"} {
		t.Run(ct, func(t *testing.T) {
			r := e.do(t, "POST", "/v1/cycles/c1/ballots", e.tokens["portal"], ballot("r1", "p1"), "Content-Type", ct)
			if r.status != http.StatusUnsupportedMediaType || r.json(t)["code"] != "unsupported_media_type" ||
				r.header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("got %d %s (%s), want 415 problem+json", r.status, r.body, r.header.Get("Content-Type"))
			}
		})
	}
	r := e.do(t, "POST", "/v1/cycles/c1/ballots", e.tokens["portal"], ballot("r1", "p1"), "Content-Type", "")
	if r.status != http.StatusUnsupportedMediaType {
		t.Fatalf("a JSON body without Content-Type: got %d %s, want 415", r.status, r.body)
	}
	e.must(t, 201, "POST", "/v1/cycles/c1/ballots", "portal", ballot("r1", "p1"), "Content-Type", "application/json; charset=utf-8")
	e.must(t, 201, "POST", "/v1/cycles/c1/ballots", "portal", ballot("r2", "p1"), "Content-Type", "Application/JSON")
}

// Issue 8, item 9: If-Match compares strongly (RFC 9110 §8.8.3.2), takes * and a list.
func TestIfMatchFollowsRFC9110(t *testing.T) {
	e := newEnv(t)
	e.voting(t)
	withdraw := func(p, ifMatch string) response {
		return e.do(t, "POST", "/v1/proposals/"+p+"/withdraw", e.tokens["portal"], fmt.Sprintf(`{"resident_id":"author-%s"}`, p), "If-Match", ifMatch)
	}
	// p1, p2, p3 are each at revision 1 (submitted, published).
	for _, tt := range []struct {
		name, ifMatch string
		want          int
	}{
		{"a weak tag never matches", `W/"1"`, 412},
		{"a list of weak tags never matches", `W/"0", W/"1"`, 412},
		{"a list without the current tag", `"0", "2"`, 412},
		{"malformed", `1`, 400},
		{"star with a tag", `*, "1"`, 400},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if r := withdraw("p1", tt.ifMatch); r.status != tt.want {
				t.Fatalf("got %d %s, want %d", r.status, r.body, tt.want)
			}
		})
	}
	if r := withdraw("p1", `"0", W/"1", "1"`); r.status != 200 {
		t.Fatalf("a list holding the current tag: got %d %s, want 200", r.status, r.body)
	}
	if r := withdraw("p2", `*`); r.status != 200 {
		t.Fatalf("*: got %d %s, want 200", r.status, r.body)
	}
	// * on a stream that does not exist fails: a new proposal's stream.
	r := e.do(t, "POST", "/v1/proposals/nope/withdraw", e.tokens["portal"], `{"resident_id":"x"}`, "If-Match", `*`)
	if r.status != 404 && r.status != 412 {
		t.Fatalf("* on a missing proposal: got %d %s", r.status, r.body)
	}
	// Two header lines make one list.
	req, _ := http.NewRequest("POST", e.url+"/v1/proposals/p3/withdraw", strings.NewReader(`{"resident_id":"author-p3"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+e.tokens["portal"])
	req.Header.Add("If-Match", `"7"`)
	req.Header.Add("If-Match", `"1"`)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("If-Match over two lines: got %d, want 200", res.StatusCode)
	}
}

// Issue 8, item 10: a body that cannot be read is reported in plain words, without the sockets' addresses
// (which net/http's error names: "read tcp 127.0.0.1:…->127.0.0.1:…: i/o timeout"); the detail goes to the log.
func TestBodyReadErrorNamesNoSocket(t *testing.T) {
	var logged strings.Builder
	var mu = make(chan struct{}, 1)
	mu <- struct{}{}
	logger := slog.New(slog.NewTextHandler(writerFunc(func(b []byte) (int, error) {
		<-mu
		defer func() { mu <- struct{}{} }()
		return logged.Write(b)
	}), nil))
	store, err := filestore.Open(context.Background(), t.TempDir(), filestore.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	token, entry, _ := pbhttp.NewToken("portal", pbhttp.RoleGateway, "")
	tokens, err := pbhttp.ParseTokens(strings.NewReader(`{"tokens":[` + entry + `]}`))
	if err != nil {
		t.Fatal(err)
	}
	voters, _ := pbhttp.NewVoterKeys([]byte("test secret, sixteen bytes or more"))
	model := projections.NewModel()
	srv := httptest.NewUnstartedServer(pbhttp.NewServer(pbhttp.Config{Store: store, Ledger: ledger.New(store, model, ledger.Metrics{}),
		Model: model, Tokens: tokens, Voters: voters, Logger: logger}))
	srv.Config.ReadTimeout = 300 * time.Millisecond
	srv.Start()
	defer srv.Close()

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Promise 100 bytes, send 10, and wait: the server's read times out.
	fmt.Fprintf(conn, "POST /v1/cycles/c1/ballots HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"distric", token)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	var p map[string]any
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("got %d %q, want problem+json", res.StatusCode, body)
	}
	detail, _ := p["detail"].(string)
	if res.StatusCode != 400 || detail == "" || strings.Contains(detail, "127.0.0.1") || strings.Contains(detail, "tcp") {
		t.Fatalf("got %d with detail %q, want 400 in plain words", res.StatusCode, detail)
	}
	<-mu
	l := logged.String()
	mu <- struct{}{}
	if !strings.Contains(l, "127.0.0.1") {
		t.Fatalf("the log should keep the detail; got %q", l)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }
