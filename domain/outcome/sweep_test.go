package outcome_test

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/pbledger/pbledger/domain/outcome"
)

// add1Variants computes in under add1 sequentially and then with the sweep's workers ahead (1 to 4 workers,
// whatever GOMAXPROCS is) and fails unless every Result is byte-identical to the sequential one.
func add1Variants(t *testing.T, name string, in outcome.Input) {
	t.Helper()
	in.Rule.Name = outcome.EqualSharesAdd1
	off := outcome.SetAdd1Parallel(false)
	seq := mustJSON(t, mustCompute(t, in))
	off()
	for _, n := range []int{1, 2, 3, 4} {
		restore := outcome.SetAdd1Workers(n)
		got := mustJSON(t, mustCompute(t, in))
		restore()
		if got != seq {
			t.Fatalf("%s, %d workers (GOMAXPROCS %d): the sweep differs from the sequential completion\n%s\n%s",
				name, n, runtime.GOMAXPROCS(0), got, seq)
		}
	}
}

// TestEqualSharesAdd1SweepMatchesSequential checks that computing the add1 completion's fast passes ahead on
// several workers (fastSweep) gives exactly the Result of the sequential completion: on random districts, on
// the synthetic one at two sizes, on instances where the completion jumps (so that speculative steps are
// thrown away mid-window), and on every shipped real file with approval or choose-one ballots. Run it with
// -race and -cpu 1,2,4: the Result must not depend on the scheduling. It switches package settings, so it does
// not run in parallel.
func TestEqualSharesAdd1SweepMatchesSequential(t *testing.T) {
	rng := rand.New(rand.NewPCG(2026, 12))
	for i := range 30 {
		in := outcome.Input{VoteType: outcome.Approval, LotSeed: "s"}
		np := 2 + rng.IntN(25)
		var total int64
		for j := range np {
			c := int64(1 + rng.IntN(50_000))
			total += c
			in.Projects = append(in.Projects, outcome.Project{ID: fmt.Sprintf("p%d", j), Cost: c})
		}
		in.Budget = total/4 + int64(rng.IntN(int(total/2)+1))
		nb := 5 + rng.IntN(300)
		for k := range nb {
			b := outcome.Ballot{Voter: fmt.Sprint(k)}
			for _, j := range rng.Perm(np)[:1+rng.IntN(min(np, 6))] {
				b.Choices = append(b.Choices, outcome.Choice{Project: fmt.Sprintf("p%d", j)})
			}
			in.Ballots = append(in.Ballots, b)
		}
		// Steps of about 1/30 of the per-voter budget at most, so that the completion takes tens of steps.
		in.Rule.Increment = 1 + total/int64(nb)/30 + int64(rng.IntN(3))
		add1Variants(t, fmt.Sprintf("random %d", i), in)
	}
	for _, patience := range []int{2, 256} {
		restore := outcome.SetAdd1Patience(patience)
		for _, size := range [][2]int{{300, 12}, {3000, 40}} {
			in := syntheticDistrict(size[0], size[1])
			in.Budget = in.Budget * 3 / 2
			add1Variants(t, fmt.Sprintf("synthetic %v, patience %d", size, patience), in)
		}
		restore()
	}
	for _, path := range dataFiles(t) {
		_, in := mustLoad(t, path)
		if in.VoteType != outcome.Approval && in.VoteType != outcome.ChooseOne {
			continue
		}
		add1Variants(t, filepath.Base(path), in)
	}
}
