package pabulib

import (
	"fmt"

	"github.com/pbledger/pbledger/domain"
)

// Check runs the import's commands through the domain's own aggregates in memory — open the cycle, submit
// and publish every proposal, advance to voting, cast every ballot, advance to allocation and, if allocate,
// allocate the district with lotSeed — and returns the recorded allocation (nil unless allocate) or the first
// error, naming the project or voter. Nothing
// is stored: a file that passes Check imports completely, and one that fails writes nothing when the
// caller checks first. `pbledger outcome`, `import` and `corpus` use it so that the ledger and the offline
// count accept and refuse exactly the same files.
func (imp *Import) Check(allocate bool, lotSeed string) (*domain.AllocationRecorded, error) {
	c := &domain.Cycle{}
	if err := c.Open(imp.Cycle); err != nil {
		return nil, fmt.Errorf("open cycle %s: %w", imp.Cycle.CycleID, err)
	}
	proposals := make([]*domain.Proposal, 0, len(imp.Proposals))
	for _, sp := range imp.Proposals {
		p := &domain.Proposal{}
		if err := p.Submit(c, sp); err != nil {
			return nil, fmt.Errorf("project %s: %w", sp.ExternalRef, err)
		}
		if err := p.Publish(c, domain.PublishProposal{ProposalID: sp.ProposalID, Moderator: "import"}); err != nil {
			return nil, fmt.Errorf("project %s: %w", sp.ExternalRef, err)
		}
		proposals = append(proposals, p)
	}
	lookup := domain.Proposals(proposals...)
	for _, x := range imp.Exclusions {
		if err := c.DeclareExclusionGroup(x, lookup); err != nil {
			return nil, fmt.Errorf("exclusion group: %w", err)
		}
	}
	if err := c.AdvancePhase(domain.AdvancePhase{CycleID: imp.Cycle.CycleID, To: domain.PhaseVoting}); err != nil {
		return nil, err
	}
	ballots := make([]*domain.Ballot, 0, len(imp.Ballots))
	for _, cb := range imp.Ballots {
		b := &domain.Ballot{}
		if err := b.Cast(c, lookup, cb); err != nil {
			return nil, fmt.Errorf("ballot of voter %s: %w", cb.Voter, err)
		}
		ballots = append(ballots, b)
	}
	if err := c.AdvancePhase(domain.AdvancePhase{CycleID: imp.Cycle.CycleID, To: domain.PhaseAllocation}); err != nil {
		return nil, err
	}
	if !allocate {
		return nil, nil
	}
	cmd := domain.AllocateDistrict{CycleID: imp.Cycle.CycleID, DistrictID: imp.Cycle.Districts[0].ID, LotSeed: lotSeed}
	if err := c.Allocate(cmd, proposals, ballots); err != nil {
		return nil, fmt.Errorf("allocate: %w", err)
	}
	a, _ := c.Allocation(cmd.DistrictID)
	return &a, nil
}
