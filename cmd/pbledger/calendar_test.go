package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pbhttp "github.com/pbledger/pbledger/http"
)

// adminTokens writes a tokens file with one admin token and returns its path and the token.
func adminTokens(t *testing.T) (path, token string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "tokens.json")
	token, entry, err := pbhttp.NewToken("admin", pbhttp.RoleAdmin, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(`{"tokens":[`+entry+`]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, token
}

// openCalendarCycle opens cycle "cal" whose voting began a minute ago (by the calendar) and ends in a day.
func openCalendarCycle(t *testing.T, base, token string) (votingCloses time.Time) {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Almaty")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().In(loc).Truncate(time.Second)
	body := fmt.Sprintf(`{"cycle_id":"cal","name":"Calendar","currency":"KZT","currency_exponent":2,
		"districts":[{"id":"d","name":"D","budget":1000}],
		"plan":["submission","voting","allocation","implementation","closed"],
		"ballot_rule":{"type":"approval"},"outcome_rule":{"name":"greedy"},
		"time_zone":"Asia/Almaty","schedule":[{"phase":"voting","starts":%q},{"phase":"allocation","starts":%q}]}`,
		now.Add(-time.Minute).Format(time.RFC3339), now.Add(24*time.Hour).Format(time.RFC3339))
	req, _ := http.NewRequest("POST", base+"/v1/cycles", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("open: %s", res.Status)
	}
	return now.Add(24 * time.Hour)
}

type calendarCycleView struct {
	Phase    string `json:"phase"`
	Calendar struct {
		NextPhase    string    `json:"next_phase"`
		VotingCloses time.Time `json:"voting_closes"`
	} `json:"calendar"`
}

// waitForPhase polls the cycle until it is in phase (the scheduler ticks every 20 ms in these tests).
func waitForPhase(t *testing.T, base, phase string) calendarCycleView {
	t.Helper()
	var cycle calendarCycleView
	for deadline := time.Now().Add(20 * time.Second); cycle.Phase != phase; {
		if time.Now().After(deadline) {
			t.Fatalf("the cycle is still in %q; the scheduler did not move it to %q", cycle.Phase, phase)
		}
		time.Sleep(20 * time.Millisecond)
		res, err := http.Get(base + "/v1/cycles/cal")
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(res.Body).Decode(&cycle)
		res.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	return cycle
}

// A server restarted from its checkpoint still knows the calendar and advances the cycle.
func TestServerRestartedFromItsCheckpointKeepsTheCalendar(t *testing.T) {
	tokens, token := adminTokens(t)
	data := t.TempDir()
	first := startTestServer(t, false, "--data", data, "--tokens", tokens, "--calendar-every", "0")
	openCalendarCycle(t, first.URL, token)
	first.stop() // writes the checkpoint; its scheduler was off, so the cycle is still in submission
	if _, err := os.Stat(filepath.Join(data, checkpointFile)); err != nil {
		t.Fatalf("no checkpoint: %v", err)
	}
	second := startTestServer(t, false, "--data", data, "--tokens", tokens, "--calendar-every", "20ms")
	waitForPhase(t, second.URL, "voting")
}

// A running server advances a cycle whose phase date has come, by itself, and shows its calendar.
func TestServerAdvancesPhasesOnTheirDates(t *testing.T) {
	tokens, token := adminTokens(t)
	ts := startTestServer(t, false, "--tokens", tokens, "--calendar-every", "20ms")
	closes := openCalendarCycle(t, ts.URL, token)
	cycle := waitForPhase(t, ts.URL, "voting")
	if cycle.Calendar.NextPhase != "allocation" || !cycle.Calendar.VotingCloses.Equal(closes) {
		t.Fatalf("calendar %+v, want allocation next and voting closing at %v", cycle.Calendar, closes)
	}
}
