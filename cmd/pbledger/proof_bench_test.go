package main

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"
)

// BenchmarkProofLatency measures proofs over HTTP on the demo (a real server on loopback, 8 concurrent
// clients on the same two cores): inclusion proofs against the latest checkpoint, consistency proofs, and
// ballot receipts (inclusion proof, event, allocation). It reports the latency percentiles.
func BenchmarkProofLatency(b *testing.B) {
	ts := startTestServer(b, true, "--sign-every", "50ms")
	cp := waitSigned(b, ts.URL)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	for _, kind := range []string{"inclusion", "consistency", "receipt"} {
		b.Run(kind, func(b *testing.B) {
			var mu sync.Mutex
			var lat []time.Duration
			var next int64
			b.SetParallelism(4) // 8 clients on 2 cores
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				var mine []time.Duration
				for pb.Next() {
					mu.Lock()
					i := next
					next++
					mu.Unlock()
					leaf := (i * 7919) % cp.Size
					var path string
					switch kind {
					case "inclusion":
						path = fmt.Sprintf("/v1/log/inclusion?leaf=%d", leaf)
					case "consistency":
						path = fmt.Sprintf("/v1/log/consistency?from=%d", leaf+1)
					default:
						path = fmt.Sprintf("/v1/receipts/%d", leaf)
					}
					start := time.Now()
					resp, err := client.Get(ts.URL + path)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Errorf("%s: %s", path, resp.Status)
						return
					}
					mine = append(mine, time.Since(start))
				}
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			})
			b.StopTimer()
			slices.Sort(lat)
			if len(lat) > 0 {
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
				b.ReportMetric(float64(len(lat))/b.Elapsed().Seconds(), "req/s")
			}
		})
	}
}
