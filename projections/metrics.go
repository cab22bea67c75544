package projections

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/eventstore"
)

// Collector exposes the read model as Prometheus metrics, read at scrape time so they always agree with the
// API: projection lag, ballots, proposals by status, and each district's budget, allocation and remainder.
type Collector struct {
	model *Model
	store eventstore.Store

	position, lagEvents, lagSeconds, late      *prometheus.Desc
	ballots, proposals                         *prometheus.Desc
	budget, allocated, remaining, cofin, spent *prometheus.Desc
}

// NewCollector returns a Collector for m over store; register it with a prometheus.Registerer.
func NewCollector(m *Model, store eventstore.Store) *Collector {
	dl := []string{"cycle", "district"}
	ml := []string{"cycle", "district", "currency"}
	return &Collector{
		model: m, store: store,
		position:   prometheus.NewDesc("pbledger_projection_position", "Global position of the last event the read model applied.", nil, nil),
		lagEvents:  prometheus.NewDesc("pbledger_projection_lag_events", "Events in the log the read model has not applied yet (counted, not subtracted from positions: positions may have gaps; at most 65536).", nil, nil),
		lagSeconds: prometheus.NewDesc("pbledger_projection_lag_seconds", "Age of the oldest event the read model has not applied yet (0 when caught up).", nil, nil),
		late:       prometheus.NewDesc("pbledger_late_ballots_total", "Ballots recorded after voting closed; kept in the log, never counted.", nil, nil),
		ballots:    prometheus.NewDesc("pbledger_ballots", "Ballots counted, by cycle and district.", dl, nil),
		proposals:  prometheus.NewDesc("pbledger_proposals", "Proposals by cycle, district and status (submitted, published, rejected, withdrawn).", []string{"cycle", "district", "status"}, nil),
		budget:     prometheus.NewDesc("pbledger_district_budget_minor_units", "District budget, in minor currency units.", ml, nil),
		allocated:  prometheus.NewDesc("pbledger_district_allocated_minor_units", "Money the recorded allocation funds from the district budget, in minor currency units.", ml, nil),
		remaining:  prometheus.NewDesc("pbledger_district_remaining_minor_units", "District budget not allocated, in minor currency units.", ml, nil),
		cofin:      prometheus.NewDesc("pbledger_district_cofinanced_minor_units", "Co-financing pledged to the district's funded proposals, in minor currency units.", ml, nil),
		spent:      prometheus.NewDesc("pbledger_district_spent_minor_units", "Money the funded proposals' milestones report spent, in minor currency units.", ml, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.position, c.lagEvents, c.lagSeconds, c.late, c.ballots, c.proposals, c.budget, c.allocated, c.remaining, c.cofin, c.spent} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	pos, _ := c.model.Position()
	ch <- prometheus.MustNewConstMetric(c.position, prometheus.GaugeValue, float64(pos))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	lag, age := c.lag(ctx, pos)
	ch <- prometheus.MustNewConstMetric(c.lagEvents, prometheus.GaugeValue, float64(lag))
	ch <- prometheus.MustNewConstMetric(c.lagSeconds, prometheus.GaugeValue, age.Seconds())
	ch <- prometheus.MustNewConstMetric(c.late, prometheus.CounterValue, float64(c.model.Stats().LateBallots))

	c.model.mu.RLock()
	defer c.model.mu.RUnlock()
	for _, id := range c.model.cycleIDs {
		cv := c.model.cycles[id]
		st := cv.agg.State()
		for _, d := range st.Districts {
			dv := cv.districts[d.ID]
			cy, di := string(id), string(d.ID)
			ch <- prometheus.MustNewConstMetric(c.ballots, prometheus.GaugeValue, float64(dv.ballotCount()), cy, di)
			counts := map[string]int{string(domain.StatusSubmitted): 0, string(domain.StatusPublished): 0, string(domain.StatusRejected): 0, "withdrawn": 0}
			for _, pid := range dv.proposals {
				p := c.model.proposals[pid].agg
				if p.Withdrawn() {
					counts["withdrawn"]++
				} else {
					counts[string(p.Status())]++
				}
			}
			for status, n := range counts {
				ch <- prometheus.MustNewConstMetric(c.proposals, prometheus.GaugeValue, float64(n), cy, di, status)
			}
			b := c.model.balance(cv, d, dv)
			cur := st.Currency
			ch <- prometheus.MustNewConstMetric(c.budget, prometheus.GaugeValue, float64(b.Budget), cy, di, cur)
			ch <- prometheus.MustNewConstMetric(c.allocated, prometheus.GaugeValue, float64(b.Allocated), cy, di, cur)
			ch <- prometheus.MustNewConstMetric(c.remaining, prometheus.GaugeValue, float64(b.Remaining), cy, di, cur)
			ch <- prometheus.MustNewConstMetric(c.cofin, prometheus.GaugeValue, float64(b.CoFinanced), cy, di, cur)
			ch <- prometheus.MustNewConstMetric(c.spent, prometheus.GaugeValue, float64(b.Spent), cy, di, cur)
		}
	}
}

// maxLagCount is how far lag counts the events the model has not applied; beyond it the gauge says
// maxLagCount (a read model that far behind is rebuilding, which the age gauge shows better).
const maxLagCount = 1 << 16

// lag returns how many events the model has not applied (up to maxLagCount) and how old the oldest of them
// is. Positions may have gaps (KurrentDB's are log offsets), so the events are counted, not subtracted.
func (c *Collector) lag(ctx context.Context, pos eventstore.Position) (int64, time.Duration) {
	head, err := c.store.Head(ctx)
	if err != nil || head <= pos {
		return 0, 0
	}
	var n int64
	var oldest time.Duration
	for from := pos + 1; n < maxLagCount; {
		recs, err := c.store.ReadAll(ctx, from, 4096)
		if err != nil || len(recs) == 0 {
			break
		}
		if n == 0 {
			oldest = max(time.Since(recs[0].Recorded), 0)
		}
		for _, r := range recs {
			if r.Position > head {
				return n, oldest
			}
			n++
		}
		from = recs[len(recs)-1].Position + 1
	}
	return min(n, maxLagCount), oldest
}
