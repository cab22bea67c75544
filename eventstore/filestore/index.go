package filestore

import (
	"bufio"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"syscall"

	"github.com/google/uuid"

	"github.com/pbledger/pbledger/eventstore"
)

// The persisted index: the index (where each event is, each stream's positions, each event's ID) of the log
// up to some position, in indexFile, used straight from a read-only mapping (diskindex.go). Only the tail of
// the log after it is indexed in memory, and the tail is merged into a new file whenever it grows past
// flushEvery (and at Close), so the heap does not grow with the log and Open maps a file instead of filling
// maps. Open then reads and checks only the frames after the file's extent, as usual. See docs/STORAGE.md,
// "The persisted index".
//
// The file is trusted only if it is still the log it was written from: the same segment files, each at least
// as long as recorded, and the last frame of each recorded segment still where the file says, intact (its
// checksums verified) and with the checksum the file recorded. Anything else (an index from another log, a
// restored backup, a damaged index file) and the file is ignored: the whole log is read and checked as
// without one.

const indexFile = "index.pbi"

// flushEvery is how many events the tail indexed in memory may hold before it is merged into a new index
// file (or an eighth of the file's events, if more: so the merges of a growing log cost O(1) per event).
// Tests lower it (atomic: a test restores it while stores of the contract suite may still be running).
var flushEvery = func() *atomic.Uint64 { var v atomic.Uint64; v.Store(1 << 20); return &v }()

// needFlush reports whether the tail is due to be merged into the index file. The caller is the one that
// changes the index (the writer, or Open).
func (s *Store) needFlush() bool {
	base := s.baseN()
	return s.committed-base >= max(eventstore.Position(flushEvery.Load()), base/8) && s.committed >= s.flushRetry
}

// closeFlushMin is the tail that Close always merges into the index file; a smaller one only if it is at
// least 1/64 of the file's events.
const closeFlushMin = 1 << 16

// baseN returns the last position the persisted index covers (0 if none).
func (s *Store) baseN() eventstore.Position {
	if s.base == nil {
		return 0
	}
	return s.base.committed
}

// locAt returns where the committed (or being committed) event at position p starts. The caller holds mu.
func (s *Store) locAt(p eventstore.Position) loc {
	if n := s.baseN(); p > n {
		return s.tlocs[p-n-1]
	}
	return s.base.locs[p-1]
}

// maybeFlush merges the tail into a new index file if it is due (needFlush). The writer calls it after
// each commit.
func (s *Store) maybeFlush() {
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	if s.needFlush() {
		s.flushIndexLocked() // errors are logged; the tail stays in memory until the next try
	}
}

// flushIndex writes the index of everything committed (the index file merged with the tail), maps it in
// place of the old one and lets go of the tail. Only the goroutine that changes the index calls it (the
// writer between commits, Open, or Close once the writer has stopped), and the test hook FlushIndex
// between appends; flushMu makes merges single-flight, so the hook never retires the mapping a merge of the
// writer is reading. On failure the store keeps its tail in memory and tries again flushEvery events later.
func (s *Store) flushIndex() error {
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	return s.flushIndexLocked()
}

// flushIndexLocked is flushIndex; the caller holds flushMu.
func (s *Store) flushIndexLocked() error {
	ix, err := s.writeIndex()
	if err != nil {
		s.flushRetry = s.committed + eventstore.Position(flushEvery.Load())
		s.log.Warn("filestore: could not write the persisted index; keeping the index in memory", "dir", s.dir, "err", err)
		return err
	}
	s.mu.Lock()
	old := s.base
	s.base = ix
	s.tlocs = nil
	s.ids = make(map[uuid.UUID]eventstore.Position)
	s.streams = newStreamTable(s.key, s.streamNameIs)
	s.mu.Unlock()
	// Snapshots taken before the swap still use the old mapping: the last of them unmaps it.
	old.retire()
	return nil
}

// writeIndex writes the index file of everything committed and maps it. The file appears atomically
// (temporary file, rename); it is not synced: a damaged or missing index is only a slower open.
func (s *Store) writeIndex() (*diskIndex, error) {
	path := filepath.Join(s.dir, indexFile)
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	base, committed := s.base, s.committed
	baseN := s.baseN()
	var baseIDs, baseStreams []hashEntry
	var baseLocs []loc
	if base != nil {
		baseIDs, baseStreams, baseLocs = base.ids, base.streams, base.locs
	}
	// The tail's IDs and streams, sorted by hash (ties by position, so the order does not depend on the maps').
	tids := make([]hashEntry, 0, len(s.ids))
	for id, p := range s.ids {
		tids = append(tids, hashEntry{hash: idHash(s.key, id), val: uint64(p)})
	}
	sortEntries(tids)
	var tstreams []tailStream
	s.streams.all(func(h uint64, e streamEntry) { tstreams = append(tstreams, tailStream{hash: h, e: e}) })
	slices.SortFunc(tstreams, func(a, b tailStream) int {
		if c := cmp.Compare(a.hash, b.hash); c != 0 {
			return c
		}
		return cmp.Compare(a.e.first, b.e.first)
	})

	hs := headerSize(len(s.segments))
	if _, err := f.Seek(int64(hs), io.SeekStart); err != nil {
		return nil, err
	}
	w := &crcWriter{}
	wb := &writeBehind{f: f, off: int64(hs)}
	w.w = bufio.NewWriterSize(summer{wb, &w.sum}, 1<<20)
	// The old file is read through once, a section after another: its pages are let go after each, so a
	// merge does not leave the whole old index resident.
	releaseBase := func() {
		if base != nil {
			release(base.data)
		}
	}
	w.write(bytesOf(baseLocs))
	w.write(bytesOf(s.tlocs[:committed-baseN]))
	releaseBase()

	idBits := dirBits(int(committed))
	d := newDirBuilder(idBits)
	i, j := 0, 0
	for i < len(baseIDs) || j < len(tids) {
		var e hashEntry
		if j == len(tids) || i < len(baseIDs) && baseIDs[i].hash <= tids[j].hash {
			e, i = baseIDs[i], i+1
		} else {
			e, j = tids[j], j+1
		}
		d.add(e.hash)
		w.u64(e.hash)
		w.u64(e.val)
	}
	if d.n != uint64(committed) {
		return nil, fmt.Errorf("index of %d event IDs for %d events", d.n, committed)
	}
	w.write(bytesOf(d.finish()))
	releaseBase()

	sBits := dirBits(len(baseStreams) + len(tstreams))
	d = newDirBuilder(sBits)
	npos := uint64(0)
	s.mergedStreams(base, tstreams, func(h uint64, b baseStream, t *streamEntry) {
		n := b.len()
		if t != nil {
			n += s.streams.len(*t)
		}
		d.add(h)
		w.u64(h)
		if n == 1 {
			if t != nil {
				w.u64(uint64(t.first))
			} else {
				w.u64(uint64(b.first))
			}
			return
		}
		w.u64(multiFlag | npos)
		npos += 1 + uint64(n)
	})
	nstreams := d.n
	w.write(bytesOf(d.finish()))
	releaseBase()
	s.mergedStreams(base, tstreams, func(h uint64, b baseStream, t *streamEntry) {
		n := b.len()
		if t != nil {
			n += s.streams.len(*t)
		}
		if n == 1 {
			return
		}
		w.u64(uint64(n))
		for k := 0; k < b.len(); k++ {
			w.u64(uint64(b.at(k)))
		}
		if t != nil {
			for _, p := range s.streams.positions(*t) {
				w.u64(uint64(p))
			}
		}
	})
	releaseBase()
	if err := w.flush(); err != nil {
		return nil, err
	}
	wb.finish()
	if want := bodySize(int(committed), int(nstreams), int(npos), idBits, sBits); w.n != want {
		return nil, fmt.Errorf("index body of %d bytes, want %d", w.n, want)
	}

	head := make([]byte, hs)
	copy(head, indexMagic)
	for k, v := range []uint64{indexVersion, uint64(committed), uint64(len(s.segments)), nstreams, npos, uint64(idBits), uint64(sBits), uint64(w.sum), s.key.k0, s.key.k1} {
		binary.LittleEndian.PutUint64(head[8+8*k:], v)
	}
	for k, seg := range s.segments {
		var lastCRC uint32
		if seg.lastFrame > 0 {
			lastCRC = binary.LittleEndian.Uint32(seg.data[seg.lastFrame+8:])
		}
		b := head[headerFixed+32*k:]
		binary.LittleEndian.PutUint64(b, uint64(seg.first))
		binary.LittleEndian.PutUint64(b[8:], uint64(seg.size))
		binary.LittleEndian.PutUint64(b[16:], uint64(seg.lastFrame))
		binary.LittleEndian.PutUint64(b[24:], uint64(lastCRC))
	}
	binary.LittleEndian.PutUint64(head[hs-8:], uint64(crc(head[:hs-8])))
	if _, err := f.WriteAt(head, 0); err != nil {
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	ok = true
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return nil, err
	}
	ix, err := openDiskIndex(path, false)
	if err == nil && ix == nil {
		err = errors.New("index file vanished")
	}
	return ix, err
}

// tailStream is a stream of the tail, for writeIndex.
type tailStream struct {
	hash uint64
	e    streamEntry
}

func sortEntries(es []hashEntry) {
	slices.SortFunc(es, func(a, b hashEntry) int {
		if c := cmp.Compare(a.hash, b.hash); c != 0 {
			return c
		}
		return cmp.Compare(a.val, b.val)
	})
}

// mergedStreams calls fn for every stream of the index being written, in the order of their hashes, with
// its part in the index file (len 0 if none) and in the tail (nil if none). Streams of one hash are told
// apart by the names in the log.
func (s *Store) mergedStreams(base *diskIndex, tail []tailStream, fn func(h uint64, b baseStream, t *streamEntry)) {
	var bs []hashEntry
	if base != nil {
		bs = base.streams
	}
	i, j := 0, 0
	for i < len(bs) || j < len(tail) {
		switch {
		case j == len(tail) || i < len(bs) && bs[i].hash < tail[j].hash:
			b, _ := base.streamOf(bs[i].val)
			fn(bs[i].hash, b, nil)
			i++
		case i == len(bs) || tail[j].hash < bs[i].hash:
			fn(tail[j].hash, baseStream{}, &tail[j].e)
			j++
		default: // the same hash on both sides: mostly one stream continued in the tail
			h := bs[i].hash
			i2, j2 := i, j
			for i2 < len(bs) && bs[i2].hash == h {
				i2++
			}
			for j2 < len(tail) && tail[j2].hash == h {
				j2++
			}
			used := make([]bool, j2-j)
			for _, e := range bs[i:i2] {
				b, _ := base.streamOf(e.val)
				var match *streamEntry
				for k := j; k < j2; k++ {
					if !used[k-j] && string(s.nameAt(b.first)) == string(s.nameAt(tail[k].e.first)) {
						used[k-j], match = true, &tail[k].e
						break
					}
				}
				fn(h, b, match)
			}
			for k := j; k < j2; k++ {
				if !used[k-j] {
					fn(h, baseStream{}, &tail[k].e)
				}
			}
			i, j = i2, j2
		}
	}
}

// nameAt returns the stream name of the committed event at position p, a view of the log.
func (s *Store) nameAt(p eventstore.Position) []byte {
	e, err := s.entryAt(p)
	if err != nil {
		return nil
	}
	return e.stream
}

// dirBuilder computes the directory of a table written in hash order.
type dirBuilder struct {
	dir   []uint64
	shift uint
	next  uint64
	n     uint64
}

func newDirBuilder(bits uint) *dirBuilder {
	return &dirBuilder{dir: make([]uint64, (1<<bits)+1), shift: shiftOf(bits)}
}

func (d *dirBuilder) add(h uint64) {
	for b := h >> d.shift; d.next <= b; d.next++ {
		d.dir[d.next] = d.n
	}
	d.n++
}

func (d *dirBuilder) finish() []uint64 {
	for ; d.next < uint64(len(d.dir)); d.next++ {
		d.dir[d.next] = d.n
	}
	return d.dir
}

// crcWriter writes through a buffer, counting bytes; what leaves the buffer is summed (in large pieces:
// summing eight bytes at a time cost more than the rest of a merge).
type crcWriter struct {
	w   *bufio.Writer
	sum uint32
	n   int
	b   [8]byte
}

func (c *crcWriter) write(b []byte) {
	c.w.Write(b)
	c.n += len(b)
}

// summer writes to a file and adds what it writes to a CRC-32C.
type summer struct {
	f   io.Writer
	sum *uint32
}

// writeBehind writes the index file sequentially and has the kernel write it out as it goes, a chunk at a
// time (sync_file_range), waiting for the chunk before the last one. Left to the kernel's writeback, the
// hundreds of megabytes of a merge stay dirty in the page cache, and the log's next fdatasync (on ext4,
// whose journal commit writes out the data of every file it holds metadata of) would wait for them: the
// appends after a merge would stall a second time. Errors are ignored: this only schedules writes that
// would happen anyway (the file is never synced: a torn index file fails its checks).
type writeBehind struct {
	f       *os.File
	off     int64 // where the next write goes
	started int64 // the end of what writeback was started for
	waited  int64 // the end of what was waited for
}

// writeBehindChunk is how much is written between two calls of sync_file_range.
const writeBehindChunk = 8 << 20

// The flags of sync_file_range(2).
const (
	syncFileRangeWaitBefore = 1
	syncFileRangeWrite      = 2
	syncFileRangeWaitAfter  = 4
)

func (w *writeBehind) Write(b []byte) (int, error) {
	n, err := w.f.Write(b)
	w.off += int64(n)
	if w.off-w.started >= writeBehindChunk {
		fd := int(w.f.Fd())
		syscall.SyncFileRange(fd, w.started, w.off-w.started, syncFileRangeWrite)
		if w.started > w.waited {
			// The previous chunk has had the time it took to write this one: it is mostly on disk.
			syscall.SyncFileRange(fd, w.waited, w.started-w.waited, syncFileRangeWaitBefore|syncFileRangeWrite|syncFileRangeWaitAfter)
			w.waited = w.started
		}
		w.started = w.off
	}
	return n, err
}

// finish starts writeback of the rest of the body, without waiting for it.
func (w *writeBehind) finish() {
	if w.off > w.started {
		syscall.SyncFileRange(int(w.f.Fd()), w.started, w.off-w.started, syncFileRangeWrite)
		w.started = w.off
	}
}

func (s summer) Write(b []byte) (int, error) {
	*s.sum = crc32.Update(*s.sum, castagnoli, b)
	return s.f.Write(b)
}

func (c *crcWriter) u64(v uint64) {
	binary.LittleEndian.PutUint64(c.b[:], v)
	c.write(c.b[:])
}

func (c *crcWriter) flush() error { return c.w.Flush() }

// openFromIndex tries to open the log from the persisted index: it maps the segments the index covers,
// checks that they are still what it recorded, and maps the index. It returns how many of names (the
// sorted segment files) it covered, or 0 (having changed nothing) if the index is missing or not to be
// trusted; then the caller reads everything.
func (s *Store) openFromIndex(names []string) int {
	ix, err := openDiskIndex(filepath.Join(s.dir, indexFile), true)
	if err != nil {
		s.log.Warn("filestore: ignoring the persisted index; reading the whole log", "dir", s.dir, "err", err)
		return 0
	}
	if ix == nil {
		return 0
	}
	if len(ix.segments) == 0 || len(ix.segments) > len(names) {
		ix.close()
		return 0
	}
	var segs []*segment
	fail := func(why string) int {
		ix.close()
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
	s.base = ix
	// The tables of the file are sorted by hashes under its key: the store goes on with that key.
	s.key = ix.key
	s.streams = newStreamTable(s.key, s.streamNameIs)
	s.committed = ix.committed
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
