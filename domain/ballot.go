package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Ballot is one voter's ballot in one district of one cycle. It is an event-sourced aggregate whose stream is
// BallotStream(cycle, district, voter); the store enforces one ballot per voter when the application appends
// the first ballot expecting no stream. The zero Ballot is an empty history, ready for Cast or Load.
type Ballot struct {
	cast         bool
	cycle        CycleID
	district     DistrictID
	voter        VoterKey
	choices      []BallotChoice
	replacements int

	version int
	changes []Event
}

// BallotState is a read-only snapshot of a ballot; it shares no memory with the Ballot.
type BallotState struct {
	CycleID    CycleID    `json:"cycle_id"`
	DistrictID DistrictID `json:"district_id"`
	Voter      VoterKey   `json:"voter"`
	// Choices are the current ballot's choices, in the order cast (rank order for ordinal ballots).
	Choices []BallotChoice `json:"choices"`
	// Replacements counts how many times the voter replaced the ballot.
	Replacements int `json:"replacements"`
}

// ProposalLookup finds a proposal by ID; the ballot's caller provides it from the proposals it loaded.
type ProposalLookup func(ProposalID) (*Proposal, bool)

// Proposals returns a ProposalLookup over ps.
func Proposals(ps ...*Proposal) ProposalLookup {
	m := make(map[ProposalID]*Proposal, len(ps))
	for _, p := range ps {
		if p != nil {
			m[p.ID()] = p
		}
	}
	return func(id ProposalID) (*Proposal, bool) {
		p, ok := m[id]
		return p, ok
	}
}

// CastBallot casts (or, where the cycle allows it, replaces) a voter's ballot while the cycle is voting.
type CastBallot struct {
	CycleID    CycleID        `json:"cycle_id"`
	DistrictID DistrictID     `json:"district_id"`
	Voter      VoterKey       `json:"voter"`
	Choices    []BallotChoice `json:"choices"`
	// At is when the ballot arrived (set by the application layer). When the cycle has a voting deadline, a
	// ballot at or after it is refused even if the phase has not been advanced yet.
	At time.Time `json:"at,omitzero"`
}

// Validate checks the command on its own.
func (cmd CastBallot) Validate() error {
	for _, err := range []error{cmd.CycleID.Validate(), cmd.DistrictID.Validate(), cmd.Voter.Validate()} {
		if err != nil {
			return err
		}
	}
	for _, ch := range cmd.Choices {
		if err := ch.ProposalID.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// Cast records the ballot: BallotCast the first time, BallotReplaced after that when the cycle allows
// replacement. Every chosen proposal must be published, not withdrawn and in the ballot's district, and the
// ballot must satisfy the cycle's ballot rule.
//
// Errors: ErrInvalid; ErrUnknownCycle; ErrUnknownDistrict; ErrVotingClosed (which also matches ErrWrongPhase)
// outside the voting phase; ErrBallotExists for a second ballot when replacement is not allowed;
// ErrInvalidBallot (code invalid) for a ballot that breaks the rule, joined with ErrUnknownProposal,
// ErrProposalNotPublished, ErrProposalWithdrawn, ErrProposalNotEligible or ErrOverBudget where one of those is
// the cause.
func (b *Ballot) Cast(c *Cycle, proposals ProposalLookup, cmd CastBallot) error {
	if err := cmd.Validate(); err != nil {
		return err
	}
	if b.cast && (cmd.CycleID != b.cycle || cmd.DistrictID != b.district || cmd.Voter != b.voter) {
		return invalidf("the command is for the ballot of %q in %q/%q, not of %q in %q/%q",
			cmd.Voter, cmd.CycleID, cmd.DistrictID, b.voter, b.cycle, b.district)
	}
	if err := c.check(cmd.CycleID); err != nil {
		return err
	}
	district, ok := c.District(cmd.DistrictID)
	if !ok {
		return errorf(CodeNotFound, ErrUnknownDistrict, "cycle %q has no district %q", c.ID(), cmd.DistrictID)
	}
	if c.Phase() != PhaseVoting {
		return errorf(CodeConflict, ErrVotingClosed, "voting in cycle %q is not open (phase %q)", c.ID(), c.Phase())
	}
	if deadline, ok := c.VotingDeadline(); ok {
		if cmd.At.IsZero() {
			return internalf(nil, "a ballot in cycle %q, which has a voting deadline, came without its time", c.ID())
		}
		if !cmd.At.Before(deadline) {
			return errorf(CodeConflict, ErrVotingClosed, "voting in cycle %q closed at %s", c.ID(), deadline.Format(time.RFC3339))
		}
	}
	if b.cast && !c.AllowBallotReplacement() {
		return errorf(CodeConflict, ErrBallotExists, "voter %q already cast a ballot in district %q", cmd.Voter, cmd.DistrictID)
	}
	if err := checkBallot(c, district, proposals, cmd); err != nil {
		return err
	}
	choices := slices.Clone(cmd.Choices)
	if b.cast {
		return b.record(BallotReplaced{CycleID: cmd.CycleID, DistrictID: cmd.DistrictID, Voter: cmd.Voter, Choices: choices})
	}
	return b.record(BallotCast{CycleID: cmd.CycleID, DistrictID: cmd.DistrictID, Voter: cmd.Voter, Choices: choices})
}

// checkBallot checks a ballot against the cycle's rule and the proposals it names. When the plan puts
// assessment before voting, the assessment is final by the time anyone votes, so a proposal it made not
// eligible (infeasible or below the minimum mean score) is off the ballot: a vote for it would be wasted.
func checkBallot(c *Cycle, district District, proposals ProposalLookup, cmd CastBallot) error {
	rule := c.BallotRule()
	assessedFirst := phaseIndex(c.config.Plan, PhaseAssessment) >= 0 &&
		phaseIndex(c.config.Plan, PhaseAssessment) < phaseIndex(c.config.Plan, PhaseVoting)
	n := len(cmd.Choices)
	minChoices, maxChoices := max(rule.MinChoices, 1), rule.MaxChoices
	if rule.Type == BallotChooseOne {
		minChoices, maxChoices = 1, 1
	}
	if n < minChoices {
		return ballotErrorf(nil, "choices: %s needs at least %s, not %d", ballotName(rule.Type), plural(minChoices, "choice"), n)
	}
	if maxChoices > 0 && n > maxChoices {
		return ballotErrorf(nil, "choices: %s allows at most %s, not %d", ballotName(rule.Type), plural(maxChoices, "choice"), n)
	}
	seen := make(map[ProposalID]bool, n)
	var cost Money
	var points int64
	for _, ch := range cmd.Choices {
		if seen[ch.ProposalID] {
			return ballotErrorf(nil, "proposal %q appears twice on the ballot", ch.ProposalID)
		}
		seen[ch.ProposalID] = true
		var p *Proposal
		if proposals != nil {
			p, _ = proposals(ch.ProposalID)
		}
		if p == nil || !p.Submitted() || p.CycleID() != cmd.CycleID {
			return ballotErrorf(ErrUnknownProposal, "proposal %q does not exist in cycle %q", ch.ProposalID, cmd.CycleID)
		}
		if p.DistrictID() != cmd.DistrictID {
			return ballotErrorf(ErrUnknownProposal, "proposal %q is in district %q, not %q",
				ch.ProposalID, p.DistrictID(), cmd.DistrictID)
		}
		if p.Status() != StatusPublished {
			return ballotErrorf(ErrProposalNotPublished, "proposal %q is not published", ch.ProposalID)
		}
		if p.Withdrawn() {
			return ballotErrorf(ErrProposalWithdrawn, "proposal %q was withdrawn", ch.ProposalID)
		}
		if assessedFirst {
			if why := exclusion(p, c.config.Assessment); why != "" {
				return ballotErrorf(ErrProposalNotEligible, "proposal %q is not eligible: %s", ch.ProposalID, why)
			}
		}
		if rule.Type == BallotScoring {
			if ch.Points < rule.MinScore || ch.Points > rule.MaxScore {
				return ballotErrorf(nil, "proposal %q has score %d; scores are %d..%d", ch.ProposalID, ch.Points, rule.MinScore, rule.MaxScore)
			}
		} else if rule.Type != BallotCumulative {
			if ch.Points != 0 {
				return ballotErrorf(nil, "a %s ballot gives no points (proposal %q has %d)", rule.Type, ch.ProposalID, ch.Points)
			}
		} else {
			if ch.Points < 1 {
				return ballotErrorf(nil, "proposal %q needs at least 1 point, not %d", ch.ProposalID, ch.Points)
			}
			if rule.MaxPointsPerProposal > 0 && ch.Points > rule.MaxPointsPerProposal {
				return ballotErrorf(nil, "proposal %q has %d points; at most %d are allowed per proposal",
					ch.ProposalID, ch.Points, rule.MaxPointsPerProposal)
			}
			if ch.Points > MaxPoints {
				return ballotErrorf(nil, "proposal %q has %d points; at most %d are allowed", ch.ProposalID, ch.Points, MaxPoints)
			}
			points += ch.Points // each ≤ 10^9, and there are far fewer than 9×10^9 choices: no overflow
		}
		var ok bool
		if cost, ok = addMoney(cost, p.Cost()); !ok {
			cost = MaxMoney + 1 // saturate: certainly above any cap
		}
	}
	if rule.Type == BallotCumulative {
		if points > rule.MaxTotalPoints {
			return ballotErrorf(nil, "the ballot gives %d points; at most %d are allowed", points, rule.MaxTotalPoints)
		}
		if points < rule.MinTotalPoints {
			return ballotErrorf(nil, "the ballot gives %d points; at least %d are required", points, rule.MinTotalPoints)
		}
	}
	if rule.Type == BallotKnapsack {
		limit := rule.MaxCost
		if limit == 0 {
			limit = district.Budget
		}
		if cost > limit {
			return ballotErrorf(ErrOverBudget, "the chosen proposals cost %d in all, above the ballot's limit %d", cost, limit)
		}
	}
	return nil
}

// Load applies events from the ballot's stream, oldest first, on top of the current state; it may be called
// repeatedly. It fails if an event is not a ballot event, names another ballot, or replaces a ballot never cast.
func (b *Ballot) Load(events ...Event) error {
	for _, e := range events {
		if err := b.apply(e); err != nil {
			return err
		}
		b.version++
	}
	return nil
}

// Version is the number of events loaded from the store or committed with ClearChanges.
func (b *Ballot) Version() int { return b.version }

// Changes returns the events recorded by commands since the last ClearChanges, oldest first.
func (b *Ballot) Changes() []Event { return slices.Clone(b.changes) }

// ClearChanges marks the recorded changes as committed: call it after appending them to the store.
func (b *Ballot) ClearChanges() {
	b.version += len(b.changes)
	b.changes = nil
}

func (b *Ballot) record(e Event) error {
	if err := b.apply(e); err != nil {
		return err
	}
	b.changes = append(b.changes, e)
	return nil
}

// apply is the one place ballot state changes.
func (b *Ballot) apply(e Event) error {
	switch e := e.(type) {
	case BallotCast:
		return b.applyBallot(e, false, slices.Clone(e.Choices))
	case BallotReplaced:
		return b.applyBallot(BallotCast(e), true, slices.Clone(e.Choices))
	}
	return eventErrorf("%s is not a ballot event", typeName(e))
}

// LoadBallot is Load of one ballot event given by its fields: the BallotCast e, or when replaced is true the
// BallotReplaced with e's fields. It spares a replay making each ballot an Event value, and the copy of its
// choices: the ballot keeps e.Choices, which the caller must not change afterwards.
func (b *Ballot) LoadBallot(e BallotCast, replaced bool) error {
	if err := b.applyBallot(e, replaced, e.Choices); err != nil {
		return err
	}
	b.version++
	return nil
}

// applyBallot applies a BallotCast, or a BallotReplaced when replaced, whose choices are choices (the ballot
// keeps them).
func (b *Ballot) applyBallot(e BallotCast, replaced bool, choices []BallotChoice) error {
	if !replaced {
		if b.cast {
			return eventErrorf("ballot of %q in %q/%q cast twice", e.Voter, e.CycleID, e.DistrictID)
		}
		b.cast = true
		b.cycle, b.district, b.voter = e.CycleID, e.DistrictID, e.Voter
		b.choices = choices
		return nil
	}
	if !b.cast {
		return eventErrorf("BallotReplaced before BallotCast")
	}
	if e.CycleID != b.cycle || e.DistrictID != b.district || e.Voter != b.voter {
		return eventErrorf("ballot of %q in %q/%q in the stream of %q in %q/%q",
			e.Voter, e.CycleID, e.DistrictID, b.voter, b.cycle, b.district)
	}
	b.choices = choices
	b.replacements++
	return nil
}

// IsCast reports whether the ballot has been cast.
func (b *Ballot) IsCast() bool { return b.cast }

// CycleID returns the ballot's cycle.
func (b *Ballot) CycleID() CycleID { return b.cycle }

// DistrictID returns the ballot's district.
func (b *Ballot) DistrictID() DistrictID { return b.district }

// Voter returns the voter's pseudonymous key.
func (b *Ballot) Voter() VoterKey { return b.voter }

// Choices returns the current choices.
func (b *Ballot) Choices() []BallotChoice { return slices.Clone(b.choices) }

// State returns a snapshot of the ballot.
func (b *Ballot) State() BallotState {
	return BallotState{CycleID: b.cycle, DistrictID: b.district, Voter: b.voter,
		Choices: slices.Clone(b.choices), Replacements: b.replacements}
}

// ballotName names a ballot type in a sentence, with its article: "an approval ballot", "a knapsack ballot".
func ballotName(t BallotType) string {
	if t == "" {
		return "a ballot"
	}
	if strings.ContainsRune("aeiou", rune(t[0])) {
		return "an " + string(t) + " ballot"
	}
	return "a " + string(t) + " ballot"
}

// plural writes a count with its noun: "1 choice", "2 choices".
func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
