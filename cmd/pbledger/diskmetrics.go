package main

import (
	"io/fs"
	"path/filepath"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
)

// diskCollector reports, at each scrape, the size of the event log and the space on the file system that
// holds the data directory, for the "disk almost full" alerts. It measures at scrape time, so the figures
// are never older than the scrape.
type diskCollector struct {
	dataDir, logDir             string
	logBytes, freeBytes, sizeBy *prometheus.Desc
}

func newDiskCollector(dataDir string) *diskCollector {
	return &diskCollector{
		dataDir:   dataDir,
		logDir:    filepath.Join(dataDir, logDir),
		logBytes:  prometheus.NewDesc("pbledger_store_log_bytes", "Bytes of the event log's files on disk.", nil, nil),
		freeBytes: prometheus.NewDesc("pbledger_disk_free_bytes", "Bytes available to pbledger on the file system of the data directory.", nil, nil),
		sizeBy:    prometheus.NewDesc("pbledger_disk_size_bytes", "Size of the file system of the data directory, in bytes.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *diskCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.logBytes
	ch <- c.freeBytes
	ch <- c.sizeBy
}

// Collect implements prometheus.Collector. A figure it cannot measure is left out rather than reported as 0,
// which would look like a full disk.
func (c *diskCollector) Collect(ch chan<- prometheus.Metric) {
	var total int64
	err := filepath.WalkDir(c.logDir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				total += info.Size()
			}
		}
		return nil
	})
	if err == nil {
		ch <- prometheus.MustNewConstMetric(c.logBytes, prometheus.GaugeValue, float64(total))
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(c.dataDir, &st); err == nil {
		ch <- prometheus.MustNewConstMetric(c.freeBytes, prometheus.GaugeValue, float64(st.Bavail)*float64(st.Bsize))
		ch <- prometheus.MustNewConstMetric(c.sizeBy, prometheus.GaugeValue, float64(st.Blocks)*float64(st.Bsize))
	}
}
