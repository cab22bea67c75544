package outcome

import (
	"errors"
	"fmt"
	"math/big"
	"slices"
)

// EqualSharesPayments replays an Equal Shares result and returns what each ballot paid in total, indexed like
// in.Ballots, exact. It is for audits and explanations ("you paid 12.50 for the park and 30 for the
// library"), and it checks the result: starting every ballot at res.PerVoterBudget, it charges the winners in
// selection order, splitting each cost as equally as possible among the ballots that include it, and fails
// if a winner's supporters cannot pay for it exactly or if the result was not produced by Equal Shares.
//
// It shares no code with Compute's engine on purpose: it is the straightforward one-ballot-at-a-time
// computation, so an error in either shows up as a disagreement.
func EqualSharesPayments(in Input, res Result) ([]*big.Rat, error) {
	if res.PerVoterBudget == "" || (res.Comparison != nil && res.Comparison.Chosen == Greedy) {
		return nil, errors.New("outcome: payments: the result was not computed by Equal Shares")
	}
	b, ok := new(big.Rat).SetString(res.PerVoterBudget)
	if !ok {
		return nil, fmt.Errorf("outcome: payments: per-voter budget %q is not a number", res.PerVoterBudget)
	}
	left := make([]*big.Rat, len(in.Ballots))
	paid := make([]*big.Rat, len(in.Ballots))
	for i := range left {
		left[i] = new(big.Rat).Set(b)
		paid[i] = new(big.Rat)
	}
	cost := map[string]int64{}
	for _, p := range in.Projects {
		cost[p.ID] = p.Cost
	}
	var supporters []int
	for _, w := range res.Winners {
		c, ok := cost[w.Project]
		if !ok {
			return nil, fmt.Errorf("outcome: payments: winner %q is not a project", w.Project)
		}
		supporters = supporters[:0]
		for i, bl := range in.Ballots {
			if slices.ContainsFunc(bl.Choices, func(ch Choice) bool { return ch.Project == w.Project }) {
				supporters = append(supporters, i)
			}
		}
		// Water-filling: poorest first, each pays all they have until an equal share of the rest is affordable.
		slices.SortStableFunc(supporters, func(x, y int) int { return left[x].Cmp(left[y]) })
		rest := new(big.Rat).SetInt64(c)
		var q *big.Rat
		for k, i := range supporters {
			share := new(big.Rat).Quo(rest, new(big.Rat).SetInt64(int64(len(supporters)-k)))
			if left[i].Cmp(share) >= 0 {
				q = share
				break
			}
			rest.Sub(rest, left[i])
		}
		if c == 0 {
			q = new(big.Rat)
		}
		if q == nil {
			return nil, fmt.Errorf("outcome: payments: the supporters of %q cannot pay its cost %d", w.Project, c)
		}
		total := new(big.Rat)
		for _, i := range supporters {
			pay := q
			if left[i].Cmp(q) < 0 {
				pay = new(big.Rat).Set(left[i])
			}
			left[i].Sub(left[i], pay)
			paid[i].Add(paid[i], pay)
			total.Add(total, pay)
		}
		if total.Cmp(new(big.Rat).SetInt64(c)) != 0 {
			return nil, fmt.Errorf("outcome: payments: %q collected %s of its cost %d", w.Project, total.RatString(), c)
		}
	}
	return paid, nil
}
