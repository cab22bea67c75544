package filestore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/google/uuid"

	"github.com/pbledger/pbledger/eventstore"
)

// The persisted index, version 3 (docs/STORAGE.md, "The persisted index"): fixed-width tables that the store
// uses straight from a read-only mapping of the file, so that opening a log of millions of events maps one
// file instead of filling maps, and the index of the log up to the file's extent costs no heap at all.
//
//	header   = "PBLIDX04" version:u64(=4) committed:u64 segments:u64 streams:u64 positions:u64
//	           id_bits:u64 stream_bits:u64 body_crc:u64 key0:u64 key1:u64 segment{segments} header_crc:u64
//	segment  = first_position:u64 size:u64 last_frame_offset:u64 last_frame_payload_crc:u64
//	body     = loc{committed} id{committed} id_dir{2^id_bits+1} stream{streams} stream_dir{2^stream_bits+1}
//	           position{positions}
//	loc      = segment_number:u32 offset:u32                  (the place of the event at position i+1)
//	id       = hash:u64 position:u64                          (sorted by hash)
//	stream   = hash:u64 value:u64                             (sorted by hash)
//	dir      = u64                                            (index of the first entry whose hash's top bits are ≥ i)
//	position = u64
//
// A stream's value is its only position if the stream has one event; otherwise 1<<63 | i, and positions[i]
// is the number of its events, followed by their positions. Hashes are not trusted to be unique: a lookup
// visits every entry with the hash and confirms each by reading the stream name or event ID in the log.
// Hashes are SipHash-2-4 (siphash.go) under the key key0, key1, drawn at random when the store first wrote
// an index and kept from one file to the next: clients choose stream names and event IDs, and must not be
// able to make them collide. body_crc is the CRC-32C of the body, header_crc that of the header before it.
// Version 3 (unkeyed hashes) is not read: a store that finds one reads the log and writes version 4.
const (
	indexMagic   = "PBLIDX04"
	indexVersion = 4
	multiFlag    = uint64(1) << 63
)

// hashEntry is an entry of the ID and stream tables.
type hashEntry struct {
	hash uint64
	val  uint64
}

// diskIndex is a persisted index file, mapped read-only. Its tables are views of the mapping.
type diskIndex struct {
	path      string
	data      []byte
	key       hashKey // the key of the tables' hashes
	committed eventstore.Position
	segments  []indexSegment
	locs      []loc
	ids       []hashEntry
	idDir     []uint64
	idShift   uint
	streams   []hashEntry
	sDir      []uint64
	sShift    uint
	positions []uint64

	// idFilter and sFilter hold the hashes of ids and streams (filter.go), so that a lookup of a hash the
	// file does not have mostly reads none of its pages.
	idFilter, sFilter *hashFilter

	// refs counts the snapshots (and the releaser) using the mapping; once the index is retired (replaced
	// by a newer file) the last of them unmaps it, so a merge never waits for readers.
	refs     atomic.Int64
	retired  atomic.Bool
	closeOne sync.Once
}

// indexSegment is what the index records of one segment.
type indexSegment struct {
	first     eventstore.Position
	size      int64  // end of its last frame
	lastFrame int64  // offset of its last frame; 0 if it has none
	lastCRC   uint32 // the payload checksum of that frame
}

// dirBits returns the number of top hash bits that index the directory of a table of n entries: about
// eight entries a bucket, so a lookup reads the directory and one small run of the table.
func dirBits(n int) uint {
	b := uint(0)
	for b < 40 && (n>>(b+3)) > 0 {
		b++
	}
	return b
}

func shiftOf(bits uint) uint { return 64 - bits } // x >> 64 is 0 in Go: one bucket when bits is 0

// headerSize is the size of the header of an index of nseg segments.
func headerSize(nseg int) int { return headerFixed + nseg*32 + 8 }

// headerFixed is the size of the header before its segments: the magic and ten fields.
const headerFixed = 8 + 10*8

func bodySize(committed, nstreams, npos int, idBits, sBits uint) int {
	return committed*8 + committed*16 + ((1<<idBits)+1)*8 + nstreams*16 + ((1<<sBits)+1)*8 + npos*8
}

// littleEndian reports whether the tables can be used from the mapping as they are.
var littleEndian = func() bool { x := uint16(1); return *(*byte)(unsafe.Pointer(&x)) == 1 }()

// view returns n values of type T stored at off in b.
func view[T any](b []byte, off, n int) []T {
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&b[off])), n)
}

// bytesOf returns the memory of a slice of fixed-width values, to write it.
func bytesOf[T any](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	var z T
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(z)))
}

var errBadIndex = errors.New("persisted index unreadable")

// openDiskIndex maps and checks the index file at path: its header, its size and (if verify; not for a
// file this process just wrote) the checksum of its body. It returns nil and no error if there is no file.
func openDiskIndex(path string, verify bool) (*diskIndex, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if !littleEndian {
		return nil, fmt.Errorf("%w: this machine is big-endian", errBadIndex)
	}
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()
	head := make([]byte, headerFixed)
	if _, err := f.ReadAt(head, 0); err != nil || string(head[:8]) != indexMagic {
		return nil, fmt.Errorf("%w: not an index file of this version", errBadIndex)
	}
	u := func(b []byte, i int) uint64 { return binary.LittleEndian.Uint64(b[8+8*i:]) }
	if v := u(head, 0); v != indexVersion {
		return nil, fmt.Errorf("%w: version %d", errBadIndex, v)
	}
	committed, nseg, nstreams, npos := u(head, 1), u(head, 2), u(head, 3), u(head, 4)
	idBits, sBits := u(head, 5), u(head, 6)
	if nseg > 1<<24 || committed > uint64(size) || nstreams > uint64(size) || npos > uint64(size) || idBits > 40 || sBits > 40 {
		return nil, fmt.Errorf("%w: bad header", errBadIndex)
	}
	hs := headerSize(int(nseg))
	bs := bodySize(int(committed), int(nstreams), int(npos), uint(idBits), uint(sBits))
	if int64(hs+bs) != size {
		return nil, fmt.Errorf("%w: %d bytes, the header says %d", errBadIndex, size, hs+bs)
	}
	head = make([]byte, hs)
	if _, err := f.ReadAt(head, 0); err != nil {
		return nil, err
	}
	if crc(head[:hs-8]) != uint32(binary.LittleEndian.Uint64(head[hs-8:])) {
		return nil, fmt.Errorf("%w: header checksum mismatch", errBadIndex)
	}
	// The body is checked through a buffer, not through the mapping, so that checking it does not make it
	// resident.
	if verify {
		sum, err := crcOfFile(f, int64(hs), int64(bs))
		if err != nil {
			return nil, err
		}
		if sum != uint32(u(head, 7)) {
			return nil, fmt.Errorf("%w: checksum mismatch", errBadIndex)
		}
	}
	data, err := mmap(f, size)
	if err != nil {
		return nil, err
	}
	ix := &diskIndex{path: path, data: data, key: hashKey{u(head, 8), u(head, 9)}, committed: eventstore.Position(committed), idShift: shiftOf(uint(idBits)), sShift: shiftOf(uint(sBits))}
	for i := 0; i < int(nseg); i++ {
		b := head[headerFixed+32*i:]
		ix.segments = append(ix.segments, indexSegment{
			first: eventstore.Position(binary.LittleEndian.Uint64(b)), size: int64(binary.LittleEndian.Uint64(b[8:])),
			lastFrame: int64(binary.LittleEndian.Uint64(b[16:])), lastCRC: uint32(binary.LittleEndian.Uint64(b[24:])),
		})
	}
	off := hs
	ix.locs = view[loc](data, off, int(committed))
	off += int(committed) * 8
	ix.ids = view[hashEntry](data, off, int(committed))
	off += int(committed) * 16
	ix.idDir = view[uint64](data, off, (1<<idBits)+1)
	off += len(ix.idDir) * 8
	ix.streams = view[hashEntry](data, off, int(nstreams))
	off += int(nstreams) * 16
	ix.sDir = view[uint64](data, off, (1<<sBits)+1)
	off += len(ix.sDir) * 8
	ix.positions = view[uint64](data, off, int(npos))
	if err := ix.validate(); err != nil {
		ix.close()
		return nil, err
	}
	idsAt := int64(hs) + int64(committed)*8
	streamsAt := idsAt + int64(committed)*16 + int64(len(ix.idDir))*8
	if ix.idFilter, err = filterOfTable(f, idsAt, int(committed)); err == nil {
		ix.sFilter, err = filterOfTable(f, streamsAt, int(nstreams))
	}
	if err != nil {
		ix.close()
		return nil, err
	}
	release(data) // validate read the directories through the mapping
	return ix, nil
}

// validate checks the directories, which lookups index without further checks; the checksum vouches for
// the rest, and every value read from the tables is bounds-checked where it is used.
func (ix *diskIndex) validate() error {
	for _, t := range []struct {
		dir []uint64
		n   int
	}{{ix.idDir, len(ix.ids)}, {ix.sDir, len(ix.streams)}} {
		for i, d := range t.dir {
			if d > uint64(t.n) || (i > 0 && d < t.dir[i-1]) {
				return fmt.Errorf("%w: bad directory", errBadIndex)
			}
		}
		if t.dir[len(t.dir)-1] != uint64(t.n) {
			return fmt.Errorf("%w: bad directory", errBadIndex)
		}
	}
	return nil
}

// crcOfFile returns the CRC-32C of n bytes of f from off.
func crcOfFile(f *os.File, off, n int64) (uint32, error) {
	buf := make([]byte, 1<<20)
	var sum uint32
	for n > 0 {
		k := min(n, int64(len(buf)))
		if _, err := f.ReadAt(buf[:k], off); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		sum = crc32.Update(sum, castagnoli, buf[:k])
		off += k
		n -= k
	}
	return sum, nil
}

// close unmaps the file. Nothing may use the index any more.
func (ix *diskIndex) close() {
	if ix == nil {
		return
	}
	ix.closeOne.Do(func() {
		if ix.data != nil {
			syscall.Munmap(ix.data)
		}
	})
}

// acquire notes a user of the mapping; the caller holds the store's mu, with ix the store's current index.
func (ix *diskIndex) acquire() {
	if ix != nil {
		ix.refs.Add(1)
	}
}

// drop undoes acquire, unmapping a retired index when its last user is done.
func (ix *diskIndex) drop() {
	if ix != nil && ix.refs.Add(-1) == 0 && ix.retired.Load() {
		ix.close()
	}
}

// retire marks an index replaced by a newer one (no new user can acquire it): it is unmapped now if no one
// uses it, else by the last drop.
func (ix *diskIndex) retire() {
	if ix == nil {
		return
	}
	ix.retired.Store(true)
	if ix.refs.Load() == 0 {
		ix.close()
	}
}

// run returns the entries of table (with directory dir) whose hash is h.
func run(table []hashEntry, dir []uint64, shift uint, h uint64) []hashEntry {
	if len(table) == 0 {
		return nil
	}
	b := h >> shift
	lo, hi := int(dir[b]), int(dir[b+1])
	i := lo + sort.Search(hi-lo, func(i int) bool { return table[lo+i].hash >= h })
	j := i
	for j < hi && table[j].hash == h {
		j++
	}
	return table[i:j]
}

// baseStream is a stream's part in the persisted index.
type baseStream struct {
	first eventstore.Position
	list  []uint64 // its positions, if more than one
}

func (b baseStream) len() int {
	if b.list != nil {
		return len(b.list)
	}
	if b.first != 0 {
		return 1
	}
	return 0
}

func (b baseStream) at(i int) eventstore.Position {
	if b.list != nil {
		return eventstore.Position(b.list[i])
	}
	return b.first
}

// streamOf decodes a stream table value; ok is false if it points outside the index.
func (ix *diskIndex) streamOf(v uint64) (b baseStream, ok bool) {
	if v&multiFlag == 0 {
		return baseStream{first: eventstore.Position(v)}, v != 0 && v <= uint64(ix.committed)
	}
	i := v &^ multiFlag
	if i >= uint64(len(ix.positions)) {
		return baseStream{}, false
	}
	n := ix.positions[i]
	if n < 2 || n > uint64(len(ix.positions))-i-1 {
		return baseStream{}, false
	}
	list := ix.positions[i+1 : i+1+n]
	return baseStream{first: eventstore.Position(list[0]), list: list}, list[n-1] <= uint64(ix.committed)
}

// stream finds the stream called name; is confirms a candidate by its first position.
func (ix *diskIndex) stream(name string, is func(eventstore.Position, string) bool) (baseStream, bool) {
	if ix == nil {
		return baseStream{}, false
	}
	h := streamHash(ix.key, name)
	if !ix.sFilter.mayHave(h) {
		return baseStream{}, false
	}
	for _, e := range run(ix.streams, ix.sDir, ix.sShift, h) {
		if b, ok := ix.streamOf(e.val); ok && is(b.first, name) {
			return b, true
		}
	}
	ix.letGo(ix.streams, ix.sDir, ix.sShift, h)
	return baseStream{}, false
}

// id finds the position of the event with the ID; is confirms a candidate.
func (ix *diskIndex) id(id uuid.UUID, is func(eventstore.Position, uuid.UUID) bool) (eventstore.Position, bool) {
	if ix == nil {
		return 0, false
	}
	h := idHash(ix.key, id)
	if !ix.idFilter.mayHave(h) {
		return 0, false
	}
	for _, e := range run(ix.ids, ix.idDir, ix.idShift, h) {
		if p := eventstore.Position(e.val); p != 0 && p <= ix.committed && is(p, id) {
			return p, true
		}
	}
	ix.letGo(ix.ids, ix.idDir, ix.idShift, h)
	return 0, false
}

// faultAround is the span the kernel maps around a page read through a file mapping (Linux's
// fault_around_bytes, 64 KiB by default).
const faultAround = 64 << 10

// letGo lets go of the pages a lookup of h in table (directory dir) has mapped, when it found nothing: the
// filter let it through by chance, and those pages (64 KiB around each one read) would otherwise stay
// resident until the releaser's next pass, which at an import's rate is most of the file. Found streams and
// IDs keep theirs: they tend to be read again.
func (ix *diskIndex) letGo(table []hashEntry, dir []uint64, shift uint, h uint64) {
	if len(table) == 0 {
		return
	}
	b := h >> shift
	ix.letGoAt(unsafe.Pointer(&dir[b]))
	if i := dir[b]; i < uint64(len(table)) {
		ix.letGoAt(unsafe.Pointer(&table[i]))
	}
}

// letGoAt lets go of the fault-around span of the mapping that holds p.
func (ix *diskIndex) letGoAt(p unsafe.Pointer) {
	off := int(uintptr(p) - uintptr(unsafe.Pointer(&ix.data[0])))
	if off < 0 || off >= len(ix.data) {
		return
	}
	start := off &^ (faultAround - 1)
	release(ix.data[start:min(start+faultAround, len(ix.data))])
}
