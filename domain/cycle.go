package domain

import (
	"maps"
	"slices"
	"time"

	"github.com/pbledger/pbledger/domain/outcome"
)

// Cycle is one budget round: its districts, rules, phase, assessors and allocations. It is an event-sourced
// aggregate whose stream is CycleStream(id). The zero Cycle is an empty history, ready for Open or Load.
//
// A Cycle is not safe for concurrent use; the application layer loads one per command.
type Cycle struct {
	opened      bool
	config      CycleOpened
	phase       Phase
	assessors   map[AssessorID]AssessorRole
	lots        map[DistrictID]string
	allocations map[DistrictID]AllocationRecorded
	exclusions  map[DistrictID][][]ProposalID
	funded      map[ProposalID]Money
	schedule    map[Phase]time.Time

	version int
	changes []Event
}

// CycleState is a read-only snapshot of a cycle, for projections and the HTTP layer. It shares no memory with
// the Cycle.
type CycleState struct {
	ID                     CycleID          `json:"id"`
	Name                   string           `json:"name"`
	Names                  Translations     `json:"names,omitempty"`
	PortalURL              string           `json:"portal_url,omitempty"`
	Currency               string           `json:"currency"`
	CurrencyExponent       int              `json:"currency_exponent"`
	Districts              []District       `json:"districts"`
	TotalBudget            Money            `json:"total_budget"`
	Plan                   []Phase          `json:"plan"`
	Phase                  Phase            `json:"phase"`
	BallotRule             BallotRule       `json:"ballot_rule"`
	OutcomeRule            outcome.Rule     `json:"outcome_rule"`
	Assessment             AssessmentPolicy `json:"assessment"`
	AllowBallotReplacement bool             `json:"allow_ballot_replacement"`
	ResidentPolicy
	// Assessors maps every registered assessor to its role.
	Assessors map[AssessorID]AssessorRole `json:"assessors"`
	// LotSeeds maps each district whose lot was drawn to the seed.
	LotSeeds map[DistrictID]string `json:"lot_seeds"`
	// Allocations maps each allocated district to its recorded allocation.
	Allocations map[DistrictID]AllocationRecorded `json:"allocations"`
	// TimeZone and Schedule are the cycle's calendar, after every reschedule (see OpenCycle).
	TimeZone string      `json:"time_zone,omitempty"`
	Schedule []PhaseDate `json:"schedule,omitempty"`
}

// OpenCycle opens a budget round. Everything in it is fixed for the cycle's life.
type OpenCycle struct {
	CycleID CycleID `json:"cycle_id"`
	Name    string  `json:"name"`
	// Names is the name in other languages (optional), e.g. {"kk": "…", "ru": "…"}; Name is the fallback.
	Names                  Translations     `json:"names,omitempty"`
	Currency               string           `json:"currency"`
	CurrencyExponent       int              `json:"currency_exponent"`
	Districts              []District       `json:"districts"`
	Plan                   []Phase          `json:"plan"`
	BallotRule             BallotRule       `json:"ballot_rule"`
	OutcomeRule            outcome.Rule     `json:"outcome_rule"`
	Assessment             AssessmentPolicy `json:"assessment"`
	AllowBallotReplacement bool             `json:"allow_ballot_replacement"`
	// PortalURL is where residents vote (optional): an absolute http(s) URL the public page links to.
	PortalURL string `json:"portal_url,omitempty"`
	// TimeZone is the IANA time zone of the cycle's calendar, e.g. "Asia/Almaty"; required with a Schedule.
	TimeZone string `json:"time_zone,omitempty"`
	// Schedule is when phases begin (any phase of the plan but the first, in the plan's order). When a date
	// comes the server advances the phase; the date of the phase after voting is the voting deadline.
	Schedule []PhaseDate `json:"schedule,omitempty"`
	ResidentPolicy
}

// MaxDistricts caps the districts of one cycle.
const MaxDistricts = 1000

// Validate checks the command on its own. The currency is an ISO 4217-style code of three capital letters and
// the exponent its number of minor-unit digits (0..4); each district has a positive budget of at most MaxMoney.
func (cmd OpenCycle) Validate() error {
	if err := cmd.CycleID.Validate(); err != nil {
		return err
	}
	if err := checkText("cycle name", cmd.Name, true, false, MaxNameLen); err != nil {
		return err
	}
	if err := cmd.Names.validate("cycle name", MaxNameLen); err != nil {
		return err
	}
	if err := validatePortalURL(cmd.PortalURL); err != nil {
		return err
	}
	if len(cmd.Currency) != 3 || !isUpper(cmd.Currency) {
		return invalidf("currency: %q is not a currency code; give three capital letters, like \"KZT\"", cmd.Currency)
	}
	if cmd.CurrencyExponent < 0 || cmd.CurrencyExponent > 4 {
		return invalidf("currency_exponent: %d is not allowed; give the number of minor-unit digits, from 0 to 4 (2 for KZT: 100 tiyn to the tenge)", cmd.CurrencyExponent)
	}
	if len(cmd.Districts) == 0 || len(cmd.Districts) > MaxDistricts {
		return invalidf("districts: a cycle needs between 1 and %d districts, not %d", MaxDistricts, len(cmd.Districts))
	}
	seen := map[DistrictID]bool{}
	var total Money
	for _, d := range cmd.Districts {
		if err := d.ID.Validate(); err != nil {
			return err
		}
		if seen[d.ID] {
			return invalidf("districts: district %q is declared twice", d.ID)
		}
		seen[d.ID] = true
		if err := checkText("district name", d.Name, true, false, MaxNameLen); err != nil {
			return err
		}
		if err := d.Names.validate("district name", MaxNameLen); err != nil {
			return err
		}
		if d.Budget <= 0 || d.Budget > MaxMoney {
			return invalidf("districts: the budget of district %q is %d; it must be a positive whole number of minor units (tiyn for KZT), at most %d", d.ID, d.Budget, MaxMoney)
		}
		var ok bool
		if total, ok = addMoney(total, d.Budget); !ok {
			return invalidf("districts: the budgets add up to more than %d minor units", MaxMoney)
		}
	}
	if err := ValidatePlan(cmd.Plan); err != nil {
		return err
	}
	if err := cmd.BallotRule.Validate(); err != nil {
		return err
	}
	if cmd.BallotRule.MaxCost > MaxMoney {
		return invalidf("ballot_rule.max_cost: %d is above the largest amount, %d", cmd.BallotRule.MaxCost, MaxMoney)
	}
	if err := validateOutcomeRule(cmd.OutcomeRule, cmd.BallotRule.Type); err != nil {
		return err
	}
	if err := cmd.Assessment.Validate(); err != nil {
		return err
	}
	if cmd.TimeZone != "" || len(cmd.Schedule) > 0 {
		if err := validateTimeZone(cmd.TimeZone); err != nil {
			return err
		}
		if err := validateSchedule(cmd.Plan, cmd.Schedule); err != nil {
			return err
		}
	}
	if err := cmd.ResidentPolicy.Validate(len(cmd.Districts)); err != nil {
		return err
	}
	hasAssessment := slices.Contains(cmd.Plan, PhaseAssessment)
	if !hasAssessment && !cmd.Assessment.IsZero() {
		return invalidf("assessment: the plan has no %q phase, so leave assessment out (or add the phase to the plan)", PhaseAssessment)
	}
	if hasAssessment && cmd.Assessment.IsZero() {
		return invalidf("assessment: the plan has an %q phase, so assessment must declare a scale, e.g. {\"scale\": {\"min\": 1, \"max\": 10}}", PhaseAssessment)
	}
	return nil
}

func isUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// Open opens the cycle, starting in the plan's first phase (submission).
//
// Errors: ErrInvalid for a malformed command, ErrCycleExists if the cycle has a history.
func (c *Cycle) Open(cmd OpenCycle) error {
	if c.opened {
		return errorf(CodeConflict, ErrCycleExists, "cycle %q already exists", c.config.CycleID)
	}
	if err := cmd.Validate(); err != nil {
		return err
	}
	return c.record(CycleOpened{
		CycleID:                cmd.CycleID,
		Name:                   cmd.Name,
		Names:                  maps.Clone(cmd.Names),
		Currency:               cmd.Currency,
		CurrencyExponent:       cmd.CurrencyExponent,
		Districts:              cloneDistricts(cmd.Districts),
		Plan:                   slices.Clone(cmd.Plan),
		BallotRule:             cmd.BallotRule,
		OutcomeRule:            cmd.OutcomeRule,
		Assessment:             cloneAssessment(cmd.Assessment),
		AllowBallotReplacement: cmd.AllowBallotReplacement,
		PortalURL:              cmd.PortalURL,
		TimeZone:               cmd.TimeZone,
		Schedule:               orderSchedule(cmd.Plan, cmd.Schedule),
		ResidentPolicy:         cmd.ResidentPolicy,
	})
}

// AdvancePhase moves the cycle to the next phase of its plan. To names the phase the caller expects to move
// to, so that a repeated or stale request cannot skip a phase.
type AdvancePhase struct {
	CycleID CycleID `json:"cycle_id"`
	To      Phase   `json:"to"`
	// Reason explains an advance before the phase's scheduled date; it is required then.
	Reason string `json:"reason,omitempty"`
	// Scheduled says the calendar, not an admin, advances the phase: it is refused before the phase's date.
	Scheduled bool `json:"scheduled,omitempty"`
	// At is when the command was issued (set by the application layer).
	At time.Time `json:"at,omitzero"`
}

// Validate checks the command on its own.
func (cmd AdvancePhase) Validate() error {
	if err := cmd.CycleID.Validate(); err != nil {
		return err
	}
	if !slices.Contains(knownPhases, cmd.To) {
		return invalidf("to: %q is not a phase; the phases are %s", cmd.To, joinPhases(knownPhases))
	}
	return checkText("reason", cmd.Reason, false, true, MaxReasonLen)
}

// AdvancePhase moves the cycle one step along its plan.
//
// Errors: ErrUnknownCycle; ErrInvalid when cmd names another cycle; ErrWrongPhase when the cycle is closed or
// To is not the next phase; ErrNotAllocated when leaving allocation before every district is allocated.
func (c *Cycle) AdvancePhase(cmd AdvancePhase) error {
	if err := c.check(cmd.CycleID); err != nil {
		return err
	}
	if err := cmd.Validate(); err != nil {
		return err
	}
	i := phaseIndex(c.config.Plan, c.phase)
	if i == len(c.config.Plan)-1 {
		return errorf(CodeConflict, ErrWrongPhase, "cycle %q is closed; there is no phase after %q", c.config.CycleID, c.phase)
	}
	next := c.config.Plan[i+1]
	if cmd.To != next {
		return errorf(CodeConflict, ErrWrongPhase, "cycle %q is in phase %q; the next phase is %q, not %q",
			c.config.CycleID, c.phase, next, cmd.To)
	}
	if c.phase == PhaseAllocation {
		for _, d := range c.config.Districts {
			if _, ok := c.allocations[d.ID]; !ok {
				return errorf(CodeConflict, ErrNotAllocated, "district %q is not allocated yet", d.ID)
			}
		}
	}
	if cmd.Scheduled && cmd.At.IsZero() {
		return internalf(nil, "a scheduled advance of cycle %q came without its time", c.config.CycleID)
	}
	if date, ok := c.schedule[next]; ok && !cmd.At.IsZero() && cmd.At.Before(date) {
		if cmd.Scheduled {
			return errorf(CodeConflict, ErrWrongPhase, "cycle %q: phase %q is scheduled to begin at %s, not yet",
				c.config.CycleID, next, date.Format(time.RFC3339))
		}
		if cmd.Reason == "" {
			return invalidf("reason is required: phase %q is scheduled to begin at %s, and advancing before then needs a reason for the record",
				next, date.Format(time.RFC3339))
		}
	} else if cmd.Scheduled && !ok {
		return errorf(CodeConflict, ErrWrongPhase, "cycle %q: phase %q has no scheduled date", c.config.CycleID, next)
	}
	return c.record(PhaseAdvanced{CycleID: c.config.CycleID, From: c.phase, To: next, Scheduled: cmd.Scheduled, Reason: cmd.Reason})
}

// RegisterAssessor registers an assessor with a role. Assessors are registered before allocation, in a cycle
// whose plan has an assessment phase.
type RegisterAssessor struct {
	CycleID    CycleID      `json:"cycle_id"`
	AssessorID AssessorID   `json:"assessor_id"`
	Role       AssessorRole `json:"role"`
}

// Validate checks the command on its own.
func (cmd RegisterAssessor) Validate() error {
	if err := cmd.CycleID.Validate(); err != nil {
		return err
	}
	if err := cmd.AssessorID.Validate(); err != nil {
		return err
	}
	return cmd.Role.Validate()
}

// RegisterAssessor registers an assessor.
//
// Errors: ErrUnknownCycle; ErrInvalid; ErrWrongPhase when the plan has no assessment or the assessment phase
// is over; ErrAssessorExists when the assessor is already registered (with any role).
func (c *Cycle) RegisterAssessor(cmd RegisterAssessor) error {
	if err := c.check(cmd.CycleID); err != nil {
		return err
	}
	if err := cmd.Validate(); err != nil {
		return err
	}
	ia := phaseIndex(c.config.Plan, PhaseAssessment)
	if ia < 0 {
		return errorf(CodeConflict, ErrWrongPhase, "cycle %q has no assessment phase", c.config.CycleID)
	}
	if phaseIndex(c.config.Plan, c.phase) > ia {
		return errorf(CodeConflict, ErrWrongPhase, "cycle %q is in phase %q; assessors can no longer be registered",
			c.config.CycleID, c.phase)
	}
	if role, ok := c.assessors[cmd.AssessorID]; ok {
		return errorf(CodeConflict, ErrAssessorExists, "assessor %q is already registered as %s", cmd.AssessorID, role)
	}
	return c.record(AssessorRegistered{CycleID: c.config.CycleID, AssessorID: cmd.AssessorID, Role: cmd.Role})
}

// check reports whether the cycle is opened and id names it.
func (c *Cycle) check(id CycleID) error {
	if c == nil || !c.opened {
		return errorf(CodeNotFound, ErrUnknownCycle, "cycle %q does not exist", id)
	}
	if id != c.config.CycleID {
		return invalidf("the command names cycle %q, not %q", id, c.config.CycleID)
	}
	return nil
}

// requirePhase reports ErrWrongPhase unless the cycle is in one of phases; what names the action for the message.
func (c *Cycle) requirePhase(what string, phases ...Phase) error {
	if slices.Contains(phases, c.phase) {
		return nil
	}
	return errorf(CodeConflict, ErrWrongPhase, "cycle %q is in phase %q; %s only in phase %s",
		c.config.CycleID, c.phase, what, joinPhases(phases))
}

// requireBefore reports ErrWrongPhase unless the cycle's phase comes before p in its plan.
func (c *Cycle) requireBefore(what string, p Phase) error {
	if phaseIndex(c.config.Plan, c.phase) < phaseIndex(c.config.Plan, p) {
		return nil
	}
	return errorf(CodeConflict, ErrWrongPhase, "cycle %q is in phase %q; %s only before %q",
		c.config.CycleID, c.phase, what, p)
}

func joinPhases(ps []Phase) string {
	s := ""
	for i, p := range ps {
		switch {
		case i == 0:
		case i == len(ps)-1:
			s += " or "
		default:
			s += ", "
		}
		s += `"` + string(p) + `"`
	}
	return s
}

// Load applies events from the cycle's stream, oldest first, on top of the current state. It may be called
// repeatedly to feed a history in pieces (projections do). It fails if an event is not a cycle event, names
// another cycle, or comes before CycleOpened; such a stream is corrupt.
func (c *Cycle) Load(events ...Event) error {
	for _, e := range events {
		if err := c.apply(e); err != nil {
			return err
		}
		c.version++
	}
	return nil
}

// Version is the number of events loaded from the store or committed with ClearChanges; the application layer
// derives the expected revision for its next append from it.
func (c *Cycle) Version() int { return c.version }

// Changes returns the events recorded by commands since the last ClearChanges, oldest first.
func (c *Cycle) Changes() []Event { return slices.Clone(c.changes) }

// ClearChanges marks the recorded changes as committed: call it after appending them to the store.
func (c *Cycle) ClearChanges() {
	c.version += len(c.changes)
	c.changes = nil
}

func (c *Cycle) record(e Event) error {
	if err := c.apply(e); err != nil {
		return err
	}
	c.changes = append(c.changes, e)
	return nil
}

// apply is the one place cycle state changes.
func (c *Cycle) apply(e Event) error {
	if open, ok := e.(CycleOpened); ok {
		if c.opened {
			return eventErrorf("cycle %q opened twice", open.CycleID)
		}
		if len(open.Plan) == 0 {
			return eventErrorf("cycle %q opened without a phase plan", open.CycleID)
		}
		c.opened = true
		c.config = open
		c.config.Districts = cloneDistricts(open.Districts)
		c.config.Names = maps.Clone(open.Names)
		c.config.Plan = slices.Clone(open.Plan)
		c.config.Assessment = cloneAssessment(open.Assessment)
		c.phase = open.Plan[0]
		c.assessors = map[AssessorID]AssessorRole{}
		c.lots = map[DistrictID]string{}
		c.allocations = map[DistrictID]AllocationRecorded{}
		c.exclusions = map[DistrictID][][]ProposalID{}
		c.funded = map[ProposalID]Money{}
		c.schedule = map[Phase]time.Time{}
		for _, d := range open.Schedule {
			c.schedule[d.Phase] = d.Starts
		}
		return nil
	}
	if !c.opened {
		return eventErrorf("%s before CycleOpened", typeName(e))
	}
	switch e := e.(type) {
	case PhaseAdvanced:
		if e.CycleID != c.config.CycleID {
			break
		}
		c.phase = e.To
		return nil
	case PhaseRescheduled:
		if e.CycleID != c.config.CycleID {
			break
		}
		c.schedule[e.Phase] = e.Starts
		return nil
	case AssessorRegistered:
		if e.CycleID != c.config.CycleID {
			break
		}
		c.assessors[e.AssessorID] = e.Role
		return nil
	case LotDrawn:
		if e.CycleID != c.config.CycleID {
			break
		}
		c.lots[e.DistrictID] = e.Seed
		return nil
	case ExclusionGroupDeclared:
		if e.CycleID != c.config.CycleID {
			break
		}
		c.exclusions[e.DistrictID] = append(c.exclusions[e.DistrictID], slices.Clone(e.ProposalIDs))
		return nil
	case AllocationRecorded:
		if e.CycleID != c.config.CycleID {
			break
		}
		c.allocations[e.DistrictID] = cloneAllocation(e)
		for _, w := range e.Winners {
			c.funded[w.ProposalID] = w.Funded
		}
		return nil
	default:
		return eventErrorf("%s is not a cycle event", typeName(e))
	}
	return eventErrorf("%s of another cycle in the stream of cycle %q", typeName(e), c.config.CycleID)
}

func typeName(e Event) string {
	if e == nil {
		return "nil event"
	}
	return e.EventType()
}

// ---- read-only accessors ----

// ID returns the cycle's ID ("" before it is opened).
func (c *Cycle) ID() CycleID { return c.config.CycleID }

// Opened reports whether the cycle has been opened.
func (c *Cycle) Opened() bool { return c.opened }

// Phase returns the current phase ("" before the cycle is opened).
func (c *Cycle) Phase() Phase { return c.phase }

// District returns the district with the given ID.
func (c *Cycle) District(id DistrictID) (District, bool) {
	for _, d := range c.config.Districts {
		if d.ID == id {
			return d, true
		}
	}
	return District{}, false
}

// BallotRule returns the cycle's ballot rule.
func (c *Cycle) BallotRule() BallotRule { return c.config.BallotRule }

// OutcomeRule returns the cycle's outcome rule.
func (c *Cycle) OutcomeRule() outcome.Rule { return c.config.OutcomeRule }

// Assessment returns the cycle's assessment policy.
func (c *Cycle) Assessment() AssessmentPolicy { return cloneAssessment(c.config.Assessment) }

// AllowBallotReplacement reports whether voters may replace their ballot while voting is open.
func (c *Cycle) AllowBallotReplacement() bool { return c.config.AllowBallotReplacement }

// ResidentPolicy returns how the cycle treats residents: voter-key scheme, districts per voter, resident-ID
// pattern, and whether results are hidden while voting is open.
func (c *Cycle) ResidentPolicy() ResidentPolicy { return c.config.ResidentPolicy }

// ResultsWithheld reports whether the cycle withholds its results from the public now: it declared
// HideResultsDuringVoting and voting has not closed yet (the phase is voting or before it). The ballots are in
// the log all along; only what the public is shown of them waits.
func (c *Cycle) ResultsWithheld() bool {
	if !c.config.HideResultsDuringVoting {
		return false
	}
	return phaseIndex(c.config.Plan, c.phase) <= phaseIndex(c.config.Plan, PhaseVoting)
}

// LimitsDistricts reports whether voters may vote in fewer districts than the cycle has, so that the
// districts each voter votes in must be counted (VoterClaims).
func (c *Cycle) LimitsDistricts() bool {
	return c.config.ResidentPolicy.LimitsDistricts(len(c.config.Districts))
}

// Assessor returns the role of a registered assessor.
func (c *Cycle) Assessor(id AssessorID) (AssessorRole, bool) {
	r, ok := c.assessors[id]
	return r, ok
}

// Allocation returns the recorded allocation of a district.
func (c *Cycle) Allocation(id DistrictID) (AllocationRecorded, bool) {
	a, ok := c.allocations[id]
	return cloneAllocation(a), ok
}

// Funded returns the amount the cycle's allocation funds a proposal with; ok is false if it was not funded.
func (c *Cycle) Funded(id ProposalID) (amount Money, ok bool) {
	amount, ok = c.funded[id]
	return amount, ok
}

// State returns a snapshot of the cycle.
func (c *Cycle) State() CycleState {
	s := CycleState{
		ID:                     c.config.CycleID,
		Name:                   c.config.Name,
		Names:                  maps.Clone(c.config.Names),
		PortalURL:              c.config.PortalURL,
		Currency:               c.config.Currency,
		CurrencyExponent:       c.config.CurrencyExponent,
		Districts:              cloneDistricts(c.config.Districts),
		Plan:                   slices.Clone(c.config.Plan),
		Phase:                  c.phase,
		BallotRule:             c.config.BallotRule,
		OutcomeRule:            c.config.OutcomeRule,
		Assessment:             cloneAssessment(c.config.Assessment),
		AllowBallotReplacement: c.config.AllowBallotReplacement,
		ResidentPolicy:         c.config.ResidentPolicy,
		Assessors:              maps.Clone(c.assessors),
		LotSeeds:               maps.Clone(c.lots),
		Allocations:            map[DistrictID]AllocationRecorded{},
		TimeZone:               c.config.TimeZone,
		Schedule:               c.Schedule(),
	}
	if s.Assessors == nil {
		s.Assessors = map[AssessorID]AssessorRole{}
	}
	if s.LotSeeds == nil {
		s.LotSeeds = map[DistrictID]string{}
	}
	for _, d := range c.config.Districts {
		s.TotalBudget += d.Budget
	}
	for id, a := range c.allocations {
		s.Allocations[id] = cloneAllocation(a)
	}
	return s
}

func cloneAssessment(p AssessmentPolicy) AssessmentPolicy {
	p.Criteria = slices.Clone(p.Criteria)
	return p
}

func cloneAllocation(a AllocationRecorded) AllocationRecorded {
	a.Winners = slices.Clone(a.Winners)
	a.Decisions = slices.Clone(a.Decisions)
	tb := make([]TieBreak, len(a.TieBreaks))
	for i, t := range a.TieBreaks {
		tb[i] = TieBreak{ProposalIDs: slices.Clone(t.ProposalIDs), By: t.By, Stage: t.Stage}
	}
	if a.TieBreaks == nil {
		tb = nil
	}
	a.TieBreaks = tb
	if a.Comparison != nil {
		c := *a.Comparison
		a.Comparison = &c
	}
	return a
}
