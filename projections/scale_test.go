package projections_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/domain/outcome"
	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/ledger"
	"github.com/pbledger/pbledger/projections"
)

// Once a district's allocation is recorded the model lets its ballots go but answers as before: ballot
// counts and votes survive, also through a checkpoint, and the counted input is read back from the log with
// the recorded digest.
func TestAllocatedDistrictsKeepTotalsNotBallots(t *testing.T) {
	dir := t.TempDir()
	store := mustStore(t, filepath.Join(dir, "log"))
	defer store.Close()
	ctx := context.Background()
	svc := ledger.New(store, nil, ledger.Metrics{})
	scenario(t, svc, "c1", 40)
	must(t)(svc.AdvancePhase(ctx, req, domain.AdvancePhase{CycleID: "c1", To: domain.PhaseAssessment}))
	must(t)(svc.AdvancePhase(ctx, req, domain.AdvancePhase{CycleID: "c1", To: domain.PhaseAllocation}))

	before := projections.NewModel()
	if err := projections.CatchUp(ctx, store, before, eventstore.Position(^uint64(0)), zeroTime); err != nil {
		t.Fatal(err)
	}
	rankBefore, err := before.DistrictRanking("c1", "a", 0)
	if err != nil {
		t.Fatal(err)
	}
	must(t)(svc.Allocate(ctx, req, "c1", "a"))

	m := projections.NewModel()
	if err := projections.CatchUp(ctx, store, m, eventstore.Position(^uint64(0)), zeroTime); err != nil {
		t.Fatal(err)
	}
	rank, err := m.DistrictRanking("c1", "a", 0)
	if err != nil {
		t.Fatal(err)
	}
	if rank.Ballots != 20 || rank.Ballots != rankBefore.Ballots {
		t.Fatalf("after allocation the ranking counts %d ballots, before %d; want 20", rank.Ballots, rankBefore.Ballots)
	}
	for i, e := range rank.Entries {
		for _, b := range rankBefore.Entries {
			if b.ProposalID == e.ProposalID && b.Votes != e.Votes {
				t.Fatalf("entry %d (%s): %d votes after allocation, %d before", i, e.ProposalID, e.Votes, b.Votes)
			}
		}
	}
	if _, _, _, err := m.DistrictInput("c1", "a"); !errors.Is(err, projections.ErrBallotsInLog) {
		t.Fatalf("DistrictInput of an allocated district: %v, want ErrBallotsInLog", err)
	}
	in, rec, _, err := m.AllocatedInput(ctx, store, "c1", "a")
	if err != nil {
		t.Fatal(err)
	}
	if got := outcome.Digest(in); got != rec.InputDigest || len(in.Ballots) != 20 {
		t.Fatalf("input read from the log: digest %s with %d ballots, recorded %s", got, len(in.Ballots), rec.InputDigest)
	}
	// The district still voting keeps its ballots in memory.
	if _, _, _, err := m.DistrictInput("c1", "b"); err != nil {
		t.Fatal(err)
	}

	// Through a checkpoint: the same answers.
	cp := filepath.Join(dir, "checkpoint.gob")
	if err := projections.WriteCheckpoint(m, cp); err != nil {
		t.Fatal(err)
	}
	restored := projections.NewModel()
	stop := runUntilCaughtUp(t, &projections.Runner{Store: store, Model: restored, CheckpointPath: cp, Logger: quiet})
	defer stop()
	if got, want := snapshotJSON(t, restored), snapshotJSON(t, m); got != want {
		t.Fatalf("restored model differs:\n%s", firstDiff(got, want))
	}
}

// A cold start (no checkpoint) replays the log and then writes a checkpoint at once, so the next start does
// not replay it again; a start that replayed nothing writes none.
func TestCheckpointWrittenAfterCatchUp(t *testing.T) {
	dir := t.TempDir()
	store := mustStore(t, filepath.Join(dir, "log"))
	defer store.Close()
	scenario(t, ledger.New(store, nil, ledger.Metrics{}), "c1", 10)
	cp := filepath.Join(dir, "checkpoint.gob")
	m := projections.NewModel()
	stop := runUntilCaughtUp(t, &projections.Runner{Store: store, Model: m, CheckpointPath: cp, Logger: quiet,
		CheckpointEvery: 1 << 30})
	// The runner announces it caught up first (so a server answers at once), then writes the checkpoint.
	var st os.FileInfo
	var err error
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if st, err = os.Stat(cp); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatalf("no checkpoint after a cold start's catch-up: %v", err)
	}
	stop()
	// Started again from it, nothing to replay: the checkpoint stays as it was.
	stop = runUntilCaughtUp(t, &projections.Runner{Store: store, Model: projections.NewModel(), CheckpointPath: cp, Logger: quiet})
	stop()
	again, err := os.Stat(cp)
	if err != nil {
		t.Fatal(err)
	}
	if !again.ModTime().Equal(st.ModTime()) {
		t.Fatal("a start that replayed nothing rewrote the checkpoint")
	}
}
