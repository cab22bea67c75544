package filestore

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/google/uuid"

	"github.com/pbledger/pbledger/eventstore"
)

// splitMix and unsplitMix are the finaliser of SplitMix64, the unkeyed hash of event IDs of index version
// 3, and its inverse: with them anyone could make IDs that all had the same hash.
func splitMix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

func unsplitMix(x uint64) uint64 {
	x ^= x>>31 ^ x>>62
	x *= 0x319642b2d24d8ec3
	x ^= x>>27 ^ x>>54
	x *= 0x96de1b173f119089
	x ^= x>>30 ^ x>>60
	return x
}

// oldCollidingID returns the i-th of a family of distinct IDs that all had the hash target under the
// version-3 ID hash, mix64(lo ^ mix64(hi)).
func oldCollidingID(i, target uint64) uuid.UUID {
	var id uuid.UUID
	hi := i*0x9e3779b97f4a7c15 + 1
	binary.LittleEndian.PutUint64(id[8:], hi)
	binary.LittleEndian.PutUint64(id[:8], unsplitMix(target)^splitMix(hi))
	return id
}

// oldFNV is the unkeyed hash of stream names of index version 3 (FNV-1a).
func oldFNV(name string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(name); i++ {
		h ^= uint64(name[i])
		h *= 1099511628211
	}
	return h
}

func openQuiet(tb testing.TB, dir string) *Store {
	tb.Helper()
	s, err := Open(context.Background(), dir, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// longestRun returns the size of the largest group of entries of a sorted table that share a hash: the
// number of entries one lookup may have to confirm by reading the log.
func longestRun(table []hashEntry) int {
	best := 0
	for i := 0; i < len(table); {
		j := i
		for j < len(table) && table[j].hash == table[i].hash {
			j++
		}
		best = max(best, j-i)
		i = j
	}
	return best
}

// Event IDs chosen by a client to collide under a public hash must not share a hash in the index file: with
// the unkeyed hash of version 3, the 20,000 IDs below formed one group, and every later lookup of an ID
// with that hash (each append checks its IDs) confirmed 20,000 candidates against the log under the
// store's lock.
func TestClientChosenIDsDoNotCollideInTheIndex(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openQuiet(t, dir)
	defer func() { s.Close() }()
	const k = 20000
	var ids []uuid.UUID
	batch := make([]eventstore.EventData, 0, 500)
	for i := uint64(0); i < k; i++ {
		id := oldCollidingID(i, 42)
		ids = append(ids, id)
		batch = append(batch, eventstore.EventData{ID: id, Type: "E", Data: []byte("{}")})
		if len(batch) == cap(batch) {
			if _, err := s.Append(ctx, "flood", eventstore.Any(), batch...); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if err := s.flushIndex(); err != nil {
		t.Fatal(err)
	}
	if n := longestRun(s.base.ids); n > 2 {
		t.Fatalf("%d client-chosen IDs share one hash in the index file", n)
	}
	// Every ID is still found through the index file, and after a reopen (which keeps the file's key).
	key := s.key
	for _, id := range ids[:100] {
		if _, ok := s.base.id(id, s.idIs); !ok {
			t.Fatalf("ID %v not found in the index file", id)
		}
	}
	s.Close()
	s = openQuiet(t, dir)
	if s.fromIndex != k {
		t.Fatalf("reopened from the index up to %d, want %d", s.fromIndex, k)
	}
	if s.key != key {
		t.Fatal("the reopened store did not take the index file's key")
	}
	if _, err := s.Append(ctx, "other", eventstore.Any(), eventstore.EventData{ID: ids[7], Type: "E", Data: []byte("{}")}); err == nil {
		t.Fatal("an ID already in the index file was appended again to another stream")
	}
}

// Stream names are hashed under the store's key too: two stores (two keys) hash the same names
// differently, so no set of names collides everywhere, and the index file records the key its tables were
// sorted by.
func TestStreamHashIsKeyedPerStore(t *testing.T) {
	a, b := openQuiet(t, t.TempDir()), openQuiet(t, t.TempDir())
	defer a.Close()
	defer b.Close()
	if a.key == b.key {
		t.Fatal("two stores drew the same hash key")
	}
	same := 0
	for i := 0; i < 100; i++ {
		name := fmt.Sprintf("ballot-%d", i)
		if a.streams.hash(name) == b.streams.hash(name) {
			same++
		}
		if a.streams.hash(name) == oldFNV(name) {
			t.Fatalf("%s: the stream hash is still the unkeyed FNV-1a", name)
		}
	}
	if same > 0 {
		t.Fatalf("%d of 100 names have the same hash in two stores", same)
	}
}
