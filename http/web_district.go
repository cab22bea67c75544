package http

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/projections"
)

// The district page answers what a resident came to learn: who won (bars for votes and money, drawn as
// SVG on the server), how much money is left, whether and where to vote, each proposal's status and reason
// in words, and a balance that adds up.

// districtBalance is a district's money as the page shows it, arranged so that it adds up:
// Budget = Allocated + Remaining, and the funded projects get Allocated + CoFinanced.
type districtBalance struct {
	projections.Balance
	// ProjectsTotal is what the funded projects get: the allocation from the budget plus co-financing.
	ProjectsTotal domain.Money
	// PledgedElsewhere is pledged to proposals that were not (or not yet) funded.
	PledgedElsewhere domain.Money
}

// bar is one proposal in the chart of votes and money.
type bar struct {
	projections.RankingEntry
	VotesPct, MoneyPct int
}

func (s *Server) pageDistrict(w http.ResponseWriter, r *http.Request) {
	l := s.pages.localeFor(w, r)
	cycle, district := cycleParam(r), districtParam(r)
	rk, err := s.model.DistrictRanking(cycle, district, 0)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	c, err := s.model.Cycle(cycle)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	b, _, err := s.model.DistrictBalance(cycle, district)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	bal := districtBalance{Balance: b, ProjectsTotal: b.Allocated + b.CoFinanced, PledgedElsewhere: b.Pledged - b.CoFinanced}
	// The chart: the candidates in ranking order, bars scaled to the most votes and to the budget.
	var maxVotes int64
	for _, e := range rk.Entries {
		maxVotes = max(maxVotes, e.Votes)
	}
	var bars []bar
	for _, e := range rk.Entries {
		if e.Rank == 0 {
			continue
		}
		money := e.PublicCost
		if e.Selected {
			money = e.Funded
		}
		bars = append(bars, bar{RankingEntry: e, VotesPct: percent(e.Votes, maxVotes), MoneyPct: percent(money, rk.Budget)})
	}
	data := map[string]any{
		"Title": l.Text(rk.DistrictName, rk.DistrictNames) + " — " + l.Text(c.Name, c.Names),
		"C":     c, "R": rk, "B": bal, "Bars": bars, "Voting": votingState(c),
	}
	if o, err := s.model.DistrictOutcome(cycle, district); err == nil {
		data["O"] = o
	}
	if items, _, err := s.model.Tracker(cycle, district); err == nil && len(items) > 0 {
		data["T"] = items
	}
	s.render(w, r, l, "district.html", data)
}

// votingState says where the cycle stands with voting: "before", "open" or "over".
func votingState(c projections.CycleDetail) string {
	vi, pi := slices.Index(c.Plan, domain.PhaseVoting), slices.Index(c.Plan, c.Phase)
	switch {
	case vi < 0 || pi > vi:
		return "over"
	case pi == vi:
		return "open"
	}
	return "before"
}

// pageProposals is the list of a cycle's proposals with the API's filters, as a form that works without
// script.
func (s *Server) pageProposals(w http.ResponseWriter, r *http.Request) {
	l := s.pages.localeFor(w, r)
	c, err := s.model.Cycle(cycleParam(r))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	f, err := proposalFilter(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	f.Limit = 20
	list, err := s.model.Proposals(c.ID, f)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	// The categories to choose from: those of the cycle's proposals.
	all, _ := s.model.Proposals(c.ID, projections.ProposalFilter{Limit: projections.MaxProposalPage})
	var categories []string
	for _, p := range all.Proposals {
		if p.Category != "" && !slices.Contains(categories, p.Category) {
			categories = append(categories, p.Category)
		}
	}
	slices.Sort(categories)
	next := ""
	if list.Next != "" {
		q := r.URL.Query()
		q.Del("lang")
		q.Set("cursor", string(list.Next))
		next = "?" + q.Encode()
	}
	districtNames := map[domain.DistrictID]string{}
	for _, d := range c.Districts {
		districtNames[d.ID] = l.Text(d.Name, d.Names)
	}
	s.render(w, r, l, "proposals.html", map[string]any{
		"Title": l.T("Proposals") + " — " + l.Text(c.Name, c.Names), "C": c, "List": list, "F": f,
		"Statuses": projections.ProposalStatuses, "Categories": categories, "Next": next, "DistrictNames": districtNames,
	})
}

// proposalFilter reads the list's filters from the query: district, status, category, q, cursor, limit.
func proposalFilter(r *http.Request) (projections.ProposalFilter, error) {
	q := r.URL.Query()
	f := projections.ProposalFilter{District: domain.DistrictID(q.Get("district")), Status: q.Get("status"),
		Category: q.Get("category"), Query: q.Get("q"), After: domain.ProposalID(q.Get("cursor"))}
	if f.Status != "" && !slices.Contains(projections.ProposalStatuses, f.Status) {
		return f, errorf(domain.CodeInvalid, "status %q is not one of %v", f.Status, projections.ProposalStatuses)
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > projections.MaxProposalPage {
			return f, errorf(codeMalformed, "limit must be a whole number from 1 to %d, not %q", projections.MaxProposalPage, v)
		}
		f.Limit = n
	}
	return f, nil
}

// proposalListAnswer is a page of the proposal list, with the link to the next page.
type proposalListAnswer struct {
	projections.ProposalList
	// NextURL is the path of the next page with the same filters; empty on the last page.
	NextURL string `json:"next,omitempty"`
}

// getProposals is GET /v1/cycles/{cycle}/proposals.
func (s *Server) getProposals(w http.ResponseWriter, r *http.Request) {
	s.read(w, r, func(eventstore.Position) (any, eventstore.Position, error) {
		f, err := proposalFilter(r)
		if err != nil {
			return nil, 0, err
		}
		list, err := s.model.Proposals(cycleParam(r), f)
		if err != nil {
			return nil, 0, err
		}
		a := proposalListAnswer{ProposalList: list}
		if list.Next != "" {
			q := r.URL.Query()
			q.Set("cursor", string(list.Next))
			q.Del("min_position")
			a.NextURL = (&url.URL{Path: r.URL.Path, RawQuery: q.Encode()}).String()
		}
		return a, list.Position, nil
	})
}
