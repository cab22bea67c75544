package outcome

import (
	"math/big"
	"slices"
)

// FastAgrees runs the certified fast pass and the exact engine of Equal Shares on in with per-voter budget b.
// It reports whether the fast pass certified its run and, if so, whether both fund the same projects in the
// same order. It lets the external tests check the fast pass, which Compute only uses inside add1.
func FastAgrees(in Input, b *big.Rat) (certified, agree bool, err error) {
	p, err := prepare(in)
	if err != nil {
		return false, false, err
	}
	e := p.newEngine()
	fast, ok := e.runFast(b)
	exact := e.run(b)
	if !ok {
		return false, false, nil
	}
	return true, slices.Equal(fast.winners, exact.winners) && fast.cost == exact.cost, nil
}

// SetAdd1Patience sets how many equal steps the add1 completion waits before trying to jump, and returns a
// function that restores it. Tests that call it must not run in parallel.
func SetAdd1Patience(n int) (restore func()) {
	old := add1Patience
	add1Patience = n
	return func() { add1Patience = old }
}

// SetAdd1Parallel switches the add1 completion's sweep of fast passes on worker goroutines on or off, and
// returns a function that restores it. Tests that call it must not run in parallel.
func SetAdd1Parallel(on bool) (restore func()) {
	old := add1Parallel
	add1Parallel = on
	return func() { add1Parallel = old }
}

// FastSequenceAgrees runs the fast pass on one engine at each per-voter budget in turn — so that later runs
// may take over the prefix an earlier one recorded — and checks each certified run against the exact engine
// on a fresh engine. It returns how many runs were certified and how many of those resumed a prefix.
func FastSequenceAgrees(in Input, budgets []*big.Rat) (certified, resumed int, agree bool, err error) {
	p, err := prepare(in)
	if err != nil {
		return 0, 0, false, err
	}
	e := p.newEngine()
	for _, b := range budgets {
		pre := e.fast.pre
		usable := pre.valid && len(pre.winners) > 0
		fast, ok := e.runFast(b)
		if !ok {
			continue
		}
		certified++
		if usable && len(fast.winners) >= len(pre.winners) && slices.Equal(fast.winners[:len(pre.winners)], pre.winners) {
			resumed++
		}
		exact := p.newEngine().run(b)
		if !slices.Equal(fast.winners, exact.winners) || fast.cost != exact.cost {
			return certified, resumed, false, nil
		}
	}
	return certified, resumed, true, nil
}

// ReplayAgrees runs the fast pass at per-voter budget b and, when it certifies its run, replays its path with
// exact arithmetic (what the add1 completion does for the outcome it chooses) and compares everything with a
// full exact run on a fresh engine: winners, shares, ties, cost, and what each candidate's supporters hold at
// the end. certified is false when the fast pass gave up; ties counts the replayed run's ties.
func ReplayAgrees(in Input, b *big.Rat) (certified, agree bool, ties int, err error) {
	p, err := prepare(in)
	if err != nil {
		return false, false, 0, err
	}
	e := p.newEngine()
	fast, ok := e.runFast(b)
	if !ok {
		return false, false, 0, nil
	}
	got, ok := e.replay(b, fast)
	if !ok {
		return true, false, 0, nil
	}
	ref := p.newEngine()
	want := ref.run(b)
	same := slices.Equal(got.winners, want.winners) && got.cost == want.cost && len(got.ties) == len(want.ties) &&
		slices.EqualFunc(got.shares, want.shares, func(a, b *big.Rat) bool { return a.Cmp(b) == 0 })
	for i := range min(len(got.ties), len(want.ties)) {
		same = same && slices.Equal(got.ties[i], want.ties[i])
	}
	for c := range e.proj {
		same = same && e.leftover(int32(c)).Cmp(ref.leftover(int32(c))) == 0
	}
	return true, same, len(got.ties), nil
}

// SetReplayOff makes the add1 completion compute its chosen outcome with a full exact run instead of a replay,
// and returns a function that restores the setting. Tests that call it must not run in parallel.
func SetReplayOff(off bool) (restore func()) {
	old := replayOff
	replayOff = off
	return func() { replayOff = old }
}

// SetAdd1Workers makes the add1 completion's sweep use n workers whatever GOMAXPROCS is (0: one per processor,
// none on one), and returns a function that restores it. Tests that call it must not run in parallel.
func SetAdd1Workers(n int) (restore func()) {
	old := add1Workers
	add1Workers = n
	return func() { add1Workers = old }
}

// IntervalAgrees runs one fast pass over every per-voter budget in [x0, x1] at once (fastSameOver) and, when
// it certifies its path, checks the exact engine at every whole budget in the interval against it. certified
// is false when the interval run gave up.
func IntervalAgrees(in Input, x0, x1 int64) (certified, agree bool, err error) {
	p, err := prepare(in)
	if err != nil {
		return false, false, err
	}
	e := p.newEngine()
	fast, ok := e.runFastOver(x0, x1)
	if !ok {
		return false, false, nil
	}
	if !e.fastSameOver(x0, x1, fast.winners) {
		return true, false, nil // the same run must certify the same path
	}
	for x := x0; x <= x1; x++ {
		exact := p.newEngine().run(big.NewRat(x, 1))
		if !slices.Equal(exact.winners, fast.winners) || exact.cost != fast.cost {
			return true, false, nil
		}
	}
	return true, true, nil
}

// SetAdd1FastPatience sets how many equal steps the add1 completion waits before it tries interval fast runs
// (fastStretch), and returns a function that restores it. Tests that call it must not run in parallel.
func SetAdd1FastPatience(n int) (restore func()) {
	old := add1FastPatience
	add1FastPatience = n
	return func() { add1FastPatience = old }
}

// SetFastPassOff makes every fast run of Equal Shares give up, so that the exact engine computes every step,
// and returns a function that restores the setting. Tests that call it must not run in parallel.
func SetFastPassOff(off bool) (restore func()) {
	old := fastOff
	fastOff = off
	return func() { fastOff = old }
}

// PreparedDigest is the digest Compute reports for in (prepared.digest), which must equal Digest(in).
func PreparedDigest(in Input) (string, error) {
	p, err := prepare(in)
	if err != nil {
		return "", err
	}
	return p.digest(), nil
}
