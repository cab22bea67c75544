package domain_test

import (
	"testing"

	"github.com/pbledger/pbledger/domain"
)

// voting returns a cycle under rule in the voting phase with published proposals n1 (300), n2 (400), n3 (500)
// and n4 (600) in north, s1 (100) in south, a submitted but unpublished n5 and a withdrawn n6 in north.
func voting(t *testing.T, rule domain.BallotRule, mods ...func(*domain.OpenCycle)) (*domain.Cycle, []*domain.Proposal) {
	t.Helper()
	c := mustCycle(t, append([]func(*domain.OpenCycle){func(cmd *domain.OpenCycle) { cmd.BallotRule = rule }}, mods...)...)
	ps := []*domain.Proposal{
		mustPublished(t, c, "n1", "north", 300),
		mustPublished(t, c, "n2", "north", 400),
		mustPublished(t, c, "n3", "north", 500),
		mustPublished(t, c, "n4", "north", 600),
		mustPublished(t, c, "s1", "south", 100),
		mustSubmit(t, c, "n5", "north", 100),
		mustPublished(t, c, "n6", "north", 100),
	}
	mustOK(t, ps[6].Withdraw(c, domain.WithdrawProposal{ProposalID: "n6", Author: "alice"}))
	mustAdvance(t, c, domain.PhaseVoting)
	return c, ps
}

func points(pairs ...any) []domain.BallotChoice {
	var out []domain.BallotChoice
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, domain.BallotChoice{ProposalID: domain.ProposalID(pairs[i].(string)), Points: int64(pairs[i+1].(int))})
	}
	return out
}

func TestCastBallot(t *testing.T) {
	approval := domain.BallotRule{Type: domain.BallotApproval, MinChoices: 2, MaxChoices: 3}
	knapsack := domain.BallotRule{Type: domain.BallotKnapsack, MaxCost: 800}
	knapsackBudget := domain.BallotRule{Type: domain.BallotKnapsack}
	cumulative := domain.BallotRule{Type: domain.BallotCumulative, MaxPointsPerProposal: 3, MinTotalPoints: 2, MaxTotalPoints: 5}
	ordinal := domain.BallotRule{Type: domain.BallotOrdinal, MinChoices: 2, MaxChoices: 3}
	chooseOne := domain.BallotRule{Type: domain.BallotChooseOne}

	tests := []struct {
		name     string
		rule     domain.BallotRule
		choices  []domain.BallotChoice
		sentinel error // nil: accepted
	}{
		{"approval/accepted", approval, choices("n1", "n2"), nil},
		{"approval/too few", approval, choices("n1"), domain.ErrInvalidBallot},
		{"approval/too many", approval, choices("n1", "n2", "n3", "n4"), domain.ErrInvalidBallot},
		{"approval/duplicate", approval, choices("n1", "n1"), domain.ErrInvalidBallot},
		{"approval/points given", approval, points("n1", 1, "n2", 1), domain.ErrInvalidBallot},
		{"approval/empty", domain.BallotRule{Type: domain.BallotApproval}, nil, domain.ErrInvalidBallot},
		{"approval/unpublished proposal", approval, choices("n1", "n5"), domain.ErrProposalNotPublished},
		{"approval/withdrawn proposal", approval, choices("n1", "n6"), domain.ErrProposalWithdrawn},
		{"approval/other district", approval, choices("n1", "s1"), domain.ErrUnknownProposal},
		{"approval/unknown proposal", approval, choices("n1", "zz"), domain.ErrUnknownProposal},
		{"knapsack/accepted at the cap", knapsack, choices("n1", "n3"), nil},
		{"knapsack/over the cap", knapsack, choices("n2", "n3"), domain.ErrOverBudget},
		{"knapsack/accepted at the district budget", knapsackBudget, choices("n2", "n4"), nil},
		{"knapsack/over the district budget", knapsackBudget, choices("n1", "n2", "n3"), domain.ErrOverBudget},
		{"cumulative/accepted", cumulative, points("n1", 3, "n2", 2), nil},
		{"cumulative/too many points on one", cumulative, points("n1", 4), domain.ErrInvalidBallot},
		{"cumulative/too many points in all", cumulative, points("n1", 3, "n2", 3), domain.ErrInvalidBallot},
		{"cumulative/too few points in all", cumulative, points("n1", 1), domain.ErrInvalidBallot},
		{"cumulative/zero points", cumulative, points("n1", 2, "n2", 0), domain.ErrInvalidBallot},
		{"ordinal/accepted", ordinal, choices("n3", "n1", "n2"), nil},
		{"ordinal/too short", ordinal, choices("n3"), domain.ErrInvalidBallot},
		{"ordinal/too long", ordinal, choices("n3", "n1", "n2", "n4"), domain.ErrInvalidBallot},
		{"ordinal/duplicate rank", ordinal, choices("n3", "n3"), domain.ErrInvalidBallot},
		{"choose-one/accepted", chooseOne, choices("n2"), nil},
		{"choose-one/two choices", chooseOne, choices("n1", "n2"), domain.ErrInvalidBallot},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ps := voting(t, tt.rule)
			b := &domain.Ballot{}
			err := b.Cast(c, domain.Proposals(ps...), domain.CastBallot{CycleID: testCycle, DistrictID: "north",
				Voter: "v1", Choices: tt.choices})
			if tt.sentinel == nil {
				mustOK(t, err)
				wantChanges(t, b.Changes(), domain.EventBallotCast)
				if got, want := domain.Stream(b.Changes()[0]), "ballot-city-2024-north-v1"; got != want {
					t.Errorf("got stream %q, want %q", got, want)
				}
				return
			}
			wantError(t, err, tt.sentinel, domain.CodeInvalid)
			wantError(t, err, domain.ErrInvalidBallot, domain.CodeInvalid)
			wantChanges(t, b.Changes())
		})
	}
}

func TestCastBallotRules(t *testing.T) {
	rule := domain.BallotRule{Type: domain.BallotApproval}
	t.Run("second ballot conflicts", func(t *testing.T) {
		c, ps := voting(t, rule)
		b := mustCast(t, c, ps, "north", "v1", "n1")
		err := b.Cast(c, domain.Proposals(ps...), domain.CastBallot{CycleID: testCycle, DistrictID: "north", Voter: "v1", Choices: choices("n2")})
		wantError(t, err, domain.ErrBallotExists, domain.CodeConflict)
		if got := b.Choices(); len(got) != 1 || got[0].ProposalID != "n1" {
			t.Errorf("got choices %v, want the first ballot", got)
		}
	})
	t.Run("replacement allowed records BallotReplaced", func(t *testing.T) {
		c, ps := voting(t, rule, func(cmd *domain.OpenCycle) { cmd.AllowBallotReplacement = true })
		b := mustCast(t, c, ps, "north", "v1", "n1")
		mustOK(t, b.Cast(c, domain.Proposals(ps...), domain.CastBallot{CycleID: testCycle, DistrictID: "north", Voter: "v1", Choices: choices("n2", "n3")}))
		wantChanges(t, b.Changes(), domain.EventBallotCast, domain.EventBallotReplaced)
		s := b.State()
		if len(s.Choices) != 2 || s.Choices[0].ProposalID != "n2" || s.Replacements != 1 {
			t.Errorf("got %+v", s)
		}
	})
	t.Run("replacement must be the same ballot", func(t *testing.T) {
		c, ps := voting(t, rule, func(cmd *domain.OpenCycle) { cmd.AllowBallotReplacement = true })
		b := mustCast(t, c, ps, "north", "v1", "n1")
		err := b.Cast(c, domain.Proposals(ps...), domain.CastBallot{CycleID: testCycle, DistrictID: "north", Voter: "v2", Choices: choices("n2")})
		wantError(t, err, domain.ErrInvalid, domain.CodeInvalid)
	})
	t.Run("voting closed before voting", func(t *testing.T) {
		c := mustCycle(t)
		p := mustPublished(t, c, "n1", "north", 300)
		b := &domain.Ballot{}
		err := b.Cast(c, domain.Proposals(p), domain.CastBallot{CycleID: testCycle, DistrictID: "north", Voter: "v1", Choices: choices("n1")})
		wantError(t, err, domain.ErrVotingClosed, domain.CodeConflict)
		wantError(t, err, domain.ErrWrongPhase, domain.CodeConflict)
	})
	t.Run("voting closed after voting", func(t *testing.T) {
		c, ps := voting(t, rule)
		mustAdvance(t, c, domain.PhaseAssessment)
		b := &domain.Ballot{}
		err := b.Cast(c, domain.Proposals(ps...), domain.CastBallot{CycleID: testCycle, DistrictID: "north", Voter: "v1", Choices: choices("n1")})
		wantError(t, err, domain.ErrVotingClosed, domain.CodeConflict)
	})
	t.Run("unknown district", func(t *testing.T) {
		c, ps := voting(t, rule)
		b := &domain.Ballot{}
		err := b.Cast(c, domain.Proposals(ps...), domain.CastBallot{CycleID: testCycle, DistrictID: "east", Voter: "v1", Choices: choices("n1")})
		wantError(t, err, domain.ErrUnknownDistrict, domain.CodeNotFound)
	})
	t.Run("voter key with dash", func(t *testing.T) {
		c, ps := voting(t, rule)
		b := &domain.Ballot{}
		err := b.Cast(c, domain.Proposals(ps...), domain.CastBallot{CycleID: testCycle, DistrictID: "north", Voter: "v-1", Choices: choices("n1")})
		wantError(t, err, domain.ErrInvalid, domain.CodeInvalid)
	})
}
