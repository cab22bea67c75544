package domain_test

import (
	"testing"

	"github.com/pbledger/pbledger/domain"
)

func TestSubmitProposal(t *testing.T) {
	submit := func(c *domain.Cycle, mod func(*domain.SubmitProposal)) (*domain.Proposal, error) {
		cmd := domain.SubmitProposal{ProposalID: "p1", CycleID: testCycle, DistrictID: "north", Author: "alice",
			ProposalContent: content("Playground", 400)}
		cmd.Location = &domain.Location{LatMicro: 43_238_949, LonMicro: 76_889_709}
		cmd.Category, cmd.ExternalRef = "parks", "pabulib:12"
		if mod != nil {
			mod(&cmd)
		}
		p := &domain.Proposal{}
		return p, p.Submit(c, cmd)
	}
	t.Run("submits", func(t *testing.T) {
		p, err := submit(mustCycle(t), nil)
		mustOK(t, err)
		s := p.State()
		if s.Status != domain.StatusSubmitted || s.Cost != 400 || s.PublicCost != 400 || s.Location.LatMicro != 43_238_949 {
			t.Errorf("got state %+v", s)
		}
		wantChanges(t, p.Changes(), domain.EventProposalSubmitted)
		if got, want := domain.Stream(p.Changes()[0]), "proposal-p1"; got != want {
			t.Errorf("got stream %q, want %q", got, want)
		}
	})
	t.Run("accepts a cost equal to the district budget", func(t *testing.T) {
		_, err := submit(mustCycle(t), func(c *domain.SubmitProposal) { c.Cost = 1000 })
		mustOK(t, err)
	})
	t.Run("refuses a second submission", func(t *testing.T) {
		c := mustCycle(t)
		p, err := submit(c, nil)
		mustOK(t, err)
		err = p.Submit(c, domain.SubmitProposal{ProposalID: "p1", CycleID: testCycle, DistrictID: "north",
			Author: "alice", ProposalContent: content("Again", 1)})
		wantError(t, err, domain.ErrProposalExists, domain.CodeConflict)
	})
	tests := []struct {
		name     string
		mod      func(*domain.SubmitProposal)
		sentinel error
		code     string
	}{
		{"over budget", func(c *domain.SubmitProposal) { c.Cost = 1001 }, domain.ErrOverBudget, domain.CodeInvalid},
		{"zero cost", func(c *domain.SubmitProposal) { c.Cost = 0 }, domain.ErrInvalid, domain.CodeInvalid},
		{"negative cost", func(c *domain.SubmitProposal) { c.Cost = -5 }, domain.ErrInvalid, domain.CodeInvalid},
		{"no title", func(c *domain.SubmitProposal) { c.Title = "" }, domain.ErrInvalid, domain.CodeInvalid},
		{"control character in title", func(c *domain.SubmitProposal) { c.Title = "a\x00b" }, domain.ErrInvalid, domain.CodeInvalid},
		{"latitude off the globe", func(c *domain.SubmitProposal) { c.Location.LatMicro = 91_000_000 }, domain.ErrInvalid, domain.CodeInvalid},
		{"bad proposal ID", func(c *domain.SubmitProposal) { c.ProposalID = "p/1" }, domain.ErrInvalid, domain.CodeInvalid},
		{"bad author key", func(c *domain.SubmitProposal) { c.Author = "al-ice" }, domain.ErrInvalid, domain.CodeInvalid},
		{"unknown district", func(c *domain.SubmitProposal) { c.DistrictID = "east" }, domain.ErrUnknownDistrict, domain.CodeNotFound},
		{"unknown cycle", func(c *domain.SubmitProposal) { c.CycleID = "other" }, domain.ErrInvalid, domain.CodeInvalid},
	}
	for _, tt := range tests {
		t.Run("refuses "+tt.name, func(t *testing.T) {
			p, err := submit(mustCycle(t), tt.mod)
			wantError(t, err, tt.sentinel, tt.code)
			wantChanges(t, p.Changes())
		})
	}
	t.Run("refuses outside submission", func(t *testing.T) {
		c := mustCycle(t)
		mustAdvance(t, c, domain.PhaseReview)
		_, err := submit(c, nil)
		wantError(t, err, domain.ErrWrongPhase, domain.CodeConflict)
	})
	t.Run("refuses an unopened cycle", func(t *testing.T) {
		_, err := submit(&domain.Cycle{}, nil)
		wantError(t, err, domain.ErrUnknownCycle, domain.CodeNotFound)
	})
}

func TestReviseProposal(t *testing.T) {
	revise := func(p *domain.Proposal, c *domain.Cycle, author domain.VoterKey, cost domain.Money) error {
		return p.Revise(c, domain.ReviseProposal{ProposalID: p.ID(), Author: author, ProposalContent: content("Bigger playground", cost)})
	}
	t.Run("author revises before review", func(t *testing.T) {
		c := mustCycle(t)
		p := mustSubmit(t, c, "p1", "north", 400)
		mustOK(t, revise(p, c, "alice", 450))
		s := p.State()
		if s.Title != "Bigger playground" || s.Cost != 450 || s.Revision != 1 {
			t.Errorf("got %+v", s)
		}
	})
	t.Run("refuses another resident", func(t *testing.T) {
		c := mustCycle(t)
		p := mustSubmit(t, c, "p1", "north", 400)
		wantError(t, revise(p, c, "bob", 450), domain.ErrNotAuthor, domain.CodeForbidden)
	})
	t.Run("refuses a published proposal", func(t *testing.T) {
		c := mustCycle(t)
		p := mustPublished(t, c, "p1", "north", 400)
		wantError(t, revise(p, c, "alice", 450), domain.ErrProposalStatus, domain.CodeConflict)
	})
	t.Run("refuses outside submission", func(t *testing.T) {
		c := mustCycle(t)
		p := mustSubmit(t, c, "p1", "north", 400)
		mustAdvance(t, c, domain.PhaseReview)
		wantError(t, revise(p, c, "alice", 450), domain.ErrWrongPhase, domain.CodeConflict)
	})
	t.Run("refuses over budget", func(t *testing.T) {
		c := mustCycle(t)
		p := mustSubmit(t, c, "p1", "north", 400)
		wantError(t, revise(p, c, "alice", 1001), domain.ErrOverBudget, domain.CodeInvalid)
	})
	t.Run("refuses an unknown proposal", func(t *testing.T) {
		c := mustCycle(t)
		wantError(t, revise(&domain.Proposal{}, c, "alice", 1), domain.ErrUnknownProposal, domain.CodeNotFound)
	})
}

func TestReviewProposal(t *testing.T) {
	t.Run("publishes in review", func(t *testing.T) {
		c := mustCycle(t)
		p := mustSubmit(t, c, "p1", "north", 400)
		mustAdvance(t, c, domain.PhaseReview)
		mustOK(t, p.Publish(c, domain.PublishProposal{ProposalID: "p1", Moderator: "mod1"}))
		if !p.Votable() {
			t.Errorf("published proposal is not votable")
		}
	})
	t.Run("rejects with a reason", func(t *testing.T) {
		c := mustCycle(t)
		p := mustSubmit(t, c, "p1", "north", 400)
		mustOK(t, p.Reject(c, domain.RejectProposal{ProposalID: "p1", Moderator: "mod1", Reason: "Not city land"}))
		s := p.State()
		if s.Status != domain.StatusRejected || s.RejectionReason != "Not city land" {
			t.Errorf("got %+v", s)
		}
	})
	t.Run("refuses a rejection without reason", func(t *testing.T) {
		c := mustCycle(t)
		p := mustSubmit(t, c, "p1", "north", 400)
		wantError(t, p.Reject(c, domain.RejectProposal{ProposalID: "p1", Moderator: "mod1"}), domain.ErrInvalid, domain.CodeInvalid)
	})
	t.Run("refuses publishing a rejected proposal", func(t *testing.T) {
		c := mustCycle(t)
		p := mustSubmit(t, c, "p1", "north", 400)
		mustOK(t, p.Reject(c, domain.RejectProposal{ProposalID: "p1", Moderator: "mod1", Reason: "No"}))
		err := p.Publish(c, domain.PublishProposal{ProposalID: "p1", Moderator: "mod1"})
		wantError(t, err, domain.ErrProposalStatus, domain.CodeConflict)
	})
	t.Run("refuses rejecting a published proposal", func(t *testing.T) {
		c := mustCycle(t)
		p := mustPublished(t, c, "p1", "north", 400)
		err := p.Reject(c, domain.RejectProposal{ProposalID: "p1", Moderator: "mod1", Reason: "Changed my mind"})
		wantError(t, err, domain.ErrProposalStatus, domain.CodeConflict)
	})
	t.Run("refuses publishing during voting", func(t *testing.T) {
		c := mustCycle(t)
		p := mustSubmit(t, c, "p1", "north", 400)
		mustAdvance(t, c, domain.PhaseVoting)
		err := p.Publish(c, domain.PublishProposal{ProposalID: "p1", Moderator: "mod1"})
		wantError(t, err, domain.ErrWrongPhase, domain.CodeConflict)
	})
	t.Run("refuses publishing a withdrawn proposal", func(t *testing.T) {
		c := mustCycle(t)
		p := mustSubmit(t, c, "p1", "north", 400)
		mustOK(t, p.Withdraw(c, domain.WithdrawProposal{ProposalID: "p1", Author: "alice"}))
		err := p.Publish(c, domain.PublishProposal{ProposalID: "p1", Moderator: "mod1"})
		wantError(t, err, domain.ErrProposalWithdrawn, domain.CodeConflict)
	})
}

func TestWithdrawProposal(t *testing.T) {
	withdraw := func(p *domain.Proposal, c *domain.Cycle, author domain.VoterKey) error {
		return p.Withdraw(c, domain.WithdrawProposal{ProposalID: p.ID(), Author: author, Reason: "Moved away"})
	}
	t.Run("author withdraws during voting", func(t *testing.T) {
		c := mustCycle(t)
		p := mustPublished(t, c, "p1", "north", 400)
		mustAdvance(t, c, domain.PhaseVoting)
		mustOK(t, withdraw(p, c, "alice"))
		if p.Votable() || !p.State().Withdrawn {
			t.Errorf("withdrawn proposal is still votable")
		}
	})
	t.Run("refuses another resident", func(t *testing.T) {
		c := mustCycle(t)
		p := mustPublished(t, c, "p1", "north", 400)
		wantError(t, withdraw(p, c, "bob"), domain.ErrNotAuthor, domain.CodeForbidden)
	})
	t.Run("refuses twice", func(t *testing.T) {
		c := mustCycle(t)
		p := mustPublished(t, c, "p1", "north", 400)
		mustOK(t, withdraw(p, c, "alice"))
		wantError(t, withdraw(p, c, "alice"), domain.ErrProposalWithdrawn, domain.CodeConflict)
	})
	t.Run("refuses a rejected proposal", func(t *testing.T) {
		c := mustCycle(t)
		p := mustSubmit(t, c, "p1", "north", 400)
		mustOK(t, p.Reject(c, domain.RejectProposal{ProposalID: "p1", Moderator: "mod1", Reason: "No"}))
		wantError(t, withdraw(p, c, "alice"), domain.ErrProposalStatus, domain.CodeConflict)
	})
	t.Run("refuses from allocation on", func(t *testing.T) {
		c := mustCycle(t)
		p := mustPublished(t, c, "p1", "north", 400)
		mustAdvance(t, c, domain.PhaseAllocation)
		wantError(t, withdraw(p, c, "alice"), domain.ErrWrongPhase, domain.CodeConflict)
	})
}

// assessing returns a cycle in the assessment phase with a published proposal p1 (north, 400), an expert and a
// budget-commission member.
func assessing(t *testing.T) (*domain.Cycle, *domain.Proposal) {
	t.Helper()
	c := mustCycle(t)
	p := mustPublished(t, c, "p1", "north", 400)
	mustRegister(t, c, "exp1", domain.RoleExpert)
	mustRegister(t, c, "bc1", domain.RoleBudgetCommission)
	mustAdvance(t, c, domain.PhaseAssessment)
	return c, p
}

func scoreCmd(assessor domain.AssessorID, score, impact int64) domain.ScoreProposal {
	return domain.ScoreProposal{ProposalID: "p1", AssessorID: assessor, Score: score,
		Criteria: []domain.CriterionScore{{Criterion: "impact", Score: impact}}, Comment: "Solid plan"}
}

func TestScoreProposal(t *testing.T) {
	t.Run("latest score supersedes", func(t *testing.T) {
		c, p := assessing(t)
		mustOK(t, p.Score(c, scoreCmd("exp1", 4, 4)))
		mustOK(t, p.Score(c, scoreCmd("exp1", 8, 7)))
		mustOK(t, p.Score(c, scoreCmd("bc1", 5, 5)))
		s := p.State()
		if len(s.Scores) != 2 || s.Scores[1].AssessorID != "exp1" || s.Scores[1].Score != 8 {
			t.Errorf("got scores %+v", s.Scores)
		}
		if got, want := s.MeanScore, "13/2"; got != want {
			t.Errorf("got mean %q, want %q", got, want)
		}
		wantChanges(t, p.Changes()[2:], domain.EventProposalScored, domain.EventProposalScored, domain.EventProposalScored)
	})
	tests := []struct {
		name     string
		cmd      domain.ScoreProposal
		sentinel error
		code     string
	}{
		{"score above scale", scoreCmd("exp1", 11, 5), domain.ErrInvalid, domain.CodeInvalid},
		{"score below scale", scoreCmd("exp1", -1, 5), domain.ErrInvalid, domain.CodeInvalid},
		{"criterion off scale", scoreCmd("exp1", 5, 12), domain.ErrInvalid, domain.CodeInvalid},
		{"missing criterion", domain.ScoreProposal{ProposalID: "p1", AssessorID: "exp1", Score: 5}, domain.ErrInvalid, domain.CodeInvalid},
		{"undeclared criterion", domain.ScoreProposal{ProposalID: "p1", AssessorID: "exp1", Score: 5,
			Criteria: []domain.CriterionScore{{Criterion: "impact", Score: 1}, {Criterion: "beauty", Score: 1}}}, domain.ErrInvalid, domain.CodeInvalid},
		{"criterion twice", domain.ScoreProposal{ProposalID: "p1", AssessorID: "exp1", Score: 5,
			Criteria: []domain.CriterionScore{{Criterion: "impact", Score: 1}, {Criterion: "impact", Score: 2}}}, domain.ErrInvalid, domain.CodeInvalid},
		{"unknown assessor", scoreCmd("stranger", 5, 5), domain.ErrUnknownAssessor, domain.CodeForbidden},
	}
	for _, tt := range tests {
		t.Run("refuses "+tt.name, func(t *testing.T) {
			c, p := assessing(t)
			p.ClearChanges()
			wantError(t, p.Score(c, tt.cmd), tt.sentinel, tt.code)
			wantChanges(t, p.Changes())
		})
	}
	t.Run("refuses outside assessment", func(t *testing.T) {
		c := mustCycle(t)
		p := mustPublished(t, c, "p1", "north", 400)
		mustRegister(t, c, "exp1", domain.RoleExpert)
		wantError(t, p.Score(c, scoreCmd("exp1", 5, 5)), domain.ErrWrongPhase, domain.CodeConflict)
	})
	t.Run("refuses an unpublished proposal", func(t *testing.T) {
		c := mustCycle(t)
		p := mustSubmit(t, c, "p1", "north", 400)
		mustRegister(t, c, "exp1", domain.RoleExpert)
		mustAdvance(t, c, domain.PhaseAssessment)
		wantError(t, p.Score(c, scoreCmd("exp1", 5, 5)), domain.ErrProposalNotPublished, domain.CodeConflict)
	})
	t.Run("refuses a withdrawn proposal", func(t *testing.T) {
		c, p := assessing(t)
		mustOK(t, p.Withdraw(c, domain.WithdrawProposal{ProposalID: "p1", Author: "alice"}))
		wantError(t, p.Score(c, scoreCmd("exp1", 5, 5)), domain.ErrProposalWithdrawn, domain.CodeConflict)
	})
}

func TestFeasibility(t *testing.T) {
	t.Run("budget commission marks infeasible and feasible again", func(t *testing.T) {
		c, p := assessing(t)
		mustOK(t, p.MarkInfeasible(c, domain.MarkInfeasible{ProposalID: "p1", AssessorID: "bc1", Reason: "Private land"}))
		if inf, why := p.Infeasible(); !inf || why != "Private land" {
			t.Errorf("got infeasible %v %q, want true", inf, why)
		}
		mustOK(t, p.MarkFeasible(c, domain.MarkFeasible{ProposalID: "p1", AssessorID: "bc1", Reason: "Land transferred"}))
		if inf, _ := p.Infeasible(); inf {
			t.Errorf("still infeasible after MarkFeasible")
		}
	})
	t.Run("refuses an expert", func(t *testing.T) {
		c, p := assessing(t)
		err := p.MarkInfeasible(c, domain.MarkInfeasible{ProposalID: "p1", AssessorID: "exp1", Reason: "Too hard"})
		wantError(t, err, domain.ErrWrongRole, domain.CodeForbidden)
	})
	t.Run("refuses an unknown assessor", func(t *testing.T) {
		c, p := assessing(t)
		err := p.MarkInfeasible(c, domain.MarkInfeasible{ProposalID: "p1", AssessorID: "nobody", Reason: "Too hard"})
		wantError(t, err, domain.ErrUnknownAssessor, domain.CodeForbidden)
	})
	t.Run("refuses without reason", func(t *testing.T) {
		c, p := assessing(t)
		err := p.MarkInfeasible(c, domain.MarkInfeasible{ProposalID: "p1", AssessorID: "bc1"})
		wantError(t, err, domain.ErrInvalid, domain.CodeInvalid)
	})
	t.Run("refuses feasible when not infeasible", func(t *testing.T) {
		c, p := assessing(t)
		err := p.MarkFeasible(c, domain.MarkFeasible{ProposalID: "p1", AssessorID: "bc1", Reason: "Fine"})
		wantError(t, err, domain.ErrProposalStatus, domain.CodeConflict)
	})
	t.Run("refuses outside assessment", func(t *testing.T) {
		c := mustCycle(t)
		p := mustPublished(t, c, "p1", "north", 400)
		mustRegister(t, c, "bc1", domain.RoleBudgetCommission)
		err := p.MarkInfeasible(c, domain.MarkInfeasible{ProposalID: "p1", AssessorID: "bc1", Reason: "No"})
		wantError(t, err, domain.ErrWrongPhase, domain.CodeConflict)
	})
}

func TestPledgeCoFinancing(t *testing.T) {
	pledge := func(p *domain.Proposal, c *domain.Cycle, id domain.PledgeID, amount domain.Money) error {
		return p.Pledge(c, domain.PledgeCoFinancing{ProposalID: p.ID(), PledgeID: id, Pledger: "shop1",
			PledgerKind: domain.PledgerBusiness, Amount: amount})
	}
	t.Run("pledges lower the public cost down to zero", func(t *testing.T) {
		c := mustCycle(t)
		p := mustPublished(t, c, "p1", "north", 400)
		mustOK(t, pledge(p, c, "g1", 150))
		if got, want := p.PublicCost(), domain.Money(250); got != want {
			t.Errorf("got public cost %d, want %d", got, want)
		}
		mustOK(t, pledge(p, c, "g2", 250))
		s := p.State()
		if s.PublicCost != 0 || s.Pledged != 400 || len(s.Pledges) != 2 {
			t.Errorf("got %+v", s)
		}
	})
	t.Run("refuses a pledge above the cost", func(t *testing.T) {
		c := mustCycle(t)
		p := mustPublished(t, c, "p1", "north", 400)
		mustOK(t, pledge(p, c, "g1", 300))
		wantError(t, pledge(p, c, "g2", 101), domain.ErrPledgeExceedsCost, domain.CodeConflict)
	})
	t.Run("refuses a repeated pledge ID", func(t *testing.T) {
		c := mustCycle(t)
		p := mustPublished(t, c, "p1", "north", 400)
		mustOK(t, pledge(p, c, "g1", 100))
		wantError(t, pledge(p, c, "g1", 100), domain.ErrPledgeExists, domain.CodeConflict)
	})
	t.Run("refuses a zero amount", func(t *testing.T) {
		c := mustCycle(t)
		p := mustPublished(t, c, "p1", "north", 400)
		wantError(t, pledge(p, c, "g1", 0), domain.ErrInvalid, domain.CodeInvalid)
	})
	t.Run("refuses an unpublished proposal", func(t *testing.T) {
		c := mustCycle(t)
		p := mustSubmit(t, c, "p1", "north", 400)
		wantError(t, pledge(p, c, "g1", 100), domain.ErrProposalNotPublished, domain.CodeConflict)
	})
	t.Run("refuses from allocation on", func(t *testing.T) {
		c := mustCycle(t)
		p := mustPublished(t, c, "p1", "north", 400)
		mustAdvance(t, c, domain.PhaseAllocation)
		wantError(t, pledge(p, c, "g1", 100), domain.ErrWrongPhase, domain.CodeConflict)
	})
}

// implementing returns a cycle in implementation where p1 (north) was funded and p2 (north) was not.
func implementing(t *testing.T) (*domain.Cycle, *domain.Proposal, *domain.Proposal) {
	t.Helper()
	c := mustCycle(t)
	p1 := mustPublished(t, c, "p1", "north", 400)
	p2 := mustPublished(t, c, "p2", "north", 700)
	mustAdvance(t, c, domain.PhaseAllocation)
	// The allocation is loaded as history, so these tests do not depend on the outcome rules.
	mustOK(t, c.Load(
		domain.AllocationRecorded{CycleID: testCycle, DistrictID: "north", Budget: 1000, Total: 400,
			Winners: []domain.FundedProposal{{ProposalID: "p1", Funded: 400}}},
		domain.AllocationRecorded{CycleID: testCycle, DistrictID: "south", Budget: 500},
	))
	mustAdvance(t, c, domain.PhaseImplementation)
	return c, p1, p2
}

func TestReportMilestone(t *testing.T) {
	report := func(id domain.ProposalID, status domain.MilestoneStatus, progress int, spent domain.Money) domain.ReportMilestone {
		return domain.ReportMilestone{ProposalID: id, MilestoneID: "m1", Title: "Groundwork", Status: status,
			Progress: progress, Spent: spent, Due: "2021-06-30"}
	}
	t.Run("reports on a funded proposal", func(t *testing.T) {
		c, p1, _ := implementing(t)
		mustOK(t, p1.ReportMilestone(c, report("p1", domain.MilestoneInProgress, 40, 100)))
		mustOK(t, p1.ReportMilestone(c, report("p1", domain.MilestoneCompleted, 100, 380)))
		ms := p1.State().Milestones
		if len(ms) != 1 || ms[0].Status != domain.MilestoneCompleted || ms[0].Spent != 380 || ms[0].Reports != 2 {
			t.Errorf("got milestones %+v", ms)
		}
	})
	t.Run("refuses an unfunded proposal", func(t *testing.T) {
		c, _, p2 := implementing(t)
		wantError(t, p2.ReportMilestone(c, report("p2", domain.MilestonePlanned, 0, 0)), domain.ErrNotFunded, domain.CodeConflict)
	})
	tests := []struct {
		name string
		cmd  domain.ReportMilestone
	}{
		{"progress above 100", report("p1", domain.MilestoneInProgress, 101, 0)},
		{"negative progress", report("p1", domain.MilestoneInProgress, -1, 0)},
		{"completed below 100", report("p1", domain.MilestoneCompleted, 90, 0)},
		{"unknown status", report("p1", "abandoned", 0, 0)},
		{"negative spending", report("p1", domain.MilestoneInProgress, 10, -1)},
		{"bad due date", func() domain.ReportMilestone {
			r := report("p1", domain.MilestonePlanned, 0, 0)
			r.Due = "30.06.2021"
			return r
		}()},
	}
	for _, tt := range tests {
		t.Run("refuses "+tt.name, func(t *testing.T) {
			c, p1, _ := implementing(t)
			wantError(t, p1.ReportMilestone(c, tt.cmd), domain.ErrInvalid, domain.CodeInvalid)
		})
	}
	t.Run("refuses outside implementation", func(t *testing.T) {
		c := mustCycle(t)
		p := mustPublished(t, c, "p1", "north", 400)
		wantError(t, p.ReportMilestone(c, report("p1", domain.MilestonePlanned, 0, 0)), domain.ErrWrongPhase, domain.CodeConflict)
	})
}
