package esdbstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pbledger/pbledger/esdbapi/esdbapitest"
	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/esdbstore"
	"github.com/pbledger/pbledger/eventstore/filestore"
	"github.com/pbledger/pbledger/eventstore/storetest"
)

// BenchmarkAppend measures durable appends through the whole KurrentDB path: esdbstore (the official Go
// client) → TLS gRPC on loopback → pbledger's endpoint → the file store, in PBLEDGER_BENCH_DIR if set. Compare
// with filestore's BenchmarkAppend (the same events, the file store directly) from the same run.
func BenchmarkAppend(b *testing.B) {
	for _, writers := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("writers=%d/batch=1", writers), func(b *testing.B) {
			dir := b.TempDir()
			if d := os.Getenv("PBLEDGER_BENCH_DIR"); d != "" {
				var err error
				if dir, err = os.MkdirTemp(d, "esdbbench"); err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { os.RemoveAll(dir) })
			}
			fs, err := filestore.Open(context.Background(), filepath.Join(dir, "log"), filestore.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer fs.Close()
			s, err := esdbstore.Open(context.Background(), esdbapitest.Serve(b, fs))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			evs := make([]eventstore.EventData, b.N)
			for i := range evs {
				evs[i] = storetest.Event300(i)
			}
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			for w := 0; w < writers; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					stream := fmt.Sprintf("ballot-%d", w)
					for {
						i := int(next.Add(1)) - 1
						if i >= b.N {
							return
						}
						if _, err := s.Append(context.Background(), stream, eventstore.Any(), evs[i]); err != nil {
							b.Error(err)
							return
						}
					}
				}(w)
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkReadAll measures reading $all through the KurrentDB path (what a server's read model does when it
// starts on a shared store, and what rebuild time depends on): 100,000 events of about 300 bytes.
func BenchmarkReadAll(b *testing.B) {
	const n = 100_000
	fs, err := filestore.Open(context.Background(), filepath.Join(b.TempDir(), "log"), filestore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer fs.Close()
	for i := 0; i < n; i += 100 {
		evs := make([]eventstore.EventData, 100)
		for j := range evs {
			evs[j] = storetest.Event300(i + j)
		}
		if _, err := fs.Append(context.Background(), fmt.Sprintf("s-%d", i%1000), eventstore.Any(), evs...); err != nil {
			b.Fatal(err)
		}
	}
	s, err := esdbstore.Open(context.Background(), esdbapitest.Serve(b, fs))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		total := 0
		for from := eventstore.Start; ; {
			recs, err := s.ReadAll(context.Background(), from, 1024)
			if err != nil {
				b.Fatal(err)
			}
			if len(recs) == 0 {
				break
			}
			total += len(recs)
			from = recs[len(recs)-1].Position + 1
		}
		if total != n {
			b.Fatalf("read %d events, want %d", total, n)
		}
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "events/s")
}
