package filestore_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/filestore"
	"github.com/pbledger/pbledger/eventstore/storetest"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func mustOpen(tb testing.TB, dir string, opts filestore.Options) *filestore.Store {
	tb.Helper()
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	s, err := filestore.Open(context.Background(), dir, opts)
	if err != nil {
		tb.Fatalf("open %s: %v", dir, err)
	}
	return s
}

func backend(opts filestore.Options) storetest.Backend {
	return storetest.Backend{
		Dense: true,
		Open: func(tb testing.TB) eventstore.Store {
			return mustOpen(tb, tb.TempDir(), opts)
		},
		Reopen: func(tb testing.TB, s eventstore.Store) eventstore.Store {
			fs := s.(*filestore.Store)
			if err := fs.Close(); err != nil {
				tb.Fatalf("close: %v", err)
			}
			return mustOpen(tb, fs.Dir(), opts)
		},
	}
}

func TestContract(t *testing.T) {
	storetest.Run(t, backend(filestore.Options{}))
}

// TestContractSmallSegments runs the suite again with segments so small that most commits roll to a new one.
func TestContractSmallSegments(t *testing.T) {
	storetest.Run(t, backend(filestore.Options{SegmentSize: 4096}))
}

// TestContractWithStreamHashCollisions runs the suite with a stream-name hash that collides all the time
// (the length of the name), so streams found by hash must be told apart by their names in the log, and the
// persisted index must record and reload colliding streams.
func TestContractWithStreamHashCollisions(t *testing.T) {
	defer filestore.SetStreamHash(func(s string) uint64 { return uint64(len(s) % 7) })()
	storetest.Run(t, backend(filestore.Options{SegmentSize: 4096}))
}
