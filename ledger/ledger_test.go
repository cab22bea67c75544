package ledger_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/domain/outcome"
	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/filestore"
	"github.com/pbledger/pbledger/ledger"
)

var req = ledger.Request{Principal: "test", Role: "admin", RequestID: "t"}

func mustStore(tb testing.TB) *filestore.Store {
	tb.Helper()
	s, err := filestore.Open(context.Background(), tb.TempDir(), filestore.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func mustOK(tb testing.TB, _ ledger.Written, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// voting opens cycle c1 (one district "d", approval of up to 2, greedy) with proposals p1..p3 published and
// voting open.
func voting(tb testing.TB, svc *ledger.Service) {
	tb.Helper()
	ctx := context.Background()
	w, err := svc.OpenCycle(ctx, req, domain.OpenCycle{CycleID: "c1", Name: "C1", Currency: "KZT", CurrencyExponent: 2,
		Districts:  []domain.District{{ID: "d", Name: "D", Budget: 1000}},
		Plan:       []domain.Phase{domain.PhaseSubmission, domain.PhaseVoting, domain.PhaseAllocation, domain.PhaseImplementation, domain.PhaseClosed},
		BallotRule: domain.BallotRule{Type: domain.BallotApproval, MaxChoices: 2}, OutcomeRule: outcome.Rule{Name: outcome.Greedy}})
	mustOK(tb, w, err)
	for i, cost := range []domain.Money{500, 400, 300} {
		id := domain.ProposalID(fmt.Sprintf("p%d", i+1))
		w, err := svc.SubmitProposal(ctx, req, domain.SubmitProposal{ProposalID: id, CycleID: "c1", DistrictID: "d", Author: "a1",
			ProposalContent: domain.ProposalContent{Title: "P", Cost: cost}})
		mustOK(tb, w, err)
		w, err = svc.PublishProposal(ctx, req, domain.PublishProposal{ProposalID: id, Moderator: "m1"})
		mustOK(tb, w, err)
	}
	w, err = svc.AdvancePhase(ctx, req, domain.AdvancePhase{CycleID: "c1", To: domain.PhaseVoting})
	mustOK(tb, w, err)
}

func cast(voter string, proposals ...domain.ProposalID) domain.CastBallot {
	cmd := domain.CastBallot{CycleID: "c1", DistrictID: "d", Voter: domain.VoterKey(voter)}
	for _, p := range proposals {
		cmd.Choices = append(cmd.Choices, domain.BallotChoice{ProposalID: p})
	}
	return cmd
}

// A phase change waits for ballots in flight: every ballot accepted is in the log before the event that
// closed voting, every ballot refused says voting is closed, and the allocation counts exactly the accepted.
func TestBallotsRacingTheEndOfVoting(t *testing.T) {
	store := mustStore(t)
	svc := ledger.New(store, nil, ledger.Metrics{})
	voting(t, svc)
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	accepted, closed := 0, 0
	start := make(chan struct{})
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			<-start
			for i := 0; i < 60; i++ {
				_, err := svc.CastBallot(ctx, req, cast(fmt.Sprintf("v%dx%d", g, i), "p1"))
				mu.Lock()
				switch {
				case err == nil:
					accepted++
				case errors.Is(err, domain.ErrVotingClosed):
					closed++
				default:
					t.Error(err)
				}
				mu.Unlock()
			}
		}(g)
	}
	close(start)
	// Close voting while the ballots pour in.
	for {
		mu.Lock()
		n := accepted
		mu.Unlock()
		if n >= 50 {
			break
		}
	}
	if _, err := svc.AdvancePhase(ctx, req, domain.AdvancePhase{CycleID: "c1", To: domain.PhaseAllocation}); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if accepted+closed != 480 || accepted < 50 {
		t.Fatalf("accepted %d, refused %d, want 480 in all", accepted, closed)
	}
	// In the log, every ballot comes before the phase change.
	var closedAt eventstore.Position
	ballots := 0
	for from := eventstore.Position(1); ; {
		recs, err := store.ReadAll(ctx, from, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			break
		}
		for _, r := range recs {
			switch r.Type {
			case domain.EventPhaseAdvanced:
				var pa domain.PhaseAdvanced
				json.Unmarshal(r.Data, &pa)
				if pa.From == domain.PhaseVoting {
					closedAt = r.Position
				}
			case domain.EventBallotCast:
				ballots++
				if closedAt != 0 {
					t.Fatalf("ballot at %d after voting closed at %d", r.Position, closedAt)
				}
			}
		}
		from = recs[len(recs)-1].Position + 1
	}
	if ballots != accepted {
		t.Fatalf("log holds %d ballots, %d were accepted", ballots, accepted)
	}
	w, err := svc.Allocate(ctx, req, "c1", "d")
	if err != nil {
		t.Fatal(err)
	}
	recs, _ := store.ReadStream(ctx, w.Stream, eventstore.Forwards, w.Revision, 1)
	var alloc domain.AllocationRecorded
	json.Unmarshal(recs[0].Data, &alloc)
	if alloc.BallotsCounted != accepted {
		t.Fatalf("allocation counted %d ballots, %d were accepted", alloc.BallotsCounted, accepted)
	}
}

// A ballot another writer appended after voting closed stays in the log but is never counted.
func TestAllocationIgnoresBallotsAfterVotingClosed(t *testing.T) {
	store := mustStore(t)
	svc := ledger.New(store, nil, ledger.Metrics{})
	voting(t, svc)
	ctx := context.Background()
	for i, p := range []domain.ProposalID{"p2", "p2", "p3"} {
		_, err := svc.CastBallot(ctx, req, cast(fmt.Sprintf("v%d", i), p))
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.AdvancePhase(ctx, req, domain.AdvancePhase{CycleID: "c1", To: domain.PhaseAllocation}); err != nil {
		t.Fatal(err)
	}
	// Another writer: straight to the store, bypassing the ledger's checks.
	for i := 0; i < 3; i++ {
		late := domain.BallotCast{CycleID: "c1", DistrictID: "d", Voter: domain.VoterKey(fmt.Sprintf("late%d", i)), Choices: []domain.BallotChoice{{ProposalID: "p1"}}}
		typ, data, _ := domain.Encode(late)
		if _, err := store.Append(ctx, domain.BallotStream("c1", "d", late.Voter), eventstore.NoStream(), eventstore.EventData{ID: uuid.New(), Type: typ, Data: data}); err != nil {
			t.Fatal(err)
		}
	}
	w, err := svc.Allocate(ctx, req, "c1", "d")
	if err != nil {
		t.Fatal(err)
	}
	recs, _ := store.ReadStream(ctx, w.Stream, eventstore.Forwards, w.Revision, 1)
	var alloc domain.AllocationRecorded
	json.Unmarshal(recs[0].Data, &alloc)
	if alloc.BallotsCounted != 3 || len(alloc.Winners) != 2 || alloc.Winners[0].ProposalID != "p2" {
		t.Fatalf("allocation: %d ballots, winners %v; want 3 ballots, p2 first (the late p1 ballots ignored)", alloc.BallotsCounted, alloc.Winners)
	}
}

// Two ballots of one voter racing: exactly one is cast.
func TestOneBallotPerVoterUnderRaces(t *testing.T) {
	store := mustStore(t)
	svc := ledger.New(store, nil, ledger.Metrics{})
	voting(t, svc)
	for round := 0; round < 20; round++ {
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := svc.CastBallot(context.Background(), req, cast(fmt.Sprintf("race%d", round), "p1"))
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		ok := 0
		for err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, domain.ErrBallotExists):
			default:
				t.Fatal(err)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: %d ballots cast, want 1", round, ok)
		}
	}
}

// If-Match is checked against the revision the command loaded.
func TestIfMatchAndPreconditionError(t *testing.T) {
	store := mustStore(t)
	svc := ledger.New(store, nil, ledger.Metrics{})
	voting(t, svc)
	r := req
	r.IfMatch = ledger.MatchRevision(0)
	_, err := svc.AdvancePhase(context.Background(), r, domain.AdvancePhase{CycleID: "c1", To: domain.PhaseAllocation})
	var pe *ledger.PreconditionError
	if !errors.As(err, &pe) || !errors.Is(err, ledger.ErrPreconditionFailed) || pe.Current != 1 {
		t.Fatalf("got %v, want a precondition error at revision 1", err)
	}
	r.IfMatch = ledger.MatchRevision(1)
	if _, err := svc.AdvancePhase(context.Background(), r, domain.AdvancePhase{CycleID: "c1", To: domain.PhaseAllocation}); err != nil {
		t.Fatal(err)
	}
}
