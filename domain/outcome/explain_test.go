package outcome_test

import (
	"testing"

	"github.com/pbledger/pbledger/domain/outcome"
)

func TestExplainSaysWhyInNumbers(t *testing.T) {
	t.Parallel()
	t.Run("greedy: the money left at each turn", func(t *testing.T) {
		t.Parallel()
		in := outcome.Input{Budget: 10, VoteType: outcome.Approval, Rule: outcome.Rule{Name: outcome.Greedy},
			Projects: projects(t, "a:6", "b:5", "c:4", "d:1"), Ballots: ballots(t, "a,b,c", "a,b", "a")}
		ex, err := outcome.Explain(in, mustCompute(t, in), outcome.ExplainOptions{MaxRecounts: 100})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int64{"a": 10, "b": 4, "c": 4}
		for _, e := range ex {
			w, ok := want[e.Project]
			switch {
			case ok && (e.Left == nil || *e.Left != w):
				t.Errorf("%s: left %v, want %d", e.Project, e.Left, w)
			case !ok && e.Left != nil:
				t.Errorf("%s (no votes): left %d, want none", e.Project, *e.Left)
			case e.SupportersCanPay != "" || e.FundedAtCost != nil:
				t.Errorf("%s: Equal Shares numbers under greedy: %+v", e.Project, e)
			}
		}
	})
	t.Run("equal shares: what the supporters could pay, and the cost that would have won", func(t *testing.T) {
		t.Parallel()
		// Four voters with 25 each: a (60) is paid by its three supporters, 20 each. b (50) has one supporter;
		// the completion raises the per-voter budget to 49, where b is still unaffordable and 50 would overspend.
		// At any cost up to 40, b would have been funded (60 + 40 = the budget).
		in := outcome.Input{Budget: 100, VoteType: outcome.Approval, Rule: outcome.Rule{Name: outcome.EqualSharesAdd1},
			Projects: projects(t, "a:60", "b:50"), Ballots: ballots(t, "a", "a", "a", "b")}
		res := mustCompute(t, in)
		if got := winnerIDs(res); len(got) != 1 || got[0] != "a" || res.PerVoterBudget != "49" {
			t.Fatalf("winners %v at per-voter budget %s, want [a] at 49", got, res.PerVoterBudget)
		}
		ex, err := outcome.Explain(in, res, outcome.ExplainOptions{MaxRecounts: 100})
		if err != nil {
			t.Fatal(err)
		}
		byID := map[string]outcome.Explanation{}
		for _, e := range ex {
			byID[e.Project] = e
		}
		if a := byID["a"]; a.SupportersCanPay != "87" || a.FundedAtCost != nil {
			t.Errorf("a: %+v, want its supporters to have 3×(49−20) = 87 left and no cost to find", a)
		}
		if b := byID["b"]; b.SupportersCanPay != "49" || b.FundedAtCost == nil || *b.FundedAtCost != 40 {
			t.Errorf("b: can pay %s, funded at %v; want 49 and 40", b.SupportersCanPay, b.FundedAtCost)
		}
		ex, err = outcome.Explain(in, res, outcome.ExplainOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ex {
			if e.FundedAtCost != nil {
				t.Errorf("%s: a cost found with no recounts allowed", e.Project)
			}
		}
	})
}
