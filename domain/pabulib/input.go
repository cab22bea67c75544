package pabulib

import (
	"fmt"

	"github.com/pbledger/pbledger/domain/outcome"
)

// OutcomeVoteType maps a Pabulib vote_type to the outcome package's vote type.
func OutcomeVoteType(vt string) (outcome.VoteType, error) {
	switch vt {
	case VoteApproval:
		return outcome.Approval, nil
	case VoteChooseOne:
		return outcome.ChooseOne, nil
	case VoteCumulative:
		return outcome.Cumulative, nil
	case VoteOrdinal:
		return outcome.Ordinal, nil
	case VoteScoring:
		return outcome.Scoring, nil
	}
	return "", fmt.Errorf("pabulib: unknown vote_type %q", vt)
}

// OutcomeInput builds the outcome rules' input from the instance: the budget, the vote type, every project
// (ID and cost) and every vote (voter ID, the projects in file order — the ranking for ordinal votes — and
// the points for cumulative and scoring votes).
//
// The rule is META rule as written (it may be one the outcome package does not know, such as "unknown";
// Compute then refuses it, so callers that let users choose a rule set Rule.Name themselves). When META has
// min_project_score_threshold, it becomes Rule.MinSupport. LotSeed is left empty for the caller to set.
//
// Scoring files whose default_score is not zero are refused: the outcome rules do not give unlisted projects
// a score.
func (inst *Instance) OutcomeInput() (outcome.Input, error) {
	budget, err := inst.Budget()
	if err != nil {
		return outcome.Input{}, err
	}
	vt, err := OutcomeVoteType(inst.VoteType())
	if err != nil {
		return outcome.Input{}, err
	}
	if ds, ok := inst.Get("default_score"); ok && vt == outcome.Scoring {
		if n, err := parseWhole(ds, true); err != nil || n != 0 {
			return outcome.Input{}, fmt.Errorf("pabulib: default_score %q is not supported (only 0)", ds)
		}
	}
	in := outcome.Input{
		Budget:   budget,
		VoteType: vt,
		Rule:     outcome.Rule{Name: outcome.RuleName(inst.Rule())},
		Projects: make([]outcome.Project, len(inst.Projects)),
		Ballots:  make([]outcome.Ballot, len(inst.Votes)),
	}
	if t, ok := inst.Get("min_project_score_threshold"); ok && t != "" {
		n, err := parseWhole(t, false)
		if err != nil {
			return outcome.Input{}, fmt.Errorf("pabulib: META min_project_score_threshold: %w", err)
		}
		in.Rule.MinSupport = n
	}
	for i, p := range inst.Projects {
		in.Projects[i] = outcome.Project{ID: p.ID, Cost: p.Cost}
	}
	for i, v := range inst.Votes {
		cs := make([]outcome.Choice, len(v.Projects))
		for j, id := range v.Projects {
			cs[j].Project = id
			if (vt == outcome.Cumulative || vt == outcome.Scoring) && j < len(v.Points) {
				cs[j].Points = v.Points[j]
			}
		}
		in.Ballots[i] = outcome.Ballot{Voter: v.VoterID, Choices: cs}
	}
	return in, nil
}
