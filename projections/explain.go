package projections

import (
	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/domain/outcome"
)

// maxExplainWork bounds Equal Shares' explanations: they are computed only where ballots × proposals is at
// most this. The bisections behind RankingEntry.FundedAtCost run only for allocated districts, whose ranking
// is computed once and cached: about 40 recounts per losing proposal take about 0.25 s on a demo district,
// too slow for a provisional ranking recomputed while ballots arrive. Replaying the payments for
// SupportersCanPay costs about three counts.
const maxExplainWork = 1_000_000

// explainRanking fills the entries' numbers of outcome.Explain. For an allocated district it recounts the
// input the allocation counted (same input, same lot: same result) to get them; res is ignored then.
// Failures leave the numbers out: they explain, they do not decide.
func explainRanking(in outcome.Input, res outcome.Result, allocated bool, entries map[domain.ProposalID]*RankingEntry) {
	if allocated {
		var err error
		if res, err = outcome.Compute(in); err != nil {
			return
		}
	}
	var ex []outcome.Explanation
	if len(in.Ballots)*len(in.Projects) > maxExplainWork {
		// Too large for Equal Shares' numbers (replaying the payments costs a few counts): the money left
		// under greedy rules comes with the result.
		for _, d := range res.Decisions {
			ex = append(ex, outcome.Explanation{Project: d.Project, Left: d.Left})
		}
	} else {
		opts := outcome.ExplainOptions{}
		if allocated {
			opts.MaxRecounts = 40 * len(in.Projects)
		}
		var err error
		if ex, err = outcome.Explain(in, res, opts); err != nil {
			return
		}
	}
	for _, x := range ex {
		e := entries[domain.ProposalID(x.Project)]
		if e == nil {
			continue
		}
		if x.Left != nil {
			left := domain.Money(*x.Left)
			e.Left = &left
		}
		e.SupportersCanPay = x.SupportersCanPay
		if x.FundedAtCost != nil {
			at := domain.Money(*x.FundedAtCost)
			e.FundedAtCost = &at
		}
	}
}
