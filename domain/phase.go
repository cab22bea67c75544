package domain

import (
	"slices"
	"strings"
)

// Phase is a stage of a cycle. Phase names are stored in events forever.
type Phase string

// Phases, in the order a plan lists them (assessment may come before voting instead).
const (
	// PhaseSubmission: residents submit and revise proposals; moderators may already publish or reject them.
	PhaseSubmission Phase = "submission"
	// PhaseReview: moderators publish or reject the remaining proposals.
	PhaseReview Phase = "review"
	// PhaseVoting: residents cast ballots.
	PhaseVoting Phase = "voting"
	// PhaseAssessment: registered assessors score proposals; the budget commission rules on feasibility.
	PhaseAssessment Phase = "assessment"
	// PhaseAllocation: each district's allocation is computed and recorded.
	PhaseAllocation Phase = "allocation"
	// PhaseImplementation: milestones of funded proposals are reported.
	PhaseImplementation Phase = "implementation"
	// PhaseClosed: the cycle is over; nothing more can be recorded.
	PhaseClosed Phase = "closed"
)

// knownPhases lists every phase, for validation.
var knownPhases = []Phase{PhaseSubmission, PhaseReview, PhaseVoting, PhaseAssessment, PhaseAllocation,
	PhaseImplementation, PhaseClosed}

// StandardPlan is the plan with every phase and experts assessing after the public vote.
func StandardPlan() []Phase {
	return []Phase{PhaseSubmission, PhaseReview, PhaseVoting, PhaseAssessment, PhaseAllocation,
		PhaseImplementation, PhaseClosed}
}

// ValidatePlan reports whether plan is a valid phase plan. A valid plan is exactly
//
//	submission, [review], voting, [assessment], allocation, implementation, closed
//	submission, [review], assessment, voting, allocation, implementation, closed
//
// Review is optional because moderators may publish during submission. Assessment is optional because many
// cycles (and most Pabulib elections) have none; a plan without it must declare an empty assessment policy,
// since nobody could ever score or rule on feasibility. When present, assessment comes after review, so
// experts see every published proposal, and before allocation, so it can count.
func ValidatePlan(plan []Phase) error {
	if len(plan) == 0 {
		return invalidf("plan is empty; list the phases in order, e.g. %s", joinList(StandardPlan()))
	}
	seen := map[Phase]int{}
	for i, p := range plan {
		if !slices.Contains(knownPhases, p) {
			return invalidf("plan: %q is not a phase; the phases are %s", p, joinPhases(knownPhases))
		}
		if j, dup := seen[p]; dup {
			return invalidf("plan: phase %q appears twice (positions %d and %d); list each phase once", p, j+1, i+1)
		}
		seen[p] = i
	}
	var missing []Phase
	for _, p := range []Phase{PhaseSubmission, PhaseVoting, PhaseAllocation, PhaseImplementation, PhaseClosed} {
		if _, ok := seen[p]; !ok {
			missing = append(missing, p)
		}
	}
	switch len(missing) {
	case 0:
	case 1:
		return invalidf("plan: the phase %s is missing; every plan has %s (review and assessment are optional)",
			joinPhasesAnd(missing), joinPhasesAnd([]Phase{PhaseSubmission, PhaseVoting, PhaseAllocation, PhaseImplementation, PhaseClosed}))
	default:
		return invalidf("plan: the phases %s are missing; every plan has %s (review and assessment are optional)",
			joinPhasesAnd(missing), joinPhasesAnd([]Phase{PhaseSubmission, PhaseVoting, PhaseAllocation, PhaseImplementation, PhaseClosed}))
	}
	before := func(a, b Phase) error {
		ia, oka := seen[a]
		ib, okb := seen[b]
		if oka && okb && ia > ib {
			return invalidf("plan: %q must come before %q", a, b)
		}
		return nil
	}
	if plan[0] != PhaseSubmission {
		return invalidf("plan: %q must come first, not %q", PhaseSubmission, plan[0])
	}
	if plan[len(plan)-1] != PhaseClosed {
		return invalidf("plan: %q must come last, not %q", PhaseClosed, plan[len(plan)-1])
	}
	for _, pair := range [][2]Phase{
		{PhaseReview, PhaseVoting},
		{PhaseReview, PhaseAssessment},
		{PhaseVoting, PhaseAllocation},
		{PhaseAssessment, PhaseAllocation},
		{PhaseAllocation, PhaseImplementation},
	} {
		if err := before(pair[0], pair[1]); err != nil {
			return err
		}
	}
	// Implementation directly precedes closed, which is last; allocation directly precedes implementation.
	if plan[len(plan)-2] != PhaseImplementation || plan[len(plan)-3] != PhaseAllocation {
		return invalidf("phase plan: must end with %s", strings.Join([]string{string(PhaseAllocation),
			string(PhaseImplementation), string(PhaseClosed)}, ", "))
	}
	return nil
}

// phaseIndex returns p's position in plan, or -1.
func phaseIndex(plan []Phase, p Phase) int { return slices.Index(plan, p) }

// joinPhasesAnd lists phases for a sentence: "a", "a" and "b", "a", "b" and "c".
func joinPhasesAnd(ps []Phase) string {
	return strings.Replace(joinPhases(ps), " or ", " and ", 1)
}

// joinList lists phases as JSON would: ["a", "b"].
func joinList(ps []Phase) string {
	q := make([]string, len(ps))
	for i, p := range ps {
		q[i] = `"` + string(p) + `"`
	}
	return "[" + strings.Join(q, ", ") + "]"
}
