package domain

import (
	"cmp"
	"fmt"
	"math/big"
	"slices"

	"github.com/pbledger/pbledger/domain/outcome"
)

// AllocateDistrict computes and records one district's allocation, in the allocation phase, once per district.
// LotSeed is drawn by the caller (the domain has no randomness) and recorded before counting.
type AllocateDistrict struct {
	CycleID    CycleID    `json:"cycle_id"`
	DistrictID DistrictID `json:"district_id"`
	LotSeed    string     `json:"lot_seed"`
}

// Validate checks the command on its own.
func (cmd AllocateDistrict) Validate() error {
	if err := cmd.CycleID.Validate(); err != nil {
		return err
	}
	if err := cmd.DistrictID.Validate(); err != nil {
		return err
	}
	return checkText("lot seed", cmd.LotSeed, true, false, MaxLotSeedLen)
}

// Allocate computes the district's outcome under the cycle's outcome rule and records LotDrawn followed by
// AllocationRecorded. proposals are the district's proposals (all of them: those never published are left
// out of the count, withdrawn and gated ones are reported as not eligible); ballots are the district's ballots
// cast while voting was open, one current ballot per voter — the caller guarantees that. Nothing is recorded
// if anything fails.
//
// Errors: ErrUnknownCycle; ErrInvalid (including proposals or ballots of another cycle or district, duplicate
// proposals or voters, and ballots naming proposals that are not among the district's published ones);
// ErrUnknownDistrict; ErrWrongPhase outside allocation; ErrAlreadyAllocated; CodeInternal when the outcome
// rule fails, and ErrOverBudget (CodeInternal) if its result would spend more than the district budget.
func (c *Cycle) Allocate(cmd AllocateDistrict, proposals []*Proposal, ballots []*Ballot) error {
	if err := c.check(cmd.CycleID); err != nil {
		return err
	}
	if err := cmd.Validate(); err != nil {
		return err
	}
	district, ok := c.District(cmd.DistrictID)
	if !ok {
		return errorf(CodeNotFound, ErrUnknownDistrict, "cycle %q has no district %q", c.ID(), cmd.DistrictID)
	}
	if err := c.requirePhase("districts can be allocated", PhaseAllocation); err != nil {
		return err
	}
	if _, done := c.allocations[cmd.DistrictID]; done {
		return errorf(CodeConflict, ErrAlreadyAllocated, "district %q of cycle %q is already allocated", cmd.DistrictID, c.ID())
	}
	in, err := OutcomeInput(c, cmd.DistrictID, proposals, ballots, cmd.LotSeed)
	if err != nil {
		return err
	}
	res, err := outcome.Compute(in)
	if err != nil {
		return internalf(err, "computing the outcome of district %q failed: %v", cmd.DistrictID, err)
	}
	if err := checkResult(in, res); err != nil {
		return err
	}
	projects := make(map[string]outcome.Project, len(in.Projects))
	for _, p := range in.Projects {
		projects[p.ID] = p
	}
	rec := AllocationRecorded{
		CycleID:        c.ID(),
		DistrictID:     cmd.DistrictID,
		Rule:           in.Rule,
		VoteType:       in.VoteType,
		Budget:         district.Budget,
		InputDigest:    res.InputDigest,
		LotSeed:        cmd.LotSeed,
		BallotsCounted: len(in.Ballots),
		Winners:        []FundedProposal{},
		Decisions:      []ProposalDecision{},
		PerVoterBudget: res.PerVoterBudget,
	}
	for _, w := range res.Winners {
		rec.Winners = append(rec.Winners, FundedProposal{ProposalID: ProposalID(w.Project), Funded: Money(w.Funded)})
		rec.Total += Money(w.Funded) // checkResult proved the sum fits the budget
	}
	for _, d := range res.Decisions {
		p := projects[d.Project]
		weight := ""
		if p.Weight != nil && p.Weight.Cmp(big.NewRat(1, 1)) != 0 {
			weight = ratString(p.Weight)
		}
		rec.Decisions = append(rec.Decisions, ProposalDecision{ProposalID: ProposalID(d.Project), Selected: d.Selected,
			Reason: d.Reason, Detail: d.Detail, Cost: Money(p.Cost), Weight: weight, Support: d.Support,
			Votes: d.Votes, Rank: d.Rank, Share: d.Share})
	}
	for _, tb := range res.TieBreaks {
		ids := make([]ProposalID, len(tb.Projects))
		for i, id := range tb.Projects {
			ids[i] = ProposalID(id)
		}
		rec.TieBreaks = append(rec.TieBreaks, TieBreak{ProposalIDs: ids, By: tb.By, Stage: tb.Stage})
	}
	if cm := res.Comparison; cm != nil {
		rec.Comparison = &AllocationComparison{PreferEqualShares: cm.PreferEqualShares,
			PreferGreedy: cm.PreferGreedy, Chosen: cm.Chosen}
	}
	if err := c.record(LotDrawn{CycleID: c.ID(), DistrictID: cmd.DistrictID, Seed: cmd.LotSeed}); err != nil {
		return err
	}
	return c.record(rec)
}

// checkResult asserts what the domain promises whatever the outcome rule does: winners are distinct eligible
// projects of the input, each funded at its public cost, their total is the result's total and within the
// budget, and every project has exactly one decision that agrees with the winners.
func checkResult(in outcome.Input, res outcome.Result) error {
	projects := make(map[string]outcome.Project, len(in.Projects))
	for _, p := range in.Projects {
		projects[p.ID] = p
	}
	won := map[string]bool{}
	var total int64
	for _, w := range res.Winners {
		p, ok := projects[w.Project]
		switch {
		case !ok:
			return internalf(nil, "outcome funded unknown project %q", w.Project)
		case p.Excluded != "":
			return internalf(nil, "outcome funded project %q, which is not eligible (%s)", w.Project, p.Excluded)
		case won[w.Project]:
			return internalf(nil, "outcome funded project %q twice", w.Project)
		case w.Funded != p.Cost:
			return internalf(nil, "outcome funded project %q with %d, not its cost %d", w.Project, w.Funded, p.Cost)
		}
		won[w.Project] = true
		sum, ok := addMoney(Money(total), Money(w.Funded))
		if !ok || int64(sum) > in.Budget {
			return newError(CodeInternal, []error{ErrOverBudget},
				"outcome funds more than the district budget %d", in.Budget)
		}
		total = int64(sum)
	}
	if res.TotalCost != total {
		return internalf(nil, "outcome reports a total of %d, but its winners cost %d", res.TotalCost, total)
	}
	decided := map[string]bool{}
	for _, d := range res.Decisions {
		if _, ok := projects[d.Project]; !ok || decided[d.Project] {
			return internalf(nil, "outcome decision for unknown or repeated project %q", d.Project)
		}
		decided[d.Project] = true
		if d.Selected != won[d.Project] {
			return internalf(nil, "outcome decision for project %q disagrees with its winners", d.Project)
		}
	}
	if len(decided) != len(projects) {
		return internalf(nil, "outcome decided %d of %d projects", len(decided), len(projects))
	}
	return nil
}

// OutcomeInput builds the outcome.Input of a district from the cycle, the district's proposals and ballots,
// and a lot seed: exactly what Allocate counts. Projections use it to rank proposals under the cycle's rule
// before allocation (with any seed; only the final tie-breaks by lot depend on it).
//
// Projects are the district's published proposals, ordered by ID, each with its public cost (cost minus
// pledges), its assessment weight, and an exclusion reason when it is withdrawn or fails an assessment gate.
// Proposals never published (submitted, rejected) were never on the ballot and are left out. Ballots are
// ordered by voter key; points are kept for cumulative and scoring ballots only.
//
// Errors: ErrUnknownCycle, ErrUnknownDistrict, and ErrInvalid for proposals or ballots that do not belong to
// the district, duplicates, or ballots naming proposals not among the district's published ones (those also
// match ErrUnknownProposal).
func OutcomeInput(c *Cycle, district DistrictID, proposals []*Proposal, ballots []*Ballot, lotSeed string) (outcome.Input, error) {
	if c == nil || !c.opened {
		return outcome.Input{}, errorf(CodeNotFound, ErrUnknownCycle, "the cycle is not opened")
	}
	d, ok := c.District(district)
	if !ok {
		return outcome.Input{}, errorf(CodeNotFound, ErrUnknownDistrict, "cycle %q has no district %q", c.ID(), district)
	}
	policy := c.config.Assessment
	in := outcome.Input{
		Budget:   int64(d.Budget),
		VoteType: c.config.BallotRule.VoteType(),
		Projects: []outcome.Project{},
		Ballots:  []outcome.Ballot{},
		Rule:     c.config.OutcomeRule,
		LotSeed:  lotSeed,
	}
	seen := map[ProposalID]bool{}
	for i, p := range proposals {
		switch {
		case p == nil || !p.submitted:
			return outcome.Input{}, invalidf("proposal #%d has no history", i+1)
		case p.cycle != c.ID() || p.district != district:
			return outcome.Input{}, invalidf("proposal %q belongs to %q/%q, not %q/%q", p.id, p.cycle, p.district, c.ID(), district)
		case seen[p.id]:
			return outcome.Input{}, invalidf("proposal %q is given twice", p.id)
		}
		seen[p.id] = true
		if p.status != StatusPublished {
			continue
		}
		in.Projects = append(in.Projects, outcome.Project{
			ID:       string(p.id),
			Cost:     int64(p.PublicCost()),
			Weight:   policy.Weight(p.MeanScore()),
			Excluded: exclusion(p, policy),
		})
		if in.Rule.TieBreak == outcome.TieOrderListOrder {
			in.Projects[len(in.Projects)-1].Position = p.content.ListPosition
		}
	}
	slices.SortFunc(in.Projects, func(a, b outcome.Project) int { return cmp.Compare(a.ID, b.ID) })
	listed := map[string]bool{}
	for _, p := range in.Projects {
		listed[p.ID] = true
	}
	if in.Rule.Name == outcome.GreedyExclusive {
		in.Rule.Exclusive = c.exclusiveGroups(district, listed)
	}
	voters := map[VoterKey]bool{}
	cumulative := in.VoteType == outcome.Cumulative || in.VoteType == outcome.Scoring
	for i, b := range ballots {
		switch {
		case b == nil || !b.cast:
			return outcome.Input{}, invalidf("ballot #%d has no history", i+1)
		case b.cycle != c.ID() || b.district != district:
			return outcome.Input{}, invalidf("the ballot of %q belongs to %q/%q, not %q/%q", b.voter, b.cycle, b.district, c.ID(), district)
		case voters[b.voter]:
			return outcome.Input{}, invalidf("voter %q has two ballots", b.voter)
		}
		voters[b.voter] = true
		ob := outcome.Ballot{Voter: string(b.voter), Choices: make([]outcome.Choice, 0, len(b.choices))}
		for _, ch := range b.choices {
			if !listed[string(ch.ProposalID)] {
				return outcome.Input{}, newError(CodeInvalid, []error{ErrInvalid, ErrUnknownProposal},
					"the ballot of %q names proposal %q, which is not among the published proposals of district %q",
					b.voter, ch.ProposalID, district)
			}
			oc := outcome.Choice{Project: string(ch.ProposalID)}
			if cumulative {
				oc.Points = ch.Points
			}
			ob.Choices = append(ob.Choices, oc)
		}
		in.Ballots = append(in.Ballots, ob)
	}
	slices.SortFunc(in.Ballots, func(a, b outcome.Ballot) int { return cmp.Compare(a.Voter, b.Voter) })
	return in, nil
}

// exclusion returns why a published proposal is not eligible under the policy, or "".
func exclusion(p *Proposal, policy AssessmentPolicy) string {
	if p.withdrawn {
		return "withdrawn by its author"
	}
	if policy.ExcludeInfeasible && p.infeasible {
		return "marked infeasible by the budget commission: " + p.infeasibleReason
	}
	if policy.MeanScoreGate {
		mean := p.MeanScore()
		if mean == nil {
			return "not assessed"
		}
		if mean.Cmp(new(big.Rat).SetInt64(policy.MinMeanScore)) < 0 {
			return fmt.Sprintf("mean assessment score %s is below the minimum %d", ratString(mean), policy.MinMeanScore)
		}
	}
	return ""
}
