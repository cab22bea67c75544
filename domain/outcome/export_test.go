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
