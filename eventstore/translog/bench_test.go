package translog_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/filestore"
	"github.com/pbledger/pbledger/eventstore/storetest"
	"github.com/pbledger/pbledger/eventstore/translog"
)

// BenchmarkAppendWithTree measures appends to the file store with the tree off and on (a Follower hashing
// every event as it is committed, at low priority on a thread of its own as serve runs it, and a Notary
// signing every second), three alternating pairs in the same run, both with serve's spare P (GOMAXPROCS one
// more than the cores).
// events/s counts the appends (which never wait for the tree); tree-lag-ms is how long after the last append
// the tree covered every event, and cpu-ns/event the process's CPU per event including that catch-up.
// appends/commit and write+sync-µs/commit (the store's group commits: how many appends each held, and the
// time of its write and fdatasync) tell a change of the commits' shape from a slower disk, which on a
// shared machine moves events/s more than anything else.
func BenchmarkAppendWithTree(b *testing.B) {
	for _, writers := range []int{64} {
		for _, batch := range []int{1, 10} {
			for _, tree := range []bool{false, true, false, true, false, true} {
				name := fmt.Sprintf("writers=%d/batch=%d/tree=%v", writers, batch, map[bool]string{false: "off", true: "on"}[tree])
				b.Run(name, func(b *testing.B) { benchAppend(b, writers, batch, tree) })
			}
		}
	}
}

func benchAppend(b *testing.B, writers, batch int, withTree bool) {
	dir := storetest.BenchDir(b)
	var commits, syncNs atomic.Int64
	s, err := filestore.Open(context.Background(), dir+"/log", filestore.Options{OnCommit: func(c filestore.CommitInfo) {
		commits.Add(1)
		syncNs.Add(int64(c.Sync))
	}})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	evs := make([][]eventstore.EventData, b.N)
	for i := range evs {
		evs[i] = make([]eventstore.EventData, batch)
		for j := range evs[i] {
			evs[i][j] = storetest.Event300(i*batch + j)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// As serve runs it with the tree: one P more than the cores, for the follower that hashes at low priority
	// on a thread of its own. The tree-off runs get it too, so that the pairs differ only in the tree
	// (PBLEDGER_BENCH_NO_SPARE_P=1 leaves GOMAXPROCS alone in both, to measure what the spare P does alone).
	if os.Getenv("PBLEDGER_BENCH_NO_SPARE_P") == "" {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + 1))
	}
	var tree *translog.Tree
	var done sync.WaitGroup
	if withTree {
		tree = translog.NewTree()
		signer, vkey, err := translog.LoadOrCreateKey(dir+"/key", "bench/log")
		if err != nil {
			b.Fatal(err)
		}
		// PBLEDGER_BENCH_FOLLOWER=normal: the follower hashes at normal priority, as before LowPriority.
		f := &translog.Follower{Store: s, Tree: tree, Dir: dir + "/translog",
			LowPriority: os.Getenv("PBLEDGER_BENCH_FOLLOWER") != "normal"}
		n := &translog.Notary{Tree: tree, Signer: signer, Verifier: vkey, Path: dir + "/translog/checkpoints.jsonl", Every: time.Second}
		if err := n.Open(); err != nil {
			b.Fatal(err)
		}
		done.Add(2)
		go func() { defer done.Done(); f.Run(ctx, nil) }()
		go func() { defer done.Done(); n.Run(ctx) }()
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	cpu0 := cpuTime()
	commits.Store(0)
	syncNs.Store(0)
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
	appended := time.Now()
	if withTree {
		if err := tree.WaitSize(ctx, int64(b.N*batch)); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(time.Since(appended).Milliseconds()), "tree-lag-ms")
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N*batch), "cpu-ns/event")
	b.ReportMetric(float64(b.N)/float64(max(commits.Load(), 1)), "appends/commit")
	b.ReportMetric(float64(syncNs.Load())/1e3/float64(max(commits.Load(), 1)), "write+sync-µs/commit")
	cancel()
	done.Wait()
}

// prefilled returns a store holding n events of ~300 bytes, written in batches of 100.
func prefilled(b *testing.B, n int) *filestore.Store {
	b.Helper()
	s, err := filestore.Open(context.Background(), storetest.BenchDir(b)+"/log", filestore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	for i := 0; i < n; i += 100 {
		evs := make([]eventstore.EventData, 100)
		for j := range evs {
			evs[j] = storetest.Event300(i + j)
		}
		if _, err := s.Append(context.Background(), fmt.Sprintf("s-%d", i%1000), eventstore.Any(), evs...); err != nil {
			b.Fatal(err)
		}
	}
	return s
}

// BenchmarkFollowerCatchUp is the tree's cost per event: a follower hashing a log of 200,000 events from the
// start (reading them in place through filestore's ScanAll, encoding each leaf, SHA-256, the tree's interior
// hashes), without a hashes file and, as serve runs it, writing one (hashes=file: a new file every run).
func BenchmarkFollowerCatchUp(b *testing.B) {
	const n = 200_000
	s := prefilled(b, n)
	b.Run("hashes=none", func(b *testing.B) { benchCatchUp(b, s, n, false) })
	b.Run("hashes=file", func(b *testing.B) { benchCatchUp(b, s, n, true) })
}

func benchCatchUp(b *testing.B, s *filestore.Store, n int64, withFile bool) {
	dir := storetest.BenchDir(b)
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		tree := translog.NewTree()
		f := &translog.Follower{Store: s, Tree: tree}
		if withFile {
			f.Dir = fmt.Sprintf("%s/translog-%d", dir, i)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- f.Run(ctx, cancel) }()
		<-ctx.Done()
		<-done
		if tree.Size() != n {
			b.Fatalf("tree has %d leaves, want %d", tree.Size(), n)
		}
	}
	b.ReportMetric(float64(n*int64(b.N))/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(n*int64(b.N)), "cpu-ns/event")
}

// cpuTime is the process's user and system CPU time so far, in nanoseconds: on a shared machine it says
// what a piece of work costs better than the wall clock.
func cpuTime() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkProofs measures inclusion and consistency proofs on a tree of 1,000,000 leaves.
func BenchmarkProofs(b *testing.B) {
	const n = 1_000_000
	tree := translog.NewTree()
	bl := translog.NewBuilder(tree)
	e := eventstore.RecordedEvent{StreamID: "s", Type: "T", Data: []byte("{}"), Recorded: time.Unix(0, 1)}
	for i := 0; i < n; i++ {
		e.Revision = eventstore.Revision(i)
		e.Position = eventstore.Position(i + 1)
		if err := bl.Add(&e); err != nil {
			b.Fatal(err)
		}
		if bl.Pending() == 4096 {
			bl.Flush()
		}
	}
	bl.Flush()
	b.Run("inclusion", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := tree.InclusionProof(int64(i*7919)%n, n); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("consistency", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := tree.ConsistencyProof(1+int64(i*7919)%(n-1), n); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("root", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := tree.Root(n - int64(i%1000)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkHashFloor is the least any tree over this leaf encoding costs per event on this machine, the
// hardware limit to compare BenchmarkFollowerCatchUp with: SHA-256 of one ~300-byte event's leaf and of one
// interior node (a tree has one interior node per leaf, less one), nothing else.
func BenchmarkHashFloor(b *testing.B) {
	ev := storetest.Event300(1)
	e := eventstore.RecordedEvent{StreamID: "s-100", Revision: 7, ID: ev.ID, Type: ev.Type, Data: ev.Data,
		Metadata: ev.Metadata, Recorded: time.Unix(1_700_000_000, 0)}
	leaf := translog.AppendLeaf(nil, &e)
	b.SetBytes(int64(len(leaf)))
	var h tlog.Hash
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		h = tlog.NodeHash(h, tlog.RecordHash(leaf))
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/event")
	b.ReportMetric(float64(len(leaf)), "leaf-bytes")
}
