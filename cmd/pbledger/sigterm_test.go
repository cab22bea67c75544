package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/filestore"
)

const serveChildEnv = "PBLEDGER_SERVE_CHILD"

// TestServeChild is `pbledger serve` in a child process, as main runs it; it does nothing as an ordinary test.
func TestServeChild(t *testing.T) {
	args := os.Getenv(serveChildEnv)
	if args == "" {
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, strings.Fields(args), os.Stdout, os.Stderr))
}

func freePort(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// SIGTERM while ballots pour in: requests in flight are answered, the process exits 0, and every ballot that was
// answered 201 is in the log afterwards.
func TestServeDrainsOnSIGTERM(t *testing.T) {
	if os.Getenv(serveChildEnv) != "" {
		t.Skip("in the child")
	}
	dir := t.TempDir()
	addr := freePort(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), serveChildEnv+"=serve --data "+dir+" --addr "+addr+" --demo")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	base := "http://" + addr
	deadline := time.Now().Add(60 * time.Second) // a hang guard only
	for {
		res, err := http.Get(base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not become ready: %s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	tokens, err := os.ReadFile(filepath.Join(dir, demoTokensFile))
	if err != nil {
		t.Fatal(err)
	}
	var portal string
	for _, line := range strings.Split(string(tokens), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "demo-portal" {
			portal = f[2]
		}
	}
	type answer struct {
		status int
		id     string
		err    error
	}
	answers := make(chan answer, 400)
	var wg sync.WaitGroup
	answered := make(chan struct{}, 400)
	for i := 0; i < 400; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			body := fmt.Sprintf(`{"district_id":"almaly","resident_id":%q,"choices":[{"proposal_id":"almaty-2026.almaly.01"}]}`, demoIIN(8_000_000+i))
			req, _ := http.NewRequest("POST", base+"/v1/cycles/almaty-2026/ballots", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+portal)
			req.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(req)
			answered <- struct{}{}
			if err != nil {
				answers <- answer{err: err}
				return
			}
			defer res.Body.Close()
			var w struct {
				Stream string `json:"stream"`
			}
			b, _ := io.ReadAll(res.Body)
			json.Unmarshal(b, &w)
			answers <- answer{status: res.StatusCode, id: w.Stream}
		}(i)
	}
	// Signal once some ballots are answered and many more are in flight.
	for i := 0; i < 50; i++ {
		<-answered
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(answers)
	err = cmd.Wait()
	if err != nil {
		t.Fatalf("server exited with %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "draining requests") {
		t.Errorf("the server did not say it drained: %s", stderr.String())
	}
	accepted := map[string]bool{}
	for a := range answers {
		switch {
		case a.err != nil:
			// Refused after the listener closed: never accepted, nothing stored.
		case a.status == 201:
			accepted[a.id] = true
		default:
			t.Errorf("a request got %d during shutdown", a.status)
		}
	}
	if len(accepted) == 0 {
		t.Fatal("no ballot was accepted before the shutdown")
	}
	// Every accepted ballot is in the log; the checkpoint was written.
	s, err := filestore.Open(context.Background(), filepath.Join(dir, logDir), filestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for stream := range accepted {
		if evs, err := s.ReadStream(context.Background(), stream, eventstore.Forwards, 0, 1); err != nil || len(evs) != 1 {
			t.Fatalf("accepted ballot %s is not in the log: %v", stream, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, checkpointFile)); err != nil {
		t.Fatalf("no checkpoint after a clean shutdown: %v", err)
	}
	t.Logf("%d ballots accepted before and during the shutdown", len(accepted))
}
