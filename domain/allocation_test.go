package domain_test

import (
	"math/big"
	"reflect"
	"slices"
	"testing"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/domain/outcome"
)

func TestAssessmentWeight(t *testing.T) {
	policy := domain.AssessmentPolicy{Scale: domain.ScoreScale{Min: 1, Max: 5}, WeightPercent: 50}
	tests := []struct {
		name string
		mean *big.Rat
		want string // "" for nil
	}{
		{"unscored gets 1", nil, "1"},
		{"worst mean gets 1", big.NewRat(1, 1), "1"},
		{"best mean gets 1 + percent", big.NewRat(5, 1), "3/2"},
		{"middle mean gets half the bonus", big.NewRat(3, 1), "5/4"},
		{"fractional mean is exact", big.NewRat(7, 3), "7/6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := policy.Weight(tt.mean)
			if got.RatString() != tt.want {
				t.Errorf("got weight %s, want %s", got.RatString(), tt.want)
			}
		})
	}
	t.Run("no weight without percent", func(t *testing.T) {
		if got := (domain.AssessmentPolicy{Scale: domain.ScoreScale{Min: 1, Max: 5}}).Weight(big.NewRat(5, 1)); got != nil {
			t.Errorf("got weight %v, want nil", got)
		}
	})
}

// gated returns a cycle in allocation with a mean-score gate (min 5 on 0..10), infeasibility gate and a 100 %
// weight, and north proposals: p1 (pledged 100 of 400, scores 8 and 9), p2 (withdrawn), p3 (infeasible, score 9),
// p4 (score 3), p5 (unscored), p6 (submitted, never published), p7 (rejected); plus ballots v1..v3.
func gated(t *testing.T) (*domain.Cycle, []*domain.Proposal, []*domain.Ballot) {
	t.Helper()
	c := mustCycle(t, func(cmd *domain.OpenCycle) {
		cmd.Assessment.MeanScoreGate, cmd.Assessment.MinMeanScore, cmd.Assessment.WeightPercent = true, 5, 100
		cmd.BallotRule = domain.BallotRule{Type: domain.BallotApproval}
	})
	ps := []*domain.Proposal{
		mustPublished(t, c, "p1", "north", 400),
		mustPublished(t, c, "p2", "north", 300),
		mustPublished(t, c, "p3", "north", 200),
		mustPublished(t, c, "p4", "north", 100),
		mustPublished(t, c, "p5", "north", 100),
		mustSubmit(t, c, "p6", "north", 100),
		mustSubmit(t, c, "p7", "north", 100),
	}
	mustOK(t, ps[6].Reject(c, domain.RejectProposal{ProposalID: "p7", Moderator: "mod1", Reason: "Duplicate"}))
	mustOK(t, ps[0].Pledge(c, domain.PledgeCoFinancing{ProposalID: "p1", PledgeID: "g1", Pledger: "shop1",
		PledgerKind: domain.PledgerBusiness, Amount: 100}))
	mustRegister(t, c, "exp1", domain.RoleExpert)
	mustRegister(t, c, "exp2", domain.RoleExpert)
	mustRegister(t, c, "bc1", domain.RoleBudgetCommission)
	mustAdvance(t, c, domain.PhaseVoting)
	bs := []*domain.Ballot{
		mustCast(t, c, ps, "north", "v3", "p1", "p2", "p3"),
		mustCast(t, c, ps, "north", "v1", "p1", "p4"),
		mustCast(t, c, ps, "north", "v2", "p3", "p5"),
	}
	mustOK(t, ps[1].Withdraw(c, domain.WithdrawProposal{ProposalID: "p2", Author: "alice"}))
	mustAdvance(t, c, domain.PhaseAssessment)
	score := func(p *domain.Proposal, a domain.AssessorID, s int64) {
		t.Helper()
		mustOK(t, p.Score(c, domain.ScoreProposal{ProposalID: p.ID(), AssessorID: a, Score: s,
			Criteria: []domain.CriterionScore{{Criterion: "impact", Score: s}}}))
	}
	score(ps[0], "exp1", 8)
	score(ps[0], "exp2", 9)
	score(ps[2], "exp1", 9)
	score(ps[3], "exp1", 3)
	mustOK(t, ps[2].MarkInfeasible(c, domain.MarkInfeasible{ProposalID: "p3", AssessorID: "bc1", Reason: "Flood zone"}))
	mustAdvance(t, c, domain.PhaseAllocation)
	return c, ps, bs
}

func TestOutcomeInput(t *testing.T) {
	c, ps, bs := gated(t)
	in, err := domain.OutcomeInput(c, "north", ps, bs, "seed-1")
	mustOK(t, err)
	want := outcome.Input{
		Budget:   1000,
		VoteType: outcome.Approval,
		Projects: []outcome.Project{
			{ID: "p1", Cost: 300, Weight: big.NewRat(37, 20)}, // mean 17/2 on 0..10: 1 + 17/20
			{ID: "p2", Cost: 300, Weight: big.NewRat(1, 1), Excluded: "withdrawn by its author"},
			{ID: "p3", Cost: 200, Weight: big.NewRat(19, 10), Excluded: "marked infeasible by the budget commission: Flood zone"},
			{ID: "p4", Cost: 100, Weight: big.NewRat(13, 10), Excluded: "mean assessment score 3 is below the minimum 5"},
			{ID: "p5", Cost: 100, Weight: big.NewRat(1, 1), Excluded: "not assessed"},
		},
		Ballots: []outcome.Ballot{
			{Voter: "v1", Choices: []outcome.Choice{{Project: "p1"}, {Project: "p4"}}},
			{Voter: "v2", Choices: []outcome.Choice{{Project: "p3"}, {Project: "p5"}}},
			{Voter: "v3", Choices: []outcome.Choice{{Project: "p1"}, {Project: "p2"}, {Project: "p3"}}},
		},
		Rule:    outcome.Rule{Name: outcome.Greedy},
		LotSeed: "seed-1",
	}
	if !reflect.DeepEqual(in, want) {
		t.Errorf("got input\n%+v\nwant\n%+v", in, want)
	}

	other := mustCycle(t)
	foreign := mustSubmit(t, other, "x1", "south", 100)
	errTests := []struct {
		name      string
		district  domain.DistrictID
		proposals []*domain.Proposal
		ballots   []*domain.Ballot
		sentinel  error
		code      string
	}{
		{"unknown district", "east", ps, bs, domain.ErrUnknownDistrict, domain.CodeNotFound},
		{"proposal of another district", "north", append(ps[:1:1], foreign), bs, domain.ErrInvalid, domain.CodeInvalid},
		{"proposal twice", "north", append(ps[:7:7], ps[0]), bs, domain.ErrInvalid, domain.CodeInvalid},
		{"unsubmitted proposal", "north", append(ps[:7:7], &domain.Proposal{}), bs, domain.ErrInvalid, domain.CodeInvalid},
		{"ballot of another district", "south", nil, bs, domain.ErrInvalid, domain.CodeInvalid},
		{"voter twice", "north", ps, append(bs[:3:3], bs[0]), domain.ErrInvalid, domain.CodeInvalid},
		{"uncast ballot", "north", ps, append(bs[:3:3], &domain.Ballot{}), domain.ErrInvalid, domain.CodeInvalid},
		{"ballot naming a missing proposal", "north", ps[1:], bs, domain.ErrUnknownProposal, domain.CodeInvalid},
	}
	for _, tt := range errTests {
		t.Run("refuses "+tt.name, func(t *testing.T) {
			_, err := domain.OutcomeInput(c, tt.district, tt.proposals, tt.ballots, "s")
			wantError(t, err, tt.sentinel, tt.code)
		})
	}
	t.Run("refuses an unopened cycle", func(t *testing.T) {
		_, err := domain.OutcomeInput(&domain.Cycle{}, "north", nil, nil, "s")
		wantError(t, err, domain.ErrUnknownCycle, domain.CodeNotFound)
	})
}

func TestCheckResult(t *testing.T) {
	in := outcome.Input{Budget: 1000, Projects: []outcome.Project{
		{ID: "a", Cost: 600}, {ID: "b", Cost: 500}, {ID: "x", Cost: 10, Excluded: "withdrawn"}}}
	decisions := func(selected ...string) []outcome.Decision {
		var ds []outcome.Decision
		for _, id := range []string{"a", "b", "x"} {
			ds = append(ds, outcome.Decision{Project: id, Selected: slices.Contains(selected, id)})
		}
		return ds
	}
	tests := []struct {
		name     string
		res      outcome.Result
		sentinel error // nil and ok false: internal without sentinel
		ok       bool
	}{
		{"accepts a valid result", outcome.Result{TotalCost: 600, Winners: []outcome.Winner{{Project: "a", Funded: 600}}, Decisions: decisions("a")}, nil, true},
		{"refuses over budget", outcome.Result{TotalCost: 1100,
			Winners: []outcome.Winner{{Project: "a", Funded: 600}, {Project: "b", Funded: 500}}, Decisions: decisions("a", "b")}, domain.ErrOverBudget, false},
		{"refuses an unknown winner", outcome.Result{TotalCost: 5, Winners: []outcome.Winner{{Project: "zz", Funded: 5}}, Decisions: decisions()}, nil, false},
		{"refuses an excluded winner", outcome.Result{TotalCost: 10, Winners: []outcome.Winner{{Project: "x", Funded: 10}}, Decisions: decisions("x")}, nil, false},
		{"refuses a winner twice", outcome.Result{TotalCost: 1000, Winners: []outcome.Winner{{Project: "b", Funded: 500}, {Project: "b", Funded: 500}}, Decisions: decisions("b")}, nil, false},
		{"refuses funding other than cost", outcome.Result{TotalCost: 100, Winners: []outcome.Winner{{Project: "a", Funded: 100}}, Decisions: decisions("a")}, nil, false},
		{"refuses a wrong total", outcome.Result{TotalCost: 0, Winners: []outcome.Winner{{Project: "a", Funded: 600}}, Decisions: decisions("a")}, nil, false},
		{"refuses a decision disagreeing with winners", outcome.Result{TotalCost: 600, Winners: []outcome.Winner{{Project: "a", Funded: 600}}, Decisions: decisions("b")}, nil, false},
		{"refuses missing decisions", outcome.Result{TotalCost: 600, Winners: []outcome.Winner{{Project: "a", Funded: 600}}, Decisions: decisions("a")[:2]}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := domain.CheckResult(in, tt.res)
			if tt.ok {
				mustOK(t, err)
				return
			}
			wantError(t, err, tt.sentinel, domain.CodeInternal)
		})
	}
}

func TestAllocate(t *testing.T) {
	allocate := func(c *domain.Cycle, district domain.DistrictID, ps []*domain.Proposal, bs []*domain.Ballot) error {
		return c.Allocate(domain.AllocateDistrict{CycleID: testCycle, DistrictID: district, LotSeed: "lot-42"}, ps, bs)
	}
	t.Run("records the lot, then the allocation", func(t *testing.T) {
		c, ps, bs := gated(t)
		c.ClearChanges()
		mustOK(t, allocate(c, "north", ps, bs))
		wantChanges(t, c.Changes(), domain.EventLotDrawn, domain.EventAllocationRecorded)
		lot := c.Changes()[0].(domain.LotDrawn)
		if lot != (domain.LotDrawn{CycleID: testCycle, DistrictID: "north", Seed: "lot-42"}) {
			t.Errorf("got %+v", lot)
		}
		a := c.Changes()[1].(domain.AllocationRecorded)
		// Only p1 is eligible; it is funded at its public cost.
		if got, want := a.Winners, []domain.FundedProposal{{ProposalID: "p1", Funded: 300}}; !reflect.DeepEqual(got, want) {
			t.Errorf("got winners %+v, want %+v", got, want)
		}
		if a.Total != 300 || a.Budget != 1000 || a.BallotsCounted != 3 || a.LotSeed != "lot-42" || a.InputDigest == "" ||
			a.Rule.Name != outcome.Greedy || a.VoteType != outcome.Approval {
			t.Errorf("got allocation %+v", a)
		}
		if len(a.Decisions) != 5 {
			t.Fatalf("got %d decisions, want 5", len(a.Decisions))
		}
		p1, p4 := a.Decisions[0], a.Decisions[3]
		if p1.ProposalID != "p1" || !p1.Selected || p1.Reason != outcome.ReasonFunded || p1.Cost != 300 || p1.Weight != "37/20" {
			t.Errorf("got p1 decision %+v", p1)
		}
		if p4.ProposalID != "p4" || p4.Selected || p4.Reason != outcome.ReasonExcluded || p4.Detail != "mean assessment score 3 is below the minimum 5" {
			t.Errorf("got p4 decision %+v", p4)
		}
		if amount, ok := c.Funded("p1"); !ok || amount != 300 {
			t.Errorf("got funded %d %v, want 300", amount, ok)
		}
		if _, ok := c.Funded("p4"); ok {
			t.Errorf("p4 funded")
		}
	})
	t.Run("refuses a second allocation", func(t *testing.T) {
		c, ps, bs := gated(t)
		mustOK(t, allocate(c, "north", ps, bs))
		c.ClearChanges()
		wantError(t, allocate(c, "north", ps, bs), domain.ErrAlreadyAllocated, domain.CodeConflict)
		wantChanges(t, c.Changes())
	})
	t.Run("refuses outside allocation", func(t *testing.T) {
		c := mustCycle(t)
		wantError(t, allocate(c, "north", nil, nil), domain.ErrWrongPhase, domain.CodeConflict)
	})
	t.Run("refuses an unknown district", func(t *testing.T) {
		c, ps, bs := gated(t)
		wantError(t, allocate(c, "east", ps, bs), domain.ErrUnknownDistrict, domain.CodeNotFound)
	})
	t.Run("refuses an empty lot seed", func(t *testing.T) {
		c, ps, bs := gated(t)
		err := c.Allocate(domain.AllocateDistrict{CycleID: testCycle, DistrictID: "north"}, ps, bs)
		wantError(t, err, domain.ErrInvalid, domain.CodeInvalid)
	})
	t.Run("allocates a district without proposals", func(t *testing.T) {
		c, ps, bs := gated(t)
		mustOK(t, allocate(c, "south", nil, nil))
		a, ok := c.Allocation("south")
		if !ok || a.Total != 0 || len(a.Winners) != 0 {
			t.Errorf("got %+v %v", a, ok)
		}
		mustOK(t, allocate(c, "north", ps, bs))
		mustAdvance(t, c, domain.PhaseImplementation)
	})
	t.Run("the result is the same whatever the order of inputs", func(t *testing.T) {
		c1, ps, bs := gated(t)
		mustOK(t, allocate(c1, "north", ps, bs))
		c2, ps2, bs2 := gated(t)
		rev := func(s []*domain.Ballot) []*domain.Ballot {
			return []*domain.Ballot{s[2], s[1], s[0]}
		}
		revP := []*domain.Proposal{ps2[6], ps2[5], ps2[4], ps2[3], ps2[2], ps2[1], ps2[0]}
		mustOK(t, allocate(c2, "north", revP, rev(bs2)))
		a1, _ := c1.Allocation("north")
		a2, _ := c2.Allocation("north")
		if !reflect.DeepEqual(a1, a2) {
			t.Errorf("allocations differ:\n%+v\n%+v", a1, a2)
		}
	})
}

func TestOutcomeInputKeepsPointsAndRanks(t *testing.T) {
	tests := []struct {
		name     string
		rule     domain.BallotRule
		choices  []domain.BallotChoice
		voteType outcome.VoteType
		want     []outcome.Choice
	}{
		{"cumulative keeps points", domain.BallotRule{Type: domain.BallotCumulative, MaxTotalPoints: 5},
			points("n2", 3, "n1", 2), outcome.Cumulative, []outcome.Choice{{Project: "n2", Points: 3}, {Project: "n1", Points: 2}}},
		{"ordinal keeps rank order", domain.BallotRule{Type: domain.BallotOrdinal},
			choices("n3", "n1", "n2"), outcome.Ordinal, []outcome.Choice{{Project: "n3"}, {Project: "n1"}, {Project: "n2"}}},
		{"knapsack counts as approval", domain.BallotRule{Type: domain.BallotKnapsack},
			choices("n1", "n2"), outcome.Approval, []outcome.Choice{{Project: "n1"}, {Project: "n2"}}},
		{"choose-one", domain.BallotRule{Type: domain.BallotChooseOne},
			choices("n4"), outcome.ChooseOne, []outcome.Choice{{Project: "n4"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ps := voting(t, tt.rule)
			b := &domain.Ballot{}
			mustOK(t, b.Cast(c, domain.Proposals(ps...), domain.CastBallot{CycleID: testCycle, DistrictID: "north", Voter: "v1", Choices: tt.choices}))
			var north []*domain.Proposal
			for _, p := range ps {
				if p.DistrictID() == "north" {
					north = append(north, p)
				}
			}
			in, err := domain.OutcomeInput(c, "north", north, []*domain.Ballot{b}, "s")
			mustOK(t, err)
			if in.VoteType != tt.voteType {
				t.Errorf("got vote type %q, want %q", in.VoteType, tt.voteType)
			}
			if got := in.Ballots[0].Choices; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got choices %+v, want %+v", got, tt.want)
			}
			// n1..n4 and the withdrawn n6 are listed; the unpublished n5 is not.
			var ids []string
			for _, p := range in.Projects {
				ids = append(ids, p.ID)
			}
			if want := []string{"n1", "n2", "n3", "n4", "n6"}; !reflect.DeepEqual(ids, want) {
				t.Errorf("got projects %v, want %v", ids, want)
			}
		})
	}
}

func TestAssessmentBeforeVoting(t *testing.T) {
	c := mustCycle(t, func(cmd *domain.OpenCycle) {
		cmd.Plan = []domain.Phase{domain.PhaseSubmission, domain.PhaseReview, domain.PhaseAssessment,
			domain.PhaseVoting, domain.PhaseAllocation, domain.PhaseImplementation, domain.PhaseClosed}
		cmd.Assessment.MeanScoreGate, cmd.Assessment.MinMeanScore = true, 5
	})
	good := mustPublished(t, c, "p1", "north", 400)
	infeasible := mustPublished(t, c, "p2", "north", 400)
	weak := mustPublished(t, c, "p3", "north", 400)
	unscored := mustPublished(t, c, "p4", "north", 400)
	ps := []*domain.Proposal{good, infeasible, weak, unscored}
	mustRegister(t, c, "exp1", domain.RoleExpert)
	mustRegister(t, c, "bc1", domain.RoleBudgetCommission)
	mustAdvance(t, c, domain.PhaseAssessment)
	mustOK(t, good.Score(c, domain.ScoreProposal{ProposalID: "p1", AssessorID: "exp1", Score: 7,
		Criteria: []domain.CriterionScore{{Criterion: "impact", Score: 7}}}))
	mustOK(t, infeasible.Score(c, domain.ScoreProposal{ProposalID: "p2", AssessorID: "exp1", Score: 9,
		Criteria: []domain.CriterionScore{{Criterion: "impact", Score: 9}}}))
	mustOK(t, infeasible.MarkInfeasible(c, domain.MarkInfeasible{ProposalID: "p2", AssessorID: "bc1", Reason: "No permit"}))
	mustOK(t, weak.Score(c, domain.ScoreProposal{ProposalID: "p3", AssessorID: "exp1", Score: 2,
		Criteria: []domain.CriterionScore{{Criterion: "impact", Score: 2}}}))
	mustAdvance(t, c, domain.PhaseVoting)

	// The assessment is final before the vote, so proposals it excluded are off the ballot.
	b := mustCast(t, c, ps, "north", "v1", "p1")
	for _, id := range []domain.ProposalID{"p2", "p3", "p4"} {
		err := new(domain.Ballot).Cast(c, domain.Proposals(ps...), domain.CastBallot{CycleID: testCycle,
			DistrictID: "north", Voter: "v2", Choices: choices(id)})
		wantError(t, err, domain.ErrProposalNotEligible, domain.CodeInvalid)
		wantError(t, err, domain.ErrInvalidBallot, domain.CodeInvalid)
	}
	wantError(t, good.Score(c, scoreCmd("exp1", 5, 5)), domain.ErrWrongPhase, domain.CodeConflict)

	mustAdvance(t, c, domain.PhaseAllocation)
	in, err := domain.OutcomeInput(c, "north", ps, []*domain.Ballot{b}, "s")
	mustOK(t, err)
	if got, want := in.Projects[1].Excluded, "marked infeasible by the budget commission: No permit"; got != want {
		t.Errorf("got exclusion %q, want %q", got, want)
	}
}
