package http_test

import (
	"bytes"
	"strings"
	"testing"
)

// Item 4: a cycle that hides results while voting is open withholds rankings, vote counts and ballot
// choices from the API, the feed and the page, and publishes them once voting closes. Turnout stays live.
func TestResultsHiddenWhileVotingIsOpen(t *testing.T) {
	e := newEnv(t)
	hidden := strings.Replace(openCycle, `"name"`, `"hide_results_during_voting":true,"name"`, 1)
	e.vote(t, hidden)
	e.must(t, 201, "POST", "/v1/cycles/c1/ballots", "portal", ballot("r1", "p1", "p2"))
	last := e.must(t, 201, "POST", "/v1/cycles/c1/ballots", "portal", ballot("r2", "p1"))
	pos := last.header.Get("X-Pbledger-Position")

	rk := e.must(t, 200, "GET", "/v1/cycles/c1/districts/north/ranking?min_position="+pos, "", "").json(t)
	if rk["withheld"] != true || rk["ballots"].(float64) != 2 || rk["selected_total"].(float64) != 0 {
		t.Fatalf("ranking while voting: got withheld %v, ballots %v, selected %v; want true, 2 (turnout), 0", rk["withheld"], rk["ballots"], rk["selected_total"])
	}
	for _, en := range rk["entries"].([]any) {
		en := en.(map[string]any)
		if en["votes"].(float64) != 0 || en["rank"].(float64) != 0 || en["selected"] != false || en["support"] != float64(0) || en["support_exact"] != "" {
			t.Errorf("ranking entry while voting reveals the count: %v", en)
		}
	}
	if p := e.must(t, 200, "GET", "/v1/proposals/p1", "", "").json(t); p["votes"].(float64) != 0 || p["votes_withheld"] != true {
		t.Errorf("proposal while voting: votes %v, votes_withheld %v", p["votes"], p["votes_withheld"])
	}
	for _, ev := range e.feed(t) {
		if ev["type"] != "BallotCast" {
			continue
		}
		d := ev["data"].(map[string]any)
		if _, ok := d["choices"]; ok || d["choices_withheld"] != true || d["district_id"] != "north" {
			t.Errorf("feed ballot while voting: %v", d)
		}
	}
	for _, p := range e.must(t, 200, "GET", "/v1/cycles/c1/proposals", "", "").json(t)["proposals"].([]any) {
		if p := p.(map[string]any); p["votes"].(float64) != 0 || p["votes_withheld"] != true {
			t.Errorf("proposal list while voting: votes %v, votes_withheld %v", p["votes"], p["votes_withheld"])
		}
	}
	e.must(t, 409, "GET", "/v1/cycles/c1/districts/north/pabulib", "", "")
	page := e.must(t, 200, "GET", "/cycles/c1/districts/north", "", "")
	if !bytes.Contains(page.body, []byte(`data-field="withheld"`)) || bytes.Contains(page.body, []byte(`data-field="votes">2<`)) {
		t.Errorf("page while voting does not withhold: %s", page.body)
	}

	// Voting closes: everything is published, from the same log.
	closed := e.must(t, 200, "POST", "/v1/cycles/c1/phase", "admin", `{"to":"assessment"}`)
	rk = e.must(t, 200, "GET", "/v1/cycles/c1/districts/north/ranking?min_position="+closed.header.Get("X-Pbledger-Position"), "", "").json(t)
	if rk["withheld"] != nil || rk["entries"].([]any)[0].(map[string]any)["votes"].(float64) == 0 {
		t.Fatalf("ranking after voting: %v", rk)
	}
	choices := 0
	for _, ev := range e.feed(t) {
		if ev["type"] == "BallotCast" {
			if _, ok := ev["data"].(map[string]any)["choices"]; ok {
				choices++
			}
		}
	}
	if choices != 2 {
		t.Fatalf("feed after voting shows the choices of %d ballots, want 2", choices)
	}
	e.must(t, 200, "GET", "/v1/cycles/c1/districts/north/pabulib", "", "")
	if p := e.must(t, 200, "GET", "/v1/proposals/p1", "", "").json(t); p["votes"].(float64) != 2 {
		t.Errorf("proposal after voting: votes %v, want 2", p["votes"])
	}
}

// A cycle that does not opt in keeps its live ranking while voting.
func TestResultsLiveByDefault(t *testing.T) {
	e := newEnv(t)
	e.voting(t)
	last := e.must(t, 201, "POST", "/v1/cycles/c1/ballots", "portal", ballot("r1", "p1"))
	rk := e.must(t, 200, "GET", "/v1/cycles/c1/districts/north/ranking?min_position="+last.header.Get("X-Pbledger-Position"), "", "").json(t)
	if rk["withheld"] != nil || rk["provisional"] != true {
		t.Fatalf("default cycle ranking: %v", rk)
	}
}
