package projections

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/domain/outcome"
	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/ledger"
)

// ProvisionalLotSeed is the lot used for rankings before a district's lot is drawn. The allocation draws and
// records its own lot, so a provisional ranking may order exact ties differently from the final one.
const ProvisionalLotSeed = "provisional"

// Ranking is a district's proposals ranked under the cycle's outcome rule.
type Ranking struct {
	Cycle        domain.CycleID    `json:"cycle"`
	District     domain.DistrictID `json:"district"`
	DistrictName string            `json:"district_name"`
	// DistrictNames is the district's name in other languages, if the cycle gives them.
	DistrictNames domain.Translations `json:"district_names,omitempty"`
	Phase         domain.Phase        `json:"phase"`
	Currency      string              `json:"currency"`
	Exponent      int                 `json:"currency_exponent"`
	Rule          outcome.Rule        `json:"rule"`
	Budget        domain.Money        `json:"budget"`
	// Withheld is true while the cycle hides results during voting (Model.Withheld): then the entries carry
	// no rank, votes, support or result, are in proposal-ID order, and Selected and TieBreaks are empty.
	Withheld bool `json:"withheld,omitempty"`
	// Provisional is true before the district's allocation is recorded: the ranking is what the rule gives
	// on the ballots counted so far. After allocation the ranking is the recorded outcome.
	Provisional bool `json:"provisional"`
	Ballots     int  `json:"ballots"`
	// Selected is the total the rule funds (provisionally or as recorded).
	Selected  domain.Money      `json:"selected_total"`
	Entries   []RankingEntry    `json:"entries"`
	TieBreaks []domain.TieBreak `json:"tie_breaks,omitempty"`
	At
}

// RankingEntry is one proposal in a ranking.
type RankingEntry struct {
	// Rank is the proposal's place in the order the rule considered proposals; 0 for proposals that are not
	// candidates (not yet published, or rejected).
	Rank       int                   `json:"rank"`
	ProposalID domain.ProposalID     `json:"proposal_id"`
	Title      string                `json:"title"`
	Titles     domain.Translations   `json:"titles,omitempty"`
	Category   string                `json:"category,omitempty"`
	Status     domain.ProposalStatus `json:"status"`
	Withdrawn  bool                  `json:"withdrawn"`
	Infeasible bool                  `json:"infeasible"`
	Cost       domain.Money          `json:"cost"`
	PublicCost domain.Money          `json:"public_cost"`
	CoFinanced domain.Money          `json:"co_financed"`
	// Support is the support under the vote type as a JSON number (rounded to 6 places when weighted by
	// assessment); SupportExact is the exact value, an integer or "p/q".
	Support      json.Number `json:"support"`
	SupportExact string      `json:"support_exact"`
	Votes        int64       `json:"votes"`
	// MeanScore is the mean expert score as a number; MeanScoreExact is exact (an integer or "p/q").
	MeanScore      json.Number `json:"mean_score,omitempty"`
	MeanScoreExact string      `json:"mean_score_exact,omitempty"`
	Scores         int         `json:"scores"`
	Selected       bool        `json:"selected"`
	// Funded is what the (provisional or recorded) outcome gives the proposal from the budget.
	Funded domain.Money `json:"funded"`
	Reason string       `json:"reason,omitempty"`
	Detail string       `json:"detail,omitempty"`
	// Left, SupportersCanPay and FundedAtCost say why in numbers (see outcome.Explanation): under a greedy
	// rule the money left when the proposal's turn came; under Equal Shares what its supporters could still
	// pay, and for a losing proposal the highest cost at which it would have been funded, all else equal.
	Left             *domain.Money `json:"left,omitempty"`
	SupportersCanPay string        `json:"supporters_can_pay,omitempty"`
	FundedAtCost     *domain.Money `json:"funded_at_cost,omitempty"`
}

// rankCache holds a district's last computed ranking. Computing a provisional ranking runs the outcome
// rule over every ballot, so while ballots pour in it is recomputed at most every refresh interval (longer
// when it is slow), and reads say which position they reflect.
type rankCache struct {
	mu       sync.Mutex // held while computing
	version  uint64
	ranking  Ranking
	computed time.Time
	took     time.Duration
	valid    bool
	json     []byte // ranking encoded, made on the first request for it
}

// minRefresh is the shortest time between two provisional computations of one district's ranking.
const minRefresh = 250 * time.Millisecond

// DistrictRanking returns a district's ranking reflecting at least position minPos (which the caller has
// waited for with WaitFor).
func (m *Model) DistrictRanking(cycle domain.CycleID, district domain.DistrictID, minPos eventstore.Position) (Ranking, error) {
	withheld := m.Withheld(cycle)
	rc, err := m.ranking(cycle, district, minPos)
	if err != nil {
		return Ranking{}, err
	}
	defer rc.mu.Unlock()
	if withheld {
		return withhold(rc.ranking), nil
	}
	return rc.ranking, nil
}

// DistrictRankingJSON is DistrictRanking encoded as JSON (with a trailing newline). The encoding is cached
// with the ranking, so a read of an unchanged ranking costs no encoding.
func (m *Model) DistrictRankingJSON(cycle domain.CycleID, district domain.DistrictID, minPos eventstore.Position) ([]byte, eventstore.Position, error) {
	withheld := m.Withheld(cycle)
	rc, err := m.ranking(cycle, district, minPos)
	if err != nil {
		return nil, 0, err
	}
	defer rc.mu.Unlock()
	if withheld {
		b, err := json.Marshal(withhold(rc.ranking))
		return append(b, '\n'), rc.ranking.Position, err
	}
	if rc.json == nil {
		b, err := json.Marshal(rc.ranking)
		if err != nil {
			return nil, 0, err
		}
		rc.json = append(b, '\n')
	}
	return rc.json, rc.ranking.Position, nil
}

// ranking returns the district's cache entry, up to date as DistrictRanking promises, with its mutex held.
func (m *Model) ranking(cycle domain.CycleID, district domain.DistrictID, minPos eventstore.Position) (*rankCache, error) {
	m.mu.RLock()
	_, _, dv, err := m.district(cycle, district)
	var version uint64
	if err == nil {
		version = dv.version
	}
	now := m.at0()
	m.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	key := districtKey{cycle, district}
	m.rankMu.Lock()
	rc := m.ranks[key]
	if rc == nil {
		rc = &rankCache{}
		m.ranks[key] = rc
	}
	m.rankMu.Unlock()

	rc.mu.Lock()
	if rc.valid && rc.version == version {
		if rc.ranking.Position < minPos {
			// Nothing that moves the ranking happened since it was computed: it is the ranking at now too,
			// and says so, as a read asking for min_position expects.
			rc.ranking.At, rc.json = now, nil
		}
		return rc, nil
	}
	if rc.valid && time.Since(rc.computed) < max(minRefresh, 10*rc.took) && rc.ranking.Position >= minPos {
		return rc, nil
	}
	start := time.Now()
	r, v, err := m.computeRanking(cycle, district)
	if err != nil {
		rc.mu.Unlock()
		return nil, err
	}
	rc.ranking, rc.version, rc.computed, rc.took, rc.valid, rc.json = r, v, time.Now(), time.Since(start), true, nil
	return rc, nil
}

// computeRanking builds the ranking: from the recorded allocation, or provisionally by running the rule.
func (m *Model) computeRanking(cycle domain.CycleID, district domain.DistrictID) (Ranking, uint64, error) {
	m.mu.RLock()
	cv, d, dv, err := m.district(cycle, district)
	if err != nil {
		m.mu.RUnlock()
		return Ranking{}, 0, err
	}
	st := cv.agg.State()
	r := Ranking{Cycle: cycle, District: district, DistrictName: d.Name, DistrictNames: d.Names, Phase: st.Phase, Currency: st.Currency,
		Exponent: st.CurrencyExponent, Rule: st.OutcomeRule, Budget: d.Budget, Ballots: dv.ballotCount(), At: m.at0()}
	version := dv.version
	entries := make(map[domain.ProposalID]*RankingEntry, len(dv.proposals))
	proposals := make([]*domain.Proposal, 0, len(dv.proposals))
	for _, id := range dv.proposals {
		p := m.proposals[id].agg
		ps := p.State()
		infeasible, _ := p.Infeasible()
		entries[id] = &RankingEntry{ProposalID: id, Title: ps.Title, Titles: ps.Titles, Category: ps.Category, Status: ps.Status,
			Withdrawn: ps.Withdrawn, Infeasible: infeasible, Cost: ps.Cost, PublicCost: ps.PublicCost,
			CoFinanced: ps.Pledged, Scores: len(ps.Scores), Votes: dv.votes[id], Support: "0", SupportExact: "0"}
		entries[id].MeanScore, entries[id].MeanScoreExact = ExactNumber(ps.MeanScore)
		proposals = append(proposals, p)
	}
	alloc, allocated := cv.agg.Allocation(district)
	seed := ProvisionalLotSeed
	if allocated {
		seed = alloc.LotSeed // the input the allocation counted, for the explanations
	}
	ballots := make([]*domain.Ballot, 0, len(dv.voters))
	for _, v := range dv.voters {
		ballots = append(ballots, &dv.ballots[v].agg)
	}
	src, until := m.inputs, cv.allocatedAt[district]
	if dv.dropped && src != nil {
		// The model let this district's ballots go at its allocation: read the counted ones from the log,
		// without holding the lock.
		m.mu.RUnlock()
		var err error
		if _, ballots, err = src(cycle, district, until); err != nil {
			return Ranking{}, 0, err
		}
		m.mu.RLock()
	}
	in, err := domain.OutcomeInput(cv.agg, district, proposals, ballots, seed)
	m.mu.RUnlock()
	if err != nil {
		return Ranking{}, 0, err
	}

	var decisions []domain.ProposalDecision
	var res outcome.Result
	if allocated {
		decisions, r.TieBreaks, r.Selected = alloc.Decisions, alloc.TieBreaks, alloc.Total
		for _, w := range alloc.Winners {
			entries[w.ProposalID].Funded = w.Funded
		}
	} else {
		r.Provisional = true
		res, err = outcome.Compute(in)
		if err != nil {
			return Ranking{}, 0, err
		}
		r.Selected = domain.Money(res.TotalCost)
		for _, w := range res.Winners {
			entries[domain.ProposalID(w.Project)].Funded = domain.Money(w.Funded)
		}
		for _, dc := range res.Decisions {
			decisions = append(decisions, domain.ProposalDecision{ProposalID: domain.ProposalID(dc.Project), Selected: dc.Selected,
				Reason: dc.Reason, Detail: dc.Detail, Support: dc.Support, Votes: dc.Votes, Rank: dc.Rank})
		}
		for _, tb := range res.TieBreaks {
			ids := make([]domain.ProposalID, len(tb.Projects))
			for i, p := range tb.Projects {
				ids[i] = domain.ProposalID(p)
			}
			r.TieBreaks = append(r.TieBreaks, domain.TieBreak{ProposalIDs: ids, By: tb.By, Stage: tb.Stage})
		}
	}
	for _, dc := range decisions {
		e := entries[dc.ProposalID]
		if e == nil {
			continue
		}
		e.Rank, e.Selected, e.Reason, e.Detail = dc.Rank, dc.Selected, dc.Reason, dc.Detail
		e.Support, e.SupportExact = ExactNumber(dc.Support)
		if allocated {
			e.Votes = dc.Votes // as counted at allocation
		}
	}
	explainRanking(in, res, allocated, entries)
	r.Entries = make([]RankingEntry, 0, len(entries))
	for _, e := range entries {
		r.Entries = append(r.Entries, *e)
	}
	slices.SortFunc(r.Entries, func(a, b RankingEntry) int {
		if (a.Rank == 0) != (b.Rank == 0) {
			if a.Rank == 0 {
				return 1
			}
			return -1
		}
		return cmp.Or(cmp.Compare(a.Rank, b.Rank), cmp.Compare(a.ProposalID, b.ProposalID))
	})
	return r, version, nil
}

// DistrictInput returns the input of a district's outcome rule as the model has it, and the recorded
// allocation if there is one. After allocation the input is the one the allocation counted (proposals,
// pledges and assessments are frozen by then and late ballots are never counted), with the recorded lot
// seed, so its digest equals the recorded input digest; before allocation it is the provisional input.
func (m *Model) DistrictInput(cycle domain.CycleID, district domain.DistrictID) (outcome.Input, *domain.AllocationRecorded, At, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	cv, _, dv, err := m.district(cycle, district)
	if err != nil {
		return outcome.Input{}, nil, At{}, err
	}
	proposals := make([]*domain.Proposal, 0, len(dv.proposals))
	for _, id := range dv.proposals {
		proposals = append(proposals, m.proposals[id].agg)
	}
	if dv.dropped {
		return outcome.Input{}, nil, At{}, ErrBallotsInLog
	}
	ballots := make([]*domain.Ballot, 0, len(dv.voters))
	for _, v := range dv.voters {
		ballots = append(ballots, &dv.ballots[v].agg)
	}
	seed := ProvisionalLotSeed
	var rec *domain.AllocationRecorded
	if a, ok := cv.agg.Allocation(district); ok {
		rec, seed = &a, a.LotSeed
	}
	in, err := domain.OutcomeInput(cv.agg, district, proposals, ballots, seed)
	return in, rec, m.at0(), err
}

// ErrBallotsInLog is returned by DistrictInput for a district whose allocation is recorded: the model no
// longer holds its ballots (they cannot change anything it shows); AllocatedInput reads them from the log.
var ErrBallotsInLog = errors.New("projections: the district is allocated; its ballots are read from the log")

// AllocatedInput returns the input an allocated district's allocation counted, read from the log through the
// district's index (ledger.DistrictInput, up to the allocation's position), with the recorded lot seed: its
// digest equals the recorded input digest.
func (m *Model) AllocatedInput(ctx context.Context, store eventstore.Store, cycle domain.CycleID, district domain.DistrictID) (outcome.Input, *domain.AllocationRecorded, At, error) {
	m.mu.RLock()
	cv, _, _, err := m.district(cycle, district)
	var a domain.AllocationRecorded
	var ok bool
	var until eventstore.Position
	var at At
	if err == nil {
		a, ok = cv.agg.Allocation(district)
		until, at = cv.allocatedAt[district], m.at0()
	}
	m.mu.RUnlock()
	if err != nil {
		return outcome.Input{}, nil, At{}, err
	}
	if !ok {
		return outcome.Input{}, nil, At{}, fmt.Errorf("projections: %s/%s has no recorded allocation", cycle, district)
	}
	proposals, ballots, err := ledger.DistrictInput(ctx, store, cycle, district, until)
	if err != nil {
		return outcome.Input{}, nil, At{}, err
	}
	m.mu.RLock()
	in, err := domain.OutcomeInput(cv.agg, district, proposals, ballots, a.LotSeed)
	m.mu.RUnlock()
	return in, &a, at, err
}

// InputSource reads from the log a district's proposals and the ballots counted, up to position until:
// ledger.DistrictInput over the server's store, which reads the district's index, not the whole log.
type InputSource func(cycle domain.CycleID, district domain.DistrictID, until eventstore.Position) ([]*domain.Proposal, []*domain.Ballot, error)

// SetInputSource tells the model where to read the ballots of allocated districts, which it does not keep:
// the explanations of an allocated district's ranking (RankingEntry.Left, SupportersCanPay, FundedAtCost)
// recount its input. Without a source those numbers are left out for such districts.
func (m *Model) SetInputSource(src InputSource) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.inputs = src
}
