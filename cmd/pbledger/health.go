package main

import (
	"errors"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pbledger/pbledger/eventstore"
)

// storeHealthCollector reports the store's Health as pbledger_store_writable, read at each scrape so the
// reason label is always the current one (one series at a time).
type storeHealthCollector struct {
	desc   *prometheus.Desc
	health atomic.Value // func() error; unset until the store is open
}

// newStoreHealthCollector makes pbledger_store_writable: 1 while the store can write, else 0 with a reason.
func newStoreHealthCollector() *storeHealthCollector {
	return &storeHealthCollector{desc: prometheus.NewDesc("pbledger_store_writable",
		"1 if the event store can write; 0 if it cannot, with the reason: disk_full (writes resume by themselves once space is freed) or write_failed (restart needed).",
		[]string{"reason"}, nil)}
}

func (c *storeHealthCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *storeHealthCollector) Collect(ch chan<- prometheus.Metric) {
	f, _ := c.health.Load().(func() error)
	if f == nil {
		return
	}
	value, reason := 1.0, ""
	if err := f(); err != nil {
		value, reason = 0, "write_failed"
		if errors.Is(err, eventstore.ErrDiskFull) {
			reason = "disk_full"
		}
	}
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, value, reason)
}
