package outcome

import (
	"math/big"
	"slices"
)

// Skipping flat stretches of the add1 completion.
//
// The completion tries per-voter budgets one step apart until the outcome overspends. Sometimes nothing can
// change for a long way: everything cheap is funded and the only projects left become affordable to their few
// supporters at a per-voter budget thousands of steps higher. stableUntil proves how far the outcome stays the
// same, so the completion can jump there instead of recomputing every step. The completion first tries the
// cheaper proof on machine words, fast runs over intervals of budgets (fastSameOver); stableUntil, exact and
// unbounded, also proves that an outcome never changes again, which no interval can.
//
// It runs Equal Shares at per-voter budget b with every amount kept as an exact affine function of the
// per-voter budget x — every voter starts with x, a share q(x) = (cost − Σ poor budgets)/rich is affine when
// the split into poor and rich is fixed, and so is every budget after paying. Each decision the method takes
// compares two such functions: a supporter's budget with the share (poor or rich), a project's ρ with the
// best one's, a lower bound with the best ρ, what the supporters hold with the cost. Each comparison keeps its
// answer until the two functions meet; the first meeting point above b, U, bounds the stretch where the
// method takes exactly the same path, so every per-voter budget in [b, U) gives the same winners.

// affine is a + s·x.
type affine struct{ a, s big.Rat }

// jumpState is stableUntil's working state.
type jumpState struct {
	e      *esEngine
	b      *big.Rat
	u      *big.Rat // the bound found so far; nil while unbounded
	min    *big.Rat // a bound at or below min is useless: stop as soon as u reaches it
	done   bool
	val    []big.Rat
	aff    []affine
	lb     []affine  // candidate → ρ as a function of x, from its last evaluation (a lower bound of ρ now)
	lbv    []big.Rat // candidate → lb at b
	q      []affine  // candidate → its share at its last evaluation
	qv     []big.Rat
	rich   []int32
	state  []uint8
	heap   []int32
	isRich []bool
	tmp    big.Rat
}

// stableUntil returns U > b such that Equal Shares funds the same projects, in the same order, for every
// per-voter budget in [b, U); nil when the path never changes. It gives up, returning a bound at or below
// min, as soon as it finds a decision that may change before min: the caller cannot use such a bound.
func (e *esEngine) stableUntil(b, min *big.Rat) *big.Rat {
	j := &jumpState{e: e, b: b, min: min}
	ng, nc := len(e.gm), len(e.proj)
	j.val, j.aff = make([]big.Rat, ng), make([]affine, ng)
	for g := range ng {
		j.val[g].Set(b)
		j.aff[g].s.SetInt64(1)
	}
	j.lb, j.lbv = make([]affine, nc), make([]big.Rat, nc)
	j.q, j.qv = make([]affine, nc), make([]big.Rat, nc)
	j.state = make([]uint8, nc)
	for c := range nc {
		if e.cost[c] > 0 {
			j.lb[c].a.SetFrac64(1, e.votes[c]) // ρ ≥ 1/votes whatever x is
			j.lbv[c].Set(&j.lb[c].a)
		}
		j.heap = append(j.heap, int32(c))
	}
	var evaluated, tied []int32
	for {
		slices.SortFunc(j.heap, func(x, y int32) int { return j.lbv[x].Cmp(&j.lbv[y]) })
		best := int32(-1)
		evaluated, tied = evaluated[:0], tied[:0]
		k := 0
		for ; k < len(j.heap); k++ {
			c := j.heap[k]
			if best >= 0 && j.lbv[c].Cmp(&j.lbv[best]) > 0 {
				break
			}
			ok := j.evaluate(c)
			if j.done {
				return j.u
			}
			if !ok {
				j.state[c] = esUnaffordable
				continue
			}
			evaluated = append(evaluated, c)
			switch {
			case best < 0 || j.lbv[c].Cmp(&j.lbv[best]) < 0:
				best, tied = c, append(tied[:0], c)
			case j.lbv[c].Cmp(&j.lbv[best]) == 0:
				tied = append(tied, c)
			}
		}
		if best < 0 {
			return j.u
		}
		if len(tied) > 1 {
			slices.SortFunc(tied, func(x, y int32) int { return e.p.tieCmp(e.proj[x], e.proj[y]) })
			best = tied[0]
		}
		// The best must stay ahead of every project evaluated this round and of every lower bound not reached.
		for _, c := range evaluated {
			if c != best {
				j.keepAhead(best, c)
			}
		}
		for _, c := range j.heap[k:] {
			j.keepAhead(best, c)
		}
		if j.done {
			return j.u
		}
		rest := j.heap[:0]
		for _, c := range j.heap {
			if c != best && j.state[c] != esUnaffordable {
				rest = append(rest, c)
			}
		}
		j.heap = rest
		j.fund(best)
	}
}

// keepAhead records that best's ρ must stay at most c's (ρ or lower bound): an equal ρ at b is fine when the
// two stay equal (the tie-break, which does not depend on x, keeps deciding for best) or c's grows faster.
func (j *jumpState) keepAhead(best, c int32) {
	var dv, ds big.Rat
	dv.Sub(&j.lbv[c], &j.lbv[best])
	ds.Sub(&j.lb[c].s, &j.lb[best].s)
	j.keepNonNegative(&dv, &ds)
}

// keepNonNegative records that d(x) = dv + ds·(x − b), non-negative at b, must stay so.
func (j *jumpState) keepNonNegative(dv, ds *big.Rat) {
	if ds.Sign() >= 0 {
		return
	}
	if dv.Sign() == 0 {
		j.bound(j.b)
		return
	}
	var x big.Rat
	x.Quo(dv, x.Neg(ds))
	j.bound(x.Add(&x, j.b))
}

// keepNegative records that d(x) = dv + ds·(x − b), negative at b, must stay so.
func (j *jumpState) keepNegative(dv, ds *big.Rat) {
	if ds.Sign() <= 0 {
		return
	}
	var x big.Rat
	x.Quo(x.Neg(dv), ds)
	j.bound(x.Add(&x, j.b))
}

func (j *jumpState) bound(x *big.Rat) {
	if j.u == nil || x.Cmp(j.u) < 0 {
		j.u = new(big.Rat).Set(x)
		j.done = j.u.Cmp(j.min) <= 0
	}
}

// evaluate computes c's share at b, records the comparisons that fixed it, and sets c's ρ (lb) as a function
// of x; false when c's supporters cannot afford it.
func (j *jumpState) evaluate(c int32) bool {
	e := j.e
	cost := new(big.Rat).SetInt64(e.cost[c])
	if e.cost[c] == 0 {
		j.lb[c], j.q[c] = affine{}, affine{}
		j.lbv[c].SetInt64(0)
		j.qv[c].SetInt64(0)
		return true
	}
	// Poor/rich at b, as the exact engine does it.
	rich := j.rich[:0]
	var r int64
	var paid big.Rat
	for _, g := range e.supp[c] {
		if j.val[g].Sign() > 0 {
			rich = append(rich, g)
			r += e.gm[g]
		}
	}
	var q, m big.Rat
	for {
		if r == 0 {
			break
		}
		q.Sub(cost, &paid)
		q.Quo(&q, m.SetInt64(r))
		k := 0
		for _, g := range rich {
			if j.val[g].Cmp(&q) < 0 {
				paid.Add(&paid, m.Mul(&j.val[g], ratInt(&e.gmBig[g])))
				r -= e.gm[g]
				continue
			}
			rich[k] = g
			k++
		}
		moved := k < len(rich)
		rich = rich[:k]
		if !moved {
			break
		}
	}
	j.rich = rich
	if r == 0 {
		// Unaffordable: Σ budgets(x) < cost must stay true.
		var tv, ts big.Rat
		for _, g := range e.supp[c] {
			mg := ratInt(&e.gmBig[g])
			tv.Add(&tv, m.Mul(&j.val[g], mg))
			ts.Add(&ts, m.Mul(&j.aff[g].s, mg))
		}
		j.keepNegative(tv.Sub(&tv, cost), &ts)
		return false
	}
	// q(x) = (cost − Σ poor budgets(x)) / r with the split fixed.
	if j.isRich == nil {
		j.isRich = make([]bool, len(e.gm))
	}
	isRich := j.isRich
	for _, g := range rich {
		isRich[g] = true
	}
	defer func() {
		for _, g := range rich {
			isRich[g] = false
		}
	}()
	var pa, ps big.Rat
	for _, g := range e.supp[c] {
		if !isRich[g] {
			mg := ratInt(&e.gmBig[g])
			pa.Add(&pa, m.Mul(&j.aff[g].a, mg))
			ps.Add(&ps, m.Mul(&j.aff[g].s, mg))
		}
	}
	rr := new(big.Rat).SetInt64(r)
	qa := &j.q[c].a
	qa.Sub(cost, &pa)
	qa.Quo(qa, rr)
	qs := &j.q[c].s
	qs.Neg(&ps)
	qs.Quo(qs, rr)
	j.qv[c].Mul(qs, j.b)
	j.qv[c].Add(&j.qv[c], qa)
	// Every supporter must stay on its side: rich ones at or above q, poor ones below.
	var dv, ds big.Rat
	for _, g := range e.supp[c] {
		dv.Sub(&j.val[g], &j.qv[c])
		ds.Sub(&j.aff[g].s, qs)
		if isRich[g] {
			j.keepNonNegative(&dv, &ds)
		} else {
			j.keepNegative(&dv, &ds)
		}
		if j.done {
			return true
		}
	}
	j.lb[c].a.Quo(qa, cost)
	j.lb[c].s.Quo(qs, cost)
	j.lbv[c].Quo(&j.qv[c], cost)
	return true
}

// fund charges c's supporters at b and as functions of x.
func (j *jumpState) fund(c int32) {
	e := j.e
	if e.cost[c] == 0 {
		return
	}
	for _, g := range e.supp[c] {
		if j.val[g].Cmp(&j.qv[c]) < 0 {
			j.val[g].SetInt64(0)
			j.aff[g] = affine{}
			continue
		}
		j.val[g].Sub(&j.val[g], &j.qv[c])
		j.aff[g].a.Sub(&j.aff[g].a, &j.q[c].a)
		j.aff[g].s.Sub(&j.aff[g].s, &j.q[c].s)
	}
}

func ratInt(i *big.Int) *big.Rat { return new(big.Rat).SetInt(i) }
