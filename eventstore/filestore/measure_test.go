package filestore_test

import (
	"bufio"
	"context"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/filestore"
)

// TestMeasureOpen opens the store in $PBLEDGER_MEASURE_DIR (a copy of a real data directory's log; it is
// written to: the index file) and reports how long Open took and the memory it left resident, then reads
// 2,000 random streams and reports again. It is skipped without the variable. docs/BENCHMARKS.md has the
// commands.
func TestMeasureOpen(t *testing.T) {
	dir := os.Getenv("PBLEDGER_MEASURE_DIR")
	if dir == "" {
		t.Skip("PBLEDGER_MEASURE_DIR not set")
	}
	ctx := context.Background()
	start := time.Now()
	s, err := filestore.Open(ctx, dir, filestore.Options{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	opened := time.Since(start)
	head, _ := s.Head(ctx)
	t.Logf("open: %v for %d events (opened from the index up to %d); %s", opened, head, filestore.OpenedFromIndex(s), memory())
	rng := rand.New(rand.NewPCG(1, 2))
	start = time.Now()
	n := 0
	for i := 0; i < 2000; i++ {
		p := eventstore.Position(1 + rng.Uint64N(uint64(head)))
		evs, err := s.ReadAll(ctx, p, 1)
		if err != nil || len(evs) != 1 {
			t.Fatalf("read position %d: %v", p, err)
		}
		got, err := s.ReadStream(ctx, evs[0].StreamID, eventstore.Forwards, evs[0].Revision, 1)
		if err != nil || len(got) != 1 || got[0].ID != evs[0].ID {
			t.Fatalf("read %s: %v", evs[0].StreamID, err)
		}
		n++
	}
	t.Logf("%d random stream reads: %v; %s", n, time.Since(start), memory())
	if err := s.Checked(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("checked: %s", memory())
	start = time.Now()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("close: %v", time.Since(start))
}

// memory reports the process's resident memory now and at its peak, and the Go heap in use.
func memory() string {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	out := "heap in use " + itoaMB(ms.HeapInuse)
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := sc.Text(); strings.HasPrefix(l, "VmRSS") || strings.HasPrefix(l, "VmHWM") {
			out += ", " + strings.Join(strings.Fields(l), " ")
		}
	}
	return out
}

func itoaMB(b uint64) string { return strconv.FormatUint(b>>20, 10) + " MB" }

// TestMeasureFlush opens the store in $PBLEDGER_MEASURE_DIR and rewrites its whole index file twice (the
// cost of a merge of the in-memory tail at that size; appends wait that long), reporting the time of each
// and that of a one-event append right after it (its fdatasync of the log may have to wait for the index
// file's dirty pages).
func TestMeasureFlush(t *testing.T) {
	dir := os.Getenv("PBLEDGER_MEASURE_DIR")
	if dir == "" {
		t.Skip("PBLEDGER_MEASURE_DIR not set")
	}
	s, err := filestore.Open(context.Background(), dir, filestore.Options{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := 0; i < 2; i++ {
		start := time.Now()
		if err := filestore.FlushIndex(s); err != nil {
			t.Fatal(err)
		}
		merged := time.Since(start)
		start = time.Now()
		if _, err := s.Append(context.Background(), "measure-flush", eventstore.Any(), eventstore.EventData{ID: uuid.New(), Type: "Measured", Data: []byte("{}")}); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewriting the index: %v; the append after it: %v; %s", merged, time.Since(start), memory())
	}
}
