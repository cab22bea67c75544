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

// SetAdd1Parallel switches the add1 completion's second fast pass on or off, and returns a function that
// restores it. Tests that call it must not run in parallel.
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
