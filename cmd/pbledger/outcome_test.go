package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// pabulibFile returns the path of a real Pabulib file: in $PBLEDGER_PABULIB_DIR, or the shared data
// directory next to the repository. Tests fail, not skip, without it.
func pabulibFile(tb testing.TB, name string) string {
	tb.Helper()
	dir := os.Getenv("PBLEDGER_PABULIB_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "testdata", "pabulib")
	}
	path := filepath.Join(dir, name)
	if _, err := os.Stat(path); err != nil {
		tb.Fatalf("real data missing (set PBLEDGER_PABULIB_DIR): %v", err)
	}
	return path
}

func mustRunOutcome(tb testing.TB, args ...string) (stdout, stderr string) {
	tb.Helper()
	var out, errOut bytes.Buffer
	if err := runOutcome(context.Background(), args, &out, &errOut); err != nil {
		tb.Fatalf("runOutcome %v: %v\nstderr: %s", args, err, errOut.String())
	}
	return out.String(), errOut.String()
}

func mustReport(tb testing.TB, args ...string) report {
	tb.Helper()
	out, _ := mustRunOutcome(tb, append(args, "--json")...)
	var r report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		tb.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	return r
}

func TestOutcomeWieliczkaJSONGivesTheOfficialWinners(t *testing.T) {
	t.Parallel()
	r := mustReport(t, "--pabulib", pabulibFile(t, "poland_wieliczka_2023.pb"))
	if r.Rule != "equalshares/add1" {
		t.Errorf("rule: got %q, want the file's META rule equalshares/add1", r.Rule)
	}
	if len(r.Winners) != 30 || r.TotalCost != 995079 || r.Budget != 1000000 {
		t.Errorf("got %d winners costing %d of %d, want 30 costing 995079 of 1000000", len(r.Winners), r.TotalCost, r.Budget)
	}
	official := slices.Clone(r.OfficialWinners)
	winners := slices.Clone(r.Winners)
	slices.Sort(official)
	slices.Sort(winners)
	if !slices.Equal(winners, official) || r.MatchesOfficial == nil || !*r.MatchesOfficial {
		t.Errorf("winners %v do not match the official %v", r.Winners, r.OfficialWinners)
	}
	if r.PerVoterBudget != "315" || len(r.Decisions) != 64 || len(r.InputDigest) != 64 || r.Funded[0].Name == "" {
		t.Errorf("per-voter budget %q, %d decisions, digest %q, first name %q", r.PerVoterBudget, len(r.Decisions), r.InputDigest, r.Funded[0].Name)
	}
}

func TestOutcomeTable(t *testing.T) {
	t.Parallel()
	out, _ := mustRunOutcome(t, "--pabulib", pabulibFile(t, "poland_warszawa_2023_wlochy.pb"))
	rows := map[string]bool{}
	for _, line := range strings.Split(out, "\n") {
		rows[strings.Join(strings.Fields(line), " ")] = true
	}
	for _, want := range []string{"rank project cost support name", "4 233 235897 879 Zielona Aleja - Instalatorów cz 2"} {
		if !rows[want] {
			t.Errorf("table lacks the row %q:\n%s", want, out)
		}
	}
	for _, want := range []string{
		"poland_warszawa_2023_wlochy.pb: rule greedy, approval ballots: 2220",
		"spent 1717792 of 1719224 (1432 left) on 24 projects",
		"official result: same winners as the file's selected column (24 projects)",
		"lot seed: ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestOutcomeRuleAndSeedFlags(t *testing.T) {
	t.Parallel()
	file := pabulibFile(t, "poland_wieliczka_2023.pb")
	greedy := mustReport(t, "--pabulib", file, "--rule", "greedy")
	if greedy.Rule != "greedy" || len(greedy.Winners) == 30 || greedy.PerVoterBudget != "" {
		t.Errorf("--rule greedy: got rule %q with %d winners", greedy.Rule, len(greedy.Winners))
	}
	add1 := mustReport(t, "--pabulib", file)
	if greedy.LotSeed != add1.LotSeed || len(add1.LotSeed) != 64 {
		t.Errorf("the default lot seed should depend only on the file: %q vs %q", greedy.LotSeed, add1.LotSeed)
	}
	seeded := mustReport(t, "--pabulib", file, "--lot-seed", "drawn on 2023-04-22")
	if seeded.LotSeed != "drawn on 2023-04-22" || seeded.InputDigest == add1.InputDigest {
		t.Errorf("--lot-seed: got seed %q, digest %q (default digest %q)", seeded.LotSeed, seeded.InputDigest, add1.InputDigest)
	}
	cmp := mustReport(t, "--pabulib", file, "--rule", "equalshares/add1-comparison")
	if cmp.Comparison == nil || cmp.Comparison.Chosen != "equalshares/add1" {
		t.Errorf("comparison: got %+v", cmp.Comparison)
	}
}

func TestOutcomeErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.pb")
	if err := os.WriteFile(bad, []byte("META\nkey;value\nbudget;100\nvote_type;approval\nrule;greedy\nPROJECTS\nproject_id;cost\n1;60\n2;50;extra\nVOTES\nvoter_id;vote\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	unknownRule := filepath.Join(dir, "unknown.pb")
	if err := os.WriteFile(unknownRule, []byte("META\nkey;value\nbudget;100\nvote_type;approval\nrule;unknown\nPROJECTS\nproject_id;cost\n1;60\nVOTES\nvoter_id;vote\nv;1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"a malformed file names the file and the line", []string{"--pabulib", bad}, []string{"bad.pb", "line 9", "PROJECTS row has 3 fields"}},
		{"an unknown rule lists the known ones", []string{"--pabulib", pabulibFile(t, "poland_wieliczka_2023.pb"), "--rule", "borda"}, []string{`unknown rule "borda"`, "greedy, greedy-no-skip", "equalshares/add1"}},
		{"an unknown META rule asks for --rule", []string{"--pabulib", unknownRule}, []string{`META rule "unknown"`, "--rule", "equalshares/add1"}},
		{"a rule that does not fit the vote type", []string{"--pabulib", pabulibFile(t, "france_toulouse_2019_.pb"), "--rule", "equalshares/add1"}, []string{"france_toulouse_2019_.pb", "needs approval or choose-one ballots"}},
		{"a missing file", []string{"--pabulib", filepath.Join(dir, "none.pb")}, []string{"none.pb", "no such file"}},
		{"no file", nil, []string{"--pabulib FILE is required"}},
		{"stray arguments", []string{"--pabulib", bad, "extra"}, []string{"unexpected arguments"}},
		{"an unknown flag", []string{"--frobnicate"}, []string{"frobnicate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out, errOut bytes.Buffer
			err := runOutcome(context.Background(), tt.args, &out, &errOut)
			if err == nil {
				t.Fatalf("got no error; stdout %s", out.String())
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			if out.Len() != 0 {
				t.Errorf("wrote to stdout on error: %s", out.String())
			}
		})
	}
	t.Run("help is not an error", func(t *testing.T) {
		t.Parallel()
		var out, errOut bytes.Buffer
		if err := runOutcome(context.Background(), []string{"-h"}, &out, &errOut); err != nil {
			t.Errorf("got %v", err)
		}
		if !strings.Contains(errOut.String(), "usage: pbledger outcome --pabulib FILE") {
			t.Errorf("usage missing from stderr: %s", errOut.String())
		}
	})
}
