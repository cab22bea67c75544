package filestore

import (
	"encoding/binary"
	"io"
	"math/bits"
	"os"
)

// hashFilter is a blocked Bloom filter of the 64-bit hashes of one table of the index file (event IDs or
// stream names): a hash that was added is always found; one that was not is found about 2 % of the time.
//
// Every append looks its event IDs and its stream up in the index file, and nearly all of those lookups are of
// hashes the file does not hold (new events, new ballot streams). Without the filter each of them reads the
// directory and table pages where the hash would be, and the kernel maps the pages around each page read
// (fault-around, 64 KiB), so a bulk import had most of a large index file resident between two of the
// releaser's passes: 0.39 GB of a 0.42 GB file at 13.8 M events (docs/STORAGE.md, "Resident memory"). The
// filter answers those lookups from the heap, at about 10 bits an entry; the few it lets through let their
// pages go at once (diskIndex.id, stream). Each hash sets four bits of one 64-bit word.
type hashFilter struct {
	words []uint64
}

func newHashFilter(n int) *hashFilter {
	return &hashFilter{words: make([]uint64, max(1, (n*10+63)/64))}
}

// word returns the index of h's word and the four bits h sets in it.
func (f *hashFilter) word(h uint64) (int, uint64) {
	h ^= h >> 29 // the tables' hashes are keyed SipHash; this only spreads a test's weak hashes a little
	w, _ := bits.Mul64(h, uint64(len(f.words)))
	m := uint64(1)<<(h&63) | uint64(1)<<(h>>6&63) | uint64(1)<<(h>>12&63) | uint64(1)<<(h>>18&63)
	return int(w), m
}

func (f *hashFilter) add(h uint64) {
	i, m := f.word(h)
	f.words[i] |= m
}

// mayHave reports whether h may have been added: false means it certainly was not. A nil filter may have
// everything.
func (f *hashFilter) mayHave(h uint64) bool {
	if f == nil {
		return true
	}
	i, m := f.word(h)
	return f.words[i]&m == m
}

// filterOfTable reads n entries of a table of hashEntry (16 bytes each, the hash first) at off in f, through
// a buffer rather than the mapping so that building the filter leaves nothing resident, and returns the
// filter of their hashes.
func filterOfTable(f *os.File, off int64, n int) (*hashFilter, error) {
	flt := newHashFilter(n)
	buf := make([]byte, 1<<20)
	for n > 0 {
		k := min(n, len(buf)/16)
		b := buf[:k*16]
		if _, err := f.ReadAt(b, off); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		for i := 0; i < len(b); i += 16 {
			flt.add(binary.LittleEndian.Uint64(b[i:]))
		}
		off += int64(len(b))
		n -= k
	}
	return flt, nil
}
