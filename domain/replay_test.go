package domain_test

import (
	"reflect"
	"testing"

	"github.com/pbledger/pbledger/domain"
)

// roundTrip encodes and decodes events as a store would.
func roundTrip(tb testing.TB, events []domain.Event) []domain.Event {
	tb.Helper()
	out := make([]domain.Event, len(events))
	for i, e := range events {
		typ, data, err := domain.Encode(e)
		mustOK(tb, err)
		if out[i], err = domain.Decode(typ, data); err != nil {
			tb.Fatalf("Decode %s: %v", typ, err)
		}
	}
	return out
}

func TestReplayGivesTheSameState(t *testing.T) {
	c := mustCycle(t, func(cmd *domain.OpenCycle) { cmd.AllowBallotReplacement = true })
	p := mustPublished(t, c, "p1", "north", 400)
	mustOK(t, p.Pledge(c, domain.PledgeCoFinancing{ProposalID: "p1", PledgeID: "g1", Pledger: "v9",
		PledgerKind: domain.PledgerResident, Amount: 50}))
	mustRegister(t, c, "exp1", domain.RoleExpert)
	mustRegister(t, c, "bc1", domain.RoleBudgetCommission)
	mustAdvance(t, c, domain.PhaseVoting)
	b := mustCast(t, c, []*domain.Proposal{p}, "north", "v1", "p1")
	mustOK(t, b.Cast(c, domain.Proposals(p), domain.CastBallot{CycleID: testCycle, DistrictID: "north", Voter: "v1", Choices: choices("p1")}))
	mustAdvance(t, c, domain.PhaseAssessment)
	mustOK(t, p.Score(c, scoreCmd("exp1", 7, 6)))
	mustOK(t, p.Score(c, scoreCmd("exp1", 8, 6)))
	mustOK(t, p.MarkInfeasible(c, domain.MarkInfeasible{ProposalID: "p1", AssessorID: "bc1", Reason: "Pipes"}))
	mustOK(t, p.MarkFeasible(c, domain.MarkFeasible{ProposalID: "p1", AssessorID: "bc1", Reason: "Pipes moved"}))
	mustAdvance(t, c, domain.PhaseAllocation)
	// The allocations are loaded as history (so this test does not depend on the outcome rules); the cycle's
	// full history is what it recorded before, then these, then what it records after.
	allocations := []domain.Event{
		domain.LotDrawn{CycleID: testCycle, DistrictID: "north", Seed: "s"},
		domain.AllocationRecorded{CycleID: testCycle, DistrictID: "north", Budget: 1000, Total: 350,
			Winners: []domain.FundedProposal{{ProposalID: "p1", Funded: 350}}},
		domain.AllocationRecorded{CycleID: testCycle, DistrictID: "south", Budget: 500},
	}
	cycleHistory := append(c.Changes(), allocations...)
	c.ClearChanges()
	mustOK(t, c.Load(allocations...))
	mustAdvance(t, c, domain.PhaseImplementation)
	mustOK(t, p.ReportMilestone(c, domain.ReportMilestone{ProposalID: "p1", MilestoneID: "m1", Title: "Build",
		Status: domain.MilestoneInProgress, Progress: 50, Spent: 100}))

	t.Run("proposal", func(t *testing.T) {
		var got domain.Proposal
		mustOK(t, got.Load(roundTrip(t, p.Changes())...))
		if !reflect.DeepEqual(got.State(), p.State()) {
			t.Errorf("replayed state:\n got %+v\nwant %+v", got.State(), p.State())
		}
		if got.Version() != len(p.Changes()) {
			t.Errorf("got version %d, want %d", got.Version(), len(p.Changes()))
		}
	})
	t.Run("ballot", func(t *testing.T) {
		var got domain.Ballot
		mustOK(t, got.Load(roundTrip(t, b.Changes())...))
		if !reflect.DeepEqual(got.State(), b.State()) {
			t.Errorf("replayed state:\n got %+v\nwant %+v", got.State(), b.State())
		}
	})
	t.Run("cycle", func(t *testing.T) {
		var got domain.Cycle
		mustOK(t, got.Load(roundTrip(t, append(cycleHistory, c.Changes()...))...))
		if !reflect.DeepEqual(got.State(), c.State()) {
			t.Errorf("replayed state:\n got %+v\nwant %+v", got.State(), c.State())
		}
		if got.Version() != c.Version()+len(c.Changes()) {
			t.Errorf("got version %d, want %d", got.Version(), c.Version()+len(c.Changes()))
		}
	})
}

func TestVersionAndChanges(t *testing.T) {
	c := mustCycle(t)
	if got := c.Version(); got != 0 {
		t.Errorf("got version %d before commit, want 0", got)
	}
	c.ClearChanges()
	if got := c.Version(); got != 1 {
		t.Errorf("got version %d after commit, want 1", got)
	}
	wantChanges(t, c.Changes())
	mustAdvance(t, c, domain.PhaseReview)
	wantChanges(t, c.Changes(), domain.EventPhaseAdvanced)
}

func TestLoadRejectsForeignEvents(t *testing.T) {
	opened := sampleEvents()[0].(domain.CycleOpened)
	submitted := domain.ProposalSubmitted{ProposalID: "p1", CycleID: "almaty-2020", DistrictID: "almaly",
		Author: "alice", ProposalContent: content("Park", 10)}
	cast := domain.BallotCast{CycleID: "almaty-2020", DistrictID: "almaly", Voter: "v1", Choices: choices("p1")}
	tests := []struct {
		name string
		load func() error
	}{
		{"cycle/event before opened", func() error {
			return new(domain.Cycle).Load(domain.PhaseAdvanced{CycleID: "almaty-2020", To: domain.PhaseReview})
		}},
		{"cycle/opened twice", func() error { return new(domain.Cycle).Load(opened, opened) }},
		{"cycle/proposal event", func() error { return new(domain.Cycle).Load(opened, submitted) }},
		{"cycle/other cycle", func() error {
			return new(domain.Cycle).Load(opened, domain.PhaseAdvanced{CycleID: "other", To: domain.PhaseReview})
		}},
		{"proposal/event before submitted", func() error {
			return new(domain.Proposal).Load(domain.ProposalPublished{ProposalID: "p1"})
		}},
		{"proposal/other proposal", func() error {
			return new(domain.Proposal).Load(submitted, domain.ProposalPublished{ProposalID: "p2"})
		}},
		{"proposal/ballot event", func() error { return new(domain.Proposal).Load(submitted, cast) }},
		{"ballot/replaced before cast", func() error { return new(domain.Ballot).Load(domain.BallotReplaced{Voter: "v1"}) }},
		{"ballot/other voter", func() error {
			return new(domain.Ballot).Load(cast, domain.BallotReplaced{CycleID: "almaty-2020", DistrictID: "almaly", Voter: "v2"})
		}},
		{"ballot/cycle event", func() error { return new(domain.Ballot).Load(opened) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, tt.load(), nil, domain.CodeInternal)
		})
	}
}
