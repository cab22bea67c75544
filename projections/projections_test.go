package projections_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/domain/outcome"
	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/filestore"
	"github.com/pbledger/pbledger/ledger"
	"github.com/pbledger/pbledger/projections"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func mustStore(tb testing.TB, dir string) *filestore.Store {
	tb.Helper()
	s, err := filestore.Open(context.Background(), dir, filestore.Options{Logger: quiet})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// must(tb)(call) fails the test if call failed.
func must(tb testing.TB) func(ledger.Written, error) {
	return func(_ ledger.Written, err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
}

var req = ledger.Request{Principal: "test", Role: "admin", RequestID: "t", IdempotencyKey: ""}

// scenario writes a cycle through allocation in one district and leaves the other voting... both districts
// share the cycle, so: district a is allocated after voting; ballots in b are counted too.
func scenario(tb testing.TB, svc *ledger.Service, cycle domain.CycleID, ballots int) {
	tb.Helper()
	ctx := context.Background()
	must(tb)(svc.OpenCycle(ctx, req, domain.OpenCycle{CycleID: cycle, Name: "Test " + string(cycle), Currency: "KZT", CurrencyExponent: 2,
		Districts:   []domain.District{{ID: "a", Name: "A", Budget: 1000}, {ID: "b", Name: "B", Budget: 800}},
		Plan:        domain.StandardPlan(),
		BallotRule:  domain.BallotRule{Type: domain.BallotApproval, MaxChoices: 3},
		OutcomeRule: outcome.Rule{Name: outcome.Greedy},
		Assessment:  domain.AssessmentPolicy{Scale: domain.ScoreScale{Min: 0, Max: 10}, ExcludeInfeasible: true}}))
	must(tb)(svc.RegisterAssessor(ctx, req, domain.RegisterAssessor{CycleID: cycle, AssessorID: "e1", Role: domain.RoleExpert}))
	for _, d := range []domain.DistrictID{"a", "b"} {
		for i := 1; i <= 4; i++ {
			id := domain.ProposalID(fmt.Sprintf("%s.%s%d", cycle, d, i))
			must(tb)(svc.SubmitProposal(ctx, req, domain.SubmitProposal{ProposalID: id, CycleID: cycle, DistrictID: d, Author: "au",
				ProposalContent: domain.ProposalContent{Title: "Proposal " + string(id), Cost: domain.Money(100 * (i + 1))}}))
			if i == 4 {
				must(tb)(svc.RejectProposal(ctx, req, domain.RejectProposal{ProposalID: id, Moderator: "m", Reason: "No"}))
				continue
			}
			must(tb)(svc.PublishProposal(ctx, req, domain.PublishProposal{ProposalID: id, Moderator: "m"}))
		}
	}
	must(tb)(svc.PledgeCoFinancing(ctx, req, domain.PledgeCoFinancing{ProposalID: domain.ProposalID(string(cycle) + ".a1"), PledgeID: "g", Pledger: "b1", PledgerKind: domain.PledgerBusiness, Amount: 50}))
	must(tb)(svc.AdvancePhase(ctx, req, domain.AdvancePhase{CycleID: cycle, To: domain.PhaseReview}))
	must(tb)(svc.AdvancePhase(ctx, req, domain.AdvancePhase{CycleID: cycle, To: domain.PhaseVoting}))
	for v := 0; v < ballots; v++ {
		d := domain.DistrictID([]string{"a", "b"}[v%2])
		p := domain.ProposalID(fmt.Sprintf("%s.%s%d", cycle, d, 1+v%3))
		r := req
		r.IdempotencyKey = fmt.Sprintf("%s-ballot-%d", cycle, v)
		must(tb)(svc.CastBallot(ctx, r, domain.CastBallot{CycleID: cycle, DistrictID: d, Voter: domain.VoterKey(fmt.Sprintf("v%d", v)), Choices: []domain.BallotChoice{{ProposalID: p}}}))
	}
}

// snapshotJSON renders everything the model answers, for comparing two models.
func snapshotJSON(tb testing.TB, m *projections.Model) string {
	tb.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	cycles, at := m.Cycles()
	enc.Encode(cycles)
	enc.Encode(at)
	for _, c := range cycles {
		d, err := m.Cycle(c.ID)
		if err != nil {
			tb.Fatal(err)
		}
		enc.Encode(d)
		items, _, _ := m.Tracker(c.ID, "")
		enc.Encode(items)
		for _, dv := range d.DistrictViews {
			rk, err := m.DistrictRanking(c.ID, dv.ID, 0)
			if err != nil {
				tb.Fatal(err)
			}
			enc.Encode(rk)
			o, err := m.DistrictOutcome(c.ID, dv.ID)
			enc.Encode(o)
			enc.Encode(err != nil)
		}
		for _, dv := range d.DistrictViews {
			for i := 1; i <= 4; i++ {
				p, err := m.Proposal(domain.ProposalID(fmt.Sprintf("%s.%s%d", c.ID, dv.ID, i)))
				if err != nil {
					tb.Fatal(err)
				}
				enc.Encode(p)
			}
		}
	}
	enc.Encode(m.Stats())
	return b.String()
}

func runUntilCaughtUp(tb testing.TB, r *projections.Runner) func() {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	caught := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, func() { close(caught) }) }()
	select {
	case <-caught:
	case err := <-done:
		tb.Fatalf("runner: %v", err)
	}
	return func() {
		cancel()
		if err := <-done; err != nil {
			tb.Fatal(err)
		}
	}
}

// A model restored from its checkpoint and caught up answers exactly like one rebuilt from the whole log.
func TestCheckpointThenCatchUpEqualsRebuild(t *testing.T) {
	dir := t.TempDir()
	store := mustStore(t, filepath.Join(dir, "log"))
	defer store.Close()
	cp := filepath.Join(dir, "checkpoint.gob")

	live := projections.NewModel()
	svc := ledger.New(store, live, ledger.Metrics{})
	r := &projections.Runner{Store: store, Model: live, CheckpointPath: cp, Logger: quiet}
	stop := runUntilCaughtUp(t, r)
	scenario(t, svc, "c1", 40)
	head, _ := store.Head(context.Background())
	if err := live.WaitFor(context.Background(), head); err != nil {
		t.Fatal(err)
	}
	stop() // writes the final checkpoint
	if _, err := os.Stat(cp); err != nil {
		t.Fatalf("no checkpoint written: %v", err)
	}

	// More events after the checkpoint: a second cycle, and the first one allocated.
	svc2 := ledger.New(store, nil, ledger.Metrics{})
	scenario(t, svc2, "c2", 10)
	ctx := context.Background()
	must(t)(svc2.AdvancePhase(ctx, req, domain.AdvancePhase{CycleID: "c1", To: domain.PhaseAssessment}))
	must(t)(svc2.AdvancePhase(ctx, req, domain.AdvancePhase{CycleID: "c1", To: domain.PhaseAllocation}))
	must(t)(svc2.Allocate(ctx, req, "c1", "a"))
	head, _ = store.Head(ctx)

	restored := projections.NewModel()
	stop = runUntilCaughtUp(t, &projections.Runner{Store: store, Model: restored, CheckpointPath: cp, Logger: quiet})
	defer stop()
	rebuilt := projections.NewModel()
	if err := projections.CatchUp(ctx, store, rebuilt, eventstore.Position(^uint64(0)), zeroTime); err != nil {
		t.Fatal(err)
	}
	if p, _ := restored.Position(); p != head {
		t.Fatalf("restored model at %d, head %d", p, head)
	}
	if got, want := snapshotJSON(t, restored), snapshotJSON(t, rebuilt); got != want {
		t.Fatalf("restored model differs from rebuilt one:\n%s", firstDiff(got, want))
	}
	// The idempotency index survived the checkpoint.
	if _, _, ok := restored.Lookup("test", "c1-ballot-3"); !ok {
		t.Fatal("idempotency key of a write before the checkpoint is not known after restoring it")
	}
}

func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return fmt.Sprintf("line %d:\n got %s\nwant %s", i, la[i], lb[i])
		}
	}
	return fmt.Sprintf("%d lines vs %d", len(la), len(lb))
}

// A checkpoint of another log (or a damaged one) is ignored: the model is rebuilt from the log.
func TestCheckpointNotMatchingTheLogIsIgnored(t *testing.T) {
	dir := t.TempDir()
	store := mustStore(t, filepath.Join(dir, "log"))
	defer store.Close()
	cp := filepath.Join(dir, "checkpoint.gob")
	svc := ledger.New(store, nil, ledger.Metrics{})
	scenario(t, svc, "c1", 6)
	m := projections.NewModel()
	stop := runUntilCaughtUp(t, &projections.Runner{Store: store, Model: m, CheckpointPath: cp, Logger: quiet})
	stop()

	other := mustStore(t, filepath.Join(dir, "other"))
	defer other.Close()
	scenario(t, ledger.New(other, nil, ledger.Metrics{}), "zz", 8)
	tests := []struct {
		name   string
		damage func(t *testing.T)
	}{
		{"checkpoint of another log", func(t *testing.T) {}},
		{"truncated checkpoint", func(t *testing.T) {
			b, _ := os.ReadFile(cp)
			os.WriteFile(cp, b[:len(b)/2], 0o644)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.damage(t)
			m := projections.NewModel()
			stop := runUntilCaughtUp(t, &projections.Runner{Store: other, Model: m, CheckpointPath: cp, Logger: quiet})
			defer stop()
			cycles, _ := m.Cycles()
			if len(cycles) != 1 || cycles[0].ID != "zz" {
				t.Fatalf("got cycles %v, want just zz from the log", cycles)
			}
		})
	}
}

// Ballots recorded after voting closed are kept in the log but not counted, as at allocation.
func TestLateBallotsAreNotCounted(t *testing.T) {
	store := mustStore(t, t.TempDir())
	defer store.Close()
	svc := ledger.New(store, nil, ledger.Metrics{})
	scenario(t, svc, "c1", 4)
	ctx := context.Background()
	must(t)(svc.AdvancePhase(ctx, req, domain.AdvancePhase{CycleID: "c1", To: domain.PhaseAssessment}))
	late := domain.BallotCast{CycleID: "c1", DistrictID: "a", Voter: "late", Choices: []domain.BallotChoice{{ProposalID: "c1.a1"}}}
	typ, data, _ := domain.Encode(late)
	if _, err := store.Append(ctx, domain.BallotStream("c1", "a", "late"), eventstore.NoStream(), eventstore.EventData{ID: uuid.New(), Type: typ, Data: data}); err != nil {
		t.Fatal(err)
	}
	m := projections.NewModel()
	if err := projections.CatchUp(ctx, store, m, eventstore.Position(^uint64(0)), zeroTime); err != nil {
		t.Fatal(err)
	}
	rk, err := m.DistrictRanking("c1", "a", 0)
	if err != nil {
		t.Fatal(err)
	}
	if rk.Ballots != 2 || m.Stats().LateBallots != 1 {
		t.Fatalf("got %d ballots and %d late, want 2 and 1", rk.Ballots, m.Stats().LateBallots)
	}
}

var zeroTime = time.Time{}

// Readers waiting for positions while events are applied must never deadlock with the applier.
func TestWaitForWhileApplying(t *testing.T) {
	store := mustStore(t, t.TempDir())
	defer store.Close()
	scenario(t, ledger.New(store, nil, ledger.Metrics{}), "c1", 300)
	head, _ := store.Head(context.Background())
	m := projections.NewModel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a hang guard only
	defer cancel()
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := eventstore.Position(1); p <= head; p++ {
				if err := m.WaitFor(ctx, p); err != nil {
					t.Errorf("waiting for %d: %v", p, err)
					return
				}
			}
		}()
	}
	done := make(chan error, 1)
	go func() {
		err := projections.CatchUp(ctx, store, m, eventstore.Position(^uint64(0)), zeroTime)
		wg.Wait()
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute): // a hang guard only: it passes in milliseconds
		t.Fatal("deadlock: readers waiting for positions and the applier blocked each other")
	}
}
