package ledger

import (
	"context"
	"fmt"

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
// it names, never the whole log; a district without a trusted index (its cycle opened by a build older than
// indexes, and the log not reindexed since) is ErrNotIndexed.
func DistrictInput(ctx context.Context, store eventstore.Store, cycle domain.CycleID, district domain.DistrictID, until eventstore.Position) ([]*domain.Proposal, []*domain.Ballot, error) {
	idx, trusted, err := readIndex(ctx, store, cycle, district)
	if err != nil {
		return nil, nil, err
	}
	if !trusted {
		return nil, nil, fmt.Errorf("ledger: district %s of cycle %s: %w", district, cycle, ErrNotIndexed)
	}
	return indexedInput(ctx, store, cycle, district, until, idx)
}
