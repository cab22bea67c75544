package domain_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/pbledger/pbledger/domain"
)

var plus5 = time.FixedZone("+05", 5*3600)

func at(day, hour int) time.Time { return time.Date(2026, 6, day, hour, 0, 0, 0, plus5) }

// calendar sets a calendar: voting from 1 June to 15 June 09:00, assessment after.
func calendar(cmd *domain.OpenCycle) {
	cmd.TimeZone = "Asia/Almaty"
	cmd.Schedule = []domain.PhaseDate{
		{Phase: domain.PhaseAssessment, Starts: at(15, 9)},
		{Phase: domain.PhaseVoting, Starts: at(1, 9)}, // any order: the plan orders them
	}
}

func TestScheduleValidation(t *testing.T) {
	for name, mod := range map[string]func(*domain.OpenCycle){
		"no time zone":      func(c *domain.OpenCycle) { calendar(c); c.TimeZone = "" },
		"bad time zone":     func(c *domain.OpenCycle) { calendar(c); c.TimeZone = "Asia Almaty" },
		"first phase dated": func(c *domain.OpenCycle) { calendar(c); c.Schedule[0].Phase = domain.PhaseSubmission },
		"phase not in plan": func(c *domain.OpenCycle) { calendar(c); c.Schedule[0].Phase = "lobbying" },
		"out of order":      func(c *domain.OpenCycle) { calendar(c); c.Schedule[0].Starts = at(1, 8) },
		"phase dated twice": func(c *domain.OpenCycle) { calendar(c); c.Schedule[0].Phase = domain.PhaseVoting },
		"date missing":      func(c *domain.OpenCycle) { calendar(c); c.Schedule[0].Starts = time.Time{} },
	} {
		t.Run(name, func(t *testing.T) {
			cmd := testOpenCycle()
			mod(&cmd)
			wantError(t, cmd.Validate(), domain.ErrInvalid, domain.CodeInvalid)
		})
	}
	c := mustCycle(t, calendar)
	if got := c.Schedule(); len(got) != 2 || got[0].Phase != domain.PhaseVoting {
		t.Fatalf("schedule %+v, want voting first (plan order)", got)
	}
	if d, ok := c.VotingDeadline(); !ok || !d.Equal(at(15, 9)) {
		t.Fatalf("deadline %v %v", d, ok)
	}
}

// The domain judges a ballot by the command's time: at the deadline it is refused though the phase is still
// voting (the phase event is late).
func TestBallotAtTheDeadlineIsRefused(t *testing.T) {
	c := mustCycle(t, calendar)
	p := mustPublished(t, c, "p1", "north", 100)
	mustAdvance(t, c, domain.PhaseVoting)
	cast := func(voter domain.VoterKey, when time.Time) error {
		return (&domain.Ballot{}).Cast(c, domain.Proposals(p), domain.CastBallot{CycleID: c.ID(), DistrictID: "north", Voter: voter,
			Choices: choices("p1"), At: when})
	}
	mustOK(t, cast("v1", at(15, 8)))
	err := cast("v2", at(15, 9))
	wantError(t, err, domain.ErrVotingClosed, domain.CodeConflict)
	if !errors.Is(err, domain.ErrWrongPhase) {
		t.Errorf("%v does not match ErrWrongPhase", err)
	}
	if err := cast("v3", time.Time{}); domain.ErrorCode(err) != domain.CodeInternal {
		t.Errorf("a ballot without its time: got %v, want an internal error", err)
	}
}

func TestDuePhaseAndScheduledAdvance(t *testing.T) {
	c := mustCycle(t, calendar)
	mustAdvance(t, c, domain.PhaseReview)
	if _, due := c.DuePhase(at(1, 8)); due {
		t.Fatal("due before the date")
	}
	if next, due := c.DuePhase(at(1, 9)); !due || next != domain.PhaseVoting {
		t.Fatalf("DuePhase at the date: %q %v", next, due)
	}
	err := c.AdvancePhase(domain.AdvancePhase{CycleID: c.ID(), To: domain.PhaseVoting, Scheduled: true, At: at(1, 8)})
	wantError(t, err, domain.ErrWrongPhase, domain.CodeConflict)
	err = c.AdvancePhase(domain.AdvancePhase{CycleID: c.ID(), To: domain.PhaseVoting, At: at(1, 8)})
	wantError(t, err, domain.ErrInvalid, domain.CodeInvalid) // early, without a reason
	mustOK(t, c.AdvancePhase(domain.AdvancePhase{CycleID: c.ID(), To: domain.PhaseVoting, Scheduled: true, At: at(1, 9)}))
	// Assessment has a date; allocation has none, so the calendar never moves past assessment.
	mustOK(t, c.AdvancePhase(domain.AdvancePhase{CycleID: c.ID(), To: domain.PhaseAssessment, Scheduled: true, At: at(15, 9)}))
	if _, due := c.DuePhase(at(30, 0)); due {
		t.Fatal("allocation has no date but is due")
	}
}

func TestReschedulePhase(t *testing.T) {
	c := mustCycle(t, calendar)
	resched := func(p domain.Phase, starts, now time.Time, reason string) error {
		return c.ReschedulePhase(domain.ReschedulePhase{CycleID: c.ID(), Phase: p, Starts: starts, Reason: reason, At: now})
	}
	wantError(t, resched(domain.PhaseAssessment, at(22, 9), at(10, 0), ""), domain.ErrInvalid, domain.CodeInvalid)
	wantError(t, resched(domain.PhaseAssessment, at(9, 0), at(10, 0), "past"), domain.ErrInvalid, domain.CodeInvalid)
	wantError(t, resched(domain.PhaseVoting, at(16, 9), at(10, 0), "order"), domain.ErrInvalid, domain.CodeInvalid) // after assessment
	mustOK(t, resched(domain.PhaseAssessment, at(22, 9), at(10, 0), "Extended after an outage"))
	wantChanges(t, c.Changes(), domain.EventCycleOpened, domain.EventPhaseRescheduled)
	if d, _ := c.VotingDeadline(); !d.Equal(at(22, 9)) {
		t.Fatalf("deadline %v after the extension", d)
	}
	mustAdvance(t, c, domain.PhaseVoting)
	wantError(t, resched(domain.PhaseVoting, at(25, 9), at(10, 0), "too late"), domain.ErrWrongPhase, domain.CodeConflict)
}

// A cycle restored from a checkpoint keeps its calendar, with every reschedule.
func TestRestoreKeepsTheCalendar(t *testing.T) {
	c := mustCycle(t, calendar)
	mustOK(t, c.ReschedulePhase(domain.ReschedulePhase{CycleID: c.ID(), Phase: domain.PhaseAssessment, Starts: at(22, 9), Reason: "x", At: at(2, 0)}))
	c.ClearChanges()
	rc, err := domain.RestoreCycle(c.State(), c.Version())
	mustOK(t, err)
	if !reflect.DeepEqual(rc.State(), c.State()) {
		t.Fatalf("restored\n%+v\nwant\n%+v", rc.State(), c.State())
	}
	if d, ok := rc.VotingDeadline(); !ok || !d.Equal(at(22, 9)) {
		t.Fatalf("restored deadline %v %v", d, ok)
	}
}
