package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// mustCorpusRows runs `pbledger corpus --json` with args and returns one row per file, by file name.
func mustCorpusRows(tb testing.TB, args ...string) map[string]corpusRow {
	tb.Helper()
	var out, errb bytes.Buffer
	if err := runCorpus(context.Background(), append([]string{"--json"}, args...), &out, &errb); err != nil {
		tb.Fatalf("corpus %v: %v\n%s", args, err, errb.String())
	}
	rows := map[string]corpusRow{}
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r corpusRow
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			tb.Fatalf("not JSON: %v\n%s", err, sc.Text())
		}
		rows[r.File] = r
	}
	return rows
}

// Every shipped real file is read, imported through the domain exactly when it is counted, and every one with
// official winners is reproduced — ties broken in the order of the file's PROJECTS section.
func TestCorpusReproducesTheShippedFiles(t *testing.T) {
	t.Parallel()
	rows := mustCorpusRows(t, "--tie-break", "list-order", pabulibDir(t))
	if len(rows) < 13 {
		t.Fatalf("got %d files, want the 13 shipped ones", len(rows))
	}
	for name, r := range rows {
		if r.Refused != "" || r.ImportRefused != "" {
			t.Errorf("%s: refused (outcome %q, import %q)", name, r.Refused, r.ImportRefused)
		}
		if r.Compared && !r.Equal {
			t.Errorf("%s: official winners missing %v, extra %v", name, r.Missing, r.Extra)
		}
		if r.SplitTiesDiffer > 0 {
			t.Errorf("%s: %d ties went another way than the city's", name, r.SplitTiesDiffer)
		}
	}
	for _, name := range []string{"Poland_Warszawa_2017_Plac_Wojska_Polskiego.pb", "Poland_Warszawa_2026_Miedzylesie_Radosc.pb",
		"Poland_Gdynia_2020_Orlowo__small.pb", "Poland_Wroclaw_2017_Rejon_nr_11_750.pb", "Poland_Gdynia_2020_Babie_Doly__small.pb",
		"Poland_Warszawa_2018_Niskie_Okecie.pb"} {
		if !rows[name].Compared {
			t.Errorf("%s was not compared with its official winners", name)
		}
	}
	t.Run("the default tie-break misses the two tied files", func(t *testing.T) {
		t.Parallel()
		rows := mustCorpusRows(t, pabulibDir(t))
		var differ []string
		for name, r := range rows {
			if r.Compared && !r.Equal {
				differ = append(differ, name)
			}
		}
		slices.Sort(differ)
		want := []string{"Poland_Gdynia_2020_Babie_Doly__small.pb", "Poland_Warszawa_2018_Niskie_Okecie.pb"}
		if !slices.Equal(differ, want) {
			t.Errorf("differing under lowest-cost: got %v, want %v", differ, want)
		}
	})
	t.Run("the table", func(t *testing.T) {
		t.Parallel()
		var out bytes.Buffer
		if err := runCorpus(context.Background(), []string{"--tie-break", "list-order", pabulibDir(t)}, &out, &out); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"| files | 13 |", "| refused | 0 |", "| `outcome` and `import` disagree on accepting | 0 |",
			"| greedy-no-skip | approval |", "Slowest files"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("table lacks %q:\n%s", want, out.String())
			}
		}
	})
}

func TestOutcomeReadsTheLibrarysHardFiles(t *testing.T) {
	t.Parallel()
	t.Run("decimal costs and budget are counted in grosze", func(t *testing.T) {
		t.Parallel()
		r := mustReport(t, "--pabulib", pabulibFile(t, "Poland_Warszawa_2017_Plac_Wojska_Polskiego.pb"))
		if r.MatchesOfficial == nil || !*r.MatchesOfficial {
			t.Errorf("winners %v, official %v", r.Winners, r.OfficialWinners)
		}
		if r.Budget%100 == 0 {
			t.Errorf("budget %d: want grosze (the file's budget has them)", r.Budget)
		}
	})
	t.Run("a vote naming a project twice is read once, with a note citing the checker", func(t *testing.T) {
		t.Parallel()
		r := mustReport(t, "--pabulib", pabulibFile(t, "Poland_Warszawa_2026_Miedzylesie_Radosc.pb"))
		if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "pabulib/checker") || r.MatchesOfficial == nil || !*r.MatchesOfficial {
			t.Errorf("notes %q, matches official %v", r.Notes, r.MatchesOfficial)
		}
	})
	t.Run("META's threshold applies under greedy-no-skip", func(t *testing.T) {
		t.Parallel()
		path := pabulibFile(t, "Poland_Gdynia_2020_Orlowo__small.pb")
		if r := mustReport(t, "--pabulib", path); !*r.MatchesOfficial {
			t.Errorf("with the threshold: winners %v, official %v", r.Winners, r.OfficialWinners)
		}
		if r := mustReport(t, "--pabulib", path, "--min-support", "0"); *r.MatchesOfficial {
			t.Errorf("without the threshold the official winners are reproduced too: the test proves nothing")
		}
	})
	t.Run("a withdrawn project costing 999999999 does not stop greedy-no-skip", func(t *testing.T) {
		t.Parallel()
		r := mustReport(t, "--pabulib", pabulibFile(t, "Poland_Wroclaw_2017_Rejon_nr_11_750.pb"))
		if !*r.MatchesOfficial || len(r.Winners) == 0 {
			t.Errorf("winners %v, official %v", r.Winners, r.OfficialWinners)
		}
		above := 0
		for _, d := range r.Decisions {
			if d.Reason == "above-budget" {
				above++
			}
		}
		if above == 0 {
			t.Errorf("no project is reported above the budget")
		}
	})
	for _, name := range []string{"Poland_Gdynia_2020_Babie_Doly__small.pb", "Poland_Warszawa_2018_Niskie_Okecie.pb"} {
		t.Run("ties in the order of the PROJECTS section: "+name, func(t *testing.T) {
			t.Parallel()
			path := pabulibFile(t, name)
			if r := mustReport(t, "--pabulib", path); *r.MatchesOfficial {
				t.Errorf("lowest-cost reproduces the city's tie: the test proves nothing")
			}
			r := mustReport(t, "--pabulib", path, "--tie-break", "list-order")
			if !*r.MatchesOfficial {
				t.Errorf("list-order: winners %v, official %v", r.Winners, r.OfficialWinners)
			}
			if len(r.TieBreaks) == 0 || r.TieBreaks[0].By != "list-order" {
				t.Errorf("tie-breaks %+v, want one by list-order", r.TieBreaks)
			}
		})
	}
	t.Run("selected = 2 is money from outside the rule, not compared", func(t *testing.T) {
		t.Parallel()
		r := mustReport(t, "--pabulib", pabulibFile(t, "Poland_Gdynia_2020_Babie_Doly__small.pb"), "--tie-break", "list-order")
		if r.SelectedValues["2"] != 1 || slices.Contains(r.OfficialWinners, "5") {
			t.Errorf("selected values %v, official winners %v: want one 2, project 5 not among them", r.SelectedValues, r.OfficialWinners)
		}
	})
	t.Run("greedy-exclusive takes exclusion groups as flags", func(t *testing.T) {
		t.Parallel()
		path := pabulibFile(t, "poland_warszawa_2023_wlochy.pb")
		plain := mustReport(t, "--pabulib", path, "--rule", "greedy-exclusive")
		if len(plain.Winners) < 2 {
			t.Fatalf("winners %v", plain.Winners)
		}
		first, second := plain.Winners[0], plain.Winners[1]
		r := mustReport(t, "--pabulib", path, "--rule", "greedy-exclusive", "--exclusive", first+","+second)
		if slices.Contains(r.Winners, second) {
			t.Errorf("winners %v include %s, excluded by %s", r.Winners, second, first)
		}
	})
}

// `import` accepts what `outcome` counts: a file name over 64 bytes, a cumulative vote with 0 points
// (Zurich), a withdrawn project above the budget, decimal costs, duplicate choices.
func TestImportAcceptsTheLibrarysHardFiles(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	var files []string
	for _, name := range []string{"France_Toulouse_2022_17_-_Mirail-Universite_Reynerie_Bellefontaine.pb", "Switzerland_Zurich_S5D10.pb",
		"Poland_Wroclaw_2017_Rejon_nr_11_750.pb", "Poland_Warszawa_2017_Plac_Wojska_Polskiego.pb", "Poland_Warszawa_2026_Miedzylesie_Radosc.pb"} {
		files = append(files, filepath.Join(pabulibDir(t), name))
	}
	out, err := runCmd(t, append([]string{"import", "--data", data, "--tie-break", "list-order"}, files...)...)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	for _, want := range []string{"cycle France_Toulouse_2022_17_-_Mirail-Universite_Reynerie_Be_", "0 points dropped", "not allocated",
		"cost more than the whole budget", "pabulib/checker"} {
		if !strings.Contains(out, want) {
			t.Errorf("import output lacks %q:\n%s", want, out)
		}
	}
}

func TestOutcomeExplainSaysWhyInNumbers(t *testing.T) {
	t.Parallel()
	r := mustReport(t, "--pabulib", pabulibFile(t, "poland_wieliczka_2023.pb"), "--explain", "--explain-recounts", "40")
	won := map[string]bool{}
	for _, w := range r.Winners {
		won[w] = true
	}
	found := 0
	for _, x := range r.Explanations {
		if x.SupportersCanPay == "" {
			t.Errorf("%s: no supporters' money under Equal Shares", x.Project)
		}
		if x.FundedAtCost != nil {
			found++
			if won[x.Project] {
				t.Errorf("%s won, yet has a cost at which it would have been funded", x.Project)
			}
		}
	}
	if found == 0 {
		t.Errorf("no losing project has the cost at which it would have been funded")
	}
	g := mustReport(t, "--pabulib", pabulibFile(t, "poland_warszawa_2023_wlochy.pb"), "--explain")
	for _, x := range g.Explanations {
		if x.SupportersCanPay != "" || x.FundedAtCost != nil {
			t.Errorf("%s: Equal Shares numbers under greedy", x.Project)
		}
	}
}
