package outcome

// raceScaled is n, or a fifth of it (at least 1) under the race detector.
func raceScaled(n int) int {
	if RaceEnabled {
		return max(1, n/5)
	}
	return n
}
