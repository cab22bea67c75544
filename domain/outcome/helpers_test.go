package outcome_test

import (
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pbledger/pbledger/domain/outcome"
	"github.com/pbledger/pbledger/domain/pabulib"
)

// projects builds projects from "id:cost" specs.
func projects(tb testing.TB, specs ...string) []outcome.Project {
	tb.Helper()
	ps := make([]outcome.Project, len(specs))
	for i, s := range specs {
		id, cost, ok := strings.Cut(s, ":")
		c, err := strconv.ParseInt(cost, 10, 64)
		if !ok || err != nil {
			tb.Fatalf("bad project spec %q", s)
		}
		ps[i] = outcome.Project{ID: id, Cost: c}
	}
	return ps
}

// ballots builds ballots from specs: "a,b,c" (in order), "a=3,b=1" (with points), "" (empty). Voters are v1, v2, …
func ballots(tb testing.TB, specs ...string) []outcome.Ballot {
	tb.Helper()
	bs := make([]outcome.Ballot, len(specs))
	for i, s := range specs {
		bs[i].Voter = "v" + strconv.Itoa(i+1)
		if s == "" {
			continue
		}
		for _, item := range strings.Split(s, ",") {
			id, pts, hasPts := strings.Cut(item, "=")
			c := outcome.Choice{Project: id}
			if hasPts {
				n, err := strconv.ParseInt(pts, 10, 64)
				if err != nil {
					tb.Fatalf("bad ballot spec %q", s)
				}
				c.Points = n
			}
			bs[i].Choices = append(bs[i].Choices, c)
		}
	}
	return bs
}

// repeat returns n copies of spec.
func repeat(n int, spec string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = spec
	}
	return out
}

func mustCompute(tb testing.TB, in outcome.Input) outcome.Result {
	tb.Helper()
	res, err := outcome.Compute(in)
	if err != nil {
		tb.Fatalf("Compute: %v", err)
	}
	return res
}

func mustJSON(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatalf("json: %v", err)
	}
	return string(b)
}

func winnerIDs(res outcome.Result) []string {
	ids := make([]string, len(res.Winners))
	for i, w := range res.Winners {
		ids[i] = w.Project
	}
	return ids
}

func mustDecision(tb testing.TB, res outcome.Result, id string) outcome.Decision {
	tb.Helper()
	for _, d := range res.Decisions {
		if d.Project == id {
			return d
		}
	}
	tb.Fatalf("no decision for project %q", id)
	return outcome.Decision{}
}

func rat(tb testing.TB, s string) *big.Rat {
	tb.Helper()
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		tb.Fatalf("bad rational %q", s)
	}
	return r
}

// dataDir is the directory of the real Pabulib files: $PBLEDGER_PABULIB_DIR, or the shared data directory
// next to the repository. Tests fail, not skip, without it: the real elections are the point.
func dataDir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("PBLEDGER_PABULIB_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "testdata", "pabulib")
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.pb"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no Pabulib files in %s (set PBLEDGER_PABULIB_DIR): %v", dir, err)
	}
	return dir
}

func dataFiles(tb testing.TB) []string {
	tb.Helper()
	files, _ := filepath.Glob(filepath.Join(dataDir(tb), "*.pb"))
	return files
}

func mustLoad(tb testing.TB, path string) (*pabulib.Instance, outcome.Input) {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	inst, err := pabulib.Parse(f)
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	in, err := inst.OutcomeInput()
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return inst, in
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, x := range a {
		m[x]++
	}
	for _, x := range b {
		m[x]--
	}
	for _, v := range m {
		if v != 0 {
			return false
		}
	}
	return true
}
