package outcome

import (
	"math/big"
	"math/bits"
	"slices"
)

// The certified fast pass of Equal Shares.
//
// The add1 completion runs Equal Shares once per per-voter budget, often a hundred times or more, and only
// needs to know which projects each run funds. runFast computes that with integers of one or two machine
// words instead of big.Int: every budget is kept as an interval [lo, hi] in units of 2^-F currency units,
// rounded outwards, and every decision the method takes — is this project affordable, which supporters pay
// everything they have, which project has the least ρ, are two ρ exactly equal — is taken only when the
// intervals prove it. If any decision cannot be proven (two projects too close to call, a supporter whose
// budget may equal the share), runFast gives up and the exact engine computes that run. So the fast pass
// never changes an outcome; it only skips big-number arithmetic when the answer is not in doubt. The outcome
// that is finally reported is always recomputed by the exact engine, and checked against the fast pass.
//
// Why the bounds hold: q(β) — the least share with Σ min(βᵢ, q) ≥ cost — never increases when a budget
// increases, so q(hi) ≤ q ≤ q(lo); both ends are computed exactly in integers and rounded outwards.

// u128 is an unsigned 128-bit integer.
type u128 struct{ hi, lo uint64 }

func mul64(a, b uint64) u128 {
	hi, lo := bits.Mul64(a, b)
	return u128{hi, lo}
}

func (a u128) add(b u128) u128 {
	lo, c := bits.Add64(a.lo, b.lo, 0)
	hi, _ := bits.Add64(a.hi, b.hi, c)
	return u128{hi, lo}
}

func (a u128) sub(b u128) u128 {
	lo, br := bits.Sub64(a.lo, b.lo, 0)
	hi, _ := bits.Sub64(a.hi, b.hi, br)
	return u128{hi, lo}
}

func (a u128) cmp(b u128) int {
	switch {
	case a.hi < b.hi:
		return -1
	case a.hi > b.hi:
		return 1
	case a.lo < b.lo:
		return -1
	case a.lo > b.lo:
		return 1
	}
	return 0
}

// divmod returns a/d and a%d; ok is false when the quotient does not fit in 64 bits.
func (a u128) divmod(d uint64) (q, r uint64, ok bool) {
	if a.hi >= d {
		return 0, 0, false
	}
	q, r = bits.Div64(a.hi, a.lo, d)
	return q, r, true
}

// fracLess reports a/b < c/d for b, d > 0.
func fracLess(a, b, c, d uint64) bool { return mul64(a, d).cmp(mul64(c, b)) < 0 }

// fastState is runFast's state; it lives as long as the engine.
type fastState struct {
	grp      []fastGroup
	supp     [][]int32 // candidate → supporting groups that may still hold money (this run's copy, compacted)
	suppBuf  []int32
	qlo, qhi []uint64 // candidate → bounds of its share q at its last evaluation
	lbq      []uint64 // candidate → lower bound of q; ρ ≥ lbq/den
	den      []uint64 // candidate → cost, or 1 for free projects (ρ = 0)
	big      []u128   // candidate → cost·2^F
	status   []uint8
	heap     []int32
	dense    []fastDense
	eval     []int32
	tied     []int32
}

// fastGroup is a group of identical ballots: the bounds of each voter's budget, and the number of voters.
type fastGroup struct{ lo, hi, m uint64 }

// maxFastBits bounds budgets to 2^maxFastBits units, leaving room for sums over 2^31 ballots in 128 bits.
const maxFastBits = 61

// runFast computes which projects Equal Shares funds with per-voter budget b, and what they cost; ok is false
// when some decision could not be certified (then nothing is known and the exact engine must run).
func (e *esEngine) runFast(b *big.Rat) (out esOutcome, ok bool) {
	// Fixed point: F fraction bits, as many as fit with the per-voter budget below 2^maxFastBits units.
	ceilB := new(big.Int).Add(b.Num(), new(big.Int).Sub(b.Denom(), bigOne))
	ceilB.Quo(ceilB, b.Denom())
	F := maxFastBits - ceilB.BitLen()
	if F < 20 {
		return esOutcome{}, false
	}
	scaled := new(big.Int).Lsh(b.Num(), uint(F))
	rem := new(big.Int)
	scaled.QuoRem(scaled, b.Denom(), rem)
	lo0 := scaled.Uint64()
	hi0 := lo0
	if rem.Sign() != 0 {
		hi0++
	}

	s := &e.fast
	nc, ng := len(e.proj), len(e.gm)
	if len(s.grp) != ng {
		s.grp = make([]fastGroup, ng)
		s.qlo, s.qhi, s.lbq, s.den = make([]uint64, nc), make([]uint64, nc), make([]uint64, nc), make([]uint64, nc)
		s.big, s.status = make([]u128, nc), make([]uint8, nc)
		s.supp = make([][]int32, nc)
		n := 0
		for _, l := range e.supp {
			n += len(l)
		}
		s.suppBuf = make([]int32, n)
	}
	for g := range ng {
		s.grp[g] = fastGroup{lo: lo0, hi: hi0, m: uint64(e.gm[g])}
	}
	buf := s.suppBuf
	for c, l := range e.supp {
		s.supp[c] = buf[:len(l):len(l)]
		copy(s.supp[c], l)
		buf = buf[len(l):]
	}
	s.heap = s.heap[:0]
	for c := range nc {
		cost := uint64(e.cost[c])
		s.status[c] = esOpen
		s.big[c] = u128{hi: cost >> (64 - F), lo: cost << F}
		if cost == 0 {
			s.den[c], s.lbq[c] = 1, 0
		} else {
			s.den[c] = cost
			// q ≥ cost/votes; capped, since any q above every budget makes the project unaffordable anyway.
			q, _, fits := s.big[c].divmod(uint64(e.votes[c]))
			if !fits || q > 1<<maxFastBits+1 {
				q = 1<<maxFastBits + 1
			}
			s.lbq[c] = q
		}
		s.heap = append(s.heap, int32(c))
	}
	for i := len(s.heap)/2 - 1; i >= 0; i-- {
		e.fastDown(i)
	}

	for {
		best := int32(-1)
		s.eval = s.eval[:0]
		for len(s.heap) > 0 {
			top := s.heap[0]
			if best >= 0 && fracLess(s.qhi[best], s.den[best], s.lbq[top], s.den[top]) {
				break // ρ(best) < lower bound of every project left in the heap
			}
			e.fastPop()
			switch e.fastEvaluate(top) {
			case evalUnaffordable:
				s.status[top] = esUnaffordable
				continue
			case evalUnsure:
				return esOutcome{}, false
			}
			s.eval = append(s.eval, top)
			if best < 0 || fracLess(s.qhi[top], s.den[top], s.qhi[best], s.den[best]) {
				best = top
			}
		}
		if best < 0 {
			return out, true
		}
		s.tied = append(s.tied[:0], best)
		for _, c := range s.eval {
			switch {
			case c == best:
			case fracLess(s.qhi[best], s.den[best], s.qlo[c], s.den[c]):
				e.fastPush(c)
			case s.qlo[best] == s.qhi[best] && s.qlo[c] == s.qhi[c] &&
				mul64(s.qlo[best], s.den[c]) == mul64(s.qlo[c], s.den[best]):
				s.tied = append(s.tied, c) // provably equal ρ: a real tie
			default:
				return esOutcome{}, false
			}
		}
		if len(s.tied) > 1 {
			slices.SortFunc(s.tied, func(a, b int32) int { return e.p.tieCmp(e.proj[a], e.proj[b]) })
			best = s.tied[0]
			for _, c := range s.tied[1:] {
				e.fastPush(c)
			}
		}
		if !e.fastFund(best) {
			return esOutcome{}, false
		}
		out.winners = append(out.winners, best)
		out.cost = addCost(out.cost, e.cost[best])
	}
}

const (
	evalOK = iota
	evalUnaffordable
	evalUnsure
)

// fastEvaluate bounds candidate c's share: qlo ≤ q ≤ qhi.
//
// qlo is q(hi), from the poor/rich iteration on the upper bounds. For qhi it first tries the same split into
// poor and rich with the lower bounds, q* = (cost − Σ lower bounds of the poor)/rich: if every rich supporter's
// lower bound is at least q*, then Σ min(lo, q*) = cost, so q(lo) ≤ q*. Only when that check fails does it run
// the iteration on the lower bounds too.
func (e *esEngine) fastEvaluate(c int32) int {
	s := &e.fast
	if e.cost[c] == 0 {
		s.qlo[c], s.qhi[c], s.lbq[c] = 0, 0, 0
		return evalOK
	}
	xh, xl, r, ok := e.fastShare(true, c)
	if !ok {
		return evalUnaffordable // even the upper bounds cannot pay for it
	}
	qlo, _, _ := xh.divmod(r)
	qhi, rem, fits := xl.divmod(r)
	if fits && rem != 0 {
		qhi++
	}
	for _, d := range s.dense {
		if !fits || d.w < qhi {
			xl, _, rl, ok := e.fastShare(false, c)
			if !ok {
				return evalUnsure
			}
			qhi, rem, _ = xl.divmod(rl)
			if rem != 0 {
				qhi++
			}
			break
		}
	}
	s.qlo[c], s.qhi[c], s.lbq[c] = qlo, qhi, qlo
	return evalOK
}

// fastDense is a supporter group copied for the passes of fastShare: v the bound it computes with, w the other.
type fastDense struct{ v, w, m uint64 }

// fastShare computes q(v) = x/r exactly for the budgets v of c's supporters — their upper bounds when upper is
// true, else their lower bounds; ok is false when they cannot afford c. It is the exact engine's poor/rich
// iteration on machine words. It also returns xw, cost minus the other bounds of the supporters it found poor,
// and leaves the rich supporters in e.fast.dense.
//
// Two shortcuts keep it fast. The iteration starts from the split at c's previous lower bound lbq instead of
// "everyone is rich": budgets only fall, so q(v) ≥ lbq and whoever holds less than lbq is poor. And groups with
// nothing left are dropped from c's supporter list for the rest of the run: they can never pay again.
func (e *esEngine) fastShare(upper bool, c int32) (x, xw u128, r uint64, ok bool) {
	s := &e.fast
	grp := s.grp
	dense := s.dense[:0]
	live := s.supp[c][:0]
	t0 := s.lbq[c]
	x, xw = s.big[c], s.big[c]
	for _, g := range s.supp[c] {
		gr := &grp[g]
		if gr.hi == 0 {
			continue
		}
		live = append(live, g)
		v, w := gr.lo, gr.hi
		if upper {
			v, w = w, v
		}
		if v < t0 {
			x = x.sub(mul64(v, gr.m))
			xw = xw.sub(mul64(w, gr.m))
			continue
		}
		dense = append(dense, fastDense{v, w, gr.m})
		r += gr.m
	}
	s.supp[c] = live
	for {
		if r == 0 {
			s.dense = dense
			return x, xw, 0, false
		}
		// v < x/r ⇔ v < ⌈x/r⌉; when x/r does not fit in a word, every budget is below it.
		t, rem, fits := x.divmod(r)
		if fits && rem != 0 {
			t++
			fits = t != 0
		}
		k := 0
		for _, d := range dense {
			if !fits || d.v < t {
				x = x.sub(mul64(d.v, d.m))
				xw = xw.sub(mul64(d.w, d.m))
				r -= d.m
				continue
			}
			dense[k] = d
			k++
		}
		moved := k < len(dense)
		dense = dense[:k]
		if !moved {
			s.dense = dense
			return x, xw, r, true
		}
	}
}

// fastFund charges c's supporters; false when it cannot prove who pays everything they have.
func (e *esEngine) fastFund(c int32) bool {
	s := &e.fast
	s.status[c] = esFunded
	if e.cost[c] == 0 {
		return true
	}
	qlo, qhi := s.qlo[c], s.qhi[c]
	for _, g := range s.supp[c] {
		gr := &s.grp[g]
		switch {
		case gr.hi == 0:
		case gr.hi < qlo: // certainly poor: pays everything
		case gr.lo >= qhi: // certainly rich: pays q
		default:
			return false
		}
	}
	for _, g := range s.supp[c] {
		gr := &s.grp[g]
		if gr.hi == 0 || gr.hi < qlo {
			gr.lo, gr.hi = 0, 0
		} else {
			gr.lo -= qhi
			gr.hi -= qlo
		}
	}
	return true
}

func (e *esEngine) fastLess(i, j int) bool {
	s := &e.fast
	a, b := s.heap[i], s.heap[j]
	return fracLess(s.lbq[a], s.den[a], s.lbq[b], s.den[b])
}

func (e *esEngine) fastPush(c int32) {
	s := &e.fast
	s.heap = append(s.heap, c)
	for i := len(s.heap) - 1; i > 0; {
		parent := (i - 1) / 2
		if !e.fastLess(i, parent) {
			break
		}
		s.heap[i], s.heap[parent] = s.heap[parent], s.heap[i]
		i = parent
	}
}

func (e *esEngine) fastPop() {
	s := &e.fast
	last := len(s.heap) - 1
	s.heap[0] = s.heap[last]
	s.heap = s.heap[:last]
	e.fastDown(0)
}

func (e *esEngine) fastDown(i int) {
	s := &e.fast
	for {
		l := 2*i + 1
		if l >= len(s.heap) {
			return
		}
		m := l
		if r := l + 1; r < len(s.heap) && e.fastLess(r, l) {
			m = r
		}
		if !e.fastLess(m, i) {
			return
		}
		s.heap[i], s.heap[m] = s.heap[m], s.heap[i]
		i = m
	}
}
