package outcome_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/pbledger/pbledger/domain/outcome"
)

// advDistrictScaled is advDistrict with per-voter budgets around base (e.g. near 2^27) and costs such that the
// completion overspends within a few hundred steps, and a random tie-break order.
func advDistrictScaled(rng *rand.Rand, base int64) outcome.Input {
	in := advDistrict(rng)
	n := int64(len(in.Ballots))
	span := int64(1 + rng.IntN(400))
	for i := range in.Projects {
		if in.Projects[i].Cost == 0 {
			continue
		}
		in.Projects[i].Cost = (base-span)*int64(1+rng.IntN(int(n))) + rng.Int64N(span*n+1)
		in.Projects[i].Position = 1 + rng.IntN(5)
	}
	var total int64
	for _, p := range in.Projects {
		total += p.Cost
	}
	in.Budget = total/4 + rng.Int64N(total/2+1)
	in.Rule.TieBreak = []string{"", outcome.TieOrderHighestCost, outcome.TieOrderListOrder}[rng.IntN(3)]
	return in
}

// TestAdversarialAdd1ShortcutsMatchExactStepping compares the whole result (decisions, per-voter budget, tie
// breaks) with every shortcut on and eager against the exact engine stepping one increment at a time.
func TestAdversarialAdd1ShortcutsMatchExactStepping(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	for i := range 300 {
		var in outcome.Input
		switch i % 3 {
		case 0:
			in = advDistrict(rng)
			in.Rule.TieBreak = []string{"", outcome.TieOrderHighestCost, outcome.TieOrderListOrder}[rng.IntN(3)]
		case 1:
			in = advDistrictScaled(rng, 1<<27-int64(rng.IntN(3000)))
		default:
			in = advDistrictScaled(rng, int64(1+rng.IntN(1<<20)))
		}
		restoreOff := outcome.SetFastPassOff(true)
		r1 := outcome.SetAdd1Patience(8) // the reference skips only with stableUntil, exact
		r2 := outcome.SetAdd1FastPatience(1 << 40)
		r3 := outcome.SetAdd1Parallel(false)
		want := mustJSON(t, mustCompute(t, in))
		r3()
		r2()
		r1()
		restoreOff()
		for _, par := range []bool{false, true} {
			r := outcome.SetAdd1Parallel(par)
			r1 := outcome.SetAdd1Patience(1 + rng.IntN(3))
			r2 := outcome.SetAdd1FastPatience(1 + rng.IntN(2))
			got := mustJSON(t, mustCompute(t, in))
			r2()
			r1()
			r()
			if got != want {
				t.Fatalf("instance %d parallel %v:\ngot  %s\nwant %s\n%s", i, par, got, want, mustJSON(t, in))
			}
		}
		_ = fmt.Sprint
	}
}
