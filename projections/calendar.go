package projections

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pbledger/pbledger/domain"
)

// Calendar is what a reader needs to show a cycle's dates and a countdown: the dates as the city keeps them
// (in the cycle's time zone), the next phase change and when voting closes. The countdown itself is the
// page's to compute, against the reader's clock.
type Calendar struct {
	TimeZone string             `json:"time_zone"`
	Schedule []domain.PhaseDate `json:"schedule"`
	// NextPhase and NextPhaseStarts are the next phase of the plan and its date, when it has one.
	NextPhase       domain.Phase `json:"next_phase,omitempty"`
	NextPhaseStarts *time.Time   `json:"next_phase_starts,omitempty"`
	// VotingOpens and VotingCloses bound the voting phase, where the calendar dates them.
	VotingOpens  *time.Time `json:"voting_opens,omitempty"`
	VotingCloses *time.Time `json:"voting_closes,omitempty"`
}

// calendarOf returns the cycle's calendar, or nil for a cycle that declared no time zone.
func calendarOf(c *domain.Cycle) *Calendar {
	if c.TimeZone() == "" {
		return nil
	}
	cal := &Calendar{TimeZone: c.TimeZone(), Schedule: c.Schedule()}
	if loc, err := time.LoadLocation(c.TimeZone()); err == nil {
		for i := range cal.Schedule {
			cal.Schedule[i].Starts = cal.Schedule[i].Starts.In(loc)
		}
	}
	at := func(p domain.Phase) *time.Time {
		for _, d := range cal.Schedule {
			if d.Phase == p {
				t := d.Starts
				return &t
			}
		}
		return nil
	}
	plan := c.State().Plan
	for i, p := range plan {
		if p == c.Phase() && i+1 < len(plan) {
			cal.NextPhase = plan[i+1]
			cal.NextPhaseStarts = at(plan[i+1])
		}
		if p == domain.PhaseVoting {
			cal.VotingOpens = at(p)
			if i+1 < len(plan) {
				cal.VotingCloses = at(plan[i+1])
			}
		}
	}
	return cal
}

// CalendarCollector exposes, for every cycle whose next phase has a date, that date as
// pbledger_cycle_next_phase_start_timestamp_seconds{cycle, phase}: an alert compares it with the time, so a
// phase change the server has not made (allocation unfinished on the implementation date, the scheduler
// turned off) is noticed.
type CalendarCollector struct {
	model *Model
	next  *prometheus.Desc
}

// NewCalendarCollector returns a CalendarCollector for m; register it with a prometheus.Registerer.
func NewCalendarCollector(m *Model) *CalendarCollector {
	return &CalendarCollector{model: m, next: prometheus.NewDesc("pbledger_cycle_next_phase_start_timestamp_seconds",
		"When the cycle's next phase is scheduled to begin (Unix time), for cycles whose next phase has a date.", []string{"cycle", "phase"}, nil)}
}

// Describe implements prometheus.Collector.
func (c *CalendarCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.next }

// Collect implements prometheus.Collector.
func (c *CalendarCollector) Collect(ch chan<- prometheus.Metric) {
	cycles, _ := c.model.Cycles()
	for _, cy := range cycles {
		if cal := cy.Calendar; cal != nil && cal.NextPhaseStarts != nil {
			ch <- prometheus.MustNewConstMetric(c.next, prometheus.GaugeValue, float64(cal.NextPhaseStarts.Unix()), string(cy.ID), string(cal.NextPhase))
		}
	}
}
