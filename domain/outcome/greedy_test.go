package outcome_test

import (
	"math/big"
	"slices"
	"strconv"
	"testing"

	"github.com/pbledger/pbledger/domain/outcome"
)

func TestGreedyRules(t *testing.T) {
	t.Parallel()
	type want struct {
		winners []string
		reasons map[string]string
		details map[string]string
		ranks   map[string]int
		support map[string]string
		votes   map[string]int64
		ties    []outcome.TieBreak
	}
	abc := func(rule outcome.Rule) outcome.Input {
		return outcome.Input{
			Budget: 10, VoteType: outcome.Approval, Rule: rule,
			Projects: projects(t, "a:6", "b:5", "c:4"),
			Ballots:  ballots(t, "a,b,c", "a,b", "a"),
		}
	}
	weighted := outcome.Input{
		Budget: 5, VoteType: outcome.Approval, Rule: outcome.Rule{Name: outcome.Greedy},
		Projects: projects(t, "a:5", "b:5"),
		Ballots:  ballots(t, append(repeat(3, "a"), repeat(2, "b")...)...),
	}
	weighted.Projects[0].Weight = big.NewRat(1, 2)
	excluded := outcome.Input{
		Budget: 10, VoteType: outcome.Approval, Rule: outcome.Rule{Name: outcome.Greedy},
		Projects: projects(t, "a:1", "x:1", "z:1"),
		Ballots:  ballots(t, "x,a", "x"),
	}
	excluded.Projects[1].Excluded = "duplicate of a"

	tests := []struct {
		name string
		in   outcome.Input
		want want
	}{
		{
			name: "greedy skips the project that no longer fits and funds the next",
			in:   abc(outcome.Rule{Name: outcome.Greedy}),
			want: want{
				winners: []string{"a", "c"},
				reasons: map[string]string{"a": outcome.ReasonFunded, "b": outcome.ReasonDoesNotFit, "c": outcome.ReasonFunded},
				details: map[string]string{"b": "costs 5, 4 left"},
				ranks:   map[string]int{"a": 1, "b": 2, "c": 3},
				support: map[string]string{"a": "3", "b": "2", "c": "1"},
				votes:   map[string]int64{"a": 3, "b": 2, "c": 1},
			},
		},
		{
			name: "greedy-no-skip stops at the first project that does not fit",
			in:   abc(outcome.Rule{Name: outcome.GreedyNoSkip}),
			want: want{
				winners: []string{"a"},
				reasons: map[string]string{"a": outcome.ReasonFunded, "b": outcome.ReasonDoesNotFit, "c": outcome.ReasonStopped},
				details: map[string]string{"c": "greedy-no-skip stopped at project b"},
				ranks:   map[string]int{"a": 1, "b": 2, "c": 0},
			},
		},
		{
			name: "greedy-threshold leaves out projects below the minimum support",
			in:   abc(outcome.Rule{Name: outcome.GreedyThreshold, MinSupport: 2}),
			want: want{
				winners: []string{"a"},
				reasons: map[string]string{"a": outcome.ReasonFunded, "b": outcome.ReasonDoesNotFit, "c": outcome.ReasonBelowThreshold},
				details: map[string]string{"c": "support 1 is below the minimum of 2"},
				ranks:   map[string]int{"a": 1, "b": 2, "c": 0},
			},
		},
		{
			name: "excluded and unsupported projects are never funded",
			in:   excluded,
			want: want{
				winners: []string{"a"},
				reasons: map[string]string{"a": outcome.ReasonFunded, "x": outcome.ReasonExcluded, "z": outcome.ReasonNoSupporters},
				details: map[string]string{"x": "duplicate of a"},
				ranks:   map[string]int{"a": 1, "x": 0, "z": 0},
				votes:   map[string]int64{"a": 1, "x": 2, "z": 0},
			},
		},
		{
			name: "cumulative support is the sum of points; equal support goes to most votes",
			in: outcome.Input{
				Budget: 10, VoteType: outcome.Cumulative, Rule: outcome.Rule{Name: outcome.Greedy},
				Projects: projects(t, "a:5", "b:5", "c:5"),
				Ballots:  ballots(t, "a=1,b=3", "c=2,a=1"),
			},
			want: want{
				winners: []string{"b", "a"},
				reasons: map[string]string{"c": outcome.ReasonDoesNotFit},
				support: map[string]string{"a": "2", "b": "3", "c": "2"},
				votes:   map[string]int64{"a": 2, "b": 1, "c": 1},
				ties:    []outcome.TieBreak{{Projects: []string{"a", "c"}, By: outcome.TieMostVotes}},
			},
		},
		{
			name: "ordinal support is a Borda score truncated to the ballot; equal support goes to the cheaper",
			in: outcome.Input{
				Budget: 100, VoteType: outcome.Ordinal, Rule: outcome.Rule{Name: outcome.Greedy},
				Projects: projects(t, "a:60", "b:30", "c:40"),
				Ballots:  ballots(t, "a,b,c", "b", "c,a"),
			},
			want: want{
				winners: []string{"a", "b"},
				reasons: map[string]string{"c": outcome.ReasonDoesNotFit},
				support: map[string]string{"a": "4", "b": "3", "c": "3"},
				votes:   map[string]int64{"a": 2, "b": 2, "c": 2},
				ties:    []outcome.TieBreak{{Projects: []string{"b", "c"}, By: outcome.TieLowestCost}},
			},
		},
		{
			name: "scoring projects with a total of zero or less count as unsupported",
			in: outcome.Input{
				Budget: 100, VoteType: outcome.Scoring, Rule: outcome.Rule{Name: outcome.Greedy},
				Projects: projects(t, "a:10", "b:10", "c:10"),
				Ballots:  ballots(t, "a=2,b=-3", "b=1,c=0"),
			},
			want: want{
				winners: []string{"a"},
				reasons: map[string]string{"b": outcome.ReasonNoSupporters, "c": outcome.ReasonNoSupporters},
				support: map[string]string{"a": "2", "b": "-2", "c": "0"},
				votes:   map[string]int64{"a": 1, "b": 2, "c": 1},
			},
		},
		{
			name: "weight multiplies support and can reorder projects",
			in:   weighted,
			want: want{
				winners: []string{"b"},
				reasons: map[string]string{"a": outcome.ReasonDoesNotFit},
				support: map[string]string{"a": "3/2", "b": "2"},
				ranks:   map[string]int{"b": 1, "a": 2},
			},
		},
		{
			name: "choose-one ballots count like approvals",
			in: outcome.Input{
				Budget: 5, VoteType: outcome.ChooseOne, Rule: outcome.Rule{Name: outcome.Greedy},
				Projects: projects(t, "a:5", "b:5"),
				Ballots:  ballots(t, "a", "b", "b", ""),
			},
			want: want{winners: []string{"b"}, support: map[string]string{"a": "1", "b": "2"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := mustCompute(t, tt.in)
			if got := winnerIDs(res); !slices.Equal(got, tt.want.winners) {
				t.Errorf("winners: got %v, want %v", got, tt.want.winners)
			}
			for id, want := range tt.want.reasons {
				if got := mustDecision(t, res, id).Reason; got != want {
					t.Errorf("reason of %s: got %q, want %q", id, got, want)
				}
			}
			for id, want := range tt.want.details {
				if got := mustDecision(t, res, id).Detail; got != want {
					t.Errorf("detail of %s: got %q, want %q", id, got, want)
				}
			}
			for id, want := range tt.want.ranks {
				if got := mustDecision(t, res, id).Rank; got != want {
					t.Errorf("rank of %s: got %d, want %d", id, got, want)
				}
			}
			for id, want := range tt.want.support {
				if got := mustDecision(t, res, id).Support; got != want {
					t.Errorf("support of %s: got %q, want %q", id, got, want)
				}
			}
			for id, want := range tt.want.votes {
				if got := mustDecision(t, res, id).Votes; got != want {
					t.Errorf("votes of %s: got %d, want %d", id, got, want)
				}
			}
			if tt.want.ties != nil {
				if got, want := mustJSON(t, res.TieBreaks), mustJSON(t, tt.want.ties); got != want {
					t.Errorf("tie-breaks: got %s, want %s", got, want)
				}
			}
			var spent int64
			for _, w := range res.Winners {
				spent += w.Funded
			}
			if res.TotalCost != spent || res.TotalCost > res.Budget {
				t.Errorf("total cost %d: winners cost %d, budget %d", res.TotalCost, spent, res.Budget)
			}
		})
	}
}

func TestGreedyTieBreaks(t *testing.T) {
	t.Parallel()
	t.Run("the lot decides between projects equal on support, cost and votes, as LotOrder says", func(t *testing.T) {
		t.Parallel()
		orders := map[string]bool{}
		for i := range 64 {
			seed := "s" + strconv.Itoa(i)
			in := outcome.Input{
				Budget: 1, VoteType: outcome.Approval, Rule: outcome.Rule{Name: outcome.Greedy}, LotSeed: seed,
				Projects: projects(t, "p:1", "q:1"),
				Ballots:  ballots(t, "p,q"),
			}
			res := mustCompute(t, in)
			lot := outcome.LotOrder(seed, []string{"p", "q"})
			if got := winnerIDs(res); !slices.Equal(got, lot[:1]) {
				t.Errorf("seed %s: winners %v, want %v", seed, got, lot[:1])
			}
			want := []outcome.TieBreak{{Projects: lot, By: outcome.TieLot}}
			if got, want := mustJSON(t, res.TieBreaks), mustJSON(t, want); got != want {
				t.Errorf("seed %s: tie-breaks %s, want %s", seed, got, want)
			}
			orders[lot[0]] = true
		}
		if len(orders) != 2 {
			t.Errorf("64 seeds all put the same project first: the lot does not depend on the seed")
		}
	})
	t.Run("a three-way tie records one tie-break per place it decides", func(t *testing.T) {
		t.Parallel()
		in := outcome.Input{
			Budget: 10, VoteType: outcome.Approval, Rule: outcome.Rule{Name: outcome.Greedy}, LotSeed: "seed",
			Projects: projects(t, "a:1", "b:2", "c:2"),
			Ballots:  ballots(t, "a,b,c"),
		}
		res := mustCompute(t, in)
		lot := outcome.LotOrder("seed", []string{"b", "c"})
		want := []outcome.TieBreak{
			{Projects: append([]string{"a"}, lot...), By: outcome.TieLowestCost},
			{Projects: lot, By: outcome.TieLot},
		}
		if got, want := mustJSON(t, res.TieBreaks), mustJSON(t, want); got != want {
			t.Errorf("tie-breaks: got %s, want %s", got, want)
		}
	})
	t.Run("no tie is recorded when supports differ", func(t *testing.T) {
		t.Parallel()
		res := mustCompute(t, outcome.Input{
			Budget: 10, VoteType: outcome.Approval, Rule: outcome.Rule{Name: outcome.Greedy},
			Projects: projects(t, "a:1", "b:1"),
			Ballots:  ballots(t, "a,b", "a"),
		})
		if len(res.TieBreaks) != 0 {
			t.Errorf("tie-breaks: got %v, want none", res.TieBreaks)
		}
	})
}

func TestLotOrder(t *testing.T) {
	t.Parallel()
	ids := []string{"a", "b", "c", "d", "e"}
	got := outcome.LotOrder("seed", ids)
	reversed := slices.Clone(ids)
	slices.Reverse(reversed)
	if again := outcome.LotOrder("seed", reversed); !slices.Equal(got, again) {
		t.Errorf("LotOrder depends on input order: %v vs %v", got, again)
	}
	sorted := slices.Clone(got)
	slices.Sort(sorted)
	if !slices.Equal(sorted, ids) {
		t.Errorf("LotOrder lost or invented ids: %v", got)
	}
	if !slices.Equal(ids, []string{"a", "b", "c", "d", "e"}) {
		t.Errorf("LotOrder modified its argument: %v", ids)
	}
}
