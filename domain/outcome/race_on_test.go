//go:build race

package outcome

// RaceEnabled tells the tests whether the race detector is on: then the long randomized comparisons draw fewer
// instances (the detector's worth is in the concurrent sweep, not in the count of districts), so that `make
// test` stays quick.
const RaceEnabled = true
