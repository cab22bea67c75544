package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/filestore"
	pbhttp "github.com/pbledger/pbledger/http"
	"github.com/pbledger/pbledger/ledger"
	"github.com/pbledger/pbledger/projections"
)

// mustRecountEveryDistrict exports every allocated district of every cycle in data as a Pabulib file, counts
// it with `pbledger outcome` and no flags, and checks the winners, in order, the amounts and the input digest
// against the recorded allocation. It returns how many districts it checked.
func mustRecountEveryDistrict(t *testing.T, data string) int {
	t.Helper()
	ctx := context.Background()
	store, err := filestore.Open(ctx, filepath.Join(data, logDir), filestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	type district struct {
		cycle    domain.CycleID
		district domain.DistrictID
		rec      domain.AllocationRecorded
	}
	var all []district
	for from := eventstore.Position(0); ; {
		recs, err := store.ReadAll(ctx, from, 4096)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			break
		}
		for _, r := range recs {
			if r.Type != domain.EventAllocationRecorded {
				continue
			}
			e, err := domain.Decode(r.Type, r.Data)
			if err != nil {
				t.Fatal(err)
			}
			a := e.(domain.AllocationRecorded)
			all = append(all, district{a.CycleID, a.DistrictID, a})
		}
		from = recs[len(recs)-1].Position + 1
	}
	store.Close()
	dir := t.TempDir()
	for _, d := range all {
		name := string(d.cycle) + "_" + string(d.district)
		file := filepath.Join(dir, name+".pb")
		if out, err := runCmd(t, "export", "--data", data, "--cycle", string(d.cycle), "--district", string(d.district), "--out", file); err != nil {
			t.Fatalf("%s: export: %v\n%s", name, err, out)
		}
		out, err := runCmd(t, "outcome", "--pabulib", file, "--json")
		if err != nil {
			t.Fatalf("%s: outcome: %v\n%s", name, err, out)
		}
		var r report
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		var recorded, counted []string
		for _, w := range d.rec.Winners {
			recorded = append(recorded, string(w.ProposalID)+"="+mustJSON(t, w.Funded))
		}
		for _, f := range r.Funded {
			counted = append(counted, f.Project+"="+mustJSON(t, f.Cost))
		}
		if !slices.Equal(recorded, counted) {
			t.Errorf("%s: recorded winners %v, the export counts %v", name, recorded, counted)
		}
		if r.InputDigest != d.rec.InputDigest || r.MatchesRecorded == nil || !*r.MatchesRecorded {
			t.Errorf("%s: recorded digest %s, the export's %s", name, d.rec.InputDigest, r.InputDigest)
		}
		if r.Rule != d.rec.Rule.Name || r.LotSeed != d.rec.LotSeed {
			t.Errorf("%s: rule %s seed %s, recorded %s %s", name, r.Rule, r.LotSeed, d.rec.Rule.Name, d.rec.LotSeed)
		}
	}
	return len(all)
}

func mustJSON(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// Every district of both demo cycles — almaty-2025 under greedy, almaty-2026 under Equal Shares with an
// increment of one million tenge, co-financing and an assessment gate — exports to a file that recounts to
// the recorded winners and digest with no flags.
func TestExportOfEveryDemoDistrictRecountsExactly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	data := t.TempDir()
	store, err := filestore.Open(ctx, filepath.Join(data, logDir), filestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc := ledger.New(store, nil, ledger.Metrics{})
	voters, err := pbhttp.NewVoterKeys([]byte("export-test-secret-0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	if err := loadDemo(ctx, svc, voters); err != nil {
		t.Fatal(err)
	}
	// Close almaty-2026's vote and count every district, as the city will.
	for _, to := range []domain.Phase{domain.PhaseAssessment, domain.PhaseAllocation} {
		// Before the calendar's dates, so with a reason (issue 11: cycles on a calendar).
		if _, err := svc.AdvancePhase(ctx, demoRequest, domain.AdvancePhase{CycleID: "almaty-2026", To: to, Reason: "Counting early for the test"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range almatyDistricts {
		if _, err := svc.Allocate(ctx, demoRequest, "almaty-2026", d.ID); err != nil {
			t.Fatal(err)
		}
	}
	store.Close()
	if n := mustRecountEveryDistrict(t, data); n != 2*len(almatyDistricts) {
		t.Errorf("checked %d districts, want %d", n, 2*len(almatyDistricts))
	}
	t.Run("a recorded allocation that does not follow from the log is caught", func(t *testing.T) {
		store, err := filestore.Open(ctx, filepath.Join(data, logDir), filestore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		rc, err := ledger.RecountAllocation(ctx, store, "almaty-2025", almatyDistricts[1].ID)
		if err != nil {
			t.Fatal(err)
		}
		if m := rc.Mismatch(); m != "" {
			t.Fatalf("the true record mismatches: %s", m)
		}
		rc.Recorded.Winners = rc.Recorded.Winners[1:]
		if m := rc.Mismatch(); m == "" {
			t.Errorf("a record with a winner removed passes")
		}
	})
	t.Run("rankings and the page say why in numbers", func(t *testing.T) {
		ts := startTestServer(t, false, "--data", data)
		var greedy, es projections.Ranking
		getJSON(t, ts.URL+"/v1/cycles/almaty-2025/districts/alatau/ranking", &greedy)
		getJSON(t, ts.URL+"/v1/cycles/almaty-2026/districts/alatau/ranking", &es)
		for _, e := range greedy.Entries {
			if e.Rank > 0 && e.Left == nil {
				t.Errorf("greedy %s: no money left at its turn", e.ProposalID)
			}
			if e.Reason == "does-not-fit" && e.Left != nil && *e.Left >= e.PublicCost {
				t.Errorf("greedy %s did not fit with %d left for %d", e.ProposalID, *e.Left, e.PublicCost)
			}
		}
		losers, explained := 0, 0
		for _, e := range es.Entries {
			if e.Status != domain.StatusPublished || e.Votes == 0 {
				continue
			}
			if e.SupportersCanPay == "" {
				t.Errorf("equal shares %s: no supporters' money", e.ProposalID)
			}
			if !e.Selected && e.Reason != "not-eligible" {
				losers++
				if e.FundedAtCost != nil {
					explained++
				}
				if e.FundedAtCost != nil && *e.FundedAtCost >= e.PublicCost {
					t.Errorf("equal shares %s: funded at %d, not below its cost %d", e.ProposalID, *e.FundedAtCost, e.PublicCost)
				}
			}
		}
		if losers == 0 || explained == 0 {
			t.Fatalf("%d losing proposals in almaty-2026/alatau, %d with the cost that would have won", losers, explained)
		}
		res, err := http.Get(ts.URL + "/cycles/almaty-2026/districts/alatau")
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(res.Body)
		res.Body.Close()
		for _, want := range []string{`data-field="can-pay"`, "its supporters could still pay", "it would have been funded at a cost of"} {
			if !strings.Contains(string(page), want) {
				t.Errorf("the district page lacks %q", want)
			}
		}
		res, err = http.Get(ts.URL + "/cycles/almaty-2025/districts/alatau")
		if err != nil {
			t.Fatal(err)
		}
		page, _ = io.ReadAll(res.Body)
		res.Body.Close()
		if !strings.Contains(string(page), "left when its turn came") {
			t.Errorf("the greedy district page does not show the money left")
		}
	})
	t.Run("json", func(t *testing.T) {
		out, err := runCmd(t, "export", "--data", data, "--cycle", "almaty-2026", "--district", string(almatyDistricts[0].ID), "--format", "json")
		if err != nil {
			t.Fatal(err)
		}
		var e exportJSON
		if err := json.Unmarshal([]byte(out), &e); err != nil {
			t.Fatal(err)
		}
		if e.Mismatch != "" || e.Recount.InputDigest != e.Recorded.InputDigest || e.Input.Rule.Increment != 100_000_000 {
			t.Errorf("mismatch %q, digests %s / %s, increment %d", e.Mismatch, e.Recount.InputDigest, e.Recorded.InputDigest, e.Input.Rule.Increment)
		}
	})
}

// The imported real files, ties in list order and decimals included, export to files that recount to the
// recorded winners and digest with no flags.
func TestExportOfImportedRealFilesRecountsExactly(t *testing.T) {
	t.Parallel()
	src := pabulibDir(t)
	data := t.TempDir()
	var files []string
	for _, name := range []string{"poland_warszawa_2023_wlochy.pb", "poland_wieliczka_2023.pb", "france_toulouse_2019_.pb",
		"poland_krakow_2018_bienczyce.pb", "Poland_Warszawa_2017_Plac_Wojska_Polskiego.pb", "Poland_Warszawa_2018_Niskie_Okecie.pb",
		"Poland_Gdynia_2020_Orlowo__small.pb", "Switzerland_Zurich_S5D10.pb"} {
		files = append(files, filepath.Join(src, name))
	}
	if out, err := runCmd(t, append([]string{"import", "--data", data, "--tie-break", "list-order"}, files...)...); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	// Zurich's META rule is "unknown": imported, not allocated.
	if n := mustRecountEveryDistrict(t, data); n != len(files)-1 {
		t.Errorf("checked %d districts, want %d", n, len(files)-1)
	}
	if _, err := os.Stat(data); err != nil {
		t.Fatal(err)
	}
}
