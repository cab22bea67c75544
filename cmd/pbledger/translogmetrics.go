package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pbledger/pbledger/eventstore/translog"
)

// translogCollector reports how far the transparency log's signed checkpoints cover the log, for the
// "no checkpoint signed lately" alert: pbledger_translog_size (events in the Merkle tree) and
// pbledger_checkpoint_signed_size (events the latest signed checkpoint covers). The notary signs only when
// the log grows, so an idle log with an old checkpoint is healthy; what is not is a tree that has grown past
// a signed size that stays the same.
type translogCollector struct {
	tree         *translog.Tree
	notary       *translog.Notary
	size, signed *prometheus.Desc
}

func newTranslogCollector(tree *translog.Tree, notary *translog.Notary) *translogCollector {
	return &translogCollector{tree: tree, notary: notary,
		size:   prometheus.NewDesc("pbledger_translog_size", "Events in the transparency log's Merkle tree.", nil, nil),
		signed: prometheus.NewDesc("pbledger_checkpoint_signed_size", "Events covered by the latest signed checkpoint (0 before the first).", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *translogCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.size
	ch <- c.signed
}

// Collect implements prometheus.Collector.
func (c *translogCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(c.size, prometheus.GaugeValue, float64(c.tree.Size()))
	latest, _ := c.notary.Latest()
	ch <- prometheus.MustNewConstMetric(c.signed, prometheus.GaugeValue, float64(latest.Size))
}
