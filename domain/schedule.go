package domain

import (
	"slices"
	"strings"
	"time"
)

// A cycle may declare when its phases begin: a calendar in its own time zone. The dates are instants (RFC 3339
// with the zone's offset, e.g. 2026-05-01T09:00:00+05:00 for Asia/Almaty); the time zone is declared beside
// them so that people see the dates as the city does. The domain never reads a clock: commands that depend on
// the time (a ballot, a scheduled advance, a reschedule) carry the time they were issued in their At field,
// set by the application layer.

// PhaseDate is when one phase of a cycle's plan begins, which is also when the phase before it ends.
type PhaseDate struct {
	Phase  Phase     `json:"phase"`
	Starts time.Time `json:"starts"`
}

// MaxTimeZoneLen caps the length of a time zone name.
const MaxTimeZoneLen = 64

// validateTimeZone checks that name looks like an IANA time zone name (Area/City). Whether the zone exists is
// for the application layer, which has the time zone database; the domain does no I/O.
func validateTimeZone(name string) error {
	if name == "" {
		return invalidf("time_zone is required when the cycle has a schedule; give an IANA time zone name such as \"Asia/Almaty\"")
	}
	if len(name) > MaxTimeZoneLen {
		return invalidf("time_zone %q is too long; at most %d characters are allowed", name, MaxTimeZoneLen)
	}
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/_-+", r)
		if !ok {
			return invalidf("time_zone %q may contain only letters, digits, \"/\", \"_\", \"-\" and \"+\" (an IANA name such as \"Asia/Almaty\")", name)
		}
	}
	return nil
}

// validateSchedule checks a schedule against its plan: each date names a phase of the plan other than the
// first (which begins when the cycle opens), at most once, and the dates follow the plan's order.
func validateSchedule(plan []Phase, schedule []PhaseDate) error {
	seen := map[Phase]bool{}
	for _, d := range schedule {
		i := phaseIndex(plan, d.Phase)
		if i < 0 {
			return invalidf("schedule: phase %q is not in the phase plan (the plan is %s)", d.Phase, joinPhases(plan))
		}
		if i == 0 {
			return invalidf("schedule: phase %q is the first phase; it begins when the cycle opens, so it takes no date", d.Phase)
		}
		if seen[d.Phase] {
			return invalidf("schedule: phase %q has two dates; give one", d.Phase)
		}
		seen[d.Phase] = true
		if d.Starts.IsZero() {
			return invalidf("schedule: phase %q needs a start date (RFC 3339, e.g. \"2026-05-01T09:00:00+05:00\")", d.Phase)
		}
	}
	ordered := orderSchedule(plan, schedule)
	for i := 1; i < len(ordered); i++ {
		if !ordered[i].Starts.After(ordered[i-1].Starts) {
			return invalidf("schedule: phase %q starts at %s, which is not after phase %q (%s); dates must follow the plan's order",
				ordered[i].Phase, ordered[i].Starts.Format(time.RFC3339), ordered[i-1].Phase, ordered[i-1].Starts.Format(time.RFC3339))
		}
	}
	return nil
}

// orderSchedule returns the dates in plan order.
func orderSchedule(plan []Phase, schedule []PhaseDate) []PhaseDate {
	out := slices.Clone(schedule)
	slices.SortStableFunc(out, func(a, b PhaseDate) int { return phaseIndex(plan, a.Phase) - phaseIndex(plan, b.Phase) })
	return out
}

// Schedule returns the cycle's current calendar (after every reschedule), in plan order.
func (c *Cycle) Schedule() []PhaseDate {
	var out []PhaseDate
	for _, p := range c.config.Plan {
		if t, ok := c.schedule[p]; ok {
			out = append(out, PhaseDate{Phase: p, Starts: t})
		}
	}
	return out
}

// TimeZone returns the cycle's declared IANA time zone ("" when it declared none).
func (c *Cycle) TimeZone() string { return c.config.TimeZone }

// PhaseStarts returns the date phase p is scheduled to begin.
func (c *Cycle) PhaseStarts(p Phase) (time.Time, bool) {
	t, ok := c.schedule[p]
	return t, ok
}

// VotingDeadline returns when voting ends by the calendar: the date of the phase after voting. ok is false
// when that phase has no date (voting then ends only when an admin advances the phase).
func (c *Cycle) VotingDeadline() (deadline time.Time, ok bool) {
	i := phaseIndex(c.config.Plan, PhaseVoting)
	if i < 0 || i+1 >= len(c.config.Plan) {
		return time.Time{}, false
	}
	return c.PhaseStarts(c.config.Plan[i+1])
}

// DuePhase returns the phase the calendar says the cycle should have moved to by now: the next phase of the
// plan, when it has a date at or before now. ok is false when no move is due.
func (c *Cycle) DuePhase(now time.Time) (next Phase, ok bool) {
	if !c.opened {
		return "", false
	}
	i := phaseIndex(c.config.Plan, c.phase)
	if i < 0 || i+1 >= len(c.config.Plan) {
		return "", false
	}
	next = c.config.Plan[i+1]
	t, ok := c.schedule[next]
	if !ok || now.Before(t) {
		return "", false
	}
	return next, true
}

// ReschedulePhase moves the date a phase begins: later to extend the phase before it (a deadline extended),
// earlier to shorten it. It is an admin's decision and needs a reason, which the record keeps. To end a phase
// at once, advance the phase instead.
type ReschedulePhase struct {
	CycleID CycleID   `json:"cycle_id"`
	Phase   Phase     `json:"phase"`
	Starts  time.Time `json:"starts"`
	Reason  string    `json:"reason"`
	// At is when the command was issued (set by the application layer, not by the caller).
	At time.Time `json:"at,omitzero"`
}

// Validate checks the command on its own.
func (cmd ReschedulePhase) Validate() error {
	if err := cmd.CycleID.Validate(); err != nil {
		return err
	}
	if !slices.Contains(knownPhases, cmd.Phase) {
		return invalidf("phase %q is not a phase; the phases are %s", cmd.Phase, joinPhases(knownPhases))
	}
	if cmd.Starts.IsZero() {
		return invalidf("starts is required: the new date the phase begins (RFC 3339, e.g. \"2026-05-01T09:00:00+05:00\")")
	}
	return checkText("reason", cmd.Reason, true, true, MaxReasonLen)
}

// ReschedulePhase records a new date for a phase that has not begun.
//
// Errors: ErrUnknownCycle; ErrInvalid for a malformed command, a phase outside the plan or the first phase, a
// date in the past or out of the plan's order; ErrWrongPhase when the phase has already begun.
func (c *Cycle) ReschedulePhase(cmd ReschedulePhase) error {
	if err := c.check(cmd.CycleID); err != nil {
		return err
	}
	if err := cmd.Validate(); err != nil {
		return err
	}
	i := phaseIndex(c.config.Plan, cmd.Phase)
	if i < 0 {
		return invalidf("phase %q is not in the plan of cycle %q (the plan is %s)", cmd.Phase, c.config.CycleID, joinPhases(c.config.Plan))
	}
	if i == 0 || i <= phaseIndex(c.config.Plan, c.phase) {
		return errorf(CodeConflict, ErrWrongPhase, "cycle %q is in phase %q; phase %q has already begun, so its date cannot move",
			c.config.CycleID, c.phase, cmd.Phase)
	}
	if !cmd.At.IsZero() && !cmd.Starts.After(cmd.At) {
		return invalidf("starts %s is not in the future; to end the current phase now, advance the phase instead",
			cmd.Starts.Format(time.RFC3339))
	}
	if c.config.TimeZone == "" {
		return invalidf("cycle %q declared no time_zone, so it has no calendar to change", c.config.CycleID)
	}
	next := map[Phase]time.Time{}
	for p, t := range c.schedule {
		next[p] = t
	}
	next[cmd.Phase] = cmd.Starts
	var dates []PhaseDate
	for p, t := range next {
		dates = append(dates, PhaseDate{Phase: p, Starts: t})
	}
	if err := validateSchedule(c.config.Plan, dates); err != nil {
		return err
	}
	return c.record(PhaseRescheduled{CycleID: c.config.CycleID, Phase: cmd.Phase, From: c.schedule[cmd.Phase], Starts: cmd.Starts, Reason: cmd.Reason})
}

// PhaseRescheduled records a new start date for a phase of the cycle's calendar.
type PhaseRescheduled struct {
	CycleID CycleID `json:"cycle_id"`
	Phase   Phase   `json:"phase"`
	// From is the date it had before (zero when it had none).
	From   time.Time `json:"from,omitzero"`
	Starts time.Time `json:"starts"`
	Reason string    `json:"reason"`
}

// EventType implements Event.
func (PhaseRescheduled) EventType() string { return EventPhaseRescheduled }
func (PhaseRescheduled) isEvent()          {}
