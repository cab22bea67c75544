package pabulib

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/domain/outcome"
)

// Import is a Pabulib instance as the ledger's commands: a cycle with one district, its projects submitted and
// published, and its votes cast. Running them in order through the domain (open, submit and publish every
// proposal, advance to voting, cast every ballot, advance to allocation) records the instance as events that
// the domain's own rules have checked.
type Import struct {
	Cycle     domain.OpenCycle
	Proposals []domain.SubmitProposal
	Ballots   []domain.CastBallot
	// Notes say where the file did not fit the ledger's rules as declared and what the import did about it
	// (a ballot rule widened to the ballots actually counted, empty votes skipped, an unknown rule).
	Notes []string
}

// ImportAuthor is the author key of imported proposals: Pabulib files do not name proposers.
const ImportAuthor domain.VoterKey = "pabulib"

// ToImport turns a parsed file into the commands that record it as cycle id. rule, if not empty, overrides
// the file's META rule (which may be "unknown").
func ToImport(inst *Instance, id domain.CycleID, rule outcome.RuleName) (*Import, error) {
	if err := id.Validate(); err != nil {
		return nil, err
	}
	budget, err := inst.Budget()
	if err != nil {
		return nil, err
	}
	limits, err := inst.Limits()
	if err != nil {
		return nil, err
	}
	imp := &Import{}
	district := domain.District{ID: districtID(inst), Name: firstMeta(inst, "district", "subunit", "unit", "description"), Budget: domain.Money(budget)}
	if district.Name == "" {
		district.Name = string(id)
	}
	ballotRule, err := ballotRule(inst, limits, imp)
	if err != nil {
		return nil, err
	}
	if rule == "" {
		rule = outcome.RuleName(inst.Rule())
	}
	orule := outcome.Rule{Name: rule}
	if !rule.Known() {
		imp.Notes = append(imp.Notes, fmt.Sprintf("META rule %q is not one the ledger knows; the cycle uses %q (choose another with --rule)", rule, outcome.Greedy))
		orule.Name = outcome.Greedy
	}
	if orule.Name == outcome.GreedyThreshold {
		t, _ := inst.Get("min_project_score_threshold")
		n, err := strconv.ParseInt(t, 10, 64)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("pabulib: rule %s needs META min_project_score_threshold", orule.Name)
		}
		orule.MinSupport = n
	}
	name := firstMeta(inst, "description")
	if name == "" {
		name = string(id)
	}
	imp.Cycle = domain.OpenCycle{
		CycleID: id, Name: name, Currency: currency(inst), CurrencyExponent: 0,
		Districts:   []domain.District{district},
		Plan:        []domain.Phase{domain.PhaseSubmission, domain.PhaseVoting, domain.PhaseAllocation, domain.PhaseImplementation, domain.PhaseClosed},
		BallotRule:  ballotRule,
		OutcomeRule: orule,
	}
	ids := make(map[string]domain.ProposalID, len(inst.Projects))
	for _, p := range inst.Projects {
		pid := ProposalID(id, p.ID)
		ids[p.ID] = pid
		content := domain.ProposalContent{Title: oneLine(p.Fields["name"]), Cost: domain.Money(p.Cost), ExternalRef: p.ID,
			Category: strings.TrimSpace(p.Fields["category"])}
		if content.Title == "" {
			content.Title = "Project " + p.ID
		}
		content.Title = clip(content.Title, domain.MaxTitleLen)
		content.Category = clip(oneLine(content.Category), domain.MaxCategoryLen)
		if lat, lon := strings.TrimSpace(p.Fields["latitude"]), strings.TrimSpace(p.Fields["longitude"]); lat != "" && lon != "" {
			la, err1 := domain.ParseDegrees(lat)
			lo, err2 := domain.ParseDegrees(lon)
			if err1 == nil && err2 == nil {
				content.Location = &domain.Location{LatMicro: la, LonMicro: lo}
			}
		}
		imp.Proposals = append(imp.Proposals, domain.SubmitProposal{ProposalID: pid, CycleID: id, DistrictID: district.ID, Author: ImportAuthor, ProposalContent: content})
	}
	empty := 0
	for _, v := range inst.Votes {
		if len(v.Projects) == 0 {
			empty++
			continue
		}
		b := domain.CastBallot{CycleID: id, DistrictID: district.ID, Voter: VoterKey(v.VoterID)}
		for j, p := range v.Projects {
			ch := domain.BallotChoice{ProposalID: ids[p]}
			if ballotRule.Type == domain.BallotCumulative && j < len(v.Points) {
				ch.Points = v.Points[j]
			}
			b.Choices = append(b.Choices, ch)
		}
		imp.Ballots = append(imp.Ballots, b)
	}
	if empty > 0 {
		imp.Notes = append(imp.Notes, fmt.Sprintf("%d empty votes skipped: the ledger does not record empty ballots", empty))
	}
	return imp, nil
}

// ProposalID is the ID an imported project gets: the cycle and the project_id, or a digest where those do
// not fit the ID grammar.
func ProposalID(cycle domain.CycleID, projectID string) domain.ProposalID {
	id := domain.ProposalID(string(cycle) + ":" + projectID)
	if id.Validate() == nil {
		return id
	}
	sum := sha256.Sum256([]byte(projectID))
	id = domain.ProposalID(string(cycle) + ":h" + hex.EncodeToString(sum[:8]))
	if id.Validate() == nil {
		return id
	}
	sum = sha256.Sum256([]byte(string(cycle) + "\x00" + projectID))
	return domain.ProposalID("pb" + hex.EncodeToString(sum[:16]))
}

// VoterKey is the key an imported voter gets: the voter_id where it fits the key grammar, else a digest.
func VoterKey(voterID string) domain.VoterKey {
	if k := domain.VoterKey(voterID); k.Validate() == nil {
		return k
	}
	sum := sha256.Sum256([]byte(voterID))
	return domain.VoterKey("h" + hex.EncodeToString(sum[:16]))
}

func districtID(inst *Instance) domain.DistrictID {
	for _, key := range []string{"district", "subunit", "unit"} {
		v, _ := inst.Get(key)
		var b strings.Builder
		for _, r := range strings.ToLower(v) {
			switch {
			case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
				b.WriteRune(r)
			case r == ' ' || r == '_' || r == '-':
				if b.Len() > 0 {
					b.WriteByte('_')
				}
			}
		}
		id := domain.DistrictID(strings.Trim(b.String(), "_"))
		if len(id) > 32 {
			id = id[:32]
		}
		if id.Validate() == nil {
			return id
		}
	}
	return "all"
}

func firstMeta(inst *Instance, keys ...string) string {
	for _, k := range keys {
		if v, ok := inst.Get(k); ok && v != "" {
			return clip(oneLine(v), 200)
		}
	}
	return ""
}

// oneLine makes text one line for a name or title: whitespace runs become one space, and the characters the
// ledger refuses in one-line text (bidi controls, zero-width and invisible characters, which real portals'
// exports hold: a zero-width space before a title, emoji joined with U+200D) are dropped.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if domain.RefusedInOneLine(r) {
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8Start(s[n]) {
		n--
	}
	return s[:n]
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// currency returns META currency, or the currency of the country, or "XXX" (ISO 4217: no currency).
func currency(inst *Instance) string {
	if c, ok := inst.Get("currency"); ok && len(c) == 3 && strings.ToUpper(c) == c {
		return c
	}
	country, _ := inst.Get("country")
	switch strings.ToLower(country) {
	case "poland":
		return "PLN"
	case "netherlands", "france", "germany", "spain", "italy", "belgium", "austria", "finland", "portugal":
		return "EUR"
	case "switzerland":
		return "CHF"
	case "united kingdom", "uk":
		return "GBP"
	case "united states", "usa":
		return "USD"
	}
	return "XXX"
}

// ballotRule builds the cycle's ballot rule from META and widens it where the file's votes go beyond it:
// real files record ballots as counted, even where they break the declared limits, and the ledger must be
// able to record every one of them to reproduce the official outcome.
func ballotRule(inst *Instance, l Limits, imp *Import) (domain.BallotRule, error) {
	var r domain.BallotRule
	costs := map[string]int64{}
	for _, p := range inst.Projects {
		costs[p.ID] = p.Cost
	}
	minLen, maxLen, maxCost, maxPts, minSum, maxSum := -1, 0, int64(0), int64(0), int64(-1), int64(0)
	for _, v := range inst.Votes {
		if len(v.Projects) == 0 {
			continue
		}
		n := len(v.Projects)
		if minLen < 0 || n < minLen {
			minLen = n
		}
		maxLen = max(maxLen, n)
		var c, sum int64
		for j, p := range v.Projects {
			c += costs[p]
			if j < len(v.Points) {
				maxPts = max(maxPts, v.Points[j])
				sum += v.Points[j]
			}
		}
		maxCost = max(maxCost, c)
		if minSum < 0 || sum < minSum {
			minSum = sum
		}
		maxSum = max(maxSum, sum)
	}
	widen := func(what string, declared, actual int64) int64 {
		imp.Notes = append(imp.Notes, fmt.Sprintf("META %s is %d but the file's votes reach %d; the imported ballot rule allows %d", what, declared, actual, actual))
		return actual
	}
	choices := func() {
		if l.MinLength.Set && minLen >= 0 {
			r.MinChoices = int(l.MinLength.Value)
			if int64(minLen) < l.MinLength.Value {
				r.MinChoices = int(widen("min_length", l.MinLength.Value, int64(minLen)))
			}
		}
		if l.MaxLength.Set {
			r.MaxChoices = int(l.MaxLength.Value)
			if int64(maxLen) > l.MaxLength.Value {
				r.MaxChoices = int(widen("max_length", l.MaxLength.Value, int64(maxLen)))
			}
		}
	}
	switch inst.VoteType() {
	case VoteApproval:
		r.Type = domain.BallotApproval
		if l.MaxSumCost.Set {
			r.Type = domain.BallotKnapsack
			r.MaxCost = domain.Money(l.MaxSumCost.Value)
			if maxCost > l.MaxSumCost.Value {
				r.MaxCost = domain.Money(widen("max_sum_cost", l.MaxSumCost.Value, maxCost))
			}
		}
		choices()
	case VoteOrdinal:
		r.Type = domain.BallotOrdinal
		choices()
	case VoteChooseOne:
		r.Type = domain.BallotChooseOne
		if maxLen > 1 {
			return r, fmt.Errorf("pabulib: a choose-1 file has a vote with %d projects", maxLen)
		}
	case VoteCumulative:
		r.Type = domain.BallotCumulative
		choices()
		if l.MaxPoints.Set {
			r.MaxPointsPerProposal = l.MaxPoints.Value
			if maxPts > l.MaxPoints.Value {
				r.MaxPointsPerProposal = widen("max_points", l.MaxPoints.Value, maxPts)
			}
		}
		r.MaxTotalPoints = maxSum
		if l.MaxSumPoints.Set {
			r.MaxTotalPoints = l.MaxSumPoints.Value
			if maxSum > l.MaxSumPoints.Value {
				r.MaxTotalPoints = widen("max_sum_points", l.MaxSumPoints.Value, maxSum)
			}
		}
		if r.MaxTotalPoints == 0 {
			r.MaxTotalPoints = 1
		}
		if l.MinSumPoints.Set && minSum >= 0 {
			r.MinTotalPoints = l.MinSumPoints.Value
			if minSum < l.MinSumPoints.Value {
				r.MinTotalPoints = widen("min_sum_points", l.MinSumPoints.Value, minSum)
			}
		}
	default:
		return r, fmt.Errorf("pabulib: vote type %q cannot be recorded by the ledger (it records approval, knapsack, choose-1, cumulative and ordinal ballots); `pbledger outcome` can still compute it", inst.VoteType())
	}
	return r, nil
}

// FromInput writes a district's outcome input as a Pabulib instance, so anyone can recompute the outcome with
// independent tools: the projects the rule could fund with the cost it saw (the public cost), every counted
// ballot (choices of projects that were not eligible are dropped, but the voter stays, since Equal Shares
// divides the budget among all voters), and META with the rule, the lot seed and the input digest.
func FromInput(in outcome.Input, meta []KV) *Instance {
	inst := &Instance{Meta: slices.Clone(meta), ProjectColumns: []string{"project_id", "cost"}, VoteColumns: []string{"voter_id", "vote"}}
	vt := map[outcome.VoteType]string{outcome.Approval: VoteApproval, outcome.ChooseOne: VoteChooseOne, outcome.Cumulative: VoteCumulative,
		outcome.Ordinal: VoteOrdinal, outcome.Scoring: VoteScoring}[in.VoteType]
	eligible := map[string]bool{}
	for _, p := range in.Projects {
		if p.Excluded == "" {
			eligible[p.ID] = true
			inst.Projects = append(inst.Projects, Project{ID: p.ID, Cost: p.Cost})
		}
	}
	points := in.VoteType == outcome.Cumulative || in.VoteType == outcome.Scoring
	if points {
		inst.VoteColumns = append(inst.VoteColumns, "points")
	}
	for _, b := range in.Ballots {
		v := Vote{VoterID: b.Voter}
		for _, c := range b.Choices {
			if !eligible[c.Project] {
				continue
			}
			v.Projects = append(v.Projects, c.Project)
			if points {
				v.Points = append(v.Points, c.Points)
			}
		}
		if points && v.Points == nil {
			v.Points = nil
		}
		inst.Votes = append(inst.Votes, v)
	}
	set := func(k, v string) {
		for i := range inst.Meta {
			if inst.Meta[i].Key == k {
				inst.Meta[i].Value = v
				return
			}
		}
		inst.Meta = append(inst.Meta, KV{Key: k, Value: v})
	}
	set("num_projects", strconv.Itoa(len(inst.Projects)))
	set("num_votes", strconv.Itoa(len(inst.Votes)))
	set("budget", strconv.FormatInt(in.Budget, 10))
	set("vote_type", vt)
	set("rule", string(in.Rule.Name))
	if in.Rule.MinSupport > 0 {
		set("min_project_score_threshold", strconv.FormatInt(in.Rule.MinSupport, 10))
	}
	set("lot_seed", in.LotSeed)
	set("input_digest", outcome.Digest(in))
	return inst
}

// ToImportDistrict returns the district ID ToImport gives a file's single district.
func ToImportDistrict(inst *Instance) domain.DistrictID { return districtID(inst) }
