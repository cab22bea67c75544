package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/filestore"
	"github.com/pbledger/pbledger/eventstore/translog"
	"github.com/pbledger/pbledger/verify"
)

// verifyJSON is the part of `pbledger verify --json` the tests read.
type verifyJSON struct {
	OK          bool             `json:"ok"`
	Events      int64            `json:"events"`
	Allocations int              `json:"allocations_recounted"`
	Checkpoints int              `json:"checkpoints_checked"`
	Problems    []verify.Problem `json:"problems"`
	Notes       []string         `json:"notes"`
}

// runVerifyJSON runs `pbledger verify --json args...` and returns its exit code and report.
func runVerifyJSON(tb testing.TB, args ...string) (int, verifyJSON) {
	tb.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"verify", "--json"}, args...), &out, &errb)
	var v verifyJSON
	if err := json.Unmarshal(out.Bytes(), &v); err != nil {
		tb.Fatalf("verify %v: exit %d, output %q, stderr %q: %v", args, code, out.String(), errb.String(), err)
	}
	return code, v
}

// waitSigned waits until the server's latest checkpoint covers its whole log.
func waitSigned(tb testing.TB, url string) translog.SignedCheckpoint {
	tb.Helper()
	c := &verify.Client{URL: url}
	ctx := context.Background()
	key, err := c.Key(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		cp, err := c.Checkpoint(ctx, key)
		resp, herr := http.Get(url + "/v1/events?limit=1")
		if herr != nil {
			tb.Fatal(herr)
		}
		resp.Body.Close()
		head := resp.Header.Get("X-Pbledger-Head")
		if err == nil && fmt.Sprint(cp.Size) == head {
			return cp
		}
		if time.Now().After(deadline) {
			tb.Fatalf("no checkpoint covers the log (head %s): %v", head, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startServerOn runs a server on an existing data directory until the test ends (or stop is called).
func startServerOn(tb testing.TB, dir string, extraArgs ...string) (string, func()) {
	tb.Helper()
	m := &server{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m.ParseFlags(append([]string{"--data", dir, "--addr", "127.0.0.1:0", "--sign-every", "50ms"}, extraArgs...), io.Discard); err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	select {
	case <-m.ready:
	case err := <-done:
		cancel()
		tb.Fatalf("server did not start: %v", err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
		}
	}
	tb.Cleanup(stop)
	return "http://" + m.listener.Addr().String(), stop
}

// demoDir makes a data directory holding the demo, every event covered by a signed checkpoint, and returns
// it with the log's verifier key. The server is stopped.
func demoDir(tb testing.TB) (string, string) {
	tb.Helper()
	ts := startTestServer(tb, true, "--sign-every", "50ms")
	waitSigned(tb, ts.URL)
	key, err := (&verify.Client{URL: ts.URL}).Key(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	ts.stop()
	return ts.Dir, key
}

// readLog reads every event of a data directory's log.
func readLog(tb testing.TB, dir string) []eventstore.RecordedEvent {
	tb.Helper()
	s, err := filestore.Open(context.Background(), filepath.Join(dir, logDir), filestore.Options{Logger: quietLogger()})
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close()
	var all []eventstore.RecordedEvent
	for from := eventstore.Position(0); ; {
		recs, err := s.ReadAll(context.Background(), from, 4096)
		if err != nil {
			tb.Fatal(err)
		}
		if len(recs) == 0 {
			return all
		}
		all = append(all, recs...)
		from = recs[len(recs)-1].Position + 1
	}
}

// rewrite makes a copy of the data directory src whose log holds events instead: a valid log, every frame's
// CRC right, as someone with write access to the disk could make. The translog directory and the keys are
// copied as they were.
func rewrite(tb testing.TB, src string, events []eventstore.RecordedEvent) string {
	tb.Helper()
	dst := tb.TempDir()
	s, err := filestore.Open(context.Background(), filepath.Join(dst, logDir), filestore.Options{Logger: quietLogger()})
	if err != nil {
		tb.Fatal(err)
	}
	if err := s.Import(context.Background(), events); err != nil {
		tb.Fatal(err)
	}
	s.Close()
	cp := exec.Command("cp", "-r", filepath.Join(src, translogDir), filepath.Join(src, logKeyFile), filepath.Join(src, tokensFile), filepath.Join(src, secretFile), dst)
	if out, err := cp.CombinedOutput(); err != nil {
		tb.Fatalf("cp: %v: %s", err, out)
	}
	return dst
}

// firstOfType returns the leaf index of the n-th (from 0) event of a type whose stream starts with prefix.
func firstOfType(tb testing.TB, events []eventstore.RecordedEvent, typ, prefix string, n int) int {
	tb.Helper()
	for i, e := range events {
		if e.Type == typ && strings.HasPrefix(e.StreamID, prefix) {
			if n == 0 {
				return i
			}
			n--
		}
	}
	tb.Fatalf("no %s in %s*", typ, prefix)
	return -1
}

func TestVerifyDataCatchesTampering(t *testing.T) {
	dir, key := demoDir(t)
	events := readLog(t, dir)

	t.Run("the untouched log verifies, allocations recounted", func(t *testing.T) {
		code, rep := runVerifyJSON(t, "--data", dir, "--key", key)
		if code != 0 || !rep.OK || rep.Allocations != 8 || rep.Events != int64(len(events)) || rep.Checkpoints == 0 {
			t.Fatalf("exit %d, report %+v", code, rep)
		}
	})

	ballot := firstOfType(t, events, domain.EventBallotCast, domain.BallotStreamPrefix+"almaty-2025", 10)
	clone := func() []eventstore.RecordedEvent {
		out := make([]eventstore.RecordedEvent, len(events))
		copy(out, events)
		return out
	}
	tests := []struct {
		name     string
		tamper   func() []eventstore.RecordedEvent
		leaf     int
		contains string
	}{
		{"a byte changed in a ballot (CRC recomputed)", func() []eventstore.RecordedEvent {
			evs := clone()
			data := bytes.Clone(evs[ballot].Data)
			i := bytes.LastIndexAny(data, "0123456789")
			data[i] = map[bool]byte{true: '1', false: '0'}[data[i] == '0']
			evs[ballot].Data = data
			return evs
		}, ballot, "changed"},
		{"an event removed", func() []eventstore.RecordedEvent {
			evs := clone()
			return append(evs[:ballot], evs[ballot+1:]...)
		}, ballot, "removed"},
		{"two events reordered", func() []eventstore.RecordedEvent {
			evs := clone()
			evs[ballot], evs[ballot+1] = evs[ballot+1], evs[ballot]
			return evs
		}, ballot, "reordered"},
		{"an event inserted", func() []eventstore.RecordedEvent {
			evs := clone()
			extra := evs[ballot]
			extra.ID, extra.StreamID = uuid.New(), extra.StreamID+"x"
			return append(evs[:ballot:ballot], append([]eventstore.RecordedEvent{extra}, evs[ballot:]...)...)
		}, ballot, "inserted"},
		{"events removed from the end", func() []eventstore.RecordedEvent {
			return clone()[:len(events)-3]
		}, len(events) - 3, "removed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bad := rewrite(t, dir, tc.tamper())
			code, rep := runVerifyJSON(t, "--data", bad, "--key", key)
			if code == 0 || rep.OK || len(rep.Problems) == 0 {
				t.Fatalf("exit %d, report %+v: the tampered log verified", code, rep)
			}
			p := rep.Problems[0]
			if p.Leaf != int64(tc.leaf) || !strings.Contains(p.What, tc.contains) {
				t.Fatalf("first problem %+v, want leaf %d and %q", p, tc.leaf, tc.contains)
			}
			if p.Leaf < int64(len(events))-3 && (p.Stream == "" || p.Position == 0) {
				t.Fatalf("first problem %+v does not name the stream and position", p)
			}
		})
	}

	t.Run("an allocation whose winners do not follow from the ballots, signed all the same", func(t *testing.T) {
		evs := clone()
		at := firstOfType(t, evs, domain.EventAllocationRecorded, domain.CycleStream("almaty-2025"), 0)
		e, err := domain.Decode(evs[at].Type, evs[at].Data)
		if err != nil {
			t.Fatal(err)
		}
		a := e.(domain.AllocationRecorded)
		last := a.Winners[len(a.Winners)-1]
		a.Winners = a.Winners[:len(a.Winners)-1]
		a.Total -= last.Funded
		_, evs[at].Data, err = domain.Encode(a)
		if err != nil {
			t.Fatal(err)
		}
		bad := rewrite(t, dir, evs)
		resign(t, bad)
		code, rep := runVerifyJSON(t, "--data", bad, "--key", key)
		if code == 0 || len(rep.Problems) != 1 {
			t.Fatalf("exit %d, report %+v", code, rep)
		}
		p := rep.Problems[0]
		if p.Check != "allocation" || p.Leaf != int64(at) || !strings.Contains(p.What, "does not follow from the log") ||
			!strings.Contains(p.What, "total: recorded") && !strings.Contains(p.What, "winners: recorded") {
			t.Fatalf("problem %+v, want the allocation at leaf %d and its winners", p, at)
		}
	})

	t.Run("a checkpoint signed by another key is refused", func(t *testing.T) {
		_, other, err := translog.LoadOrCreateKey(filepath.Join(t.TempDir(), "k"), defaultOrigin)
		if err != nil {
			t.Fatal(err)
		}
		code, rep := runVerifyJSON(t, "--data", dir, "--key", other)
		if code == 0 || len(rep.Problems) == 0 || rep.Problems[0].Check != "checkpoint" {
			t.Fatalf("exit %d, report %+v", code, rep)
		}
	})
}

// resign replaces a data directory's checkpoints with one signed (by its own key) over its log as it is now:
// an operator who signs what they changed.
func resign(tb testing.TB, dir string) {
	tb.Helper()
	os.RemoveAll(filepath.Join(dir, translogDir))
	signer, _, err := loadSigner(filepath.Join(dir, logKeyFile))
	if err != nil {
		tb.Fatal(err)
	}
	tree := translog.NewTree()
	b := translog.NewBuilder(tree)
	for _, e := range readLog(tb, dir) {
		if err := b.Add(&e); err != nil {
			tb.Fatal(err)
		}
	}
	b.Flush()
	root, err := tree.Root(tree.Size())
	if err != nil {
		tb.Fatal(err)
	}
	sc, err := translog.Sign(translog.Checkpoint{Origin: signer.Name(), Size: tree.Size(), Root: root}, signer)
	if err != nil {
		tb.Fatal(err)
	}
	line, _ := json.Marshal(translog.Record{Size: sc.Size, Note: sc.Note})
	os.MkdirAll(filepath.Join(dir, translogDir), 0o755)
	if err := os.WriteFile(filepath.Join(dir, translogDir, translog.CheckpointsFile), append(line, '\n'), 0o644); err != nil {
		tb.Fatal(err)
	}
}

func loadSigner(path string) (interface {
	Name() string
	KeyHash() uint32
	Sign([]byte) ([]byte, error)
}, string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	return translog.ParseKey(strings.TrimSpace(string(b)))
}

func TestVerifyURLForkKeyAndMirror(t *testing.T) {
	ts := startTestServer(t, true, "--sign-every", "50ms")
	waitSigned(t, ts.URL)
	trusted := filepath.Join(t.TempDir(), "trusted.json")

	code, rep := runVerifyJSON(t, "--url", ts.URL, "--trusted", trusted)
	if code != 0 || !rep.OK || rep.Allocations != 8 {
		t.Fatalf("verify --url the demo: exit %d, report %+v", code, rep)
	}
	// The log grows; the auditor's trusted checkpoint must be a prefix of the new one.
	castBallot(t, ts, demoIIN(7_100_002))
	waitSigned(t, ts.URL)
	if code, rep := runVerifyJSON(t, "--url", ts.URL, "--trusted", trusted); code != 0 || !rep.OK {
		t.Fatalf("verify --url after a ballot: exit %d, report %+v", code, rep)
	}

	// A mirror, resumed after the log grows; then the offline tools work on it.
	mirror := t.TempDir()
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"mirror", "--url", ts.URL, "--data", mirror}, &out, &errb); code != 0 {
		t.Fatalf("mirror: exit %d: %s", code, errb.String())
	}
	castBallot(t, ts, demoIIN(7_100_003))
	cp := waitSigned(t, ts.URL)
	out.Reset()
	if code := run(context.Background(), []string{"mirror", "--url", ts.URL, "--data", mirror}, &out, &errb); code != 0 || !strings.Contains(out.String(), fmt.Sprintf(" new events (%d in all", cp.Size)) || strings.HasPrefix(out.String(), "mirrored 0 ") {
		t.Fatalf("mirror again: exit %d: %s %s", code, out.String(), errb.String())
	}
	if code, rep := runVerifyJSON(t, "--data", mirror); code != 0 || !rep.OK || rep.Events != cp.Size || rep.Allocations != 8 {
		t.Fatalf("verify --data on the mirror: exit %d, report %+v", code, rep)
	}
	if code := run(context.Background(), []string{"rebuild", "--data", mirror}, io.Discard, &errb); code != 0 {
		t.Fatalf("rebuild on the mirror: %s", errb.String())
	}
	var replayed bytes.Buffer
	if code := run(context.Background(), []string{"replay", "--data", mirror, "--until", "3000", "--json"}, &replayed, &errb); code != 0 || !strings.Contains(replayed.String(), "almaty-2025") {
		t.Fatalf("replay on the mirror: exit %d: %s %s", code, replayed.String(), errb.String())
	}
	murl, _ := startServerOn(t, mirror)
	if mcp := waitSigned(t, murl); mcp.Root != cp.Root {
		t.Fatalf("the mirror's own tree has root %s, the original %s", mcp.Root, cp.Root)
	}

	// The operator rewrites history (one early event changed) and serves it, signed with the same key.
	ts.stop()
	events := readLog(t, ts.Dir)
	at := firstOfType(t, events, domain.EventBallotCast, domain.BallotStreamPrefix+"almaty-2025", 3)
	events[at].Data = bytes.Replace(events[at].Data, []byte(`"choices"`), []byte(`"choices" `), 1)
	forked := rewrite(t, ts.Dir, events)
	os.RemoveAll(filepath.Join(forked, translogDir))
	furl, stopFork := startServerOn(t, forked)
	waitSigned(t, furl)
	code, rep = runVerifyJSON(t, "--url", furl, "--trusted", trusted)
	if code == 0 || len(rep.Problems) == 0 || rep.Problems[0].Check != "consistency" || !strings.Contains(rep.Problems[0].What, "fork") {
		t.Fatalf("verify --url of a fork: exit %d, report %+v", code, rep)
	}
	stopFork()

	// The operator changes keys: a pinned key refuses the server.
	os.Remove(filepath.Join(forked, logKeyFile))
	os.RemoveAll(filepath.Join(forked, translogDir))
	kurl, _ := startServerOn(t, forked)
	waitSigned(t, kurl)
	code, rep = runVerifyJSON(t, "--url", kurl, "--trusted", trusted)
	if code == 0 || len(rep.Problems) == 0 || rep.Problems[0].Check != "key" {
		t.Fatalf("verify --url with a changed key: exit %d, report %+v", code, rep)
	}
}

// castBallot casts one approval ballot in almaty-2026/almaly and returns the answer's body.
func castBallot(tb testing.TB, ts *testServer, resident string) map[string]any {
	tb.Helper()
	body := fmt.Sprintf(`{"district_id":"almaly","resident_id":%q,"choices":[{"proposal_id":"almaty-2026.almaly.01"}]}`, resident)
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/v1/cycles/almaty-2026/ballots", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+ts.Tokens["demo-portal"])
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var ans map[string]any
	json.NewDecoder(resp.Body).Decode(&ans)
	if resp.StatusCode != http.StatusCreated {
		tb.Fatalf("cast ballot: %s %v", resp.Status, ans)
	}
	return ans
}

func TestServeRefusesALogChangedUnderItsTree(t *testing.T) {
	dir, _ := demoDir(t)
	events := readLog(t, dir)
	at := firstOfType(t, events, domain.EventBallotCast, domain.BallotStreamPrefix+"almaty-2025", 5)
	events[at].Data = bytes.Replace(events[at].Data, []byte(`"choices"`), []byte(`"choices" `), 1)
	bad := rewrite(t, dir, events)
	m := &server{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m.ParseFlags([]string{"--data", bad, "--addr", "127.0.0.1:0"}, io.Discard); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := m.Run(ctx)
	// The tree's follower (naming the leaf) or the notary (naming the checkpoint it no longer matches),
	// whichever notices first, stops the server.
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("leaf %d", at)) && !strings.Contains(err.Error(), "no longer matches the signed checkpoint") {
		t.Fatalf("serve on a changed log: %v, want an error naming leaf %d or the checkpoint", err, at)
	}
	// rebuild checks the tree beside the rebuild and writes no checkpoint of a refused log.
	cp := filepath.Join(bad, checkpointFile)
	os.Remove(cp)
	var errb bytes.Buffer
	if code := run(context.Background(), []string{"rebuild", "--data", bad}, io.Discard, &errb); code == 0 || !strings.Contains(errb.String(), fmt.Sprintf("leaf %d", at)) {
		t.Fatalf("rebuild on a changed log: exit %d, %q; want a refusal naming leaf %d", code, errb.String(), at)
	}
	if _, err := os.Stat(cp); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("rebuild on a changed log left a checkpoint: %v", err)
	}
}

// postAdmin sends an admin write and decodes the answer.
func postAdmin(tb testing.TB, ts *testServer, path, body string) map[string]any {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodPost, ts.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+ts.Tokens["demo-admin"])
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var ans map[string]any
	json.NewDecoder(resp.Body).Decode(&ans)
	if resp.StatusCode/100 != 2 {
		tb.Fatalf("POST %s: %s %v", path, resp.Status, ans)
	}
	return ans
}

func TestAllocationNamesItsCheckpointAndReceiptsShowIt(t *testing.T) {
	ts := startTestServer(t, true, "--sign-every", "1h") // only allocations make checkpoints at once
	ballot := castBallot(t, ts, demoIIN(7_100_004))
	leaf := int64(ballot["receipt"].(map[string]any)["leaf"].(float64))
	postAdmin(t, ts, "/v1/cycles/almaty-2026/phase", `{"to":"assessment","reason":"Closing the vote early (test)"}`)
	postAdmin(t, ts, "/v1/cycles/almaty-2026/phase", `{"to":"allocation","reason":"Counting early (test)"}`)
	ans := postAdmin(t, ts, "/v1/cycles/almaty-2026/districts/almaly/allocation", "")
	cpAns, _ := ans["checkpoint"].(map[string]any)
	if cpAns == nil {
		t.Fatalf("the allocation's answer names no checkpoint: %v", ans)
	}
	client := &verify.Client{URL: ts.URL}
	key, err := client.Key(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cp, err := translog.OpenCheckpoint([]byte(cpAns["note"].(string)), key)
	if err != nil {
		t.Fatal(err)
	}
	// The checkpoint covers the allocation's own event (and so every ballot before it), and is the one served.
	var inc struct {
		Leaf int64 `json:"leaf"`
	}
	resp, err := http.Get(fmt.Sprintf("%s/v1/events?after=%d&limit=1", ts.URL, int64(ans["position"].(float64))-1))
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&inc)
	resp.Body.Close()
	if cp.Size != inc.Leaf+1 {
		t.Fatalf("the allocation's checkpoint has %d leaves; the allocation is leaf %d", cp.Size, inc.Leaf)
	}
	var served struct {
		Checkpoint struct {
			Note string `json:"note"`
		} `json:"checkpoint"`
	}
	resp, err = http.Get(ts.URL + "/v1/cycles/almaty-2026/districts/almaly/checkpoint")
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&served)
	resp.Body.Close()
	if served.Checkpoint.Note != cp.Note {
		t.Fatalf("served checkpoint %q, the allocation's %q", served.Checkpoint.Note, cp.Note)
	}
	var receipt struct {
		Allocation *struct {
			BallotsCounted int `json:"ballots_counted"`
			Checkpoint     struct {
				Size int64 `json:"size"`
			} `json:"checkpoint"`
		} `json:"allocation"`
		Superseded bool `json:"superseded"`
	}
	resp, err = http.Get(fmt.Sprintf("%s/v1/receipts/%d", ts.URL, leaf))
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&receipt)
	resp.Body.Close()
	if receipt.Allocation == nil || receipt.Allocation.Checkpoint.Size != cp.Size || receipt.Allocation.BallotsCounted == 0 || receipt.Superseded {
		t.Fatalf("receipt after the count: %+v", receipt)
	}
	// And the count recounts.
	if code, rep := runVerifyJSON(t, "--url", ts.URL); code != 0 || rep.Allocations != 9 {
		t.Fatalf("verify --url after the count: exit %d, %+v", code, rep)
	}
}

// openHiddenCycle opens a cycle that hides ballots while voting is open, with one published proposal, in
// voting, casts one ballot and returns its answer's receipt.
func openHiddenCycle(tb testing.TB, ts *testServer) map[string]any {
	tb.Helper()
	postAdmin(tb, ts, "/v1/cycles", `{"cycle_id":"hid-2026","name":"Hidden 2026","currency":"KZT","currency_exponent":2,
 "districts":[{"id":"north","name":"North","budget":100000}],
 "plan":["submission","review","voting","assessment","allocation","implementation","closed"],
 "ballot_rule":{"type":"approval","max_choices":2}, "outcome_rule":{"name":"greedy"},
 "assessment":{"scale":{"min":0,"max":10}}, "hide_results_during_voting":true}`)
	as := func(token, path, body string) map[string]any {
		req, _ := http.NewRequest(http.MethodPost, ts.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+ts.Tokens[token])
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			tb.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			tb.Fatalf("POST %s: %s %s", path, resp.Status, b)
		}
		var ans map[string]any
		json.Unmarshal(b, &ans)
		return ans
	}
	as("demo-portal", "/v1/cycles/hid-2026/proposals", fmt.Sprintf(`{"proposal_id":"hid.p1","district_id":"north","resident_id":%q,"title":"A bench","description":"","cost":5000}`, demoIIN(7_200_001)))
	as("demo-moderator", "/v1/proposals/hid.p1/publish", "")
	postAdmin(tb, ts, "/v1/cycles/hid-2026/phase", `{"to":"review"}`)
	postAdmin(tb, ts, "/v1/cycles/hid-2026/phase", `{"to":"voting"}`)
	ans := as("demo-portal", "/v1/cycles/hid-2026/ballots", fmt.Sprintf(`{"district_id":"north","resident_id":%q,"choices":[{"proposal_id":"hid.p1"}]}`, demoIIN(7_200_002)))
	rc, _ := ans["receipt"].(map[string]any)
	if rc == nil {
		tb.Fatalf("the hidden ballot's answer has no receipt: %v", ans)
	}
	return rc
}

func TestWithheldBallotsAreServedAsHashesAndStillVerify(t *testing.T) {
	ts := startTestServer(t, true, "--sign-every", "50ms")
	openHiddenCycle(t, ts)
	cp := waitSigned(t, ts.URL)
	var leaves []verify.Leaf
	for start := int64(0); start < cp.Size; start += 5000 {
		page, err := (&verify.Client{URL: ts.URL}).Leaves(context.Background(), start, min(start+5000, cp.Size))
		if err != nil {
			t.Fatal(err)
		}
		leaves = append(leaves, page...)
	}
	withheld := 0
	for _, l := range leaves {
		if l.Withheld {
			withheld++
			if l.Bytes != nil {
				t.Fatal("a withheld leaf was served with its bytes")
			}
		}
	}
	if withheld != 1 {
		t.Fatalf("%d withheld leaves, want the one hidden ballot", withheld)
	}
	code, rep := runVerifyJSON(t, "--url", ts.URL)
	if code != 0 || !rep.OK {
		t.Fatalf("verify --url with a withheld ballot: exit %d, %+v", code, rep)
	}
	// Voting closes: the ballot is published, and the whole log copies.
	postAdmin(t, ts, "/v1/cycles/hid-2026/phase", `{"to":"assessment"}`)
	cp = waitSigned(t, ts.URL)
	if code, rep := runVerifyJSON(t, "--url", ts.URL); code != 0 || !rep.OK || rep.Events != cp.Size {
		t.Fatalf("verify --url after voting: exit %d, %+v (want %d events)", code, rep, cp.Size)
	}
}

// TestVerifyDataOfALogNeverServed checks the auditor's command on a data directory that was only imported into:
// no signing key and no checkpoints exist, so there is no signature to check, and verify still re-reads every
// event, recomputes the tree and recounts the allocation, and says that nothing was signed. A checkpoints file
// without the key is still refused: then a signature could be checked and is not.
func TestVerifyDataOfALogNeverServed(t *testing.T) {
	data := t.TempDir()
	if out, err := runCmd(t, "import", "--data", data, filepath.Join(pabulibDir(t), "poland_wieliczka_2023.pb")); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	code, rep := runVerifyJSON(t, "--data", data)
	if code != 0 || !rep.OK || rep.Allocations != 1 || rep.Events == 0 || rep.Checkpoints != 0 {
		t.Fatalf("exit %d, report %+v", code, rep)
	}
	if !slices.ContainsFunc(rep.Notes, func(n string) bool { return strings.Contains(n, "never served") }) {
		t.Errorf("notes %q do not say the log was never served", rep.Notes)
	}

	// The same log with one winner's Equal Shares share changed in the recorded allocation: the recount
	// finds it (Wieliczka 2023 is counted under equalshares/add1).
	evs := readLog(t, data)
	at, k := -1, -1
	for i := range evs {
		if evs[i].Type != domain.EventAllocationRecorded {
			continue
		}
		e, err := domain.Decode(evs[i].Type, evs[i].Data)
		if err != nil {
			t.Fatal(err)
		}
		for j, d := range e.(domain.AllocationRecorded).Decisions {
			if d.Share != "" && d.Share != "0" {
				at, k = i, j
				break
			}
		}
	}
	if at < 0 {
		t.Fatal("the imported allocation records no share")
	}
	e, _ := domain.Decode(evs[at].Type, evs[at].Data)
	a := e.(domain.AllocationRecorded)
	a.Decisions[k].Share = "1/3"
	var err error
	if _, evs[at].Data, err = domain.Encode(a); err != nil {
		t.Fatal(err)
	}
	bad := t.TempDir()
	s, err := filestore.Open(context.Background(), filepath.Join(bad, logDir), filestore.Options{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Import(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	s.Close()
	code, rep = runVerifyJSON(t, "--data", bad)
	if code == 0 || len(rep.Problems) != 1 {
		t.Fatalf("a changed share: exit %d, report %+v", code, rep)
	}
	if p := rep.Problems[0]; p.Check != "allocation" || p.Leaf != int64(at) ||
		!strings.Contains(p.What, "share of "+string(a.Decisions[k].ProposalID)+": recorded 1/3") {
		t.Fatalf("problem %+v, want the allocation at leaf %d and the changed share", p, at)
	}
	if err := os.MkdirAll(filepath.Join(data, translogDir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, translogDir, translog.CheckpointsFile), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"verify", "--data", data}, &out, &errb); code == 0 || !strings.Contains(errb.String(), "no --key given") {
		t.Fatalf("with a checkpoints file and no key: exit %d, stderr %q", code, errb.String())
	}
}
