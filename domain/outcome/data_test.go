package outcome_test

import (
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pbledger/pbledger/domain/outcome"
	"github.com/pbledger/pbledger/domain/pabulib"
)

// Real elections from Pabulib, with their official outcomes (see the data directory's README).

func TestWarsawWlochy2023GreedyReproducesTheOfficialWinners(t *testing.T) {
	t.Parallel()
	inst, in := mustLoad(t, filepath.Join(dataDir(t), "poland_warszawa_2023_wlochy.pb"))
	in.Rule = outcome.Rule{Name: outcome.Greedy}
	res := mustCompute(t, in)
	official := inst.Selected()
	if len(official) == 0 {
		t.Fatalf("the file has no selected projects")
	}
	if got := winnerIDs(res); !sameSet(got, official) {
		t.Errorf("winners: got %v, want the official %v", got, official)
	}
	var officialCost int64
	for _, p := range inst.Projects {
		if slices.Contains(official, p.ID) {
			officialCost += p.Cost
		}
	}
	if res.TotalCost != officialCost {
		t.Errorf("total cost: got %d, want %d", res.TotalCost, officialCost)
	}
}

func TestWieliczka2023EqualSharesAdd1ReproducesTheOfficialWinners(t *testing.T) {
	t.Parallel()
	inst, in := mustLoad(t, filepath.Join(dataDir(t), "poland_wieliczka_2023.pb"))
	if inst.Rule() != string(outcome.EqualSharesAdd1) {
		t.Fatalf("META rule is %q", inst.Rule())
	}
	res := mustCompute(t, in)
	official := inst.Selected()
	if len(official) != 30 {
		t.Fatalf("the file has %d selected projects, want 30", len(official))
	}
	if got := winnerIDs(res); !sameSet(got, official) {
		t.Errorf("winners: got %v, want the official %v", got, official)
	}
	if res.TotalCost != 995_079 {
		t.Errorf("total cost: got %d, want 995079", res.TotalCost)
	}
	// The official per-voter budget was 313 zł; every whole budget from 306 to 315 gives these 30 winners and
	// 316 is the first that overspends, so the rule as Pabulib defines it stops at 315.
	if res.PerVoterBudget != "315" {
		t.Errorf("per-voter budget: got %s, want 315", res.PerVoterBudget)
	}
	checkPayments(t, in, res)

	t.Run("shuffled ballots give the same result", func(t *testing.T) {
		t.Parallel()
		shuffled := in
		shuffled.Ballots = slices.Clone(in.Ballots)
		rng := rand.New(rand.NewPCG(1, 2))
		rng.Shuffle(len(shuffled.Ballots), func(i, j int) {
			shuffled.Ballots[i], shuffled.Ballots[j] = shuffled.Ballots[j], shuffled.Ballots[i]
		})
		if got, want := mustJSON(t, mustCompute(t, shuffled)), mustJSON(t, res); got != want {
			t.Errorf("shuffling the ballots changed the result")
		}
	})
	t.Run("comparison with greedy keeps Equal Shares", func(t *testing.T) {
		t.Parallel()
		cin := in
		cin.Rule.Name = outcome.EqualSharesAdd1Comparison
		cres := mustCompute(t, cin)
		if cres.Comparison == nil || cres.Comparison.Chosen != outcome.EqualSharesAdd1 || !sameSet(winnerIDs(cres), official) {
			t.Errorf("comparison: got %+v with winners %v", cres.Comparison, winnerIDs(cres))
		}
	})
}

func TestEveryFileComputesWithItsRule(t *testing.T) {
	t.Parallel()
	for _, path := range dataFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			inst, in := mustLoad(t, path)
			if !in.Rule.Name.Known() {
				if inst.Selected() != nil {
					t.Fatalf("META rule %q is not a rule the outcome package knows, and the file has official winners", in.Rule.Name)
				}
				in.Rule.Name = outcome.Greedy // "unknown" (Zurich): no official winners to compare
			}
			// Ties as the cities broke them: in the order of the PROJECTS section (docs/CORPUS.md).
			in.Rule.TieBreak = outcome.TieOrderListOrder
			if err := pabulib.SetListOrder(&in, inst); err != nil {
				t.Fatal(err)
			}
			res := mustCompute(t, in)
			checkInvariants(t, in, res)
			if official := inst.Selected(); official != nil && !sameSet(winnerIDs(res), official) {
				t.Errorf("winners: got %v, want the official %v", winnerIDs(res), official)
			}
			if len(res.Winners) == 0 {
				t.Errorf("no winners")
			}
		})
	}
}

// TestTalliesMatchTheFilesColumns checks the support of each vote type against what the files record:
// `votes` (ballots including the project) everywhere, `score` where present — for Kraków's ordinal ballots
// it confirms the truncated Borda score.
func TestTalliesMatchTheFilesColumns(t *testing.T) {
	t.Parallel()
	for _, path := range dataFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			inst, in := mustLoad(t, path)
			in.Rule = outcome.Rule{Name: outcome.Greedy}
			res := mustCompute(t, in)
			for _, p := range inst.Projects {
				d := mustDecision(t, res, p.ID)
				// The votes column counts a choice listed twice in one vote twice (Warsaw 2026), and a cumulative
				// choice with 0 points (Zurich); pbledger counts the one once and the other not at all.
				if v, ok := p.Fields["votes"]; ok && strings.TrimSpace(v) != "" && len(inst.Notes) == 0 && in.VoteType != outcome.Cumulative {
					if got := d.Votes; mustJSON(t, got) != strings.TrimSpace(v) {
						t.Errorf("project %s: votes %d, file says %s", p.ID, got, v)
					}
				}
				if s, ok := p.Fields["score"]; ok && strings.TrimSpace(s) != "" {
					if got := d.Support; got != strings.TrimSpace(s) {
						t.Errorf("project %s: support %s, file's score %s", p.ID, got, s)
					}
				}
			}
		})
	}
}
