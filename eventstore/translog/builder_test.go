package translog_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/translog"
)

// fixedEvent is event i of a deterministic log.
func fixedEvent(i int) eventstore.RecordedEvent {
	var id uuid.UUID
	id[0], id[1], id[2], id[15] = byte(i>>16), byte(i>>8), byte(i), 0x5a
	return eventstore.RecordedEvent{
		StreamID: fmt.Sprintf("ballot-%d", i%13),
		Revision: eventstore.Revision(i / 13),
		ID:       id,
		Type:     "BallotCast",
		Data:     []byte(fmt.Sprintf(`{"voter":"v%06d","choices":["p%03d","p%03d"]}`, i, i%97, i%89)),
		Metadata: []byte(`{"principal":"gateway"}`),
		Position: eventstore.Position(3*i + 1),
		Recorded: time.Unix(1_700_000_000+int64(i), int64(i)*7919).UTC(),
	}
}

// TestBuilderMatchesTlog checks that the Builder stores exactly the hashes tlog.StoredHashesForRecordHash
// gives, in tlog's order, across chunk boundaries and irregular batches, and that every root and Flush agree.
func TestBuilderMatchesTlog(t *testing.T) {
	const n = 70_000 // more than two chunks of stored hashes
	var ref []tlog.Hash
	refReader := tlog.HashReaderFunc(func(xs []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(xs))
		for i, x := range xs {
			out[i] = ref[x]
		}
		return out, nil
	})
	tree := translog.NewTree()
	b := translog.NewBuilder(tree)
	var flushed []tlog.Hash
	for i := 0; i < n; i++ {
		e := fixedEvent(i)
		hs, err := tlog.StoredHashesForRecordHash(int64(i), tlog.RecordHash(translog.AppendLeaf(nil, &e)), refReader)
		if err != nil {
			t.Fatal(err)
		}
		ref = append(ref, hs...)
		if err := b.Add(&e); err != nil {
			t.Fatal(err)
		}
		if i%1237 == 0 || i%4099 == 17 || i == n-1 {
			added, first := b.Flush()
			if first != int64(len(flushed)) {
				t.Fatalf("leaf %d: Flush starts at stored hash %d, want %d", i, first, len(flushed))
			}
			flushed = append(flushed, added...)
		}
	}
	if len(flushed) != len(ref) {
		t.Fatalf("Flush gave %d stored hashes, want %d", len(flushed), len(ref))
	}
	for x := range ref {
		if flushed[x] != ref[x] {
			t.Fatalf("stored hash %d differs from tlog's", x)
		}
	}
	got, err := tree.ReadHashes([]int64{0, 1, 65535, 65536, 65537, int64(len(ref) - 1)})
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range []int64{0, 1, 65535, 65536, 65537, int64(len(ref) - 1)} {
		if got[i] != ref[x] {
			t.Fatalf("tree's stored hash %d differs from tlog's", x)
		}
	}
	// Positions, kept in chunks too.
	for _, i := range []int64{0, 1, 65535, 65536, 65537, n - 1} {
		want := eventstore.Position(3*i + 1)
		if p, err := tree.Position(i); err != nil || p != want {
			t.Fatalf("Position(%d) = %d, %v; want %d", i, p, err, want)
		}
		if l, ok := tree.LeafAt(want); !ok || l != i {
			t.Fatalf("LeafAt(%d) = %d, %v; want %d", want, l, ok, i)
		}
		if _, ok := tree.LeafAt(want + 1); ok {
			t.Fatalf("LeafAt(%d) found a leaf where there is no event", want+1)
		}
	}
	if size, last := tree.Head(); size != n || last != eventstore.Position(3*(n-1)+1) {
		t.Fatalf("Head = %d, %d", size, last)
	}
	for _, size := range []int64{1, 2, 3, 1000, 32768, 32769, 65536, n} {
		want, err := tlog.TreeHash(size, refReader)
		if err != nil {
			t.Fatal(err)
		}
		root, err := tree.Root(size)
		if err != nil {
			t.Fatal(err)
		}
		if root != want {
			t.Fatalf("root of %d leaves: %x, want %x", size, root, want)
		}
	}
	// The root of this fixed log, computed before the builder was rewritten: the leaf encoding and the
	// hashing must never change it.
	root, err := tree.Root(n)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := hex.EncodeToString(root[:]), goldenRoot70000; got != want {
		t.Fatalf("root of the fixed log is %s, want %s", got, want)
	}
}

const goldenRoot70000 = "2e461bb390d27a60822e1f2996db9f98f36a425b86febb9d683a8c3702b3feeb"

// TestBuilderAddAllocatesNothing checks that hashing a leaf into the tree allocates nothing beyond the
// tree's chunks.
func TestBuilderAddAllocatesNothing(t *testing.T) {
	tree := translog.NewTree()
	b := translog.NewBuilder(tree)
	e := fixedEvent(1)
	for i := 0; i < 100; i++ { // warm up the buffers
		b.Add(&e)
	}
	b.Flush()
	allocs := testing.AllocsPerRun(1000, func() {
		if err := b.Add(&e); err != nil {
			t.Fatal(err)
		}
		if b.Pending() == 500 {
			b.Flush()
		}
	})
	if allocs > 0.05 {
		t.Fatalf("Add allocates %.2f times per leaf", allocs)
	}
}

// readAllOnly hides a store's eventstore.AllScanner, so that a Follower reads it with ReadAll.
type readAllOnly struct{ eventstore.Store }

// TestFollowerScansOrReadsTheSameTree checks that a follower builds the same tree whether the store lets it
// scan events in place (filestore) or it reads copies of them with ReadAll.
func TestFollowerScansOrReadsTheSameTree(t *testing.T) {
	dir := t.TempDir()
	s := mustStore(t, dir+"/log")
	defer s.Close()
	if _, ok := eventstore.Store(s).(eventstore.AllScanner); !ok {
		t.Fatal("the file store should be an eventstore.AllScanner")
	}
	mustAppend(t, s, 5000) // more than one page
	scanned, stop1 := follow(t, s, "", 5000)
	defer stop1()
	read, stop2 := follow(t, readAllOnly{s}, "", 5000)
	defer stop2()
	// And a follower that hashes what comes after its catch-up on its low-priority thread.
	low := translog.NewTree()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	lctx, lcancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- (&translog.Follower{Store: s, Tree: low, LowPriority: true, Rest: time.Millisecond}).Run(lctx, nil)
	}()
	defer func() { lcancel(); <-done }()
	for i := 0; i < 10; i++ { // what comes after the catch-up, in several reads
		mustAppend(t, s, 100)
		time.Sleep(2 * time.Millisecond)
	}
	for _, tree := range []*translog.Tree{scanned, read, low} {
		if err := tree.WaitSize(ctx, 6000); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []int64{1, 4096, 4097, 5010, 6000} {
		a, err1 := scanned.Root(n)
		b, err2 := read.Root(n)
		c, err3 := low.Root(n)
		if err1 != nil || err2 != nil || err3 != nil || a != b || a != c {
			t.Fatalf("size %d: scanned root %s (%v), read root %s (%v), low-priority root %s (%v)", n, a, err1, b, err2, c, err3)
		}
	}
}
