package ledger_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/ledger"
)

// countingStore counts the scans of $all made through it; with dropIndex it also plays a build from before
// indexes existed, which never wrote them.
type countingStore struct {
	eventstore.Store
	readAll   atomic.Int64
	dropIndex bool
}

func (s *countingStore) ReadAll(ctx context.Context, from eventstore.Position, max int) ([]eventstore.RecordedEvent, error) {
	s.readAll.Add(1)
	return s.Store.ReadAll(ctx, from, max)
}

func (s *countingStore) Append(ctx context.Context, stream string, exp eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if s.dropIndex && strings.HasPrefix(stream, ledger.IndexStreamPrefix) {
		return eventstore.AppendResult{}, nil
	}
	return s.Store.Append(ctx, stream, exp, events...)
}

// votedAndAllocated runs cycle c1 with ballots, and a second cycle's noise in the log, then allocates c1.
func votedAndAllocated(t *testing.T, store eventstore.Store) domain.AllocationRecorded {
	t.Helper()
	ctx := context.Background()
	svc := ledger.New(store, nil, ledger.Metrics{})
	voting(t, svc)
	for i := 0; i < 20; i++ {
		choices := []domain.ProposalID{"p3"}
		if i%3 == 0 {
			choices = []domain.ProposalID{"p1", "p2"}
		}
		castOK(t, svc, cast(fmt.Sprintf("v%d", i), choices...))
	}
	if _, err := svc.AdvancePhase(ctx, req, domain.AdvancePhase{CycleID: "c1", To: domain.PhaseAllocation}); err != nil {
		t.Fatal(err)
	}
	w, err := svc.Allocate(ctx, req, "c1", "d")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := store.ReadStream(ctx, w.Stream, eventstore.Forwards, w.Revision, 1)
	if err != nil {
		t.Fatal(err)
	}
	var alloc domain.AllocationRecorded
	if err := json.Unmarshal(recs[0].Data, &alloc); err != nil {
		t.Fatal(err)
	}
	return alloc
}

func TestAllocationReadsTheDistrictIndexNotTheLog(t *testing.T) {
	indexed := &countingStore{Store: mustStore(t)}
	got := votedAndAllocated(t, indexed)
	if n := indexed.readAll.Load(); n != 0 {
		t.Fatalf("allocation scanned $all %d times, want 0", n)
	}
	if got.BallotsCounted != 20 {
		t.Fatalf("counted %d ballots, want 20", got.BallotsCounted)
	}

	// The same history written by a build without indexes: allocation falls back to a scan, same input.
	old := &countingStore{Store: mustStore(t), dropIndex: true}
	want := votedAndAllocated(t, old)
	if old.readAll.Load() == 0 {
		t.Fatal("a log without indexes was allocated without a scan")
	}
	if fmt.Sprint(got.Winners, got.Decisions) != fmt.Sprint(want.Winners, want.Decisions) {
		t.Fatalf("indexed: winners %v, scanned: winners %v", got.Winners, want.Winners)
	}
	if g, w := inputText(t, indexed), inputText(t, old); g != w {
		t.Fatalf("indexed input:\n%s\nscanned input:\n%s", g, w)
	}
}

// inputText renders a district's input as ledger.DistrictInput reads it, in its order.
func inputText(t *testing.T, store eventstore.Store) string {
	t.Helper()
	proposals, ballots, err := ledger.DistrictInput(context.Background(), store, "c1", "d", eventstore.Position(^uint64(0)))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, p := range proposals {
		fmt.Fprintln(&b, p.ID(), p.State().Cost)
	}
	for _, bl := range ballots {
		fmt.Fprintln(&b, bl.Voter(), bl.Choices())
	}
	return b.String()
}

// Index entries announce writes that may never happen (a crash, a refused command) or repeat: the reader
// skips entries whose streams are empty or belong elsewhere, and counts a voter once.
func TestIndexEntriesWithoutTheirWriteAreSkipped(t *testing.T) {
	store := mustStore(t)
	ctx := context.Background()
	svc := ledger.New(store, nil, ledger.Metrics{})
	voting(t, svc)
	castOK(t, svc, cast("v1", "p1"))
	castOK(t, svc, cast("v2", "p2"))
	announce := func(typ string, body any) {
		data, _ := json.Marshal(body)
		if _, err := store.Append(ctx, ledger.IndexStream("c1", "d"), eventstore.Any(), eventstore.EventData{ID: uuid.New(), Type: typ, Data: data}); err != nil {
			t.Fatal(err)
		}
	}
	announce(ledger.EventVotersIndexed, ledger.VotersIndexed{Voters: []domain.VoterKey{"ghost", "v1", "v2"}})
	announce(ledger.EventProposalsIndexed, ledger.ProposalsIndexed{Proposals: []domain.ProposalID{"never", "p1"}})
	proposals, ballots, err := svc.DistrictInput(ctx, "c1", "d", eventstore.Position(^uint64(0)))
	if err != nil {
		t.Fatal(err)
	}
	if len(proposals) != 3 || len(ballots) != 2 {
		t.Fatalf("got %d proposals and %d ballots, want 3 and 2", len(proposals), len(ballots))
	}
	for i, want := range []domain.ProposalID{"p1", "p2", "p3"} {
		if proposals[i].ID() != want {
			t.Fatalf("proposal %d is %s, want %s (the log's order)", i, proposals[i].ID(), want)
		}
	}
}

func castOK(tb testing.TB, svc *ledger.Service, cmd domain.CastBallot) {
	tb.Helper()
	if _, err := svc.CastBallot(context.Background(), req, cmd); err != nil {
		tb.Fatal(err)
	}
}
