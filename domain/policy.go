package domain

import (
	"math/big"
	"slices"

	"github.com/pbledger/pbledger/domain/outcome"
)

// District is one district of a cycle with its own budget.
type District struct {
	ID   DistrictID `json:"id"`
	Name string     `json:"name"`
	// Names is the name in other languages (optional); Name is the fallback.
	Names Translations `json:"names,omitempty"`
	// Budget is what the district may allocate, in minor units.
	Budget Money `json:"budget"`
}

// BallotType says how residents express support. The names are stored in events forever.
type BallotType string

// Ballot types.
const (
	// BallotApproval: approve between MinChoices and MaxChoices proposals.
	BallotApproval BallotType = "approval"
	// BallotKnapsack: approve proposals whose total cost is at most MaxCost.
	BallotKnapsack BallotType = "knapsack"
	// BallotCumulative: give points, at most MaxPointsPerProposal each, MinTotalPoints..MaxTotalPoints in all.
	BallotCumulative BallotType = "cumulative"
	// BallotOrdinal: rank between MinChoices and MaxChoices proposals, most preferred first.
	BallotOrdinal BallotType = "ordinal"
	// BallotChooseOne: choose exactly one proposal.
	BallotChooseOne BallotType = "choose-one"
	// BallotScoring: give each chosen proposal a score between MinScore and MaxScore (zero or negative where
	// MinScore allows); unlisted proposals score 0 (Pabulib's scoring type with default_score 0).
	BallotScoring BallotType = "scoring"
)

// MaxPoints caps points on cumulative ballots so that sums never overflow.
const MaxPoints = 1_000_000_000

// BallotRule is the cycle's rule for ballots. Zero means "no limit" for the Max fields and "1" for MinChoices:
// an empty ballot is never valid, since an abstention is simply not voting.
type BallotRule struct {
	Type BallotType `json:"type"`
	// MinChoices and MaxChoices bound the number of proposals on a ballot (all types but choose-one).
	MinChoices int `json:"min_choices,omitempty"`
	MaxChoices int `json:"max_choices,omitempty"`
	// MaxCost caps the total cost of a knapsack ballot; zero means the district budget. The cost counted is
	// the proposal's full cost, which is fixed before voting, not its public cost, which pledges may lower
	// while voting is open: a ballot valid when cast stays valid.
	MaxCost Money `json:"max_cost,omitempty"`
	// MaxPointsPerProposal caps the points one proposal may get on a cumulative ballot; zero means no cap.
	MaxPointsPerProposal int64 `json:"max_points_per_proposal,omitempty"`
	// MinTotalPoints and MaxTotalPoints bound the points on a cumulative ballot; MaxTotalPoints is required.
	MinTotalPoints int64 `json:"min_total_points,omitempty"`
	MaxTotalPoints int64 `json:"max_total_points,omitempty"`
	// MinScore and MaxScore bound each score on a scoring ballot; MaxScore must be above MinScore.
	MinScore int64 `json:"min_score,omitempty"`
	MaxScore int64 `json:"max_score,omitempty"`
}

// Validate reports whether r is a well-formed ballot rule.
func (r BallotRule) Validate() error {
	if r.MinChoices < 0 || r.MaxChoices < 0 || r.MaxCost < 0 || r.MaxPointsPerProposal < 0 ||
		r.MinTotalPoints < 0 || r.MaxTotalPoints < 0 {
		return invalidf("ballot_rule: limits may not be negative (0 means no limit)")
	}
	if r.MaxChoices > 0 && r.MinChoices > r.MaxChoices {
		return invalidf("ballot_rule: min_choices %d is above max_choices %d", r.MinChoices, r.MaxChoices)
	}
	if r.Type != BallotKnapsack && r.MaxCost != 0 {
		return invalidf("ballot_rule: max_cost applies only to %s ballots", BallotKnapsack)
	}
	points := r.MaxPointsPerProposal != 0 || r.MinTotalPoints != 0 || r.MaxTotalPoints != 0
	if r.Type != BallotScoring && (r.MinScore != 0 || r.MaxScore != 0) {
		return invalidf("ballot_rule: min_score and max_score apply only to %s ballots", BallotScoring)
	}
	switch r.Type {
	case BallotScoring:
		if points {
			return invalidf("ballot_rule: a %s ballot takes min_score and max_score, not points limits", BallotScoring)
		}
		if r.MaxScore <= r.MinScore || r.MaxScore > MaxPoints || r.MinScore < -MaxPoints {
			return invalidf("ballot_rule: a %s ballot needs min_score < max_score within ±%d", BallotScoring, MaxPoints)
		}
	case BallotApproval, BallotKnapsack, BallotOrdinal:
		if points {
			return invalidf("ballot_rule: points apply only to %s ballots", BallotCumulative)
		}
	case BallotChooseOne:
		if points || r.MinChoices > 1 || r.MaxChoices > 1 {
			return invalidf("ballot_rule: a %s ballot has exactly one choice and no points", BallotChooseOne)
		}
	case BallotCumulative:
		if r.MaxTotalPoints == 0 {
			return invalidf("ballot_rule.max_total_points: a %s ballot needs it: the most points a voter may give in all", BallotCumulative)
		}
		if r.MaxTotalPoints > MaxPoints || r.MaxPointsPerProposal > MaxPoints {
			return invalidf("ballot_rule: points are capped at %d", MaxPoints)
		}
		if r.MinTotalPoints > r.MaxTotalPoints {
			return invalidf("ballot_rule: min_total_points %d is above max_total_points %d", r.MinTotalPoints, r.MaxTotalPoints)
		}
	default:
		return invalidf("ballot_rule.type: %q is not a ballot type; use \"approval\", \"knapsack\", \"cumulative\", \"ordinal\", \"choose-one\" or \"scoring\"", r.Type)
	}
	return nil
}

// VoteType is the outcome vote type of ballots cast under r: knapsack ballots count as approvals, since their
// cap was enforced when they were cast.
func (r BallotRule) VoteType() outcome.VoteType {
	switch r.Type {
	case BallotCumulative:
		return outcome.Cumulative
	case BallotScoring:
		return outcome.Scoring
	case BallotOrdinal:
		return outcome.Ordinal
	case BallotChooseOne:
		return outcome.ChooseOne
	default:
		return outcome.Approval
	}
}

// validateOutcomeRule reports whether rule is a known rule that applies to ballots of type bt. Equal Shares is
// defined here for approval-like ballots only (approval, knapsack, choose-one), so a cycle cannot open with a
// combination that would fail only at allocation. Increment (the add1 completion's step) applies to the add1
// rules only; a ledger counting tiyn sets 100 to raise per-voter budgets one tenge at a time.
func validateOutcomeRule(rule outcome.Rule, bt BallotType) error {
	add1 := false
	switch rule.Name {
	case outcome.Greedy, outcome.GreedyNoSkip, outcome.GreedyThreshold, outcome.GreedyExclusive:
	case outcome.EqualShares, outcome.EqualSharesComparison:
	case outcome.EqualSharesAdd1, outcome.EqualSharesAdd1Comparison, outcome.EqualSharesAdd1Greedy:
		add1 = true
	default:
		return invalidf("outcome_rule.name: %q is not an outcome rule; the rules are %s", rule.Name, joinRules(outcome.Rules()))
	}
	isGreedy := rule.Name == outcome.Greedy || rule.Name == outcome.GreedyNoSkip || rule.Name == outcome.GreedyThreshold ||
		rule.Name == outcome.GreedyExclusive
	if rule.Name == outcome.GreedyThreshold && rule.MinSupport <= 0 {
		return invalidf("outcome_rule.min_support: rule %q needs it, a positive number of votes a proposal needs to be funded", rule.Name)
	}
	if rule.MinSupport < 0 || (rule.MinSupport != 0 && !isGreedy) {
		return invalidf("outcome_rule.min_support: rule %q takes none (the greedy rules take one)", rule.Name)
	}
	if rule.TieBreak != "" && !slices.Contains(outcome.TieBreakOrders(), rule.TieBreak) {
		return invalidf("outcome_rule.tie_break: %q is not a tie-break order; the orders are %s", rule.TieBreak, joinStrings(outcome.TieBreakOrders()))
	}
	if len(rule.Exclusive) > 0 {
		return invalidf("outcome_rule: exclusion groups are declared by the budget commission (ExclusionGroupDeclared), not in the cycle's rule")
	}
	if rule.Increment < 0 || rule.Increment > int64(MaxMoney) {
		return invalidf("outcome_rule: rule increment %d is outside 0..%d", rule.Increment, MaxMoney)
	}
	if rule.Increment != 0 && !add1 {
		return invalidf("outcome_rule: rule %q takes no increment", rule.Name)
	}
	if !isGreedy && (bt == BallotCumulative || bt == BallotOrdinal || bt == BallotScoring) {
		return invalidf("outcome_rule: rule %q does not apply to %s ballots", rule.Name, bt)
	}
	return nil
}

// AssessorRole is what an assessor is registered as. The names are stored in events forever.
type AssessorRole string

// Assessor roles. All three may score; only the budget commission rules on feasibility.
const (
	RolePublicCouncil    AssessorRole = "public-council"
	RoleExpert           AssessorRole = "expert"
	RoleBudgetCommission AssessorRole = "budget-commission"
)

// Validate reports whether r is a known role.
func (r AssessorRole) Validate() error {
	if !slices.Contains([]AssessorRole{RolePublicCouncil, RoleExpert, RoleBudgetCommission}, r) {
		return invalidf("role: %q is not an assessor role; use \"public-council\", \"expert\" or \"budget-commission\"", r)
	}
	return nil
}

// ScoreScale is the integer range assessors score on, inclusive.
type ScoreScale struct {
	Min int64 `json:"min"`
	Max int64 `json:"max"`
}

// Criterion is one thing assessors score separately (e.g. "social impact").
type Criterion struct {
	ID   CriterionID `json:"id"`
	Name string      `json:"name"`
}

// AssessmentPolicy declares how assessment enters the outcome. It is fixed when the cycle opens.
//
// Each registered assessor, whatever the role, gives a proposal one overall score on Scale (plus one score per
// criterion, which is recorded and shown but does not enter the outcome); the proposal's mean score is the
// exact mean of the latest overall score of each assessor who scored it.
//
// Gates make a proposal not eligible: ExcludeInfeasible when the budget commission marked it infeasible;
// MinMeanScore (when MeanScoreGate is set) when its mean score is below the minimum or nobody scored it.
//
// WeightPercent, when positive, multiplies the proposal's support under the greedy rules by
//
//	weight = 1 + WeightPercent/100 × (mean − Scale.Min) / (Scale.Max − Scale.Min)
//
// exactly, as a big.Rat: the best possible mean adds WeightPercent percent, the worst adds nothing, and an
// unscored proposal gets weight 1. Equal Shares ignores weights.
type AssessmentPolicy struct {
	Scale             ScoreScale  `json:"scale"`
	Criteria          []Criterion `json:"criteria,omitempty"`
	ExcludeInfeasible bool        `json:"exclude_infeasible,omitempty"`
	MeanScoreGate     bool        `json:"mean_score_gate,omitempty"`
	MinMeanScore      int64       `json:"min_mean_score,omitempty"`
	WeightPercent     int64       `json:"weight_percent,omitempty"`
}

// MaxWeightPercent caps AssessmentPolicy.WeightPercent: assessment may at most multiply support by 11.
const MaxWeightPercent = 1000

// MaxScore caps the score scale.
const MaxScore = 1_000_000

// IsZero reports whether p declares no assessment at all.
func (p AssessmentPolicy) IsZero() bool {
	return p.Scale == (ScoreScale{}) && len(p.Criteria) == 0 && !p.ExcludeInfeasible && !p.MeanScoreGate &&
		p.MinMeanScore == 0 && p.WeightPercent == 0
}

// Validate reports whether p is well formed. A zero policy is valid (no assessment).
func (p AssessmentPolicy) Validate() error {
	if p.IsZero() {
		return nil
	}
	if p.Scale.Min < -MaxScore || p.Scale.Max > MaxScore || p.Scale.Min >= p.Scale.Max {
		return invalidf("assessment.scale: {\"min\": %d, \"max\": %d} is not a scale; min must be below max, both within ±%d", p.Scale.Min, p.Scale.Max, MaxScore)
	}
	seen := map[CriterionID]bool{}
	for _, c := range p.Criteria {
		if err := c.ID.Validate(); err != nil {
			return err
		}
		if seen[c.ID] {
			return invalidf("assessment.criteria: criterion %q is declared twice", c.ID)
		}
		seen[c.ID] = true
		if err := checkText("criterion name", c.Name, true, false, MaxNameLen); err != nil {
			return err
		}
	}
	if !p.MeanScoreGate && p.MinMeanScore != 0 {
		return invalidf("assessment.min_mean_score: needs mean_score_gate")
	}
	if p.MeanScoreGate && (p.MinMeanScore < p.Scale.Min || p.MinMeanScore > p.Scale.Max) {
		return invalidf("assessment.min_mean_score: %d is outside the scale %d..%d", p.MinMeanScore, p.Scale.Min, p.Scale.Max)
	}
	if p.WeightPercent < 0 || p.WeightPercent > MaxWeightPercent {
		return invalidf("assessment.weight_percent: %d is outside 0..%d", p.WeightPercent, MaxWeightPercent)
	}
	return nil
}

// Weight returns the support weight for a proposal with the given mean score (nil when unscored), or nil when
// the policy sets no weight. See AssessmentPolicy for the formula.
func (p AssessmentPolicy) Weight(mean *big.Rat) *big.Rat {
	if p.WeightPercent == 0 {
		return nil
	}
	if mean == nil {
		return big.NewRat(1, 1)
	}
	// 1 + pct/100 × (mean − min)/(max − min)
	w := new(big.Rat).Sub(mean, new(big.Rat).SetInt64(p.Scale.Min))
	w.Mul(w, big.NewRat(p.WeightPercent, 100*(p.Scale.Max-p.Scale.Min)))
	return w.Add(w, big.NewRat(1, 1))
}

// PledgerKind says who pledged co-financing. The names are stored in events forever.
type PledgerKind string

// Pledger kinds.
const (
	PledgerResident PledgerKind = "resident"
	PledgerBusiness PledgerKind = "business"
)

// MilestoneStatus is the state of a milestone. The names are stored in events forever.
type MilestoneStatus string

// Milestone statuses. A completed milestone reports 100 % progress.
const (
	MilestonePlanned    MilestoneStatus = "planned"
	MilestoneInProgress MilestoneStatus = "in-progress"
	MilestoneCompleted  MilestoneStatus = "completed"
	MilestoneDelayed    MilestoneStatus = "delayed"
	MilestoneCancelled  MilestoneStatus = "cancelled"
)

// ProposalStatus is where a proposal stands in review. Withdrawal is tracked separately (a published proposal
// that is withdrawn stays "published" with Withdrawn set), so the record shows what it was when withdrawn.
type ProposalStatus string

// Proposal statuses.
const (
	StatusSubmitted ProposalStatus = "submitted"
	StatusPublished ProposalStatus = "published"
	StatusRejected  ProposalStatus = "rejected"
)

// joinRules lists rule names for a message: "greedy", "equalshares" or "equalshares/add1".
func joinRules(rs []outcome.RuleName) string {
	ps := make([]Phase, len(rs))
	for i, r := range rs {
		ps[i] = Phase(r)
	}
	return joinPhases(ps)
}

// joinStrings lists values for a message: "a", "b" or "c".
func joinStrings(vs []string) string {
	ps := make([]Phase, len(vs))
	for i, v := range vs {
		ps[i] = Phase(v)
	}
	return joinPhases(ps)
}
