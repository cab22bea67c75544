package main

import (
	"testing"

	"github.com/pbledger/pbledger/domain"
)

// The demo's and the tests' resident IDs are valid IINs, distinct for every n used.
func TestDemoIINs(t *testing.T) {
	seen := map[string]int{}
	for _, base := range []int{0, 500_000, 7_000_000, 8_000_000, 9_000_000} {
		for n := base; n < base+10_000; n++ {
			s := demoIIN(n)
			if !domain.ValidIIN(s) {
				t.Fatalf("demoIIN(%d) = %q is not a valid IIN", n, s)
			}
			if m, dup := seen[s]; dup {
				t.Fatalf("demoIIN(%d) = demoIIN(%d) = %q", n, m, s)
			}
			seen[s] = n
		}
	}
}
