package outcome_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/pbledger/pbledger/domain/outcome"
)

// advDistrict is outcome.AdversarialDistrict under add1, with a budget from a third of the projects' total
// cost to four thirds of it, and now and then an increment above 1.
func advDistrict(rng *rand.Rand) outcome.Input {
	in := outcome.AdversarialDistrict(rng, 3000, 6, 25, 12)
	in.Rule.Name = outcome.EqualSharesAdd1
	var total int64
	for _, p := range in.Projects {
		total += p.Cost
	}
	in.Budget = total/3 + int64(rng.IntN(int(total+1)))
	if rng.IntN(3) == 0 {
		in.Rule.Increment = int64(1 + rng.IntN(9))
	}
	return in
}

func TestAdversarialAdd1MatchesStepByStep(t *testing.T) {
	defer outcome.SetAdd1FastPatience(1)()
	defer outcome.SetAdd1Patience(3)()
	for _, par := range []bool{false, true} {
		restore := outcome.SetAdd1Parallel(par)
		rng := rand.New(rand.NewPCG(5, uint64(len(fmt.Sprint(par)))))
		for i := range raceScaled(50) {
			in := advDistrict(rng)
			res := mustCompute(t, in)
			want, wantB := refEqualShares(in, true)
			if got := winnerIDs(res); !slices.Equal(got, want) || res.PerVoterBudget != wantB.RatString() {
				t.Fatalf("par %v instance %d: got %v at %s, step by step %v at %s\n%s", par, i, got, res.PerVoterBudget, want, wantB.RatString(), mustJSON(t, in))
			}
			checkAdd1IsItsBudgetsRun(t, fmt.Sprintf("par %v instance %d", par, i), in)
		}
		restore()
	}
}
