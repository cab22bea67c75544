package outcome_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/pbledger/pbledger/domain/outcome"
)

func TestComputeRefusesInvalidInput(t *testing.T) {
	t.Parallel()
	valid := func() outcome.Input {
		return outcome.Input{
			Budget: 10, VoteType: outcome.Approval, Rule: outcome.Rule{Name: outcome.Greedy},
			Projects: projects(t, "a:5", "b:5"),
			Ballots:  ballots(t, "a,b", "b"),
		}
	}
	tests := []struct {
		name   string
		modify func(*outcome.Input)
		want   string
	}{
		{"negative budget", func(in *outcome.Input) { in.Budget = -1 }, "budget -1 is negative"},
		{"unknown vote type", func(in *outcome.Input) { in.VoteType = "knapsack" }, `unknown vote type "knapsack"`},
		{"unknown rule, listing the known ones", func(in *outcome.Input) { in.Rule.Name = "unknown" }, `unknown rule "unknown" (known: greedy, greedy-no-skip`},
		{"empty rule", func(in *outcome.Input) { in.Rule.Name = "" }, `unknown rule ""`},
		{"Equal Shares on cumulative ballots", func(in *outcome.Input) {
			in.VoteType, in.Rule.Name = outcome.Cumulative, outcome.EqualSharesAdd1
		}, "rule equalshares/add1 needs approval or choose-one ballots"},
		{"Equal Shares on ordinal ballots", func(in *outcome.Input) {
			in.VoteType, in.Rule.Name = outcome.Ordinal, outcome.EqualSharesAdd1Comparison
		}, "needs approval or choose-one ballots"},
		{"negative minimum support", func(in *outcome.Input) { in.Rule.MinSupport = -1 }, "min_support -1 is negative"},
		{"negative increment", func(in *outcome.Input) { in.Rule.Increment = -5 }, "increment -5 is negative"},
		{"duplicate project IDs", func(in *outcome.Input) { in.Projects[1].ID = "a" }, `project "a" appears twice`},
		{"empty project ID", func(in *outcome.Input) { in.Projects[0].ID = "" }, "empty ID"},
		{"negative cost", func(in *outcome.Input) { in.Projects[0].Cost = -3 }, `project "a" has negative cost -3`},
		{"negative weight", func(in *outcome.Input) { in.Projects[0].Weight = big.NewRat(-1, 2) }, "negative weight -1/2"},
		{"unknown project on a ballot", func(in *outcome.Input) { in.Ballots[1].Choices[0].Project = "zz" }, `ballot 1 (voter "v2") names unknown project "zz"`},
		{"a project twice on one ballot", func(in *outcome.Input) { in.Ballots[0].Choices[1].Project = "a" }, `names project "a" twice`},
		{"choose-one ballot with two projects", func(in *outcome.Input) { in.VoteType = outcome.ChooseOne }, "chooses 2 projects"},
		{"negative cumulative points", func(in *outcome.Input) {
			in.VoteType = outcome.Cumulative
			in.Ballots[1].Choices[0].Points = -2
		}, "negative points -2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := valid()
			tt.modify(&in)
			_, err := outcome.Compute(in)
			if !errors.Is(err, outcome.ErrInvalidInput) {
				t.Fatalf("got %v, want an error wrapping ErrInvalidInput", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %q, want it to contain %q", err, tt.want)
			}
		})
	}
	t.Run("the valid input computes", func(t *testing.T) {
		t.Parallel()
		mustCompute(t, valid())
	})
}

func TestRules(t *testing.T) {
	t.Parallel()
	for _, r := range outcome.Rules() {
		if !r.Known() {
			t.Errorf("%s is listed but not known", r)
		}
	}
	for _, r := range []outcome.RuleName{"", "unknown", "equalshares/add1u", "Greedy"} {
		if r.Known() {
			t.Errorf("%q is known", r)
		}
	}
}

func TestDigest(t *testing.T) {
	t.Parallel()
	base := func() outcome.Input {
		return outcome.Input{
			Budget: 100, VoteType: outcome.Approval, Rule: outcome.Rule{Name: outcome.Greedy}, LotSeed: "seed",
			Projects: projects(t, "a:5", "b:7", "c:9"),
			Ballots:  ballots(t, "a,b", "c", "b,a,c", ""),
		}
	}
	d := outcome.Digest(base())
	if len(d) != 64 {
		t.Fatalf("digest %q is not hex SHA-256", d)
	}
	same := []struct {
		name   string
		modify func(*outcome.Input)
	}{
		{"ballots permuted", func(in *outcome.Input) { in.Ballots[0], in.Ballots[3] = in.Ballots[3], in.Ballots[0] }},
		{"projects permuted", func(in *outcome.Input) { in.Projects[0], in.Projects[2] = in.Projects[2], in.Projects[0] }},
		{"approval choices permuted", func(in *outcome.Input) {
			in.Ballots[2].Choices[0], in.Ballots[2].Choices[2] = in.Ballots[2].Choices[2], in.Ballots[2].Choices[0]
		}},
		{"voter keys changed", func(in *outcome.Input) { in.Ballots[1].Voter = "someone else" }},
		{"weight 1 written out", func(in *outcome.Input) { in.Projects[0].Weight = big.NewRat(2, 2) }},
		{"increment 1 written out", func(in *outcome.Input) { in.Rule.Increment = 1 }},
	}
	for _, tt := range same {
		t.Run("unchanged when "+tt.name, func(t *testing.T) {
			t.Parallel()
			in := base()
			tt.modify(&in)
			if got := outcome.Digest(in); got != d {
				t.Errorf("digest changed: got %s, want %s", got, d)
			}
		})
	}
	differ := []struct {
		name   string
		modify func(*outcome.Input)
	}{
		{"budget", func(in *outcome.Input) { in.Budget++ }},
		{"rule", func(in *outcome.Input) { in.Rule.Name = outcome.EqualSharesAdd1 }},
		{"lot seed", func(in *outcome.Input) { in.LotSeed = "other" }},
		{"cost", func(in *outcome.Input) { in.Projects[1].Cost++ }},
		{"exclusion", func(in *outcome.Input) { in.Projects[1].Excluded = "withdrawn" }},
		{"a ballot", func(in *outcome.Input) { in.Ballots[1].Choices[0].Project = "a" }},
		{"a ballot removed", func(in *outcome.Input) { in.Ballots = in.Ballots[1:] }},
		{"an ID boundary", func(in *outcome.Input) {
			in.Projects = projects(t, "a:5", "b:7", "c:9", "a,b:1")
		}},
	}
	for _, tt := range differ {
		t.Run("changed by "+tt.name, func(t *testing.T) {
			t.Parallel()
			in := base()
			tt.modify(&in)
			if got := outcome.Digest(in); got == d {
				t.Errorf("digest did not change")
			}
		})
	}
	t.Run("ordinal rankings keep their order", func(t *testing.T) {
		t.Parallel()
		a, b := base(), base()
		a.VoteType, b.VoteType = outcome.Ordinal, outcome.Ordinal
		b.Ballots[0].Choices[0], b.Ballots[0].Choices[1] = b.Ballots[0].Choices[1], b.Ballots[0].Choices[0]
		if outcome.Digest(a) == outcome.Digest(b) {
			t.Errorf("swapping ranks did not change the digest")
		}
	})
	t.Run("the result carries the digest", func(t *testing.T) {
		t.Parallel()
		if got := mustCompute(t, base()).InputDigest; got != d {
			t.Errorf("InputDigest: got %s, want %s", got, d)
		}
	})
}

// TestDigestFollowsItsDocumentation writes the canonical encoding by hand, as Digest's doc comment describes
// it, and compares hashes: digests are stored forever, so the encoding must not drift from its description.
func TestDigestFollowsItsDocumentation(t *testing.T) {
	t.Parallel()
	in := outcome.Input{
		Budget: 1000, VoteType: outcome.Cumulative, Rule: outcome.Rule{Name: outcome.GreedyThreshold, MinSupport: 3},
		LotSeed:  "drawn",
		Projects: projects(t, "b:20", "a:10", "ü;x:5"),
		Ballots:  ballots(t, "b=2,a=1", "", "ü;x=4"),
	}
	in.Projects[0].Weight = big.NewRat(3, 2)
	in.Projects[2].Excluded = "late"
	text := "pbledger/outcome-input/v1\n" +
		"budget 1000\n" +
		"vote-type 10:cumulative\n" +
		"rule 16:greedy-threshold 3 1\n" +
		"lot-seed 5:drawn\n" +
		"projects 3\n" +
		"1:a 10 1 0:\n" +
		"1:b 20 3/2 0:\n" +
		"4:ü;x 5 1 4:late\n" +
		"ballots 3\n" +
		"\n" + // the empty ballot sorts first
		"1:a=1,1:b=2\n" +
		"4:ü;x=4\n"
	sum := sha256.Sum256([]byte(text))
	if got, want := outcome.Digest(in), hex.EncodeToString(sum[:]); got != want {
		t.Errorf("got %s, want %s, the hash of\n%s", got, want, text)
	}
}
