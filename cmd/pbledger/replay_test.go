package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// The demo's almaty-2025 has a real calendar in the past: replaying to a date shows the cycle as it stood
// that day, by when events took effect, though the demo recorded them all a moment ago.
func TestReplayDemoOnADate(t *testing.T) {
	ts := startTestServer(t, true)
	ts.stop()
	type replayed struct {
		AsOf   time.Time `json:"as_of"`
		Cycles []struct {
			ID        string `json:"id"`
			Phase     string `json:"phase"`
			Districts []struct {
				Ranking struct {
					Ballots     int  `json:"ballots"`
					Provisional bool `json:"provisional"`
				} `json:"ranking"`
				Balance struct {
					Allocated int64 `json:"allocated"`
					Spent     int64 `json:"spent"`
				} `json:"balance"`
			} `json:"districts"`
		} `json:"cycles"`
	}
	replay := func(until string) replayed {
		t.Helper()
		out, err := runCmd(t, "replay", "--data", ts.Dir, "--until", until, "--tz", "Asia/Almaty", "--json")
		if err != nil {
			t.Fatalf("replay --until %s: %v\n%s", until, err, out)
		}
		var r replayed
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, tc := range []struct {
		until, phase         string
		allocated, spent     bool
		someBallotsNotAllYet bool
	}{
		{until: "2025-02-28", phase: ""},
		{until: "2025-06-15", phase: "voting", someBallotsNotAllYet: true},
		{until: "2025-09-01", phase: "implementation", allocated: true},
		{until: "2026-06-01", phase: "implementation", allocated: true, spent: true},
	} {
		t.Run(tc.until, func(t *testing.T) {
			r := replay(tc.until)
			if want := time.Date(2025, 9, 1, 0, 0, 0, 0, time.FixedZone("", 5*3600)); tc.until == "2025-09-01" && !r.AsOf.After(want) {
				t.Errorf("as_of %v, want the end of 1 September in Almaty", r.AsOf)
			}
			if tc.phase == "" {
				if len(r.Cycles) != 0 {
					t.Fatalf("got %d cycles before the first opened", len(r.Cycles))
				}
				return
			}
			if len(r.Cycles) != 1 || r.Cycles[0].ID != "almaty-2025" || r.Cycles[0].Phase != tc.phase {
				t.Fatalf("got %+v, want only almaty-2025 in phase %s", r.Cycles, tc.phase)
			}
			full := replay("2026-06-01")
			for i, d := range r.Cycles[0].Districts {
				if got := d.Balance.Allocated > 0; got != tc.allocated {
					t.Errorf("district %d allocated %d, want allocated=%v", i, d.Balance.Allocated, tc.allocated)
				}
				if got := d.Balance.Spent > 0; got != tc.spent {
					t.Errorf("district %d spent %d, want spent=%v", i, d.Balance.Spent, tc.spent)
				}
				all := full.Cycles[0].Districts[i].Ranking.Ballots
				if tc.someBallotsNotAllYet && (d.Ranking.Ballots == 0 || d.Ranking.Ballots >= all) {
					t.Errorf("district %d: %d of %d ballots by mid-June, want some but not all", i, d.Ranking.Ballots, all)
				}
			}
		})
	}
}

func TestReplayTextShowsTheCalendar(t *testing.T) {
	ts := startTestServer(t, true)
	ts.stop()
	out, err := runCmd(t, "replay", "--data", ts.Dir, "--until", "2025-09-01", "--tz", "Asia/Almaty")
	if err != nil {
		t.Fatal(err, out)
	}
	for _, want := range []string{"As of 2025-09-01T23:59:59+05:00", "phase implementation", "calendar (Asia/Almaty): review 2025-04-15 09:00, voting 2025-06-01 09:00"} {
		if !strings.Contains(out, want) {
			t.Errorf("replay output lacks %q:\n%s", want, out)
		}
	}
}
