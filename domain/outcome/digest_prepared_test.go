package outcome_test

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pbledger/pbledger/domain/outcome"
)

// TestPreparedDigest: the digest Compute reports, computed from the prepared ballots, is Digest's, on every
// shipped real file, on the benchmark's synthetic district and on random districts whose project IDs make the
// byte order of their netstrings differ from their ID order ("p9" < "p10" as netstrings, the other way round as
// IDs), with IDs that share prefixes or hold separators, and with empty and repeated ballots.
func TestPreparedDigest(t *testing.T) {
	check := func(name string, in outcome.Input) {
		t.Helper()
		got, err := outcome.PreparedDigest(in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if want := outcome.Digest(in); got != want {
			t.Fatalf("%s: prepared digest %s, Digest %s", name, got, want)
		}
	}
	n := 0
	for _, f := range dataFiles(t) {
		_, in := mustLoad(t, f)
		if in.VoteType != outcome.Approval && in.VoteType != outcome.ChooseOne {
			continue
		}
		if !in.Rule.Name.Known() {
			in.Rule = outcome.Rule{Name: outcome.Greedy} // a rule outcome cannot count (some library files): any will do here
		}
		check(filepath.Base(f), in)
		n++
	}
	if n == 0 {
		t.Fatal("no approval or choose-one file among the shipped real files")
	}
	// No project at all, with and without (empty) ballots.
	empty := outcome.Input{VoteType: outcome.Approval, Budget: 10, Rule: outcome.Rule{Name: outcome.Greedy}}
	check("no project, no ballot", empty)
	empty.Ballots = []outcome.Ballot{{Voter: "a"}, {Voter: "b"}}
	check("no project, empty ballots", empty)
	syn := syntheticDistrict(3000, 40)
	syn.Rule = outcome.Rule{Name: outcome.EqualSharesAdd1}
	check("synthetic", syn)
	rng := rand.New(rand.NewPCG(11, 12))
	ids := func(k int) []string {
		var out []string
		for i := range k {
			switch rng.IntN(5) {
			case 0:
				out = append(out, fmt.Sprintf("p%d", i))
			case 1:
				out = append(out, strings.Repeat("a", 1+rng.IntN(12))+fmt.Sprint(i))
			case 2:
				out = append(out, fmt.Sprintf("x,%d:y", i))
			case 3:
				out = append(out, fmt.Sprintf("%d", rng.IntN(1000)*1000+i))
			default:
				out = append(out, fmt.Sprintf("Ł%dż", i))
			}
		}
		return out
	}
	for i := range 300 {
		np := 1 + rng.IntN(30)
		pids := ids(np)
		in := outcome.Input{VoteType: outcome.Approval, Budget: 100, Rule: outcome.Rule{Name: outcome.EqualSharesAdd1}}
		if rng.IntN(4) == 0 {
			in.VoteType = outcome.ChooseOne
		}
		for _, id := range pids {
			in.Projects = append(in.Projects, outcome.Project{ID: id, Cost: 1 + rng.Int64N(100)})
		}
		for v := range rng.IntN(60) {
			b := outcome.Ballot{Voter: fmt.Sprint(v)}
			k := rng.IntN(min(np, 8) + 1)
			if in.VoteType == outcome.ChooseOne {
				k = min(k, 1)
			}
			for _, j := range rng.Perm(np)[:k] {
				b.Choices = append(b.Choices, outcome.Choice{Project: pids[j]})
			}
			in.Ballots = append(in.Ballots, b)
			if rng.IntN(5) == 0 {
				in.Ballots = append(in.Ballots, outcome.Ballot{Voter: fmt.Sprint(v, "again"), Choices: b.Choices})
			}
		}
		check(fmt.Sprintf("random %d", i), in)
	}
	// Ballots longer than the sort key (a key holds 64/bits-per-rank ranks: 6 with 1,000 projects) that agree
	// on their first choices and differ, or end, later.
	for i := range 20 {
		np := 1000
		pids := ids(np)
		in := outcome.Input{VoteType: outcome.Approval, Budget: 100, Rule: outcome.Rule{Name: outcome.EqualShares}}
		for _, id := range pids {
			in.Projects = append(in.Projects, outcome.Project{ID: id, Cost: 1 + rng.Int64N(100)})
		}
		common := rng.Perm(np)[:6+rng.IntN(6)]
		for v := range 200 {
			b := outcome.Ballot{Voter: fmt.Sprint(v)}
			seen := map[int]bool{}
			for _, j := range common[:rng.IntN(len(common)+1)] {
				seen[j] = true
				b.Choices = append(b.Choices, outcome.Choice{Project: pids[j]})
			}
			for range rng.IntN(4) {
				if j := rng.IntN(np); !seen[j] {
					seen[j] = true
					b.Choices = append(b.Choices, outcome.Choice{Project: pids[j]})
				}
			}
			in.Ballots = append(in.Ballots, b)
		}
		check(fmt.Sprintf("long ballots %d", i), in)
	}
}
