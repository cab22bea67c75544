package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// docBlock is a fenced shell block of a document: run (```sh), run in the background (```sh server), or
// only shown (```sh notest).
type docBlock struct {
	kind string // "", "server" or "notest"
	text string
	line int
}

// shellBlocks returns the ```sh blocks of a Markdown file, in order.
func shellBlocks(tb testing.TB, path string) []docBlock {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var blocks []docBlock
	var cur *docBlock
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur == nil && strings.HasPrefix(line, "```sh"):
			cur = &docBlock{kind: strings.TrimSpace(strings.TrimPrefix(line, "```sh")), line: n}
		case cur != nil && strings.HasPrefix(line, "```"):
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.text += line + "\n"
		}
	}
	if cur != nil {
		tb.Fatalf("%s: the block at line %d is not closed", path, cur.line)
	}
	return blocks
}

// docs/ADMIN.md is followed verbatim: every shell block runs, in order, in one bash session (set -euo
// pipefail), with `pbledger` on the PATH and the server block started in the background; then the cycle it
// walked through is in implementation with both districts allocated.
func TestAdminGuideRunsVerbatim(t *testing.T) {
	blocks := shellBlocks(t, filepath.Join("..", "..", "docs", "ADMIN.md"))
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	wrapper := fmt.Sprintf("#!/bin/sh\nPBLEDGER_TEST_AS_MAIN=1 exec %q \"$@\"\n", self)
	if err := os.WriteFile(filepath.Join(bin, "pbledger"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	var script strings.Builder
	script.WriteString("set -euo pipefail\n")
	servers := 0
	for _, b := range blocks {
		switch b.kind {
		case "notest":
			continue
		case "server":
			servers++
			fmt.Fprintf(&script, "# ADMIN.md line %d, in the background\n{\n%s} >server.log 2>&1 &\n", b.line, b.text)
			script.WriteString("trap 'kill $! 2>/dev/null || true' EXIT\n")
			script.WriteString("for _ in $(seq 1 300); do curl -fsS -o /dev/null \"$PB/readyz\" 2>/dev/null && break; sleep 0.05; done\n")
		case "":
			fmt.Fprintf(&script, "# ADMIN.md line %d\n%s", b.line, b.text)
		default:
			t.Fatalf("ADMIN.md line %d: unknown block kind %q", b.line, b.kind)
		}
	}
	if servers != 1 {
		t.Fatalf("ADMIN.md has %d server blocks, want 1", servers)
	}
	script.WriteString("curl -fsS \"$PB/v1/cycles/almaty-demo\" > final-cycle.json\n")

	work := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script.String())
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "PB=http://"+addr)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	if cmd.Process != nil {
		stopGroup(t, cmd.Process.Pid)
	}
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(work, "server.log"))
		t.Fatalf("ADMIN.md failed: %v\n--- output\n%s\n--- server log\n%s", err, out.String(), log)
	}
	var cycle struct {
		Phase       string                     `json:"phase"`
		Allocations map[string]json.RawMessage `json:"allocations"`
		Calendar    struct {
			VotingCloses time.Time `json:"voting_closes"`
		} `json:"calendar"`
	}
	b, err := os.ReadFile(filepath.Join(work, "final-cycle.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &cycle); err != nil {
		t.Fatal(err)
	}
	if cycle.Phase != "implementation" || len(cycle.Allocations) != 2 || cycle.Calendar.VotingCloses.IsZero() {
		t.Fatalf("after the walkthrough: phase %q, %d allocations, voting closes %v; want implementation, 2, a date",
			cycle.Phase, len(cycle.Allocations), cycle.Calendar.VotingCloses)
	}
}

// stopGroup stops what the script left running in its process group (the server it started in the
// background) and waits until it has exited, so that the temporary directory it writes into can be removed.
func stopGroup(tb testing.TB, pgid int) {
	tb.Helper()
	syscall.Kill(-pgid, syscall.SIGTERM)
	for deadline := time.Now().Add(60 * time.Second); syscall.Kill(-pgid, 0) == nil; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			syscall.Kill(-pgid, syscall.SIGKILL)
			tb.Errorf("the walkthrough's server did not stop within a minute of SIGTERM")
			return
		}
	}
}
