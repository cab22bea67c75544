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
const (
	Approval   VoteType = "approval"
	Cumulative VoteType = "cumulative"
	Ordinal    VoteType = "ordinal"
	ChooseOne  VoteType = "choose-one"
)

// RuleName names an outcome rule. The names are stored in events forever.
type RuleName string

// Outcome rules.
const (
	// Greedy funds projects by descending support, skipping those that no longer fit.
	Greedy RuleName = "greedy"
	// GreedyNoSkip funds projects by descending support and stops at the first that does not fit.
	GreedyNoSkip RuleName = "greedy-no-skip"
	// GreedyThreshold is Greedy among projects whose support is at least Rule.MinSupport.
	GreedyThreshold RuleName = "greedy-threshold"
	// EqualSharesAdd1 is the Method of Equal Shares with cost utilities, completed by raising the per-voter
	// budget one unit at a time and keeping the last outcome that does not overspend.
	EqualSharesAdd1 RuleName = "equalshares/add1"
	// EqualSharesAdd1Greedy is EqualSharesAdd1 followed by a comparison with the Greedy outcome.
	EqualSharesAdd1Greedy RuleName = "equalshares/add1/greedy"
)

// Rule is an outcome rule with its parameters.
type Rule struct {
	Name RuleName `json:"name"`
	// MinSupport is the least support a project needs under GreedyThreshold.
	MinSupport int64 `json:"min_support,omitempty"`
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
const (
	ReasonFunded         = "funded"                   // selected and funded
	ReasonExcluded       = "not-eligible"             // Project.Excluded was set; Decision.Detail carries its reason
	ReasonDoesNotFit     = "does-not-fit"             // its cost exceeded what was left when its turn came
	ReasonStopped        = "stopped"                  // greedy-no-skip stopped before reaching it
	ReasonBelowThreshold = "below-threshold"          // support below Rule.MinSupport
	ReasonNoSupporters   = "no-support"               // nobody supported it
	ReasonUnaffordable   = "supporters-cannot-afford" // Equal Shares: its supporters' shares could not pay for it
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
	Rank int `json:"rank"`
}

// TieBreak records one tie the rule had to break.
type TieBreak struct {
	// Projects are the tied projects, in the order the tie-break put them.
	Projects []string `json:"projects"`
	// By is the tie-break that decided: "lowest-cost", "most-votes" or "lot".
	By string `json:"by"`
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
}

// Compute returns the outcome of in. It fails, wrapping ErrInvalidInput, only on malformed input.
func Compute(in Input) (Result, error) {
	return Result{}, errors.New("outcome: not implemented yet")
}
