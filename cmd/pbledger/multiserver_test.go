package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/esdbapi/esdbapitest"
	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/filestore"
	"github.com/pbledger/pbledger/eventstore/storetest"
	pbhttp "github.com/pbledger/pbledger/http"
)

// child is a `pbledger serve` process started by a test.
type child struct {
	URL    string
	cmd    *exec.Cmd
	stderr *bytes.Buffer
}

// startChild runs `pbledger serve ARGS --addr ADDR` in a child process and waits until it is ready. It is
// killed when the test ends.
func startChild(tb testing.TB, args ...string) *child {
	tb.Helper()
	addr := freePort(tb)
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), serveChildEnv+"=serve --addr "+addr+" "+strings.Join(args, " "))
	c := &child{URL: "http://" + addr, cmd: cmd, stderr: &bytes.Buffer{}}
	cmd.Stderr = &lockedWriter{w: c.stderr}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	deadline := time.Now().Add(60 * time.Second) // a hang guard only
	for {
		res, err := http.Get(c.URL + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return c
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("server %v did not become ready: %s", args, c.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// post sends a JSON request and returns the status and the decoded answer.
func post(tb testing.TB, url, token, body string, headers ...string) (int, map[string]any) {
	tb.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Errorf("POST %s: %v", url, err)
		return 0, nil
	}
	defer res.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(res.Body)
	json.Unmarshal(b, &out)
	return res.StatusCode, out
}

// feedEvent is a line of GET /v1/events.
type feedEvent struct {
	Position uint64          `json:"position"`
	Stream   string          `json:"stream"`
	Revision uint64          `json:"revision"`
	Type     string          `json:"type"`
	Data     json.RawMessage `json:"data"`
}

func readFeed(tb testing.TB, base string) []feedEvent {
	tb.Helper()
	var out []feedEvent
	after := uint64(0)
	for {
		res, err := http.Get(fmt.Sprintf("%s/v1/events?after=%d&limit=10000", base, after))
		if err != nil {
			tb.Fatal(err)
		}
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		n := 0
		for sc.Scan() {
			var e feedEvent
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				tb.Fatal(err)
			}
			out = append(out, e)
			after = e.Position
			n++
		}
		res.Body.Close()
		if n == 0 {
			return out
		}
	}
}

// TestSeveralServersOneStore runs three `pbledger serve --store esdb://…` processes on one store: a fourth
// pbledger process serving its file store over the KurrentDB gRPC endpoint (TLS, store-role credentials).
// Every invariant holds across the three, because each comes from expected revisions in the store.
func TestSeveralServersOneStore(t *testing.T) {
	if os.Getenv(serveChildEnv) != "" {
		t.Skip("in the child")
	}
	dir := t.TempDir()
	// One tokens file and one voter-key secret for all four processes.
	var entries []string
	tokens := map[pbhttp.Role]string{}
	for _, r := range []pbhttp.Role{pbhttp.RoleGateway, pbhttp.RoleAdmin, pbhttp.RoleStore} {
		tok, entry, err := pbhttp.NewToken("multi-"+string(r), r, "")
		if err != nil {
			t.Fatal(err)
		}
		tokens[r] = tok
		entries = append(entries, entry)
	}
	tokensPath, secretPath := filepath.Join(dir, "tokens.json"), filepath.Join(dir, "voter.secret")
	if err := os.WriteFile(tokensPath, []byte(`{"tokens":[`+strings.Join(entries, ",")+`]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(secretPath, []byte("0123456789abcdef0123456789abcdef\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	common := []string{"--tokens", tokensPath, "--voter-secret", secretPath}
	storeDir := filepath.Join(dir, "store")
	grpcAddr := freePort(t)
	store := startChild(t, append([]string{"--data", storeDir, "--demo", "--grpc-addr", grpcAddr}, common...)...)
	conn := "esdb://multi-store:" + tokens[pbhttp.RoleStore] + "@" + grpcAddr + "?tlsCAFile=" + url.QueryEscape(filepath.Join(storeDir, grpcCertFile))
	var servers []*child
	for i := 0; i < 3; i++ {
		servers = append(servers, startChild(t, append([]string{"--data", filepath.Join(dir, fmt.Sprint("api", i)), "--store", conn}, common...)...))
	}
	gateway, admin := tokens[pbhttp.RoleGateway], tokens[pbhttp.RoleAdmin]
	ballot := func(resident string) string {
		return fmt.Sprintf(`{"district_id":"almaly","resident_id":%q,"choices":[{"proposal_id":"almaty-2026.almaly.01"}]}`, resident)
	}
	ballotsURL := func(i int) string { return servers[i%3].URL + "/v1/cycles/almaty-2026/ballots" }

	t.Run("one ballot per resident under 64 concurrent attempts", func(t *testing.T) {
		var wg sync.WaitGroup
		statuses := make([]int, 64)
		for i := range statuses {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				statuses[i], _ = post(t, ballotsURL(i), gateway, ballot(demoIIN(9_100_000)))
			}(i)
		}
		wg.Wait()
		count := map[int]int{}
		for _, s := range statuses {
			count[s]++
		}
		if count[201] != 1 || count[409] != 63 {
			t.Fatalf("got statuses %v, want exactly one 201 and 63 409", count)
		}
	})

	t.Run("a retry on another server gets the first answer", func(t *testing.T) {
		var first map[string]any
		for i := 0; i < 3; i++ {
			status, got := post(t, ballotsURL(i), gateway, ballot(demoIIN(9_100_001)), "Idempotency-Key", "multi-retry-key")
			if status != 201 {
				t.Fatalf("server %d: got %d %v, want 201", i, status, got)
			}
			if i == 0 {
				first = got
			} else if fmt.Sprint(got) != fmt.Sprint(first) {
				t.Fatalf("server %d answered %v, the first answer was %v", i, got, first)
			}
		}
		// The same key with another request is refused everywhere.
		if status, _ := post(t, ballotsURL(1), gateway, ballot(demoIIN(9_100_002)), "Idempotency-Key", "multi-retry-key"); status != 422 && status != 409 {
			t.Fatalf("key reused for another request on another server: got %d", status)
		}
	})

	t.Run("phase change racing ballots, with If-Match", func(t *testing.T) {
		// The cycle's revision, from the log.
		var cycleRev, before uint64
		for _, e := range readFeed(t, store.URL) {
			if e.Stream == domain.CycleStream("almaty-2026") {
				cycleRev = e.Revision
			}
			before = e.Position // every ballot after this one is the race's
		}
		var accepted atomic.Int64
		type answer struct {
			key    string
			status int
			pos    uint64
		}
		answers := make(chan answer, 3*8*60)
		var wg sync.WaitGroup
		for g := 0; g < 24; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				for i := 0; i < 60; i++ {
					key := fmt.Sprintf("race-%d-%d", g, i)
					status, got := post(t, ballotsURL(g), gateway, ballot(demoIIN(9_200_000+g*100+i)), "Idempotency-Key", key)
					pos, _ := got["position"].(float64)
					answers <- answer{key, status, uint64(pos)}
					if status == 201 {
						accepted.Add(1)
					} else {
						return // voting closed (or an error the checks below report)
					}
				}
			}(g)
		}
		for deadline := time.Now().Add(30 * time.Second); accepted.Load() < 60 && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
		// Two admins close voting at once, each through another server, both naming the same revision.
		phase := make([]int, 2)
		var pw sync.WaitGroup
		for i := range phase {
			pw.Add(1)
			go func(i int) {
				defer pw.Done()
				phase[i], _ = post(t, servers[i+1].URL+"/v1/cycles/almaty-2026/phase", admin, `{"to":"assessment","reason":"Closing the vote early (test)"}`, "If-Match", strconv.Quote(strconv.FormatUint(cycleRev, 10)))
			}(i)
		}
		pw.Wait()
		wg.Wait()
		close(answers)
		if !(phase[0] == 200 && (phase[1] == 412 || phase[1] == 409) || phase[1] == 200 && (phase[0] == 412 || phase[0] == 409)) {
			t.Fatalf("two phase changes with the same If-Match: got %v, want one 200 and one 412", phase)
		}
		if status, _ := post(t, servers[0].URL+"/v1/cycles/almaty-2026/phase", admin, `{"to":"allocation","reason":"Counting early (test)"}`, "If-Match", strconv.Quote(strconv.FormatUint(cycleRev, 10))); status != 412 {
			t.Fatalf("a stale If-Match: got %d, want 412", status)
		}
		// The log decides: a ballot counts if it is before the event that closed voting.
		feed := readFeed(t, store.URL)
		var closedAt uint64
		for _, e := range feed {
			if e.Stream == domain.CycleStream("almaty-2026") && e.Type == domain.EventPhaseAdvanced && strings.Contains(string(e.Data), `"from":"voting"`) {
				closedAt = e.Position
			}
		}
		if closedAt == 0 {
			t.Fatal("no PhaseAdvanced from voting in the log")
		}
		counted := map[uint64]bool{} // positions of the race's ballots that the allocation counts
		for _, e := range feed {
			if e.Type == domain.EventBallotCast && e.Position > before && e.Position < closedAt {
				counted[e.Position] = true
			}
		}
		n201 := 0
		for a := range answers {
			switch a.status {
			case 201:
				n201++
				if !counted[a.pos] {
					t.Errorf("ballot %s was answered 201 at position %d, but the log does not count it (voting closed at %d)", a.key, a.pos, closedAt)
				}
				delete(counted, a.pos)
			case 409:
			default:
				t.Errorf("ballot %s: got %d", a.key, a.status)
			}
		}
		for pos := range counted {
			t.Errorf("the ballot at position %d counts (before the close at %d) but was not answered 201", pos, closedAt)
		}
		t.Logf("%d ballots accepted across three servers before voting closed at position %d", n201, closedAt)
		// Every server's read model follows the shared log.
		last := feed[len(feed)-1].Position
		for i, s := range append(servers, store) {
			res, err := http.Get(fmt.Sprintf("%s/v1/cycles/almaty-2026/districts/almaly/ranking?min_position=%d", s.URL, last))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 200 {
				t.Errorf("server %d: ranking at position %d: got %d", i, last, res.StatusCode)
			}
		}
	})
}

// pbledger migrate copies a log from a data directory to pbledger's KurrentDB endpoint and back, and
// verifies each copy; a second run resumes with nothing to copy.
func TestMigrateCommand(t *testing.T) {
	dataDir := t.TempDir()
	fs, err := filestore.Open(context.Background(), filepath.Join(dataDir, logDir), filestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		evs := []eventstore.EventData{storetest.Event("A", i), storetest.Event("B", i)}
		if _, err := fs.Append(context.Background(), fmt.Sprintf("migrate-%d", i%7), eventstore.Any(), evs[:1+i%2]...); err != nil {
			t.Fatal(err)
		}
	}
	fs.Close()
	ts := struct{ Dir string }{dataDir}
	conn := esdbapitest.ServeFileStore(t)
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"migrate", "--from", ts.Dir, "--to", conn}, &out, &errOut); code != 0 {
		t.Fatalf("migrate to KurrentDB: exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "verified") {
		t.Fatalf("got %q", out.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"migrate", "--from", ts.Dir, "--to", conn}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "copied 0 events") {
		t.Fatalf("second run: exit %d: %s %s", code, out.String(), errOut.String())
	}
	back := filepath.Join(t.TempDir(), "back")
	out.Reset()
	if code := run(context.Background(), []string{"migrate", "--from", conn, "--to", back}, &out, &errOut); code != 0 {
		t.Fatalf("migrate back: exit %d: %s", code, errOut.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"migrate", "--verify", "--from", ts.Dir, "--to", back}, &out, &errOut); code != 0 {
		t.Fatalf("verify the round trip: exit %d: %s", code, errOut.String())
	}
	t.Log(out.String())
}
