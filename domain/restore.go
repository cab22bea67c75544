package domain

import (
	"maps"
	"slices"
	"time"
)

// Restoring aggregates from their State lets a projection persist its checkpoint as plain data and carry on
// from it, instead of replaying the whole log on every start. A restored aggregate is indistinguishable from
// one loaded from the events that produced the state: same State, same answers to commands, same Version.

// RestoreCycle rebuilds a Cycle from a State snapshot and its Version.
func RestoreCycle(st CycleState, version int) (*Cycle, error) {
	if st.ID == "" {
		return &Cycle{version: version}, nil
	}
	if len(st.Plan) == 0 || !slices.Contains(st.Plan, st.Phase) {
		return nil, internalf(nil, "restore cycle %q: phase %q is not in its plan", st.ID, st.Phase)
	}
	c := &Cycle{
		opened: true,
		config: CycleOpened{
			CycleID: st.ID, Name: st.Name, Names: maps.Clone(st.Names), Currency: st.Currency, CurrencyExponent: st.CurrencyExponent,
			Districts: cloneDistricts(st.Districts), Plan: slices.Clone(st.Plan), BallotRule: st.BallotRule,
			OutcomeRule: st.OutcomeRule, Assessment: cloneAssessment(st.Assessment),
			AllowBallotReplacement: st.AllowBallotReplacement, PortalURL: st.PortalURL,
			TimeZone: st.TimeZone, Schedule: slices.Clone(st.Schedule),
			ResidentPolicy: st.ResidentPolicy,
		},
		phase:       st.Phase,
		assessors:   maps.Clone(st.Assessors),
		lots:        maps.Clone(st.LotSeeds),
		allocations: map[DistrictID]AllocationRecorded{},
		funded:      map[ProposalID]Money{},
		version:     version,
	}
	if c.assessors == nil {
		c.assessors = map[AssessorID]AssessorRole{}
	}
	c.schedule = map[Phase]time.Time{}
	for _, d := range st.Schedule {
		c.schedule[d.Phase] = d.Starts
	}
	if c.lots == nil {
		c.lots = map[DistrictID]string{}
	}
	for id, a := range st.Allocations {
		c.allocations[id] = cloneAllocation(a)
		for _, w := range a.Winners {
			c.funded[w.ProposalID] = w.Funded
		}
	}
	return c, nil
}

// RestoreProposal rebuilds a Proposal from a State snapshot and its Version.
func RestoreProposal(st ProposalState, version int) (*Proposal, error) {
	if st.ID == "" {
		return &Proposal{version: version}, nil
	}
	p := &Proposal{
		submitted: true, id: st.ID, cycle: st.CycleID, district: st.DistrictID, author: st.Author,
		content: st.ProposalContent.clone(), personal: cloneSealed(st.Personal), revision: st.Revision,
		status: st.Status, moderator: st.Moderator, rejectionReason: st.RejectionReason,
		withdrawn: st.Withdrawn, withdrawalReason: st.WithdrawalReason,
		scores:     map[AssessorID]ProposalScored{},
		infeasible: st.Infeasible, infeasibleReason: st.InfeasibleReason,
		milestones: map[MilestoneID]Milestone{},
		version:    version,
	}
	for _, s := range st.Scores {
		p.scores[s.AssessorID] = ProposalScored{ProposalID: st.ID, CycleID: st.CycleID, DistrictID: st.DistrictID,
			AssessorID: s.AssessorID, Role: s.Role, Score: s.Score, Criteria: slices.Clone(s.Criteria), Comment: s.Comment}
	}
	for _, pl := range st.Pledges {
		p.pledges = append(p.pledges, CoFinancingPledged{ProposalID: st.ID, CycleID: st.CycleID, DistrictID: st.DistrictID,
			PledgeID: pl.PledgeID, Pledger: pl.Pledger, PledgerKind: pl.PledgerKind, Amount: pl.Amount})
		p.pledged += pl.Amount
	}
	if p.pledged != st.Pledged {
		return nil, internalf(nil, "restore proposal %q: pledges sum to %d, the state says %d", st.ID, p.pledged, st.Pledged)
	}
	for _, m := range st.Milestones {
		p.milestones[m.MilestoneID] = m
		p.milestoneOrder = append(p.milestoneOrder, m.MilestoneID)
	}
	return p, nil
}

// RestoreBallot rebuilds a Ballot from a State snapshot and its Version.
func RestoreBallot(st BallotState, version int) (*Ballot, error) {
	if st.Voter == "" {
		return &Ballot{version: version}, nil
	}
	return &Ballot{
		cast: true, cycle: st.CycleID, district: st.DistrictID, voter: st.Voter,
		choices: slices.Clone(st.Choices), replacements: st.Replacements, version: version,
	}, nil
}
