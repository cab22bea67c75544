package outcome_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/pbledger/pbledger/domain/outcome"
)

// The fixes that reproduce the Pabulib library (docs/CORPUS.md), on small inputs.
func TestGreedyRulesAsTheLibraryNeedsThem(t *testing.T) {
	t.Parallel()
	t.Run("a threshold applies under greedy-no-skip too", func(t *testing.T) {
		t.Parallel()
		in := outcome.Input{Budget: 10, VoteType: outcome.Approval, Rule: outcome.Rule{Name: outcome.GreedyNoSkip, MinSupport: 2},
			Projects: projects(t, "a:3", "b:3"), Ballots: ballots(t, "a,b", "a")}
		res := mustCompute(t, in)
		if got := winnerIDs(res); !slices.Equal(got, []string{"a"}) {
			t.Errorf("winners: got %v, want [a] (b has 1 vote, below 2)", got)
		}
		if d := mustDecision(t, res, "b"); d.Reason != outcome.ReasonBelowThreshold {
			t.Errorf("b: got reason %s, want %s", d.Reason, outcome.ReasonBelowThreshold)
		}
	})
	t.Run("a project above the whole budget does not stop greedy-no-skip", func(t *testing.T) {
		t.Parallel()
		in := outcome.Input{Budget: 10, VoteType: outcome.ChooseOne, Rule: outcome.Rule{Name: outcome.GreedyNoSkip},
			Projects: projects(t, "withdrawn:999999999", "a:6", "b:4"),
			Ballots:  ballots(t, append(repeat(3, "withdrawn"), append(repeat(2, "a"), "b")...)...)}
		res := mustCompute(t, in)
		if got := winnerIDs(res); !slices.Equal(got, []string{"a", "b"}) {
			t.Errorf("winners: got %v, want [a b]", got)
		}
		d := mustDecision(t, res, "withdrawn")
		if d.Reason != outcome.ReasonAboveBudget || d.Rank != 0 {
			t.Errorf("withdrawn: got reason %s rank %d, want %s and never considered", d.Reason, d.Rank, outcome.ReasonAboveBudget)
		}
	})
	t.Run("the money left at each project's turn is reported", func(t *testing.T) {
		t.Parallel()
		in := outcome.Input{Budget: 10, VoteType: outcome.Approval, Rule: outcome.Rule{Name: outcome.Greedy},
			Projects: projects(t, "a:6", "b:5", "c:4"), Ballots: ballots(t, "a,b,c", "a,b", "a")}
		res := mustCompute(t, in)
		for id, want := range map[string]int64{"a": 10, "b": 4, "c": 4} {
			if d := mustDecision(t, res, id); d.Left == nil || *d.Left != want {
				t.Errorf("%s: left %v, want %d", id, d.Left, want)
			}
		}
	})
	// Two projects tied on support, 10 left, room for one: each order of tie-breaks funds another one.
	tied := func(order string) outcome.Input {
		in := outcome.Input{Budget: 10, VoteType: outcome.Approval, Rule: outcome.Rule{Name: outcome.Greedy, TieBreak: order},
			Projects: projects(t, "cheap:4", "dear:7"), Ballots: ballots(t, "cheap,dear", "cheap,dear")}
		in.Projects[0].Position, in.Projects[1].Position = 2, 1
		return in
	}
	for _, tt := range []struct {
		order, want, by string
	}{
		{"", "cheap", outcome.TieLowestCost},
		{outcome.TieOrderLowestCost, "cheap", outcome.TieLowestCost},
		{outcome.TieOrderHighestCost, "dear", outcome.TieHighestCost},
		{outcome.TieOrderListOrder, "dear", outcome.TieListOrder},
	} {
		t.Run("tie-break order "+tt.order+" funds "+tt.want, func(t *testing.T) {
			t.Parallel()
			res := mustCompute(t, tied(tt.order))
			if got := winnerIDs(res); !slices.Equal(got, []string{tt.want}) {
				t.Errorf("winners: got %v, want [%s]", got, tt.want)
			}
			if len(res.TieBreaks) != 1 || res.TieBreaks[0].By != tt.by {
				t.Errorf("tie-breaks: got %+v, want one by %s", res.TieBreaks, tt.by)
			}
		})
	}
	t.Run("a declared tie-break order changes the digest; none keeps the old one", func(t *testing.T) {
		t.Parallel()
		plain, lowest, list := tied(""), tied(outcome.TieOrderLowestCost), tied(outcome.TieOrderListOrder)
		plain.Projects[0].Position, plain.Projects[1].Position = 0, 0
		if outcome.Digest(plain) == outcome.Digest(lowest) || outcome.Digest(lowest) == outcome.Digest(list) {
			t.Errorf("digests do not tell the tie-break orders apart")
		}
	})
	t.Run("an unknown tie-break order is invalid", func(t *testing.T) {
		t.Parallel()
		if _, err := outcome.Compute(tied("tallest")); !errors.Is(err, outcome.ErrInvalidInput) {
			t.Errorf("got %v, want ErrInvalidInput", err)
		}
	})
}

func TestGreedyExclusive(t *testing.T) {
	t.Parallel()
	// a and c cannot both be built; b is cheap. a has the most votes, so c is passed over.
	in := outcome.Input{Budget: 100, VoteType: outcome.Approval,
		Rule:     outcome.Rule{Name: outcome.GreedyExclusive, Exclusive: [][]string{{"c", "a"}}},
		Projects: projects(t, "a:30", "b:20", "c:30"),
		Ballots:  ballots(t, "a,b,c", "a,c", "a")}
	res := mustCompute(t, in)
	if got := winnerIDs(res); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("winners: got %v, want [a b]", got)
	}
	d := mustDecision(t, res, "c")
	if d.Reason != outcome.ReasonExclusive || !strings.Contains(d.Detail, "project a") {
		t.Errorf("c: got %s (%s), want %s naming a", d.Reason, d.Detail, outcome.ReasonExclusive)
	}
	t.Run("without groups it is greedy", func(t *testing.T) {
		t.Parallel()
		plain := in
		plain.Rule = outcome.Rule{Name: outcome.GreedyExclusive}
		if got := winnerIDs(mustCompute(t, plain)); !slices.Equal(got, []string{"a", "c", "b"}) {
			t.Errorf("winners: got %v, want [a c b]", got)
		}
	})
	t.Run("the groups enter the digest in any order", func(t *testing.T) {
		t.Parallel()
		other := in
		other.Rule.Exclusive = [][]string{{"a", "c", "a"}}
		if outcome.Digest(other) != outcome.Digest(in) {
			t.Errorf("the same group declared another way changes the digest")
		}
	})
	for _, bad := range []outcome.Rule{
		{Name: outcome.GreedyExclusive, Exclusive: [][]string{{"a"}}},
		{Name: outcome.GreedyExclusive, Exclusive: [][]string{{"a", "zz"}}},
		{Name: outcome.Greedy, Exclusive: [][]string{{"a", "c"}}},
	} {
		bin := in
		bin.Rule = bad
		if _, err := outcome.Compute(bin); !errors.Is(err, outcome.ErrInvalidInput) {
			t.Errorf("rule %+v: got %v, want ErrInvalidInput", bad, err)
		}
	}
}
