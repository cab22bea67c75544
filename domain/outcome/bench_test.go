package outcome_test

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pbledger/pbledger/domain/outcome"
)

// syntheticDistrict is a deterministic district of `ballots` approval ballots over `projects` projects, shaped
// like a city's: popularity falls off with the project number (weight 1000/(j+1)+20), ballots list 1–15
// distinct projects, costs are whole hundreds from 10,000 to 1,000,000, and the budget is 200 per ballot,
// which is about 40% of what all projects cost together. Integers only, from a fixed PCG seed.
func syntheticDistrict(ballots, projects int) outcome.Input {
	rng := rand.New(rand.NewPCG(1, 0x9e3779b97f4a7c15))
	in := outcome.Input{Budget: int64(ballots) * 200, VoteType: outcome.Approval, LotSeed: "synthetic"}
	weights := make([]int, projects)
	total := 0
	for j := range projects {
		cost := int64(10_000+rng.IntN(990_000)) / 100 * 100 * int64(ballots) / 100_000
		in.Projects = append(in.Projects, outcome.Project{ID: "p" + strconv.Itoa(j), Cost: cost})
		weights[j] = 1000/(j+1) + 20
		total += weights[j]
	}
	seen := make([]int, projects)
	for i := range ballots {
		l := min(1+rng.IntN(15), projects)
		var cs []outcome.Choice
		for len(cs) < l {
			x := rng.IntN(total)
			j := 0
			for x >= weights[j] {
				x -= weights[j]
				j++
			}
			if seen[j] != i+1 {
				seen[j] = i + 1
				cs = append(cs, outcome.Choice{Project: "p" + strconv.Itoa(j)})
			}
		}
		in.Ballots = append(in.Ballots, outcome.Ballot{Voter: strconv.Itoa(i), Choices: cs})
	}
	return in
}

var synthetic100k = sync.OnceValue(func() outcome.Input { return syntheticDistrict(100_000, 100) })

// largestFile is the largest .pb file of the data directory.
func largestFile(tb testing.TB) string {
	tb.Helper()
	var best string
	var size int64 = -1
	for _, f := range dataFiles(tb) {
		if st, err := os.Stat(f); err == nil && st.Size() > size {
			best, size = f, st.Size()
		}
	}
	return best
}

// BenchmarkCompute measures both families of rules on the largest real file and on a synthetic district of
// 100,000 ballots over 100 projects. Run with: go test -run '^$' -bench . -benchmem ./domain/outcome/
func BenchmarkCompute(b *testing.B) {
	rules := []outcome.RuleName{outcome.Greedy, outcome.EqualSharesAdd1}
	path := largestFile(b)
	_, fileInput := mustLoad(b, path)
	cases := []struct {
		name string
		in   func() outcome.Input
	}{
		{"file=" + strings.TrimSuffix(filepath.Base(path), ".pb"), func() outcome.Input { return fileInput }},
		{"synthetic-100k-ballots-100-projects", synthetic100k},
	}
	for _, c := range cases {
		for _, r := range rules {
			b.Run(c.name+"/rule="+strings.ReplaceAll(string(r), "/", "-"), func(b *testing.B) {
				in := c.in()
				in.Rule = outcome.Rule{Name: r}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := outcome.Compute(in); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// TestSyntheticDistrictIsDeterministic guards the benchmark's input: same generator, same district.
func TestSyntheticDistrictIsDeterministic(t *testing.T) {
	t.Parallel()
	a, b := syntheticDistrict(500, 20), syntheticDistrict(500, 20)
	if outcome.Digest(a) != outcome.Digest(b) {
		t.Errorf("two runs of the generator differ")
	}
	if len(a.Ballots) != 500 || len(a.Projects) != 20 {
		t.Errorf("got %d ballots and %d projects", len(a.Ballots), len(a.Projects))
	}
}
