package outcome_test

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/pbledger/pbledger/domain/outcome"
)

// randomInput draws a small instance. Small integer costs and budgets make exact ties common, so the
// tie-breaking paths get exercised.
func randomInput(rng *rand.Rand, vt outcome.VoteType, rule outcome.RuleName, i int) outcome.Input {
	in := outcome.Input{
		Budget:   int64(rng.IntN(200)),
		VoteType: vt,
		Rule:     outcome.Rule{Name: rule},
		LotSeed:  fmt.Sprintf("seed-%d", i),
	}
	if rule == outcome.GreedyThreshold {
		in.Rule.MinSupport = int64(rng.IntN(6))
	}
	if rng.IntN(4) == 0 {
		in.Rule.Increment = int64(1 + rng.IntN(5))
	}
	np := 1 + rng.IntN(8)
	for j := range np {
		p := outcome.Project{ID: fmt.Sprintf("p%d", j), Cost: int64(rng.IntN(60))}
		if rng.IntN(12) == 0 {
			p.Cost = 0
		}
		if rng.IntN(10) == 0 {
			p.Excluded = "withdrawn"
		}
		if rng.IntN(5) == 0 {
			p.Weight = big.NewRat(int64(rng.IntN(4)), int64(1+rng.IntN(3)))
		}
		in.Projects = append(in.Projects, p)
	}
	nb := rng.IntN(30)
	for k := range nb {
		b := outcome.Ballot{Voter: fmt.Sprintf("v%d", k)}
		perm := rng.Perm(np)
		n := rng.IntN(np + 1)
		if vt == outcome.ChooseOne {
			n = min(n, 1)
		}
		for _, j := range perm[:n] {
			c := outcome.Choice{Project: fmt.Sprintf("p%d", j)}
			switch vt {
			case outcome.Cumulative:
				c.Points = int64(rng.IntN(6))
			case outcome.Scoring:
				c.Points = int64(rng.IntN(7) - 3)
			}
			b.Choices = append(b.Choices, c)
		}
		in.Ballots = append(in.Ballots, b)
	}
	return in
}

// combos are the vote type and rule pairs Compute accepts.
func combos() [][2]string {
	var out [][2]string
	for _, vt := range []outcome.VoteType{outcome.Approval, outcome.ChooseOne, outcome.Cumulative, outcome.Ordinal, outcome.Scoring} {
		for _, r := range outcome.Rules() {
			approvalLike := vt == outcome.Approval || vt == outcome.ChooseOne
			if r == outcome.Greedy || r == outcome.GreedyNoSkip || r == outcome.GreedyThreshold || r == outcome.GreedyExclusive || approvalLike {
				out = append(out, [2]string{string(vt), string(r)})
			}
		}
	}
	return out
}

func TestPropertiesOfEveryRule(t *testing.T) {
	t.Parallel()
	const instances = 300
	for ci, c := range combos() {
		vt, rule := outcome.VoteType(c[0]), outcome.RuleName(c[1])
		t.Run(c[0]+"/"+c[1], func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(uint64(ci), 2024))
			for i := range instances {
				in := randomInput(rng, vt, rule, i)
				res := mustCompute(t, in)
				checkInvariants(t, in, res)
				checkPermutationInvariance(t, rng, in, res)
				if rule == outcome.Greedy {
					checkGreedyLeavesNothingThatFits(t, in, res)
				}
				if res.PerVoterBudget != "" {
					checkPayments(t, in, res)
				}
				if t.Failed() {
					t.Fatalf("instance %d: %s", i, mustJSON(t, in))
				}
			}
		})
	}
}

func checkInvariants(tb testing.TB, in outcome.Input, res outcome.Result) {
	tb.Helper()
	if res.TotalCost > res.Budget || res.Budget != in.Budget {
		tb.Errorf("spent %d of a budget of %d (input budget %d)", res.TotalCost, res.Budget, in.Budget)
	}
	var spent int64
	winners := map[string]bool{}
	for _, w := range res.Winners {
		spent += w.Funded
		if winners[w.Project] {
			tb.Errorf("project %s won twice", w.Project)
		}
		winners[w.Project] = true
	}
	if spent != res.TotalCost {
		tb.Errorf("winners cost %d, total cost says %d", spent, res.TotalCost)
	}
	if len(res.Decisions) != len(in.Projects) {
		tb.Errorf("%d decisions for %d projects", len(res.Decisions), len(in.Projects))
	}
	if !slices.IsSortedFunc(res.Decisions, func(a, b outcome.Decision) int { return cmpStrings(a.Project, b.Project) }) {
		tb.Errorf("decisions are not sorted by project ID")
	}
	for _, d := range res.Decisions {
		if d.Selected != winners[d.Project] || d.Selected != (d.Reason == outcome.ReasonFunded) {
			tb.Errorf("project %s: selected %v, reason %s, among winners %v", d.Project, d.Selected, d.Reason, winners[d.Project])
		}
		if d.Reason == "" {
			tb.Errorf("project %s has no reason", d.Project)
		}
	}
	if res.BallotsCounted != len(in.Ballots) {
		tb.Errorf("ballots counted: got %d, want %d", res.BallotsCounted, len(in.Ballots))
	}
}

func cmpStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// checkPermutationInvariance shuffles ballots, projects and (where order means nothing) choices, and
// compares the JSON of the results.
func checkPermutationInvariance(tb testing.TB, rng *rand.Rand, in outcome.Input, res outcome.Result) {
	tb.Helper()
	shuffled := in
	shuffled.Projects = slices.Clone(in.Projects)
	rng.Shuffle(len(shuffled.Projects), func(i, j int) {
		shuffled.Projects[i], shuffled.Projects[j] = shuffled.Projects[j], shuffled.Projects[i]
	})
	shuffled.Ballots = slices.Clone(in.Ballots)
	rng.Shuffle(len(shuffled.Ballots), func(i, j int) {
		shuffled.Ballots[i], shuffled.Ballots[j] = shuffled.Ballots[j], shuffled.Ballots[i]
	})
	if in.VoteType != outcome.Ordinal {
		for k := range shuffled.Ballots {
			cs := slices.Clone(shuffled.Ballots[k].Choices)
			rng.Shuffle(len(cs), func(i, j int) { cs[i], cs[j] = cs[j], cs[i] })
			shuffled.Ballots[k].Choices = cs
		}
	}
	got := mustCompute(tb, shuffled)
	if a, b := mustJSON(tb, got), mustJSON(tb, res); a != b {
		tb.Errorf("permuting the input changed the result:\n got %s\nwant %s", a, b)
	}
}

// checkGreedyLeavesNothingThatFits: after Greedy, no eligible supported project fits the money left.
func checkGreedyLeavesNothingThatFits(tb testing.TB, in outcome.Input, res outcome.Result) {
	tb.Helper()
	left := res.Budget - res.TotalCost
	cost := map[string]int64{}
	for _, p := range in.Projects {
		cost[p.ID] = p.Cost
	}
	for _, d := range res.Decisions {
		if d.Reason == outcome.ReasonDoesNotFit && cost[d.Project] <= left {
			tb.Errorf("project %s costs %d and was skipped, but %d is left", d.Project, cost[d.Project], left)
		}
		if !d.Selected && d.Reason != outcome.ReasonDoesNotFit && d.Reason != outcome.ReasonExcluded && d.Reason != outcome.ReasonNoSupporters && d.Reason != outcome.ReasonAboveBudget {
			tb.Errorf("project %s: unexpected reason %s under greedy", d.Project, d.Reason)
		}
	}
}

func TestEqualSharesMatchesReference(t *testing.T) {
	t.Parallel()
	for _, rule := range []outcome.RuleName{outcome.EqualShares, outcome.EqualSharesAdd1} {
		t.Run(string(rule), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(7, uint64(len(rule))))
			for i := range 400 {
				in := randomInput(rng, outcome.Approval, rule, i)
				res := mustCompute(t, in)
				wantWinners, wantB := refEqualShares(in, rule == outcome.EqualSharesAdd1)
				wantPerVoter := ""
				if wantB != nil {
					wantPerVoter = wantB.RatString()
				}
				if got := winnerIDs(res); !slices.Equal(got, wantWinners) || res.PerVoterBudget != wantPerVoter {
					t.Fatalf("instance %d: got %v at %q, reference %v at %q\n%s", i, got, res.PerVoterBudget, wantWinners, wantPerVoter, mustJSON(t, in))
				}
			}
		})
	}
}

// refEqualShares is Equal Shares written the obvious way, one budget per ballot and every share recomputed by
// water-filling each round, with the add1 completion as documented on outcome.EqualSharesAdd1.
func refEqualShares(in outcome.Input, add1 bool) ([]string, *big.Rat) {
	n := int64(len(in.Ballots))
	if n == 0 {
		return []string{}, nil
	}
	votes := map[string]int64{}
	for _, b := range in.Ballots {
		for _, c := range b.Choices {
			votes[c.Project]++
		}
	}
	var cands []outcome.Project
	var ids []string
	for _, p := range in.Projects {
		ids = append(ids, p.ID)
		if p.Excluded == "" && votes[p.ID] > 0 {
			cands = append(cands, p)
		}
	}
	lot := map[string]int{}
	for i, id := range outcome.LotOrder(in.LotSeed, ids) {
		lot[id] = i
	}
	run := func(b *big.Rat) ([]string, int64) {
		left := make([]*big.Rat, n)
		for i := range left {
			left[i] = new(big.Rat).Set(b)
		}
		funded := map[string]bool{}
		var winners []string
		var total int64
		for {
			var best *outcome.Project
			var bestRho, bestQ *big.Rat
			for k := range cands {
				p := &cands[k]
				if funded[p.ID] {
					continue
				}
				var sup []int
				for i, bl := range in.Ballots {
					if slices.ContainsFunc(bl.Choices, func(c outcome.Choice) bool { return c.Project == p.ID }) {
						sup = append(sup, i)
					}
				}
				slices.SortStableFunc(sup, func(x, y int) int { return left[x].Cmp(left[y]) })
				rest := new(big.Rat).SetInt64(p.Cost)
				var q *big.Rat
				for k, i := range sup {
					share := new(big.Rat).Quo(rest, big.NewRat(int64(len(sup)-k), 1))
					if left[i].Cmp(share) >= 0 {
						q = share
						break
					}
					rest.Sub(rest, left[i])
				}
				if q == nil {
					continue // unaffordable
				}
				rho := new(big.Rat)
				if p.Cost > 0 {
					rho.Quo(q, big.NewRat(p.Cost, 1))
				}
				better := best == nil || rho.Cmp(bestRho) < 0
				if !better && rho.Cmp(bestRho) == 0 {
					switch {
					case p.Cost != best.Cost:
						better = p.Cost < best.Cost
					case votes[p.ID] != votes[best.ID]:
						better = votes[p.ID] > votes[best.ID]
					default:
						better = lot[p.ID] < lot[best.ID]
					}
				}
				if better {
					best, bestRho, bestQ = p, rho, q
				}
			}
			if best == nil {
				return winners, total
			}
			funded[best.ID] = true
			winners = append(winners, best.ID)
			total += best.Cost
			for i, bl := range in.Ballots {
				if slices.ContainsFunc(bl.Choices, func(c outcome.Choice) bool { return c.Project == best.ID }) {
					if left[i].Cmp(bestQ) < 0 {
						left[i].SetInt64(0)
					} else {
						left[i].Sub(left[i], bestQ)
					}
				}
			}
		}
	}
	b := big.NewRat(in.Budget, n)
	winners, _ := run(b)
	if !add1 {
		return winners, b
	}
	inc := in.Rule.Increment
	if inc == 0 {
		inc = 1
	}
	for step := in.Budget/n/inc + 1; len(winners) < len(cands); step++ {
		nb := big.NewRat(step*inc, 1)
		next, cost := run(nb)
		if cost > in.Budget {
			break
		}
		winners, b = next, nb
	}
	if winners == nil {
		winners = []string{}
	}
	return winners, b
}

// TestFastPassAgreesWithExactEngine checks the certified fast pass of the add1 completion directly: whenever
// it certifies a run, the exact engine funds the same projects in the same order. Instances are larger than
// randomInput's, with costs and budgets that give fractional shares.
func TestFastPassAgreesWithExactEngine(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(11, 13))
	certified := 0
	const instances = 200
	for i := range instances {
		in := outcome.Input{VoteType: outcome.Approval, Rule: outcome.Rule{Name: outcome.EqualShares}, LotSeed: "s"}
		np := 2 + rng.IntN(15)
		for j := range np {
			in.Projects = append(in.Projects, outcome.Project{ID: fmt.Sprintf("p%d", j), Cost: int64(1 + rng.IntN(100_000))})
		}
		nb := 20 + rng.IntN(300)
		for k := range nb {
			b := outcome.Ballot{Voter: fmt.Sprint(k)}
			for _, j := range rng.Perm(np)[:1+rng.IntN(np)] {
				b.Choices = append(b.Choices, outcome.Choice{Project: fmt.Sprintf("p%d", j)})
			}
			in.Ballots = append(in.Ballots, b)
		}
		in.Budget = int64(rng.IntN(500_000))
		for _, b := range []*big.Rat{big.NewRat(in.Budget, int64(nb)), big.NewRat(int64(rng.IntN(3000)), 1), big.NewRat(int64(rng.IntN(1_000_000)), 7)} {
			ok, agree, err := outcome.FastAgrees(in, b)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				certified++
				if !agree {
					t.Fatalf("instance %d, per-voter budget %s: fast pass and exact engine disagree\n%s", i, b.RatString(), mustJSON(t, in))
				}
			}
		}
	}
	if certified < instances {
		t.Errorf("the fast pass certified only %d of %d runs; it should certify most", certified, 3*instances)
	}
}

// TestReplayAgreesWithExactRun checks the exact replay of a certified fast run's path, which the add1
// completion uses for the outcome it reports, against a full exact run: same winners, shares to the last
// digit, ties, and money left. Instances are TestFastPassAgreesWithExactEngine's, plus districts where many
// ballots repeat and costs tie, so that ties and projects paid by the poor occur.
func TestReplayAgreesWithExactRun(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(21, 34))
	certified, tied := 0, 0
	const instances = 200
	for i := range instances {
		in := outcome.Input{VoteType: outcome.Approval, Rule: outcome.Rule{Name: outcome.EqualShares}, LotSeed: "r"}
		np := 2 + rng.IntN(15)
		for j := range np {
			cost := int64(1 + rng.IntN(100_000))
			if i%2 == 1 {
				cost = int64(100 * (1 + rng.IntN(4))) // few distinct costs: ties
			}
			in.Projects = append(in.Projects, outcome.Project{ID: fmt.Sprintf("p%d", j), Cost: cost})
		}
		nb := 20 + rng.IntN(300)
		for k := range nb {
			b := outcome.Ballot{Voter: fmt.Sprint(k)}
			if k > 0 && i%2 == 1 && rng.IntN(3) == 0 {
				b.Choices = in.Ballots[rng.IntN(k)].Choices
			} else {
				for _, j := range rng.Perm(np)[:1+rng.IntN(np)] {
					b.Choices = append(b.Choices, outcome.Choice{Project: fmt.Sprintf("p%d", j)})
				}
			}
			in.Ballots = append(in.Ballots, b)
		}
		in.Budget = int64(rng.IntN(500_000))
		for _, b := range []*big.Rat{big.NewRat(in.Budget, int64(nb)), big.NewRat(int64(rng.IntN(3000)), 1), big.NewRat(int64(rng.IntN(1_000_000)), 7)} {
			ok, agree, ties, err := outcome.ReplayAgrees(in, b)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				certified++
				tied += min(ties, 1)
				if !agree {
					t.Fatalf("instance %d, per-voter budget %s: replay and exact run differ\n%s", i, b.RatString(), mustJSON(t, in))
				}
			}
		}
	}
	if certified < instances {
		t.Errorf("the fast pass certified only %d of %d runs; it should certify most", certified, 3*instances)
	}
	if tied == 0 {
		t.Errorf("no replayed run had a tie: the test does not exercise them")
	}
	t.Logf("%d certified runs replayed, %d with ties", certified, tied)
}

// TestEqualSharesAdd1ReplayMatchesExactRun checks at the level of Compute that replaying the chosen outcome's
// path gives the very Result a full exact run gives, on synthetic districts and on the shipped real files.
// It switches a package setting, so it does not run in parallel.
func TestEqualSharesAdd1ReplayMatchesExactRun(t *testing.T) {
	var inputs []outcome.Input
	for _, size := range [][2]int{{300, 12}, {3000, 40}} {
		in := syntheticDistrict(size[0], size[1])
		in.Budget = in.Budget * 3 / 2
		inputs = append(inputs, in)
	}
	for _, f := range dataFiles(t) {
		_, in := mustLoad(t, f)
		if in.VoteType == outcome.Approval || in.VoteType == outcome.ChooseOne {
			inputs = append(inputs, in)
		}
	}
	for i, in := range inputs {
		in.Rule = outcome.Rule{Name: outcome.EqualSharesAdd1}
		off := outcome.SetReplayOff(true)
		full := mustCompute(t, in)
		off()
		replayed := mustCompute(t, in)
		if a, b := mustJSON(t, full), mustJSON(t, replayed); a != b {
			t.Fatalf("input %d: full exact run and replay differ\n%s\n%s", i, a, b)
		}
	}
}

// TestEqualSharesAdd1JumpsMatchStepByStep draws instances with few voters and expensive projects, where the
// add1 completion meets long stretches of per-voter budgets with the same winners (which Compute skips by
// proof, see stableUntil), and checks the result against the reference that tries every step.
//
// It lowers the patience of the completion so that it tries to jump often, and so does not run in parallel.
func TestEqualSharesAdd1JumpsMatchStepByStep(t *testing.T) {
	defer outcome.SetAdd1Patience(2)()
	rng := rand.New(rand.NewPCG(99, 1))
	for i := range 40 {
		in := outcome.Input{VoteType: outcome.Approval, Rule: outcome.Rule{Name: outcome.EqualSharesAdd1}, LotSeed: "s"}
		np := 2 + rng.IntN(6)
		var total int64
		for j := range np {
			c := int64(1 + rng.IntN(5000))
			total += c
			in.Projects = append(in.Projects, outcome.Project{ID: fmt.Sprintf("p%d", j), Cost: c})
		}
		in.Budget = total/2 + int64(rng.IntN(int(total/2)+1))
		for k := range 3 + rng.IntN(8) {
			b := outcome.Ballot{Voter: fmt.Sprint(k)}
			for _, j := range rng.Perm(np)[:1+rng.IntN(np)] {
				b.Choices = append(b.Choices, outcome.Choice{Project: fmt.Sprintf("p%d", j)})
			}
			in.Ballots = append(in.Ballots, b)
		}
		checkAdd1StepByStep(t, fmt.Sprintf("instance %d", i), in)
	}
}

// checkAdd1StepByStep computes in (under add1) and fails unless it funds what the reference that tries every
// step funds, at the same per-voter budget, with payments that add up.
func checkAdd1StepByStep(t *testing.T, name string, in outcome.Input) {
	t.Helper()
	res := mustCompute(t, in)
	want, wantB := refEqualShares(in, true)
	if got := winnerIDs(res); !slices.Equal(got, want) || res.PerVoterBudget != wantB.RatString() {
		t.Fatalf("%s: got %v at %s, step by step %v at %s\n%s", name, got, res.PerVoterBudget, want, wantB.RatString(), mustJSON(t, in))
	}
	checkPayments(t, in, res)
}

// TestEqualSharesAdd1ParallelMatchesSequential checks that running the next steps' fast passes ahead on every
// processor (fastSweep) changes nothing: synthetic districts, with and without the jumps, give the same Result
// either way. TestEqualSharesAdd1SweepMatchesSequential checks it with 1 to 4 workers whatever GOMAXPROCS is.
// It switches package settings, so it does not run in parallel.
func TestEqualSharesAdd1ParallelMatchesSequential(t *testing.T) {
	for _, patience := range []int{2, 256} {
		restore := outcome.SetAdd1Patience(patience)
		for _, size := range [][2]int{{300, 12}, {3000, 40}} {
			in := syntheticDistrict(size[0], size[1])
			in.Rule = outcome.Rule{Name: outcome.EqualSharesAdd1}
			in.Budget = in.Budget * 3 / 2
			off := outcome.SetAdd1Parallel(false)
			seq := mustCompute(t, in)
			off()
			on := outcome.SetAdd1Parallel(true)
			par := mustCompute(t, in)
			on()
			if a, b := mustJSON(t, seq), mustJSON(t, par); a != b {
				t.Fatalf("patience %d, %v: sequential and parallel differ\n%s\n%s", patience, size, a, b)
			}
		}
		restore()
	}
}

// TestFastPassPrefixResumes checks the prefix a fast run hands to the next (fastPrefix): on one engine, runs at
// rising per-voter budgets — and some falling ones, where the prefix must not be used — each fund exactly what
// the exact engine funds. Costs are small beside the budgets so that the runs have long prefixes of rounds in
// which every supporter is rich.
func TestFastPassPrefixResumes(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 8))
	var certified, resumed int
	for i := range 60 {
		in := outcome.Input{VoteType: outcome.Approval, Rule: outcome.Rule{Name: outcome.EqualShares}, LotSeed: "s"}
		np := 3 + rng.IntN(20)
		for j := range np {
			in.Projects = append(in.Projects, outcome.Project{ID: fmt.Sprintf("p%d", j), Cost: int64(1 + rng.IntN(20_000))})
		}
		nb := 20 + rng.IntN(400)
		for k := range nb {
			b := outcome.Ballot{Voter: fmt.Sprint(k)}
			for _, j := range rng.Perm(np)[:1+rng.IntN(np)] {
				b.Choices = append(b.Choices, outcome.Choice{Project: fmt.Sprintf("p%d", j)})
			}
			in.Ballots = append(in.Ballots, b)
		}
		in.Budget = 1
		start := int64(1 + rng.IntN(200))
		var budgets []*big.Rat
		for k := range 30 {
			budgets = append(budgets, big.NewRat(start+int64(k)*int64(1+rng.IntN(7)), int64(1+rng.IntN(3))))
		}
		c, r, agree, err := outcome.FastSequenceAgrees(in, budgets)
		if err != nil {
			t.Fatal(err)
		}
		if !agree {
			t.Fatalf("instance %d: a fast run disagrees with the exact engine\n%s", i, mustJSON(t, in))
		}
		certified, resumed = certified+c, resumed+r
	}
	if resumed < certified/4 {
		t.Errorf("only %d of %d certified runs resumed a prefix: the test does not exercise it", resumed, certified)
	}
	t.Logf("%d certified runs, %d resumed a prefix", certified, resumed)
}

// TestEqualSharesManyProjectsMatchesReference covers both ways of grouping identical ballots: sets of at most
// 128 candidates as two machine words, larger ones as byte strings. Districts of 120 to 140 projects, some
// withdrawn or without supporters, so that the number of candidates falls on both sides of 128, with repeated
// ballots; Equal Shares must fund what the reference funds. (add1 runs the same grouping; the reference is too
// slow for it at this size.)
func TestEqualSharesManyProjectsMatchesReference(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(128, 129))
	sides := map[bool]int{}
	for i := range 16 {
		in := outcome.Input{VoteType: outcome.Approval, LotSeed: "many"}
		np := 120 + rng.IntN(21)
		for j := range np {
			p := outcome.Project{ID: fmt.Sprintf("p%03d", j), Cost: int64(1 + rng.IntN(400))}
			if rng.IntN(15) == 0 {
				p.Excluded = "withdrawn"
			}
			in.Projects = append(in.Projects, p)
		}
		var total int64
		for _, p := range in.Projects {
			total += p.Cost
		}
		in.Budget = total / int64(2+rng.IntN(3))
		nb := 60 + rng.IntN(120)
		for k := range nb {
			b := outcome.Ballot{Voter: fmt.Sprint(k)}
			if k > 0 && rng.IntN(4) == 0 {
				b.Choices = in.Ballots[rng.IntN(k)].Choices // a repeated ballot
			} else {
				for _, j := range rng.Perm(np)[:1+rng.IntN(12)] {
					b.Choices = append(b.Choices, outcome.Choice{Project: fmt.Sprintf("p%03d", j)})
				}
			}
			in.Ballots = append(in.Ballots, b)
		}
		supported := map[string]bool{}
		for _, b := range in.Ballots {
			for _, c := range b.Choices {
				supported[c.Project] = true
			}
		}
		cands := 0
		for _, p := range in.Projects {
			if p.Excluded == "" && supported[p.ID] {
				cands++
			}
		}
		sides[cands > 128]++
		in.Rule = outcome.Rule{Name: outcome.EqualShares}
		res := mustCompute(t, in)
		want, wantB := refEqualShares(in, false)
		if got := winnerIDs(res); !slices.Equal(got, want) || res.PerVoterBudget != wantB.RatString() {
			t.Fatalf("instance %d (%d candidates): got %v at %s, reference %v at %s", i, cands, got, res.PerVoterBudget, want, wantB.RatString())
		}
		checkPayments(t, in, res)
	}
	if sides[true] == 0 || sides[false] == 0 {
		t.Errorf("candidates above 128 in %d instances, at most 128 in %d: both ways must be exercised", sides[true], sides[false])
	}
}
