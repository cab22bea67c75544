package filestore

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"github.com/google/uuid"

	"github.com/pbledger/pbledger/eventstore"
)

// The persisted index: Close writes the index (where each event is, each stream's positions, each event's
// ID) to indexFile, with the extent of the log it covers. The next Open loads it instead of reading and
// checking every frame of that prefix again, then reads and checks only the frames after it, as usual. So
// opening a large log costs reading the index, not the log. See docs/STORAGE.md, "The persisted index".
//
// The prefix is trusted only if it is still the log the index was written from: the same segment files,
// each at least as long as recorded, and the last frame of each recorded segment still where the index says,
// intact (its checksums verified) and with the checksum the index recorded. Anything else (an index from
// another log, a restored backup, a damaged index file) and the index is ignored: the whole log is read
// and checked as without one.

const (
	indexFile    = "index.pbi"
	indexMagic   = "PBLIDX02"
	indexVersion = 1
)

// indexSegment is what the index records of one segment.
type indexSegment struct {
	first     eventstore.Position
	size      int64  // end of its last frame
	lastFrame int64  // offset of its last frame; 0 if it has none
	lastCRC   uint32 // the payload checksum of that frame
}

// writeIndex writes the index of everything committed. The caller holds mu and no append is in flight.
// The file appears atomically (temporary file, rename); it is not synced: a damaged or missing index is
// only a slower open.
func (s *Store) writeIndex() error {
	path := filepath.Join(s.dir, indexFile)
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	h := crc32.New(castagnoli)
	w := bufio.NewWriterSize(io.MultiWriter(f, h), 1<<20)
	var buf [binary.MaxVarintLen64]byte
	uv := func(v uint64) { w.Write(buf[:binary.PutUvarint(buf[:], v)]) }
	w.WriteString(indexMagic)
	uv(indexVersion)
	uv(uint64(s.committed))
	uv(uint64(len(s.segments)))
	for _, seg := range s.segments {
		var lastCRC uint32
		if seg.lastFrame > 0 {
			lastCRC = binary.LittleEndian.Uint32(seg.data[seg.lastFrame+8:])
		}
		uv(uint64(seg.first))
		uv(uint64(seg.size))
		uv(uint64(seg.lastFrame))
		uv(uint64(lastCRC))
	}
	// Streams are numbered in the order of their first event (so the file does not depend on map order),
	// and recorded by the hash of their name (the names are in the log); each event records its place
	// and its stream's number.
	firsts := make([]uint64, s.committed+1) // hash of the stream starting at each position
	starts := make([]bool, s.committed+1)
	entries := map[eventstore.Position]streamEntry{}
	s.streams.all(func(h uint64, e streamEntry) {
		if e.first <= s.committed {
			firsts[e.first], starts[e.first] = h, true
			if e.more != 0 {
				entries[e.first] = e
			}
		}
	})
	var hashes []uint64
	streamOf := make([]uint32, s.committed)
	for p := eventstore.Position(1); p <= s.committed; p++ {
		if !starts[p] {
			continue
		}
		n := uint32(len(hashes))
		hashes = append(hashes, firsts[p])
		streamOf[p-1] = n
		if e, ok := entries[p]; ok {
			for _, q := range s.streams.multi[e.more-1] {
				if q <= s.committed {
					streamOf[q-1] = n
				}
			}
		}
	}
	firsts, starts, entries = nil, nil, nil
	uv(uint64(len(hashes)))
	var hb [8]byte
	for _, h := range hashes {
		binary.LittleEndian.PutUint64(hb[:], h)
		w.Write(hb[:])
	}
	ids := make([]uuid.UUID, s.committed)
	for id, p := range s.ids {
		if p <= s.committed {
			ids[p-1] = id
		}
	}
	for i := range s.locs[:s.committed] {
		l := s.locs[i]
		uv(uint64(l.seg))
		uv(uint64(l.off))
		uv(uint64(streamOf[i]))
		w.Write(ids[i][:])
	}
	if err := w.Flush(); err != nil {
		return err
	}
	var sum [4]byte
	binary.LittleEndian.PutUint32(sum[:], h.Sum32())
	if _, err := f.Write(sum[:]); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	ok = true
	return os.Rename(tmp, path)
}

// loadedIndex is a persisted index read back.
type loadedIndex struct {
	committed eventstore.Position
	segments  []indexSegment
	hashes    []uint64
	locs      []loc
	streamOf  []uint32
	ids       []uuid.UUID
}

var errBadIndex = errors.New("persisted index unreadable")

// readIndex reads and checks the index file. It returns nil and no error if there is none.
func readIndex(dir string) (*loadedIndex, error) {
	b, err := os.ReadFile(filepath.Join(dir, indexFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(b) < len(indexMagic)+4 || string(b[:len(indexMagic)]) != indexMagic {
		return nil, fmt.Errorf("%w: not an index file", errBadIndex)
	}
	body := b[:len(b)-4]
	if crc(body) != binary.LittleEndian.Uint32(b[len(b)-4:]) {
		return nil, fmt.Errorf("%w: checksum mismatch", errBadIndex)
	}
	off := len(indexMagic)
	bad := false
	uv := func() uint64 {
		v, n := binary.Uvarint(body[off:])
		if n <= 0 {
			bad = true
			return 0
		}
		off += n
		return v
	}
	if v := uv(); v != indexVersion {
		return nil, fmt.Errorf("%w: version %d", errBadIndex, v)
	}
	ix := &loadedIndex{committed: eventstore.Position(uv())}
	nseg := uv()
	if bad || nseg > uint64(len(body)) || uint64(ix.committed) > uint64(len(body)) {
		return nil, fmt.Errorf("%w: bad header", errBadIndex)
	}
	for range nseg {
		ix.segments = append(ix.segments, indexSegment{first: eventstore.Position(uv()), size: int64(uv()), lastFrame: int64(uv()), lastCRC: uint32(uv())})
	}
	nstreams := uv()
	if bad || nstreams > uint64(len(body)-off)/8 {
		return nil, fmt.Errorf("%w: bad stream table", errBadIndex)
	}
	ix.hashes = make([]uint64, nstreams)
	for i := range ix.hashes {
		ix.hashes[i] = binary.LittleEndian.Uint64(body[off:])
		off += 8
	}
	ix.locs = make([]loc, ix.committed)
	ix.streamOf = make([]uint32, ix.committed)
	ix.ids = make([]uuid.UUID, ix.committed)
	for i := range ix.locs {
		ix.locs[i] = loc{seg: uint32(uv()), off: uint32(uv())}
		ix.streamOf[i] = uint32(uv())
		if bad || off+16 > len(body) || uint64(ix.streamOf[i]) >= nstreams || int(ix.locs[i].seg) >= len(ix.segments) {
			return nil, fmt.Errorf("%w: bad event %d", errBadIndex, i+1)
		}
		copy(ix.ids[i][:], body[off:off+16])
		off += 16
	}
	if off != len(body) {
		return nil, fmt.Errorf("%w: %d bytes after the last event", errBadIndex, len(body)-off)
	}
	return ix, nil
}

// openFromIndex tries to open the log from the persisted index: it maps the segments the index covers,
// checks that they are still what it recorded, and loads the index. It returns how many of names (the
// sorted segment files) it covered, or 0 (having changed nothing) if the index is missing or not to be
// trusted; then the caller reads everything.
func (s *Store) openFromIndex(names []string) int {
	ix, err := readIndex(s.dir)
	if err != nil {
		s.log.Warn("filestore: ignoring the persisted index; reading the whole log", "dir", s.dir, "err", err)
		return 0
	}
	if ix == nil || len(ix.segments) == 0 || len(ix.segments) > len(names) {
		return 0
	}
	var segs []*segment
	fail := func(why string) int {
		for _, seg := range segs {
			if seg.data != nil {
				syscall.Munmap(seg.data)
			}
		}
		s.log.Warn("filestore: the persisted index does not match the log; reading the whole log", "dir", s.dir, "reason", why)
		return 0
	}
	next := eventstore.Position(1)
	for i, is := range ix.segments {
		path := filepath.Join(s.dir, names[i])
		if names[i] != segmentName(is.first) || is.first != next {
			return fail("segment " + names[i] + " is not the one indexed")
		}
		f, err := os.Open(path)
		if err != nil {
			return fail(err.Error())
		}
		st, err := f.Stat()
		if err != nil || st.Size() < is.size || is.size < segHeaderSize {
			f.Close()
			return fail("segment " + names[i] + " is shorter than indexed")
		}
		mapLen := st.Size()
		last := i == len(names)-1
		if last && mapLen < s.opts.SegmentSize {
			mapLen = s.opts.SegmentSize
		}
		data, err := mmap(f, mapLen)
		f.Close()
		if err != nil {
			return fail(err.Error())
		}
		seg := &segment{path: path, first: is.first, data: data, size: is.size, zeroed: st.Size(), lastFrame: is.lastFrame}
		segs = append(segs, seg)
		if first, err := decodeSegmentHeader(data[:segHeaderSize]); err != nil || first != is.first {
			return fail("segment " + names[i] + " header")
		}
		if is.lastFrame > 0 {
			v, n := checkFrame(data[is.lastFrame:is.size])
			if v != frameOK || is.lastFrame+int64(n) != is.size || binary.LittleEndian.Uint32(data[is.lastFrame+8:]) != is.lastCRC {
				return fail("segment " + names[i] + ": its last indexed frame differs")
			}
			h, err := decodeFrameHeader(data[is.lastFrame+frameHeaderSize : is.size])
			if err != nil {
				return fail("segment " + names[i] + ": " + err.Error())
			}
			next = h.first + eventstore.Position(h.count)
		}
	}
	if next != ix.committed+1 {
		return fail("the indexed segments end at another position")
	}
	s.segments = segs
	s.locs = ix.locs
	s.committed = ix.committed
	// Sized up front: growing maps of millions of entries costs more than filling them. The two maps are
	// filled side by side.
	s.ids = make(map[uuid.UUID]eventstore.Position, len(ix.ids))
	idsDone := make(chan struct{})
	go func() {
		defer close(idsDone)
		for i, id := range ix.ids {
			s.ids[id] = eventstore.Position(i + 1)
		}
	}()
	s.streams.byHash = make(map[uint64]streamEntry, len(ix.hashes))
	entries := make([]streamEntry, len(ix.hashes))
	for i, n := range ix.streamOf {
		p := eventstore.Position(i + 1)
		if entries[n].first == 0 {
			entries[n].first = p
		} else {
			entries[n] = s.streams.with(entries[n], p)
		}
	}
	for i, e := range entries {
		s.streams.load(ix.hashes[i], e, func() string {
			l := s.locs[e.first-1]
			ent, _, _ := decodeEntry(s.segments[l.seg].data[l.off:])
			return string(ent.stream)
		})
	}
	<-idsDone
	s.fromIndex = ix.committed
	for _, seg := range segs {
		s.unchecked = append(s.unchecked, uncheckedSegment{path: seg.path, size: seg.size})
	}
	return len(ix.segments)
}

// uncheckedSegment is a part of the log opened from the index whose frames' checksums are verified after
// Open returns.
type uncheckedSegment struct {
	path string
	size int64
}

// check verifies, in the background, every frame of the segments opened from the index: a whole log is
// read again, but Open does not wait for it. Damage found there is corruption: the store refuses appends
// from then on (as after a failed write) and logs an error naming the file and offset; Checked reports it.
func (s *Store) check(list []uncheckedSegment) {
	defer close(s.checked)
	var buf []byte
	for _, u := range list {
		select {
		case <-s.quit:
			s.checkErr = ErrCheckInterrupted
			return
		default:
		}
		f, err := os.Open(u.path)
		if err != nil {
			s.checkErr = fmt.Errorf("filestore: check %s: %w", u.path, err)
			return
		}
		var off int64
		buf, off, err = verifyFrames(f, u.size, buf)
		f.Close()
		if err != nil {
			ce := &CorruptionError{File: u.path, Offset: off, Reason: err.Error() + " (found by the check of the indexed log after open)"}
			s.mu.Lock()
			if s.failed == nil {
				s.failed = ce
			}
			s.mu.Unlock()
			s.checkErr = ce
			s.log.Error("filestore: the log is damaged; refusing further appends. Restore the directory from a backup and investigate",
				"file", u.path, "offset", off, "reason", err.Error())
			return
		}
	}
}

// ErrCheckInterrupted is returned by Checked when the store was closed before the check of the indexed log
// finished.
var ErrCheckInterrupted = errors.New("filestore: closed before the log was checked")

// Checked waits until every frame of the part of the log that Open took from the persisted index has had
// its checksums verified, and returns a *CorruptionError if one did not check out (the store then refuses
// appends), ErrCheckInterrupted if the store was closed first, or nil. It returns nil at once when Open read
// the whole log itself (Open checked everything then).
func (s *Store) Checked(ctx context.Context) error {
	select {
	case <-s.checked:
		return s.checkErr
	case <-ctx.Done():
		return ctx.Err()
	}
}

// verifyFrames reads a segment's frames, up to size, through buf (grown as needed and returned) and checks
// that each is intact and that they end exactly at size. On damage it returns the offset of the frame.
func verifyFrames(f *os.File, size int64, buf []byte) ([]byte, int64, error) {
	n := size - segHeaderSize
	if int64(cap(buf)) < n {
		buf = make([]byte, n)
	}
	b := buf[:n]
	if _, err := f.ReadAt(b, segHeaderSize); err != nil {
		return buf, segHeaderSize, fmt.Errorf("read: %w", err)
	}
	for off := 0; off < len(b); {
		v, n := checkFrame(b[off:])
		switch v {
		case frameTruncated:
			return buf, segHeaderSize + int64(off), errors.New("frame runs past the end of the indexed log")
		case frameBad:
			return buf, segHeaderSize + int64(off), errors.New("frame checksum mismatch")
		}
		off += n
	}
	return buf, 0, nil
}
