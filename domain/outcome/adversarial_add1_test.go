package outcome_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/pbledger/pbledger/domain/outcome"
)

func advDistrict(rng *rand.Rand) outcome.Input {
	in := outcome.Input{VoteType: outcome.Approval, Rule: outcome.Rule{Name: outcome.EqualSharesAdd1}, LotSeed: fmt.Sprint(rng.IntN(100))}
	blocks := 1 + rng.IntN(5)
	per := 1 + rng.IntN(3)
	np := 0
	var blk [][]string
	for range blocks {
		var ids []string
		base := int64(1 + rng.IntN(3000))
		for range per {
			id := fmt.Sprintf("p%d", np)
			np++
			c := base
			switch rng.IntN(6) {
			case 0:
				c = 0
			case 1:
				c = int64(1 + rng.IntN(3000))
			case 2:
				c = base * int64(1+rng.IntN(3))
			}
			in.Projects = append(in.Projects, outcome.Project{ID: id, Cost: c})
			ids = append(ids, id)
		}
		blk = append(blk, ids)
	}
	pats := 1 + rng.IntN(6)
	var patterns [][]int
	for range pats {
		patterns = append(patterns, rng.Perm(blocks)[:1+rng.IntN(blocks)])
	}
	for k := range 2 + rng.IntN(25) {
		b := outcome.Ballot{Voter: fmt.Sprint(k)}
		for _, j := range patterns[rng.IntN(pats)] {
			for _, id := range blk[j] {
				if rng.IntN(12) == 0 {
					continue
				}
				b.Choices = append(b.Choices, outcome.Choice{Project: id})
			}
		}
		in.Ballots = append(in.Ballots, b)
	}
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
