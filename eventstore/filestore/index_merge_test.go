package filestore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/filestore"
	"github.com/pbledger/pbledger/eventstore/storetest"
)

// growLog appends, in n rounds, one event to each of a few long streams, one one-event stream (a ballot)
// and a two-event append, and returns the events of every stream by name.
func growLog(tb testing.TB, s eventstore.Store, n int) map[string][]eventstore.EventData {
	tb.Helper()
	ctx := context.Background()
	streams := map[string][]eventstore.EventData{}
	for i := 0; i < n; i++ {
		for _, name := range []string{"cycle-1", "cycle-2", fmt.Sprintf("ballot-%d", i)} {
			e := storetest.Event("E", i)
			if _, err := s.Append(ctx, name, eventstore.Any(), e); err != nil {
				tb.Fatalf("append to %s: %v", name, err)
			}
			streams[name] = append(streams[name], e)
		}
		pair := []eventstore.EventData{storetest.Event("P", i), storetest.Event("P", i)}
		if _, err := s.Append(ctx, "pairs", eventstore.Any(), pair...); err != nil {
			tb.Fatalf("append pair: %v", err)
		}
		streams["pairs"] = append(streams["pairs"], pair...)
	}
	return streams
}

// checkStreams reads every stream both ways and compares the IDs with what was appended.
func checkStreams(tb testing.TB, s eventstore.Store, want map[string][]eventstore.EventData) {
	tb.Helper()
	ctx := context.Background()
	for name, evs := range want {
		var ids []uuid.UUID
		for _, e := range evs {
			ids = append(ids, e.ID)
		}
		fwd, err := s.ReadStream(ctx, name, eventstore.Forwards, 0, len(evs)+5)
		if err != nil {
			tb.Fatalf("read %s: %v", name, err)
		}
		bwd, err := s.ReadStream(ctx, name, eventstore.Backwards, eventstore.End, len(evs)+5)
		if err != nil {
			tb.Fatalf("read %s backwards: %v", name, err)
		}
		var got, gotBack []uuid.UUID
		for i, r := range fwd {
			got = append(got, r.ID)
			if r.Revision != eventstore.Revision(i) || r.StreamID != name {
				tb.Fatalf("%s: event %d is revision %d of %s", name, i, r.Revision, r.StreamID)
			}
		}
		for _, r := range bwd {
			gotBack = append(gotBack, r.ID)
		}
		slices.Reverse(gotBack)
		if !slices.Equal(got, ids) || !slices.Equal(gotBack, ids) {
			tb.Fatalf("%s: read %d forwards and %d backwards, want the %d appended", name, len(got), len(gotBack), len(ids))
		}
	}
}

// The index's tail is merged into the index file as the log grows, so the memory it takes stays bounded;
// reads, expectations, retries and duplicate IDs work across the file and the tail, with hashes of names
// and IDs that collide all the time; and a reopen maps the file and reads only the tail after it.
func TestIndexIsMergedAsTheLogGrows(t *testing.T) {
	for _, tc := range []struct {
		name       string
		streamHash func(string) uint64
		idHash     func(uuid.UUID) uint64
	}{
		{name: "real hashes"},
		{name: "colliding hashes", streamHash: func(s string) uint64 { return uint64(len(s) % 2) }, idHash: func(id uuid.UUID) uint64 { return uint64(id[0] % 2) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.streamHash != nil {
				defer filestore.SetStreamHash(tc.streamHash)()
				defer filestore.SetIDHash(tc.idHash)()
			}
			defer filestore.SetFlushEvery(16)()
			ctx := context.Background()
			dir := t.TempDir()
			opts := filestore.Options{SegmentSize: 8192}
			s := mustOpen(t, dir, opts)
			want := growLog(t, s, 60) // 300 events
			if tail := filestore.IndexTail(s); tail >= 300/8+16 {
				t.Fatalf("the tail indexed in memory holds %d events of 300; want it merged into the index file", tail)
			}
			checkStreams(t, s, want)
			// An append of the log's first events again is a retry; one of an ID in the index file is refused.
			first := want["ballot-0"]
			if res, err := s.Append(ctx, "ballot-0", eventstore.NoStream(), first...); err != nil || res.Position != 3 || res.NextRevision != 0 {
				t.Fatalf("retry of an append in the index file: %+v, %v; want position 3, revision 0", res, err)
			}
			if _, err := s.Append(ctx, "other", eventstore.Any(), want["cycle-1"][1]); !errors.Is(err, eventstore.ErrDuplicateEventID) {
				t.Fatalf("an ID of the index file again: %v, want ErrDuplicateEventID", err)
			}
			pairs := want["pairs"]
			if res, err := s.Append(ctx, "pairs", eventstore.Any(), pairs[2:4]...); err != nil || res.NextRevision != 3 {
				t.Fatalf("retry of a two-event append: %+v, %v", res, err)
			}
			if _, err := s.Append(ctx, "pairs", eventstore.Any(), pairs[2]); !errors.Is(err, eventstore.ErrDuplicateEventID) {
				t.Fatalf("part of an earlier append again: %v, want ErrDuplicateEventID", err)
			}
			if _, err := s.Append(ctx, "cycle-2", eventstore.Exact(58), storetest.Event("E", 0)); !errors.Is(err, eventstore.ErrWrongExpectedRevision) {
				t.Fatalf("append expecting an old revision: %v", err)
			}
			more := storetest.Event("E", 1)
			if res, err := s.Append(ctx, "cycle-2", eventstore.Exact(59), more); err != nil || res.NextRevision != 60 {
				t.Fatalf("append expecting the last revision: %+v, %v", res, err)
			}
			want["cycle-2"] = append(want["cycle-2"], more)
			all := allIDs(t, s)
			crash := t.TempDir()
			copyLog(t, dir, crash) // a crash image: the index file covers less than the log
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}

			for _, d := range []string{dir, crash} {
				r := mustOpen(t, d, opts)
				if got := filestore.OpenedFromIndex(r); got == 0 || got > 301 {
					t.Fatalf("%s: opened from the index up to %d", d, got)
				}
				if got := allIDs(t, r); !slices.Equal(got, all) {
					t.Fatalf("%s: $all differs after reopening", d)
				}
				checkStreams(t, r, want)
				if err := r.Checked(ctx); err != nil {
					t.Fatal(err)
				}
				r.Close()
			}
		})
	}
}

// A log read without a usable index file (here: an index of an older version) is indexed into a new file as
// it is read, so opening a large log does not need memory for all of its index either.
func TestOpenWithoutIndexWritesOneAsItReads(t *testing.T) {
	dir := t.TempDir()
	opts := filestore.Options{SegmentSize: 8192}
	s := mustOpen(t, dir, opts)
	want := growLog(t, s, 50)
	all := allIDs(t, s)
	s.Close()
	index := filepath.Join(dir, "index.pbi")
	b, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	copy(b, "PBLIDX02") // the previous version's magic
	os.WriteFile(index, b, 0o644)

	defer filestore.SetFlushEvery(16)()
	log, buf := logBuffer()
	r := mustOpen(t, dir, filestore.Options{SegmentSize: 8192, Logger: log})
	if got := filestore.OpenedFromIndex(r); got != 0 || !strings.Contains(buf.String(), "ignoring the persisted index") {
		t.Fatalf("opened from an old index up to %d (log %q)", got, buf)
	}
	if tail := filestore.IndexTail(r); tail >= 250/8+16 {
		t.Fatalf("after reading 250 events the tail in memory holds %d", tail)
	}
	checkStreams(t, r, want)
	if got := allIDs(t, r); !slices.Equal(got, all) {
		t.Fatal("$all differs")
	}
	r.Close()
}

// Damage anywhere in the index file (header, tables, checksum, length) makes Open ignore it and read the log.
func TestIndexDamageAnywhereIsIgnored(t *testing.T) {
	dir := t.TempDir()
	opts := filestore.Options{SegmentSize: 8192}
	s := mustOpen(t, dir, opts)
	want := growLog(t, s, 30)
	s.Close()
	index := filepath.Join(dir, "index.pbi")
	good, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	damages := map[string][]byte{
		"truncated": good[:len(good)-9],
		"longer":    append(slices.Clone(good), 0),
		"empty":     nil,
	}
	for _, off := range []int{0, 9, 20, 80, len(good) / 3, len(good) / 2, len(good) - 3} {
		b := slices.Clone(good)
		b[off] ^= 0x40
		damages[fmt.Sprintf("byte %d flipped", off)] = b
	}
	for name, b := range damages {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(index, b, 0o644); err != nil {
				t.Fatal(err)
			}
			r := mustOpen(t, dir, opts)
			defer r.Close()
			if got := filestore.OpenedFromIndex(r); got != 0 {
				t.Fatalf("a damaged index was used (up to %d)", got)
			}
			checkStreams(t, r, want)
		})
	}
}

// Readers running while the writer merges the tail into new index files keep reading the old mapping until
// they are done (the last one unmaps it): every read sees a whole, correct prefix of the log.
func TestReadsDuringMerges(t *testing.T) {
	defer filestore.SetFlushEvery(8)()
	ctx := context.Background()
	s := mustOpen(t, t.TempDir(), filestore.Options{SegmentSize: 8192})
	defer s.Close()
	stop := make(chan struct{})
	errs := make(chan error, 2)
	for r := 0; r < 2; r++ {
		go func() {
			for {
				select {
				case <-stop:
					errs <- nil
					return
				default:
				}
				all, err := s.ReadAll(ctx, eventstore.Start, 1<<20)
				if err != nil {
					errs <- err
					return
				}
				for i, e := range all {
					if e.Position != eventstore.Position(i+1) {
						errs <- fmt.Errorf("event %d has position %d", i, e.Position)
						return
					}
					if _, err := s.ReadStream(ctx, e.StreamID, eventstore.Forwards, e.Revision, 1); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	want := growLog(t, s, 150)
	close(stop)
	for r := 0; r < 2; r++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	checkStreams(t, s, want)
}

// Close leaves a tail that is small beside the index file to the next Open, which reads it from the log:
// rewriting the whole file for it would cost more.
func TestCloseLeavesASmallTailToTheNextOpen(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, filestore.Options{})
	want := growLog(t, s, 50) // 250 events
	s.Close()
	s = mustOpen(t, dir, filestore.Options{})
	e := storetest.Event("E", 0)
	if _, err := s.Append(context.Background(), "cycle-1", eventstore.Exact(49), e); err != nil {
		t.Fatal(err)
	}
	want["cycle-1"] = append(want["cycle-1"], e)
	s.Close()
	s = mustOpen(t, dir, filestore.Options{})
	defer s.Close()
	if got, tail := filestore.OpenedFromIndex(s), filestore.IndexTail(s); got != 250 || tail != 1 {
		t.Fatalf("opened from the index up to %d with a tail of %d; want 250 and 1", got, tail)
	}
	checkStreams(t, s, want)
}
