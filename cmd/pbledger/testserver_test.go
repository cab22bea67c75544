package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testServer is a real pbledger server (the same code `pbledger serve` runs) on a loopback port, over the
// embedded store in a temporary directory.
type testServer struct {
	URL string
	Dir string
	// Tokens maps the demo principals (demo-portal, demo-moderator, demo-expert, demo-admin) to their tokens.
	Tokens map[string]string
	stop   func()
}

// startTestServer starts a server; with demo it loads the Almaty demo cycles first. It stops when the test ends.
func startTestServer(tb testing.TB, demo bool, extraArgs ...string) *testServer {
	tb.Helper()
	dir := tb.TempDir()
	args := append([]string{"--data", dir, "--addr", "127.0.0.1:0"}, extraArgs...)
	if demo {
		args = append(args, "--demo")
	}
	m := &server{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m.ParseFlags(args, io.Discard); err != nil {
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
	ts := &testServer{URL: "http://" + m.listener.Addr().String(), Dir: dir, Tokens: map[string]string{}}
	stopped := false
	ts.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("server stopped with: %v", err)
		}
	}
	tb.Cleanup(ts.stop)
	if demo {
		f, err := os.Open(filepath.Join(dir, demoTokensFile))
		if err != nil {
			tb.Fatal(err)
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) == 3 && !strings.HasPrefix(fields[0], "#") {
				ts.Tokens[fields[0]] = fields[2]
			}
		}
	}
	return ts
}

func TestServerStartsWithDemoAndStops(t *testing.T) {
	ts := startTestServer(t, true)
	if len(ts.Tokens) != 4 {
		t.Fatalf("got %d demo tokens, want 4", len(ts.Tokens))
	}
	ts.stop()
}
