// Package outcome computes the outcome of one participatory-budgeting district: which projects are funded,
// in which order, and why each project won or lost.
//
// It is pure: no I/O, no clocks, no randomness, no floating point. The same Input always gives the same Result,
// byte for byte, whatever order the ballots come in. Money is an integer count of the smallest currency unit;
// rules that divide money use math/big.Rat.
package outcome

import (
	"errors"
	"math/big"
)

// VoteType says how a ballot expresses support, as in the Pabulib format.
type VoteType string

// Vote types. Knapsack ballots are approval ballots whose total cost is capped; the cap is a ballot rule,
// enforced when ballots are cast, so the outcome rules see them as approvals.
//
// A project's support under each vote type:
//   - Approval and ChooseOne: the number of ballots that include it.
//   - Cumulative and Scoring: the sum of the points ballots give it.
//   - Ordinal: a Borda score truncated to the ballot — on a ballot ranking L projects, the first gets L points,
//     the second L-1, …, the last 1. This reproduces the `score` column of Pabulib's ordinal files (checked on
//     Kraków 2018 Bieńczyce, where every ballot ranks exactly 3 projects).
const (
	Approval   VoteType = "approval"
	Cumulative VoteType = "cumulative"
	Ordinal    VoteType = "ordinal"
	ChooseOne  VoteType = "choose-one"
	// Scoring ballots give each listed project an integer score, which may be zero or negative; support is
	// the sum of the scores (Pabulib's `scoring` type with default_score 0).
	Scoring VoteType = "scoring"
)

// RuleName names an outcome rule. The names are stored in events forever.
type RuleName string

// Outcome rules.
const (
	// Greedy funds projects by descending support, skipping those that no longer fit.
	Greedy RuleName = "greedy"
	// GreedyNoSkip funds projects by descending support and stops at the first that does not fit.
	GreedyNoSkip RuleName = "greedy-no-skip"
	// GreedyThreshold is Greedy among projects whose support is at least Rule.MinSupport (which must be
	// positive). Every greedy rule honours a positive MinSupport; this name says the threshold is part of it.
	GreedyThreshold RuleName = "greedy-threshold"
	// GreedyExclusive is Greedy where some projects cannot all be built (Rule.Exclusive): once a project of an
	// exclusion group is funded, the group's other projects are passed over (reason "exclusive"). Pabulib
	// names it for Warsaw's districts, where the budget commission rules out overlapping projects.
	GreedyExclusive RuleName = "greedy-exclusive"
	// EqualShares is the Method of Equal Shares with cost utilities and no completion: each voter gets
	// Budget / (number of ballots), exactly. It usually leaves part of the budget unspent.
	EqualShares RuleName = "equalshares"
	// EqualSharesAdd1 is the Method of Equal Shares with cost utilities, completed by raising the per-voter
	// budget one unit at a time and keeping the last outcome that does not overspend.
	//
	// Exactly, following the Pabulib checker (pabulib/checker, the authority on Pabulib's `rule` values):
	// first Equal Shares with the per-voter budget Budget/n (n = number of ballots, an exact fraction); then
	// with per-voter budgets s·(k+1), s·(k+2), … where s is Rule.Increment (1 when zero) and k = ⌊Budget/(n·s)⌋.
	// The first of these outcomes that costs more than Budget ends the search, and the one before it is the
	// result. There is no stop at the first exhaustive outcome (equalshares.net's optional "exhaustive" stop):
	// on Wieliczka 2023 that stop gives 31 projects where the official result, reproduced by this rule, has 30.
	// (There, per-voter budgets 306 to 315 give the official 30 projects, 995,079 zł, and 316 overspends, so
	// the result's PerVoterBudget is 315; the city published 313, which gives the same projects.)
	//
	// Where the search as written would never end, it stops, which cannot change a result the search as
	// written would reach: when an outcome funds every project that has supporters (no higher budget can add
	// anything, and if they all fit none will overspend), and when it is proven that no higher per-voter budget
	// changes the outcome. Long stretches of per-voter budgets with the same outcome are skipped by proof,
	// not tried one by one (see stableUntil), so the number of steps does not bound the running time.
	//
	// Equal Shares applies to approval and choose-one ballots only: cost utilities need a yes/no vote.
	EqualSharesAdd1 RuleName = "equalshares/add1"
	// EqualSharesComparison is EqualShares followed by the comparison step described at
	// EqualSharesAdd1Comparison.
	EqualSharesComparison RuleName = "equalshares-comparison"
	// EqualSharesAdd1Comparison is EqualSharesAdd1 followed by a comparison with the Greedy outcome, as
	// equalshares.net's compute tool does it ("satisfaction" comparison) and Pabulib names it: each ballot
	// prefers the outcome that funds more of the projects it supports. If more ballots prefer the Greedy
	// outcome than prefer the Equal Shares outcome, the Greedy outcome is the result; otherwise (ties
	// included) the Equal Shares outcome is. Result.Comparison records the counts.
	EqualSharesAdd1Comparison RuleName = "equalshares/add1-comparison"
	// EqualSharesAdd1Greedy is the name this project first gave to EqualSharesAdd1Comparison; it computes
	// exactly the same thing and stays valid because rule names are stored in events forever.
	EqualSharesAdd1Greedy RuleName = "equalshares/add1/greedy"
)

// Rules lists every rule name Compute accepts, in a stable order, for help texts and error messages.
func Rules() []RuleName {
	return []RuleName{
		Greedy, GreedyNoSkip, GreedyThreshold, GreedyExclusive,
		EqualShares, EqualSharesAdd1, EqualSharesComparison, EqualSharesAdd1Comparison, EqualSharesAdd1Greedy,
	}
}

// Known reports whether Compute accepts the rule name.
func (n RuleName) Known() bool {
	for _, r := range Rules() {
		if r == n {
			return true
		}
	}
	return false
}

// Rule is an outcome rule with its parameters.
type Rule struct {
	Name RuleName `json:"name"`
	// MinSupport is the least support a project needs under the greedy rules (GreedyThreshold requires one; zero
	// means none). It is compared with the
	// unweighted support (approvals, points or rank score), because legal thresholds count votes; Weight only
	// changes the order.
	MinSupport int64 `json:"min_support,omitempty"`
	// Increment is how much the per-voter budget rises at each step of the add1 completion, in minor units;
	// zero means 1. Pabulib files count whole currency units, so the default is "one złoty"; a ledger that
	// counts grosze must set 100 to compute the same outcome as the official rule.
	Increment int64 `json:"increment,omitempty"`
	// TieBreak names the order of the tie-breaks (TieBreakOrders); "" means TieOrderLowestCost.
	TieBreak string `json:"tie_break,omitempty"`
	// Exclusive lists groups of projects that cannot all be built (they use the same site, say): under
	// GreedyExclusive, once a project of a group is funded, the group's other projects are not funded.
	// Each group names at least two projects; a project may be in several groups.
	Exclusive [][]string `json:"exclusive,omitempty"`
}

// Orders of tie-breaks a rule may declare (Rule.TieBreak). They are stored in events forever.
const (
	// TieOrderLowestCost: lowest cost first, then most votes (Decision.Votes), then the lot. The default:
	// among equally supported projects the cheaper one leaves more money for the others.
	TieOrderLowestCost = "lowest-cost"
	// TieOrderHighestCost: highest cost first, then most votes, then the lot. Among equally supported
	// projects the city funds the larger one while it fits; this is how the Polish cities of the Pabulib
	// library broke their ties (see docs/CORPUS.md).
	TieOrderHighestCost = "highest-cost"
	// TieOrderListOrder: the order of a declared list (Project.Position, lowest first), then the lot; for
	// organisers who publish the order of tied projects before counting (for example the order projects
	// were listed on the ballot).
	TieOrderListOrder = "list-order"
)

// TieBreakOrders lists the values Rule.TieBreak accepts besides "".
func TieBreakOrders() []string {
	return []string{TieOrderLowestCost, TieOrderHighestCost, TieOrderListOrder}
}

// Project is a candidate for funding.
type Project struct {
	ID string
	// Cost is what the district budget would pay, in minor units: the proposal's cost minus co-financing.
	Cost int64
	// Weight multiplies the project's support under the greedy rules (for example from expert scores);
	// nil means 1. Equal Shares ignores it.
	Weight *big.Rat
	// Excluded, when not empty, is the reason the project is not eligible; it is reported and never funded.
	Excluded string
	// Position is the project's place in a declared list (1 = first), used only by the TieOrderListOrder
	// tie-break; zero elsewhere.
	Position int
}

// Choice is one entry of a ballot.
type Choice struct {
	Project string
	// Points are the points given under cumulative voting; ignored for other vote types.
	Points int64
}

// Ballot is one voter's ballot.
type Ballot struct {
	// Voter is the pseudonymous voter key; it does not influence the outcome.
	Voter string
	// Choices are the projects the ballot supports: a set for approval and choose-one, in rank order
	// (most preferred first) for ordinal, with points for cumulative.
	Choices []Choice
}

// Input is everything an outcome depends on.
type Input struct {
	Budget   int64
	VoteType VoteType
	Projects []Project
	Ballots  []Ballot
	Rule     Rule
	// LotSeed is the lot drawn and recorded before counting; it decides ties left after the other tie-breaks.
	LotSeed string
}

// ErrInvalidInput is returned (wrapped) when an Input is not well formed: unknown projects on ballots,
// negative costs, a rule that does not apply to the vote type, and so on.
var ErrInvalidInput = errors.New("outcome: invalid input")

// Reason codes say why a project won or lost. They are stored in events forever.
//
// Precedence, when several apply: not-eligible, then no-support, then below-threshold, then above-budget, then
// the rule's own.
const (
	ReasonFunded         = "funded"                   // selected and funded
	ReasonExcluded       = "not-eligible"             // Project.Excluded was set; Decision.Detail carries its reason
	ReasonDoesNotFit     = "does-not-fit"             // its cost exceeded what was left when its turn came
	ReasonStopped        = "stopped"                  // greedy-no-skip stopped before reaching it
	ReasonBelowThreshold = "below-threshold"          // support below Rule.MinSupport
	ReasonNoSupporters   = "no-support"               // nobody supported it (support zero or less)
	ReasonUnaffordable   = "supporters-cannot-afford" // Equal Shares: its supporters' shares could not pay for it
	ReasonAboveBudget    = "above-budget"             // greedy rules: it costs more than the whole budget
	ReasonExclusive      = "exclusive"                // greedy-exclusive: a project of its exclusion group was funded first
)

// Winner is a funded project, in selection order.
type Winner struct {
	Project string `json:"project"`
	// Funded is the amount paid from the district budget, in minor units.
	Funded int64 `json:"funded"`
}

// Decision says, for one project, whether it won and why.
type Decision struct {
	Project  string `json:"project"`
	Selected bool   `json:"selected"`
	Reason   string `json:"reason"`
	Detail   string `json:"detail,omitempty"`
	// Support is the project's support under the vote type (approvals, points or rank score), exact, as a
	// decimal integer or a fraction "p/q" when weighted.
	Support string `json:"support"`
	// Votes is the number of ballots that include the project.
	Votes int64 `json:"votes"`
	// Rank is the project's 1-based position in the order the rule considered projects (0 when never considered).
	// Under Equal Shares, which reconsiders every project each round, winners are ranked in selection order and
	// the other projects have Rank 0.
	Rank int `json:"rank"`
	// Share is set for projects funded under Equal Shares: the most any one supporter paid for it (supporters
	// with less money left paid all they had), exact, "p/q" when fractional.
	Share string `json:"share,omitempty"`
	// Left is, under the greedy rules, the money left in the budget when the project's turn came (before it
	// was funded or passed over); nil when the rule never considered it.
	Left *int64 `json:"left,omitempty"`
}

// Tie-breaks, as TieBreak.By names them: by default lowest cost first, then most votes (Decision.Votes), then
// the lot (see LotOrder); Rule.TieBreak may declare another order. They are stored in events forever.
const (
	TieLowestCost  = "lowest-cost"
	TieHighestCost = "highest-cost"
	TieListOrder   = "list-order"
	TieMostVotes   = "most-votes"
	TieLot         = "lot"
)

// TieBreak records one tie the rule had to break: a moment when several projects were equally good
// candidates for the next place (greedy: equal support; Equal Shares: exactly equal ρ, the price per unit of
// utility). A group of k tied projects under a greedy rule gives k-1 records, one per place decided.
type TieBreak struct {
	// Projects are the tied projects, in the order the tie-break put them; the first one took the place.
	Projects []string `json:"projects"`
	// By is the tie-break that put the first project ahead of the second: TieLowestCost, TieHighestCost,
	// TieListOrder, TieMostVotes or TieLot.
	By string `json:"by"`
	// Stage is set only under the comparison rules: "equal-shares" or "greedy", the computation that met the tie.
	Stage string `json:"stage,omitempty"`
}

// Comparison reports the comparison step of EqualSharesComparison and EqualSharesAdd1Comparison.
type Comparison struct {
	// PreferEqualShares and PreferGreedy count the ballots that include more funded projects under the
	// Equal Shares outcome, respectively the Greedy outcome.
	PreferEqualShares int64 `json:"prefer_equal_shares"`
	PreferGreedy      int64 `json:"prefer_greedy"`
	// Chosen is EqualSharesAdd1 (or EqualShares) or Greedy: the outcome that became the result.
	Chosen RuleName `json:"chosen"`
}

// Result is the outcome of one district.
type Result struct {
	Rule      Rule     `json:"rule"`
	VoteType  VoteType `json:"vote_type"`
	Budget    int64    `json:"budget"`
	TotalCost int64    `json:"total_cost"`
	Winners   []Winner `json:"winners"`
	// Decisions has one entry per project, ordered by project ID.
	Decisions []Decision `json:"decisions"`
	TieBreaks []TieBreak `json:"tie_breaks,omitempty"`
	// InputDigest is the hex SHA-256 of the canonical encoding of the Input (see Digest).
	InputDigest    string `json:"input_digest"`
	LotSeed        string `json:"lot_seed"`
	BallotsCounted int    `json:"ballots_counted"`
	// PerVoterBudget is, under Equal Shares, the per-voter budget of the chosen outcome, exact ("313" or "p/q").
	PerVoterBudget string `json:"per_voter_budget,omitempty"`
	// Comparison is set under the comparison rules.
	Comparison *Comparison `json:"comparison,omitempty"`
}
