package outcome

import (
	"math/big"
	"slices"
)

// Explanation says in numbers why one project won or lost.
type Explanation struct {
	Project string `json:"project"`
	// Left is, under a greedy rule, the money left in the budget when the project's turn came: a project that
	// lost with Cost > Left did not fit. Nil when the rule never reached it.
	Left *int64 `json:"left,omitempty"`
	// SupportersCanPay is, under Equal Shares, what the project's supporters had left at the end of the count
	// (each started with the per-voter budget and paid their shares of the winners they support), exact,
	// "p/q" when fractional. A losing project whose cost is above it was too expensive for its supporters.
	SupportersCanPay string `json:"supporters_can_pay,omitempty"`
	// FundedAtCost is, under Equal Shares, for a losing project, the highest cost at which it would have been
	// funded with everything else equal (other projects, ballots, budget, rule), found by bisection on the
	// cost; nil when it would not have been funded even at cost 0, or when not computed (ExplainOptions).
	FundedAtCost *int64 `json:"funded_at_cost,omitempty"`
}

// ExplainOptions bound what Explain computes.
type ExplainOptions struct {
	// MaxRecounts caps the recounts FundedAtCost may take in all (each recount is a full Compute); 0 means
	// none are taken. About 40 per losing project are needed (a bisection over 64-bit costs).
	MaxRecounts int
}

// Explain returns, for each project of res (in the order of res.Decisions), the numbers behind its decision:
// the money left at its turn under the greedy rules; under Equal Shares, what its supporters could still pay
// and, within opts.MaxRecounts, the cost at which a losing project would have been funded (as equalshares.net
// explains outcomes). It never changes res.
//
// Equal Shares with its completion is not always monotone in a project's cost; the bisection finds the
// boundary between a cost at which the project is funded and the next at which it is not, starting from 0
// and its real cost, which is the cost the question "how much cheaper would it have had to be" asks about.
func Explain(in Input, res Result, opts ExplainOptions) ([]Explanation, error) {
	out := make([]Explanation, len(res.Decisions))
	for i, d := range res.Decisions {
		out[i] = Explanation{Project: d.Project, Left: d.Left}
	}
	if res.PerVoterBudget == "" || (res.Comparison != nil && res.Comparison.Chosen == Greedy) {
		return out, nil
	}
	paid, err := EqualSharesPayments(in, res)
	if err != nil {
		return nil, err
	}
	b, _ := new(big.Rat).SetString(res.PerVoterBudget)
	index := make(map[string]int, len(res.Decisions))
	for i, d := range res.Decisions {
		index[d.Project] = i
	}
	can := make([]*big.Rat, len(res.Decisions))
	for i := range can {
		can[i] = new(big.Rat)
	}
	left := new(big.Rat)
	for bi, bl := range in.Ballots {
		left.Sub(b, paid[bi])
		for _, c := range bl.Choices {
			if i, ok := index[c.Project]; ok {
				can[i].Add(can[i], left)
			}
		}
	}
	budget := opts.MaxRecounts
	for i, d := range res.Decisions {
		out[i].SupportersCanPay = can[i].RatString()
		if d.Selected || d.Votes == 0 || d.Reason == ReasonExcluded {
			continue
		}
		at, used, err := fundedAtCost(in, d.Project, budget)
		budget -= used
		if err != nil {
			return nil, err
		}
		out[i].FundedAtCost = at
	}
	return out, nil
}

// fundedAtCost bisects on project's cost for the highest cost below its real one at which Compute funds it,
// using at most max recounts; nil when it is not funded at cost 0 or the recounts run out.
func fundedAtCost(in Input, project string, max int) (*int64, int, error) {
	used := 0
	funded := func(cost int64) (bool, error) {
		used++
		trial := in
		trial.Projects = slices.Clone(in.Projects)
		for j := range trial.Projects {
			if trial.Projects[j].ID == project {
				trial.Projects[j].Cost = cost
			}
		}
		res, err := Compute(trial)
		if err != nil {
			return false, err
		}
		return slices.ContainsFunc(res.Winners, func(w Winner) bool { return w.Project == project }), nil
	}
	var hi int64 = -1
	for _, p := range in.Projects {
		if p.ID == project {
			hi = p.Cost
		}
	}
	if hi <= 0 || max < 2 {
		return nil, used, nil
	}
	ok, err := funded(0)
	if err != nil || !ok {
		return nil, used, err
	}
	lo := int64(0) // funded at lo, not at hi
	for hi-lo > 1 {
		if used >= max {
			return nil, used, nil
		}
		mid := lo + (hi-lo)/2
		ok, err := funded(mid)
		if err != nil {
			return nil, used, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	return &lo, used, nil
}
