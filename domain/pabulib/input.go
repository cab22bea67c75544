package pabulib

import (
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

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
// the points for cumulative and scoring votes). A cumulative vote's choices with 0 points are left out: they
// add no support, and the ledger, whose cumulative ballots give every choice a point, drops them too.
//
// The rule is META rule as written (it may be one the outcome package does not know, such as "unknown";
// Compute then refuses it, so callers that let users choose a rule set Rule.Name themselves). When META has
// min_project_score_threshold, it becomes Rule.MinSupport. The parameters a pbledger export carries (the
// pbledger_* META keys and PROJECTS columns, see FromInput) are all read back: lot seed, increment,
// threshold, tie-break order and list positions, exclusion groups, weights and exclusions; so an export
// recounts exactly with no other input. Without pbledger_lot_seed, LotSeed is left empty for the caller.
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
	if inst.Exponent > 0 && isAdd1(in.Rule.Name) {
		// The add1 completion raises the per-voter budget one currency unit at a time (the Pabulib checker's
		// step); amounts here are 10^-Exponent units.
		in.Rule.Increment = Pow10(inst.Exponent)
	}
	for i, p := range inst.Projects {
		in.Projects[i] = outcome.Project{ID: p.ID, Cost: p.Cost, Excluded: strings.TrimSpace(p.Fields[ColumnExcluded])}
		if w := strings.TrimSpace(p.Fields[ColumnWeight]); w != "" {
			r, ok := new(big.Rat).SetString(w)
			if !ok || r.Sign() < 0 {
				return outcome.Input{}, fmt.Errorf("pabulib: project %s: %s %q is not a non-negative fraction", p.ID, ColumnWeight, w)
			}
			in.Projects[i].Weight = r
		}
	}
	if err := inst.readCountParameters(&in); err != nil {
		return outcome.Input{}, err
	}
	for i, v := range inst.Votes {
		cs := make([]outcome.Choice, 0, len(v.Projects))
		for j, id := range v.Projects {
			c := outcome.Choice{Project: id}
			if (vt == outcome.Cumulative || vt == outcome.Scoring) && j < len(v.Points) {
				c.Points = v.Points[j]
			}
			if vt == outcome.Cumulative && c.Points == 0 {
				continue // no support; the ledger drops it too (see ToImportWith)
			}
			cs = append(cs, c)
		}
		in.Ballots[i] = outcome.Ballot{Voter: v.VoterID, Choices: cs}
	}
	return in, nil
}

// readCountParameters reads the pbledger_* META keys of an export into in.
func (inst *Instance) readCountParameters(in *outcome.Input) error {
	num := func(key string) (int64, bool, error) {
		v, ok := inst.Get(key)
		if !ok || v == "" {
			return 0, false, nil
		}
		n, err := parseWhole(v, false)
		if err != nil {
			return 0, false, fmt.Errorf("pabulib: META %s: %w", key, err)
		}
		return n, true, nil
	}
	if n, ok, err := num(MetaIncrement); err != nil {
		return err
	} else if ok {
		in.Rule.Increment = n
	}
	if n, ok, err := num(MetaMinSupport); err != nil {
		return err
	} else if ok {
		in.Rule.MinSupport = n
	}
	if v, ok := inst.Get(MetaLotSeed); ok {
		in.LotSeed = v
	}
	if v, ok := inst.Get(MetaTieBreak); ok && v != "" {
		in.Rule.TieBreak = v
	}
	if v, ok := inst.Get(MetaExclusive); ok && v != "" {
		for g := range strings.SplitSeq(v, "|") {
			in.Rule.Exclusive = append(in.Rule.Exclusive, splitList(g))
		}
	}
	if slices.Contains(inst.ProjectColumns, ColumnPosition) || in.Rule.TieBreak == outcome.TieOrderListOrder {
		return SetListOrder(in, inst)
	}
	return nil
}

// SetListOrder sets each project's Position for the list-order tie-break: from the pbledger_position column
// where the file has one (a pbledger export), else its place in the file's PROJECTS section (1 = first).
func SetListOrder(in *outcome.Input, inst *Instance) error {
	pos := make(map[string]int, len(inst.Projects))
	column := slices.Contains(inst.ProjectColumns, ColumnPosition)
	for i, p := range inst.Projects {
		pos[p.ID] = i + 1
		if column {
			n, err := strconv.Atoi(strings.TrimSpace(p.Fields[ColumnPosition]))
			if err != nil || n < 0 {
				return fmt.Errorf("pabulib: project %s: %s %q is not a position", p.ID, ColumnPosition, p.Fields[ColumnPosition])
			}
			pos[p.ID] = n
		}
	}
	for i := range in.Projects {
		in.Projects[i].Position = pos[in.Projects[i].ID]
	}
	return nil
}
