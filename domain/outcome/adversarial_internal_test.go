package outcome

import (
	"fmt"
	"math/big"
	"math/bits"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
)

// advInstance draws adversarial small districts: pairs/triples of projects approved together (equal votes),
// repeated ballots, zero-cost projects, costs on several scales.
func advInstance(rng *rand.Rand) Input {
	scale := []int64{1, 10, 1000, 100000, 1 << 20}[rng.IntN(5)]
	return AdversarialDistrict(rng, 50*scale, 8, 30, 10)
}

// AdversarialDistrict draws a small district (Equal Shares, budget 1: the tests set both) of blocks of one to
// three projects that ballots approve together, so that projects tie in votes, each left out now and then
// (one time in skip); costs up to maxCost, some zero, some multiples of their block's; up to maxPatterns
// distinct ballots, repeated, up to maxBallots+1 of them. The external tests use it too.
func AdversarialDistrict(rng *rand.Rand, maxCost int64, maxPatterns, maxBallots, skip int) Input {
	in := Input{VoteType: Approval, Rule: Rule{Name: EqualShares}, LotSeed: fmt.Sprint(rng.IntN(1000)), Budget: 1}
	blocks := 1 + rng.IntN(5)
	per := 1 + rng.IntN(3)
	np := 0
	var blk [][]string
	for range blocks {
		var ids []string
		baseCost := 1 + rng.Int64N(maxCost)
		for range per {
			id := fmt.Sprintf("p%d", np)
			np++
			c := baseCost
			switch rng.IntN(6) {
			case 0:
				c = 0
			case 1:
				c = 1 + rng.Int64N(maxCost)
			case 2:
				c = baseCost * int64(1+rng.IntN(3))
			}
			in.Projects = append(in.Projects, Project{ID: id, Cost: c})
			ids = append(ids, id)
		}
		blk = append(blk, ids)
	}
	pats := 1 + rng.IntN(maxPatterns)
	var patterns [][]int
	for range pats {
		patterns = append(patterns, rng.Perm(blocks)[:1+rng.IntN(blocks)])
	}
	for k := range 2 + rng.IntN(maxBallots) {
		b := Ballot{Voter: fmt.Sprint(k)}
		for _, j := range patterns[rng.IntN(pats)] {
			for _, id := range blk[j] {
				if rng.IntN(skip) == 0 {
					continue // break equal votes now and then
				}
				b.Choices = append(b.Choices, Choice{Project: id})
			}
		}
		in.Ballots = append(in.Ballots, b)
	}
	return in
}

// advEngine draws advInstance, prepares it and makes its engine; total is what its candidates cost together,
// and ok is false when the district is refused or has no candidate.
func advEngine(rng *rand.Rand) (p *prepared, e *esEngine, total int64, ok bool) {
	p, err := prepare(advInstance(rng))
	if err != nil {
		return nil, nil, 0, false
	}
	e = p.newEngine()
	for _, c := range e.cost {
		total += c
	}
	return p, e, total, len(e.proj) > 0
}

func tiesEqual(a, b [][]int32) bool {
	return slices.EqualFunc(a, b, func(x, y []int32) bool { return slices.Equal(x, y) })
}

// TestAdversarialIntervalRuns: every certified interval run agrees with the exact engine at each whole budget
// (winners, cost, ties) and at a few fractional budgets.
func TestAdversarialIntervalRuns(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, advSeed()))
	var cert, tied int
	for i := range 3000 {
		p, e, total, ok := advEngine(rng)
		if !ok {
			continue
		}
		x0 := 1 + rng.Int64N(max(1, total/int64(1+rng.IntN(40))+1))
		if rng.IntN(8) == 0 {
			x0 = (1 << 27) - 1 - rng.Int64N(30)
		}
		x1 := x0 + rng.Int64N([]int64{1, 3, 20, 200}[rng.IntN(4)])
		fast, ok := e.runFastOver(x0, x1)
		if !ok {
			continue
		}
		cert++
		if len(fast.ties) > 0 {
			tied++
		}
		check := func(b *big.Rat) {
			ex := p.newEngine().run(b)
			if !slices.Equal(ex.winners, fast.winners) || ex.cost != fast.cost || !tiesEqual(ex.ties, fast.ties) {
				t.Fatalf("instance %d [%d,%d] F=%d at %s: fast %v ties %v, exact %v ties %v\n%+v", i, x0, x1, fast.f, b.RatString(), fast.winners, fast.ties, ex.winners, ex.ties, p.in)
			}
		}
		for x := x0; x <= x1 && x < x0+60; x++ {
			check(big.NewRat(x, 1))
		}
		if x1 > x0 {
			check(big.NewRat(2*x0+1, 2))
		}
	}
	t.Logf("%d certified, %d with ties", cert, tied)
}

// TestAdversarialPrefixAcrossRuns: one engine runs interval and point fast runs at shared F in random order, so
// that prefixes saved by one are resumed by others; each certified run is checked against the exact engine.
func TestAdversarialPrefixAcrossRuns(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, advSeed()))
	var cert, res int
	for i := range 1500 {
		p, e, total, ok := advEngine(rng)
		if !ok {
			continue
		}
		F := 4 + rng.IntN(20)
		for k := range 12 {
			_ = k
			x0 := 1 + rng.Int64N(max(1, total/int64(1+rng.IntN(20))+1))
			if x0 >= 1<<(30-F) {
				x0 = 1 + rng.Int64N(1<<(30-F)-1)
			}
			var lo0, hi0 uint64
			var lo, hi *big.Rat
			switch rng.IntN(3) {
			case 0: // interval of whole budgets
				x1 := x0 + rng.Int64N(20)
				if bits.Len64(uint64(x1))+F > 31 {
					continue
				}
				lo0, hi0 = uint64(x0)<<F, uint64(x1)<<F
				lo, hi = big.NewRat(x0, 1), big.NewRat(x1, 1)
			default: // a point budget x0 + a/den, rounded as runFast would at F
				den := int64(1 + rng.IntN(7))
				b := big.NewRat(x0*den+rng.Int64N(den), den)
				sc := new(big.Int).Lsh(b.Num(), uint(F))
				r := new(big.Int)
				sc.QuoRem(sc, b.Denom(), r)
				lo0 = sc.Uint64()
				hi0 = lo0
				if r.Sign() != 0 {
					hi0++
				}
				lo, hi = b, b
			}
			pre := e.fast.pre
			usable := pre.valid && pre.f == F && lo0 >= pre.lo0 && len(pre.winners) > 0
			fast, ok := e.runFastBounds(F, lo0, hi0, nil)
			if !ok {
				continue
			}
			cert++
			if usable {
				res++
			}
			for _, b := range []*big.Rat{lo, hi, new(big.Rat).Quo(new(big.Rat).Add(lo, hi), big.NewRat(2, 1))} {
				ex := p.newEngine().run(b)
				if !slices.Equal(ex.winners, fast.winners) || ex.cost != fast.cost || !tiesEqual(ex.ties, fast.ties) {
					t.Fatalf("instance %d F=%d [%d,%d] at %s (prefix usable %v, pre.lo0 %d, pre.winners %v): fast %v ties %v, exact %v ties %v\n%+v", i, F, lo0, hi0, b.RatString(), usable, pre.lo0, pre.winners, fast.winners, fast.ties, ex.winners, ex.ties, p.in)
				}
			}
		}
	}
	t.Logf("%d certified, %d after a usable prefix", cert, res)
}

// TestAdversarialFastStretch: every step fastStretch claims funds the winners of the step it started from.
func TestAdversarialFastStretch(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, advSeed()))
	var tries, jumps, steps int
	for i := range raceScaled(4000) {
		p, e, total, ok := advEngine(rng)
		if !ok {
			continue
		}
		inc := int64(1)
		if rng.IntN(3) == 0 {
			inc = 1 + rng.Int64N(50)
		}
		x := 1 + rng.Int64N(max(1, total/int64(1+rng.IntN(40))+1))
		if rng.IntN(6) == 0 {
			x = 1<<27 - rng.Int64N(1<<12)
		}
		step := x / inc
		if step == 0 {
			step = 1
		}
		w := p.newEngine().run(big.NewRat(step*inc, 1))
		tries++
		last := e.fastStretch(step, inc, w.winners)
		if last == step {
			continue
		}
		jumps++
		for s := step + 1; s <= last; s += max(1, (last-step)/50) {
			steps++
			ex := p.newEngine().run(big.NewRat(s*inc, 1))
			if !slices.Equal(ex.winners, w.winners) {
				t.Fatalf("instance %d inc %d: stretch %d..%d claimed, step %d funds %v not %v\n%+v", i, inc, step, last, s, ex.winners, w.winners, p.in)
			}
		}
		ex := p.newEngine().run(big.NewRat(last*inc, 1))
		if !slices.Equal(ex.winners, w.winners) {
			t.Fatalf("instance %d: last step %d", i, last)
		}
	}
	t.Logf("%d tries, %d jumps, %d steps checked", tries, jumps, steps)
}

// advInstanceWide multiplies ballots (large groups) and uses tiny or huge costs.
func advInstanceWide(rng *rand.Rand) Input {
	in := advInstance(rng)
	k := 1 + rng.IntN(2000)
	var bl []Ballot
	for _, b := range in.Ballots {
		for j := range 1 + rng.IntN(k) {
			bl = append(bl, Ballot{Voter: fmt.Sprintf("%s-%d", b.Voter, j), Choices: b.Choices})
		}
	}
	in.Ballots = bl
	for i := range in.Projects {
		switch rng.IntN(3) {
		case 0:
			in.Projects[i].Cost = rng.Int64N(4)
		case 1:
			in.Projects[i].Cost = rng.Int64N(1 << 40)
		}
	}
	return in
}

func TestAdversarialWideIntervals(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, advSeed()))
	var cert int
	for i := range raceScaled(600) {
		in := advInstanceWide(rng)
		p, err := prepare(in)
		if err != nil {
			continue
		}
		e := p.newEngine()
		if len(e.proj) == 0 {
			continue
		}
		var total int64
		for _, c := range e.cost {
			total += c
		}
		n := int64(len(in.Ballots))
		x0 := 1 + rng.Int64N(max(1, min(1<<26, 2*total/n/int64(1+rng.IntN(10))+1)))
		x1 := x0 + rng.Int64N([]int64{1, 3, 20, 200}[rng.IntN(4)])
		fast, ok := e.runFastOver(x0, x1)
		if !ok {
			continue
		}
		cert++
		for x := x0; x <= x1; x += max(1, (x1-x0)/8) {
			ex := p.newEngine().run(big.NewRat(x, 1))
			if !slices.Equal(ex.winners, fast.winners) || ex.cost != fast.cost || !tiesEqual(ex.ties, fast.ties) {
				t.Fatalf("instance %d [%d,%d] at %d: fast %v ties %v, exact %v ties %v", i, x0, x1, x, fast.winners, fast.ties, ex.winners, ex.ties)
			}
		}
	}
	t.Logf("%d certified", cert)
}

// advSeed is OUTCOME_ADVERSARIAL_SEED from the environment (default 2), to run the adversarial tests over other draws.
func advSeed() uint64 {
	n, err := strconv.ParseUint(os.Getenv("OUTCOME_ADVERSARIAL_SEED"), 10, 64)
	if err != nil {
		return 2
	}
	return n
}
