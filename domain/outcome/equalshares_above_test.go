package outcome

import (
	"encoding/json"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"
)

// exactShareOverUpper is q(hi) in units of 2^-F, exactly: the least q with Σ min(hiᵢ, q)·mᵢ ≥ cost·2^F over
// c's supporters in the fast state, with hiᵢ the upper bound of each group's budget; nil when even Σ hiᵢ·mᵢ is
// less.
func exactShareOverUpper(e *esEngine, c int32, F int) *big.Rat {
	type pair struct{ h, m uint64 }
	var ps []pair
	for _, g := range e.fast.supp[c] { // the run's list: it drops the groups that had nothing left
		gr := e.fast.grp[g]
		ps = append(ps, pair{gr.hi(), uint64(gr.m)})
	}
	slices.SortFunc(ps, func(a, b pair) int { return new(big.Int).SetUint64(a.h).Cmp(new(big.Int).SetUint64(b.h)) })
	x := new(big.Int).Lsh(big.NewInt(e.cost[c]), uint(F)) // cost left for the rich to pay
	var r uint64
	for _, p := range ps {
		r += p.m
	}
	for _, p := range ps {
		// Everyone from p on pays q = x/r if that is at most p's budget.
		if r == 0 {
			break
		}
		q := new(big.Rat).SetFrac(x, new(big.Int).SetUint64(r))
		if q.Cmp(new(big.Rat).SetInt(new(big.Int).SetUint64(p.h))) <= 0 {
			return q
		}
		x.Sub(x, new(big.Int).Mul(new(big.Int).SetUint64(p.h), new(big.Int).SetUint64(p.m)))
		r -= p.m
	}
	return nil
}

// TestFastAboveProvesExactlyWhatHolds: on random budget bounds, fastAbove proves c worse than best exactly when
// q(hi) > T (T being best's upper bound of ρ times c's cost; q(hi) is infinite when c is unaffordable), calls c
// unaffordable only when it is, and the lower bound it leaves is at most q(hi).
func TestFastAboveProvesExactlyWhatHolds(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, advSeed()))
	proven, unaffordable, unsure := 0, 0, 0
	for i := range raceScaled(3000) {
		_, e, _, ok := advEngine(rng)
		if !ok || len(e.proj) < 2 {
			continue
		}
		F := 20 + rng.IntN(20)
		x := uint64(1 + rng.Int64N(1<<20))
		if _, ok := e.runFastBounds(F, x<<F, x<<F, nil); !ok {
			continue // only to size the state; its outcome does not matter
		}
		s := &e.fast
		top := uint64(1) << (F + 21)
		for g := range s.grp {
			switch rng.IntN(4) {
			case 0:
				s.grp[g].lo, s.grp[g].d = 0, 0
			case 1:
				s.grp[g].lo, s.grp[g].d = 0, uint32(rng.IntN(1000))
			default:
				s.grp[g].lo, s.grp[g].d = rng.Uint64N(top), uint32(rng.IntN(1<<20))
			}
		}
		best, c := int32(rng.IntN(len(e.proj))), int32(rng.IntN(len(e.proj)))
		if best == c || e.cost[c] == 0 || e.cost[best] == 0 {
			continue
		}
		s.qhi[best] = rng.Uint64N(top) / uint64(1+rng.IntN(100))
		s.lbq[c] = 0
		T := new(big.Rat).SetFrac(new(big.Int).Mul(new(big.Int).SetUint64(s.qhi[best]), big.NewInt(e.cost[c])), big.NewInt(int64(s.den[best])))
		if !T.IsInt() {
			T.SetInt(new(big.Int).Add(new(big.Int).Quo(T.Num(), T.Denom()), bigOne)) // ⌈·⌉
		}
		q := exactShareOverUpper(e, c, F)
		res := e.fastAbove(c, best)
		switch res {
		case aboveUnaffordable:
			unaffordable++
			if q != nil {
				t.Fatalf("case %d: unaffordable, but q(hi) = %s", i, q.RatString())
			}
		case aboveProven:
			proven++
			if q == nil {
				break // q(hi) is infinite: above T and above any bound
			}
			if q.Cmp(T) <= 0 {
				t.Fatalf("case %d: proven, but q(hi) = %s ≤ T = %s", i, q.RatString(), T.RatString())
			}
			if lb := new(big.Rat).SetInt(new(big.Int).SetUint64(s.lbq[c])); lb.Cmp(q) > 0 {
				t.Fatalf("case %d: lower bound %s above q(hi) = %s", i, lb.RatString(), q.RatString())
			}
		default:
			unsure++
			if q == nil || q.Cmp(T) > 0 {
				t.Fatalf("case %d: not proven, but q(hi) = %v > T = %s", i, q, T.RatString())
			}
		}
	}
	t.Logf("proven %d, unaffordable %d, unsure %d", proven, unaffordable, unsure)
	if proven == 0 || unaffordable == 0 || unsure == 0 {
		t.Errorf("some outcome never happened: proven %d, unaffordable %d, unsure %d", proven, unaffordable, unsure)
	}
}

// TestFastAboveAndHintsChangeNoOutcome: Equal Shares with add1 gives byte-identical results with and without
// fastAbove and the hints (which only change the order and the kind of the fast pass's evaluations), on random
// small districts and on larger ones shaped like a city's, where they do most of the work.
func TestFastAboveAndHintsChangeNoOutcome(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, advSeed()))
	for i := range raceScaled(240) {
		in := advInstance(rng)
		in.Budget = 1 + rng.Int64N(5000)
		if i%40 == 0 {
			in = cityDistrict(rng, 300+rng.IntN(1500), 5+rng.IntN(40))
		}
		in.Rule = Rule{Name: EqualSharesAdd1}
		on, errOn := Compute(in)
		fastAboveOff = true
		off, errOff := Compute(in)
		fastAboveOff = false
		if (errOn != nil) != (errOff != nil) {
			t.Fatalf("case %d: errors differ: %v / %v", i, errOn, errOff)
		}
		if errOn == nil {
			a, _ := json.Marshal(on)
			b, _ := json.Marshal(off)
			if string(a) != string(b) {
				t.Fatalf("case %d: the outcomes differ:\n%s\n%s", i, a, b)
			}
		}
	}
}

// cityDistrict draws approval ballots shaped like a city's (as the benchmark's synthetic district): popularity
// falling off with the project number, 1–15 projects a ballot, costs from 1 to 100 per ballot, budget 20 per
// ballot.
func cityDistrict(rng *rand.Rand, ballots, projects int) Input {
	in := Input{Budget: int64(ballots) * 20, VoteType: Approval, LotSeed: "city"}
	weights := make([]int, projects)
	total := 0
	for j := range projects {
		in.Projects = append(in.Projects, Project{ID: "p" + string(rune('A'+j/26)) + string(rune('a'+j%26)), Cost: int64(ballots) * (1 + rng.Int64N(100))})
		weights[j] = 1000/(j+1) + 20
		total += weights[j]
	}
	for i := range ballots {
		seen := map[int]bool{}
		var cs []Choice
		for range 1 + rng.IntN(min(15, projects)) {
			x := rng.IntN(total)
			j := 0
			for x >= weights[j] {
				x -= weights[j]
				j++
			}
			if !seen[j] {
				seen[j] = true
				cs = append(cs, Choice{Project: in.Projects[j].ID})
			}
		}
		in.Ballots = append(in.Ballots, Ballot{Voter: "v" + string(rune('0'+i%10)) + big.NewInt(int64(i)).String(), Choices: cs})
	}
	return in
}
