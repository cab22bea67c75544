//go:build !race

package outcome

// RaceEnabled tells the tests whether the race detector is on (see race_on_test.go).
const RaceEnabled = false
