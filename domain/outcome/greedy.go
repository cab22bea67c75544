package outcome

import (
	"fmt"
	"slices"
)

// greedy runs Greedy, GreedyNoSkip or GreedyThreshold. stage labels the ties it records.
//
// Projects are considered by descending weighted support, ties broken by tieCmp; a project is funded when its
// cost fits what is left of the budget. Projects with support zero or less are never considered: nobody asked
// for them, and funding them with leftover money would be a decision no ballot supports.
func (p *prepared) greedy(rule RuleName, minSupport int64, stage string) decisions {
	d := newDecisions(len(p.projects))
	var cands []int32
	for i := range p.projects {
		pr := &p.projects[i]
		switch {
		case pr.Excluded != "":
			d.reason[i], d.detail[i] = ReasonExcluded, pr.Excluded
		case pr.support <= 0:
			d.reason[i] = ReasonNoSupporters
		case rule == GreedyThreshold && pr.support < minSupport:
			d.reason[i] = ReasonBelowThreshold
			d.detail[i] = fmt.Sprintf("support %d is below the minimum of %d", pr.support, minSupport)
		default:
			cands = append(cands, int32(i))
		}
	}
	supportCmp := func(a, b int32) int {
		pa, pb := &p.projects[a], &p.projects[b]
		if !p.weighted {
			return compareInt64(pb.support, pa.support)
		}
		return pb.wsupport.Cmp(pa.wsupport)
	}
	slices.SortFunc(cands, func(a, b int32) int {
		if c := supportCmp(a, b); c != 0 {
			return c
		}
		return p.tieCmp(a, b)
	})

	left := p.in.Budget
	stopped := ""
	for pos, c := range cands {
		pr := &p.projects[c]
		if stopped != "" {
			d.reason[c] = ReasonStopped
			d.detail[c] = fmt.Sprintf("greedy-no-skip stopped at project %s", stopped)
			continue
		}
		d.rank[c] = pos + 1
		if end := pos + 1; end < len(cands) && supportCmp(c, cands[end]) == 0 {
			for end < len(cands) && supportCmp(c, cands[end]) == 0 {
				end++
			}
			d.ties = append(d.ties, p.tieBreak(cands[pos:end], stage))
		}
		if pr.Cost <= left {
			left -= pr.Cost
			d.selected[c] = true
			d.reason[c] = ReasonFunded
			d.winners = append(d.winners, c)
			continue
		}
		d.reason[c] = ReasonDoesNotFit
		d.detail[c] = fmt.Sprintf("costs %d, %d left", pr.Cost, left)
		if rule == GreedyNoSkip {
			stopped = pr.ID
		}
	}
	return d
}

func compareInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
