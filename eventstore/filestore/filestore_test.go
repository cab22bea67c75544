package filestore_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/google/uuid"

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

// TestContractMergingTheIndexEveryCommit runs the suite with the in-memory tail of the index merged into the
// index file after (nearly) every commit, and hashes of stream names and event IDs that collide all the time:
// every lookup then crosses the mapped index file and the tail, and every hit must be confirmed in the log.
func TestContractMergingTheIndexEveryCommit(t *testing.T) {
	defer filestore.SetFlushEvery(1)()
	defer filestore.SetStreamHash(func(s string) uint64 { return uint64(len(s)%3) << 62 })()
	defer filestore.SetIDHash(func(id uuid.UUID) uint64 { return uint64(id[15]%5) << 61 })()
	storetest.Run(t, backend(filestore.Options{SegmentSize: 4096}))
}
