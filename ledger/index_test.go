package ledger_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/ledger"
	"github.com/pbledger/pbledger/upgrade"
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

// voted runs cycle c1 with 20 ballots, through svc, up to its allocation phase.
func voted(t *testing.T, svc *ledger.Service) {
	t.Helper()
	voting(t, svc)
	for i := 0; i < 20; i++ {
		castOK(t, svc, cast(fmt.Sprintf("v%d", i), choicesOf(i)...))
	}
	if _, err := svc.AdvancePhase(context.Background(), req, domain.AdvancePhase{CycleID: "c1", To: domain.PhaseAllocation}); err != nil {
		t.Fatal(err)
	}
}

func choicesOf(i int) []domain.ProposalID {
	if i%3 == 0 {
		return []domain.ProposalID{"p1", "p2"}
	}
	return []domain.ProposalID{"p3"}
}

// allocated allocates c1's district and returns the recorded allocation.
func allocated(t *testing.T, store eventstore.Store) domain.AllocationRecorded {
	t.Helper()
	ctx := context.Background()
	w, err := ledger.New(store, nil, ledger.Metrics{}).Allocate(ctx, req, "c1", "d")
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
	voted(t, ledger.New(indexed, nil, ledger.Metrics{}))
	got := allocated(t, indexed)
	if n := indexed.readAll.Load(); n != 0 {
		t.Fatalf("allocation scanned $all %d times, want 0", n)
	}
	if got.BallotsCounted != 20 {
		t.Fatalf("counted %d ballots, want 20", got.BallotsCounted)
	}

	// The same history written by a build without indexes: allocation refuses rather than scan the log,
	// until the log is reindexed; then it reads the index, and the input is the same.
	plain := mustStore(t)
	voted(t, ledger.New(&countingStore{Store: plain, dropIndex: true}, nil, ledger.Metrics{}))
	legacy := &countingStore{Store: plain}
	if _, err := ledger.New(legacy, nil, ledger.Metrics{}).Allocate(context.Background(), req, "c1", "d"); !errors.Is(err, ledger.ErrNotIndexed) {
		t.Fatalf("allocating a district without an index: %v, want ErrNotIndexed", err)
	}
	if n := legacy.readAll.Load(); n != 0 {
		t.Fatalf("allocation scanned $all %d times, want 0", n)
	}
	done, err := upgrade.Reindex(context.Background(), legacy, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(done) != 1 || done[0].Proposals != 3 || done[0].Voters != 20 {
		t.Fatalf("reindex did %+v, want 3 proposals and 20 voters of c1/d", done)
	}
	scans := legacy.readAll.Load()
	want := allocated(t, legacy)
	if n := legacy.readAll.Load(); n != scans {
		t.Fatalf("allocation after reindex scanned $all %d times, want 0", n-scans)
	}
	if fmt.Sprint(got.Winners, got.Decisions) != fmt.Sprint(want.Winners, want.Decisions) {
		t.Fatalf("indexed: winners %v, reindexed: winners %v", got.Winners, want.Winners)
	}
	if g, w := inputText(t, indexed), inputText(t, legacy); g != w {
		t.Fatalf("indexed input:\n%s\nreindexed input:\n%s", g, w)
	}
	if done, err := upgrade.Reindex(context.Background(), legacy, req); err != nil || len(done) != 0 {
		t.Fatalf("a second reindex did %+v, %v; want nothing", done, err)
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
