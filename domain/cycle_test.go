package domain_test

import (
	"testing"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/domain/outcome"
)

func TestValidatePlan(t *testing.T) {
	const (
		sub = domain.PhaseSubmission
		rev = domain.PhaseReview
		vot = domain.PhaseVoting
		ass = domain.PhaseAssessment
		all = domain.PhaseAllocation
		imp = domain.PhaseImplementation
		clo = domain.PhaseClosed
	)
	tests := []struct {
		name string
		plan []domain.Phase
		ok   bool
	}{
		{"valid/assessment after voting", []domain.Phase{sub, rev, vot, ass, all, imp, clo}, true},
		{"valid/assessment before voting", []domain.Phase{sub, rev, ass, vot, all, imp, clo}, true},
		{"valid/without review", []domain.Phase{sub, vot, ass, all, imp, clo}, true},
		{"valid/without assessment", []domain.Phase{sub, rev, vot, all, imp, clo}, true},
		{"valid/minimal", []domain.Phase{sub, vot, all, imp, clo}, true},
		{"invalid/empty", nil, false},
		{"invalid/unknown phase", []domain.Phase{sub, "lobbying", vot, all, imp, clo}, false},
		{"invalid/duplicate", []domain.Phase{sub, vot, vot, all, imp, clo}, false},
		{"invalid/submission not first", []domain.Phase{rev, sub, vot, all, imp, clo}, false},
		{"invalid/closed not last", []domain.Phase{sub, vot, all, clo, imp}, false},
		{"invalid/no voting", []domain.Phase{sub, rev, ass, all, imp, clo}, false},
		{"invalid/no allocation", []domain.Phase{sub, vot, imp, clo}, false},
		{"invalid/no implementation", []domain.Phase{sub, vot, all, clo}, false},
		{"invalid/review after voting", []domain.Phase{sub, vot, rev, all, imp, clo}, false},
		{"invalid/assessment before review", []domain.Phase{sub, ass, rev, vot, all, imp, clo}, false},
		{"invalid/allocation before voting", []domain.Phase{sub, all, vot, imp, clo}, false},
		{"invalid/allocation before assessment", []domain.Phase{sub, vot, all, ass, imp, clo}, false},
		{"invalid/assessment after implementation", []domain.Phase{sub, vot, all, imp, ass, clo}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := domain.ValidatePlan(tt.plan)
			if tt.ok {
				mustOK(t, err)
				return
			}
			wantError(t, err, domain.ErrInvalid, domain.CodeInvalid)
		})
	}
}

func TestOpenCycle(t *testing.T) {
	t.Run("opens in submission", func(t *testing.T) {
		c := mustCycle(t)
		if got, want := c.Phase(), domain.PhaseSubmission; got != want {
			t.Errorf("got phase %q, want %q", got, want)
		}
		s := c.State()
		if got, want := s.TotalBudget, domain.Money(1500); got != want {
			t.Errorf("got total budget %d, want %d", got, want)
		}
		wantChanges(t, c.Changes(), domain.EventCycleOpened)
		if got, want := domain.Stream(c.Changes()[0]), "cycle-city-2024"; got != want {
			t.Errorf("got stream %q, want %q", got, want)
		}
	})
	t.Run("second open conflicts", func(t *testing.T) {
		c := mustCycle(t)
		wantError(t, c.Open(testOpenCycle()), domain.ErrCycleExists, domain.CodeConflict)
	})

	tests := []struct {
		name string
		mod  func(*domain.OpenCycle)
	}{
		{"invalid cycle ID", func(c *domain.OpenCycle) { c.CycleID = "-bad" }},
		{"missing name", func(c *domain.OpenCycle) { c.Name = " " }},
		{"bad currency", func(c *domain.OpenCycle) { c.Currency = "kzt" }},
		{"bad exponent", func(c *domain.OpenCycle) { c.CurrencyExponent = 9 }},
		{"no districts", func(c *domain.OpenCycle) { c.Districts = nil }},
		{"district ID with dash", func(c *domain.OpenCycle) { c.Districts[0].ID = "north-east" }},
		{"duplicate district", func(c *domain.OpenCycle) { c.Districts[1].ID = "north" }},
		{"zero budget", func(c *domain.OpenCycle) { c.Districts[0].Budget = 0 }},
		{"budget above MaxMoney", func(c *domain.OpenCycle) { c.Districts[0].Budget = domain.MaxMoney + 1 }},
		{"bad plan", func(c *domain.OpenCycle) { c.Plan = c.Plan[1:] }},
		{"unknown ballot type", func(c *domain.OpenCycle) { c.BallotRule.Type = "lottery" }},
		{"min above max choices", func(c *domain.OpenCycle) { c.BallotRule.MinChoices = 4 }},
		{"max cost on approval", func(c *domain.OpenCycle) { c.BallotRule.MaxCost = 100 }},
		{"points on approval", func(c *domain.OpenCycle) { c.BallotRule.MaxTotalPoints = 10 }},
		{"cumulative without total", func(c *domain.OpenCycle) { c.BallotRule = domain.BallotRule{Type: domain.BallotCumulative} }},
		{"cumulative min above max", func(c *domain.OpenCycle) {
			c.BallotRule = domain.BallotRule{Type: domain.BallotCumulative, MinTotalPoints: 11, MaxTotalPoints: 10}
		}},
		{"choose-one with two choices", func(c *domain.OpenCycle) {
			c.BallotRule = domain.BallotRule{Type: domain.BallotChooseOne, MaxChoices: 2}
		}},
		{"unknown outcome rule", func(c *domain.OpenCycle) { c.OutcomeRule = outcome.Rule{Name: "dictator"} }},
		{"threshold without min support", func(c *domain.OpenCycle) { c.OutcomeRule = outcome.Rule{Name: outcome.GreedyThreshold} }},
		{"min support on equal shares", func(c *domain.OpenCycle) {
			c.OutcomeRule = outcome.Rule{Name: outcome.EqualSharesAdd1, MinSupport: 3}
		}},
		{"negative min support on greedy", func(c *domain.OpenCycle) { c.OutcomeRule.MinSupport = -1 }},
		{"unknown tie-break order", func(c *domain.OpenCycle) { c.OutcomeRule.TieBreak = "tallest-first" }},
		{"exclusion groups in the rule", func(c *domain.OpenCycle) {
			c.OutcomeRule = outcome.Rule{Name: outcome.GreedyExclusive, Exclusive: [][]string{{"a", "b"}}}
		}},
		{"increment on greedy", func(c *domain.OpenCycle) { c.OutcomeRule.Increment = 100 }},
		{"equal shares on ordinal", func(c *domain.OpenCycle) {
			c.BallotRule = domain.BallotRule{Type: domain.BallotOrdinal}
			c.OutcomeRule = outcome.Rule{Name: outcome.EqualSharesAdd1}
		}},
		{"scale min above max", func(c *domain.OpenCycle) { c.Assessment.Scale = domain.ScoreScale{Min: 5, Max: 5} }},
		{"duplicate criterion", func(c *domain.OpenCycle) {
			c.Assessment.Criteria = append(c.Assessment.Criteria, domain.Criterion{ID: "impact", Name: "Again"})
		}},
		{"min mean without gate", func(c *domain.OpenCycle) { c.Assessment.MinMeanScore = 5 }},
		{"min mean off scale", func(c *domain.OpenCycle) { c.Assessment.MeanScoreGate, c.Assessment.MinMeanScore = true, 11 }},
		{"weight percent too big", func(c *domain.OpenCycle) { c.Assessment.WeightPercent = domain.MaxWeightPercent + 1 }},
		{"assessment phase without policy", func(c *domain.OpenCycle) { c.Assessment = domain.AssessmentPolicy{} }},
		{"policy without assessment phase", func(c *domain.OpenCycle) {
			c.Plan = []domain.Phase{domain.PhaseSubmission, domain.PhaseVoting, domain.PhaseAllocation,
				domain.PhaseImplementation, domain.PhaseClosed}
		}},
	}
	for _, tt := range tests {
		t.Run("rejects "+tt.name, func(t *testing.T) {
			cmd := testOpenCycle()
			tt.mod(&cmd)
			c := &domain.Cycle{}
			wantError(t, c.Open(cmd), domain.ErrInvalid, domain.CodeInvalid)
			wantChanges(t, c.Changes())
			if c.Opened() {
				t.Errorf("cycle opened despite the error")
			}
		})
	}
}

func TestAdvancePhase(t *testing.T) {
	t.Run("walks the whole plan", func(t *testing.T) {
		c := mustCycle(t)
		mustAdvance(t, c, domain.PhaseAllocation)
		// Every district must be allocated before implementation.
		err := c.AdvancePhase(domain.AdvancePhase{CycleID: testCycle, To: domain.PhaseImplementation})
		wantError(t, err, domain.ErrNotAllocated, domain.CodeConflict)
	})
	t.Run("refuses a skipped phase", func(t *testing.T) {
		c := mustCycle(t)
		err := c.AdvancePhase(domain.AdvancePhase{CycleID: testCycle, To: domain.PhaseVoting})
		wantError(t, err, domain.ErrWrongPhase, domain.CodeConflict)
		if got := c.Phase(); got != domain.PhaseSubmission {
			t.Errorf("got phase %q, want submission", got)
		}
	})
	t.Run("refuses advancing past closed", func(t *testing.T) {
		c := mustCycle(t, func(cmd *domain.OpenCycle) { cmd.Districts = cmd.Districts[:1] })
		mustAdvance(t, c, domain.PhaseAllocation)
		mustOK(t, c.Load(domain.AllocationRecorded{CycleID: testCycle, DistrictID: "north", Budget: 1000}))
		mustAdvance(t, c, domain.PhaseClosed)
		err := c.AdvancePhase(domain.AdvancePhase{CycleID: testCycle, To: domain.PhaseClosed})
		wantError(t, err, domain.ErrWrongPhase, domain.CodeConflict)
	})
	t.Run("refuses an unopened cycle", func(t *testing.T) {
		c := &domain.Cycle{}
		err := c.AdvancePhase(domain.AdvancePhase{CycleID: testCycle, To: domain.PhaseReview})
		wantError(t, err, domain.ErrUnknownCycle, domain.CodeNotFound)
	})
	t.Run("refuses another cycle's command", func(t *testing.T) {
		c := mustCycle(t)
		err := c.AdvancePhase(domain.AdvancePhase{CycleID: "other", To: domain.PhaseReview})
		wantError(t, err, domain.ErrInvalid, domain.CodeInvalid)
	})
	t.Run("records from and to", func(t *testing.T) {
		c := mustCycle(t)
		c.ClearChanges()
		mustAdvance(t, c, domain.PhaseReview)
		got := c.Changes()[0].(domain.PhaseAdvanced)
		want := domain.PhaseAdvanced{CycleID: testCycle, From: domain.PhaseSubmission, To: domain.PhaseReview}
		if got != want {
			t.Errorf("got %+v, want %+v", got, want)
		}
	})
}

func TestRegisterAssessor(t *testing.T) {
	t.Run("registers", func(t *testing.T) {
		c := mustCycle(t)
		mustRegister(t, c, "exp1", domain.RoleExpert)
		if role, ok := c.Assessor("exp1"); !ok || role != domain.RoleExpert {
			t.Errorf("got role %q, %v, want expert", role, ok)
		}
	})
	t.Run("refuses a second registration", func(t *testing.T) {
		c := mustCycle(t)
		mustRegister(t, c, "exp1", domain.RoleExpert)
		err := c.RegisterAssessor(domain.RegisterAssessor{CycleID: testCycle, AssessorID: "exp1", Role: domain.RoleBudgetCommission})
		wantError(t, err, domain.ErrAssessorExists, domain.CodeConflict)
	})
	t.Run("refuses an unknown role", func(t *testing.T) {
		c := mustCycle(t)
		err := c.RegisterAssessor(domain.RegisterAssessor{CycleID: testCycle, AssessorID: "exp1", Role: "mayor"})
		wantError(t, err, domain.ErrInvalid, domain.CodeInvalid)
	})
	t.Run("refuses after assessment", func(t *testing.T) {
		c := mustCycle(t)
		mustAdvance(t, c, domain.PhaseAllocation)
		err := c.RegisterAssessor(domain.RegisterAssessor{CycleID: testCycle, AssessorID: "exp1", Role: domain.RoleExpert})
		wantError(t, err, domain.ErrWrongPhase, domain.CodeConflict)
	})
	t.Run("refuses in a cycle without assessment", func(t *testing.T) {
		c := mustCycle(t, func(cmd *domain.OpenCycle) {
			cmd.Plan = []domain.Phase{domain.PhaseSubmission, domain.PhaseVoting, domain.PhaseAllocation,
				domain.PhaseImplementation, domain.PhaseClosed}
			cmd.Assessment = domain.AssessmentPolicy{}
		})
		err := c.RegisterAssessor(domain.RegisterAssessor{CycleID: testCycle, AssessorID: "exp1", Role: domain.RoleExpert})
		wantError(t, err, domain.ErrWrongPhase, domain.CodeConflict)
	})
}
