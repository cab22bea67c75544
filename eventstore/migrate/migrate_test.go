package migrate_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/pbledger/pbledger/esdbapi/esdbapitest"
	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/esdbstore"
	"github.com/pbledger/pbledger/eventstore/filestore"
	"github.com/pbledger/pbledger/eventstore/migrate"
	"github.com/pbledger/pbledger/eventstore/storetest"
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
