package outcome

import (
	"fmt"
	"slices"
)

// greedy runs Greedy, GreedyNoSkip, GreedyThreshold or GreedyExclusive. stage labels the ties it records.
//
// Projects are considered by descending weighted support, ties broken by tieCmp; a project is funded when its
// cost fits what is left of the budget. Projects with support zero or less are never considered: nobody asked
// for them, and funding them with leftover money would be a decision no ballot supports. Nor are projects
// below a positive minSupport, whatever the rule's name (a threshold is a condition of eligibility that
// organisers state apart from the rule: Gdynia's greedy-no-skip files carry one), nor projects that cost more
// than the whole budget: they can never be funded, and under greedy-no-skip one of them would end the count
// for everybody (Wrocław 2017 marks a project withdrawn after the vote with a cost of 999999999).
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
		case minSupport > 0 && pr.support < minSupport:
			d.reason[i] = ReasonBelowThreshold
			d.detail[i] = fmt.Sprintf("support %d is below the minimum of %d", pr.support, minSupport)
		case pr.Cost > p.in.Budget:
			d.reason[i] = ReasonAboveBudget
			d.detail[i] = fmt.Sprintf("costs %d, more than the whole budget of %d", pr.Cost, p.in.Budget)
		default:
			cands = append(cands, int32(i))
		}
	}
	// groupsOf[i] lists the projects that share an exclusion group with project i (GreedyExclusive only).
	var groupsOf [][]int32
	if rule == GreedyExclusive {
		groupsOf = p.exclusionGroups()
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
	blocked := map[int32]int32{} // project → the funded project of its exclusion group
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
		d.left[c] = left
		if by, ok := blocked[c]; ok {
			d.reason[c] = ReasonExclusive
			d.detail[c] = fmt.Sprintf("cannot be built together with project %s, funded before it", p.projects[by].ID)
			continue
		}
		if pr.Cost <= left {
			left -= pr.Cost
			d.selected[c] = true
			d.reason[c] = ReasonFunded
			d.winners = append(d.winners, c)
			if groupsOf != nil {
				for _, o := range groupsOf[c] {
					if _, done := blocked[o]; !done {
						blocked[o] = c
					}
				}
			}
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

// exclusionGroups returns, per project index, the projects that share an exclusion group with it.
func (p *prepared) exclusionGroups() [][]int32 {
	index := make(map[string]int32, len(p.projects))
	for i := range p.projects {
		index[p.projects[i].ID] = int32(i)
	}
	out := make([][]int32, len(p.projects))
	for _, g := range p.in.Rule.Exclusive {
		for _, a := range g {
			for _, b := range g {
				if a != b {
					out[index[a]] = append(out[index[a]], index[b])
				}
			}
		}
	}
	return out
}
