package outcome

import (
	"cmp"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"slices"
)

// Equal Shares (the Method of Equal Shares, MES) with cost utilities on approval ballots.
//
// Every voter starts with the same virtual budget b. A project c costing cost(c) is affordable when its
// supporters together have at least cost(c) left. Its price is split as equally as possible: every supporter
// pays q, or everything they have left if that is less, where q is the least amount that collects cost(c).
// With cost utilities a supporter's utility from c is cost(c), so the price per unit of utility is
// ρ = q / cost(c); each round funds the affordable project with the least ρ (equivalently, equalshares.net's
// highest "effective vote count" cost(c)/q), ties broken by tieCmp, and charges its supporters. The method
// stops when no project is affordable. Projects that cost nothing and have supporters have ρ = 0: they are
// funded first, at no charge.
//
// Exactness and speed. All money is exact. Voters with identical ballots always hold the same amount, so they
// are counted once, as a group with a multiplicity. Amounts are integers over one common denominator D: each
// funded project multiplies D by the small factor that makes its q whole, so comparisons and sums are plain
// integer operations without the GCD of big.Rat. Groups are brought to the current D only when a computation
// needs them (an epoch counter per group), which keeps a round proportional to the supporters it touches.
// Because budgets only fall, a project's ρ never decreases; ρ from an earlier round is a lower bound, kept in a
// heap, and a round re-evaluates projects only until the next lower bound exceeds the best ρ found.
//
// The add1 completion (complete) runs Equal Shares once per per-voter budget. It uses two helpers that never
// change an outcome: a certified fast pass on machine words (equalshares_fast.go), which falls back to this
// exact engine whenever a decision is too close to call, and proofs that skip stretches of per-voter
// budgets with the same outcome: a fast run over an interval of budgets (fastSameOver, tried first, after a
// few equal steps) and the exact proof of equalshares_jump.go (stableUntil, after many). The money of the
// outcome it reports (every share, what every supporter has left) always comes from this engine: it replays
// the path the fast pass certified (replay), or runs in full after a jump or when the fast pass gave up.
// Two more things only save time: with two processors the fast pass of the next per-voter budget runs
// while this one is computed (add1Parallel), and a fast run starts after the rounds of the previous one that
// cannot depend on the per-voter budget (fastPrefix).

// esStatus is a candidate's state during one run.
const (
	esOpen         = iota // in the heap
	esFunded              // funded this run
	esUnaffordable        // its supporters cannot pay for it any more
)

// esEngine runs Equal Shares repeatedly (add1 runs it once per per-voter budget) over the same ballots.
type esEngine struct {
	p        *prepared
	proj     []int32   // candidate → project index; candidates are eligible projects with supporters
	cost     []int64   // candidate → cost
	costBig  []big.Int // candidate → cost
	votes    []int64   // candidate → number of supporters
	supp     [][]int32 // candidate → groups that support it
	gm       []int64   // group → number of ballots
	gmBig    []big.Int // group → number of ballots
	gc       [][]int32 // group → candidates it supports
	nBallots int64

	// State of the current run.
	bud    []*big.Int // group → budget of one of its voters, in units of 1/den, as of epoch ep
	ep     []int32
	fac    []big.Int // epoch → factor den was multiplied by when the epoch began (fac[0] unused)
	facW   []uint64
	den    big.Int
	lb     []big.Rat // candidate → ρ at its last evaluation, a lower bound of its ρ now
	x      []big.Int // candidate → at its last evaluation: cost·den minus what the poor supporters pay
	r      []int64   // candidate → at its last evaluation: supporters who pay the full share q
	status []uint8
	heap   []int32

	// Scratch.
	tmp, t, u  *big.Int
	w          big.Int
	rich       []int32
	evaluated  []int32
	tied       []int32
	lastBudget *big.Rat // per-voter budget of the exact run the state belongs to

	fast fastState
}

// esOutcome is one run's result.
type esOutcome struct {
	winners []int32 // candidates in selection order
	shares  []*big.Rat
	ties    [][]int32 // each tie's candidates, in tie-break order
	cost    int64
	// exact is true when the exact engine computed the outcome; runFast leaves shares empty and instead bounds
	// each winner's share: qlo[i]·2^-f ≤ share of winners[i] ≤ qhi[i]·2^-f.
	exact    bool
	f        int
	qlo, qhi []uint64
}

// shareWithin reports whether ρ·cost, the exact share of the i-th winner, lies within the bounds a fast run
// certified for it.
func (o *esOutcome) shareWithin(i int, rho *big.Rat, cost int64) bool {
	if i >= len(o.qlo) {
		return false
	}
	q := new(big.Rat).Mul(rho, new(big.Rat).SetInt64(cost))
	scaled := new(big.Int).Lsh(q.Num(), uint(o.f)) // q·2^f·denom
	lo := new(big.Int).Mul(new(big.Int).SetUint64(o.qlo[i]), q.Denom())
	hi := new(big.Int).Mul(new(big.Int).SetUint64(o.qhi[i]), q.Denom())
	return lo.Cmp(scaled) <= 0 && scaled.Cmp(hi) <= 0
}

func (p *prepared) newEngine() *esEngine {
	e := &esEngine{p: p, nBallots: int64(len(p.in.Ballots))}
	cand := make([]int32, len(p.projects))
	for i := range p.projects {
		pr := &p.projects[i]
		cand[i] = -1
		if pr.Excluded == "" && pr.votes > 0 {
			cand[i] = int32(len(e.proj))
			e.proj = append(e.proj, int32(i))
			e.cost = append(e.cost, pr.Cost)
		}
	}
	nc := len(e.proj)
	e.costBig = make([]big.Int, nc)
	for c := range nc {
		e.costBig[c].SetInt64(e.cost[c])
	}
	e.votes = make([]int64, nc)
	e.supp = make([][]int32, nc)

	// Group identical ballots (restricted to candidates); ballots with no candidate can pay for nothing.
	e.groupBallots(cand)
	e.gmBig = make([]big.Int, len(e.gm))
	n := make([]int, nc)
	for _, cs := range e.gc {
		for _, c := range cs {
			n[c]++
		}
	}
	for c := range nc {
		e.supp[c] = make([]int32, 0, n[c])
	}
	for g, m := range e.gm {
		e.gmBig[g].SetInt64(m)
		for _, c := range e.gc[g] {
			e.supp[c] = append(e.supp[c], int32(g))
			e.votes[c] += m
		}
	}
	e.bud = make([]*big.Int, len(e.gm))
	for g := range e.bud {
		e.bud[g] = new(big.Int)
	}
	e.ep = make([]int32, len(e.gm))
	e.lb = make([]big.Rat, nc)
	e.x = make([]big.Int, nc)
	e.r = make([]int64, nc)
	e.status = make([]uint8, nc)
	e.tmp, e.t, e.u = new(big.Int), new(big.Int), new(big.Int)
	e.fac = make([]big.Int, 1, 64)
	e.facW = make([]uint64, 1, 64)
	return e
}

// groupBallots sets gm and gc: one group per distinct set of candidates a ballot approves, in the order
// sortGroups gives them. cand maps a project to its candidate, or −1.
//
// With at most 128 candidates (nearly every district) a set is two machine words, a bit per candidate ranked
// by popularity; the ballots' words are sorted (in the Gray code order below) and equal neighbours make a
// group, so no map is needed. Otherwise the sets are keyed by byte strings.
func (e *esEngine) groupBallots(cand []int32) {
	nc := len(e.proj)
	rank := e.popularityRanks()
	if nc > 128 {
		e.groupBallotsSlow(cand, rank)
		return
	}
	// Sort in the order of the reflected binary Gray code over the words (popular candidates in the high
	// bits): each candidate's supporters then lie in few runs of neighbouring groups, about half as many as
	// in plain numeric order, since a Gray code flips each bit half as often. The code is a bijection, so
	// equal sets have equal codes.
	type ballotCode struct {
		hi, lo uint64 // Gray code of the set's words: bit 127−rank for each candidate
		ballot int32  // a ballot with this set
	}
	codes := make([]ballotCode, 0, len(e.p.sets))
	for bi, set := range e.p.sets {
		var k [2]uint64 // the most popular candidate is the highest bit
		for _, j := range set {
			if c := cand[j]; c >= 0 {
				r := 127 - rank[c]
				k[1-r/64] |= 1 << (r % 64)
			}
		}
		if k == [2]uint64{} {
			continue // ballots with no candidate can pay for nothing
		}
		hi := prefixXor(k[0])
		codes = append(codes, ballotCode{hi, prefixXor(k[1]) ^ -(hi & 1), int32(bi)})
	}
	slices.SortFunc(codes, func(a, b ballotCode) int {
		if c := cmp.Compare(b.hi, a.hi); c != 0 {
			return c
		}
		return cmp.Compare(b.lo, a.lo)
	})
	n := 0
	for _, set := range e.p.sets {
		n += len(set)
	}
	buf := make([]int32, 0, n)
	for i := 0; i < len(codes); {
		k := i + 1
		for k < len(codes) && codes[k].hi == codes[i].hi && codes[k].lo == codes[i].lo {
			k++
		}
		e.gm = append(e.gm, int64(k-i))
		// The group's candidates in increasing order: a ballot's projects are in index order, and candidates
		// are numbered in project order.
		start := len(buf)
		for _, j := range e.p.sets[codes[i].ballot] {
			if c := cand[j]; c >= 0 {
				buf = append(buf, c)
			}
		}
		e.gc = append(e.gc, buf[start:len(buf):len(buf)])
		i = k
	}
}

// prefixXor sets each bit of x to the parity of the bits at and above it: the inverse of the Gray code.
func prefixXor(x uint64) uint64 {
	for s := uint(1); s < 64; s *= 2 {
		x ^= x >> s
	}
	return x
}

// popularityRanks ranks the candidates by votes, most first (ties by candidate number).
func (e *esEngine) popularityRanks() []int32 {
	nc := len(e.proj)
	byVotes := make([]int32, nc)
	for c := range byVotes {
		byVotes[c] = int32(c)
	}
	pv := func(c int32) int64 { return e.p.projects[e.proj[c]].votes }
	slices.SortStableFunc(byVotes, func(a, b int32) int { return cmp.Compare(pv(b), pv(a)) })
	rank := make([]int32, nc)
	for r, c := range byVotes {
		rank[c] = int32(r)
	}
	return rank
}

// groupBallotsSlow is groupBallots for more than 128 candidates: sets are keyed by byte strings, and the
// groups are sorted by their candidates' ranks.
func (e *esEngine) groupBallotsSlow(cand, rank []int32) {
	groupOf := make(map[string]int32)
	key := make([]byte, 0, 64)
	cs := make([]int32, 0, 16)
	for _, set := range e.p.sets {
		cs = cs[:0]
		key = key[:0]
		for _, j := range set {
			if c := cand[j]; c >= 0 {
				cs = append(cs, c)
				key = append(key, byte(c), byte(c>>8), byte(c>>16), byte(c>>24))
			}
		}
		if len(cs) == 0 {
			continue
		}
		g, ok := groupOf[string(key)]
		if !ok {
			g = int32(len(e.gm))
			groupOf[string(key)] = g
			e.gm = append(e.gm, 0)
			e.gc = append(e.gc, slices.Clone(cs))
		}
		e.gm[g]++
	}
	e.sortGroups(rank)
}

// sortGroups renumbers the groups so that groups with similar ballots are neighbours: each group's candidates
// are ranked by popularity and the groups are sorted by those ranks. A candidate's supporters then lie in a
// few runs of consecutive groups, which is what keeps the fast pass in the processor's caches. The numbering
// changes no result: every computation over groups is a sum or a per-group decision.
func (e *esEngine) sortGroups(rank []int32) {
	keys := make([][]int32, len(e.gm))
	order := make([]int32, len(e.gm))
	for g, cs := range e.gc {
		k := make([]int32, len(cs))
		for i, c := range cs {
			k[i] = rank[c]
		}
		slices.Sort(k)
		keys[g] = k
		order[g] = int32(g)
	}
	slices.SortFunc(order, func(a, b int32) int { return slices.Compare(keys[a], keys[b]) })
	gm, gc := make([]int64, len(e.gm)), make([][]int32, len(e.gc))
	for i, g := range order {
		gm[i], gc[i] = e.gm[g], e.gc[g]
	}
	e.gm, e.gc = gm, gc
}

// run computes Equal Shares with per-voter budget b.
func (e *esEngine) run(b *big.Rat) esOutcome {
	e.lastBudget = b
	e.den.Set(b.Denom())
	for g := range e.bud {
		e.bud[g].Set(b.Num())
		e.ep[g] = 0
	}
	e.fac, e.facW = e.fac[:1], e.facW[:1]
	e.heap = e.heap[:0]
	for c := range e.proj {
		e.status[c] = esOpen
		if e.cost[c] == 0 {
			e.lb[c].SetInt64(0)
		} else {
			// With everyone's budget intact q ≥ cost/votes, so ρ ≥ 1/votes.
			e.lb[c].SetFrac64(1, e.votes[c])
		}
		e.heap = append(e.heap, int32(c))
	}
	for i := len(e.heap)/2 - 1; i >= 0; i-- {
		e.down(i)
	}

	out := esOutcome{exact: true}
	for {
		best := int32(-1)
		e.evaluated, e.tied = e.evaluated[:0], e.tied[:0]
		for len(e.heap) > 0 {
			top := e.heap[0]
			if best >= 0 && e.lb[top].Cmp(&e.lb[best]) > 0 {
				break // every other project's ρ is at least its lower bound, above the best
			}
			e.pop()
			if !e.evaluate(top) {
				e.status[top] = esUnaffordable
				continue
			}
			e.evaluated = append(e.evaluated, top)
			switch {
			case best < 0:
				best, e.tied = top, append(e.tied[:0], top)
			default:
				switch e.lb[top].Cmp(&e.lb[best]) {
				case -1:
					best, e.tied = top, append(e.tied[:0], top)
				case 0:
					e.tied = append(e.tied, top)
				}
			}
		}
		if best < 0 {
			return out
		}
		if len(e.tied) > 1 {
			slices.SortFunc(e.tied, func(a, b int32) int { return e.p.tieCmp(e.proj[a], e.proj[b]) })
			best = e.tied[0]
			out.ties = append(out.ties, slices.Clone(e.tied))
		}
		for _, c := range e.evaluated {
			if c != best {
				e.push(c)
			}
		}
		e.fund(best, &out)
	}
}

// evaluate computes candidate c's ρ into lb[c] (and x[c], r[c]); false when its supporters cannot afford it.
func (e *esEngine) evaluate(c int32) bool {
	if e.cost[c] == 0 {
		e.lb[c].SetInt64(0)
		e.x[c].SetInt64(0)
		e.r[c] = e.votes[c]
		return true
	}
	rich := e.rich[:0]
	var r int64
	for _, g := range e.supp[c] {
		e.refresh(g)
		if e.bud[g].Sign() > 0 {
			rich = append(rich, g)
			r += e.gm[g]
		}
	}
	// x is cost·den minus what the poor pay; the rich would each pay q = x/r (in units of 1/den). A rich
	// supporter who holds less than q is poor: they pay all they have. Repeat until nobody moves.
	x := &e.x[c]
	x.Mul(&e.den, &e.costBig[c])
	for {
		if r == 0 {
			e.rich = rich
			return false
		}
		// budget < x/r  ⇔  budget < ⌈x/r⌉ for integer budgets.
		e.u.SetInt64(r)
		e.t.Add(x, e.u)
		e.t.Sub(e.t, bigOne)
		e.t.Quo(e.t, e.u)
		k := 0
		moved := false
		for _, g := range rich {
			if e.bud[g].Cmp(e.t) < 0 {
				if e.gm[g] == 1 {
					x.Sub(x, e.bud[g])
				} else {
					e.tmp.Mul(e.bud[g], &e.gmBig[g])
					x.Sub(x, e.tmp)
				}
				r -= e.gm[g]
				moved = true
				continue
			}
			rich[k] = g
			k++
		}
		rich = rich[:k]
		if !moved {
			break
		}
	}
	e.rich = rich
	e.r[c] = r
	// ρ = q / cost = x / (r · den · cost)
	e.u.SetInt64(r)
	e.u.Mul(e.u, &e.den)
	e.u.Mul(e.u, &e.costBig[c])
	e.lb[c].SetFrac(x, e.u)
	return true
}

// fund charges c's supporters, using its evaluation from this round.
func (e *esEngine) fund(c int32, out *esOutcome) {
	e.status[c] = esFunded
	out.winners = append(out.winners, c)
	out.cost = addCost(out.cost, e.cost[c])
	if e.cost[c] == 0 {
		out.shares = append(out.shares, new(big.Rat))
		return
	}
	x, r := &e.x[c], uint64(e.r[c])
	// q = x/r in units of 1/den. Scale den by f = r/gcd(x, r) so that q becomes the integer x/gcd(x, r).
	e.u.SetUint64(r)
	e.t.Rem(x, e.u)
	g := gcd(e.t.Uint64(), r)
	f := r / g
	q := new(big.Int).Quo(x, e.u.SetUint64(g))
	if f != 1 {
		e.fac = append(e.fac, big.Int{})
		e.fac[len(e.fac)-1].SetUint64(f)
		e.facW = append(e.facW, f)
		e.den.Mul(&e.den, e.u.SetUint64(f))
	}
	for _, gi := range e.supp[c] {
		e.refresh(gi)
		if e.bud[gi].Cmp(q) < 0 {
			e.bud[gi].SetInt64(0)
		} else {
			e.bud[gi].Sub(e.bud[gi], q)
		}
	}
	out.shares = append(out.shares, new(big.Rat).SetFrac(q, new(big.Int).Set(&e.den)))
}

// refresh brings group g's budget to the current denominator.
func (e *esEngine) refresh(g int32) {
	last := int32(len(e.fac) - 1)
	if e.ep[g] == last {
		return
	}
	if e.bud[g].Sign() != 0 {
		// Multiply by the factors of the epochs g missed, several at a time while they fit in a word.
		var acc uint64 = 1
		for k := e.ep[g] + 1; k <= last; k++ {
			hi, lo := bits.Mul64(acc, e.facW[k])
			if hi != 0 {
				e.mulBudget(g, acc)
				lo = e.facW[k]
			}
			acc = lo
		}
		e.mulBudget(g, acc)
	}
	e.ep[g] = last
}

func (e *esEngine) mulBudget(g int32, f uint64) {
	if f == 1 {
		return
	}
	e.w.SetUint64(f)
	// big.Int.Mul allocates when the result aliases an operand, so multiply into the spare and swap.
	e.tmp.Mul(e.bud[g], &e.w)
	e.bud[g], e.tmp = e.tmp, e.bud[g]
}

// leftover returns what candidate c's supporters hold at the end of the run, in currency units.
func (e *esEngine) leftover(c int32) *big.Rat {
	sum := new(big.Int)
	for _, g := range e.supp[c] {
		if e.bud[g].Sign() == 0 {
			continue // nothing left, at any denominator
		}
		e.refresh(g)
		if e.gm[g] == 1 {
			sum.Add(sum, e.bud[g])
			continue
		}
		e.tmp.Mul(e.bud[g], &e.gmBig[g])
		sum.Add(sum, e.tmp)
	}
	return new(big.Rat).SetFrac(sum, new(big.Int).Set(&e.den))
}

// addCost adds a project's cost to a total, saturating instead of overflowing: a total beyond int64 is
// over any budget, which is all the completion needs to know.
func addCost(total, cost int64) int64 {
	if cost > math.MaxInt64-total {
		return math.MaxInt64
	}
	return total + cost
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Heap of open candidates, smallest lower bound first.

func (e *esEngine) less(i, j int) bool { return e.lb[e.heap[i]].Cmp(&e.lb[e.heap[j]]) < 0 }

func (e *esEngine) push(c int32) {
	e.heap = append(e.heap, c)
	for i := len(e.heap) - 1; i > 0; {
		parent := (i - 1) / 2
		if !e.less(i, parent) {
			break
		}
		e.heap[i], e.heap[parent] = e.heap[parent], e.heap[i]
		i = parent
	}
}

func (e *esEngine) pop() {
	last := len(e.heap) - 1
	e.heap[0] = e.heap[last]
	e.heap = e.heap[:last]
	e.down(0)
}

func (e *esEngine) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(e.heap) {
			return
		}
		m := l
		if r := l + 1; r < len(e.heap) && e.less(r, l) {
			m = r
		}
		if !e.less(m, i) {
			return
		}
		e.heap[i], e.heap[m] = e.heap[m], e.heap[i]
		i = m
	}
}

// add1Patience is how many steps in a row with the same winners the add1 completion waits before it tries to
// prove a longer stretch (stableUntil). The proof costs about as much as a few hundred steps on the fast pass,
// so it is worth trying only on stretches that are already long; the tests lower it to exercise the jumps.
var add1Patience = 256

// add1FastPatience is how many steps in a row with the same winners the add1 completion waits before it
// tries to skip steps with interval fast runs (fastStretch), which cost about as much as a step each.
var add1FastPatience = 16

// fastStretchTries bounds the interval fast runs of one fastStretch.
const fastStretchTries = 48

// fastStretch returns the last step of a stretch after step, per-voter budget step·inc, in which every step is
// proven to fund winners (fastSameOver); step itself when none is. It tries intervals of 1, 2, 4, … steps
// past what it has proven, halving after a failure, so a stretch of k steps costs about 2·log2(k) fast runs,
// within the widths fastSameOver accepts.
func (e *esEngine) fastStretch(step, inc int64, winners []int32) int64 {
	last, w := step, int64(1)
	for range fastStretchTries {
		if w == 0 {
			break
		}
		to := last + w
		if to < last || to > maxSweepStep(inc) {
			w /= 2
			continue
		}
		if e.fastSameOver((last+1)*inc, to*inc, winners) {
			last = to
			w *= 2
		} else {
			w /= 2
		}
	}
	return last
}

// replayOff makes the add1 completion compute its chosen outcome with a full exact run instead of replaying
// the fast run's path (replay); the tests switch it on to compare both.
var replayOff = false

// add1Parallel lets the add1 completion run its fast passes ahead on every processor (fastSweep); the tests
// switch it off to check that both ways give the same outcomes.
var add1Parallel = true

// spare returns an engine for runFast only, on another goroutine: it shares e's ballots, which runFast only
// reads, and has its own fast state. It must never run the exact engine, whose state it shares with e.
func (e *esEngine) spare() *esEngine {
	s := *e
	s.fast = fastState{}
	return &s
}

// equalShares runs EqualShares (add1 false) or EqualSharesAdd1 and reports per project.
func (p *prepared) equalShares(add1 bool, stage string) (decisions, error) {
	e := p.newEngine()
	out, b, err := e.complete(add1, p.in.Budget, p.in.Rule.Increment)
	if err != nil {
		return decisions{}, err
	}
	return e.decisions(out, b, stage), nil
}

// complete runs Equal Shares once (add1 false) or with the add1 completion; it returns the chosen outcome,
// computed by the exact engine, and its per-voter budget (nil when there are no ballots).
func (e *esEngine) complete(add1 bool, budget, inc int64) (esOutcome, *big.Rat, error) {
	if e.nBallots == 0 {
		return esOutcome{exact: true}, nil, nil
	}
	b := new(big.Rat).SetFrac64(budget, e.nBallots)
	if !add1 {
		return e.run(b), b, nil
	}
	if inc == 0 {
		inc = 1
	}
	runAny := func(b *big.Rat) esOutcome {
		if out, ok := e.runFast(b); ok {
			return out
		}
		return e.run(b)
	}
	incBig := big.NewInt(inc)
	// Per-voter budgets inc·(k+1), inc·(k+2), … with k = ⌊budget/(n·inc)⌋.
	step := new(big.Int).SetInt64(budget / e.nBallots / inc)
	// With more than one processor, the fast passes of the next steps run ahead on worker goroutines
	// (fastSweep), starting while this goroutine computes the first outcome; the outcomes come back in step
	// order, so this changes nothing but the time.
	sweep := e.newFastSweep(inc)
	if sweep != nil {
		defer sweep.close()
		sweep.start(step.Int64() + 1)
	}
	out := runAny(b)
	// After `patience` steps in a row with the same winners, try to prove how far they stay the same and jump
	// there (stableUntil); each attempt that gains nothing doubles the patience, bounding the cost of trying.
	same, patience, fastPatience := 0, add1Patience, add1FastPatience
	jumped := false
	for len(out.winners) < len(e.proj) {
		step.Add(step, bigOne)
		nb := new(big.Rat).SetInt(new(big.Int).Mul(step, incBig))
		var next esOutcome
		if sweep != nil && step.IsInt64() && step.Int64() <= maxSweepStep(inc) {
			next = sweep.get(step.Int64(), nb)
		} else {
			next = runAny(nb)
		}
		if next.cost > budget {
			break
		}
		if slices.Equal(next.winners, out.winners) {
			same++
		} else {
			same = 0
		}
		out, b, jumped = next, nb, false
		// After fastPatience equal steps, try to prove with fast runs over intervals of per-voter budgets
		// (fastStretch) that the next steps give these winners too, and jump past them. A try that gains
		// nothing costs a fast run or two, and doubles fastPatience.
		if same >= fastPatience && step.IsInt64() {
			if last := e.fastStretch(step.Int64(), inc, out.winners); last > step.Int64() {
				step.SetInt64(last)
				b = new(big.Rat).SetInt(new(big.Int).Mul(step, incBig))
				jumped = true // out was computed at a smaller per-voter budget: same winners, other shares
				fastPatience = add1FastPatience
				continue
			}
			fastPatience *= 2
		}
		if same < patience {
			continue
		}
		same = 0
		next1 := new(big.Rat).Add(b, new(big.Rat).SetInt(incBig))
		u := e.stableUntil(b, next1)
		if u == nil {
			break // the same winners for every larger per-voter budget: it never overspends, nothing changes
		}
		// Every step below u gives these winners: continue from the last of them.
		last := new(big.Int).Sub(u.Num(), bigOne)
		last.Quo(last, new(big.Int).Mul(u.Denom(), incBig)) // ⌈u/inc⌉ − 1
		if last.Cmp(step) > 0 {
			step = last
			b = new(big.Rat).SetInt(new(big.Int).Mul(step, incBig))
			jumped = true // out was computed at a smaller per-voter budget: same winners, other shares
		} else {
			patience *= 2
		}
	}
	if sweep != nil {
		sweep.stop() // cancel the speculation before the exact replay; close, deferred, waits for it
	}
	// After a jump, out was computed at a smaller per-voter budget — even when the exact engine computed it,
	// its shares are not those of b — so the outcome at b is computed afresh.
	if jumped || !out.exact {
		var exact esOutcome
		ok := false
		if jumped {
			// The fast run's shares belong to another per-voter budget: compute this one in full.
			exact = e.run(b)
			ok = slices.Equal(exact.winners, out.winners)
		} else {
			exact, ok = e.replay(b, out)
		}
		if !ok {
			return esOutcome{}, nil, fmt.Errorf("outcome: internal error: Equal Shares fast pass and exact engine disagree at per-voter budget %s", b.RatString())
		}
		out = exact
	}
	return out, b, nil
}

// replay computes exactly the run at per-voter budget b whose path a certified fast run has found: it funds
// fast.winners in turn, each at the share the exact engine computes for it, and takes the ties from the fast
// run. Which project wins each round, and which projects tie, is what the fast run certified; what the exact
// engine adds is the money: every share, and every budget left at the end (for the decisions). It evaluates
// one project a round instead of every project whose lower bound is below the best, which is what makes it
// several times cheaper than run. As a check it confirms that every winner's exact share lies within the
// bounds the fast run certified; ok is false if not (a bug), and then nothing is known.
func (e *esEngine) replay(b *big.Rat, fast esOutcome) (out esOutcome, ok bool) {
	if replayOff {
		out = e.run(b)
		return out, slices.Equal(out.winners, fast.winners) && out.cost == fast.cost
	}
	e.lastBudget = b
	e.den.Set(b.Denom())
	for g := range e.bud {
		e.bud[g].Set(b.Num())
		e.ep[g] = 0
	}
	e.fac, e.facW = e.fac[:1], e.facW[:1]
	for c := range e.proj {
		e.status[c] = esOpen
	}
	out = esOutcome{exact: true, ties: fast.ties}
	for i, w := range fast.winners {
		if e.status[w] != esOpen || !e.evaluate(w) || !fast.shareWithin(i, &e.lb[w], e.cost[w]) {
			return esOutcome{}, false
		}
		e.fund(w, &out)
	}
	return out, out.cost == fast.cost
}

// decisions turns a run into per-project decisions. It leaves the engine's state at the end of that run.
func (e *esEngine) decisions(out esOutcome, b *big.Rat, stage string) decisions {
	p := e.p
	d := newDecisions(len(p.projects))
	if b != nil {
		if e.lastBudget != b {
			e.run(b) // bring the state back to the chosen run, for the leftovers below
		}
		d.perVoter = ratString(b)
	}
	for i := range p.projects {
		pr := &p.projects[i]
		switch {
		case pr.Excluded != "":
			d.reason[i], d.detail[i] = ReasonExcluded, pr.Excluded
		case pr.votes == 0:
			d.reason[i] = ReasonNoSupporters
		}
	}
	for pos, c := range out.winners {
		j := e.proj[c]
		d.winners = append(d.winners, j)
		d.selected[j] = true
		d.reason[j] = ReasonFunded
		d.rank[j] = pos + 1
		d.share[j] = ratString(out.shares[pos])
	}
	for c, j := range e.proj {
		if d.reason[j] == "" {
			d.reason[j] = ReasonUnaffordable
			d.detail[j] = fmt.Sprintf("its supporters had %s left; it costs %d", ratString(e.leftover(int32(c))), e.cost[c])
		}
	}
	for _, t := range out.ties {
		ids := make([]int32, len(t))
		for i, c := range t {
			ids[i] = e.proj[c]
		}
		d.ties = append(d.ties, p.tieBreak(ids, stage))
	}
	return d
}

// comparison runs EqualSharesComparison (add1 false) or EqualSharesAdd1Comparison.
func (p *prepared) comparison(add1 bool) (decisions, error) {
	const esStage, greedyStage = "equal-shares", "greedy"
	e := p.newEngine()
	out, b, err := e.complete(add1, p.in.Budget, p.in.Rule.Increment)
	if err != nil {
		return decisions{}, err
	}
	es := e.decisions(out, b, esStage)
	gr := p.greedy(Greedy, 0, greedyStage)

	// Count, per group of identical ballots, funded projects it supports under each outcome.
	var preferES, preferGreedy int64
	for g, cs := range e.gc {
		var nes, ngr int
		for _, c := range cs {
			j := e.proj[c]
			if es.selected[j] {
				nes++
			}
			if gr.selected[j] {
				ngr++
			}
		}
		switch {
		case nes > ngr:
			preferES += e.gm[g]
		case ngr > nes:
			preferGreedy += e.gm[g]
		}
	}
	esName := EqualShares
	if add1 {
		esName = EqualSharesAdd1
	}
	cmp := &Comparison{PreferEqualShares: preferES, PreferGreedy: preferGreedy, Chosen: esName}
	ties := append(slices.Clone(es.ties), gr.ties...)
	d := es
	if preferGreedy > preferES {
		cmp.Chosen = Greedy
		d = gr
	}
	d.ties = ties
	d.comparison = cmp
	return d, nil
}

var bigOne = big.NewInt(1)
