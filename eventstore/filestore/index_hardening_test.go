package filestore_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/filestore"
	"github.com/pbledger/pbledger/eventstore/storetest"
)

// The writer merges the tail after answering the append, so a FlushIndex right after Append returns runs
// while the writer's own merge may be running: before merges were single-flight, one retired (unmapped)
// the index file the other was reading, and the test crashed (SIGSEGV) or the race detector objected.
func TestFlushIndexWaitsForTheWritersMerge(t *testing.T) {
	defer filestore.SetFlushEvery(1)()
	s := mustOpen(t, t.TempDir(), filestore.Options{})
	defer s.Close()
	for i := 0; i < 1000; i++ {
		if _, err := s.Append(context.Background(), "a", eventstore.Any(), storetest.Event("E", i)); err != nil {
			t.Fatal(err)
		}
		if err := filestore.FlushIndex(s); err != nil {
			t.Fatal(err)
		}
	}
	if got := allIDs(t, s); len(got) != 1000 {
		t.Fatalf("%d events after the merges, want 1000", len(got))
	}
}

// Offsets in segments are 32 bits in the index: Open refuses a segment size it could not index.
func TestSegmentSizeOver4GiBIsRefused(t *testing.T) {
	dir := t.TempDir()
	_, err := filestore.Open(context.Background(), dir, filestore.Options{SegmentSize: filestore.MaxSegmentSize + 1, Logger: quietLogger()})
	if err == nil || !strings.Contains(err.Error(), "segment size") {
		t.Fatalf("Open with a segment size over 4 GiB: %v, want an error about the segment size", err)
	}
	if segs, _ := filepath.Glob(filepath.Join(dir, "*.seg")); len(segs) != 0 {
		t.Fatalf("Open refused the size but created %v", segs)
	}
}

// Concurrent appends to the same streams land in one batch (several appends of one stream per commit) while
// the stream is part in the index file, part in the tail; every stream name has the same hash.
func TestBatchesOfOneStreamAcrossTheIndexBoundary(t *testing.T) {
	defer filestore.SetFlushEvery(3)()
	defer filestore.SetStreamHash(func(s string) uint64 { return 1 })()
	ctx := context.Background()
	dir := t.TempDir()
	opts := filestore.Options{SegmentSize: 4096}
	s := mustOpen(t, dir, opts)
	var wg sync.WaitGroup
	var mu sync.Mutex
	count := map[string]int{}
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 60; i++ {
				name := fmt.Sprintf("s%d", (g+i)%3)
				evs := []eventstore.EventData{storetest.Event("E", i)}
				if i%2 == 0 {
					evs = append(evs, storetest.Event("E", i))
				}
				res, err := s.Append(ctx, name, eventstore.Any(), evs...)
				if err != nil {
					t.Error(err)
					return
				}
				// a retry right away, probably in the next batch
				if r2, err := s.Append(ctx, name, eventstore.Any(), evs...); err != nil || r2 != res {
					t.Errorf("retry %+v %+v %v", res, r2, err)
					return
				}
				mu.Lock()
				count[name] += len(evs)
				mu.Unlock()
			}
		}(g)
	}
	wg.Wait()
	verify := func(s *filestore.Store) {
		for name, n := range count {
			evs, err := s.ReadStream(ctx, name, eventstore.Forwards, 0, 4096)
			if err != nil || len(evs) != n {
				t.Fatalf("%s: %d events, %v; want %d", name, len(evs), err, n)
			}
			for i, e := range evs {
				if int(e.Revision) != i || e.StreamID != name {
					t.Fatalf("%s: event %d revision %d of %s", name, i, e.Revision, e.StreamID)
				}
			}
		}
	}
	verify(s)
	s.Close()
	s = mustOpen(t, dir, opts)
	defer s.Close()
	verify(s)
}

// The index covers more than the log: the log's last frames are zeroed in place (file size unchanged), as a
// torn/lost tail would leave it. The index must be ignored and the tail cut; nothing past the log is served.
func TestIndexCoveringMoreThanTheLogIsIgnored(t *testing.T) {
	dir := t.TempDir()
	opts := filestore.Options{}
	s := mustOpen(t, dir, opts)
	growLog(t, s, 30) // 150 events
	s.Close()
	segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	last := segs[len(segs)-1]
	starts, end, err := filestore.FrameStarts(last)
	if err != nil {
		t.Fatal(err)
	}
	cut := starts[len(starts)-3]
	f, _ := os.OpenFile(last, os.O_WRONLY, 0)
	f.WriteAt(make([]byte, end-cut), cut)
	f.Close()
	r := mustOpen(t, dir, opts)
	defer r.Close()
	if got := filestore.OpenedFromIndex(r); got != 0 {
		t.Fatalf("opened from an index that covers more than the log (up to %d)", got)
	}
	all := allIDs(t, r)
	if len(all) >= 150 {
		t.Fatalf("%d events served", len(all))
	}
	if err := r.Checked(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// modelAppend is an append that succeeded, to be retried.
type modelAppend struct {
	stream string
	evs    []eventstore.EventData
	res    eventstore.AppendResult
}

// TestIndexAgainstAModel runs random appends (with every kind of expected revision), retries, reopens,
// crash images and merges of the index (a merge after every few events) against a model of the streams,
// with real, colliding and constant hashes, and checks every stream both ways, $all and ScanAll. The
// seeds are fixed: the test is deterministic.
func TestIndexAgainstAModel(t *testing.T) {
	for seed := int64(1); seed <= 12; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewSource(seed))
			switch seed % 3 {
			case 1:
				defer filestore.SetStreamHash(func(s string) uint64 { return uint64(len(s) % 2) })()
				defer filestore.SetIDHash(func(id uuid.UUID) uint64 { return uint64(id[0] % 2) })()
			case 2:
				defer filestore.SetStreamHash(func(s string) uint64 { return 7 })()
				defer filestore.SetIDHash(func(id uuid.UUID) uint64 { return 0 })()
			}
			defer filestore.SetFlushEvery(1 + rng.Intn(10))()
			ctx := context.Background()
			dir := t.TempDir()
			opts := filestore.Options{SegmentSize: 4096}
			s := mustOpen(t, dir, opts)
			defer func() { s.Close() }()
			model := map[string][]uuid.UUID{}
			var all []string
			var done []modelAppend
			names := []string{"a", "bb", "ccc", "dddd", "e", "ff", "g-1", "g-22"}
			check := func() {
				for _, name := range names {
					want := model[name]
					for _, page := range []int{1, 3, 1000} {
						var got []uuid.UUID
						for from := eventstore.Revision(0); ; {
							r, err := s.ReadStream(ctx, name, eventstore.Forwards, from, page)
							if len(want) == 0 {
								if !errors.Is(err, eventstore.ErrStreamNotFound) {
									t.Fatalf("%s: %v want not found", name, err)
								}
								break
							}
							if err != nil {
								t.Fatal(err)
							}
							for _, e := range r {
								if e.StreamID != name {
									t.Fatalf("read %s got event of %s", name, e.StreamID)
								}
								got = append(got, e.ID)
							}
							if len(r) < page {
								break
							}
							from = r[len(r)-1].Revision + 1
						}
						if len(want) > 0 && !slices.Equal(got, want) {
							t.Fatalf("%s fwd page %d: got %d want %d", name, page, len(got), len(want))
						}
						if len(want) == 0 {
							continue
						}
						got = got[:0]
						for from := eventstore.End; ; {
							r, err := s.ReadStream(ctx, name, eventstore.Backwards, from, page)
							if err != nil {
								t.Fatal(err)
							}
							for _, e := range r {
								got = append(got, e.ID)
							}
							if len(r) < page || r[len(r)-1].Revision == 0 {
								break
							}
							from = r[len(r)-1].Revision - 1
						}
						slices.Reverse(got)
						if !slices.Equal(got, want) {
							t.Fatalf("%s bwd page %d: got %d want %d", name, page, len(got), len(want))
						}
					}
				}
				if got := allIDs(t, s); !slices.Equal(got, all) {
					t.Fatalf("$all differs: %d vs %d", len(got), len(all))
				}
				var scanned []string
				for p := eventstore.Position(1); ; {
					n, err := s.ScanAll(ctx, p, 5, func(e *eventstore.RecordedEvent) error {
						scanned = append(scanned, e.StreamID+"/"+e.ID.String())
						return nil
					})
					if err != nil {
						t.Fatal(err)
					}
					if n == 0 {
						break
					}
					p += eventstore.Position(n)
				}
				if !slices.Equal(scanned, all) {
					t.Fatalf("scan differs")
				}
			}
			for step := 0; step < 400; step++ {
				switch op := rng.Intn(100); {
				case op < 60:
					name := names[rng.Intn(len(names))]
					n := 1 + rng.Intn(3)
					var evs []eventstore.EventData
					for i := 0; i < n; i++ {
						evs = append(evs, storetest.Event("E", step))
					}
					cur := len(model[name])
					var exp eventstore.ExpectedRevision
					ok := true
					switch rng.Intn(5) {
					case 0:
						exp = eventstore.Any()
					case 1:
						if cur == 0 {
							exp = eventstore.NoStream()
						} else {
							exp = eventstore.Exact(eventstore.Revision(cur - 1))
						}
					case 2:
						exp = eventstore.Exact(eventstore.Revision(cur))
						ok = false
					case 3:
						exp = eventstore.NoStream()
						ok = cur == 0
					case 4:
						exp = eventstore.StreamExists()
						ok = cur > 0
					}
					res, err := s.Append(ctx, name, exp, evs...)
					if ok != (err == nil) {
						t.Fatalf("step %d append %s cur %d exp %v: %v (want ok=%v)", step, name, cur, exp, err, ok)
					}
					if err == nil {
						if int(res.NextRevision) != cur+n-1 || int(res.Position) != len(all)+n {
							t.Fatalf("append result %+v cur %d n %d all %d", res, cur, n, len(all))
						}
						for _, e := range evs {
							model[name] = append(model[name], e.ID)
							all = append(all, name+"/"+e.ID.String())
						}
						done = append(done, modelAppend{name, evs, res})
					} else if !errors.Is(err, eventstore.ErrWrongExpectedRevision) {
						t.Fatal(err)
					}
				case op < 70 && len(done) > 0:
					a := done[rng.Intn(len(done))]
					res, err := s.Append(ctx, a.stream, eventstore.Any(), a.evs...)
					if err != nil || res != a.res {
						t.Fatalf("step %d retry of %s %+v: %+v %v", step, a.stream, a.res, res, err)
					}
					if len(a.evs) > 1 {
						if _, err := s.Append(ctx, a.stream, eventstore.Any(), a.evs[1:]...); !errors.Is(err, eventstore.ErrDuplicateEventID) {
							t.Fatalf("partial retry: %v", err)
						}
					}
					other := names[rng.Intn(len(names))]
					if other != a.stream {
						if _, err := s.Append(ctx, other, eventstore.Any(), a.evs...); !errors.Is(err, eventstore.ErrDuplicateEventID) {
							t.Fatalf("dup in other stream: %v", err)
						}
					}
				case op < 75:
					check()
				case op < 80:
					if err := filestore.FlushIndex(s); err != nil {
						t.Fatal(err)
					}
				case op < 85:
					s.Close()
					s = mustOpen(t, dir, opts)
				case op < 90:
					crash := t.TempDir()
					copyLiveLog(t, dir, crash)
					s.Close()
					dir = crash
					s = mustOpen(t, dir, opts)
				}
			}
			check()
			if err := s.Checked(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// copyLiveLog copies the files of a store that is running (not its lock), as a crash image would hold
// them: a temporary index file may vanish while it is copied.
func copyLiveLog(t *testing.T, from, to string) {
	t.Helper()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() == "LOCK" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
