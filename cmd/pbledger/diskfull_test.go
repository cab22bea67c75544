package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// get fetches a URL and returns the status and body.
func get(tb testing.TB, url string) (int, string) {
	tb.Helper()
	res, err := http.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// Issue 8, items 10 and 11, on a real full disk (a small tmpfs): while the log cannot be written, writes
// answer 503 in plain words, /readyz answers 503 and pbledger_store_writable says why; once space is freed,
// writes resume without a restart.
func TestServerRidesOutAFullDisk(t *testing.T) {
	mnt := filepath.Join(t.TempDir(), "tmpfs")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=4m"); err != nil {
		t.Skipf("cannot mount a tmpfs to fill (needs root; uid %d): %v; the file store's own test covers recovery when it runs", os.Geteuid(), err)
	}
	t.Cleanup(func() { syscall.Unmount(mnt, 0) })
	data := filepath.Join(mnt, "data")
	admin := tokenFrom(t, mustRun(t, "token", "add", "--data", data, "--name", "ops", "--role", "admin"))
	ts := startTestServer(t, false, "--data", data)

	openCycle := func(i int) (int, map[string]any) {
		var districts []string
		for d := 0; d < 100; d++ {
			districts = append(districts, fmt.Sprintf(`{"id":"d%d","name":%q,"budget":1000}`, d, strings.Repeat("n", 200)))
		}
		body := fmt.Sprintf(`{"cycle_id":"full-%d","name":"Full disk","currency":"KZT","currency_exponent":2,"districts":[%s],
 "plan":["submission","review","voting","allocation","implementation","closed"],"ballot_rule":{"type":"approval","max_choices":2},
 "outcome_rule":{"name":"greedy"}}`, i, strings.Join(districts, ","))
		req, _ := http.NewRequest("POST", ts.URL+"/v1/cycles", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+admin)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var m map[string]any
		json.NewDecoder(res.Body).Decode(&m)
		return res.StatusCode, m
	}
	if status, body := openCycle(0); status != 201 {
		t.Fatalf("first cycle: got %d %v", status, body)
	}

	// Fill the disk, then write until the store runs out of the space it had claimed ahead.
	ballast := filepath.Join(mnt, "ballast")
	f, err := os.Create(ballast)
	if err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte{1}, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	f.Close()
	var status int
	var problem map[string]any
	for i := 1; i < 300; i++ {
		if status, problem = openCycle(i); status != 201 {
			break
		}
	}
	if status != 503 || problem["code"] != "unavailable" {
		t.Fatalf("on a full disk: got %d %v, want 503 unavailable", status, problem)
	}
	detail, _ := problem["detail"].(string)
	if !strings.Contains(detail, "disk is full") || strings.Contains(detail, "/") || strings.Contains(detail, ".seg") {
		t.Fatalf("detail %q: want plain words, no file names", detail)
	}
	if status, body := get(t, ts.URL+"/readyz"); status != 503 || !strings.Contains(body, "disk is full") || strings.Contains(body, ".seg") {
		t.Fatalf("/readyz on a full disk: got %d %s", status, body)
	}
	if _, m := get(t, ts.URL+"/metrics"); !strings.Contains(m, `pbledger_store_writable{reason="disk_full"} 0`) {
		t.Fatalf("metrics lack pbledger_store_writable{reason=\"disk_full\"} 0:\n%s", grepLines(m, "pbledger_store_writable"))
	}

	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "/readyz ready after space was freed", func() bool { s, _ := get(t, ts.URL+"/readyz"); return s == 200 })
	if status, body := openCycle(1000); status != 201 {
		t.Fatalf("after space was freed: got %d %v, want 201", status, body)
	}
	if _, m := get(t, ts.URL+"/metrics"); !strings.Contains(m, `pbledger_store_writable{reason=""} 1`) {
		t.Fatalf("metrics lack pbledger_store_writable{reason=\"\"} 1:\n%s", grepLines(m, "pbledger_store_writable"))
	}
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
