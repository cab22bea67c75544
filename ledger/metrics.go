package ledger

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// NewPrometheusMetrics registers the ledger's metrics with reg and returns the Metrics that feed them:
// pbledger_events_appended_total by event type, and pbledger_append_duration_seconds, the time from handing
// an append to the store until it is durable; pbledger_append_failures_total, appends the store failed (not
// conflicts), which the "writes failing" alert watches.
func NewPrometheusMetrics(reg prometheus.Registerer) Metrics {
	f := promauto.With(reg)
	appended := f.NewCounterVec(prometheus.CounterOpts{
		Name: "pbledger_events_appended_total",
		Help: "Events appended to the log, by event type.",
	}, []string{"type"})
	latency := f.NewHistogram(prometheus.HistogramOpts{
		Name:    "pbledger_append_duration_seconds",
		Help:    "Time for an append to become durable (including waiting for its group commit).",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
	})
	failures := f.NewCounter(prometheus.CounterOpts{
		Name: "pbledger_append_failures_total",
		Help: "Appends the store failed (I/O errors, a closed store); conflicts are not failures.",
	})
	return Metrics{Appended: func(types []string, took time.Duration) {
		for _, t := range types {
			appended.WithLabelValues(t).Inc()
		}
		latency.Observe(took.Seconds())
	}, AppendFailed: func(error) { failures.Inc() }}
}
