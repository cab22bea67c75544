package ledger

import (
	"context"
	"fmt"
	"strings"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/eventstore"
)

// DistrictInput reads from the log, up to and including position until, everything a district's outcome
// depends on: all of its proposals, and the current ballot of every voter as it stood when voting closed.
// Ballots recorded after the event that ended the voting phase are not counted, whoever wrote them.
func (s *Service) DistrictInput(ctx context.Context, cycle domain.CycleID, district domain.DistrictID, until eventstore.Position) ([]*domain.Proposal, []*domain.Ballot, error) {
	return DistrictInput(ctx, s.store, cycle, district, until)
}

// DistrictInput is Service.DistrictInput for any store. It reads the district's index stream and the streams
// it names; only a district whose cycle was opened before indexes were written costs a scan of the log.
func DistrictInput(ctx context.Context, store eventstore.Store, cycle domain.CycleID, district domain.DistrictID, until eventstore.Position) ([]*domain.Proposal, []*domain.Ballot, error) {
	idx, trusted, err := readIndex(ctx, store, cycle, district)
	if err != nil {
		return nil, nil, err
	}
	if trusted {
		return indexedInput(ctx, store, cycle, district, until, idx)
	}
	return scanInput(ctx, store, cycle, district, until)
}

// scanInput is DistrictInput by a scan of the whole log, for districts without a trusted index.
func scanInput(ctx context.Context, store eventstore.Store, cycle domain.CycleID, district domain.DistrictID, until eventstore.Position) ([]*domain.Proposal, []*domain.Ballot, error) {
	cycleStream := domain.CycleStream(cycle)
	ballotPrefix := domain.BallotStream(cycle, district, "")
	proposalEvents := map[domain.ProposalID][]domain.Event{}
	var proposalOrder []domain.ProposalID
	ballotEvents := map[domain.VoterKey][]domain.Event{}
	var voterOrder []domain.VoterKey
	votingOver := false
	for from := eventstore.Position(0); ; {
		recs, err := store.ReadAll(ctx, from, 4096)
		if err != nil {
			return nil, nil, fmt.Errorf("ledger: read the log for %s/%s: %w", cycle, district, err)
		}
		if len(recs) == 0 {
			break
		}
		for _, r := range recs {
			if r.Position > until {
				goto done
			}
			switch {
			case r.StreamID == cycleStream:
				if r.Type != domain.EventPhaseAdvanced {
					continue
				}
				e, err := domain.Decode(r.Type, r.Data)
				if err != nil {
					return nil, nil, fmt.Errorf("ledger: position %d: %w", r.Position, err)
				}
				if e.(domain.PhaseAdvanced).From == domain.PhaseVoting {
					votingOver = true
				}
			case strings.HasPrefix(r.StreamID, domain.ProposalStreamPrefix):
				e, err := domain.Decode(r.Type, r.Data)
				if err != nil {
					return nil, nil, fmt.Errorf("ledger: position %d: %w", r.Position, err)
				}
				id := domain.ProposalID(strings.TrimPrefix(r.StreamID, domain.ProposalStreamPrefix))
				if _, seen := proposalEvents[id]; !seen {
					if sub, ok := e.(domain.ProposalSubmitted); !ok || sub.CycleID != cycle || sub.DistrictID != district {
						continue // another cycle's or district's proposal
					}
					proposalOrder = append(proposalOrder, id)
				}
				proposalEvents[id] = append(proposalEvents[id], e)
			case !votingOver && strings.HasPrefix(r.StreamID, ballotPrefix):
				_, _, voter, ok := domain.ParseBallotStream(r.StreamID)
				if !ok || domain.BallotStream(cycle, district, voter) != r.StreamID {
					continue
				}
				e, err := domain.Decode(r.Type, r.Data)
				if err != nil {
					return nil, nil, fmt.Errorf("ledger: position %d: %w", r.Position, err)
				}
				if _, seen := ballotEvents[voter]; !seen {
					voterOrder = append(voterOrder, voter)
				}
				ballotEvents[voter] = append(ballotEvents[voter], e)
			}
		}
		from = recs[len(recs)-1].Position + 1
	}
done:
	proposals := make([]*domain.Proposal, 0, len(proposalOrder))
	for _, id := range proposalOrder {
		p := &domain.Proposal{}
		if err := p.Load(proposalEvents[id]...); err != nil {
			return nil, nil, fmt.Errorf("ledger: proposal %s: %w", id, err)
		}
		proposals = append(proposals, p)
	}
	ballots := make([]*domain.Ballot, 0, len(voterOrder))
	for _, v := range voterOrder {
		b := &domain.Ballot{}
		if err := b.Load(ballotEvents[v]...); err != nil {
			return nil, nil, fmt.Errorf("ledger: ballot of %s: %w", v, err)
		}
		ballots = append(ballots, b)
	}
	return proposals, ballots, nil
}
