package filestore

import (
	"os"

	"github.com/google/uuid"
)

// FrameStarts returns the offsets at which the valid frames of a segment file start, and where the last
// one ends, for tests that damage the log at chosen places.
func FrameStarts(path string) (starts []int64, end int64, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	off := int64(segHeaderSize)
	for off < int64(len(b)) && !allZero(b[off:]) {
		verdict, n := checkFrame(b[off:])
		if verdict != frameOK {
			break
		}
		starts = append(starts, off)
		off += int64(n)
	}
	return starts, off, nil
}

// OpenedFromIndex returns the position up to which Open loaded the persisted index (0: it read the log).
func OpenedFromIndex(s *Store) uint64 { return uint64(s.fromIndex) }

// SetStreamHash replaces the hash of stream names (tests give a poor one, to exercise collisions) and
// returns a function that puts the real one back.
func SetStreamHash(f func(string) uint64) (restore func()) {
	old := streamHash
	streamHash = func(_ hashKey, name string) uint64 { return f(name) }
	return func() { streamHash = old }
}

// SetIDHash replaces the hash of event IDs in the persisted index (tests give a poor one, to exercise
// collisions) and returns a function that puts the real one back.
func SetIDHash(f func(uuid.UUID) uint64) (restore func()) {
	old := idHash
	idHash = func(_ hashKey, id uuid.UUID) uint64 { return f(id) }
	return func() { idHash = old }
}

// SetFlushEvery sets how many events the in-memory tail of the index may hold before it is merged into the
// index file, and returns a function that puts the default back.
func SetFlushEvery(n int) (restore func()) {
	old := flushEvery.Load()
	flushEvery.Store(uint64(n))
	return func() { flushEvery.Store(old) }
}

// IndexTail returns how many events the store indexes in memory (the tail after the index file).
func IndexTail(s *Store) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return int(s.committed - s.baseN())
}

// SetWriteFault makes the store's writes to segment files go through fn (nil: straight to the file). Set it
// while no append is in flight; the next append's hand-off to the writer orders it.
func SetWriteFault(s *Store, fn func(f *os.File, b []byte, off int64) (int, error)) {
	s.writeFault = fn
}

// FlushIndex merges the store's in-memory tail into a new index file now, as the writer does when the tail
// has grown, even if the tail is empty. Call it while no append is in flight; it waits for a merge the
// writer may have started after answering the last append.
func FlushIndex(s *Store) error { return s.flushIndex() }

// CloseWaitsForReaders reports whether a Close is waiting for reads in progress (a ScanAll callback, say)
// to end before it unmaps the log.
func CloseWaitsForReaders(s *Store) bool {
	if s.readers.TryRLock() {
		s.readers.RUnlock()
		return false
	}
	return true
}
