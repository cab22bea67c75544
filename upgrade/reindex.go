// Package upgrade holds the one-off steps that bring a log written by an older build up to what this build
// expects. They may read the whole log: they are run once, by `pbledger reindex` or by serve at start in the
// background, never on the write path.
package upgrade

import (
	"context"
	"fmt"
	"strings"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/ledger"
)

// Reindex gives every district of the log an index it can trust. A district whose cycle was opened by a
// build that wrote no index (its index stream lacks DistrictIndexOpened) gets, in one append, an entry for
// each of its proposal and ballot streams the index does not name yet, then DistrictIndexOpened, which marks
// the index complete. Districts indexed already are left alone, so a second run does nothing.
//
// It reads the whole log once: it is a one-off upgrade step, not part of any command. It may run while
// servers of this build write (a KurrentDB store shared by several): they announce each new stream in the
// index before writing it, so a stream written after the scan is named by its own entry, and one written
// before it is named by Reindex only if its entry is missing. The append expects the index stream's revision
// as read; if an entry lands meanwhile, the district is read and done again. So each stream is named exactly
// once. Servers of older builds, which write no entries, must be stopped first.
func Reindex(ctx context.Context, store eventstore.Store, req ledger.Request) ([]ledger.Reindexed, error) {
	type streams struct {
		cycle     domain.CycleID
		district  domain.DistrictID
		proposals []domain.ProposalID
		voters    []domain.VoterKey
		seenV     map[domain.VoterKey]bool
	}
	type districtKey struct {
		cycle    domain.CycleID
		district domain.DistrictID
	}
	legacy := map[districtKey]*streams{} // the districts found without a trusted index
	var order []districtKey
	key := func(c domain.CycleID, d domain.DistrictID) districtKey { return districtKey{c, d} }
	for from := eventstore.Position(0); ; {
		recs, err := store.ReadAll(ctx, from, 4096)
		if err != nil {
			return nil, fmt.Errorf("upgrade: reindex: read the log: %w", err)
		}
		if len(recs) == 0 {
			break
		}
		for _, r := range recs {
			switch {
			case r.Type == domain.EventCycleOpened && strings.HasPrefix(r.StreamID, domain.CycleStreamPrefix):
				e, err := domain.Decode(r.Type, r.Data)
				if err != nil {
					return nil, fmt.Errorf("upgrade: reindex: position %d: %w", r.Position, err)
				}
				opened := e.(domain.CycleOpened)
				for _, d := range opened.Districts {
					trusted, err := ledger.IndexTrusted(ctx, store, opened.CycleID, d.ID)
					if err != nil {
						return nil, err
					}
					if k := key(opened.CycleID, d.ID); !trusted && legacy[k] == nil {
						legacy[k] = &streams{cycle: opened.CycleID, district: d.ID, seenV: map[domain.VoterKey]bool{}}
						order = append(order, k)
					}
				}
			case r.Type == domain.EventProposalSubmitted && strings.HasPrefix(r.StreamID, domain.ProposalStreamPrefix):
				e, err := domain.Decode(r.Type, r.Data)
				if err != nil {
					return nil, fmt.Errorf("upgrade: reindex: position %d: %w", r.Position, err)
				}
				sub := e.(domain.ProposalSubmitted)
				if s := legacy[key(sub.CycleID, sub.DistrictID)]; s != nil && r.Revision == 0 {
					s.proposals = append(s.proposals, domain.ProposalID(strings.TrimPrefix(r.StreamID, domain.ProposalStreamPrefix)))
				}
			case r.Revision == 0:
				c, d, voter, ok := domain.ParseBallotStream(r.StreamID)
				if !ok || domain.BallotStream(c, d, voter) != r.StreamID {
					continue
				}
				if s := legacy[key(c, d)]; s != nil && !s.seenV[voter] {
					s.seenV[voter] = true
					s.voters = append(s.voters, voter)
				}
			}
		}
		from = recs[len(recs)-1].Position + 1
	}
	var done []ledger.Reindexed
	for _, k := range order {
		s := legacy[k]
		r, err := ledger.ReindexDistrict(ctx, store, req, s.cycle, s.district, s.proposals, s.voters)
		if err != nil {
			return done, err
		}
		done = append(done, r)
	}
	return done, nil
}
