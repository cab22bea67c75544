package ledger

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/domain/outcome"
	"github.com/pbledger/pbledger/eventstore"
)

// Recount is a recorded allocation recomputed from the log: what was recorded, the outcome input rebuilt
// from the events before it, and the result of counting that input again under the recorded rule and lot.
type Recount struct {
	// Cycle is the cycle as it stood when the allocation was recorded.
	Cycle *domain.Cycle
	// Recorded is the AllocationRecorded event; Position is where it is in the log.
	Recorded domain.AllocationRecorded
	Position eventstore.Position
	// Input is the district's outcome input rebuilt from the log up to Position, with the recorded lot seed.
	Input outcome.Input
	// Result is outcome.Compute(Input).
	Result outcome.Result
}

// ErrNotAllocated is returned by RecountAllocation for a district with no recorded allocation.
var ErrNotAllocated = errors.New("ledger: the district is not allocated")

// RecountAllocation recomputes a district's recorded allocation from the log alone: it reads the cycle's
// stream up to the AllocationRecorded event, the district's proposals and the ballots cast while voting was
// open (DistrictInput up to that event), builds the outcome input exactly as the domain did when it
// recorded the allocation, and counts it again. It needs nothing but the store — no read model — so
// auditors' tools (pbledger export, verify) can call it on any copy of the log. Use Recount.Mismatch to
// compare.
func RecountAllocation(ctx context.Context, store eventstore.Store, cycle domain.CycleID, district domain.DistrictID) (*Recount, error) {
	stream := domain.CycleStream(cycle)
	c := &domain.Cycle{}
	var rc *Recount
	for from := eventstore.Revision(0); rc == nil; {
		recs, err := store.ReadStream(ctx, stream, eventstore.Forwards, from, 1000)
		if errors.Is(err, eventstore.ErrStreamNotFound) {
			return nil, fmt.Errorf("ledger: recount %s/%s: %w", cycle, district, domain.ErrUnknownCycle)
		}
		if err != nil {
			return nil, fmt.Errorf("ledger: recount %s/%s: %w", cycle, district, err)
		}
		if len(recs) == 0 {
			return nil, fmt.Errorf("recount %s/%s: %w", cycle, district, ErrNotAllocated)
		}
		for _, r := range recs {
			e, err := domain.Decode(r.Type, r.Data)
			if err != nil {
				return nil, fmt.Errorf("ledger: %s revision %d: %w", stream, r.Revision, err)
			}
			if a, ok := e.(domain.AllocationRecorded); ok && a.DistrictID == district {
				rc = &Recount{Cycle: c, Recorded: a, Position: r.Position}
				break
			}
			if err := c.Load(e); err != nil {
				return nil, fmt.Errorf("ledger: load cycle %s: %w", cycle, err)
			}
		}
		from = recs[len(recs)-1].Revision + 1
	}
	proposals, ballots, err := DistrictInput(ctx, store, cycle, district, rc.Position)
	if err != nil {
		return nil, err
	}
	rc.Input, err = domain.OutcomeInput(c, district, proposals, ballots, rc.Recorded.LotSeed)
	if err != nil {
		return nil, fmt.Errorf("ledger: recount %s/%s: %w", cycle, district, err)
	}
	rc.Result, err = outcome.Compute(rc.Input)
	if err != nil {
		return nil, fmt.Errorf("ledger: recount %s/%s: %w", cycle, district, err)
	}
	return rc, nil
}

// Mismatch returns "" when the recount agrees with the record — same input digest, rule, winners in the
// same order with the same amounts, total and ballots counted, and under Equal Shares the same per-voter
// budget and every winner's share — and otherwise says what differs first.
func (rc *Recount) Mismatch() string {
	rec, res := rc.Recorded, rc.Result
	switch {
	case res.InputDigest != rec.InputDigest:
		return fmt.Sprintf("input digest: recorded %s, recomputed %s", rec.InputDigest, res.InputDigest)
	case res.Rule.Name != rec.Rule.Name:
		return fmt.Sprintf("rule: recorded %s, recomputed %s", rec.Rule.Name, res.Rule.Name)
	case res.BallotsCounted != rec.BallotsCounted:
		return fmt.Sprintf("ballots counted: recorded %d, recomputed %d", rec.BallotsCounted, res.BallotsCounted)
	case res.TotalCost != int64(rec.Total):
		return fmt.Sprintf("total: recorded %d, recomputed %d", rec.Total, res.TotalCost)
	}
	recorded := make([]string, len(rec.Winners))
	for i, w := range rec.Winners {
		recorded[i] = fmt.Sprintf("%s=%d", w.ProposalID, w.Funded)
	}
	recomputed := make([]string, len(res.Winners))
	for i, w := range res.Winners {
		recomputed[i] = fmt.Sprintf("%s=%d", w.Project, w.Funded)
	}
	if !slices.Equal(recorded, recomputed) {
		return fmt.Sprintf("winners: recorded %v, recomputed %v", recorded, recomputed)
	}
	// Under Equal Shares the per-voter budget and each winner's share are the outcome's money too. Allocations
	// recorded by builds that did not record them have them empty, and are not held to them.
	if rec.PerVoterBudget != "" && rec.PerVoterBudget != res.PerVoterBudget {
		return fmt.Sprintf("per-voter budget: recorded %s, recomputed %s", rec.PerVoterBudget, res.PerVoterBudget)
	}
	shares := make(map[string]string, len(res.Decisions))
	for _, d := range res.Decisions {
		shares[d.Project] = d.Share
	}
	for _, d := range rec.Decisions {
		if want := shares[string(d.ProposalID)]; d.Share != "" && d.Share != want {
			return fmt.Sprintf("share of %s: recorded %s, recomputed %s", d.ProposalID, d.Share, want)
		}
	}
	return ""
}
