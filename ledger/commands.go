package ledger

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/eventstore"
)

// cycleCommand runs a command on a cycle: exclusive on the cycle, on a fresh copy loaded from the store.
func (s *Service) cycleCommand(ctx context.Context, req Request, id domain.CycleID, command string, fn func(c *domain.Cycle) error) (Written, error) {
	return s.cycleCommandThen(ctx, req, id, command, fn, nil)
}

// cycleCommandThen is cycleCommand with a step run after the domain accepted the command and before its
// events are appended (OpenCycle writes the districts' indexes there).
func (s *Service) cycleCommandThen(ctx context.Context, req Request, id domain.CycleID, command string, fn func(c *domain.Cycle) error, before func(c *domain.Cycle) error) (Written, error) {
	if err := id.Validate(); err != nil {
		return Written{}, err
	}
	req = req.stamped()
	return s.idempotent(ctx, req, domain.CycleStream(id), nil, func() (Written, error) {
		e := s.cycleEntry(id)
		e.lock.Lock()
		defer e.lock.Unlock()
		c, err := s.loadCycle(ctx, id)
		if err != nil {
			return Written{}, err
		}
		stream := domain.CycleStream(id)
		if err := checkIfMatch(req, stream, c.Version()); err != nil {
			return Written{}, err
		}
		if err := fn(c); err != nil {
			return Written{}, err
		}
		if before != nil {
			if err := before(c); err != nil {
				return Written{}, err
			}
		}
		w, err := s.append(ctx, req, command, stream, expected(c.Version()), c.Changes())
		if err != nil {
			e.cur.Store(nil) // reload next time: the store is the truth
			return Written{}, err
		}
		c.ClearChanges()
		e.cur.Store(c)
		return w, nil
	})
}

// proposalCommand runs a command on a proposal: shared on its cycle (so a phase change waits for it),
// exclusive on the proposal, on a fresh copy loaded from the store. cycle is the cycle named by a submission;
// for other commands it is the proposal's own.
func (s *Service) proposalCommand(ctx context.Context, req Request, id domain.ProposalID, cycle domain.CycleID, command string, fn func(c *domain.Cycle, p *domain.Proposal) error) (Written, error) {
	if err := id.Validate(); err != nil {
		return Written{}, err
	}
	req = req.stamped()
	return s.idempotent(ctx, req, domain.ProposalStream(id), nil, func() (Written, error) {
		if cycle == "" {
			p, err := s.currentProposal(ctx, id)
			if err != nil {
				return Written{}, err
			}
			if !p.Submitted() {
				return Written{}, &domain.Error{Code: domain.CodeNotFound, Message: fmt.Sprintf("proposal %q does not exist", id), Err: domain.ErrUnknownProposal}
			}
			cycle = p.CycleID()
		}
		if err := cycle.Validate(); err != nil {
			return Written{}, err
		}
		ce, missing, err := s.openedCycle(ctx, cycle)
		if err != nil {
			return Written{}, err
		}
		if ce == nil {
			return Written{}, unknownCycle(cycle, fn(missing, &domain.Proposal{})) // the domain says why
		}
		ce.lock.RLock()
		defer ce.lock.RUnlock()
		c, err := s.currentCycle(ctx, cycle, ce)
		if err != nil {
			return Written{}, err
		}
		pe := s.proposalEntry(id)
		pe.mu.Lock()
		defer pe.mu.Unlock()
		p, err := s.loadProposal(ctx, id)
		if err != nil {
			return Written{}, err
		}
		stream := domain.ProposalStream(id)
		if err := checkIfMatch(req, stream, p.Version()); err != nil {
			return Written{}, err
		}
		if err := fn(c, p); err != nil {
			return Written{}, err
		}
		if p.Version() == 0 { // a submission: announce it in its district's index first
			if err := s.indexAppend(ctx, req, IndexStream(p.CycleID(), p.DistrictID()), EventProposalsIndexed, ProposalsIndexed{Proposals: []domain.ProposalID{id}}); err != nil {
				return Written{}, err
			}
		}
		w, err := s.append(ctx, req, command, stream, expected(p.Version()), p.Changes())
		if err != nil {
			pe.cur.Store(nil)
			return Written{}, err
		}
		p.ClearChanges()
		pe.cur.Store(p)
		return w, nil
	})
}

// OpenCycle opens a budget round.
func (s *Service) OpenCycle(ctx context.Context, req Request, cmd domain.OpenCycle) (Written, error) {
	if err := checkCalendar(cmd); err != nil {
		return Written{}, err
	}
	return s.cycleCommandThen(ctx, req, cmd.CycleID, "OpenCycle", func(c *domain.Cycle) error { return c.Open(cmd) },
		func(c *domain.Cycle) error {
			for _, d := range cmd.Districts {
				if err := s.indexAppend(ctx, req, IndexStream(cmd.CycleID, d.ID), EventDistrictIndexOpened, IndexOpened{CycleID: cmd.CycleID, DistrictID: d.ID}); err != nil {
					return err
				}
			}
			return nil
		})
}

// AdvancePhase moves a cycle to its next phase. It waits for the ballots and proposal commands in flight on
// the cycle, so none is accepted after the phase that allowed it has ended.
func (s *Service) AdvancePhase(ctx context.Context, req Request, cmd domain.AdvancePhase) (Written, error) {
	req = req.stamped()
	cmd.At = req.At
	return s.cycleCommand(ctx, req, cmd.CycleID, "AdvancePhase", func(c *domain.Cycle) error { return c.AdvancePhase(cmd) })
}

// ReschedulePhase moves the date a phase of a cycle begins (extends or shortens the phase before it).
func (s *Service) ReschedulePhase(ctx context.Context, req Request, cmd domain.ReschedulePhase) (Written, error) {
	req = req.stamped()
	cmd.At = req.At
	return s.cycleCommand(ctx, req, cmd.CycleID, "ReschedulePhase", func(c *domain.Cycle) error {
		if loc, err := time.LoadLocation(c.TimeZone()); err == nil && c.TimeZone() != "" {
			if err := checkOffset(loc, c.TimeZone(), fmt.Sprintf("starts: phase %q would start", cmd.Phase), cmd.Starts); err != nil {
				return err
			}
		}
		return c.ReschedulePhase(cmd)
	})
}

// RegisterAssessor registers an assessor for a cycle.
func (s *Service) RegisterAssessor(ctx context.Context, req Request, cmd domain.RegisterAssessor) (Written, error) {
	return s.cycleCommand(ctx, req, cmd.CycleID, "RegisterAssessor", func(c *domain.Cycle) error { return c.RegisterAssessor(cmd) })
}

// DeclareExclusionGroup records the budget commission's decision that proposals of a district cannot all be
// built (greedy-exclusive). It reads the named proposals' own streams.
func (s *Service) DeclareExclusionGroup(ctx context.Context, req Request, cmd domain.DeclareExclusionGroup) (Written, error) {
	if err := cmd.Validate(); err != nil {
		return Written{}, err
	}
	proposals := make([]*domain.Proposal, 0, len(cmd.ProposalIDs))
	for _, id := range cmd.ProposalIDs {
		p, err := s.loadProposal(ctx, id)
		if err != nil {
			return Written{}, err
		}
		proposals = append(proposals, p)
	}
	return s.cycleCommand(ctx, req, cmd.CycleID, "DeclareExclusionGroup", func(c *domain.Cycle) error {
		return c.DeclareExclusionGroup(cmd, domain.Proposals(proposals...))
	})
}

// Allocate computes and records a district's allocation: it draws the lot, reads from the log every proposal
// of the district and every ballot cast while voting was open, and lets the cycle's outcome rule decide.
func (s *Service) Allocate(ctx context.Context, req Request, cycle domain.CycleID, district domain.DistrictID) (Written, error) {
	return s.cycleCommand(ctx, req, cycle, "Allocate", func(c *domain.Cycle) error {
		seed, err := NewLotSeed()
		if err != nil {
			return err
		}
		cmd := domain.AllocateDistrict{CycleID: cycle, DistrictID: district, LotSeed: seed}
		if _, ok := c.District(district); !ok || c.Phase() != domain.PhaseAllocation {
			return c.Allocate(cmd, nil, nil) // the domain says what is wrong
		}
		proposals, ballots, err := s.DistrictInput(ctx, cycle, district, eventstore.Position(^uint64(0)))
		if err != nil {
			return err
		}
		return c.Allocate(cmd, proposals, ballots)
	})
}

// SubmitProposal submits a proposal; cmd.Author is the resident's voter key.
func (s *Service) SubmitProposal(ctx context.Context, req Request, cmd domain.SubmitProposal) (Written, error) {
	if err := cmd.CycleID.Validate(); err != nil {
		return Written{}, err
	}
	return s.proposalCommand(ctx, req, cmd.ProposalID, cmd.CycleID, "SubmitProposal", func(c *domain.Cycle, p *domain.Proposal) error {
		return p.Submit(c, cmd)
	})
}

// ReviseProposal revises a proposal's text during submission.
func (s *Service) ReviseProposal(ctx context.Context, req Request, cmd domain.ReviseProposal) (Written, error) {
	return s.proposalCommand(ctx, req, cmd.ProposalID, "", "ReviseProposal", func(c *domain.Cycle, p *domain.Proposal) error {
		return p.Revise(c, cmd)
	})
}

// PublishProposal publishes a proposal.
func (s *Service) PublishProposal(ctx context.Context, req Request, cmd domain.PublishProposal) (Written, error) {
	return s.proposalCommand(ctx, req, cmd.ProposalID, "", "PublishProposal", func(c *domain.Cycle, p *domain.Proposal) error {
		return p.Publish(c, cmd)
	})
}

// RejectProposal rejects a proposal with a reason.
func (s *Service) RejectProposal(ctx context.Context, req Request, cmd domain.RejectProposal) (Written, error) {
	return s.proposalCommand(ctx, req, cmd.ProposalID, "", "RejectProposal", func(c *domain.Cycle, p *domain.Proposal) error {
		return p.Reject(c, cmd)
	})
}

// WithdrawProposal withdraws a proposal at its author's request.
func (s *Service) WithdrawProposal(ctx context.Context, req Request, cmd domain.WithdrawProposal) (Written, error) {
	return s.proposalCommand(ctx, req, cmd.ProposalID, "", "WithdrawProposal", func(c *domain.Cycle, p *domain.Proposal) error {
		return p.Withdraw(c, cmd)
	})
}

// ScoreProposal records an assessor's score.
func (s *Service) ScoreProposal(ctx context.Context, req Request, cmd domain.ScoreProposal) (Written, error) {
	return s.proposalCommand(ctx, req, cmd.ProposalID, "", "ScoreProposal", func(c *domain.Cycle, p *domain.Proposal) error {
		return p.Score(c, cmd)
	})
}

// MarkInfeasible records the budget commission's finding that a proposal cannot be done.
func (s *Service) MarkInfeasible(ctx context.Context, req Request, cmd domain.MarkInfeasible) (Written, error) {
	return s.proposalCommand(ctx, req, cmd.ProposalID, "", "MarkInfeasible", func(c *domain.Cycle, p *domain.Proposal) error {
		return p.MarkInfeasible(c, cmd)
	})
}

// MarkFeasible reverses MarkInfeasible.
func (s *Service) MarkFeasible(ctx context.Context, req Request, cmd domain.MarkFeasible) (Written, error) {
	return s.proposalCommand(ctx, req, cmd.ProposalID, "", "MarkFeasible", func(c *domain.Cycle, p *domain.Proposal) error {
		return p.MarkFeasible(c, cmd)
	})
}

// PledgeCoFinancing records a pledge of co-financing.
func (s *Service) PledgeCoFinancing(ctx context.Context, req Request, cmd domain.PledgeCoFinancing) (Written, error) {
	return s.proposalCommand(ctx, req, cmd.ProposalID, "", "PledgeCoFinancing", func(c *domain.Cycle, p *domain.Proposal) error {
		return p.Pledge(c, cmd)
	})
}

// ReportMilestone records the state of a funded proposal's milestone.
func (s *Service) ReportMilestone(ctx context.Context, req Request, cmd domain.ReportMilestone) (Written, error) {
	return s.proposalCommand(ctx, req, cmd.ProposalID, "", "ReportMilestone", func(c *domain.Cycle, p *domain.Proposal) error {
		return p.ReportMilestone(c, cmd)
	})
}

// CastBallot casts or replaces a ballot; cmd.Voter is the resident's voter key.
func (s *Service) CastBallot(ctx context.Context, req Request, cmd domain.CastBallot) (Written, error) {
	if err := cmd.Validate(); err != nil {
		return Written{}, err
	}
	req = req.stamped()
	cmd.At = req.At
	stream := domain.BallotStream(cmd.CycleID, cmd.DistrictID, cmd.Voter)
	counted := func(w Written) error { return s.ballotCounted(ctx, cmd.CycleID, w.Position) }
	return s.idempotent(ctx, req, stream, counted, func() (Written, error) {
		ce, missing, err := s.openedCycle(ctx, cmd.CycleID)
		if err != nil {
			return Written{}, err
		}
		if ce == nil {
			return Written{}, unknownCycle(cmd.CycleID, (&domain.Ballot{}).Cast(missing, func(domain.ProposalID) (*domain.Proposal, bool) { return nil, false }, cmd))
		}
		ce.lock.RLock()
		defer ce.lock.RUnlock()
		c, err := s.currentCycle(ctx, cmd.CycleID, ce)
		if err != nil {
			return Written{}, err
		}
		var lookupErr error
		lookup := func(id domain.ProposalID) (*domain.Proposal, bool) {
			if id.Validate() != nil {
				return nil, false
			}
			p, err := s.currentProposal(ctx, id)
			if err != nil {
				lookupErr = err
				return nil, false
			}
			return p, p.Submitted()
		}
		evs, err := s.readStream(ctx, stream)
		if err != nil {
			return Written{}, err
		}
		b := &domain.Ballot{}
		if err := b.Load(evs...); err != nil {
			return Written{}, fmt.Errorf("ledger: load %s: %w", stream, err)
		}
		if err := checkIfMatch(req, stream, b.Version()); err != nil {
			return Written{}, err
		}
		if err := b.Cast(c, lookup, cmd); err != nil {
			if lookupErr != nil {
				return Written{}, lookupErr
			}
			return Written{}, err
		}
		if b.Version() == 0 && !c.LimitsDistricts() {
			// The voter's first ballot here: announce it in the district's index first.
			if err := s.indexAppend(ctx, req, IndexStream(cmd.CycleID, cmd.DistrictID), EventVotersIndexed, oneVoterIndexed(cmd.Voter)); err != nil {
				return Written{}, err
			}
		} else if b.Version() == 0 {
			// The same, while the district claim is made (an entry whose ballot never comes is skipped by
			// readers, so a refused claim leaves no harm).
			indexed := make(chan error, 1)
			go func() {
				indexed <- s.indexAppend(ctx, req, IndexStream(cmd.CycleID, cmd.DistrictID), EventVotersIndexed, oneVoterIndexed(cmd.Voter))
			}()
			claimErr := s.claimDistrict(ctx, req, c, cmd)
			indexErr := <-indexed
			if claimErr != nil {
				return Written{}, claimErr
			}
			if indexErr != nil {
				return Written{}, indexErr
			}
		}
		w, err := s.append(ctx, req, "CastBallot", stream, expected(b.Version()), b.Changes())
		if errors.Is(err, eventstore.ErrWrongExpectedRevision) && req.IfMatch == nil {
			// Two ballots of one voter raced: the other one is the voter's ballot.
			return Written{}, &domain.Error{Code: domain.CodeConflict, Err: domain.ErrBallotExists,
				Message: fmt.Sprintf("voter %q cast another ballot in district %q at the same moment", cmd.Voter, cmd.DistrictID)}
		}
		if err != nil {
			return w, err
		}
		return w, s.votingStillOpen(ctx, ce, c, w.Position)
	})
}

// votingStillOpen checks, after a ballot was appended at position pos, that no event closing the vote was
// recorded before it: another writer may have closed voting after c was read. Such a ballot is in the log
// but is not counted (allocation counts only ballots before the close), so the caller is told voting closed.
func (s *Service) votingStillOpen(ctx context.Context, ce *cycleEntry, c *domain.Cycle, pos eventstore.Position) error {
	stream := domain.CycleStream(c.ID())
	recs, err := s.store.ReadStream(context.WithoutCancel(ctx), stream, eventstore.Forwards, eventstore.Revision(c.Version()), 1000)
	if err != nil {
		return fmt.Errorf("ledger: read %s: %w", stream, err)
	}
	if len(recs) == 0 {
		return nil
	}
	ce.cur.CompareAndSwap(c, nil) // stale: reload next time
	return closedBefore(c.ID(), recs, pos)
}

// ballotCounted says whether a ballot recorded at pos counts: ErrVotingClosed if the cycle's vote was closed
// before it.
func (s *Service) ballotCounted(ctx context.Context, cycle domain.CycleID, pos eventstore.Position) error {
	stream := domain.CycleStream(cycle)
	recs, err := s.store.ReadStream(ctx, stream, eventstore.Forwards, 0, 100_000)
	if err != nil {
		return fmt.Errorf("ledger: read %s: %w", stream, err)
	}
	return closedBefore(cycle, recs, pos)
}

// closedBefore returns ErrVotingClosed if recs, events of the cycle's stream, hold the end of voting at a
// position before pos.
func closedBefore(cycle domain.CycleID, recs []eventstore.RecordedEvent, pos eventstore.Position) error {
	stream := domain.CycleStream(cycle)
	for _, r := range recs {
		if r.Type != domain.EventPhaseAdvanced || r.Position > pos {
			continue
		}
		e, err := domain.Decode(r.Type, r.Data)
		if err != nil {
			return fmt.Errorf("ledger: %s revision %d: %w", stream, r.Revision, err)
		}
		if e.(domain.PhaseAdvanced).From == domain.PhaseVoting {
			return &domain.Error{Code: domain.CodeConflict, Err: domain.ErrVotingClosed,
				Message: fmt.Sprintf("voting in cycle %q closed before this ballot was recorded; it is not counted", cycle)}
		}
	}
	return nil
}

// unknownCycle returns the domain's error for a command on a cycle that was never opened (the domain checks
// the command first, so a malformed one says so), and never nil.
func unknownCycle(id domain.CycleID, err error) error {
	if err != nil {
		return err
	}
	return &domain.Error{Code: domain.CodeNotFound, Message: fmt.Sprintf("cycle %q does not exist", id), Err: domain.ErrUnknownCycle}
}
