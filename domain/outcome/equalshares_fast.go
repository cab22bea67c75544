package outcome

import (
	"math"
	"math/big"
	"math/bits"
	"slices"
	"sync/atomic"
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
// never changes an outcome; it only skips big-number arithmetic when the answer is not in doubt. For the
// outcome that is finally reported, the exact engine replays the certified path and computes its money,
// checking each share against the fast pass's bounds (esEngine.replay).
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
	above    []int32 // candidates fastAbove proved worse than this round's best
	hint     []int32 // the winners of this state's last certified run, in order
	hintAt   int     // the first of them that may still be open in this run
	tied     []int32

	// allPay tells, for each candidate evaluated this round, whether every one of its supporters provably
	// holds at least its share: then the share is exactly cost/votes and ρ = 1/votes, whatever the bounds.
	allPay []bool

	// allRich is true while every decision of this run has had every supporter rich (see fastPrefix), and
	// richEval tells whether the last fastEvaluate did.
	allRich, richEval bool
	pre               fastPrefix
}

// fastPrefix is the start of an earlier run that a later run, with a larger per-voter budget, can take over
// instead of recomputing it.
//
// While every supporter of every project evaluated is rich — holds at least the upper bound of the share,
// so pays exactly q — nothing the run computes depends on the per-voter budget x: each share is cost/r for r
// all supporters, every comparison is between such shares, and each budget is x minus the shares paid so far.
// Raising x only raises every budget by the same amount, so everyone stays rich and the run takes exactly the
// same steps with the same shares. A later run with a larger x (and the same fixed point) can therefore start
// after those rounds: its budgets are its own x minus the recorded shares, and the projects' bounds and heap
// are the recorded ones. The first decision with a poor supporter (or a group with nothing left) ends the
// prefix; everything after it is computed afresh, certified as before.
type fastPrefix struct {
	valid    bool
	f        int    // fixed-point fraction bits of the run that recorded it
	lo0      uint64 // that run's per-voter budget (lower bound), in units of 2^-f
	winners  []int32
	ties     [][]int32
	cost     int64
	qlo, qhi []uint64 // candidate → as in fastState, at the end of the prefix
	lbq      []uint64
	status   []uint8
	heap     []int32
}

// save records the state at the end of the current round as the prefix.
func (p *fastPrefix) save(s *fastState, f int, lo0 uint64, out *esOutcome) {
	p.valid, p.f, p.lo0 = true, f, lo0
	p.winners = append(p.winners[:0], out.winners...)
	p.ties = append(p.ties[:0], out.ties...) // never modified once recorded
	p.cost = out.cost
	p.qlo = append(p.qlo[:0], s.qlo...)
	p.qhi = append(p.qhi[:0], s.qhi...)
	p.lbq = append(p.lbq[:0], s.lbq...)
	p.status = append(p.status[:0], s.status...)
	p.heap = append(p.heap[:0], s.heap...)
}

// resume replays the prefix into s for a run at lo0, hi0 whose groups are freshly set; false when the prefix
// does not apply, and then the groups are as they were.
func (e *esEngine) resume(f int, lo0, hi0 uint64, out *esOutcome) bool {
	s := &e.fast
	p := &s.pre
	if !p.valid || p.f != f || lo0 < p.lo0 {
		return false
	}
	for _, c := range p.winners {
		if e.cost[c] == 0 {
			continue
		}
		qlo, qhi := p.qlo[c], p.qhi[c]
		wide := uint32(qhi - qlo) // fitted when the prefix was recorded, with the same bounds
		for _, g := range e.supp[c] {
			gr := &s.grp[g]
			if gr.d > math.MaxUint32-wide { // only if this run rounds its budget up and the recording one did not
				for g := range s.grp {
					s.grp[g].lo, s.grp[g].d = lo0, uint32(hi0-lo0)
				}
				return false
			}
			gr.lo -= qhi // the recording run had gr.lo > qhi with a smaller lo0
			gr.d += wide
		}
	}
	copy(s.qlo, p.qlo)
	copy(s.qhi, p.qhi)
	copy(s.lbq, p.lbq)
	copy(s.status, p.status)
	s.heap = append(s.heap[:0], p.heap...)
	out.winners = append(out.winners, p.winners...)
	for _, c := range p.winners {
		out.qlo, out.qhi = append(out.qlo, p.qlo[c]), append(out.qhi, p.qhi[c])
	}
	out.ties = append(out.ties, p.ties...)
	out.cost = p.cost
	return true
}

// fastGroup is a group of identical ballots: the bounds lo and lo+d of each voter's budget, and the number of
// voters m. It is 16 bytes so that the groups of a large district stay in the processor's cache: d (the
// rounding accumulated so far) is tiny, and a run whose d would not fit in 32 bits is left to the exact engine.
type fastGroup struct {
	lo   uint64
	d, m uint32
}

func (g *fastGroup) hi() uint64 { return g.lo + uint64(g.d) }

// maxFastBits bounds budgets to 2^maxFastBits units, leaving room for sums over 2^31 ballots in 128 bits.
const maxFastBits = 61

// runFast computes which projects Equal Shares funds with per-voter budget b, and what they cost; ok is false
// when some decision could not be certified (then nothing is known and the exact engine must run).
func (e *esEngine) runFast(b *big.Rat) (out esOutcome, ok bool) { return e.runFastUntil(b, nil) }

// runFastUntil is runFast that gives up (ok false) at the start of a round once stop, when not nil, is set.
func (e *esEngine) runFastUntil(b *big.Rat, stop *atomic.Bool) (out esOutcome, ok bool) {
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
	return e.runFastBounds(F, lo0, hi0, stop)
}

// fastSameOver reports whether one fast run proves that every per-voter budget in [x0, x1] (currency units,
// 0 < x0 ≤ x1) funds exactly winners, in that order.
//
// The fast pass never needs to know the per-voter budget, only bounds of it: every decision it takes is
// proven for every budget vector within the bounds it keeps (see runFast). So a run started with the bounds
// x0 and x1 instead of those of one budget proves its path, when it certifies it, for every budget between
// them at once: the machine-word counterpart of stableUntil. Over an interval some supporters are poor for
// part of it and rich for the rest; their bounds then widen to [0, hi − qlo] (fastFund), so every budget,
// scaled by 2^F, must fit fastGroup.d: F is at most 31 bits less the budget's, down to minIntervalBits.
func (e *esEngine) fastSameOver(x0, x1 int64, winners []int32) bool {
	out, ok := e.runFastOver(x0, x1)
	return ok && slices.Equal(out.winners, winners)
}

// runFastOver is one fast run over every per-voter budget in [x0, x1] (currency units), at the precision
// fastSameOver describes; ok is false when the interval is empty or too wide for it, or the run gave up.
func (e *esEngine) runFastOver(x0, x1 int64) (out esOutcome, ok bool) {
	if x0 <= 0 || x1 < x0 {
		return esOutcome{}, false
	}
	F := min(31-bits.Len64(uint64(x1)), 30-bits.Len64(uint64(x1-x0)))
	if F < minIntervalBits {
		return esOutcome{}, false
	}
	return e.runFastBounds(F, uint64(x0)<<F, uint64(x1)<<F, nil)
}

// minIntervalBits is the fewest fraction bits an interval run (fastSameOver) works with. Bounds are rounded
// outwards whatever the precision, so fewer bits never make a run wrong, only less often certified; over a
// wide interval the spread of the budgets themselves dwarfs rounding at this precision.
const minIntervalBits = 4

// fastOff makes every fast run give up, so that the exact engine computes every step; the tests switch it
// on to exercise the completion's exact paths.
var fastOff = false

// runFastBounds is runFast with every per-voter budget between lo0 and hi0 units of 2^-F.
func (e *esEngine) runFastBounds(F int, lo0, hi0 uint64, stop *atomic.Bool) (out esOutcome, ok bool) {
	if fastOff || hi0 < lo0 || hi0-lo0 > math.MaxUint32 {
		return esOutcome{}, false // the width of the budgets must fit fastGroup.d
	}
	if e.nBallots > math.MaxUint32 {
		return esOutcome{}, false // a group's size may not fit fastGroup.m
	}
	s := &e.fast
	nc, ng := len(e.proj), len(e.gm)
	if len(s.grp) != ng {
		s.grp = make([]fastGroup, ng)
		s.qlo, s.qhi, s.lbq, s.den = make([]uint64, nc), make([]uint64, nc), make([]uint64, nc), make([]uint64, nc)
		s.big, s.status, s.allPay = make([]u128, nc), make([]uint8, nc), make([]bool, nc)
		s.supp = make([][]int32, nc)
		n := 0
		for _, l := range e.supp {
			n += len(l)
		}
		s.suppBuf = make([]int32, n)
	}
	for g := range ng {
		s.grp[g] = fastGroup{lo: lo0, d: uint32(hi0 - lo0), m: uint32(e.gm[g])}
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
	out.f = F
	s.hintAt = 0
	e.resume(F, lo0, hi0, &out)
	s.allRich = true

	for {
		if stop != nil && stop.Load() {
			return esOutcome{}, false
		}
		best := int32(-1)
		s.eval, s.above = s.eval[:0], s.above[:0] // a run that gave up mid-round may have left some
		// The project this state's previous run funded next (hint), if it is still open, is evaluated first:
		// neighbouring per-voter budgets fund nearly the same projects in nearly the same order, so it is
		// most often the round's best, and every other project then only needs fastAbove's cheaper pass.
		// This changes the order of the evaluations, never what the round decides.
		if !fastAboveOff {
			for s.hintAt < len(s.hint) && s.status[s.hint[s.hintAt]] != esOpen {
				s.hintAt++
			}
			if s.hintAt < len(s.hint) {
				c := s.hint[s.hintAt]
				e.fastRemove(c)
				res := e.fastEvaluate(c)
				s.allRich = s.allRich && res == evalOK && s.richEval
				switch res {
				case evalUnaffordable:
					s.status[c] = esUnaffordable
				case evalUnsure:
					return esOutcome{}, false
				default:
					s.eval = append(s.eval, c)
					best = c
				}
			}
		}
		for len(s.heap) > 0 {
			top := s.heap[0]
			if best >= 0 && fracLess(s.qhi[best], s.den[best], s.lbq[top], s.den[top]) {
				break // ρ(best) < lower bound of every project left in the heap
			}
			e.fastPop()
			if best >= 0 && !fastAboveOff {
				switch e.fastAbove(top, best) {
				case aboveProven:
					s.above = append(s.above, top)
					continue
				case aboveUnaffordable:
					s.status[top] = esUnaffordable
					continue
				}
			}
			res := e.fastEvaluate(top)
			s.allRich = s.allRich && res == evalOK && s.richEval
			switch res {
			case evalUnaffordable:
				s.status[top] = esUnaffordable
				continue
			case evalUnsure:
				return esOutcome{}, false
			}
			s.eval = append(s.eval, top)
			if best < 0 || e.fastBetter(top, best) {
				best = top
			}
		}
		for _, c := range s.above {
			e.fastPush(c) // after the loop: its new lower bound may equal best's ρ, and the loop would pop it again
		}
		if best < 0 {
			s.hint = append(s.hint[:0], out.winners...)
			return out, true
		}
		s.tied = append(s.tied[:0], best)
		for _, c := range s.eval {
			switch {
			case c == best:
			case fracLess(s.qhi[best], s.den[best], s.qlo[c], s.den[c]):
				e.fastPush(c)
			case s.allPay[best] && s.allPay[c] && e.votes[c] < e.votes[best]:
				e.fastPush(c) // ρ = 1/votes for both: provably larger
			case s.allPay[best] && s.allPay[c] && e.votes[c] == e.votes[best]:
				s.tied = append(s.tied, c) // ρ = 1/votes for both: a real tie
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
			out.ties = append(out.ties, slices.Clone(s.tied))
		}
		if !e.fastFund(best) {
			return esOutcome{}, false
		}
		out.winners = append(out.winners, best)
		out.qlo, out.qhi = append(out.qlo, s.qlo[best]), append(out.qhi, s.qhi[best])
		out.cost = addCost(out.cost, e.cost[best])
		if s.allRich && (!s.pre.valid || s.pre.f != F || len(out.winners) > len(s.pre.winners) || lo0 < s.pre.lo0) {
			s.pre.save(s, F, lo0, &out)
		}
	}
}

// fastBetter reports whether candidate a, evaluated this round, looks better than b (a smaller ρ): by exact
// vote counts when both shares are exact (allPay), else by the upper bounds of their shares. It only picks
// the round's best; the round then proves it against every other evaluated candidate.
func (e *esEngine) fastBetter(a, b int32) bool {
	s := &e.fast
	if s.allPay[a] && s.allPay[b] {
		return e.votes[a] > e.votes[b]
	}
	return fracLess(s.qhi[a], s.den[a], s.qhi[b], s.den[b])
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
	res := e.fastEvaluateBounds(c)
	s.allPay[c] = res == evalOK && s.richEval && e.cost[c] > 0
	return res
}

// fastEvaluateBounds is fastEvaluate without allPay.
func (e *esEngine) fastEvaluateBounds(c int32) int {
	s := &e.fast
	s.richEval = false
	if e.cost[c] == 0 {
		s.qlo[c], s.qhi[c], s.lbq[c] = 0, 0, 0
		s.richEval = true
		return evalOK
	}
	xh, xl, r, minLo, ok := e.fastShare(true, c)
	if !ok {
		return evalUnaffordable // even the upper bounds cannot pay for it
	}
	// Every supporter rich: all of them counted in r, and (checked below) every lower bound at least qhi.
	s.richEval = r == uint64(e.votes[c])
	qlo, _, _ := xh.divmod(r)
	qhi, rem, fits := xl.divmod(r)
	if fits && rem != 0 {
		qhi++
	}
	if !fits || minLo < qhi {
		s.richEval = false
		xl, _, rl, _, ok := e.fastShare(false, c)
		if !ok {
			return evalUnsure
		}
		qhi, rem, _ = xl.divmod(rl)
		if rem != 0 {
			qhi++
		}
	}
	s.qlo[c], s.qhi[c], s.lbq[c] = qlo, qhi, qlo
	return evalOK
}

// fastDense is a supporter group copied for the passes of fastShare: v the bound it computes with, d the
// distance to the other bound, m the voters.
type fastDense struct {
	v    uint64
	d, m uint32
}

// fastShare computes q(v) = x/r exactly for the budgets v of c's supporters — their upper bounds when upper is
// true, else their lower bounds; ok is false when they cannot afford c. It is the exact engine's poor/rich
// iteration on machine words. It also returns xw, cost minus the other bounds of the supporters it found poor,
// and minW, the least of the other bounds among the supporters it found rich.
//
// Four shortcuts keep it fast. The iteration starts from the split at c's previous lower bound lbq instead of
// "everyone is rich": budgets only fall, so q(v) ≥ lbq and whoever holds less than lbq is poor. Supporters
// holding at least twice lbq are presumed rich and are not copied for the iteration, only counted: the
// iteration runs on the band [lbq, 2·lbq) alone, and is redone over everyone in the rare case the share ends
// above the least presumed-rich budget. The first pass keeps the least budget among the rich, so when nobody
// rich is below the share it ends there, without a pass over the copies to find out. And groups with nothing
// left are dropped from c's supporter list for the rest of the run: they can never pay again.
func (e *esEngine) fastShare(upper bool, c int32) (x, xw u128, r, minW uint64, ok bool) {
	t0 := e.fast.lbq[c]
	tg := uint64(math.MaxUint64)
	if t0 <= math.MaxUint64/2 {
		tg = 2 * t0
	}
	x, xw, r, minW, ok, settled := e.fastShareBand(upper, c, t0, tg)
	if !settled {
		x, xw, r, minW, ok, _ = e.fastShareBand(upper, c, t0, math.MaxUint64)
	}
	return x, xw, r, minW, ok
}

// fastShareBand is fastShare's iteration with the supporters at or above tg presumed rich; settled is false
// when that presumption failed (the share is above one of their budgets), and then nothing is known.
func (e *esEngine) fastShareBand(upper bool, c int32, t0, tg uint64) (x, xw u128, r, minW uint64, ok, settled bool) {
	s := &e.fast
	grp := s.grp
	supp := s.supp[c]
	x = s.big[c]
	var dPoor u128 // Σ d·m over the poor: xw is x plus it (upper bounds) or minus it (lower bounds)
	minV, minW := uint64(math.MaxUint64), uint64(math.MaxUint64)
	minVRich, minWRich := uint64(math.MaxUint64), uint64(math.MaxUint64) // least bounds presumed rich
	var rRich uint64
	dense := s.dense[:0]
	k := -1 // index of the first group with nothing left, which starts the compaction of supp
	for i, g := range supp {
		gr := grp[g]
		if gr.lo == 0 && gr.d == 0 {
			if k < 0 {
				k = i
			}
			continue
		}
		if k >= 0 {
			supp[k] = g
			k++
		}
		v, w := gr.lo, gr.lo+uint64(gr.d)
		if upper {
			v, w = w, v
		}
		m := uint64(gr.m)
		switch {
		case v < t0:
			x = x.sub(mul64(v, m))
			dPoor = dPoor.add(mul64(uint64(gr.d), m))
			continue
		case v >= tg:
			rRich += m
			minVRich = min(minVRich, v)
			minWRich = min(minWRich, w)
		default:
			dense = append(dense, fastDense{v, gr.d, gr.m})
			minV = min(minV, v)
			minW = min(minW, w)
		}
		r += m
	}
	if k >= 0 {
		s.supp[c] = supp[:k]
	}
	final := func() (u128, u128, uint64, uint64, bool, bool) {
		s.dense = dense
		minW = min(minW, minWRich)
		if upper {
			return x, x.add(dPoor), r, minW, true, true
		}
		return x, x.sub(dPoor), r, minW, true, true
	}
	if r == 0 {
		s.dense = dense
		return x, xw, 0, 0, false, true
	}
	// v < x/r ⇔ v < ⌈x/r⌉; when x/r does not fit in a word, every budget is below it.
	if t, fits := ceilDiv(x, r); fits && minV >= t && minVRich >= t {
		return final() // nobody rich is below the share: the split is final
	}
	for {
		if r == 0 {
			s.dense = dense
			return x, xw, 0, 0, false, true
		}
		t, fits := ceilDiv(x, r)
		if rRich > 0 && (!fits || minVRich < t) {
			s.dense = dense
			return x, xw, 0, 0, false, false // someone presumed rich is poor
		}
		k := 0
		minW = math.MaxUint64
		for _, d := range dense {
			if !fits || d.v < t {
				m := uint64(d.m)
				x = x.sub(mul64(d.v, m))
				dPoor = dPoor.add(mul64(uint64(d.d), m))
				r -= m
				continue
			}
			dense[k] = d
			k++
			w := d.v - uint64(d.d)
			if !upper {
				w = d.v + uint64(d.d)
			}
			minW = min(minW, w)
		}
		moved := k < len(dense)
		dense = dense[:k]
		if !moved {
			return final()
		}
	}
}

// ceilDiv returns ⌈x/r⌉; fits is false when it does not fit in a word.
func ceilDiv(x u128, r uint64) (t uint64, fits bool) {
	t, rem, fits := x.divmod(r)
	if fits && rem != 0 {
		t++
		fits = t != 0
	}
	return t, fits
}

// fastFund charges c's supporters; false when the bounds no longer fit fastGroup, and then the groups are
// left in no particular state. A supporter pays min(β, q), so what it keeps lies between lo − qhi and
// hi − qlo, neither below 0: one that is certainly poor keeps nothing, one that is certainly rich keeps
// [lo − qhi, hi − qlo], and one that may be either keeps [0, hi − qlo].
func (e *esEngine) fastFund(c int32) bool {
	s := &e.fast
	s.status[c] = esFunded
	if e.cost[c] == 0 {
		return true
	}
	qlo, qhi := s.qlo[c], s.qhi[c]
	if qhi-qlo > math.MaxUint32/2 {
		return false
	}
	wide := uint32(qhi - qlo)
	// One pass: a failure leaves the groups half charged, which is fine because the run is abandoned then
	// (runFast sets every group afresh at its start).
	for _, g := range s.supp[c] {
		gr := &s.grp[g]
		switch hi := gr.hi(); {
		case hi == 0:
		case hi < qlo: // certainly poor: pays everything
			gr.lo, gr.d = 0, 0
		case gr.lo >= qhi: // certainly rich: pays q
			if gr.d > math.MaxUint32-wide {
				return false // the bounds drifted too far apart for fastGroup.d
			}
			if gr.lo == qhi {
				s.allRich = false // it may have nothing left: the prefix ends here
			}
			gr.lo -= qhi
			gr.d += wide
		default: // may pay everything or the share: what is left lies between 0 and hi − qlo
			if hi-qlo > math.MaxUint32 {
				return false
			}
			gr.lo, gr.d = 0, uint32(hi-qlo)
			s.allRich = false
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

// fastAboveOff makes runFast evaluate every candidate in full instead of first trying fastAbove; the tests
// switch it on to compare both ways.
var fastAboveOff = false

const (
	aboveUnsure = iota
	aboveProven
	aboveUnaffordable
)

// fastAbove tries to prove, in one pass over c's supporters and without finding its share, that candidate c
// has a larger ρ than best, which this round has evaluated: then c cannot win the round and needs no full
// evaluation (fastEvaluate); it goes back to the heap with a larger lower bound.
//
// Take T ≥ ρ(best)'s upper bound times c's cost. Then c's ρ is larger than best's when its share q is above T,
// and q(β) > T for every budget vector β within the bounds when Σ min(hi, T)·m < cost·2^F: q(hi), the least
// share over the bounds, is where that sum reaches the cost, and the sum only grows with T. The same pass
// gives a new lower bound of q: for q ≥ T a supporter pays at most min(hi, T), plus q − T if it holds more
// than T, so q(hi) ≥ T + (cost − Σ min(hi, T)·m)/R, with R the voters holding more than T. With R = 0 even the
// upper bounds cannot pay for c: it is unaffordable. The loop has no branch that depends on the data, which is
// what makes it cheaper than an evaluation (it does not sort the supporters into poor and rich).
func (e *esEngine) fastAbove(c, best int32) int {
	s := &e.fast
	if e.cost[c] == 0 {
		return aboveUnsure // ρ = 0: only an evaluation can compare it
	}
	// T = ⌈qhi[best]·cost[c]/den[best]⌉, capped where it is above every budget anyway.
	const tmax = 1 << 63
	T := uint64(tmax)
	if t, fits := ceilDiv(mul64(s.qhi[best], uint64(e.cost[c])), s.den[best]); fits && t < tmax {
		T = t
	}
	grp := s.grp
	var sum u128
	var r uint64
	for _, g := range s.supp[c] {
		gr := grp[g]
		h := gr.lo + uint64(gr.d)
		m := uint64(gr.m)
		p := mul64(min(h, T), m)
		var carry uint64
		sum.lo, carry = bits.Add64(sum.lo, p.lo, 0)
		sum.hi += p.hi + carry
		_, above := bits.Sub64(T, h, 0) // 1 when h > T
		r += m & -above
	}
	if sum.cmp(s.big[c]) >= 0 {
		return aboveUnsure
	}
	if r == 0 {
		s.allRich = false
		return aboveUnaffordable
	}
	// When every supporter holds more than T, the bound below is cost/votes whatever the per-voter budget, and
	// so is the comparison with best when best's supporters were all rich too: the run may still record a
	// prefix (see fastPrefix). Otherwise the prefix ends here.
	if r != uint64(e.votes[c]) {
		s.allRich = false
	}
	lb := uint64(1<<maxFastBits + 1) // the cap of fastState.lbq
	if q, _, fits := s.big[c].sub(sum).divmod(r); fits && T < lb && q < lb-T {
		lb = T + q
	}
	s.lbq[c] = max(s.lbq[c], lb)
	return aboveProven
}

// fastRemove takes candidate c out of the heap, wherever it is; it does nothing when c is not there.
func (e *esEngine) fastRemove(c int32) {
	s := &e.fast
	i := slices.Index(s.heap, c)
	if i < 0 {
		return
	}
	last := len(s.heap) - 1
	s.heap[i] = s.heap[last]
	s.heap = s.heap[:last]
	if i == last {
		return
	}
	e.fastDown(i)
	for i > 0 { // and up, if it was smaller than its new parent
		parent := (i - 1) / 2
		if !e.fastLess(i, parent) {
			break
		}
		s.heap[i], s.heap[parent] = s.heap[parent], s.heap[i]
		i = parent
	}
}
