package projections

import (
	"bufio"
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/domain/outcome"
	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/memstore"
	"github.com/pbledger/pbledger/ledger"
)

// checkpointLog makes a log with what the checkpoint's ballot columns must carry: ballots replaced (twice),
// cumulative points, a ballot naming a proposal its district does not list (a log written by another
// application; the model counts what the log says), a ballot with no choices, and an allocated district.
func checkpointLog(t *testing.T) eventstore.Store {
	t.Helper()
	store := memstore.New()
	ctx := context.Background()
	svc := ledger.New(store, nil, ledger.Metrics{})
	req := ledger.Request{Principal: "test", Role: "admin", RequestID: "r"}
	must := func(_ ledger.Written, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []domain.CycleID{"c1", "c2"} {
		must(svc.OpenCycle(ctx, req, domain.OpenCycle{CycleID: c, Name: "Cycle " + string(c), Currency: "KZT", CurrencyExponent: 2,
			Districts:   []domain.District{{ID: "a", Name: "A", Budget: 1000}, {ID: "b", Name: "B", Budget: 800}},
			Plan:        domain.StandardPlan(),
			BallotRule:  domain.BallotRule{Type: domain.BallotCumulative, MaxChoices: 3, MaxTotalPoints: 10, MaxPointsPerProposal: 5},
			OutcomeRule: outcome.Rule{Name: outcome.Greedy},
			Assessment:  domain.AssessmentPolicy{Scale: domain.ScoreScale{Min: 0, Max: 10}}}))
		for _, d := range []domain.DistrictID{"a", "b"} {
			for i := 1; i <= 3; i++ {
				id := domain.ProposalID(fmt.Sprintf("%s.%s%d", c, d, i))
				must(svc.SubmitProposal(ctx, req, domain.SubmitProposal{ProposalID: id, CycleID: c, DistrictID: d, Author: "au",
					ProposalContent: domain.ProposalContent{Title: "Proposal " + string(id), Cost: domain.Money(100 * i)}}))
				must(svc.PublishProposal(ctx, req, domain.PublishProposal{ProposalID: id, Moderator: "m"}))
			}
		}
		must(svc.AdvancePhase(ctx, req, domain.AdvancePhase{CycleID: c, To: domain.PhaseReview}))
		must(svc.AdvancePhase(ctx, req, domain.AdvancePhase{CycleID: c, To: domain.PhaseVoting}))
	}
	appendBallot := func(e domain.Event, voter domain.VoterKey, c domain.CycleID, d domain.DistrictID) {
		t.Helper()
		typ, data, err := domain.Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.Append(ctx, domain.BallotStream(c, d, voter), eventstore.Any(),
			eventstore.EventData{ID: uuid.New(), Type: typ, Data: data, Metadata: []byte(`{"principal":"test","role":"gateway"}`)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []domain.CycleID{"c1", "c2"} {
		for v := range 30 {
			d := domain.DistrictID([]string{"a", "b"}[v%2])
			voter := domain.VoterKey(fmt.Sprintf("voter-%d", v*7919%1000))
			p := func(i int) domain.ProposalID { return domain.ProposalID(fmt.Sprintf("%s.%s%d", c, d, 1+(v+i)%3)) }
			choices := []domain.BallotChoice{{ProposalID: p(0), Points: int64(1 + v%5)}}
			switch v % 6 {
			case 1:
				choices = append(choices, domain.BallotChoice{ProposalID: p(1), Points: 2})
			case 2:
				choices = append(choices, domain.BallotChoice{ProposalID: "elsewhere.x9", Points: 1})
			case 3:
				choices = []domain.BallotChoice{}
			}
			appendBallot(domain.BallotCast{CycleID: c, DistrictID: d, Voter: voter, Choices: choices}, voter, c, d)
			if v%5 == 0 {
				appendBallot(domain.BallotReplaced{CycleID: c, DistrictID: d, Voter: voter, Choices: []domain.BallotChoice{{ProposalID: p(2), Points: 3}}}, voter, c, d)
			}
			if v%10 == 0 {
				appendBallot(domain.BallotReplaced{CycleID: c, DistrictID: d, Voter: voter, Choices: []domain.BallotChoice{{ProposalID: p(1), Points: 4}}}, voter, c, d)
			}
		}
	}
	must(svc.AdvancePhase(ctx, req, domain.AdvancePhase{CycleID: "c2", To: domain.PhaseAssessment}))
	must(svc.AdvancePhase(ctx, req, domain.AdvancePhase{CycleID: "c2", To: domain.PhaseAllocation}))
	must(svc.Allocate(ctx, req, "c2", "a"))
	return store
}

// comparableSnapshot returns the model's snapshot for reflect.DeepEqual: through gob and back, since gob
// does not tell an empty slice from a nil one (nor did it in any format).
func comparableSnapshot(t *testing.T, m *Model) checkpoint {
	t.Helper()
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(m.snapshot()); err != nil {
		t.Fatal(err)
	}
	var cp checkpoint
	if err := gob.NewDecoder(&b).Decode(&cp); err != nil {
		t.Fatal(err)
	}
	return cp
}

func loadInto(t *testing.T, store eventstore.Store, path string) *Model {
	t.Helper()
	m := NewModel()
	r := &Runner{Store: store, Model: m, CheckpointPath: path}
	if err := r.loadCheckpoint(context.Background(), slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	return m
}

// A format 3 checkpoint restores the model exactly: every ballot (replaced, with points, naming a proposal
// the district does not list, empty), its version, the votes, allocated districts' totals.
func TestCheckpointColumnsRoundTrip(t *testing.T) {
	store := checkpointLog(t)
	m := NewModel()
	if err := CatchUp(context.Background(), store, m, eventstore.Position(^uint64(0)), time.Time{}); err != nil {
		t.Fatal(err)
	}
	want := comparableSnapshot(t, m)
	var replaced, points, extra, empty, dropped bool
	for _, cs := range want.Cycles {
		for _, ds := range cs.Districts {
			replaced = replaced || len(ds.Replacements) > 0
			points = points || len(ds.ChoicePoints) > 0
			extra = extra || len(ds.Extra) > 0
			dropped = dropped || ds.Dropped
			for _, n := range ds.ChoiceCounts {
				empty = empty || n == 0
			}
		}
	}
	if !replaced || !points || !extra || !empty || !dropped {
		t.Fatalf("the log lacks a case: replaced %v, points %v, extra %v, empty %v, dropped %v", replaced, points, extra, empty, dropped)
	}
	path := filepath.Join(t.TempDir(), "checkpoint.gob")
	if err := WriteCheckpoint(m, path); err != nil {
		t.Fatal(err)
	}
	restored := loadInto(t, store, path)
	if p, _ := restored.Position(); p != want.Position {
		t.Fatalf("restored at %d, want %d", p, want.Position)
	}
	if got := comparableSnapshot(t, restored); !reflect.DeepEqual(got, want) {
		t.Fatalf("restored model differs:\n got %+v\nwant %+v", got.Cycles, want.Cycles)
	}
	// And the restored model goes on as the original does: a ballot replaced after the checkpoint.
	typ, data, _ := domain.Encode(domain.BallotReplaced{CycleID: "c1", DistrictID: "a", Voter: "voter-0", Choices: []domain.BallotChoice{{ProposalID: "c1.a3", Points: 5}}})
	if _, err := store.Append(context.Background(), domain.BallotStream("c1", "a", "voter-0"), eventstore.Any(),
		eventstore.EventData{ID: uuid.New(), Type: typ, Data: data}); err != nil {
		t.Fatal(err)
	}
	for _, mm := range []*Model{m, restored} {
		if err := CatchUp(context.Background(), store, mm, eventstore.Position(^uint64(0)), time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := comparableSnapshot(t, restored), comparableSnapshot(t, m); !reflect.DeepEqual(got, want) {
		t.Fatal("after a ballot replaced past the checkpoint, the restored model differs from the original")
	}

	// A torn or inconsistent checkpoint leaves the model empty (it is rebuilt from the log), never half-restored.
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, raw[:len(raw)*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	if p, _ := loadInto(t, store, path).Position(); p != 0 {
		t.Fatalf("a torn checkpoint was restored to position %d", p)
	}
}

// A checkpoint of the previous format (2: one gob value, ballots as structs) is still read, to the same model.
func TestCheckpointFormat2StillRead(t *testing.T) {
	store := checkpointLog(t)
	m := NewModel()
	if err := CatchUp(context.Background(), store, m, eventstore.Position(^uint64(0)), time.Time{}); err != nil {
		t.Fatal(err)
	}
	// The format 2 writer, as it was.
	cp := m.snapshot()
	cp.Format = legacyCheckpointFormat
	for i := range cp.Cycles {
		cs := &cp.Cycles[i]
		cv := m.cycles[cs.State.ID]
		for j := range cs.Districts {
			ds := &cs.Districts[j]
			dv := cv.districts[ds.ID]
			*ds = districtSnap{ID: ds.ID, Proposals: ds.Proposals, Version: ds.Version}
			if dv.dropped {
				ds.Dropped, ds.Counted, ds.Votes = true, dv.counted, dv.votes
			}
			for _, v := range dv.voters {
				bv := dv.ballots[v]
				ds.Ballots = append(ds.Ballots, ballotSnap{State: bv.agg.State(), Version: bv.version})
			}
		}
	}
	path := filepath.Join(t.TempDir(), "checkpoint.gob")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	if err := gob.NewEncoder(w).Encode(cp); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	restored := loadInto(t, store, path)
	if p, _ := restored.Position(); p != cp.Position {
		t.Fatalf("format 2 checkpoint not restored (position %d, want %d)", p, cp.Position)
	}
	// Format 2 kept no votes for districts still counting: they are counted again from the ballots, and
	// a proposal whose votes were all replaced away has no entry then.
	normalize := func(cp checkpoint) checkpoint {
		for i := range cp.Cycles {
			for j := range cp.Cycles[i].Districts {
				ds := &cp.Cycles[i].Districts[j]
				for p, n := range ds.Votes {
					if n == 0 {
						delete(ds.Votes, p)
					}
				}
			}
		}
		return cp
	}
	if got, want := normalize(comparableSnapshot(t, restored)), normalize(comparableSnapshot(t, m)); !reflect.DeepEqual(got, want) {
		t.Fatalf("format 2 checkpoint restored differently:\n got %+v\nwant %+v", got.Cycles, want.Cycles)
	}
}
