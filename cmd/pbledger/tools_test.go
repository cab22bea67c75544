package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/domain/outcome"
	"github.com/pbledger/pbledger/domain/pabulib"
	"github.com/pbledger/pbledger/eventstore"
)

func pabulibDir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("PBLEDGER_PABULIB_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "testdata", "pabulib")
	}
	if _, err := os.Stat(filepath.Join(dir, "poland_wieliczka_2023.pb")); err != nil {
		tb.Fatalf("the real Pabulib files are missing (set PBLEDGER_PABULIB_DIR): %v", err)
	}
	return dir
}

func runCmd(tb testing.TB, args ...string) (string, error) {
	tb.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	if code != 0 {
		return out.String() + errb.String(), &exitError{code, errb.String()}
	}
	return out.String(), nil
}

type exitError struct {
	code   int
	stderr string
}

func (e *exitError) Error() string { return e.stderr }

// Importing the real elections records, through the ledger, exactly the official outcomes; the district's
// Pabulib export recomputes to the same winners and the recorded input digest.
func TestImportReproducesOfficialOutcomes(t *testing.T) {
	src := pabulibDir(t)
	data := t.TempDir()
	files, _ := filepath.Glob(filepath.Join(src, "*.pb"))
	out, err := runCmd(t, append([]string{"import", "--data", data}, files...)...)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	ts := startTestServer(t, false, "--data", data)
	for _, name := range []string{"poland_warszawa_2023_wlochy", "poland_wieliczka_2023"} {
		t.Run(name, func(t *testing.T) {
			f, _ := os.Open(filepath.Join(src, name+".pb"))
			inst, err := pabulib.Parse(f)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			district := pabulib.ToImportDistrict(inst)
			var o struct {
				Winners []struct {
					ProposalID string `json:"proposal_id"`
				} `json:"winners"`
				Total       int64  `json:"total"`
				InputDigest string `json:"input_digest"`
			}
			getJSON(t, ts.URL+"/v1/cycles/"+name+"/districts/"+string(district)+"/outcome", &o)
			var got []string
			for _, w := range o.Winners {
				got = append(got, strings.TrimPrefix(w.ProposalID, name+":"))
			}
			want := inst.Selected()
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("recorded winners %v, official %v", got, want)
			}
			// The export recomputes to the same result with the same digest.
			res, err := http.Get(ts.URL + "/v1/cycles/" + name + "/districts/" + string(district) + "/pabulib")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			exported, err := pabulib.Parse(bytes.NewReader(body))
			if err != nil {
				t.Fatalf("export does not parse: %v\n%.500s", err, body)
			}
			in, err := exported.OutcomeInput()
			if err != nil {
				t.Fatal(err)
			}
			if d, _ := exported.Get(pabulib.MetaRecordedDigest); d != o.InputDigest || outcome.Digest(in) != o.InputDigest {
				t.Fatalf("export digest %s (META %s), recorded %s", outcome.Digest(in), d, o.InputDigest)
			}
			r, err := outcome.Compute(in)
			if err != nil {
				t.Fatal(err)
			}
			if r.TotalCost != o.Total || len(r.Winners) != len(o.Winners) {
				t.Fatalf("recomputed %d winners for %d, recorded %d for %d", len(r.Winners), r.TotalCost, len(o.Winners), o.Total)
			}
		})
	}
}

func getJSON(tb testing.TB, url string, v any) {
	tb.Helper()
	res, err := http.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		b, _ := io.ReadAll(res.Body)
		tb.Fatalf("GET %s: %d %s", url, res.StatusCode, b)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		tb.Fatal(err)
	}
}

func TestReplayAndRebuild(t *testing.T) {
	data := t.TempDir()
	src := pabulibDir(t)
	if out, err := runCmd(t, "import", "--data", data, filepath.Join(src, "poland_krakow_2018_bienczyce.pb"), filepath.Join(src, "Netherlands_Amsterdam_304.pb")); err != nil {
		t.Fatalf("import: %v %s", err, out)
	}
	// Before the second import began: only the first cycle, allocated.
	out, err := runCmd(t, "replay", "--data", data, "--until", "900", "--json")
	if err != nil {
		t.Fatal(err, out)
	}
	var st struct {
		Position eventstore.Position
		Cycles   []struct {
			ID    domain.CycleID
			Phase domain.Phase
		}
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatal(err)
	}
	if st.Position != 900 || len(st.Cycles) != 1 || st.Cycles[0].ID != "poland_krakow_2018_bienczyce" {
		t.Fatalf("replay until 900: %+v", st)
	}
	out, err = runCmd(t, "replay", "--data", data, "--until", "2")
	if err != nil || !strings.Contains(out, "As of log position 2") || !strings.Contains(out, "provisional ranking") {
		t.Fatalf("replay until 2: %v\n%s", err, out)
	}
	if out, err := runCmd(t, "replay", "--data", data, "--until", "yesterday"); err == nil || !strings.Contains(out, "is not a position") {
		t.Fatalf("bad --until: %v %s", err, out)
	}
	out, err = runCmd(t, "rebuild", "--data", data)
	if err != nil || !strings.Contains(out, "events/s") {
		t.Fatalf("rebuild: %v %s", err, out)
	}
	if _, err := os.Stat(filepath.Join(data, checkpointFile)); err != nil {
		t.Fatalf("no checkpoint after rebuild: %v", err)
	}
	// A running server owns the directory: tools say so.
	ts := startTestServer(t, false, "--data", data)
	_ = ts
	if out, err := runCmd(t, "rebuild", "--data", data); err == nil || !strings.Contains(out, "stop the server") {
		t.Fatalf("rebuild while serving: %v %s", err, out)
	}
}

func TestTokenCommand(t *testing.T) {
	out, err := runCmd(t, "token", "--name", "almaty-portal", "--role", "gateway")
	if err != nil || !strings.Contains(out, "pbl_") || !strings.Contains(out, `"sha256"`) {
		t.Fatalf("token: %v %s", err, out)
	}
	if out, err := runCmd(t, "token", "--name", "x", "--role", "king"); err == nil || !strings.Contains(out, "unknown role") {
		t.Fatalf("bad role: %v %s", err, out)
	}
}
