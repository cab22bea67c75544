package outcome_test

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/pbledger/pbledger/domain/outcome"
)

// randomSmallDistrict draws a district with few voters and projects, cheap enough for the exact engine to
// run at hundreds of per-voter budgets.
func randomSmallDistrict(rng *rand.Rand) outcome.Input {
	in := outcome.Input{VoteType: outcome.Approval, Rule: outcome.Rule{Name: outcome.EqualShares}, LotSeed: "s", Budget: 1}
	np := 2 + rng.IntN(9)
	for j := range np {
		in.Projects = append(in.Projects, outcome.Project{ID: fmt.Sprintf("p%d", j), Cost: int64(1 + rng.IntN(5000))})
	}
	for k := range 3 + rng.IntN(40) {
		b := outcome.Ballot{Voter: fmt.Sprint(k)}
		for _, j := range rng.Perm(np)[:1+rng.IntN(np)] {
			b.Choices = append(b.Choices, outcome.Choice{Project: fmt.Sprintf("p%d", j)})
		}
		in.Ballots = append(in.Ballots, b)
	}
	return in
}

// someBudget draws a budget between half and all of what the district's projects cost together.
func someBudget(rng *rand.Rand, in outcome.Input) int64 {
	var total int64
	for _, p := range in.Projects {
		total += p.Cost
	}
	return total/2 + int64(rng.IntN(int(total/2)+1))
}

// TestIntervalFastRunAgreesWithEveryBudget checks the proof that skips stretches of the add1 completion on
// machine words (fastSameOver): whenever one fast run over an interval of per-voter budgets certifies its
// path, the exact engine funds exactly that path at every whole budget of the interval. The intervals are
// wide enough that supporters turn from rich to poor inside them, which the run must bound, not decide.
func TestIntervalFastRunAgreesWithEveryBudget(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 2026))
	var certified, wide int
	for i := range 400 {
		in := randomSmallDistrict(rng)
		x0 := int64(1 + rng.IntN(4000))
		x1 := x0 + int64(rng.IntN(1+[]int{1, 10, 100, 400}[rng.IntN(4)]))
		ok, agree, err := outcome.IntervalAgrees(in, x0, x1)
		if err != nil {
			t.Fatal(err)
		}
		if ok && !agree {
			t.Fatalf("instance %d: the interval run over [%d, %d] certified a path the exact engine does not take\n%s", i, x0, x1, mustJSON(t, in))
		}
		if ok {
			certified++
			if x1-x0 >= 10 {
				wide++
			}
		}
	}
	if certified < 100 || wide < 40 {
		t.Errorf("only %d intervals certified, %d of them of 10 budgets or more: the test does not exercise the proof", certified, wide)
	}
	t.Logf("%d intervals certified, %d of them of 10 budgets or more", certified, wide)
}

// TestEqualSharesAdd1IntervalJumpsMatchStepByStep checks the add1 completion when it skips stretches with
// interval fast runs after every pair of equal steps (and never with stableUntil), against the reference that
// tries every step, on districts with long stretches of the same winners.
func TestEqualSharesAdd1IntervalJumpsMatchStepByStep(t *testing.T) {
	defer outcome.SetAdd1FastPatience(1)()
	rng := rand.New(rand.NewPCG(99, 7))
	for i := range raceScaled(30) {
		in := randomSmallDistrict(rng)
		in.Rule = outcome.Rule{Name: outcome.EqualSharesAdd1}
		in.Budget = someBudget(rng, in)
		checkAdd1StepByStep(t, fmt.Sprintf("instance %d", i), in)
	}
}

// TestFastPassProvesTiesOfEqualVotes stresses the fast pass's exact ties: projects come in pairs that every
// ballot approves together or not at all, so that each pair has equal vote counts (ρ = 1/votes while every
// supporter can pay), with different costs, and budgets rich enough for the all-rich case to be common. Every
// certified run must replay exactly (winners, shares, ties, leftovers), and every certified interval must
// agree with the exact engine at each budget in it.
func TestFastPassProvesTiesOfEqualVotes(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 141))
	var certified, ties int
	for i := range 150 {
		in := outcome.Input{VoteType: outcome.Approval, Rule: outcome.Rule{Name: outcome.EqualShares}, LotSeed: "s", Budget: 1}
		pairs := 2 + rng.IntN(5)
		for j := range 2 * pairs {
			in.Projects = append(in.Projects, outcome.Project{ID: fmt.Sprintf("p%d", j), Cost: int64(1 + rng.IntN(3000))})
		}
		for k := range 5 + rng.IntN(40) {
			b := outcome.Ballot{Voter: fmt.Sprint(k)}
			for _, j := range rng.Perm(pairs)[:1+rng.IntN(pairs)] {
				b.Choices = append(b.Choices, outcome.Choice{Project: fmt.Sprintf("p%d", 2*j)}, outcome.Choice{Project: fmt.Sprintf("p%d", 2*j+1)})
			}
			in.Ballots = append(in.Ballots, b)
		}
		x := int64(50 + rng.IntN(3000))
		ok, agree, n, err := outcome.ReplayAgrees(in, big.NewRat(x, 1))
		if err != nil {
			t.Fatal(err)
		}
		if ok && !agree {
			t.Fatalf("instance %d, per-voter budget %d: the replay of the certified run differs from the exact run\n%s", i, x, mustJSON(t, in))
		}
		if ok {
			certified++
			ties += n
		}
		ok, agree, err = outcome.IntervalAgrees(in, x, x+int64(rng.IntN(50)))
		if err != nil {
			t.Fatal(err)
		}
		if ok && !agree {
			t.Fatalf("instance %d: an interval from %d certified a path the exact engine does not take\n%s", i, x, mustJSON(t, in))
		}
	}
	if certified < 100 || ties < 50 {
		t.Errorf("%d runs certified with %d ties between them: the test does not exercise exact ties", certified, ties)
	}
	t.Logf("%d runs certified, %d ties", certified, ties)
}
