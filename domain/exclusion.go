package domain

import (
	"slices"

	"github.com/pbledger/pbledger/domain/outcome"
)

// ExclusionGroupDeclared records a decision of the budget commission: the proposals of the group cannot all
// be built (they use the same site, say), so under the greedy-exclusive rule at most one of them is funded —
// the first the rule reaches that fits. Warsaw's commission rules so under § 46 of its participatory-budget
// regulation (Pabulib's greedy-exclusive files).
type ExclusionGroupDeclared struct {
	CycleID     CycleID      `json:"cycle_id"`
	DistrictID  DistrictID   `json:"district_id"`
	ProposalIDs []ProposalID `json:"proposal_ids"`
	// Official is who recorded the commission's decision; Reason is the decision's text.
	Official OfficialID `json:"official"`
	Reason   string     `json:"reason"`
}

// EventType returns EventExclusionGroupDeclared.
func (ExclusionGroupDeclared) EventType() string { return EventExclusionGroupDeclared }
func (ExclusionGroupDeclared) isEvent()          {}

// DeclareExclusionGroup declares that proposals of one district cannot all be built.
type DeclareExclusionGroup struct {
	CycleID     CycleID      `json:"cycle_id"`
	DistrictID  DistrictID   `json:"district_id"`
	ProposalIDs []ProposalID `json:"proposal_ids"`
	Official    OfficialID   `json:"official"`
	Reason      string       `json:"reason"`
}

// Validate checks the command on its own: at least two distinct proposals and a reason.
func (cmd DeclareExclusionGroup) Validate() error {
	for _, err := range []error{cmd.CycleID.Validate(), cmd.DistrictID.Validate(), cmd.Official.Validate()} {
		if err != nil {
			return err
		}
	}
	seen := map[ProposalID]bool{}
	for _, id := range cmd.ProposalIDs {
		if err := id.Validate(); err != nil {
			return err
		}
		if seen[id] {
			return invalidf("proposal %q is named twice in the exclusion group", id)
		}
		seen[id] = true
	}
	if len(seen) < 2 {
		return invalidf("an exclusion group names at least two proposals, not %d", len(seen))
	}
	return checkText("reason", cmd.Reason, true, true, MaxReasonLen)
}

// DeclareExclusionGroup records the group. The cycle's outcome rule must be greedy-exclusive; every proposal
// must have been submitted in the district; the district must not be allocated yet.
//
// Errors: ErrUnknownCycle; ErrInvalid (including a rule other than greedy-exclusive); ErrUnknownDistrict;
// ErrUnknownProposal (code invalid) for a proposal not in the district; ErrAlreadyAllocated.
func (c *Cycle) DeclareExclusionGroup(cmd DeclareExclusionGroup, proposals ProposalLookup) error {
	if err := c.check(cmd.CycleID); err != nil {
		return err
	}
	if err := cmd.Validate(); err != nil {
		return err
	}
	if c.config.OutcomeRule.Name != outcome.GreedyExclusive {
		return invalidf("cycle %q counts under %s; exclusion groups apply to %s only", c.ID(), c.config.OutcomeRule.Name, outcome.GreedyExclusive)
	}
	if _, ok := c.District(cmd.DistrictID); !ok {
		return errorf(CodeNotFound, ErrUnknownDistrict, "cycle %q has no district %q", c.ID(), cmd.DistrictID)
	}
	if _, done := c.allocations[cmd.DistrictID]; done {
		return errorf(CodeConflict, ErrAlreadyAllocated, "district %q of cycle %q is already allocated", cmd.DistrictID, c.ID())
	}
	for _, id := range cmd.ProposalIDs {
		var p *Proposal
		if proposals != nil {
			p, _ = proposals(id)
		}
		if p == nil || !p.Submitted() || p.CycleID() != cmd.CycleID || p.DistrictID() != cmd.DistrictID {
			return newError(CodeInvalid, []error{ErrInvalid, ErrUnknownProposal}, "proposal %q is not a proposal of district %q of cycle %q", id, cmd.DistrictID, cmd.CycleID)
		}
	}
	return c.record(ExclusionGroupDeclared{CycleID: cmd.CycleID, DistrictID: cmd.DistrictID,
		ProposalIDs: slices.Clone(cmd.ProposalIDs), Official: cmd.Official, Reason: cmd.Reason})
}

// ExclusionGroups returns the district's declared exclusion groups, in the order declared.
func (c *Cycle) ExclusionGroups(district DistrictID) [][]ProposalID {
	var out [][]ProposalID
	for _, g := range c.exclusions[district] {
		out = append(out, slices.Clone(g))
	}
	return out
}

// exclusiveGroups turns the district's declared groups into the rule's, keeping only the proposals listed
// in the input (published ones) and groups that still name two.
func (c *Cycle) exclusiveGroups(district DistrictID, listed map[string]bool) [][]string {
	var out [][]string
	for _, g := range c.exclusions[district] {
		var ids []string
		for _, id := range g {
			if listed[string(id)] {
				ids = append(ids, string(id))
			}
		}
		if len(ids) >= 2 {
			out = append(out, ids)
		}
	}
	return out
}
