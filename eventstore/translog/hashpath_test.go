package translog_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/translog"
)

// TestBuilderLeafHashIsTlogs checks the Builder's own leaf hashing (the RFC 6962 prefix and the leaf in one
// buffer) against tlog.RecordHash of AppendLeaf's bytes and against LeafHash, for random events of every
// size around SHA-256's 64-byte blocks and the uvarint lengths' 1- and 2-byte forms.
func TestBuilderLeafHashIsTlogs(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	bytesOf := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.UintN(256))
		}
		return b
	}
	tree := translog.NewTree()
	b := translog.NewBuilder(tree)
	var want []tlog.Hash
	for i := 0; i < 3000; i++ {
		e := eventstore.RecordedEvent{
			StreamID: string(bytesOf(rng.IntN(200))),
			Revision: eventstore.Revision(rng.Uint64N(1 << rng.UintN(63))),
			Type:     string(bytesOf(rng.IntN(40))),
			Data:     bytesOf(rng.IntN(700)),
			Position: eventstore.Position(i + 1),
			Recorded: time.Unix(0, rng.Int64()).UTC(),
		}
		copy(e.ID[:], bytesOf(16))
		if rng.IntN(3) > 0 {
			e.Metadata = bytesOf(rng.IntN(300))
		}
		h := tlog.RecordHash(translog.AppendLeaf(nil, &e))
		if got := translog.LeafHash(&e); got != h {
			t.Fatalf("event %d: LeafHash %s, tlog.RecordHash %s", i, got, h)
		}
		want = append(want, h)
		if err := b.Add(&e); err != nil {
			t.Fatal(err)
		}
		if rng.IntN(100) == 0 {
			b.Flush()
		}
	}
	b.Flush()
	for i, h := range want {
		got, err := tree.LeafHash(int64(i))
		if err != nil || got != h {
			t.Fatalf("leaf %d: the builder hashed %s (%v), tlog.RecordHash gives %s", i, got, err, h)
		}
	}
}

// TestHashesFileAcrossChunks checks the hashes file a follower writes straight from the tree's memory: past
// the first chunk of the tree's stored hashes (2^16 of them), it holds exactly tlog's stored hashes, a
// restart accepts and extends it, and a hash changed in it beyond the first chunk is found.
func TestHashesFileAcrossChunks(t *testing.T) {
	dir := t.TempDir()
	s := mustStore(t, filepath.Join(dir, "log"))
	appendBatches := func(s eventstore.Store, n int) {
		t.Helper()
		for i := 0; i < n; i += 500 {
			evs := make([]eventstore.EventData, 500)
			for j := range evs {
				evs[j] = eventstore.EventData{ID: uuid.New(), Type: "T", Data: []byte(fmt.Sprintf(`{"i":%d}`, i+j))}
			}
			if _, err := s.Append(context.Background(), fmt.Sprintf("s-%d", i%7), eventstore.Any(), evs...); err != nil {
				t.Fatal(err)
			}
		}
	}
	const n = 34_000 // 67,993 stored hashes: more than one chunk
	appendBatches(s, n)
	tdir := filepath.Join(dir, "translog")
	tree, stop := follow(t, s, tdir, n)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	count := tlog.StoredHashCount(n)
	idx := make([]int64, count)
	for i := range idx {
		idx[i] = int64(i)
	}
	hs, err := tree.ReadHashes(idx)
	if err != nil {
		t.Fatal(err)
	}
	var want []byte
	for _, h := range hs {
		want = append(want, h[:]...)
	}
	path := filepath.Join(tdir, translog.HashesFile)
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("the hashes file (%d bytes, %v) is not the tree's %d stored hashes", len(got), err, count)
	}
	appendBatches(s, 1000)
	_, stop = follow(t, s, tdir, n+1000)
	if err := stop(); err != nil {
		t.Fatalf("restart over the same log: %v", err)
	}
	s.Close()

	// Change one stored hash past the first chunk: the hash of leaf 33,000.
	x := tlog.StoredHashIndex(0, 33_000)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte{0xff, 0xee}, x*tlog.HashSize+3); err != nil {
		t.Fatal(err)
	}
	f.Close()
	s = mustStore(t, filepath.Join(dir, "log"))
	defer s.Close()
	err = (&translog.Follower{Store: s, Tree: translog.NewTree(), Dir: tdir}).Run(context.Background(), nil)
	var me *translog.MismatchError
	if !errors.As(err, &me) || me.Leaf != 33_000 {
		t.Fatalf("got %v, want a MismatchError at leaf 33000", err)
	}
}
