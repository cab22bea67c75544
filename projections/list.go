package projections

import (
	"encoding/json"
	"math/big"
	"slices"
	"strings"

	"github.com/pbledger/pbledger/domain"
)

// ProposalFilter selects proposals of one cycle. Empty fields select everything.
type ProposalFilter struct {
	District domain.DistrictID
	// Status is a proposal status ("submitted", "published", "rejected") or one of "withdrawn", "infeasible"
	// and "funded". Withdrawn proposals match only "withdrawn".
	Status   string
	Category string
	// Query is text to find, case-insensitively, in the title (any language), description or category.
	Query string
	// After is the ID of the last proposal of the previous page: the list continues after it.
	After domain.ProposalID
	// Limit is the page size (1..MaxProposalPage; 0 means DefaultProposalPage).
	Limit int
}

// Page sizes of the proposal list.
const (
	DefaultProposalPage = 50
	MaxProposalPage     = 500
)

// ProposalStatuses are the values ProposalFilter.Status accepts.
var ProposalStatuses = []string{"submitted", "published", "rejected", "withdrawn", "infeasible", "funded"}

// ProposalSummary is a proposal in a list.
type ProposalSummary struct {
	ID         domain.ProposalID     `json:"id"`
	District   domain.DistrictID     `json:"district"`
	Title      string                `json:"title"`
	Titles     domain.Translations   `json:"titles,omitempty"`
	Category   string                `json:"category,omitempty"`
	Status     domain.ProposalStatus `json:"status"`
	Withdrawn  bool                  `json:"withdrawn"`
	Infeasible bool                  `json:"infeasible"`
	Cost       domain.Money          `json:"cost"`
	PublicCost domain.Money          `json:"public_cost"`
	Pledged    domain.Money          `json:"pledged"`
	Votes      int64                 `json:"votes"`
	// VotesWithheld is true (and Votes 0) while the cycle hides results during voting (Model.Withheld).
	VotesWithheld bool `json:"votes_withheld,omitempty"`
	// MeanScore is the mean expert score as a number (rounded to 6 places); MeanScoreExact is the exact
	// value, an integer or "p/q".
	MeanScore      json.Number   `json:"mean_score,omitempty"`
	MeanScoreExact string        `json:"mean_score_exact,omitempty"`
	Funded         *domain.Money `json:"funded,omitempty"`
}

// ProposalList is one page of a cycle's proposals, in the order of their IDs.
type ProposalList struct {
	Cycle     domain.CycleID    `json:"cycle"`
	Proposals []ProposalSummary `json:"proposals"`
	// Next is the cursor of the next page (the last ID of this one); empty on the last page.
	Next domain.ProposalID `json:"next_cursor,omitempty"`
	At
}

// Proposals lists the proposals of a cycle that match the filter, a page at a time. The order is by
// proposal ID, so a cursor stays valid while proposals are added.
func (m *Model) Proposals(cycle domain.CycleID, f ProposalFilter) (ProposalList, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	cv := m.cycles[cycle]
	if cv == nil {
		return ProposalList{}, notFound("cycle %q does not exist", cycle)
	}
	if f.District != "" {
		if _, ok := cv.agg.District(f.District); !ok {
			return ProposalList{}, notFound("cycle %q has no district %q", cycle, f.District)
		}
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultProposalPage
	}
	limit = min(limit, MaxProposalPage)
	var ids []domain.ProposalID
	for _, d := range cv.agg.State().Districts {
		if f.District != "" && d.ID != f.District {
			continue
		}
		for _, id := range cv.districts[d.ID].proposals {
			if id > f.After {
				ids = append(ids, id)
			}
		}
	}
	slices.Sort(ids)
	q := strings.ToLower(strings.TrimSpace(f.Query))
	withheld := cv.agg.ResultsWithheld()
	out := ProposalList{Cycle: cycle, Proposals: []ProposalSummary{}, At: m.at0()}
	for _, id := range ids {
		pv := m.proposals[id]
		st := pv.agg.State()
		funded, isFunded := cv.agg.Funded(id)
		if !matchStatus(f.Status, st, isFunded) || f.Category != "" && st.Category != f.Category || q != "" && !matchText(q, st) {
			continue
		}
		if len(out.Proposals) == limit {
			out.Next = out.Proposals[limit-1].ID
			break
		}
		s := ProposalSummary{ID: id, District: st.DistrictID, Title: st.Title, Titles: st.Titles, Category: st.Category,
			Status: st.Status, Withdrawn: st.Withdrawn, Infeasible: st.Infeasible, Cost: st.Cost, PublicCost: st.PublicCost,
			Pledged: st.Pledged, Votes: cv.districts[st.DistrictID].votes[id]}
		if withheld {
			s.Votes, s.VotesWithheld = 0, true
		}
		s.MeanScore, s.MeanScoreExact = ExactNumber(st.MeanScore)
		if isFunded {
			s.Funded = &funded
		}
		out.Proposals = append(out.Proposals, s)
	}
	return out, nil
}

func matchStatus(want string, st domain.ProposalState, funded bool) bool {
	switch want {
	case "":
		return true
	case "withdrawn":
		return st.Withdrawn
	case "infeasible":
		return st.Infeasible && !st.Withdrawn
	case "funded":
		return funded
	}
	return !st.Withdrawn && string(st.Status) == want
}

func matchText(q string, st domain.ProposalState) bool {
	if strings.Contains(strings.ToLower(st.Title), q) || strings.Contains(strings.ToLower(st.Description), q) ||
		strings.Contains(strings.ToLower(st.Category), q) {
		return true
	}
	for _, t := range st.Titles {
		if strings.Contains(strings.ToLower(t), q) {
			return true
		}
	}
	return false
}

// ExactNumber turns an exact value ("", an integer or "p/q") into a JSON number and the exact string to put
// beside it. A fraction is rounded to 6 decimal places in the number; the string keeps it exact.
func ExactNumber(exact string) (json.Number, string) {
	if exact == "" {
		return "", ""
	}
	r, ok := new(big.Rat).SetString(exact)
	if !ok {
		return "", exact
	}
	if r.IsInt() {
		return json.Number(r.Num().String()), exact
	}
	s := strings.TrimRight(r.FloatString(6), "0")
	return json.Number(strings.TrimSuffix(s, ".")), exact
}
