package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/domain/outcome"
	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/ledger"
)

var almaty = time.FixedZone("+05", 5*3600)

// calendarCycle opens cycle "cal" on the Asia/Almaty calendar: voting from 1 June 2026 09:00 to 15 June
// 09:00, then allocation; p1 is published. The request's time is 1 May.
func calendarCycle(tb testing.TB, svc *ledger.Service) {
	tb.Helper()
	ctx := context.Background()
	r := req
	r.At = time.Date(2026, 5, 1, 9, 0, 0, 0, almaty)
	okw(tb)(svc.OpenCycle(ctx, r, domain.OpenCycle{CycleID: "cal", Name: "Calendar", Currency: "KZT", CurrencyExponent: 2,
		Districts:  []domain.District{{ID: "d", Name: "D", Budget: 1000}},
		Plan:       []domain.Phase{domain.PhaseSubmission, domain.PhaseVoting, domain.PhaseAllocation, domain.PhaseImplementation, domain.PhaseClosed},
		BallotRule: domain.BallotRule{Type: domain.BallotApproval}, OutcomeRule: outcome.Rule{Name: outcome.Greedy},
		TimeZone: "Asia/Almaty",
		Schedule: []domain.PhaseDate{
			{Phase: domain.PhaseVoting, Starts: time.Date(2026, 6, 1, 9, 0, 0, 0, almaty)},
			{Phase: domain.PhaseAllocation, Starts: time.Date(2026, 6, 15, 9, 0, 0, 0, almaty)},
		}}))
	okw(tb)(svc.SubmitProposal(ctx, r, domain.SubmitProposal{ProposalID: "cal-p1", CycleID: "cal", DistrictID: "d", Author: "a1",
		ProposalContent: domain.ProposalContent{Title: "P", Cost: 100}}))
	okw(tb)(svc.PublishProposal(ctx, r, domain.PublishProposal{ProposalID: "cal-p1", Moderator: "m1"}))
}

func at(t time.Time) ledger.Request {
	r := req
	r.At = t
	return r
}

func phaseEvents(tb testing.TB, store eventstore.Store, stream string) []domain.PhaseAdvanced {
	tb.Helper()
	recs, err := store.ReadStream(context.Background(), stream, eventstore.Forwards, 0, 1000)
	if err != nil {
		tb.Fatal(err)
	}
	var out []domain.PhaseAdvanced
	for _, r := range recs {
		if r.Type == domain.EventPhaseAdvanced {
			e, err := domain.Decode(r.Type, r.Data)
			if err != nil {
				tb.Fatal(err)
			}
			out = append(out, e.(domain.PhaseAdvanced))
		}
	}
	return out
}

func TestCalendarRejectsAWrongZoneOrOffset(t *testing.T) {
	svc := ledger.New(mustStore(t), nil, ledger.Metrics{})
	base := domain.OpenCycle{CycleID: "z", Name: "Z", Currency: "KZT", Districts: []domain.District{{ID: "d", Name: "D", Budget: 1}},
		Plan:       []domain.Phase{domain.PhaseSubmission, domain.PhaseVoting, domain.PhaseAllocation, domain.PhaseImplementation, domain.PhaseClosed},
		BallotRule: domain.BallotRule{Type: domain.BallotApproval}, OutcomeRule: outcome.Rule{Name: outcome.Greedy}}
	for name, tc := range map[string]struct {
		zone string
		at   time.Time
	}{
		"unknown zone":          {"Asia/Nowhere", time.Date(2026, 6, 1, 9, 0, 0, 0, almaty)},
		"offset of another era": {"Asia/Almaty", time.Date(2026, 6, 1, 9, 0, 0, 0, time.FixedZone("", 6*3600))},
	} {
		t.Run(name, func(t *testing.T) {
			cmd := base
			cmd.TimeZone, cmd.Schedule = tc.zone, []domain.PhaseDate{{Phase: domain.PhaseVoting, Starts: tc.at}}
			_, err := svc.OpenCycle(context.Background(), req, cmd)
			if !errors.Is(err, domain.ErrInvalid) {
				t.Fatalf("got %v, want ErrInvalid", err)
			}
		})
	}
}

// The domain judges a ballot by the command's time: one that arrives after the voting deadline is refused even
// though nobody has advanced the phase yet.
func TestBallotAfterTheDeadlineIsRefusedBeforeThePhaseEvent(t *testing.T) {
	store := mustStore(t)
	svc := ledger.New(store, nil, ledger.Metrics{})
	calendarCycle(t, svc)
	ctx := context.Background()
	// The scheduler opens voting when its date comes, not before.
	sc := &ledger.Scheduler{Service: svc}
	if err := sc.Tick(ctx, "cal", time.Date(2026, 5, 31, 9, 0, 0, 0, almaty)); err != nil {
		t.Fatal(err)
	}
	if got := len(phaseEvents(t, store, domain.CycleStream("cal"))); got != 0 {
		t.Fatalf("advanced %d times before the date", got)
	}
	if err := sc.Tick(ctx, "cal", time.Date(2026, 6, 1, 9, 0, 0, 0, almaty)); err != nil {
		t.Fatal(err)
	}
	if evs := phaseEvents(t, store, domain.CycleStream("cal")); len(evs) != 1 || evs[0].To != domain.PhaseVoting || !evs[0].Scheduled {
		t.Fatalf("got %+v, want one scheduled advance to voting", evs)
	}
	b := domain.CastBallot{CycleID: "cal", DistrictID: "d", Voter: "v1", Choices: []domain.BallotChoice{{ProposalID: "cal-p1"}}}
	okw(t)(svc.CastBallot(ctx, at(time.Date(2026, 6, 15, 8, 59, 59, 0, almaty)), b))
	b.Voter = "v2"
	_, err := svc.CastBallot(ctx, at(time.Date(2026, 6, 15, 9, 0, 0, 0, almaty)), b)
	if !errors.Is(err, domain.ErrVotingClosed) {
		t.Fatalf("ballot at the deadline: got %v, want ErrVotingClosed", err)
	}
}

// Several servers' schedulers race for the same due change: exactly one PhaseAdvanced is recorded.
func TestSchedulersRacingAdvanceExactlyOnce(t *testing.T) {
	store := mustStore(t)
	first := ledger.New(store, nil, ledger.Metrics{})
	calendarCycle(t, first)
	const servers = 6
	svcs := []*ledger.Service{first}
	for range servers - 1 {
		svcs = append(svcs, ledger.New(store, nil, ledger.Metrics{}))
	}
	// Every service has the cycle cached in submission, as servers that have been running would.
	for _, s := range svcs {
		if _, _, err := s.AdvanceDue(context.Background(), at(time.Date(2026, 5, 2, 0, 0, 0, 0, almaty)), "cal"); err != nil {
			t.Fatal(err)
		}
	}
	for _, now := range []time.Time{time.Date(2026, 6, 1, 9, 0, 0, 0, almaty), time.Date(2026, 6, 15, 9, 0, 1, 0, almaty)} {
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make(chan error, servers)
		for _, s := range svcs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs <- (&ledger.Scheduler{Service: s}).Tick(context.Background(), "cal", now)
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	evs := phaseEvents(t, store, domain.CycleStream("cal"))
	if got := fmt.Sprint(evs); len(evs) != 2 || evs[0].To != domain.PhaseVoting || evs[1].To != domain.PhaseAllocation {
		t.Fatalf("got %s, want exactly voting then allocation", got)
	}
}

// An admin may extend the deadline (an event with a reason), and must give a reason to advance early.
func TestAdminExtendsAndAdvancesEarly(t *testing.T) {
	store := mustStore(t)
	svc := ledger.New(store, nil, ledger.Metrics{})
	calendarCycle(t, svc)
	ctx := context.Background()
	may20 := at(time.Date(2026, 5, 20, 12, 0, 0, 0, almaty))
	_, err := svc.AdvancePhase(ctx, may20, domain.AdvancePhase{CycleID: "cal", To: domain.PhaseVoting})
	if !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("early advance without a reason: got %v, want ErrInvalid", err)
	}
	okw(t)(svc.AdvancePhase(ctx, may20, domain.AdvancePhase{CycleID: "cal", To: domain.PhaseVoting, Reason: "Proposals ready early"}))
	// Extend voting by a week.
	newEnd := time.Date(2026, 6, 22, 9, 0, 0, 0, almaty)
	okw(t)(svc.ReschedulePhase(ctx, at(time.Date(2026, 6, 10, 0, 0, 0, 0, almaty)),
		domain.ReschedulePhase{CycleID: "cal", Phase: domain.PhaseAllocation, Starts: newEnd, Reason: "Extended after a portal outage"}))
	b := domain.CastBallot{CycleID: "cal", DistrictID: "d", Voter: "v1", Choices: []domain.BallotChoice{{ProposalID: "cal-p1"}}}
	okw(t)(svc.CastBallot(ctx, at(time.Date(2026, 6, 20, 0, 0, 0, 0, almaty)), b))
	// Voting has begun: its own date can no longer move.
	_, err = svc.ReschedulePhase(ctx, may20, domain.ReschedulePhase{CycleID: "cal", Phase: domain.PhaseVoting, Starts: newEnd.Add(-time.Hour), Reason: "x"})
	if !errors.Is(err, domain.ErrWrongPhase) {
		t.Fatalf("rescheduling a phase that began: got %v, want ErrWrongPhase", err)
	}
	// The scheduler honours the new date.
	sc := &ledger.Scheduler{Service: svc}
	if err := sc.Tick(ctx, "cal", time.Date(2026, 6, 16, 0, 0, 0, 0, almaty)); err != nil {
		t.Fatal(err)
	}
	if got := len(phaseEvents(t, store, domain.CycleStream("cal"))); got != 1 {
		t.Fatalf("%d phase events after the old deadline, want 1", got)
	}
	if err := sc.Tick(ctx, "cal", newEnd); err != nil {
		t.Fatal(err)
	}
	evs := phaseEvents(t, store, domain.CycleStream("cal"))
	if len(evs) != 2 || evs[0].Reason != "Proposals ready early" || evs[1].To != domain.PhaseAllocation {
		t.Fatalf("got %+v", evs)
	}
}

// Events carry the command's time as effective_at in their metadata.
func TestEventsCarryEffectiveAt(t *testing.T) {
	store := mustStore(t)
	svc := ledger.New(store, nil, ledger.Metrics{})
	calendarCycle(t, svc)
	recs, err := store.ReadStream(context.Background(), domain.CycleStream("cal"), eventstore.Forwards, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ledger.ParseMetadata(recs[0].Metadata)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 5, 1, 9, 0, 0, 0, almaty); !m.EffectiveAt.Equal(want) {
		t.Fatalf("effective_at %v, want %v", m.EffectiveAt, want)
	}
}

// okw returns a function that fails the test when a write failed: okw(t)(svc.Command(...)).
func okw(tb testing.TB) func(ledger.Written, error) {
	return func(_ ledger.Written, err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
}

// A new date must be written with the cycle's offset on that date, as the dates it opened with.
func TestRescheduleChecksTheOffset(t *testing.T) {
	svc := ledger.New(mustStore(t), nil, ledger.Metrics{})
	calendarCycle(t, svc)
	_, err := svc.ReschedulePhase(context.Background(), at(time.Date(2026, 5, 2, 0, 0, 0, 0, almaty)), domain.ReschedulePhase{CycleID: "cal",
		Phase: domain.PhaseVoting, Starts: time.Date(2026, 6, 2, 9, 0, 0, 0, time.FixedZone("", 6*3600)), Reason: "x"})
	if !errors.Is(err, domain.ErrInvalid) || !strings.Contains(err.Error(), "+05:00") {
		t.Fatalf("got %v, want ErrInvalid saying the zone's offset", err)
	}
}
