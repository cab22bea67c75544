package filestore_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/filestore"
	"github.com/pbledger/pbledger/eventstore/storetest"
)

// Benchmarks run in PBLEDGER_BENCH_DIR if set (to measure a particular disk), else in a temporary
// directory. The raw benchmarks measure, on the same disk and in the same run, the limits the hardware
// sets: the rate of small write+fdatasync pairs and the sequential write bandwidth.

func BenchmarkRawFsync(b *testing.B) {
	f, err := os.Create(storetest.BenchDir(b) + "/raw")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 300)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := f.Write(buf); err != nil {
			b.Fatal(err)
		}
		if err := syscall.Fdatasync(int(f.Fd())); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "fsyncs/s")
}

func BenchmarkRawSequentialWrite(b *testing.B) {
	f, err := os.Create(storetest.BenchDir(b) + "/raw")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	b.SetBytes(int64(len(buf)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := f.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	if err := syscall.Fdatasync(int(f.Fd())); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkAppend(b *testing.B) {
	for _, writers := range []int{1, 16, 64} {
		for _, batch := range []int{1, 10} {
			b.Run(fmt.Sprintf("writers=%d/batch=%d", writers, batch), func(b *testing.B) {
				var commits, committed atomic.Int64
				s := mustOpen(b, storetest.BenchDir(b), filestore.Options{OnCommit: func(c filestore.CommitInfo) {
					commits.Add(1)
					committed.Add(int64(c.Events))
				}})
				defer s.Close()
				// Prepare the events outside the timer.
				evs := make([][]eventstore.EventData, b.N)
				for i := range evs {
					evs[i] = make([]eventstore.EventData, batch)
					for j := range evs[i] {
						evs[i][j] = storetest.Event300(i*batch + j)
					}
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
							if _, err := s.Append(context.Background(), stream, eventstore.Any(), evs[i]...); err != nil {
								b.Error(err)
								return
							}
						}
					}(w)
				}
				wg.Wait()
				b.StopTimer()
				b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
				b.ReportMetric(float64(committed.Load())/float64(commits.Load()), "events/fsync")
			})
		}
	}
}

// prefill writes n events in batches of 100 and returns the open store.
func prefill(b *testing.B, n int) *filestore.Store {
	b.Helper()
	s := mustOpen(b, storetest.BenchDir(b), filestore.Options{})
	var wg sync.WaitGroup
	per := n / 4
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < per; i += 100 {
				evs := make([]eventstore.EventData, 100)
				for j := range evs {
					evs[j] = storetest.Event300(w*per + i + j)
				}
				if _, err := s.Append(context.Background(), fmt.Sprintf("s-%d-%d", w, i%1000), eventstore.Any(), evs...); err != nil {
					b.Error(err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	return s
}

const readEvents = 400_000

func BenchmarkReadAll(b *testing.B) {
	s := prefill(b, readEvents)
	defer s.Close()
	b.ResetTimer()
	total := 0
	for i := 0; i < b.N; i++ {
		for from := eventstore.Position(1); ; {
			evs, err := s.ReadAll(context.Background(), from, 4096)
			if err != nil {
				b.Fatal(err)
			}
			if len(evs) == 0 {
				break
			}
			total += len(evs)
			from = evs[len(evs)-1].Position + 1
		}
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkSubscriptionCatchUp(b *testing.B) {
	s := prefill(b, readEvents)
	defer s.Close()
	b.ResetTimer()
	total := 0
	for i := 0; i < b.N; i++ {
		sub, err := s.SubscribeAll(context.Background(), eventstore.Start)
		if err != nil {
			b.Fatal(err)
		}
		for {
			m, err := sub.Next(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			if m.CaughtUp {
				break
			}
			total++
		}
		sub.Close()
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkOpen(b *testing.B) {
	s := prefill(b, readEvents)
	dir := s.Dir()
	s.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s := mustOpen(b, dir, filestore.Options{})
		s.Close()
	}
	b.ReportMetric(float64(readEvents*b.N)/b.Elapsed().Seconds(), "events/s")
}
