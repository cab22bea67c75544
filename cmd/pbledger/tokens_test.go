package main

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// tokenFrom takes the token out of `pbledger token add`'s output.
func tokenFrom(tb testing.TB, out string) string {
	tb.Helper()
	i := strings.LastIndex(out, "pbl_")
	if i < 0 {
		tb.Fatalf("no token in %q", out)
	}
	return strings.Fields(out[i:])[0]
}

func mustRun(tb testing.TB, args ...string) string {
	tb.Helper()
	out, err := runCmd(tb, args...)
	if err != nil {
		tb.Fatalf("pbledger %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// authStatus says what the server makes of a token: 403 (known, but a gateway may not open cycles: nothing
// is written) or 401 (unknown, revoked or expired).
func authStatus(tb testing.TB, base, token string) int {
	tb.Helper()
	req, _ := http.NewRequest("POST", base+"/v1/cycles", strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// waitFor polls cond until it holds; the deadline only guards against a hang.
func waitFor(tb testing.TB, what string, cond func() bool) time.Duration {
	tb.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > 15*time.Second {
			tb.Fatalf("%s: not after %s", what, time.Since(start))
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

// Issue 8, item 12: token add, revoke and list edit the tokens file.
func TestTokenAddRevokeList(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "token", "add", "--data", dir, "--name", "almaty-portal", "--role", "gateway")
	mustRun(t, "token", "add", "--data", dir, "--name", "expert-7", "--role", "assessor", "--assessor", "e7", "--ttl", "720h")
	mustRun(t, "token", "add", "--data", dir, "--name", "old-admin", "--role", "admin", "--expires", "2001-01-01T00:00:00Z")
	if out, err := runCmd(t, "token", "add", "--data", dir, "--name", "almaty-portal", "--role", "gateway"); err == nil {
		t.Fatalf("a second token for one name: got %q, want a refusal", out)
	}
	if out, err := runCmd(t, "token", "add", "--data", dir, "--name", "x", "--role", "emperor"); err == nil {
		t.Fatalf("an unknown role: got %q, want a refusal", out)
	}
	st, err := os.Stat(filepath.Join(dir, tokensFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("tokens file: %v, mode %v; want 0600", err, st.Mode())
	}
	list := mustRun(t, "token", "list", "--data", dir)
	for _, want := range []string{"almaty-portal", "expert-7", "e7", "old-admin", "2001-01-01T00:00:00Z (expired)"} {
		if !strings.Contains(list, want) {
			t.Fatalf("list lacks %q:\n%s", want, list)
		}
	}
	if strings.Contains(list, "pbl_") {
		t.Fatalf("list shows a token:\n%s", list)
	}
	mustRun(t, "token", "revoke", "--data", dir, "--name", "expert-7")
	if _, err := runCmd(t, "token", "revoke", "--data", dir, "--name", "expert-7"); err == nil {
		t.Fatal("revoking twice: got success")
	}
	if list := mustRun(t, "token", "list", "--data", dir, "--json"); strings.Contains(list, "expert-7") || !strings.Contains(list, `"almaty-portal"`) {
		t.Fatalf("after revoke:\n%s", list)
	}
}

// Issue 8, item 12: a running server picks up added and revoked tokens without a restart, and refuses
// expired ones.
func TestServerReloadsTokensFile(t *testing.T) {
	ts := startTestServer(t, false)
	token := tokenFrom(t, mustRun(t, "token", "add", "--data", ts.Dir, "--name", "portal-2", "--role", "gateway"))
	took := waitFor(t, "the added token accepted", func() bool { return authStatus(t, ts.URL, token) == 403 })
	t.Logf("added token accepted after %s", took)

	expired := tokenFrom(t, mustRun(t, "token", "add", "--data", ts.Dir, "--name", "portal-old", "--role", "gateway", "--expires", "2001-01-01T00:00:00Z"))
	fresh := tokenFrom(t, mustRun(t, "token", "add", "--data", ts.Dir, "--name", "portal-new", "--role", "gateway", "--expires", "2999-01-01T00:00:00Z"))
	waitFor(t, "the token expiring in 2999 accepted", func() bool { return authStatus(t, ts.URL, fresh) == 403 })
	if got := authStatus(t, ts.URL, expired); got != 401 {
		t.Fatalf("an expired token: got %d, want 401", got)
	}

	mustRun(t, "token", "revoke", "--data", ts.Dir, "--name", "portal-2")
	took = waitFor(t, "the revoked token refused", func() bool { return authStatus(t, ts.URL, token) == 401 })
	t.Logf("revoked token refused after %s (the file is checked every 250 ms)", took)
	if got := authStatus(t, ts.URL, fresh); got != 403 {
		t.Fatalf("the other token after a revoke: got %d, want 403", got)
	}

	// A file that does not parse is not loaded: the tokens in use stay.
	if err := os.WriteFile(filepath.Join(ts.Dir, tokensFile), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(600 * time.Millisecond) // two polls: nothing may change, so there is no condition to wait on
	if got := authStatus(t, ts.URL, fresh); got != 403 {
		t.Fatalf("after a broken tokens file: got %d, want 403 (the tokens in use kept)", got)
	}
}

// Issue 8, item 12: SIGHUP reloads the tokens and never kills the server (it used to end the process).
func TestServeReloadsTokensOnSIGHUP(t *testing.T) {
	if os.Getenv(serveChildEnv) != "" {
		t.Skip("in the child")
	}
	dir := t.TempDir()
	addr := freePort(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeChild$", "-test.count=1")
	// --tokens-poll 0: only SIGHUP reloads, so the test sees SIGHUP do it.
	cmd.Env = append(os.Environ(), serveChildEnv+"=serve --data "+dir+" --addr "+addr+" --tokens-poll 0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	base := "http://" + addr
	waitFor(t, "the server ready", func() bool {
		select {
		case err := <-exited:
			t.Fatalf("the server exited: %v\n%s", err, stderr.String())
		default:
		}
		res, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == 200
	})
	token := tokenFrom(t, mustRun(t, "token", "add", "--data", dir, "--name", "portal-hup", "--role", "gateway"))
	if got := authStatus(t, base, token); got != 401 {
		t.Fatalf("before SIGHUP (no polling): got %d, want 401", got)
	}
	for i := 0; i < 3; i++ {
		if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the token accepted after SIGHUP", func() bool {
		select {
		case err := <-exited:
			t.Fatalf("SIGHUP ended the server: %v\n%s", err, stderr.String())
		default:
		}
		return authStatus(t, base, token) == 403
	})
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := <-exited; err != nil {
		t.Fatalf("server exited with %v after SIGTERM\n%s", err, stderr.String())
	}
}
