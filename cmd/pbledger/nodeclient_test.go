package main

import (
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	pbhttp "github.com/pbledger/pbledger/http"
)

// TestOfficialNodeClient runs the official Node client (@eventstore/db-client, pinned in test/node and
// installed by scripts/test-deps.sh) against pbledger's gRPC endpoint over TLS: append with expected
// revisions, reads forwards and backwards, and catch-up subscriptions receiving a live event.
func TestOfficialNodeClient(t *testing.T) {
	nodeDir, err := filepath.Abs("../../test/node")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("node is not installed: run scripts/test-deps.sh")
	}
	if _, err := os.Stat(filepath.Join(nodeDir, "node_modules", "@eventstore", "db-client")); err != nil {
		t.Fatal("the Node client is not installed: run scripts/test-deps.sh (npm ci in test/node)")
	}
	dir := t.TempDir()
	tok, entry, err := pbhttp.NewToken("node-client", pbhttp.RoleStore, "")
	if err != nil {
		t.Fatal(err)
	}
	tokensPath := filepath.Join(dir, "tokens.json")
	if err := os.WriteFile(tokensPath, []byte(`{"tokens":[`+entry+`]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	grpcAddr := freePort(t)
	ts := startTestServer(t, false, "--demo", "--grpc-addr", grpcAddr, "--tokens", tokensPath) // the demo log, our tokens
	_, port, _ := net.SplitHostPort(grpcAddr)
	conn := "esdb://node-client:" + tok + "@localhost:" + port + "?tls=true&tlsCAFile=" + url.QueryEscape(filepath.Join(ts.Dir, grpcCertFile))
	cmd := exec.Command("node", "client.cjs", conn)
	cmd.Dir = nodeDir
	out, err := cmd.CombinedOutput()
	t.Logf("node client:\n%s", out)
	if err != nil || !strings.Contains(string(out), "PASS") {
		t.Fatalf("the Node client failed: %v", err)
	}
}
