package domain

import (
	"maps"
	"math/big"
	"slices"
	"time"
)

// Proposal is a resident's project for one district of one cycle, with its review, assessment, co-financing
// and implementation. It is an event-sourced aggregate whose stream is ProposalStream(id). The zero Proposal
// is an empty history, ready for Submit or Load.
//
// Commands that depend on the cycle (its phase, districts, assessors, allocation) take the *Cycle, loaded by
// the caller; the store's expected revision on the proposal stream guards against lost updates, and the phase
// checks are as fresh as the cycle the caller loaded.
type Proposal struct {
	submitted bool
	id        ProposalID
	cycle     CycleID
	district  DistrictID
	author    VoterKey
	content   ProposalContent
	personal  *Sealed
	revision  int

	status          ProposalStatus
	moderator       OfficialID
	rejectionReason string

	withdrawn        bool
	withdrawalReason string

	scores           map[AssessorID]ProposalScored
	infeasible       bool
	infeasibleReason string

	pledges []CoFinancingPledged
	pledged Money

	milestones     map[MilestoneID]Milestone
	milestoneOrder []MilestoneID

	version int
	changes []Event
}

// Score is an assessor's latest score of a proposal.
type Score struct {
	AssessorID AssessorID       `json:"assessor_id"`
	Role       AssessorRole     `json:"role"`
	Score      int64            `json:"score"`
	Criteria   []CriterionScore `json:"criteria,omitempty"`
	Comment    string           `json:"comment,omitempty"`
}

// Pledge is one co-financing pledge.
type Pledge struct {
	PledgeID    PledgeID    `json:"pledge_id"`
	Pledger     PledgerID   `json:"pledger"`
	PledgerKind PledgerKind `json:"pledger_kind"`
	Amount      Money       `json:"amount"`
}

// Milestone is the latest report of one milestone.
type Milestone struct {
	MilestoneID MilestoneID     `json:"milestone_id"`
	Title       string          `json:"title"`
	Status      MilestoneStatus `json:"status"`
	Progress    int             `json:"progress"`
	Spent       Money           `json:"spent"`
	Due         string          `json:"due,omitempty"`
	Note        string          `json:"note,omitempty"`
	// Reports is how many times the milestone was reported.
	Reports int `json:"reports"`
}

// ProposalState is a read-only snapshot of a proposal; it shares no memory with the Proposal.
type ProposalState struct {
	ID         ProposalID `json:"id"`
	CycleID    CycleID    `json:"cycle_id"`
	DistrictID DistrictID `json:"district_id"`
	Author     VoterKey   `json:"author"`
	ProposalContent
	// Personal is the author's sealed personal data, nil if none.
	Personal *Sealed `json:"personal,omitempty"`
	// Revision counts the author's revisions (0 for the submitted text).
	Revision         int            `json:"revision"`
	Status           ProposalStatus `json:"status"`
	Moderator        OfficialID     `json:"moderator,omitempty"`
	RejectionReason  string         `json:"rejection_reason,omitempty"`
	Withdrawn        bool           `json:"withdrawn"`
	WithdrawalReason string         `json:"withdrawal_reason,omitempty"`
	// Scores holds each assessor's latest score, ordered by assessor ID.
	Scores []Score `json:"scores,omitempty"`
	// MeanScore is the exact mean of Scores ("" when unscored), an integer or "p/q".
	MeanScore        string `json:"mean_score,omitempty"`
	Infeasible       bool   `json:"infeasible"`
	InfeasibleReason string `json:"infeasible_reason,omitempty"`
	// Pledges are in the order recorded; Pledged is their sum; PublicCost is Cost − Pledged (never negative).
	Pledges    []Pledge `json:"pledges,omitempty"`
	Pledged    Money    `json:"pledged"`
	PublicCost Money    `json:"public_cost"`
	// Milestones are in the order first reported.
	Milestones []Milestone `json:"milestones,omitempty"`
}

// Validate checks the content on its own; the district budget is checked against the cycle.
func (pc ProposalContent) Validate() error {
	if err := checkText("title", pc.Title, true, false, MaxTitleLen); err != nil {
		return err
	}
	if err := pc.Titles.validate("title", MaxTitleLen); err != nil {
		return err
	}
	if err := checkText("description", pc.Description, false, true, MaxDescriptionLen); err != nil {
		return err
	}
	if pc.Cost <= 0 || pc.Cost > MaxMoney {
		return invalidf("cost: %d is not allowed; give a positive whole number of minor units (tiyn for KZT), at most %d", pc.Cost, MaxMoney)
	}
	if pc.ListPosition < 0 {
		return invalidf("list position %d is negative", pc.ListPosition)
	}
	if pc.Location != nil {
		if err := pc.Location.Validate(); err != nil {
			return err
		}
	}
	if err := checkText("category", pc.Category, false, false, MaxCategoryLen); err != nil {
		return err
	}
	return checkText("external ref", pc.ExternalRef, false, false, MaxExternalRefLen)
}

func (pc ProposalContent) clone() ProposalContent {
	if pc.Location != nil {
		l := *pc.Location
		pc.Location = &l
	}
	pc.Titles = maps.Clone(pc.Titles)
	return pc
}

// checkCost reports ErrOverBudget if cost is above the district's budget.
func checkCost(c *Cycle, district DistrictID, cost Money) error {
	d, ok := c.District(district)
	if !ok {
		return errorf(CodeNotFound, ErrUnknownDistrict, "cycle %q has no district %q", c.ID(), district)
	}
	if cost > d.Budget {
		return newError(CodeInvalid, []error{ErrInvalid, ErrOverBudget},
			"cost %d is above the budget %d of district %q", cost, d.Budget, district)
	}
	return nil
}

// SubmitProposal submits a proposal in the submission phase.
type SubmitProposal struct {
	ProposalID ProposalID `json:"proposal_id"`
	CycleID    CycleID    `json:"cycle_id"`
	DistrictID DistrictID `json:"district_id"`
	Author     VoterKey   `json:"author"`
	ProposalContent
	// Personal is the author's personal data, sealed by the caller (see Sealed).
	Personal *Sealed `json:"personal,omitempty"`
}

// Validate checks the command on its own.
func (cmd SubmitProposal) Validate() error {
	for _, err := range []error{cmd.ProposalID.Validate(), cmd.CycleID.Validate(), cmd.DistrictID.Validate(),
		cmd.Author.Validate(), cmd.Personal.Validate()} {
		if err != nil {
			return err
		}
	}
	return cmd.ProposalContent.Validate()
}

// Submit records a new proposal.
//
// Errors: ErrProposalExists if p has a history; ErrInvalid; ErrUnknownCycle; ErrUnknownDistrict;
// ErrOverBudget (code invalid) when the cost is above the district budget; ErrWrongPhase outside submission.
func (p *Proposal) Submit(c *Cycle, cmd SubmitProposal) error {
	if p.submitted {
		return errorf(CodeConflict, ErrProposalExists, "proposal %q already exists", p.id)
	}
	if err := cmd.Validate(); err != nil {
		return err
	}
	if err := c.check(cmd.CycleID); err != nil {
		return err
	}
	if err := checkCost(c, cmd.DistrictID, cmd.Cost); err != nil {
		return err
	}
	if err := c.requirePhase("proposals can be submitted", PhaseSubmission); err != nil {
		return err
	}
	return p.record(ProposalSubmitted{ProposalID: cmd.ProposalID, CycleID: cmd.CycleID, DistrictID: cmd.DistrictID,
		Author: cmd.Author, ProposalContent: cmd.ProposalContent.clone(), Personal: cloneSealed(cmd.Personal)})
}

// ReviseProposal replaces a proposal's content. Only the author may, only in the submission phase, and only
// while the proposal awaits review: once published, the text voters see is final.
type ReviseProposal struct {
	ProposalID ProposalID `json:"proposal_id"`
	Author     VoterKey   `json:"author"`
	ProposalContent
	// Personal, if set, replaces the author's sealed personal data.
	Personal *Sealed `json:"personal,omitempty"`
}

// Validate checks the command on its own.
func (cmd ReviseProposal) Validate() error {
	if err := cmd.ProposalID.Validate(); err != nil {
		return err
	}
	if err := cmd.Personal.Validate(); err != nil {
		return err
	}
	if err := cmd.Author.Validate(); err != nil {
		return err
	}
	return cmd.ProposalContent.Validate()
}

// Revise records a revision.
//
// Errors: ErrUnknownProposal; ErrInvalid; ErrNotAuthor; ErrWrongPhase outside submission; ErrProposalStatus
// unless the proposal is submitted (not yet published or rejected) and not withdrawn; ErrOverBudget.
func (p *Proposal) Revise(c *Cycle, cmd ReviseProposal) error {
	if err := p.check(c, cmd.ProposalID); err != nil {
		return err
	}
	if err := cmd.Validate(); err != nil {
		return err
	}
	if err := p.checkAuthor(cmd.Author); err != nil {
		return err
	}
	if err := c.requirePhase("proposals can be revised", PhaseSubmission); err != nil {
		return err
	}
	if err := p.requireAwaitingReview("revised"); err != nil {
		return err
	}
	if err := checkCost(c, p.district, cmd.Cost); err != nil {
		return err
	}
	return p.record(ProposalRevised{ProposalID: p.id, CycleID: p.cycle, DistrictID: p.district, Author: p.author,
		ProposalContent: cmd.ProposalContent.clone(), Personal: cloneSealed(cmd.Personal)})
}

// PublishProposal puts a submitted proposal on the ballot (submission or review phase).
type PublishProposal struct {
	ProposalID ProposalID `json:"proposal_id"`
	Moderator  OfficialID `json:"moderator"`
}

// Validate checks the command on its own.
func (cmd PublishProposal) Validate() error {
	if err := cmd.ProposalID.Validate(); err != nil {
		return err
	}
	return cmd.Moderator.Validate()
}

// Publish records the publication.
//
// Errors: ErrUnknownProposal; ErrInvalid; ErrWrongPhase outside submission and review; ErrProposalStatus
// unless the proposal is submitted and not withdrawn.
func (p *Proposal) Publish(c *Cycle, cmd PublishProposal) error {
	if err := p.check(c, cmd.ProposalID); err != nil {
		return err
	}
	if err := cmd.Validate(); err != nil {
		return err
	}
	if err := c.requirePhase("proposals can be published", PhaseSubmission, PhaseReview); err != nil {
		return err
	}
	if err := p.requireAwaitingReview("published"); err != nil {
		return err
	}
	return p.record(ProposalPublished{ProposalID: p.id, CycleID: p.cycle, DistrictID: p.district, Moderator: cmd.Moderator})
}

// RejectProposal keeps a submitted proposal off the ballot, with a reason for the author.
type RejectProposal struct {
	ProposalID ProposalID `json:"proposal_id"`
	Moderator  OfficialID `json:"moderator"`
	Reason     string     `json:"reason"`
}

// Validate checks the command on its own.
func (cmd RejectProposal) Validate() error {
	if err := cmd.ProposalID.Validate(); err != nil {
		return err
	}
	if err := cmd.Moderator.Validate(); err != nil {
		return err
	}
	return checkText("reason", cmd.Reason, true, true, MaxReasonLen)
}

// Reject records the rejection.
//
// Errors: as Publish, and ErrInvalid without a reason.
func (p *Proposal) Reject(c *Cycle, cmd RejectProposal) error {
	if err := p.check(c, cmd.ProposalID); err != nil {
		return err
	}
	if err := cmd.Validate(); err != nil {
		return err
	}
	if err := c.requirePhase("proposals can be rejected", PhaseSubmission, PhaseReview); err != nil {
		return err
	}
	if err := p.requireAwaitingReview("rejected"); err != nil {
		return err
	}
	return p.record(ProposalRejected{ProposalID: p.id, CycleID: p.cycle, DistrictID: p.district,
		Moderator: cmd.Moderator, Reason: cmd.Reason})
}

// WithdrawProposal withdraws a proposal at its author's request, at any time before allocation.
type WithdrawProposal struct {
	ProposalID ProposalID `json:"proposal_id"`
	Author     VoterKey   `json:"author"`
	Reason     string     `json:"reason,omitempty"`
}

// Validate checks the command on its own.
func (cmd WithdrawProposal) Validate() error {
	if err := cmd.ProposalID.Validate(); err != nil {
		return err
	}
	if err := cmd.Author.Validate(); err != nil {
		return err
	}
	return checkText("reason", cmd.Reason, false, true, MaxReasonLen)
}

// Withdraw records the withdrawal. Ballots already cast for the proposal stay as they are; the proposal is
// reported as not eligible at allocation.
//
// Errors: ErrUnknownProposal; ErrInvalid; ErrNotAuthor; ErrWrongPhase from allocation on; ErrProposalStatus
// when the proposal was rejected; ErrProposalWithdrawn when it was already withdrawn.
func (p *Proposal) Withdraw(c *Cycle, cmd WithdrawProposal) error {
	if err := p.check(c, cmd.ProposalID); err != nil {
		return err
	}
	if err := cmd.Validate(); err != nil {
		return err
	}
	if err := p.checkAuthor(cmd.Author); err != nil {
		return err
	}
	if err := c.requireBefore("proposals can be withdrawn", PhaseAllocation); err != nil {
		return err
	}
	if p.withdrawn {
		return errorf(CodeConflict, ErrProposalWithdrawn, "proposal %q is already withdrawn", p.id)
	}
	if p.status == StatusRejected {
		return errorf(CodeConflict, ErrProposalStatus, "proposal %q was rejected; it cannot be withdrawn", p.id)
	}
	return p.record(ProposalWithdrawn{ProposalID: p.id, CycleID: p.cycle, DistrictID: p.district,
		Author: p.author, Reason: cmd.Reason})
}

// ScoreProposal records an assessor's score of a published proposal in the assessment phase. Score is on the
// cycle's scale; Criteria must score every criterion the cycle declares, once, on the same scale.
type ScoreProposal struct {
	ProposalID ProposalID       `json:"proposal_id"`
	AssessorID AssessorID       `json:"assessor_id"`
	Score      int64            `json:"score"`
	Criteria   []CriterionScore `json:"criteria,omitempty"`
	Comment    string           `json:"comment,omitempty"`
}

// Validate checks the command on its own; the scale and criteria are checked against the cycle.
func (cmd ScoreProposal) Validate() error {
	if err := cmd.ProposalID.Validate(); err != nil {
		return err
	}
	if err := cmd.AssessorID.Validate(); err != nil {
		return err
	}
	for _, cs := range cmd.Criteria {
		if err := cs.Criterion.Validate(); err != nil {
			return err
		}
	}
	return checkText("comment", cmd.Comment, false, true, MaxCommentLen)
}

// Score records the score; it supersedes the assessor's earlier score of the proposal.
//
// Errors: ErrUnknownProposal; ErrInvalid (including a score off the scale or criteria that do not match the
// cycle's); ErrWrongPhase outside assessment; ErrUnknownAssessor (code forbidden); ErrProposalNotPublished;
// ErrProposalWithdrawn.
func (p *Proposal) Score(c *Cycle, cmd ScoreProposal) error {
	if err := p.check(c, cmd.ProposalID); err != nil {
		return err
	}
	if err := cmd.Validate(); err != nil {
		return err
	}
	if err := c.requirePhase("proposals can be assessed", PhaseAssessment); err != nil {
		return err
	}
	role, err := p.assessor(c, cmd.AssessorID)
	if err != nil {
		return err
	}
	if err := p.requireVotable(); err != nil {
		return err
	}
	policy := c.Assessment()
	inScale := func(v int64) bool { return v >= policy.Scale.Min && v <= policy.Scale.Max }
	if !inScale(cmd.Score) {
		return invalidf("score: %d is outside the cycle's scale; give a whole number from %d to %d", cmd.Score, policy.Scale.Min, policy.Scale.Max)
	}
	declared := map[CriterionID]bool{}
	for _, cr := range policy.Criteria {
		declared[cr.ID] = true
	}
	seen := map[CriterionID]bool{}
	for _, cs := range cmd.Criteria {
		if !declared[cs.Criterion] {
			return invalidf("criteria: cycle %q has no criterion %q", c.ID(), cs.Criterion)
		}
		if seen[cs.Criterion] {
			return invalidf("criteria: criterion %q is scored twice; score it once", cs.Criterion)
		}
		seen[cs.Criterion] = true
		if !inScale(cs.Score) {
			return invalidf("criteria: the score %[2]d of criterion %[1]q is outside the cycle's scale; give a whole number from %[3]d to %[4]d", cs.Criterion, cs.Score,
				policy.Scale.Min, policy.Scale.Max)
		}
	}
	for _, cr := range policy.Criteria {
		if !seen[cr.ID] {
			return invalidf("criteria: criterion %q is not scored; an assessment scores every criterion of the cycle, each on the scale", cr.ID)
		}
	}
	return p.record(ProposalScored{ProposalID: p.id, CycleID: p.cycle, DistrictID: p.district,
		AssessorID: cmd.AssessorID, Role: role, Score: cmd.Score, Criteria: slices.Clone(cmd.Criteria),
		Comment: cmd.Comment})
}

// MarkInfeasible records the budget commission's finding that a published proposal cannot be carried out,
// in the assessment phase. Marking an infeasible proposal again replaces the reason.
type MarkInfeasible struct {
	ProposalID ProposalID `json:"proposal_id"`
	AssessorID AssessorID `json:"assessor_id"`
	Reason     string     `json:"reason"`
}

// Validate checks the command on its own.
func (cmd MarkInfeasible) Validate() error {
	return validateFinding(cmd.ProposalID, cmd.AssessorID, cmd.Reason)
}

// MarkInfeasible records the finding.
//
// Errors: as Score, and ErrWrongRole (code forbidden) unless the assessor is on the budget commission.
func (p *Proposal) MarkInfeasible(c *Cycle, cmd MarkInfeasible) error {
	if err := p.checkFeasibility(c, cmd.ProposalID, cmd.AssessorID, cmd.Reason); err != nil {
		return err
	}
	return p.record(ProposalMarkedInfeasible{ProposalID: p.id, CycleID: p.cycle, DistrictID: p.district,
		AssessorID: cmd.AssessorID, Reason: cmd.Reason})
}

// MarkFeasible reverses an infeasibility finding (the commission may reconsider, e.g. after the author
// clarifies), in the assessment phase. Both findings stay in the history.
type MarkFeasible struct {
	ProposalID ProposalID `json:"proposal_id"`
	AssessorID AssessorID `json:"assessor_id"`
	Reason     string     `json:"reason"`
}

// Validate checks the command on its own.
func (cmd MarkFeasible) Validate() error {
	return validateFinding(cmd.ProposalID, cmd.AssessorID, cmd.Reason)
}

// MarkFeasible records the reversal.
//
// Errors: as MarkInfeasible, and ErrProposalStatus unless the proposal is marked infeasible.
func (p *Proposal) MarkFeasible(c *Cycle, cmd MarkFeasible) error {
	if err := p.checkFeasibility(c, cmd.ProposalID, cmd.AssessorID, cmd.Reason); err != nil {
		return err
	}
	if !p.infeasible {
		return errorf(CodeConflict, ErrProposalStatus, "proposal %q is not marked infeasible", p.id)
	}
	return p.record(ProposalMarkedFeasible{ProposalID: p.id, CycleID: p.cycle, DistrictID: p.district,
		AssessorID: cmd.AssessorID, Reason: cmd.Reason})
}

func validateFinding(id ProposalID, assessor AssessorID, reason string) error {
	if err := id.Validate(); err != nil {
		return err
	}
	if err := assessor.Validate(); err != nil {
		return err
	}
	return checkText("reason", reason, true, true, MaxReasonLen)
}

func (p *Proposal) checkFeasibility(c *Cycle, id ProposalID, assessor AssessorID, reason string) error {
	if err := p.check(c, id); err != nil {
		return err
	}
	if err := validateFinding(id, assessor, reason); err != nil {
		return err
	}
	if err := c.requirePhase("feasibility can be ruled on", PhaseAssessment); err != nil {
		return err
	}
	role, err := p.assessor(c, assessor)
	if err != nil {
		return err
	}
	if role != RoleBudgetCommission {
		return errorf(CodeForbidden, ErrWrongRole, "assessor %q is %s; only the %s rules on feasibility",
			assessor, role, RoleBudgetCommission)
	}
	return p.requireVotable()
}

// PledgeCoFinancing pledges money to a published proposal, at any time before allocation. The pledges may not
// exceed the proposal's cost.
type PledgeCoFinancing struct {
	ProposalID  ProposalID  `json:"proposal_id"`
	PledgeID    PledgeID    `json:"pledge_id"`
	Pledger     PledgerID   `json:"pledger"`
	PledgerKind PledgerKind `json:"pledger_kind"`
	Amount      Money       `json:"amount"`
}

// Validate checks the command on its own.
func (cmd PledgeCoFinancing) Validate() error {
	for _, err := range []error{cmd.ProposalID.Validate(), cmd.PledgeID.Validate(), cmd.Pledger.Validate()} {
		if err != nil {
			return err
		}
	}
	if cmd.PledgerKind != PledgerResident && cmd.PledgerKind != PledgerBusiness {
		return invalidf("pledger_kind: %q is not allowed; use \"resident\" or \"business\"", cmd.PledgerKind)
	}
	if cmd.Amount <= 0 || cmd.Amount > MaxMoney {
		return invalidf("amount: %d is not allowed; give a positive whole number of minor units (tiyn for KZT), at most %d", cmd.Amount, MaxMoney)
	}
	return nil
}

// Pledge records the pledge.
//
// Errors: ErrUnknownProposal; ErrInvalid; ErrWrongPhase from allocation on; ErrProposalNotPublished;
// ErrProposalWithdrawn; ErrPledgeExists when the pledge ID was used; ErrPledgeExceedsCost.
func (p *Proposal) Pledge(c *Cycle, cmd PledgeCoFinancing) error {
	if err := p.check(c, cmd.ProposalID); err != nil {
		return err
	}
	if err := cmd.Validate(); err != nil {
		return err
	}
	if err := c.requireBefore("co-financing can be pledged", PhaseAllocation); err != nil {
		return err
	}
	if err := p.requireVotable(); err != nil {
		return err
	}
	for _, pl := range p.pledges {
		if pl.PledgeID == cmd.PledgeID {
			return errorf(CodeConflict, ErrPledgeExists, "pledge %q is already recorded for proposal %q", cmd.PledgeID, p.id)
		}
	}
	if total, ok := addMoney(p.pledged, cmd.Amount); !ok || total > p.content.Cost {
		return errorf(CodeConflict, ErrPledgeExceedsCost,
			"pledge of %d would take the pledges for proposal %q to more than its cost %d (already pledged %d)",
			cmd.Amount, p.id, p.content.Cost, p.pledged)
	}
	return p.record(CoFinancingPledged{ProposalID: p.id, CycleID: p.cycle, DistrictID: p.district,
		PledgeID: cmd.PledgeID, Pledger: cmd.Pledger, PledgerKind: cmd.PledgerKind, Amount: cmd.Amount})
}

// ReportMilestone reports the current state of a milestone of a funded proposal, in the implementation phase.
// Spent is cumulative for the milestone (the total so far, not a delta); it may exceed the funded amount,
// since overruns happen and must be reported honestly. A completed milestone reports 100 % progress.
type ReportMilestone struct {
	ProposalID  ProposalID      `json:"proposal_id"`
	MilestoneID MilestoneID     `json:"milestone_id"`
	Title       string          `json:"title"`
	Status      MilestoneStatus `json:"status"`
	Progress    int             `json:"progress"`
	Spent       Money           `json:"spent"`
	Due         string          `json:"due,omitempty"`
	Note        string          `json:"note,omitempty"`
}

// Validate checks the command on its own.
func (cmd ReportMilestone) Validate() error {
	if err := cmd.ProposalID.Validate(); err != nil {
		return err
	}
	if err := cmd.MilestoneID.Validate(); err != nil {
		return err
	}
	if err := checkText("milestone title", cmd.Title, true, false, MaxTitleLen); err != nil {
		return err
	}
	if err := checkText("note", cmd.Note, false, true, MaxCommentLen); err != nil {
		return err
	}
	switch cmd.Status {
	case MilestonePlanned, MilestoneInProgress, MilestoneCompleted, MilestoneDelayed, MilestoneCancelled:
	default:
		return invalidf("status: %q is not a milestone status; use \"planned\", \"in-progress\", \"completed\", \"delayed\" or \"cancelled\"", cmd.Status)
	}
	if cmd.Progress < 0 || cmd.Progress > 100 {
		return invalidf("progress: %d is not a percentage; give a whole number from 0 to 100", cmd.Progress)
	}
	if cmd.Status == MilestoneCompleted && cmd.Progress != 100 {
		return invalidf("progress: a completed milestone reports 100, not %d", cmd.Progress)
	}
	if cmd.Spent < 0 || cmd.Spent > MaxMoney {
		return invalidf("spent: %d is not allowed; give a whole number of minor units (tiyn for KZT) from 0 to %d", cmd.Spent, MaxMoney)
	}
	if cmd.Due != "" {
		// Parsing a fixed layout reads no clock.
		if _, err := time.Parse(time.DateOnly, cmd.Due); err != nil {
			return invalidf("due: %q is not a date; write it like \"2027-06-30\"", cmd.Due)
		}
	}
	return nil
}

// ReportMilestone records the report.
//
// Errors: ErrUnknownProposal; ErrInvalid; ErrWrongPhase outside implementation; ErrNotFunded unless the
// cycle's allocation funded the proposal.
func (p *Proposal) ReportMilestone(c *Cycle, cmd ReportMilestone) error {
	if err := p.check(c, cmd.ProposalID); err != nil {
		return err
	}
	if err := cmd.Validate(); err != nil {
		return err
	}
	if err := c.requirePhase("milestones can be reported", PhaseImplementation); err != nil {
		return err
	}
	if _, ok := c.Funded(p.id); !ok {
		return errorf(CodeConflict, ErrNotFunded, "proposal %q was not funded; only funded proposals have milestones", p.id)
	}
	return p.record(MilestoneReported{ProposalID: p.id, CycleID: p.cycle, DistrictID: p.district,
		MilestoneID: cmd.MilestoneID, Title: cmd.Title, Status: cmd.Status, Progress: cmd.Progress,
		Spent: cmd.Spent, Due: cmd.Due, Note: cmd.Note})
}

// ---- guards ----

// check reports whether the proposal exists, id names it and c is its cycle.
func (p *Proposal) check(c *Cycle, id ProposalID) error {
	if p == nil || !p.submitted {
		return errorf(CodeNotFound, ErrUnknownProposal, "proposal %q does not exist", id)
	}
	if id != p.id {
		return invalidf("the command names proposal %q, not %q", id, p.id)
	}
	return c.check(p.cycle)
}

func (p *Proposal) checkAuthor(author VoterKey) error {
	if author != p.author {
		return errorf(CodeForbidden, ErrNotAuthor, "only the author of proposal %q may do this", p.id)
	}
	return nil
}

func (p *Proposal) requireAwaitingReview(what string) error {
	if p.withdrawn {
		return errorf(CodeConflict, ErrProposalWithdrawn, "proposal %q was withdrawn; it cannot be %s", p.id, what)
	}
	if p.status != StatusSubmitted {
		return errorf(CodeConflict, ErrProposalStatus, "proposal %q is %s; only a submitted proposal can be %s",
			p.id, p.status, what)
	}
	return nil
}

// requireVotable reports whether the proposal is published and not withdrawn: only such proposals can be voted
// on, assessed, co-financed or funded.
func (p *Proposal) requireVotable() error {
	if p.status != StatusPublished {
		return errorf(CodeConflict, ErrProposalNotPublished, "proposal %q is not published", p.id)
	}
	if p.withdrawn {
		return errorf(CodeConflict, ErrProposalWithdrawn, "proposal %q was withdrawn", p.id)
	}
	return nil
}

func (p *Proposal) assessor(c *Cycle, id AssessorID) (AssessorRole, error) {
	role, ok := c.Assessor(id)
	if !ok {
		return "", errorf(CodeForbidden, ErrUnknownAssessor, "assessor %q is not registered for cycle %q", id, c.ID())
	}
	return role, nil
}

// ---- event sourcing ----

// Load applies events from the proposal's stream, oldest first, on top of the current state; it may be called
// repeatedly. It fails if an event is not a proposal event, names another proposal, or comes before
// ProposalSubmitted.
func (p *Proposal) Load(events ...Event) error {
	for _, e := range events {
		if err := p.apply(e); err != nil {
			return err
		}
		p.version++
	}
	return nil
}

// Version is the number of events loaded from the store or committed with ClearChanges.
func (p *Proposal) Version() int { return p.version }

// Changes returns the events recorded by commands since the last ClearChanges, oldest first.
func (p *Proposal) Changes() []Event { return slices.Clone(p.changes) }

// ClearChanges marks the recorded changes as committed: call it after appending them to the store.
func (p *Proposal) ClearChanges() {
	p.version += len(p.changes)
	p.changes = nil
}

func (p *Proposal) record(e Event) error {
	if err := p.apply(e); err != nil {
		return err
	}
	p.changes = append(p.changes, e)
	return nil
}

// apply is the one place proposal state changes.
func (p *Proposal) apply(e Event) error {
	if s, ok := e.(ProposalSubmitted); ok {
		if p.submitted {
			return eventErrorf("proposal %q submitted twice", s.ProposalID)
		}
		p.submitted = true
		p.id, p.cycle, p.district, p.author = s.ProposalID, s.CycleID, s.DistrictID, s.Author
		p.content = s.ProposalContent.clone()
		p.personal = cloneSealed(s.Personal)
		p.status = StatusSubmitted
		p.scores = map[AssessorID]ProposalScored{}
		p.milestones = map[MilestoneID]Milestone{}
		return nil
	}
	if !p.submitted {
		return eventErrorf("%s before ProposalSubmitted", typeName(e))
	}
	var id ProposalID
	switch e := e.(type) {
	case ProposalRevised:
		if id = e.ProposalID; id == p.id {
			p.content = e.ProposalContent.clone()
			if e.Personal != nil {
				p.personal = cloneSealed(e.Personal)
			}
			p.revision++
		}
	case ProposalPublished:
		if id = e.ProposalID; id == p.id {
			p.status = StatusPublished
			p.moderator = e.Moderator
		}
	case ProposalRejected:
		if id = e.ProposalID; id == p.id {
			p.status = StatusRejected
			p.moderator = e.Moderator
			p.rejectionReason = e.Reason
		}
	case ProposalWithdrawn:
		if id = e.ProposalID; id == p.id {
			p.withdrawn = true
			p.withdrawalReason = e.Reason
		}
	case ProposalScored:
		if id = e.ProposalID; id == p.id {
			e.Criteria = slices.Clone(e.Criteria)
			p.scores[e.AssessorID] = e
		}
	case ProposalMarkedInfeasible:
		if id = e.ProposalID; id == p.id {
			p.infeasible = true
			p.infeasibleReason = e.Reason
		}
	case ProposalMarkedFeasible:
		if id = e.ProposalID; id == p.id {
			p.infeasible = false
			p.infeasibleReason = ""
		}
	case CoFinancingPledged:
		if id = e.ProposalID; id == p.id {
			p.pledges = append(p.pledges, e)
			p.pledged += e.Amount
		}
	case MilestoneReported:
		if id = e.ProposalID; id == p.id {
			prev, ok := p.milestones[e.MilestoneID]
			if !ok {
				p.milestoneOrder = append(p.milestoneOrder, e.MilestoneID)
			}
			p.milestones[e.MilestoneID] = Milestone{MilestoneID: e.MilestoneID, Title: e.Title, Status: e.Status,
				Progress: e.Progress, Spent: e.Spent, Due: e.Due, Note: e.Note, Reports: prev.Reports + 1}
		}
	default:
		return eventErrorf("%s is not a proposal event", typeName(e))
	}
	if id != p.id {
		return eventErrorf("%s of proposal %q in the stream of proposal %q", typeName(e), id, p.id)
	}
	return nil
}

// ---- read-only accessors ----

// ID returns the proposal's ID ("" before it is submitted).
func (p *Proposal) ID() ProposalID { return p.id }

// CycleID returns the proposal's cycle.
func (p *Proposal) CycleID() CycleID { return p.cycle }

// DistrictID returns the proposal's district.
func (p *Proposal) DistrictID() DistrictID { return p.district }

// Submitted reports whether the proposal has a history.
func (p *Proposal) Submitted() bool { return p.submitted }

// Status returns the review status.
func (p *Proposal) Status() ProposalStatus { return p.status }

// Withdrawn reports whether the author withdrew the proposal.
func (p *Proposal) Withdrawn() bool { return p.withdrawn }

// Votable reports whether the proposal is published and not withdrawn, i.e. can be voted on, assessed,
// co-financed and funded.
func (p *Proposal) Votable() bool { return p.submitted && p.status == StatusPublished && !p.withdrawn }

// Cost returns the full cost.
func (p *Proposal) Cost() Money { return p.content.Cost }

// PublicCost returns the cost to the district budget: cost minus pledges, never below zero.
func (p *Proposal) PublicCost() Money { return max(p.content.Cost-p.pledged, 0) }

// Infeasible reports whether the budget commission marked the proposal infeasible, and why.
func (p *Proposal) Infeasible() (bool, string) { return p.infeasible, p.infeasibleReason }

// MeanScore returns the exact mean of the assessors' latest overall scores, or nil when nobody scored.
func (p *Proposal) MeanScore() *big.Rat {
	if len(p.scores) == 0 {
		return nil
	}
	var sum int64
	for _, s := range p.scores {
		sum += s.Score // scores are within ±MaxScore, so the sum cannot overflow
	}
	return big.NewRat(sum, int64(len(p.scores)))
}

// State returns a snapshot of the proposal.
func (p *Proposal) State() ProposalState {
	s := ProposalState{
		ID: p.id, CycleID: p.cycle, DistrictID: p.district, Author: p.author,
		ProposalContent:  p.content.clone(),
		Personal:         cloneSealed(p.personal),
		Revision:         p.revision,
		Status:           p.status,
		Moderator:        p.moderator,
		RejectionReason:  p.rejectionReason,
		Withdrawn:        p.withdrawn,
		WithdrawalReason: p.withdrawalReason,
		Infeasible:       p.infeasible,
		InfeasibleReason: p.infeasibleReason,
		Pledged:          p.pledged,
		PublicCost:       p.PublicCost(),
	}
	assessors := make([]AssessorID, 0, len(p.scores))
	for id := range p.scores {
		assessors = append(assessors, id)
	}
	slices.Sort(assessors)
	for _, id := range assessors {
		sc := p.scores[id]
		s.Scores = append(s.Scores, Score{AssessorID: id, Role: sc.Role, Score: sc.Score,
			Criteria: slices.Clone(sc.Criteria), Comment: sc.Comment})
	}
	if m := p.MeanScore(); m != nil {
		s.MeanScore = ratString(m)
	}
	for _, pl := range p.pledges {
		s.Pledges = append(s.Pledges, Pledge{PledgeID: pl.PledgeID, Pledger: pl.Pledger,
			PledgerKind: pl.PledgerKind, Amount: pl.Amount})
	}
	for _, id := range p.milestoneOrder {
		s.Milestones = append(s.Milestones, p.milestones[id])
	}
	return s
}

// ratString writes r as an integer when it is one, else as "p/q".
func ratString(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	return r.String()
}

func cloneSealed(s *Sealed) *Sealed {
	if s == nil {
		return nil
	}
	c := *s
	return &c
}
