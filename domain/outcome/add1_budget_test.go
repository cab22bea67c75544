package outcome_test

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/pbledger/pbledger/domain/outcome"
)

// checkAdd1IsItsBudgetsRun computes in under add1 and then plain Equal Shares at the per-voter budget add1
// reported, and fails unless both decide every project alike: the same winners in the same order, the same
// share for each, the same leftovers for the others, the same ties. The add1 completion reports the run at
// its chosen budget; a share or a leftover taken from another step's run is wrong even with the right winners.
func checkAdd1IsItsBudgetsRun(t *testing.T, name string, in outcome.Input) {
	t.Helper()
	in.Rule.Name = outcome.EqualSharesAdd1
	res := mustCompute(t, in)
	b, ok := new(big.Rat).SetString(res.PerVoterBudget)
	if !ok {
		t.Fatalf("%s: per-voter budget %q", name, res.PerVoterBudget)
	}
	plain := in
	plain.Rule.Name = outcome.EqualShares
	n := big.NewRat(int64(len(in.Ballots)), 1)
	total := new(big.Rat).Mul(b, n)
	if !total.IsInt() || !total.Num().IsInt64() {
		t.Fatalf("%s: per-voter budget %s times %d ballots is not a whole budget", name, b.RatString(), len(in.Ballots))
	}
	plain.Budget = total.Num().Int64()
	want := mustCompute(t, plain)
	if got, want := mustJSON(t, res.Decisions), mustJSON(t, want.Decisions); got != want {
		t.Fatalf("%s: add1 at per-voter budget %s differs from Equal Shares run at that budget\n%s\n%s", name, b.RatString(), got, want)
	}
}

// TestEqualSharesAdd1ReportsTheRunAtItsBudget checks the outcome add1 reports against a plain run at its
// per-voter budget. Worldwide Mechanical Turk k-approval 8 (74 voters; a stretch of steps skipped by proof
// after steps the fast pass left to the exact engine) once reported, with the right winners, one winner's share
// from the step before the skipped stretch. Budapest 2024 VIII (864 voters, a per-voter budget of about 217,000
// forints raised one forint at a time) crosses long stretches that the interval fast runs skip. Random small
// districts with the completion trying to skip after every equal step, and every shipped approval file, too.
func TestEqualSharesAdd1ReportsTheRunAtItsBudget(t *testing.T) {
	for _, f := range []string{"Worldwide_Mechanical_Turk_k_approval_8.pb", "Hungary_Budapest_2024_VIII_Jozsefvaros.pb"} {
		_, in := mustLoad(t, filepath.Join("testdata", f))
		checkAdd1IsItsBudgetsRun(t, f, in)
	}
	for _, path := range dataFiles(t) {
		_, in := mustLoad(t, path)
		if in.VoteType == outcome.Approval || in.VoteType == outcome.ChooseOne {
			checkAdd1IsItsBudgetsRun(t, filepath.Base(path), in)
		}
	}
	defer outcome.SetAdd1Patience(2)()
	defer outcome.SetAdd1FastPatience(1)()
	// With the fast pass off, every step is an exact run and every skip is stableUntil's: the outcome before
	// a skip is exact, but of a smaller budget.
	for _, fastOff := range []bool{false, true} {
		restore := outcome.SetFastPassOff(fastOff)
		_, in := mustLoad(t, filepath.Join("testdata", "Worldwide_Mechanical_Turk_k_approval_8.pb"))
		checkAdd1IsItsBudgetsRun(t, fmt.Sprintf("Mechanical Turk, fast pass off %v", fastOff), in)
		rng := rand.New(rand.NewPCG(31, 12))
		for i := range 40 {
			in := randomSmallDistrict(rng)
			in.Budget = someBudget(rng, in)
			checkAdd1IsItsBudgetsRun(t, fmt.Sprintf("random %d, fast pass off %v", i, fastOff), in)
		}
		restore()
	}
}

// raceScaled is n, or a fifth of it (at least 1) under the race detector.
func raceScaled(n int) int {
	if outcome.RaceEnabled {
		return max(1, n/5)
	}
	return n
}
