package migrate_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/pbledger/pbledger/esdbapi/esdbapitest"
	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/esdbstore"
	"github.com/pbledger/pbledger/eventstore/filestore"
	"github.com/pbledger/pbledger/eventstore/migrate"
	"github.com/pbledger/pbledger/eventstore/storetest"
	"github.com/pbledger/pbledger/eventstore/translog"
)

func mustFileStore(tb testing.TB) eventstore.Store {
	tb.Helper()
	s, err := filestore.Open(context.Background(), filepath.Join(tb.TempDir(), "log"), filestore.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func mustESDB(tb testing.TB) eventstore.Store {
	tb.Helper()
	s, err := esdbstore.Open(context.Background(), esdbapitest.ServeFileStore(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// fill writes a log of interleaved streams, single and multi-event writes.
func fill(tb testing.TB, s eventstore.Store) int64 {
	tb.Helper()
	var n int64
	for i := 0; i < 40; i++ {
		for j := 0; j < 5; j++ {
			stream := fmt.Sprintf("stream-%d", j)
			exp := eventstore.NoStream()
			evs := []eventstore.EventData{storetest.Event("One", i)}
			if j%2 == 1 {
				evs = append(evs, storetest.Event("Two", i)) // one write of two events
			}
			if i > 0 && j%2 == 1 {
				exp = eventstore.Exact(eventstore.Revision(2*i - 1))
			} else if i > 0 {
				exp = eventstore.Exact(eventstore.Revision(i - 1))
			}
			if _, err := s.Append(context.Background(), stream, exp, evs...); err != nil {
				tb.Fatal(err)
			}
			n += int64(len(evs))
		}
	}
	return n
}

// A copy from the file store to KurrentDB (pbledger's endpoint), interrupted and resumed, holds the same
// events in the same order; so does a copy back.
func TestCopyInterruptedThenResumed(t *testing.T) {
	src, dst := mustFileStore(t), mustESDB(t)
	total := fill(t, src)

	ctx, cancel := context.WithCancel(context.Background())
	res, err := migrate.Copy(ctx, src, dst, func(copied int64) {
		if copied >= 50 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted copy: got %v, want context.Canceled", err)
	}
	if _, err := migrate.Verify(context.Background(), src, dst); !errors.Is(err, migrate.ErrMismatch) {
		t.Fatalf("verify a partial copy: got %v, want ErrMismatch", err)
	}
	res2, err := migrate.Copy(context.Background(), src, dst, nil)
	if err != nil {
		t.Fatalf("resumed copy: %v", err)
	}
	if res2.Skipped != res.Copied || res2.Skipped+res2.Copied != total {
		t.Fatalf("first copied %d, the resumed one skipped %d and copied %d; want %d in all", res.Copied, res2.Skipped, res2.Copied, total)
	}
	if n, err := migrate.Verify(context.Background(), src, dst); err != nil || n != total {
		t.Fatalf("verify: %d events, %v; want %d", n, err, total)
	}
	t.Run("copying again copies nothing", func(t *testing.T) {
		res, err := migrate.Copy(context.Background(), src, dst, nil)
		if err != nil || res.Copied != 0 || res.Skipped != total {
			t.Fatalf("got %+v, %v", res, err)
		}
	})
	t.Run("and back to a file store", func(t *testing.T) {
		back := mustFileStore(t)
		if _, err := migrate.Copy(context.Background(), dst, back, nil); err != nil {
			t.Fatal(err)
		}
		if n, err := migrate.Verify(context.Background(), src, back); err != nil || n != total {
			t.Fatalf("verify: %d events, %v; want %d", n, err, total)
		}
	})
	t.Run("a destination written to by someone else is refused", func(t *testing.T) {
		if _, err := dst.Append(context.Background(), "intruder", eventstore.Any(), storetest.Event("X", 0)); err != nil {
			t.Fatal(err)
		}
		if _, err := migrate.Verify(context.Background(), src, dst); !errors.Is(err, migrate.ErrMismatch) {
			t.Fatalf("verify: got %v, want ErrMismatch", err)
		}
		if _, err := migrate.Copy(context.Background(), src, dst, nil); !errors.Is(err, migrate.ErrMismatch) {
			t.Fatalf("copy: got %v, want ErrMismatch", err)
		}
	})
}

// rootOf computes the Merkle root of a whole log straight from tlog's stored-hash functions: a path independent
// of the translog.Tree that VerifyRoots uses.
func rootOf(tb testing.TB, s eventstore.Store) (int64, tlog.Hash) {
	tb.Helper()
	var stored []tlog.Hash
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = stored[x]
		}
		return out, nil
	})
	var n int64
	recs, err := s.ReadAll(context.Background(), eventstore.Start, 100000)
	if err != nil {
		tb.Fatal(err)
	}
	for i := range recs {
		hs, err := tlog.StoredHashesForRecordHash(n, translog.LeafHash(&recs[i]), reader)
		if err != nil {
			tb.Fatal(err)
		}
		stored = append(stored, hs...)
		n++
	}
	root, err := tlog.TreeHash(n, reader)
	if err != nil {
		tb.Fatal(err)
	}
	return n, root
}

// The copy is checked by Merkle root too: the source's root is the one its signed checkpoints carry, the
// copy's own root differs only by the recorded times its store stamped, and a copy whose events differ in
// anything else is refused.
func TestVerifyRootsMatchTheSourceTree(t *testing.T) {
	src, dst := mustFileStore(t), mustESDB(t)
	total := fill(t, src)
	if _, err := migrate.Copy(context.Background(), src, dst, nil); err != nil {
		t.Fatal(err)
	}
	n, roots, err := migrate.VerifyRoots(context.Background(), src, dst)
	if err != nil || n != total {
		t.Fatalf("VerifyRoots: %d events, %v; want %d", n, err, total)
	}
	if wantN, want := rootOf(t, src); wantN != n || roots.Source != want {
		t.Errorf("source root at %d: got %s, want %s (size %d)", n, roots.Source, want, wantN)
	}
	if _, want := rootOf(t, dst); roots.Copy != want {
		t.Errorf("copy root: got %s, want %s", roots.Copy, want)
	}
	if roots.Copy == roots.Source {
		t.Errorf("the copy's own root equals the source's, though its store stamped other recorded times")
	}
}
