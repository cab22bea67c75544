package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	pbhttp "github.com/pbledger/pbledger/http"
)

// load refuses a server with cycles it did not create; on a server of its own it names its cycle
// "LOAD TEST …" and prints the answers' statuses in words.
func TestLoadRefusesLiveDataAndNamesItsCycle(t *testing.T) {
	file := filepath.Join(pabulibDir(t), "Netherlands_Amsterdam_304.pb")

	demo := startTestServer(t, true)
	out, err := runCmd(t, "load", "--url", demo.URL, "--token", demo.Tokens["demo-admin"], "--pabulib", file, "--clients", "4")
	if err == nil || !strings.Contains(out, "almaty-2025") || !strings.Contains(out, "--into-live-data") {
		t.Fatalf("load into the demo: %v\n%s\nwant a refusal naming the demo's cycles and --into-live-data", err, out)
	}

	tokens := filepath.Join(t.TempDir(), "tokens.json")
	token, entry, err := pbhttp.NewToken("load-admin", pbhttp.RoleAdmin, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tokens, []byte(`{"tokens":[`+entry+`]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	own := startTestServer(t, false, "--tokens", tokens)
	out, err = runCmd(t, "load", "--url", own.URL, "--token", token, "--pabulib", file, "--clients", "4")
	if err != nil {
		t.Fatalf("load: %v\n%s", err, out)
	}
	if !strings.Contains(out, "201 Created: 624") || strings.Contains(out, "map[") {
		t.Errorf("load output lacks readable status counts:\n%s", out)
	}
	res, err := http.Get(own.URL + "/v1/cycles")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var list struct {
		Cycles []struct{ ID, Name string } `json:"cycles"`
	}
	if err := json.NewDecoder(res.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	if len(list.Cycles) != 1 || !strings.HasPrefix(list.Cycles[0].Name, "LOAD TEST of Netherlands_Amsterdam_304.pb") ||
		!strings.HasPrefix(list.Cycles[0].ID, "loadtest-netherlands-amsterdam-304-") {
		t.Fatalf("cycles %+v, want one named LOAD TEST", list.Cycles)
	}
	// A second run finds only load tests: no --into-live-data needed.
	if out, err := runCmd(t, "load", "--url", own.URL, "--token", token, "--pabulib", file, "--clients", "4", "--cycle", "loadtest-2"); err != nil {
		t.Fatalf("second load: %v\n%s", err, out)
	}
}

// import derives cycle IDs from any file name by transliteration, or takes --cycle.
func TestImportDerivesIDsFromAnyFileName(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(pabulibDir(t), "poland_warszawa_2023_wlochy.pb"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	named := filepath.Join(dir, "Kraków 2018.pb")
	if err := os.WriteFile(named, src, 0o644); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	out, err := runCmd(t, "import", "--data", data, "--no-allocate", "--json", named)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	var got []struct{ Cycle, District string }
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err, out)
	}
	if len(got) != 1 || got[0].Cycle != "Krakow_2018" || got[0].District != "wlochy" {
		t.Fatalf("got %+v, want cycle Krakow_2018, district wlochy", got)
	}
	out, err = runCmd(t, "import", "--data", data, "--no-allocate", "--cycle", "warsaw-wlochy-2023", named)
	if err != nil || !strings.Contains(out, "cycle warsaw-wlochy-2023") {
		t.Fatalf("import --cycle: %v\n%s", err, out)
	}
	if out, err := runCmd(t, "import", "--data", data, "--cycle", "x", named, named); err == nil || !strings.Contains(out, "one file") {
		t.Fatalf("--cycle with two files: %v %s", err, out)
	}
}
