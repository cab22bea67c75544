package outcome

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"math/big"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// Compute returns the outcome of in. It fails, wrapping ErrInvalidInput, only on malformed input.
//
// The Result depends only on what Digest encodes: the order of in.Projects and in.Ballots, and the order of
// choices on approval, choose-one, cumulative and scoring ballots, make no difference, byte for byte.
func Compute(in Input) (Result, error) {
	p, err := prepare(in)
	if err != nil {
		return Result{}, err
	}
	// The input digest reads every ballot once; for Equal Shares, whose count takes far longer, it runs on a
	// second processor meanwhile (it fills the gaps where the count uses one: grouping, the exact run).
	digest := p.digest
	if !isGreedy(in.Rule.Name) && runtime.GOMAXPROCS(0) > 1 {
		ch := make(chan string, 1)
		go func() { ch <- p.digest() }()
		digest = func() string { return <-ch }
	}
	var d decisions
	switch in.Rule.Name {
	case Greedy, GreedyNoSkip, GreedyThreshold, GreedyExclusive:
		d = p.greedy(in.Rule.Name, in.Rule.MinSupport, "")
	case EqualShares, EqualSharesAdd1:
		d, err = p.equalShares(in.Rule.Name == EqualSharesAdd1, "")
	case EqualSharesComparison, EqualSharesAdd1Comparison, EqualSharesAdd1Greedy:
		d, err = p.comparison(in.Rule.Name != EqualSharesComparison)
	default:
		// prepare refuses unknown rules; reaching here is a bug in this package.
		return Result{}, fmt.Errorf("outcome: internal error: no implementation for rule %q", in.Rule.Name)
	}
	if err != nil {
		return Result{}, err
	}
	return p.result(d, digest())
}

func isGreedy(r RuleName) bool {
	switch r {
	case Greedy, GreedyNoSkip, GreedyThreshold, GreedyExclusive:
		return true
	}
	return false
}

// invalid wraps ErrInvalidInput with a message.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidInput, fmt.Sprintf(format, args...))
}

// prepared is a validated Input, with projects in ID order and everything the rules need precomputed.
type prepared struct {
	in       Input
	projects []pproject
	// sets lists, for approval and choose-one ballots, the project indices each ballot includes (sorted).
	sets [][]int32
	// weighted is true when some project has a Weight other than nil.
	weighted bool
}

// pproject is a project with its tallies.
type pproject struct {
	Project
	votes    int64    // ballots that include it
	support  int64    // unweighted support
	wsupport *big.Rat // support × weight
	lot      [32]byte // lotKey(LotSeed, ID)
}

func equalSharesRule(n RuleName) bool {
	switch n {
	case EqualShares, EqualSharesAdd1, EqualSharesComparison, EqualSharesAdd1Comparison, EqualSharesAdd1Greedy:
		return true
	}
	return false
}

func prepare(in Input) (*prepared, error) {
	if in.Budget < 0 {
		return nil, invalid("budget %d is negative", in.Budget)
	}
	switch in.VoteType {
	case Approval, ChooseOne, Cumulative, Ordinal, Scoring:
	default:
		return nil, invalid("unknown vote type %q (known: approval, choose-one, cumulative, ordinal, scoring)", in.VoteType)
	}
	if !in.Rule.Name.Known() {
		names := make([]string, 0, len(Rules()))
		for _, r := range Rules() {
			names = append(names, string(r))
		}
		return nil, invalid("unknown rule %q (known: %s)", in.Rule.Name, strings.Join(names, ", "))
	}
	approvalLike := in.VoteType == Approval || in.VoteType == ChooseOne
	if equalSharesRule(in.Rule.Name) && !approvalLike {
		return nil, invalid("rule %s needs approval or choose-one ballots (Equal Shares with cost utilities), not %s", in.Rule.Name, in.VoteType)
	}
	if in.Rule.MinSupport < 0 {
		return nil, invalid("rule min_support %d is negative", in.Rule.MinSupport)
	}
	if in.Rule.Increment < 0 {
		return nil, invalid("rule increment %d is negative", in.Rule.Increment)
	}
	if len(in.Rule.Exclusive) > 0 && in.Rule.Name != GreedyExclusive {
		return nil, invalid("rule %s takes no exclusion groups (only %s does)", in.Rule.Name, GreedyExclusive)
	}
	if in.Rule.TieBreak != "" && !slices.Contains(TieBreakOrders(), in.Rule.TieBreak) {
		return nil, invalid("unknown tie-break order %q (known: %s)", in.Rule.TieBreak, strings.Join(TieBreakOrders(), ", "))
	}

	p := &prepared{in: in, projects: make([]pproject, len(in.Projects))}
	for i, pr := range in.Projects {
		p.projects[i] = pproject{Project: pr}
	}
	slices.SortFunc(p.projects, func(a, b pproject) int { return cmpString(a.ID, b.ID) })
	index := make(map[string]int32, len(p.projects))
	for i := range p.projects {
		pr := &p.projects[i]
		switch {
		case pr.ID == "":
			return nil, invalid("a project has an empty ID")
		case i > 0 && p.projects[i-1].ID == pr.ID:
			return nil, invalid("project %q appears twice", pr.ID)
		case pr.Cost < 0:
			return nil, invalid("project %q has negative cost %d", pr.ID, pr.Cost)
		case pr.Weight != nil && pr.Weight.Sign() < 0:
			return nil, invalid("project %q has negative weight %s", pr.ID, pr.Weight.RatString())
		}
		if pr.Weight != nil {
			p.weighted = true
		}
		pr.lot = lotKey(in.LotSeed, pr.ID)
		index[pr.ID] = int32(i)
	}

	for gi, g := range in.Rule.Exclusive {
		if len(g) < 2 {
			return nil, invalid("exclusion group %d names %d project(s); a group needs at least two", gi+1, len(g))
		}
		for _, id := range g {
			if _, ok := index[id]; !ok {
				return nil, invalid("exclusion group %d names unknown project %q", gi+1, id)
			}
		}
	}
	if approvalLike {
		p.sets = make([][]int32, len(in.Ballots))
	}
	seen := make([]int, len(p.projects)) // ballot number+1 that last included the project
	for bi, bl := range in.Ballots {
		if in.VoteType == ChooseOne && len(bl.Choices) > 1 {
			return nil, invalid("ballot %d (voter %q) chooses %d projects; choose-one ballots choose at most one", bi, bl.Voter, len(bl.Choices))
		}
		var set []int32
		if approvalLike {
			set = make([]int32, 0, len(bl.Choices))
		}
		for r, c := range bl.Choices {
			j, ok := index[c.Project]
			if !ok {
				return nil, invalid("ballot %d (voter %q) names unknown project %q", bi, bl.Voter, c.Project)
			}
			if seen[j] == bi+1 {
				return nil, invalid("ballot %d (voter %q) names project %q twice", bi, bl.Voter, c.Project)
			}
			seen[j] = bi + 1
			pr := &p.projects[j]
			pr.votes++
			var add int64
			switch in.VoteType {
			case Approval, ChooseOne:
				add = 1
				set = append(set, j)
			case Ordinal:
				add = int64(len(bl.Choices) - r)
			case Cumulative:
				if c.Points < 0 {
					return nil, invalid("ballot %d (voter %q) gives project %q negative points %d", bi, bl.Voter, c.Project, c.Points)
				}
				add = c.Points
			case Scoring:
				add = c.Points
			}
			if (add > 0 && pr.support > math.MaxInt64-add) || (add < 0 && pr.support < math.MinInt64-add) {
				return nil, invalid("support of project %q overflows int64", c.Project)
			}
			pr.support += add
		}
		if approvalLike {
			slices.Sort(set)
			p.sets[bi] = set
		}
	}
	for i := range p.projects {
		pr := &p.projects[i]
		pr.wsupport = new(big.Rat).SetInt64(pr.support)
		if pr.Weight != nil {
			pr.wsupport.Mul(pr.wsupport, pr.Weight)
		}
	}
	return p, nil
}

// tieCmp orders projects a and b, equal on the rule's own criterion, by the declared tie-breaks (Rule.TieBreak):
// by default lowest cost, then most votes, then the lot.
func (p *prepared) tieCmp(a, b int32) int {
	c, _ := p.tieOrder(a, b)
	return c
}

// tieOrder compares a and b by the declared tie-breaks and names the one that decided.
func (p *prepared) tieOrder(a, b int32) (int, string) {
	pa, pb := &p.projects[a], &p.projects[b]
	switch p.in.Rule.TieBreak {
	case TieOrderHighestCost:
		if c := cmp.Compare(pb.Cost, pa.Cost); c != 0 {
			return c, TieHighestCost
		}
	case TieOrderListOrder:
		if c := cmp.Compare(pa.Position, pb.Position); c != 0 {
			return c, TieListOrder
		}
	default:
		if c := cmp.Compare(pa.Cost, pb.Cost); c != 0 {
			return c, TieLowestCost
		}
	}
	if p.in.Rule.TieBreak != TieOrderListOrder {
		if c := cmp.Compare(pb.votes, pa.votes); c != 0 {
			return c, TieMostVotes
		}
	}
	if c := bytes.Compare(pa.lot[:], pb.lot[:]); c != 0 {
		return c, TieLot
	}
	return cmpString(pa.ID, pb.ID), TieLot
}

// decisiveTieBreak names the tie-break that puts a before b.
func (p *prepared) decisiveTieBreak(a, b int32) string {
	_, by := p.tieOrder(a, b)
	return by
}

// tieBreak records tied projects, already in tie-break order.
func (p *prepared) tieBreak(tied []int32, stage string) TieBreak {
	ids := make([]string, len(tied))
	for i, t := range tied {
		ids[i] = p.projects[t].ID
	}
	return TieBreak{Projects: ids, By: p.decisiveTieBreak(tied[0], tied[1]), Stage: stage}
}

// decisions is what a rule decided, per project index.
type decisions struct {
	winners  []int32
	selected []bool
	reason   []string
	detail   []string
	rank     []int
	share    []string
	// left is, under the greedy rules, the money left when the project's turn came (0 when never considered).
	left []int64
	ties []TieBreak
	// perVoter is the Equal Shares per-voter budget, "" for other rules.
	perVoter   string
	comparison *Comparison
}

func newDecisions(n int) decisions {
	return decisions{
		selected: make([]bool, n),
		reason:   make([]string, n),
		detail:   make([]string, n),
		rank:     make([]int, n),
		share:    make([]string, n),
		left:     make([]int64, n),
	}
}

// supportString formats a project's support for Decision.Support.
func (p *prepared) supportString(pr *pproject) string {
	if pr.Weight == nil {
		return strconv.FormatInt(pr.support, 10)
	}
	return pr.wsupport.RatString()
}

func (p *prepared) result(d decisions, digest string) (Result, error) {
	res := Result{
		Rule:           p.in.Rule,
		VoteType:       p.in.VoteType,
		Budget:         p.in.Budget,
		Winners:        make([]Winner, 0, len(d.winners)),
		Decisions:      make([]Decision, len(p.projects)),
		TieBreaks:      d.ties,
		InputDigest:    digest,
		LotSeed:        p.in.LotSeed,
		BallotsCounted: len(p.in.Ballots),
		PerVoterBudget: d.perVoter,
		Comparison:     d.comparison,
	}
	for _, w := range d.winners {
		pr := &p.projects[w]
		res.Winners = append(res.Winners, Winner{Project: pr.ID, Funded: pr.Cost})
		if pr.Cost > math.MaxInt64-res.TotalCost {
			return Result{}, fmt.Errorf("outcome: internal error: total cost overflows")
		}
		res.TotalCost += pr.Cost
	}
	// The rules guarantee this; checking it here means a bug shows up as an error, never as an overspent budget.
	if res.TotalCost > res.Budget {
		return Result{}, fmt.Errorf("outcome: internal error: rule %s spent %d of a budget of %d", p.in.Rule.Name, res.TotalCost, res.Budget)
	}
	for i := range p.projects {
		pr := &p.projects[i]
		res.Decisions[i] = Decision{
			Project:  pr.ID,
			Selected: d.selected[i],
			Reason:   d.reason[i],
			Detail:   d.detail[i],
			Support:  p.supportString(pr),
			Votes:    pr.votes,
			Rank:     d.rank[i],
			Share:    d.share[i],
		}
		if d.rank[i] > 0 && d.left != nil && !p.equalSharesResult(d) {
			left := d.left[i]
			res.Decisions[i].Left = &left
		}
	}
	return res, nil
}

// ratString formats an exact amount: "p" when whole, "p/q" otherwise.
func ratString(r *big.Rat) string { return r.RatString() }

// equalSharesResult reports whether d came from Equal Shares, whose ranks are selection order, not turns
// with money left.
func (p *prepared) equalSharesResult(d decisions) bool {
	return d.perVoter != "" && (d.comparison == nil || d.comparison.Chosen != Greedy)
}
