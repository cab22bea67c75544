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
	// Undetermined is true when the file's META rule is not one the ledger knows (greedy-custom, unknown) and
	// no rule was chosen: the cycle uses greedy, and importers leave it unallocated rather than record an
	// outcome nobody declared.
	Undetermined bool
	// Exclusions are the budget commission's exclusion groups (greedy-exclusive), declared after the
	// proposals are submitted.
	Exclusions []domain.DeclareExclusionGroup
	// Notes say where the file did not fit the ledger's rules as declared and what the import did about it
	// (a ballot rule widened to the ballots actually counted, empty votes skipped, an unknown rule).
	Notes []string
}

// ImportAuthor is the author key of imported proposals: Pabulib files do not name proposers.
const ImportAuthor domain.VoterKey = "pabulib"

// ImportOptions are what an importer may declare beyond the file.
type ImportOptions struct {
	// Rule, if not empty, overrides the file's META rule (which may be "unknown").
	Rule outcome.RuleName
	// TieBreak, if not empty, is the tie-break order of the cycle's rule (outcome.TieBreakOrders); with
	// list-order, the list is the file's PROJECTS section.
	TieBreak string
	// Exclusive are exclusion groups of project IDs of the file, recorded as the budget commission's
	// decisions (domain.ExclusionGroupDeclared); they need the rule greedy-exclusive.
	Exclusive [][]string
}

// ToImport turns a parsed file into the commands that record it as cycle id. rule, if not empty, overrides
// the file's META rule (which may be "unknown").
func ToImport(inst *Instance, id domain.CycleID, rule outcome.RuleName) (*Import, error) {
	return ToImportWith(inst, id, ImportOptions{Rule: rule})
}

// ToImportWith is ToImport with everything an importer may declare.
//
// What the ledger cannot record as the file has it is adapted, with a note, so that the count is unchanged:
// a project costing more than the whole budget (never fundable; Gdynia marks withdrawn projects so) is left
// out with its votes; a cumulative vote's zero-point choices are dropped (they add no support; Zurich);
// empty votes are skipped; ballot limits are widened to the ballots counted. OutcomeInput makes the same
// adaptations, so `pbledger outcome` and the ledger count the same ballots.
func ToImportWith(inst *Instance, id domain.CycleID, opts ImportOptions) (*Import, error) {
	rule := opts.Rule
	if err := id.Validate(); err != nil {
		return nil, err
	}
	if inst.Exponent > 4 {
		return nil, fmt.Errorf("pabulib: amounts with %d decimal places: the ledger counts money in at most 4 (currency exponent 0..4)", inst.Exponent)
	}
	budget, err := inst.Budget()
	if err != nil {
		return nil, err
	}
	limits, err := inst.Limits()
	if err != nil {
		return nil, err
	}
	imp := &Import{Notes: slices.Clone(inst.Notes)}
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
		imp.Notes = append(imp.Notes, fmt.Sprintf("META rule %q determines no outcome the ledger can reproduce; the cycle is opened under %q "+
			"and left in the allocation phase, not allocated (choose a rule with --rule to record an allocation)", rule, outcome.Greedy))
		imp.Undetermined = true
		orule.Name = outcome.Greedy
	}
	if t, ok := inst.Get("min_project_score_threshold"); ok && t != "" && isGreedy(orule.Name) {
		n, err := parseWhole(t, false)
		if err != nil {
			return nil, fmt.Errorf("pabulib: META min_project_score_threshold: %w", err)
		}
		orule.MinSupport = n
	}
	if orule.Name == outcome.GreedyThreshold && orule.MinSupport <= 0 {
		return nil, fmt.Errorf("pabulib: rule %s needs a positive META min_project_score_threshold", orule.Name)
	}
	if inst.Exponent > 0 && isAdd1(orule.Name) {
		orule.Increment = Pow10(inst.Exponent)
	}
	orule.TieBreak = opts.TieBreak
	name := firstMeta(inst, "description")
	if name == "" {
		name = string(id)
	}
	imp.Cycle = domain.OpenCycle{
		CycleID: id, Name: name, Currency: currency(inst), CurrencyExponent: inst.Exponent,
		Districts:   []domain.District{district},
		Plan:        []domain.Phase{domain.PhaseSubmission, domain.PhaseVoting, domain.PhaseAllocation, domain.PhaseImplementation, domain.PhaseClosed},
		BallotRule:  ballotRule,
		OutcomeRule: orule,
	}
	ids := make(map[string]domain.ProposalID, len(inst.Projects))
	var above []string
	for pos, p := range inst.Projects {
		if p.Cost > budget {
			above = append(above, p.ID)
			continue
		}
		pid := ProposalID(id, p.ID)
		ids[p.ID] = pid
		content := domain.ProposalContent{Title: oneLine(p.Fields["name"]), Cost: domain.Money(p.Cost), ExternalRef: p.ID,
			Category: strings.TrimSpace(p.Fields["category"]), ListPosition: pos + 1}
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
	for _, g := range opts.Exclusive {
		x := domain.DeclareExclusionGroup{CycleID: id, DistrictID: district.ID, Official: "import",
			Reason: "declared on import: the projects cannot all be built"}
		for _, pid := range g {
			p, ok := ids[pid]
			if !ok {
				return nil, fmt.Errorf("pabulib: exclusion group names project %q, which the file does not have (or which costs more than the budget)", pid)
			}
			x.ProposalIDs = append(x.ProposalIDs, p)
		}
		imp.Exclusions = append(imp.Exclusions, x)
	}
	if len(above) > 0 {
		imp.Notes = append(imp.Notes, fmt.Sprintf("projects %s cost more than the whole budget: the ledger refuses such proposals "+
			"(no rule could fund them), so they and their votes are left out", strings.Join(above, ", ")))
	}
	empty, zero := 0, 0
	imp.Ballots = make([]domain.CastBallot, 0, len(inst.Votes))
	for _, v := range inst.Votes {
		b := domain.CastBallot{CycleID: id, DistrictID: district.ID, Voter: VoterKey(v.VoterID)}
		for j, p := range v.Projects {
			pid, ok := ids[p]
			if !ok {
				continue // above the budget
			}
			ch := domain.BallotChoice{ProposalID: pid}
			if ballotRule.Type == domain.BallotScoring && j < len(v.Points) {
				ch.Points = v.Points[j]
			}
			if ballotRule.Type == domain.BallotCumulative && j < len(v.Points) {
				ch.Points = v.Points[j]
				if ch.Points == 0 {
					zero++
					continue
				}
			}
			b.Choices = append(b.Choices, ch)
		}
		if len(b.Choices) == 0 {
			empty++
			continue
		}
		imp.Ballots = append(imp.Ballots, b)
	}
	if zero > 0 {
		imp.Notes = append(imp.Notes, fmt.Sprintf("%d choices with 0 points dropped: a cumulative ballot gives each choice at least 1 point", zero))
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
		for _, r := range Transliterate(strings.ToLower(v)) {
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
	budget, _ := inst.Budget() // ToImportWith checked it
	minLen, maxLen, maxCost, maxPts, minSum, maxSum := -1, 0, int64(0), int64(0), int64(-1), int64(0)
	for _, v := range inst.Votes {
		// Count the choices as ToImportWith records them: without projects above the budget and without a
		// cumulative vote's zero-point choices.
		n := 0
		var c, sum int64
		for j, p := range v.Projects {
			if costs[p] > budget {
				continue
			}
			if j < len(v.Points) {
				if v.Points[j] == 0 && inst.VoteType() == VoteCumulative {
					continue
				}
				maxPts = max(maxPts, v.Points[j])
				sum += v.Points[j]
			}
			n++
			c += costs[p]
		}
		if n == 0 {
			continue
		}
		if minLen < 0 || n < minLen {
			minLen = n
		}
		maxLen = max(maxLen, n)
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
	case VoteScoring:
		if ds, ok := inst.Get("default_score"); ok {
			if n, err := parseWhole(ds, true); err != nil || n != 0 {
				return r, fmt.Errorf("pabulib: default_score %q is not supported (only 0)", ds)
			}
		}
		r.Type = domain.BallotScoring
		choices()
		// The scores the file's votes give, widened to what META declares.
		lo, hi := int64(0), int64(1)
		for _, v := range inst.Votes {
			for _, p := range v.Points {
				lo, hi = min(lo, p), max(hi, p)
			}
		}
		if l.MinPoints.Set {
			lo = min(lo, l.MinPoints.Value)
		}
		if l.MaxPoints.Set {
			hi = max(hi, l.MaxPoints.Value)
		}
		r.MinScore, r.MaxScore = lo, hi
	default:
		return r, fmt.Errorf("pabulib: vote type %q cannot be recorded by the ledger", inst.VoteType())
	}
	return r, nil
}

// META keys and PROJECTS columns with which an export carries every parameter of a pbledger count, so that
// `pbledger outcome --pabulib EXPORT` with no flags recounts it exactly (OutcomeInput reads them all). Other
// tools may ignore them; the rows with a pbledger_excluded reason are projects the rule could not fund.
const (
	MetaLotSeed          = "pbledger_lot_seed"          // the lot drawn before counting
	MetaIncrement        = "pbledger_increment"         // the add1 step, in minor units
	MetaMinSupport       = "pbledger_min_support"       // the threshold of the greedy rules
	MetaTieBreak         = "pbledger_tie_break"         // the declared order of tie-breaks
	MetaExclusive        = "pbledger_exclusive"         // exclusion groups: IDs joined by ',', groups by '|'
	MetaCurrencyExponent = "pbledger_currency_exponent" // the cycle's currency exponent (the amounts' decimals)
	MetaInputDigest      = "pbledger_input_digest"      // outcome.Digest of the exported input
	MetaRecordedDigest   = "pbledger_recorded_input_digest"

	ColumnWeight   = "pbledger_weight"   // the assessment weight, "p/q"; empty means 1
	ColumnExcluded = "pbledger_excluded" // why the project is not eligible (assessment gate, withdrawn)
	ColumnPosition = "pbledger_position" // the list position of the list-order tie-break
)

// FromInput writes a district's outcome input as a Pabulib instance that recounts exactly: every project the
// rule saw with the cost it saw (the public cost: co-financing lowers it), its assessment weight and, for
// projects not eligible, the reason (columns pbledger_weight, pbledger_excluded, pbledger_position where
// they apply); every counted ballot; and META with the rule and every parameter of the count (pbledger_*
// keys, above) and the input digest. Amounts are written in currency units with exponent decimals
// ("1234.56" for 123456 minor units at exponent 2), so other tools read the real amounts.
func FromInput(in outcome.Input, exponent int, meta []KV) *Instance {
	inst := &Instance{Meta: slices.Clone(meta), ProjectColumns: []string{"project_id", "cost"}, VoteColumns: []string{"voter_id", "vote"},
		Exponent: exponent}
	vt := map[outcome.VoteType]string{outcome.Approval: VoteApproval, outcome.ChooseOne: VoteChooseOne, outcome.Cumulative: VoteCumulative,
		outcome.Ordinal: VoteOrdinal, outcome.Scoring: VoteScoring}[in.VoteType]
	var weighted, excluded, positioned bool
	for _, p := range in.Projects {
		weighted = weighted || p.Weight != nil
		excluded = excluded || p.Excluded != ""
		positioned = positioned || p.Position != 0
	}
	for _, c := range []struct {
		name string
		on   bool
	}{{ColumnWeight, weighted}, {ColumnExcluded, excluded}, {ColumnPosition, positioned}} {
		if c.on {
			inst.ProjectColumns = append(inst.ProjectColumns, c.name)
		}
	}
	projects := slices.Clone(in.Projects)
	slices.SortStableFunc(projects, func(a, b outcome.Project) int { return a.Position - b.Position })
	for _, p := range projects {
		pr := Project{ID: p.ID, Cost: p.Cost}
		if weighted || excluded || positioned {
			pr.Fields = map[string]string{}
			if weighted {
				pr.Fields[ColumnWeight] = ""
				if p.Weight != nil {
					pr.Fields[ColumnWeight] = p.Weight.RatString()
				}
			}
			if excluded {
				pr.Fields[ColumnExcluded] = oneLine(p.Excluded)
			}
			if positioned {
				pr.Fields[ColumnPosition] = strconv.Itoa(p.Position)
			}
		}
		inst.Projects = append(inst.Projects, pr)
	}
	points := in.VoteType == outcome.Cumulative || in.VoteType == outcome.Scoring
	if points {
		inst.VoteColumns = append(inst.VoteColumns, "points")
	}
	for _, b := range in.Ballots {
		v := Vote{VoterID: b.Voter}
		for _, c := range b.Choices {
			v.Projects = append(v.Projects, c.Project)
			if points {
				v.Points = append(v.Points, c.Points)
			}
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
	set("budget", FormatMoney(in.Budget, exponent))
	set("vote_type", vt)
	set("rule", string(in.Rule.Name))
	if in.Rule.MinSupport > 0 {
		set("min_project_score_threshold", strconv.FormatInt(in.Rule.MinSupport, 10))
		set(MetaMinSupport, strconv.FormatInt(in.Rule.MinSupport, 10))
	}
	set(MetaIncrement, strconv.FormatInt(in.Rule.Increment, 10)) // even 0: a reader must not assume one currency unit
	if in.Rule.TieBreak != "" {
		set(MetaTieBreak, in.Rule.TieBreak)
	}
	if len(in.Rule.Exclusive) > 0 {
		groups := make([]string, len(in.Rule.Exclusive))
		for i, g := range in.Rule.Exclusive {
			groups[i] = strings.Join(g, ",")
		}
		set(MetaExclusive, strings.Join(groups, "|"))
	}
	set(MetaCurrencyExponent, strconv.Itoa(exponent))
	set(MetaLotSeed, in.LotSeed)
	set(MetaInputDigest, outcome.Digest(in))
	return inst
}

// ToImportDistrict returns the district ID ToImport gives a file's single district.
func ToImportDistrict(inst *Instance) domain.DistrictID { return districtID(inst) }

func isGreedy(n outcome.RuleName) bool {
	switch n {
	case outcome.Greedy, outcome.GreedyNoSkip, outcome.GreedyThreshold, outcome.GreedyExclusive:
		return true
	}
	return false
}

func isAdd1(n outcome.RuleName) bool {
	switch n {
	case outcome.EqualSharesAdd1, outcome.EqualSharesAdd1Comparison, outcome.EqualSharesAdd1Greedy:
		return true
	}
	return false
}

// latin maps letters with diacritics of the languages in the Pabulib library to plain ASCII, so that IDs
// made from names keep their letters ("Grabówek" → "grabowek", "Włochy" → "wlochy").
var latin = strings.NewReplacer(
	"ą", "a", "ć", "c", "ę", "e", "ł", "l", "ń", "n", "ó", "o", "ś", "s", "ź", "z", "ż", "z",
	"Ą", "A", "Ć", "C", "Ę", "E", "Ł", "L", "Ń", "N", "Ó", "O", "Ś", "S", "Ź", "Z", "Ż", "Z",
	"á", "a", "à", "a", "â", "a", "ä", "a", "ã", "a", "å", "a", "æ", "ae", "ç", "c", "č", "c", "ď", "d",
	"é", "e", "è", "e", "ê", "e", "ë", "e", "ě", "e", "í", "i", "ì", "i", "î", "i", "ï", "i", "ñ", "n", "ň", "n",
	"ò", "o", "ô", "o", "ö", "o", "õ", "o", "ø", "o", "œ", "oe", "ř", "r", "š", "s", "ß", "ss", "ť", "t",
	"ú", "u", "ù", "u", "û", "u", "ü", "u", "ů", "u", "ý", "y", "ÿ", "y", "ž", "z",
	"Á", "A", "À", "A", "Â", "A", "Ä", "A", "Ç", "C", "Č", "C", "É", "E", "È", "E", "Ê", "E", "Ë", "E",
	"Í", "I", "Î", "I", "Ñ", "N", "Ó", "O", "Ô", "O", "Ö", "O", "Ř", "R", "Š", "S", "Ú", "U", "Ü", "U", "Ž", "Z",
)

// Transliterate replaces the letters with diacritics of the Pabulib library's languages by plain ASCII
// letters; other characters are kept.
func Transliterate(s string) string { return latin.Replace(s) }

// CycleIDFor makes a cycle ID from a file's base name without extension: the name itself where it is a valid
// ID; otherwise its letters transliterated, other characters outside the ID grammar replaced by '_', and a
// name longer than the 64-byte limit cut to 55 bytes and completed with '_' and 8 hex digits of the SHA-256
// of the whole name, so that different long names stay different.
func CycleIDFor(name string) domain.CycleID {
	if id := domain.CycleID(name); id.Validate() == nil {
		return id
	}
	var b strings.Builder
	for i, r := range Transliterate(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case i > 0 && (r == '_' || r == '.' || r == ':' || r == '-'):
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	s := strings.TrimLeft(b.String(), "_.:-")
	if s == "" {
		s = "pabulib"
	}
	if len(s) > domain.MaxIDLen {
		sum := sha256.Sum256([]byte(name))
		s = s[:55] + "_" + hex.EncodeToString(sum[:4])
	}
	return domain.CycleID(s)
}
