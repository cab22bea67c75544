package projections

import (
	"cmp"
	"slices"

	"github.com/pbledger/pbledger/domain"
)

// ErrWithheld is wrapped (code conflict) by reads of what a cycle withholds while voting is open, such as
// the Pabulib export, whose votes section would reveal the ballots.
var ErrWithheld = &domain.Error{Code: domain.CodeConflict, Message: "this cycle hides results and ballots until voting closes"}

// Withheld reports whether the public may not see cycle's results and ballot choices now: the cycle declared
// hide_results_during_voting and voting has not closed (domain.Cycle.ResultsWithheld). It is the one
// predicate every public view uses — rankings, proposal vote counts, the Pabulib export, the event feed and
// the page — and the one any other adapter (a verifiable tree, a gRPC endpoint) must use too. The events are
// in the log all along; only what is shown waits.
//
// A cycle the model does not know is not withheld here: a caller serving events the model has not applied
// yet (the feed reads the store directly) must decide those itself, conservatively (WithheldOrUnknown).
func (m *Model) Withheld(cycle domain.CycleID) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	cv := m.cycles[cycle]
	return cv != nil && cv.agg.ResultsWithheld()
}

// WithheldOrUnknown is Withheld, and also reports whether the model knows the cycle at all. Phases only move
// forward, so a model that lags the log can only withhold longer than needed, never shorter.
func (m *Model) WithheldOrUnknown(cycle domain.CycleID) (withheld, known bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	cv := m.cycles[cycle]
	if cv == nil {
		return false, false
	}
	return cv.agg.ResultsWithheld(), true
}

// withhold returns r without what it would reveal of the ballots.
func withhold(r Ranking) Ranking {
	r.Withheld = true
	r.Selected = 0
	r.TieBreaks = nil
	entries := make([]RankingEntry, len(r.Entries))
	for i, e := range r.Entries {
		e.Rank, e.Votes, e.Support, e.SupportExact, e.Selected, e.Funded, e.Reason, e.Detail = 0, 0, "0", "", false, 0, "", ""
		entries[i] = e
	}
	slices.SortFunc(entries, func(a, b RankingEntry) int { return cmp.Compare(a.ProposalID, b.ProposalID) })
	r.Entries = entries
	return r
}
