package projections

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/domain/outcome"
	"github.com/pbledger/pbledger/eventstore"
)

// ErrNotFound is returned (wrapped in a *domain.Error with code not_found) for unknown cycles, districts
// and proposals.
var ErrNotFound = errors.New("not found")

func notFound(format string, args ...any) error {
	return &domain.Error{Code: domain.CodeNotFound, Message: fmt.Sprintf(format, args...), Err: ErrNotFound}
}

// At says which point of the log a read reflects.
type At struct {
	Position eventstore.Position `json:"position"`
	// Recorded is when the event at Position was recorded (zero for an empty log).
	Recorded time.Time `json:"recorded,omitzero"`
}

func (m *Model) at0() At { return At{Position: m.pos, Recorded: m.at} }

// CycleSummary is a cycle in the list of cycles.
type CycleSummary struct {
	ID          domain.CycleID      `json:"id"`
	Name        string              `json:"name"`
	Names       domain.Translations `json:"names,omitempty"`
	Phase       domain.Phase        `json:"phase"`
	Currency    string              `json:"currency"`
	Exponent    int                 `json:"currency_exponent"`
	TotalBudget domain.Money        `json:"total_budget"`
	Districts   int                 `json:"districts"`
	Proposals   int                 `json:"proposals"`
	Ballots     int                 `json:"ballots"`
	Rule        outcome.RuleName    `json:"rule"`
	// Calendar is the cycle's dates, when it declared them.
	Calendar *Calendar `json:"calendar,omitempty"`
}

// Cycles lists the cycles in the order they were opened.
func (m *Model) Cycles() ([]CycleSummary, At) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]CycleSummary, 0, len(m.cycleIDs))
	for _, id := range m.cycleIDs {
		cv := m.cycles[id]
		st := cv.agg.State()
		s := CycleSummary{ID: id, Name: st.Name, Names: st.Names, Phase: st.Phase, Currency: st.Currency, Exponent: st.CurrencyExponent,
			TotalBudget: st.TotalBudget, Districts: len(st.Districts), Rule: st.OutcomeRule.Name, Calendar: calendarOf(cv.agg)}
		for _, dv := range cv.districts {
			s.Proposals += len(dv.proposals)
			s.Ballots += dv.ballotCount()
		}
		out = append(out, s)
	}
	return out, m.at0()
}

// DistrictSummary is a district within a cycle's detail.
type DistrictSummary struct {
	domain.District
	Proposals int     `json:"proposals"`
	Ballots   int     `json:"ballots"`
	Balance   Balance `json:"balance"`
}

// CycleDetail is one cycle with its rules, districts and citywide totals.
type CycleDetail struct {
	domain.CycleState
	DistrictViews []DistrictSummary `json:"district_views"`
	Totals        Balance           `json:"totals"`
	// Calendar is the cycle's dates and next deadline, when it declared them.
	Calendar *Calendar `json:"calendar,omitempty"`
	At
}

// Cycle returns one cycle.
func (m *Model) Cycle(id domain.CycleID) (CycleDetail, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	cv := m.cycles[id]
	if cv == nil {
		return CycleDetail{}, notFound("cycle %q does not exist", id)
	}
	d := CycleDetail{CycleState: cv.agg.State(), Calendar: calendarOf(cv.agg), At: m.at0()}
	d.Totals = Balance{Cycle: id, Currency: d.Currency}
	for _, dist := range d.Districts {
		dv := cv.districts[dist.ID]
		b := m.balance(cv, dist, dv)
		d.DistrictViews = append(d.DistrictViews, DistrictSummary{District: dist, Proposals: len(dv.proposals), Ballots: dv.ballotCount(), Balance: b})
		d.Totals.add(b)
	}
	return d, nil
}

// Balance is a district's money: its budget, what the allocation funded, what residents and businesses
// co-financed the funded proposals with, what implementation has spent, and what is left.
type Balance struct {
	Cycle    domain.CycleID    `json:"cycle"`
	District domain.DistrictID `json:"district,omitempty"`
	Currency string            `json:"currency"`
	Budget   domain.Money      `json:"budget"`
	// Allocated is what the recorded allocation funds from the budget (0 before allocation).
	Allocated domain.Money `json:"allocated"`
	// CoFinanced is the pledges on the funded proposals: money on top of the budget.
	CoFinanced domain.Money `json:"co_financed"`
	// Pledged is the pledges on all of the district's proposals.
	Pledged domain.Money `json:"pledged"`
	// Spent is what the funded proposals' milestones report spent.
	Spent domain.Money `json:"spent"`
	// Remaining is Budget − Allocated.
	Remaining domain.Money `json:"remaining"`
	// Funded is the number of funded proposals; AllocationRecorded says whether the allocation is recorded.
	Funded             int  `json:"funded"`
	AllocationRecorded bool `json:"allocation_recorded"`
	DistrictsAllocated int  `json:"districts_allocated,omitempty"`
	DistrictsTotal     int  `json:"districts_total,omitempty"`
}

func (b *Balance) add(o Balance) {
	b.Budget += o.Budget
	b.Allocated += o.Allocated
	b.CoFinanced += o.CoFinanced
	b.Pledged += o.Pledged
	b.Spent += o.Spent
	b.Remaining += o.Remaining
	b.Funded += o.Funded
	b.DistrictsTotal++
	if o.AllocationRecorded {
		b.DistrictsAllocated++
	}
}

// balance computes a district's balance. The caller holds mu.
func (m *Model) balance(cv *cycleView, d domain.District, dv *districtView) Balance {
	b := Balance{Cycle: cv.agg.ID(), District: d.ID, Currency: cv.agg.State().Currency, Budget: d.Budget}
	alloc, allocated := cv.agg.Allocation(d.ID)
	b.AllocationRecorded = allocated
	if allocated {
		b.Allocated = alloc.Total
		b.Funded = len(alloc.Winners)
	}
	for _, id := range dv.proposals {
		p := m.proposals[id].agg
		st := p.State()
		if p.Withdrawn() {
			continue
		}
		b.Pledged += st.Pledged
		if _, funded := cv.agg.Funded(id); funded {
			b.CoFinanced += st.Pledged
			for _, ms := range st.Milestones {
				b.Spent += ms.Spent
			}
		}
	}
	b.Remaining = b.Budget - b.Allocated
	return b
}

// DistrictBalance returns one district's balance.
func (m *Model) DistrictBalance(cycle domain.CycleID, district domain.DistrictID) (Balance, At, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	cv, d, dv, err := m.district(cycle, district)
	if err != nil {
		return Balance{}, At{}, err
	}
	return m.balance(cv, d, dv), m.at0(), nil
}

// district finds a district. The caller holds mu.
func (m *Model) district(cycle domain.CycleID, district domain.DistrictID) (*cycleView, domain.District, *districtView, error) {
	cv := m.cycles[cycle]
	if cv == nil {
		return nil, domain.District{}, nil, notFound("cycle %q does not exist", cycle)
	}
	d, ok := cv.agg.District(district)
	if !ok {
		return nil, domain.District{}, nil, notFound("cycle %q has no district %q", cycle, district)
	}
	return cv, d, cv.districts[district], nil
}

// ProposalDetail is a proposal with its full history.
type ProposalDetail struct {
	domain.ProposalState
	// Votes is the number of counted ballots that include the proposal.
	Votes int64 `json:"votes"`
	// VotesWithheld is true (and Votes 0) while the cycle hides results during voting.
	VotesWithheld bool `json:"votes_withheld,omitempty"`
	// Funded is what the allocation funds the proposal with, if it was funded.
	Funded *domain.Money `json:"funded,omitempty"`
	// Revision is the stream's current revision: send it in If-Match to change the proposal.
	Revision eventstore.Revision `json:"stream_revision"`
	History  []HistoryEntry      `json:"history"`
	At
}

// Proposal returns one proposal with its history.
func (m *Model) Proposal(id domain.ProposalID) (ProposalDetail, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	pv := m.proposals[id]
	if pv == nil {
		return ProposalDetail{}, notFound("proposal %q does not exist", id)
	}
	d := ProposalDetail{ProposalState: pv.agg.State(), Revision: eventstore.Revision(pv.version - 1), History: slices.Clone(pv.history), At: m.at0()}
	if cv := m.cycles[pv.agg.CycleID()]; cv != nil {
		if f, ok := cv.agg.Funded(id); ok {
			d.Funded = &f
		}
		if dv := cv.districts[pv.agg.DistrictID()]; dv != nil && !cv.agg.ResultsWithheld() {
			d.Votes = dv.votes[id]
		}
		d.VotesWithheld = cv.agg.ResultsWithheld()
	}
	return d, nil
}

// Outcome is a district's recorded allocation, with the proposals' titles.
type Outcome struct {
	domain.AllocationRecorded
	Titles map[domain.ProposalID]string `json:"titles"`
	// RecordedAt is the position of the AllocationRecorded event.
	RecordedAt eventstore.Position `json:"recorded_at"`
	At
}

// DistrictOutcome returns a district's recorded outcome; not_found if it is not allocated yet.
func (m *Model) DistrictOutcome(cycle domain.CycleID, district domain.DistrictID) (Outcome, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	cv, _, dv, err := m.district(cycle, district)
	if err != nil {
		return Outcome{}, err
	}
	a, ok := cv.agg.Allocation(district)
	if !ok {
		return Outcome{}, notFound("district %q of cycle %q has no recorded outcome yet (phase %s)", district, cycle, cv.agg.Phase())
	}
	o := Outcome{AllocationRecorded: a, Titles: map[domain.ProposalID]string{}, RecordedAt: cv.allocatedAt[district], At: m.at0()}
	for _, id := range dv.proposals {
		o.Titles[id] = m.proposals[id].agg.State().Title
	}
	return o, nil
}

// TrackerItem is one funded proposal's implementation.
type TrackerItem struct {
	ProposalID domain.ProposalID   `json:"proposal_id"`
	District   domain.DistrictID   `json:"district"`
	Title      string              `json:"title"`
	Titles     domain.Translations `json:"titles,omitempty"`
	Funded     domain.Money        `json:"funded"`
	CoFinanced domain.Money        `json:"co_financed"`
	Spent      domain.Money        `json:"spent"`
	// Progress is the mean progress of the milestones, in whole percent (0 with no milestones).
	Progress   int                `json:"progress"`
	Milestones []domain.Milestone `json:"milestones"`
}

// Tracker lists the funded proposals of a cycle (one district if district is not empty) with their milestones.
func (m *Model) Tracker(cycle domain.CycleID, district domain.DistrictID) ([]TrackerItem, At, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	cv := m.cycles[cycle]
	if cv == nil {
		return nil, At{}, notFound("cycle %q does not exist", cycle)
	}
	if district != "" {
		if _, ok := cv.agg.District(district); !ok {
			return nil, At{}, notFound("cycle %q has no district %q", cycle, district)
		}
	}
	items := []TrackerItem{}
	for _, d := range cv.agg.State().Districts {
		if district != "" && d.ID != district {
			continue
		}
		a, ok := cv.agg.Allocation(d.ID)
		if !ok {
			continue
		}
		for _, w := range a.Winners {
			st := m.proposals[w.ProposalID].agg.State()
			it := TrackerItem{ProposalID: w.ProposalID, District: d.ID, Title: st.Title, Titles: st.Titles, Funded: w.Funded, CoFinanced: st.Pledged, Milestones: st.Milestones}
			if it.Milestones == nil {
				it.Milestones = []domain.Milestone{}
			}
			total := 0
			for _, ms := range st.Milestones {
				it.Spent += ms.Spent
				total += ms.Progress
			}
			if len(st.Milestones) > 0 {
				it.Progress = total / len(st.Milestones)
			}
			items = append(items, it)
		}
	}
	return items, m.at0(), nil
}
