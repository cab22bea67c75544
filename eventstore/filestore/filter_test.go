package filestore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/google/uuid"

	"github.com/pbledger/pbledger/eventstore"
)

// TestHashFilter: every hash added is found, and few of the others are (the filter only saves reads of the
// index file when it says no).
func TestHashFilter(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 200_000
	f := newHashFilter(n)
	added := make([]uint64, n)
	for i := range added {
		added[i] = rng.Uint64()
		f.add(added[i])
	}
	for _, h := range added {
		if !f.mayHave(h) {
			t.Fatalf("hash %x was added but is not found", h)
		}
	}
	fp := 0
	for range n {
		if f.mayHave(rng.Uint64()) {
			fp++
		}
	}
	if rate := float64(fp) / n; rate > 0.05 {
		t.Errorf("false positives: %.1f %%, want under 5 %%", 100*rate)
	}
	var none *hashFilter
	if !none.mayHave(1) {
		t.Error("no filter must let every lookup through")
	}
}

// TestIndexFileFiltersHoldEveryHash: the filters of a persisted index file, as the store uses it after its
// merges and as a later open reads it, hold every ID and stream hash of its tables; and lookups of IDs and
// streams the file does not hold find nothing.
func TestIndexFileFiltersHoldEveryHash(t *testing.T) {
	old := flushEvery.Load()
	flushEvery.Store(64)
	defer flushEvery.Store(old)
	dir := t.TempDir()
	s, err := Open(context.Background(), dir, Options{SegmentSize: 1 << 16})
	if err != nil {
		t.Fatal(err)
	}
	appendSome(t, s, 1000)
	check := func(ix *diskIndex) {
		t.Helper()
		if ix == nil || len(ix.ids) == 0 {
			t.Fatal("no index file")
		}
		for _, e := range ix.ids {
			if !ix.idFilter.mayHave(e.hash) {
				t.Fatalf("ID hash %x of the file is not in its filter", e.hash)
			}
		}
		for _, e := range ix.streams {
			if !ix.sFilter.mayHave(e.hash) {
				t.Fatalf("stream hash %x of the file is not in its filter", e.hash)
			}
		}
		for i := range 2000 { // absent: the filter says no, or the lookup finds nothing and lets go
			if _, ok := ix.id(uuid.New(), func(eventstore.Position, uuid.UUID) bool { return true }); ok {
				t.Fatal("a new ID was found in the index file")
			}
			if _, ok := ix.stream(fmt.Sprintf("absent-%d", i), func(eventstore.Position, string) bool { return false }); ok {
				t.Fatal("an absent stream was found in the index file")
			}
		}
	}
	check(s.base)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ix, err := openDiskIndex(filepath.Join(dir, indexFile), true)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.close()
	check(ix)
}

// appendSome appends n one-event streams and n events to one long stream.
func appendSome(t *testing.T, s *Store, n int) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		for _, name := range []string{fmt.Sprintf("ballot-%d", i), "cycle"} {
			e := eventstore.EventData{ID: uuid.New(), Type: "E", Data: []byte(`{}`)}
			if _, err := s.Append(ctx, name, eventstore.Any(), e); err != nil {
				t.Fatal(err)
			}
		}
	}
}
