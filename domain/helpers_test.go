package domain_test

import (
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/domain/outcome"
)

// Test fixtures: a small cycle with two districts (north: 1000, south: 500), approval ballots of at most 3
// proposals, greedy outcome, assessment on a 0..10 scale with one criterion, infeasible proposals excluded.

const testCycle domain.CycleID = "city-2024"

func testOpenCycle() domain.OpenCycle {
	return domain.OpenCycle{
		CycleID:          testCycle,
		Name:             "City 2024",
		Currency:         "KZT",
		CurrencyExponent: 2,
		Districts: []domain.District{
			{ID: "north", Name: "North", Budget: 1000},
			{ID: "south", Name: "South", Budget: 500},
		},
		Plan:        domain.StandardPlan(),
		BallotRule:  domain.BallotRule{Type: domain.BallotApproval, MaxChoices: 3},
		OutcomeRule: outcome.Rule{Name: outcome.Greedy},
		Assessment: domain.AssessmentPolicy{
			Scale:             domain.ScoreScale{Min: 0, Max: 10},
			Criteria:          []domain.Criterion{{ID: "impact", Name: "Social impact"}},
			ExcludeInfeasible: true,
		},
	}
}

// mustCycle opens the test cycle, changed by mods.
func mustCycle(tb testing.TB, mods ...func(*domain.OpenCycle)) *domain.Cycle {
	tb.Helper()
	cmd := testOpenCycle()
	for _, m := range mods {
		m(&cmd)
	}
	c := &domain.Cycle{}
	if err := c.Open(cmd); err != nil {
		tb.Fatalf("Open: %v", err)
	}
	return c
}

// mustAdvance advances c along its plan until it is in phase to.
func mustAdvance(tb testing.TB, c *domain.Cycle, to domain.Phase) {
	tb.Helper()
	plan := c.State().Plan
	if !slices.Contains(plan, to) {
		tb.Fatalf("phase %q is not in the plan %v", to, plan)
	}
	for c.Phase() != to {
		next := plan[slices.Index(plan, c.Phase())+1]
		if err := c.AdvancePhase(domain.AdvancePhase{CycleID: c.ID(), To: next}); err != nil {
			tb.Fatalf("AdvancePhase to %q: %v", next, err)
		}
	}
}

func content(title string, cost domain.Money) domain.ProposalContent {
	return domain.ProposalContent{Title: title, Description: "A description of " + title, Cost: cost}
}

// mustSubmit submits a proposal by author "alice" (the cycle must be in submission).
func mustSubmit(tb testing.TB, c *domain.Cycle, id domain.ProposalID, district domain.DistrictID, cost domain.Money) *domain.Proposal {
	tb.Helper()
	p := &domain.Proposal{}
	err := p.Submit(c, domain.SubmitProposal{ProposalID: id, CycleID: c.ID(), DistrictID: district,
		Author: "alice", ProposalContent: content("Proposal "+string(id), cost)})
	if err != nil {
		tb.Fatalf("Submit %q: %v", id, err)
	}
	return p
}

// mustPublished submits and publishes a proposal.
func mustPublished(tb testing.TB, c *domain.Cycle, id domain.ProposalID, district domain.DistrictID, cost domain.Money) *domain.Proposal {
	tb.Helper()
	p := mustSubmit(tb, c, id, district, cost)
	if err := p.Publish(c, domain.PublishProposal{ProposalID: id, Moderator: "mod1"}); err != nil {
		tb.Fatalf("Publish %q: %v", id, err)
	}
	return p
}

func mustRegister(tb testing.TB, c *domain.Cycle, id domain.AssessorID, role domain.AssessorRole) {
	tb.Helper()
	if err := c.RegisterAssessor(domain.RegisterAssessor{CycleID: c.ID(), AssessorID: id, Role: role}); err != nil {
		tb.Fatalf("RegisterAssessor %q: %v", id, err)
	}
}

func mustCast(tb testing.TB, c *domain.Cycle, ps []*domain.Proposal, district domain.DistrictID, voter domain.VoterKey, ids ...domain.ProposalID) *domain.Ballot {
	tb.Helper()
	b := &domain.Ballot{}
	if err := b.Cast(c, domain.Proposals(ps...), domain.CastBallot{CycleID: c.ID(), DistrictID: district,
		Voter: voter, Choices: choices(ids...)}); err != nil {
		tb.Fatalf("Cast by %q: %v", voter, err)
	}
	return b
}

func choices(ids ...domain.ProposalID) []domain.BallotChoice {
	out := make([]domain.BallotChoice, len(ids))
	for i, id := range ids {
		out[i] = domain.BallotChoice{ProposalID: id}
	}
	return out
}

func mustOK(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatalf("unexpected error: %v", err)
	}
}

// wantError checks that err is a *domain.Error with the code that wraps sentinel.
func wantError(tb testing.TB, err, sentinel error, code string) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("got no error, want %v (%s)", sentinel, code)
	}
	var de *domain.Error
	if !errors.As(err, &de) {
		tb.Fatalf("got %T %v, want a *domain.Error", err, err)
	}
	if sentinel != nil && !errors.Is(err, sentinel) {
		tb.Errorf("got error %q, want one matching %v", err, sentinel)
	}
	if got := domain.ErrorCode(err); got != code {
		tb.Errorf("got code %q, want %q (error %q)", got, code, err)
	}
	if de.Message == "" {
		tb.Errorf("error has no message")
	}
}

// wantChanges checks the types of the recorded changes.
func wantChanges(tb testing.TB, got []domain.Event, wantTypes ...string) {
	tb.Helper()
	var types []string
	for _, e := range got {
		types = append(types, e.EventType())
	}
	if !reflect.DeepEqual(types, wantTypes) {
		tb.Fatalf("got changes %v, want %v", types, wantTypes)
	}
}
