package filestore

import "os"

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
	streamHash = f
	return func() { streamHash = old }
}

// SetWriteFault makes the store's writes to segment files go through fn (nil: straight to the file). Set it
// while no append is in flight; the next append's hand-off to the writer orders it.
func SetWriteFault(s *Store, fn func(f *os.File, b []byte, off int64) (int, error)) {
	s.writeFault = fn
}
