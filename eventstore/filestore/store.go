// Package filestore is pbledger's embedded event store: an append-only log of segment files in a data
// directory, no server.
//
// An append returns only after its bytes are durable (fdatasync). Appends that arrive while the disk is busy
// are written together with one write and one fdatasync (group commit), so throughput grows with concurrency.
// Every frame carries a CRC-32C, and every frame is verified on every open. The index (stream → revision →
// position → place in the log; event ID → position) is used from a mapped file, index.pbi, so opening a large
// log maps that file instead of rebuilding the index (index.go, diskindex.go). A frame torn by a crash at the very end of the log is cut off and
// reported; damage anywhere before that is an error naming the file and offset, never skipped.
//
// One process owns a data directory at a time (an flock on its LOCK file). The format is in docs/STORAGE.md.
// The package is Linux-only: it uses fdatasync, flock and mmap.
package filestore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/google/uuid"

	"github.com/pbledger/pbledger/eventstore"
)

// DefaultSegmentSize is the size at which a segment file is closed and a new one started.
const DefaultSegmentSize = 64 << 20

// MaxSegmentSize is the largest Options.SegmentSize: frames start at offsets below the segment size, and the
// index (in memory and in its file) records them in 32 bits.
const MaxSegmentSize = 1 << 32

// ErrLocked is returned by Open when another process (or another Open in this one) owns the directory.
var ErrLocked = errors.New("data directory is in use")

// CorruptionError is returned by Open when the log is damaged before its tail. Nothing is repaired: the
// operator decides (restore from a backup or a replica).
type CorruptionError struct {
	File   string
	Offset int64
	Reason string
}

func (e *CorruptionError) Error() string {
	return fmt.Sprintf("filestore: corrupt log: %s at offset %d: %s", e.File, e.Offset, e.Reason)
}

// CommitInfo describes one group commit, for metrics.
type CommitInfo struct {
	Appends int           // appends made durable together
	Events  int           // events in them
	Bytes   int           // bytes written
	Sync    time.Duration // time spent in write and fdatasync
}

// Options tune a Store. The zero value is the default.
type Options struct {
	// SegmentSize is the size at which a segment is rolled; DefaultSegmentSize if zero. At most
	// MaxSegmentSize (4 GiB): Open refuses more.
	SegmentSize int64
	// Logger receives recovery reports (a torn tail cut off); slog.Default() if nil.
	Logger *slog.Logger
	// OnCommit, if set, is called by the writer after each group commit. It must be quick.
	OnCommit func(CommitInfo)
	// Now returns the time recorded on events; time.Now if nil. Tests set it.
	Now func() time.Time
	// RetryInterval is how often a store whose disk is full checks whether it can write again when no
	// append tries it first; one second if zero.
	RetryInterval time.Duration
}

// Store is the file-based event store. Create it with Open.
type Store struct {
	dir    string
	opts   Options
	log    *slog.Logger
	lock   *os.File
	reqs   chan *appendReq
	quit   chan struct{}
	done   chan struct{} // closed when the writer has exited
	closed atomic.Bool
	types  typeCache

	// mu guards the index and segments. The writer adds entries for a commit before writing it, so
	// readers must not look past committed.
	mu       sync.RWMutex
	segments []*segment
	// base is the persisted index, mapped (nil if none): it covers positions up to base.committed. The
	// tail after it is indexed in memory by tlocs, streams and ids, until flushIndex merges it into a new
	// base. Only the writer (or Open, or Close once the writer has stopped) changes them.
	base      *diskIndex
	tlocs     []loc   // tlocs[p-baseN()-1] is where the event at position p starts
	key       hashKey // of the hashes of names and IDs: random, or the index file's (siphash.go)
	streams   *streamTable
	ids       map[uuid.UUID]eventstore.Position
	committed eventstore.Position // the last durable position; readers see only up to here
	notify    chan struct{}       // closed and replaced on every commit
	failed    error               // set when a write or sync failed: the store refuses further appends
	full      error               // set while the disk is full (wraps eventstore.ErrDiskFull); cleared once a write succeeds

	pending    []pendingAppend                                    // the writer's appends of the batch being built
	needRepair bool                                               // the writer's: a write failed for want of space; cut the tail before writing
	writeFault func(f *os.File, b []byte, off int64) (int, error) // tests only: see writeAt
	zeros      []byte                                             // a chunk of zeros for zeroAhead

	// readers is held (shared) while a read decodes from the mappings, which it does without mu so
	// that reads never hold up a commit; Close takes it exclusively before unmapping.
	readers  sync.RWMutex
	unmapped bool

	// fromIndex is the position up to which Open loaded the persisted index instead of reading the log;
	// unchecked lists the segments whose frames check verifies after Open, closing checked when done.
	fromIndex eventstore.Position
	unchecked []uncheckedSegment
	checked   chan struct{}
	checkErr  error         // set before checked is closed
	released  chan struct{} // closed when releaser has exited
	// flushMu makes merges of the tail into the index file single-flight (see flushIndex).
	flushMu sync.Mutex
	// flushRetry is the position before which the writer does not try again to write the index file after
	// a failure.
	flushRetry eventstore.Position
}

// loc is where an event's entry starts: segment number and byte offset in the segment file.
type loc struct {
	seg uint32
	off uint32
}

// segment is one log file, mapped read-only for readers.
type segment struct {
	path  string
	first eventstore.Position
	file  *os.File // open for writing on the last segment only
	data  []byte   // read-only shared mapping; at least size bytes long
	size  int64    // bytes of the file that hold the header and frames
	// lastFrame is the offset of the segment's last frame (0 if it has none), recorded in the persisted index.
	lastFrame int64
	// zeroed is the file's length: past size it holds only zeros, written ahead so commits overwrite
	// rather than grow the file (see zeroAhead).
	zeroed int64
}

// Open opens (creating if needed) the store in dir, verifies the log and rebuilds the index.
func Open(ctx context.Context, dir string, opts Options) (*Store, error) {
	if opts.SegmentSize <= 0 {
		opts.SegmentSize = DefaultSegmentSize
	}
	if opts.SegmentSize > MaxSegmentSize {
		return nil, fmt.Errorf("filestore: open %s: segment size %d is more than the maximum of %d (4 GiB): the index records offsets in segments in 32 bits", dir, opts.SegmentSize, int64(MaxSegmentSize))
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.RetryInterval <= 0 {
		opts.RetryInterval = time.Second
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("filestore: open %s: %w", dir, err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	s := &Store{
		dir:      dir,
		opts:     opts,
		log:      opts.Logger,
		lock:     lock,
		reqs:     make(chan *appendReq, 1024),
		quit:     make(chan struct{}),
		done:     make(chan struct{}),
		ids:      make(map[uuid.UUID]eventstore.Position),
		notify:   make(chan struct{}),
		checked:  make(chan struct{}),
		released: make(chan struct{}),
	}
	s.types.m = make(map[string]string)
	s.key = newHashKey()
	s.streams = newStreamTable(s.key, s.streamNameIs)
	if err := s.recover(ctx); err != nil {
		s.unmapAll()
		lock.Close()
		return nil, err
	}
	go s.writer()
	go s.releaser()
	if len(s.unchecked) > 0 {
		go s.check(s.unchecked)
	} else {
		close(s.checked)
	}
	return s, nil
}

// lockDir takes the directory's lock, non-blocking.
func lockDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, "LOCK")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("filestore: open %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		owner, _ := io.ReadAll(io.LimitReader(f, 64))
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("filestore: %s: %w by another process (pid %s)", dir, ErrLocked, strings.TrimSpace(string(owner)))
		}
		return nil, fmt.Errorf("filestore: lock %s: %w", path, err)
	}
	// The pid is only for the error message above; the lock itself is the flock.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return f, nil
}

func segmentName(first eventstore.Position) string { return fmt.Sprintf("%020d.seg", uint64(first)) }

// recover lists, verifies and indexes the segments, and cuts off a torn tail.
func (s *Store) recover(ctx context.Context) error {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("filestore: open %s: %w", s.dir, err)
	}
	var names []string
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasSuffix(name, ".seg.tmp"):
			// A segment whose creation did not finish: it never held events.
			if err := os.Remove(filepath.Join(s.dir, name)); err != nil {
				return fmt.Errorf("filestore: remove %s: %w", name, err)
			}
		case strings.HasSuffix(name, ".seg"):
			names = append(names, name)
		case name == indexFile+".tmp":
			// An index file whose writing a crash cut short: the previous one, if any, is still in place.
			os.Remove(filepath.Join(s.dir, name))
		}
	}
	sort.Strings(names)
	covered := s.openFromIndex(names)
	if covered > 0 {
		// Frames appended after the index was written (by a run that did not close cleanly) are read and
		// checked as usual.
		segNo := covered - 1
		if err := s.scanSegment(s.segments[segNo], uint32(segNo), covered == len(names)); err != nil {
			return err
		}
	}
	for i, name := range names[covered:] {
		if err := ctx.Err(); err != nil {
			return err
		}
		last := covered+i == len(names)-1
		if err := s.loadSegment(filepath.Join(s.dir, name), last); err != nil {
			return err
		}
	}
	if len(s.segments) == 0 {
		return s.createSegment(1, s.opts.SegmentSize)
	}
	last := s.segments[len(s.segments)-1]
	f, err := os.OpenFile(last.path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("filestore: open %s: %w", last.path, err)
	}
	last.file = f
	return nil
}

// loadSegment maps, verifies and indexes one segment file.
func (s *Store) loadSegment(path string, last bool) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("filestore: open %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("filestore: stat %s: %w", path, err)
	}
	size := st.Size()
	if size < segHeaderSize {
		return &CorruptionError{File: path, Offset: 0, Reason: fmt.Sprintf("file is %d bytes, shorter than a segment header", size)}
	}
	header := make([]byte, segHeaderSize)
	if _, err := f.ReadAt(header, 0); err != nil {
		return fmt.Errorf("filestore: read %s: %w", path, err)
	}
	first, err := decodeSegmentHeader(header)
	if err != nil {
		return &CorruptionError{File: path, Offset: 0, Reason: err.Error()}
	}
	if name := filepath.Base(path); name != segmentName(first) {
		return &CorruptionError{File: path, Offset: 0, Reason: fmt.Sprintf("header says first position %d, name says otherwise", first)}
	}
	if want := s.committed + 1; first != want {
		return &CorruptionError{File: path, Offset: 0, Reason: fmt.Sprintf("segment starts at position %d, expected %d (a segment is missing)", first, want)}
	}
	mapLen := size
	if last && mapLen < s.opts.SegmentSize {
		mapLen = s.opts.SegmentSize
	}
	data, err := mmap(f, mapLen)
	if err != nil {
		return fmt.Errorf("filestore: map %s: %w", path, err)
	}
	seg := &segment{path: path, first: first, data: data, size: segHeaderSize, zeroed: size}
	s.segments = append(s.segments, seg)
	if err := s.scanSegment(seg, uint32(len(s.segments)-1), last); err != nil {
		return err
	}
	if !last {
		release(seg.data)
	}
	return nil
}

// releaseEvery is how often the pages of the log that reads mapped are let go (see releaser).
const releaseEvery = 5 * time.Second

// releaser lets go, every releaseEvery, of the pages of the closed segments and of the index file that reads
// have mapped. Reads go
// through the mappings and the kernel maps pages around each one read, so a long-running process that reads
// here and there (commands reading their streams, allocations reading a district's ballots) would otherwise
// end up with the whole log resident. The pages stay in the page cache; a later read maps them again.
func (s *Store) releaser() {
	defer close(s.released)
	t := time.NewTicker(releaseEvery)
	defer t.Stop()
	for {
		select {
		case <-s.quit:
			return
		case <-t.C:
		}
		s.mu.RLock()
		segs := make([][]byte, 0, len(s.segments)+1)
		for _, seg := range s.segments[:max(0, len(s.segments)-1)] {
			segs = append(segs, seg.data)
		}
		ix := s.base
		if ix != nil {
			ix.acquire()
			segs = append(segs, ix.data) // the index's pages too: lookups touch them here and there
		}
		s.readers.RLock()
		s.mu.RUnlock()
		if !s.unmapped {
			for _, d := range segs {
				release(d)
			}
		}
		s.readers.RUnlock()
		ix.drop()
	}
}

// release tells the kernel this process is done with a mapping's pages for now: they leave its resident
// memory (they stay in the page cache, and a later read maps them again). Reading a whole log through its
// mappings would otherwise keep all of it resident.
func release(data []byte) {
	if len(data) > 0 {
		syscall.Madvise(data, syscall.MADV_DONTNEED)
	}
}

// scanSegment verifies and indexes a mapped segment's frames from seg.size on, and cuts off a torn tail.
func (s *Store) scanSegment(seg *segment, segNo uint32, last bool) error {
	path, data, size := seg.path, seg.data, seg.zeroed
	off := seg.size
	for off < size {
		if allZero(data[off:size]) {
			// The zeros written ahead of the frames (see zeroAhead): the end of the log.
			break
		}
		verdict, n := checkFrame(data[off:size])
		if verdict != frameOK {
			return s.damagedFrame(seg, off, size, last, verdict)
		}
		if err := s.indexFrame(segNo, data[off:off+int64(n)], off); err != nil {
			return &CorruptionError{File: path, Offset: off, Reason: err.Error()}
		}
		seg.lastFrame = off
		off += int64(n)
		seg.size = off
		if s.needFlush() {
			// A long log read without an index file: write one as it goes, so the heap holds at most the
			// tail (errors are logged; the tail then stays in memory).
			s.flushIndex()
		}
	}
	return nil
}

// damagedFrame decides whether a frame that failed its checks is a torn tail (cut it off) or corruption.
// Each frame is one group commit, written and synced before the next is written, so only the last frame
// of the last segment can be torn by a crash; if any valid frame follows the damage, the damage is in
// data that was once durable.
func (s *Store) damagedFrame(seg *segment, off, size int64, last bool, verdict frameCheck) error {
	reason := "frame checksum mismatch"
	if verdict == frameTruncated {
		reason = "frame runs past the end of the file"
	}
	if !last {
		return &CorruptionError{File: seg.path, Offset: off, Reason: reason + " (not in the last segment)"}
	}
	if at, found := findFrameAfter(seg.data[off:size]); found {
		return &CorruptionError{File: seg.path, Offset: off, Reason: fmt.Sprintf("%s, and a valid frame follows at offset %d", reason, off+int64(at))}
	}
	wf, err := os.OpenFile(seg.path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("filestore: open %s: %w", seg.path, err)
	}
	defer wf.Close()
	if err := wf.Truncate(off); err != nil {
		return fmt.Errorf("filestore: truncate %s: %w", seg.path, err)
	}
	if err := fdatasync(wf); err != nil {
		return fmt.Errorf("filestore: sync %s: %w", seg.path, err)
	}
	seg.zeroed = off
	s.log.Warn("filestore: cut off a torn write at the end of the log (a crash before it was acknowledged)",
		"file", seg.path, "offset", off, "bytes", size-off, "reason", reason)
	return nil
}

// indexFrame checks a verified frame's contents against the index and adds its events.
func (s *Store) indexFrame(segNo uint32, frame []byte, frameOff int64) error {
	payload := frame[frameHeaderSize:]
	h, err := decodeFrameHeader(payload)
	if err != nil {
		return err
	}
	if want := s.committed + 1; h.first != want {
		return fmt.Errorf("frame starts at position %d, expected %d", h.first, want)
	}
	off := h.body
	for i := 0; i < h.count; i++ {
		e, n, err := decodeEntry(payload[off:])
		if err != nil {
			return fmt.Errorf("event %d: %w", i, err)
		}
		pos := h.first + eventstore.Position(i)
		name := string(e.stream)
		st, _ := s.stream(name)
		next := eventstore.Revision(st.len())
		if e.revision != next {
			return fmt.Errorf("event at position %d has revision %d of %q, expected %d", pos, e.revision, e.stream, next)
		}
		if _, dup := s.idPos(e.id); dup {
			return fmt.Errorf("event at position %d repeats event ID %s", pos, e.id)
		}
		entryOff := frameOff + frameHeaderSize + int64(off)
		// The event's place first: the stream table confirms names by reading them from the log.
		s.tlocs = append(s.tlocs, loc{seg: segNo, off: uint32(entryOff)})
		s.committed = pos
		s.streams.add(name, pos)
		s.ids[e.id] = pos
		off += n
	}
	if off != len(payload) {
		return fmt.Errorf("frame has %d bytes after its last event", len(payload)-off)
	}
	s.committed = h.first + eventstore.Position(h.count) - 1
	return nil
}

// createSegment starts a new segment whose first event is at position first. The file appears under its
// final name only once its header is durable, so a crash never leaves a half-made segment behind.
func (s *Store) createSegment(first eventstore.Position, mapLen int64) error {
	path := filepath.Join(s.dir, segmentName(first))
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("filestore: create %s: %w", tmp, err)
	}
	fail := func(op string, err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("filestore: %s %s: %w", op, path, err)
	}
	if _, err := f.Write(encodeSegmentHeader(first)); err != nil {
		return fail("write", err)
	}
	if err := fdatasync(f); err != nil {
		return fail("sync", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fail("rename", err)
	}
	if err := syncDir(s.dir); err != nil {
		return fail("sync directory of", err)
	}
	// Reopen under the final name: errors of the handle name the file it works on, and the .tmp name
	// no longer exists (an operator would look for it in vain).
	final, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fail("reopen", err)
	}
	f.Close()
	f = final
	if mapLen < s.opts.SegmentSize {
		mapLen = s.opts.SegmentSize
	}
	data, err := mmap(f, mapLen)
	if err != nil {
		return fail("map", err)
	}
	s.mu.Lock()
	s.segments = append(s.segments, &segment{path: path, first: first, file: f, data: data, size: segHeaderSize, zeroed: segHeaderSize})
	s.mu.Unlock()
	return nil
}

// Close stops the writer, fails queued appends with ErrClosed, ends subscriptions and releases the
// directory. It is safe to call more than once.
func (s *Store) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	close(s.quit)
	<-s.done
	<-s.checked
	<-s.released
	s.mu.RLock()
	failed, unmapped := s.failed, s.unmapped
	s.mu.RUnlock()
	if tail := s.committed - s.baseN(); failed == nil && !unmapped && tail > 0 && (s.base == nil || tail >= closeFlushMin || tail*64 >= s.base.committed) {
		// The next Open maps this instead of reading the tail again (index.go). A small tail of a large
		// log is left to be read by the next Open: rewriting the whole index for it would cost more.
		s.flushIndex()
	}
	s.mu.Lock()
	close(s.notify) // wakes subscribers, who then see closed
	s.notify = make(chan struct{})
	s.mu.Unlock()
	// Every read that found the store open took readers before the lock above was released (snapshot
	// takes it under mu), and every later one finds it closed and does not take readers. So readers is
	// waited for without holding mu: a read made from inside a ScanAll callback (which holds readers) gets
	// ErrClosed instead of waiting for mu behind this Close, which waits for the callback.
	s.readers.Lock()
	defer s.readers.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for _, seg := range s.segments {
		if seg.file != nil {
			if err := seg.file.Close(); err != nil {
				errs = append(errs, fmt.Errorf("filestore: close %s: %w", seg.path, err))
			}
		}
	}
	s.unmapHeld()
	if err := s.lock.Close(); err != nil {
		errs = append(errs, fmt.Errorf("filestore: unlock %s: %w", s.dir, err))
	}
	return errors.Join(errs...)
}

func (s *Store) unmapAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unmapLocked()
}

// unmapLocked unmaps every segment once no read is decoding. The caller holds mu.
func (s *Store) unmapLocked() {
	s.readers.Lock()
	defer s.readers.Unlock()
	s.unmapHeld()
}

// unmapHeld unmaps every segment and the index file. The caller holds mu and readers (exclusively).
func (s *Store) unmapHeld() {
	s.unmapped = true
	s.base.close()
	for _, seg := range s.segments {
		if seg.data != nil {
			syscall.Munmap(seg.data)
			seg.data = nil
		}
	}
}

// Health reports whether the store can write. It returns nil when it can; an error wrapping
// eventstore.ErrDiskFull while the disk is full (appends fail with that error, and the store tries again on
// every append and every Options.RetryInterval, so writes resume without a restart once space is freed); or
// the write failure that stopped the store for good (a failed write or sync for another reason than space:
// what reached the disk is unknown, and reopening the store verifies the log and cuts the torn frame off).
func (s *Store) Health() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.failed != nil {
		return s.failed
	}
	return s.full
}

// Dir returns the data directory.
func (s *Store) Dir() string { return s.dir }

// allZero reports whether b holds only zero bytes.
func allZero(b []byte) bool {
	for len(b) >= 8 {
		if b[0]|b[1]|b[2]|b[3]|b[4]|b[5]|b[6]|b[7] != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func fdatasync(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			return err
		}
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func mmap(f *os.File, length int64) ([]byte, error) {
	page := int64(os.Getpagesize())
	length = (length + page - 1) / page * page
	return syscall.Mmap(int(f.Fd()), 0, int(length), syscall.PROT_READ, syscall.MAP_SHARED)
}

// typeCache interns event type names.
type typeCache struct {
	mu sync.RWMutex
	m  map[string]string
}

func (c *typeCache) get(b []byte) string {
	c.mu.RLock()
	s, ok := c.m[string(b)]
	c.mu.RUnlock()
	if ok {
		return s
	}
	s = string(b)
	c.mu.Lock()
	if len(c.m) < 4096 {
		c.m[s] = s
	}
	c.mu.Unlock()
	return s
}

// streamNameIs reports whether the event at committed position p belongs to the stream called name. The
// caller holds mu (read or write).
func (s *Store) streamNameIs(p eventstore.Position, name string) bool {
	l := s.locAt(p)
	e, _, err := decodeEntry(s.segments[l.seg].data[l.off:])
	return err == nil && string(e.stream) == name
}
