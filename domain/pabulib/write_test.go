package pabulib_test

import (
	"bytes"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/pbledger/pbledger/domain/outcome"
	"github.com/pbledger/pbledger/domain/pabulib"
)

func mustWrite(tb testing.TB, inst *pabulib.Instance) string {
	tb.Helper()
	var b bytes.Buffer
	if err := pabulib.Write(&b, inst); err != nil {
		tb.Fatalf("Write: %v", err)
	}
	return b.String()
}

func TestWriteQuotesOnlyWhatNeedsIt(t *testing.T) {
	t.Parallel()
	inst := &pabulib.Instance{
		Meta: []pabulib.KV{
			{Key: "budget", Value: "100"}, {Key: "vote_type", Value: "approval"},
			{Key: "comment", Value: `#1: "quoted"; with a semicolon`},
			{Key: "PROJECTS", Value: "a key that looks like a section title"},
		},
		ProjectColumns: []string{"project_id", "name", "cost"},
		Projects: []pabulib.Project{
			{ID: "1", Cost: 60, Fields: map[string]string{"name": "Park\nphase two"}},
			{ID: "VOTES", Cost: 5, Fields: map[string]string{"name": " spaces kept "}},
		},
		VoteColumns: []string{"voter_id", "vote"},
		Votes:       []pabulib.Vote{{VoterID: "v1", Projects: []string{"1", "VOTES"}}},
		CRLF:        true,
	}
	got := mustWrite(t, inst)
	want := strings.ReplaceAll(`META
key;value
budget;100
vote_type;approval
comment;"#1: ""quoted""; with a semicolon"
"PROJECTS";a key that looks like a section title
PROJECTS
project_id;name;cost
1;"Park
phase two";60
"VOTES"; spaces kept ;5
VOTES
voter_id;vote
v1;1,VOTES
`, "\n", "\r\n")
	want = strings.Replace(want, "Park\r\nphase", "Park\nphase", 1) // the value's own newline is kept as it is
	if got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
	if back := mustParse(t, got); !reflect.DeepEqual(back, inst) {
		t.Errorf("read back:\n got %#v\nwant %#v", back, inst)
	}
}

func TestWriteRefusesWhatParseWouldRefuse(t *testing.T) {
	t.Parallel()
	valid := func() *pabulib.Instance {
		return &pabulib.Instance{
			Meta:           []pabulib.KV{{Key: "budget", Value: "100"}, {Key: "vote_type", Value: "cumulative"}},
			ProjectColumns: []string{"project_id", "cost"},
			Projects:       []pabulib.Project{{ID: "1", Cost: 60}},
			VoteColumns:    []string{"voter_id", "vote", "points"},
			Votes:          []pabulib.Vote{{VoterID: "v1", Projects: []string{"1"}, Points: []int64{2}}},
		}
	}
	tests := []struct {
		name   string
		modify func(*pabulib.Instance)
		want   string
	}{
		{"no vote_type", func(i *pabulib.Instance) { i.Meta = i.Meta[:1] }, "lacks vote_type"},
		{"a budget finer than the exponent", func(i *pabulib.Instance) { i.Meta[0].Value = "10.5" }, "more than the file's currency exponent 0"},
		{"a repeated META key", func(i *pabulib.Instance) { i.Meta = append(i.Meta, pabulib.KV{Key: "budget", Value: "1"}) }, `"budget" appears twice`},
		{"no cost column", func(i *pabulib.Instance) { i.ProjectColumns = []string{"project_id"} }, "lack cost"},
		{"a project ID with a comma", func(i *pabulib.Instance) { i.Projects[0].ID = "1,2" }, "contains ','"},
		{"a negative cost", func(i *pabulib.Instance) { i.Projects[0].Cost = -1 }, "negative cost"},
		{"a vote for an unknown project", func(i *pabulib.Instance) { i.Votes[0].Projects = []string{"9"} }, `unknown project "9"`},
		{"points that do not match", func(i *pabulib.Instance) { i.Votes[0].Points = nil }, "1 projects but 0 points"},
		{"negative cumulative points", func(i *pabulib.Instance) { i.Votes[0].Points = []int64{-1} }, "negative points"},
		{"a repeated voter", func(i *pabulib.Instance) { i.Votes = append(i.Votes, i.Votes[0]) }, `"v1" appears twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			inst := valid()
			tt.modify(inst)
			err := pabulib.Write(&bytes.Buffer{}, inst)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
	t.Run("the valid instance writes", func(t *testing.T) {
		t.Parallel()
		mustWrite(t, valid())
	})
}

// dataDir is the directory of the real Pabulib files: $PBLEDGER_PABULIB_DIR, or the shared data directory
// next to the repository. Tests fail, not skip, without it.
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

// TestEveryFileImportsAndRoundTrips: every real file parses, matches its META counts, writes back to a file
// that parses to the same instance, and gives the same outcome either way.
func TestEveryFileImportsAndRoundTrips(t *testing.T) {
	t.Parallel()
	for _, path := range dataFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			inst := mustParse(t, string(raw))
			if n, _ := inst.Get("num_projects"); n != "" && n != strconv.Itoa(len(inst.Projects)) {
				t.Errorf("num_projects %s, parsed %d", n, len(inst.Projects))
			}
			if n, _ := inst.Get("num_votes"); n != "" && n != strconv.Itoa(len(inst.Votes)) {
				t.Errorf("num_votes %s, parsed %d", n, len(inst.Votes))
			}
			written := mustWrite(t, inst)
			back := mustParse(t, written)
			// Notes describe the original file (duplicate choices read once); the written file has nothing to note.
			back.Notes = inst.Notes
			if !reflect.DeepEqual(back, inst) {
				t.Fatalf("Parse(Write(inst)) differs from inst")
			}
			if again := mustWrite(t, back); again != written {
				t.Errorf("writing twice gives different files")
			}
			in1, err := inst.OutcomeInput()
			if err != nil {
				t.Fatal(err)
			}
			in2, err := back.OutcomeInput()
			if err != nil {
				t.Fatal(err)
			}
			if !in1.Rule.Name.Known() { // "unknown": count with greedy, as pbledger corpus does
				in1.Rule.Name, in2.Rule.Name = outcome.Greedy, outcome.Greedy
			}
			r1, err := outcome.Compute(in1)
			if err != nil {
				t.Fatal(err)
			}
			r2, err := outcome.Compute(in2)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(r1, r2) {
				t.Errorf("the outcome differs after the round trip")
			}
		})
	}
}

// An export carries every parameter of a count: written, read back and counted with no other input, it has
// the same digest and result, whatever the parameters.
func TestFromInputRecountsExactly(t *testing.T) {
	t.Parallel()
	base := outcome.Input{
		Budget: 100_000, VoteType: outcome.Approval, LotSeed: "seed;with \"quotes\"",
		Rule: outcome.Rule{Name: outcome.GreedyExclusive, MinSupport: 2, TieBreak: outcome.TieOrderListOrder,
			Exclusive: [][]string{{"a", "c"}}},
		Projects: []outcome.Project{
			{ID: "a", Cost: 30_000, Position: 3, Weight: big.NewRat(3, 2)},
			{ID: "b", Cost: 20_050, Position: 1},
			{ID: "c", Cost: 30_000, Position: 2},
			{ID: "d", Cost: 10_000, Position: 4, Excluded: "marked infeasible by the budget commission: no site"},
		},
		Ballots: []outcome.Ballot{
			{Voter: "v1", Choices: []outcome.Choice{{Project: "a"}, {Project: "b"}, {Project: "d"}}},
			{Voter: "v2", Choices: []outcome.Choice{{Project: "c"}, {Project: "b"}}},
			{Voter: "v3", Choices: []outcome.Choice{{Project: "a"}, {Project: "c"}}},
		},
	}
	addOne := base
	addOne.Rule = outcome.Rule{Name: outcome.EqualSharesAdd1, Increment: 100}
	addOne.Projects = []outcome.Project{{ID: "a", Cost: 30_000}, {ID: "b", Cost: 20_050}, {ID: "c", Cost: 30_000}, {ID: "d", Cost: 10_000}}
	for name, in := range map[string]outcome.Input{"greedy-exclusive with everything": base, "equal shares with an increment": addOne} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			want, err := outcome.Compute(in)
			if err != nil {
				t.Fatal(err)
			}
			written := mustWrite(t, pabulib.FromInput(in, 2, []pabulib.KV{{Key: "description", Value: "test"}}))
			back := mustParse(t, written)
			if back.Exponent != 2 {
				t.Errorf("exponent %d, want the declared 2", back.Exponent)
			}
			got, err := back.OutcomeInput()
			if err != nil {
				t.Fatal(err)
			}
			if outcome.Digest(got) != want.InputDigest {
				t.Fatalf("digest differs after the round trip:\n%s", written)
			}
			res, err := outcome.Compute(got)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(res, want) {
				t.Errorf("result differs after the round trip")
			}
		})
	}
}
