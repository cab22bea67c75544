package outcome_test

import (
	"slices"
	"testing"

	"github.com/pbledger/pbledger/domain/outcome"
)

// equalSharesExample is one of the two worked examples on equalshares.net/explanation: 11 voters, a budget of
// 1100, five projects. Voter columns there, left to right, are v1…v11 here.
func equalSharesExample(t *testing.T, n int, rule outcome.RuleName) outcome.Input {
	t.Helper()
	in := outcome.Input{
		Budget: 1100, VoteType: outcome.Approval, Rule: outcome.Rule{Name: rule},
		Projects: projects(t, "bike:700", "gym:400", "park:250", "playground:200", "library:100"),
	}
	switch n {
	case 1: // bike: v1–v6, v11; gym: v1–v6; park: v2 v4 v5 v7 v10; playground: v7–v10; library: v7 v9 v10
		in.Ballots = ballots(t, "bike,gym", "bike,gym,park", "bike,gym", "bike,gym,park", "bike,gym,park", "bike,gym",
			"park,playground,library", "playground", "playground,library", "park,playground,library", "bike")
	case 2: // as example 1, but v11 votes for the gym instead of the bike path
		in.Ballots = ballots(t, "bike,gym", "bike,gym,park", "bike,gym", "bike,gym,park", "bike,gym,park", "bike,gym",
			"park,playground,library", "playground", "playground,library", "park,playground,library", "gym")
	}
	return in
}

func TestEqualShares(t *testing.T) {
	t.Parallel()
	type want struct {
		winners   []string
		shares    map[string]string
		perVoter  string
		reasons   map[string]string
		details   map[string]string
		ranks     map[string]int
		ties      []outcome.TieBreak
		totalCost int64
	}
	tests := []struct {
		name string
		in   outcome.Input
		want want
	}{
		{
			name: "equalshares.net example 1 funds the bike path, then the kids' projects",
			in:   equalSharesExample(t, 1, outcome.EqualShares),
			want: want{
				winners:  []string{"bike", "playground", "library"},
				shares:   map[string]string{"bike": "100", "playground": "50", "library": "100/3"},
				perVoter: "100",
				reasons:  map[string]string{"gym": outcome.ReasonUnaffordable, "park": outcome.ReasonUnaffordable},
				details: map[string]string{
					"gym":  "its supporters had 0 left; it costs 400",
					"park": "its supporters had 100/3 left; it costs 250",
				},
				ranks:     map[string]int{"bike": 1, "playground": 2, "library": 3, "gym": 0, "park": 0},
				totalCost: 1000,
			},
		},
		{
			name: "equalshares.net example 2 splits the park's cost unequally",
			in:   equalSharesExample(t, 2, outcome.EqualShares),
			want: want{
				winners:   []string{"gym", "park", "playground"},
				shares:    map[string]string{"gym": "400/7", "park": "425/7", "playground": "425/7"},
				perVoter:  "100",
				reasons:   map[string]string{"bike": outcome.ReasonUnaffordable, "library": outcome.ReasonUnaffordable},
				totalCost: 850,
			},
		},
		{
			// By hand: the outcome stays {bike, playground, library} for per-voter budgets 100…129; at 130 the
			// park becomes affordable after the playground and beats the library, and the outcome costs 1150.
			name: "add1 keeps the last per-voter budget before the outcome overspends",
			in:   equalSharesExample(t, 1, outcome.EqualSharesAdd1),
			want: want{
				winners:   []string{"bike", "playground", "library"},
				shares:    map[string]string{"bike": "100", "playground": "50", "library": "100/3"},
				perVoter:  "129",
				totalCost: 1000,
			},
		},
		{
			name: "add1 raises by Rule.Increment",
			in: func() outcome.Input {
				in := equalSharesExample(t, 1, outcome.EqualSharesAdd1)
				in.Rule.Increment = 10
				return in
			}(),
			want: want{winners: []string{"bike", "playground", "library"}, perVoter: "120", totalCost: 1000},
		},
		{
			name: "add1 starts from the exact fraction budget/ballots and stops once everything is funded",
			in: outcome.Input{
				Budget: 10, VoteType: outcome.Approval, Rule: outcome.Rule{Name: outcome.EqualSharesAdd1},
				Projects: projects(t, "a:4", "b:4"),
				Ballots:  ballots(t, "a", "a", "b"),
			},
			// 10/3 each: a costs 4 and its two supporters hold 20/3, so a is funded; b's one supporter holds 10/3.
			// At 4 per voter b is funded too, and with everything funded the completion stops.
			want: want{winners: []string{"a", "b"}, perVoter: "4", totalCost: 8},
		},
		{
			name: "free projects with supporters are funded first, at no charge",
			in: outcome.Input{
				Budget: 10, VoteType: outcome.Approval, Rule: outcome.Rule{Name: outcome.EqualShares},
				Projects: projects(t, "a:10", "free:0"),
				Ballots:  ballots(t, "a", "a,free"),
			},
			want: want{winners: []string{"free", "a"}, shares: map[string]string{"free": "0", "a": "5"}, perVoter: "5", totalCost: 10},
		},
		{
			name: "equal ρ is a tie: the cheaper project goes first",
			in: outcome.Input{
				Budget: 40, VoteType: outcome.Approval, Rule: outcome.Rule{Name: outcome.EqualShares},
				Projects: projects(t, "a:10", "b:20"),
				Ballots:  ballots(t, "a", "a", "b", "b"),
			},
			want: want{
				winners: []string{"a", "b"}, perVoter: "10", totalCost: 30,
				ties: []outcome.TieBreak{{Projects: []string{"a", "b"}, By: outcome.TieLowestCost}},
			},
		},
		{
			name: "without ballots nothing is funded and there is no per-voter budget",
			in: outcome.Input{
				Budget: 40, VoteType: outcome.Approval, Rule: outcome.Rule{Name: outcome.EqualSharesAdd1},
				Projects: projects(t, "a:10"),
			},
			want: want{winners: []string{}, reasons: map[string]string{"a": outcome.ReasonNoSupporters}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := mustCompute(t, tt.in)
			if got := winnerIDs(res); !slices.Equal(got, tt.want.winners) {
				t.Errorf("winners: got %v, want %v", got, tt.want.winners)
			}
			if res.PerVoterBudget != tt.want.perVoter {
				t.Errorf("per-voter budget: got %q, want %q", res.PerVoterBudget, tt.want.perVoter)
			}
			if res.TotalCost != tt.want.totalCost {
				t.Errorf("total cost: got %d, want %d", res.TotalCost, tt.want.totalCost)
			}
			for id, want := range tt.want.shares {
				if got := mustDecision(t, res, id).Share; got != want {
					t.Errorf("share of %s: got %q, want %q", id, got, want)
				}
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
			if got, want := mustJSON(t, res.TieBreaks), mustJSON(t, tt.want.ties); got != want {
				t.Errorf("tie-breaks: got %s, want %s", got, want)
			}
			if res.PerVoterBudget != "" {
				checkPayments(t, tt.in, res)
			}
		})
	}
}

// checkPayments checks, with the independent replay, that no ballot pays more than the per-voter budget and
// that the payments add up to the cost of the winners.
func checkPayments(tb testing.TB, in outcome.Input, res outcome.Result) {
	tb.Helper()
	paid, err := outcome.EqualSharesPayments(in, res)
	if err != nil {
		tb.Fatalf("EqualSharesPayments: %v", err)
	}
	b := rat(tb, res.PerVoterBudget)
	total := rat(tb, "0")
	for i, p := range paid {
		if p.Sign() < 0 || p.Cmp(b) > 0 {
			tb.Errorf("ballot %d paid %s; the per-voter budget is %s", i, p.RatString(), res.PerVoterBudget)
		}
		total.Add(total, p)
	}
	if total.Cmp(rat(tb, "0").SetInt64(res.TotalCost)) != 0 {
		tb.Errorf("payments add up to %s; the winners cost %d", total.RatString(), res.TotalCost)
	}
}

func TestEqualSharesTieByLot(t *testing.T) {
	t.Parallel()
	in := outcome.Input{
		Budget: 20, VoteType: outcome.Approval, Rule: outcome.Rule{Name: outcome.EqualShares}, LotSeed: "draw-2024",
		Projects: projects(t, "a:10", "b:10"),
		Ballots:  ballots(t, "a,b", "a,b"),
	}
	res := mustCompute(t, in)
	lot := outcome.LotOrder("draw-2024", []string{"a", "b"})
	if got := winnerIDs(res); !slices.Equal(got, lot) {
		t.Errorf("winners: got %v, want the lot's order %v", got, lot)
	}
	want := []outcome.TieBreak{{Projects: lot, By: outcome.TieLot}}
	if got, want := mustJSON(t, res.TieBreaks), mustJSON(t, want); got != want {
		t.Errorf("tie-breaks: got %s, want %s", got, want)
	}
}

func TestEqualSharesComparison(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      outcome.Input
		winners []string
		cmp     outcome.Comparison
	}{
		{
			// Equal Shares funds bike, playground, library; greedy funds bike and gym. v1–v6 get two projects
			// from greedy and one from Equal Shares; v7–v10 get one or two from Equal Shares and none from greedy.
			name:    "greedy wins when more ballots prefer it (equalshares.net example 1)",
			in:      equalSharesExample(t, 1, outcome.EqualSharesComparison),
			winners: []string{"bike", "gym"},
			cmp:     outcome.Comparison{PreferEqualShares: 4, PreferGreedy: 6, Chosen: outcome.Greedy},
		},
		{
			name:    "Equal Shares stays when more ballots prefer it (equalshares.net example 2)",
			in:      equalSharesExample(t, 2, outcome.EqualSharesComparison),
			winners: []string{"gym", "park", "playground"},
			cmp:     outcome.Comparison{PreferEqualShares: 4, PreferGreedy: 3, Chosen: outcome.EqualShares},
		},
		{
			name:    "the add1 variant compares the completed outcome",
			in:      equalSharesExample(t, 2, outcome.EqualSharesAdd1Comparison),
			winners: nil, // checked against EqualSharesAdd1 below
			cmp:     outcome.Comparison{Chosen: outcome.EqualSharesAdd1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := mustCompute(t, tt.in)
			if res.Comparison == nil {
				t.Fatalf("no comparison in the result")
			}
			if tt.winners != nil {
				if got := winnerIDs(res); !slices.Equal(got, tt.winners) {
					t.Errorf("winners: got %v, want %v", got, tt.winners)
				}
				if *res.Comparison != tt.cmp {
					t.Errorf("comparison: got %+v, want %+v", *res.Comparison, tt.cmp)
				}
			} else if res.Comparison.Chosen != tt.cmp.Chosen {
				t.Errorf("chosen: got %s, want %s", res.Comparison.Chosen, tt.cmp.Chosen)
			}
			if res.Comparison.Chosen == outcome.Greedy && res.PerVoterBudget != "" {
				t.Errorf("per-voter budget %q reported for a greedy outcome", res.PerVoterBudget)
			}
		})
	}
	t.Run("the alias equalshares/add1/greedy computes the same as equalshares/add1-comparison", func(t *testing.T) {
		t.Parallel()
		a := mustCompute(t, equalSharesExample(t, 1, outcome.EqualSharesAdd1Greedy))
		b := mustCompute(t, equalSharesExample(t, 1, outcome.EqualSharesAdd1Comparison))
		a.Rule, b.Rule, a.InputDigest, b.InputDigest = outcome.Rule{}, outcome.Rule{}, "", ""
		if got, want := mustJSON(t, a), mustJSON(t, b); got != want {
			t.Errorf("alias differs:\n got %s\nwant %s", got, want)
		}
	})
	t.Run("the add1 comparison keeps the add1 winners when Equal Shares is preferred", func(t *testing.T) {
		t.Parallel()
		cmp := mustCompute(t, equalSharesExample(t, 2, outcome.EqualSharesAdd1Comparison))
		add1 := mustCompute(t, equalSharesExample(t, 2, outcome.EqualSharesAdd1))
		if !slices.Equal(winnerIDs(cmp), winnerIDs(add1)) || cmp.PerVoterBudget != add1.PerVoterBudget {
			t.Errorf("comparison kept %v at %s; add1 gives %v at %s", winnerIDs(cmp), cmp.PerVoterBudget, winnerIDs(add1), add1.PerVoterBudget)
		}
	})
}

func TestEqualSharesPaymentsRefusesGreedyResults(t *testing.T) {
	t.Parallel()
	in := equalSharesExample(t, 1, outcome.Greedy)
	if _, err := outcome.EqualSharesPayments(in, mustCompute(t, in)); err == nil {
		t.Errorf("got no error for a greedy result")
	}
}

func TestEqualSharesAdd1WithHugeNumbers(t *testing.T) {
	t.Parallel()
	const huge = int64(1) << 62
	in := outcome.Input{
		Budget: huge, VoteType: outcome.Approval, Rule: outcome.Rule{Name: outcome.EqualSharesAdd1},
		Projects: projects(t, "a:4611686018427387904", "b:4611686018427387904", "c:3"),
		Ballots:  ballots(t, "a", "b", "c", "a,b"),
	}
	res := mustCompute(t, in)
	if res.TotalCost > huge || len(res.Winners) == 0 {
		t.Errorf("spent %d of %d on %v", res.TotalCost, huge, winnerIDs(res))
	}
	checkPayments(t, in, res)
}
