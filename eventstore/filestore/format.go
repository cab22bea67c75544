package filestore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"time"

	"github.com/google/uuid"

	"github.com/pbledger/pbledger/eventstore"
)

// The on-disk format, version 1. docs/STORAGE.md describes it for people; this file is the reference.
//
// A segment file starts with a 32-byte header:
//
//	magic "PBLEDGER" | version u32 | flags u32 (0) | first position u64 | reserved u32 (0) | crc32c of the 28 bytes before
//
// followed by frames. A frame is one group commit: everything one write and one fdatasync made durable.
//
//	payload length u32 | crc32c(length field) u32 | crc32c(payload) u32 | payload
//
// The payload is a kind byte (1, commit), the first event's position (uvarint), the number of events
// (uvarint), then the events, each:
//
//	stream (uvarint length + bytes) | revision uvarint | index in its append uvarint | events in its append uvarint |
//	recorded time, unix nanoseconds, uvarint | event ID 16 bytes | type (uvarint length + bytes) |
//	data (uvarint length + bytes) | metadata (uvarint length + bytes)
//
// All fixed-width integers are little-endian. Positions within a frame are consecutive.
const (
	formatVersion   = 1
	segmentMagic    = "PBLEDGER"
	segHeaderSize   = 32
	frameHeaderSize = 12
	frameKindCommit = 1
	// maxFrameSize bounds a frame so a corrupted length can never make the reader allocate or map gigabytes.
	maxFrameSize = 64 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func crc(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// encodeSegmentHeader returns the header of a segment whose first event will have position first.
func encodeSegmentHeader(first eventstore.Position) []byte {
	h := make([]byte, segHeaderSize)
	copy(h, segmentMagic)
	binary.LittleEndian.PutUint32(h[8:], formatVersion)
	binary.LittleEndian.PutUint32(h[12:], 0)
	binary.LittleEndian.PutUint64(h[16:], uint64(first))
	binary.LittleEndian.PutUint32(h[24:], 0)
	binary.LittleEndian.PutUint32(h[28:], crc(h[:28]))
	return h
}

// decodeSegmentHeader checks a segment header and returns its first position.
func decodeSegmentHeader(h []byte) (eventstore.Position, error) {
	if len(h) < segHeaderSize {
		return 0, errors.New("segment header is short")
	}
	if string(h[:8]) != segmentMagic {
		return 0, errors.New("not a pbledger segment (bad magic)")
	}
	if got, want := binary.LittleEndian.Uint32(h[28:]), crc(h[:28]); got != want {
		return 0, errors.New("segment header checksum mismatch")
	}
	if v := binary.LittleEndian.Uint32(h[8:]); v != formatVersion {
		return 0, fmt.Errorf("segment format version %d, this build reads version %d", v, formatVersion)
	}
	return eventstore.Position(binary.LittleEndian.Uint64(h[16:])), nil
}

// frameBuilder encodes one frame, event by event, remembering where each event starts.
type frameBuilder struct {
	buf     []byte
	offsets []int // offsets of events within buf
	count   int
	first   eventstore.Position
}

func (b *frameBuilder) reset(first eventstore.Position) {
	b.buf = b.buf[:0]
	b.buf = append(b.buf, make([]byte, frameHeaderSize)...)
	b.buf = append(b.buf, frameKindCommit)
	b.buf = binary.AppendUvarint(b.buf, uint64(first))
	// The count is written as a fixed 5-byte uvarint so the payload can be built before it is known.
	b.buf = append(b.buf, 0x80, 0x80, 0x80, 0x80, 0x00)
	b.offsets = b.offsets[:0]
	b.count = 0
	b.first = first
}

func (b *frameBuilder) add(stream string, rev eventstore.Revision, index, total int, now int64, e *eventstore.EventData) {
	b.offsets = append(b.offsets, len(b.buf))
	b.buf = appendString(b.buf, stream)
	b.buf = binary.AppendUvarint(b.buf, uint64(rev))
	b.buf = binary.AppendUvarint(b.buf, uint64(index))
	b.buf = binary.AppendUvarint(b.buf, uint64(total))
	b.buf = binary.AppendUvarint(b.buf, uint64(now))
	b.buf = append(b.buf, e.ID[:]...)
	b.buf = appendString(b.buf, e.Type)
	b.buf = appendBytes(b.buf, e.Data)
	b.buf = appendBytes(b.buf, e.Metadata)
	b.count++
}

// finish fills in the count and the frame header and returns the whole frame.
func (b *frameBuilder) finish() []byte {
	countAt := frameHeaderSize + 1 + uvarintLen(uint64(b.first))
	putFixedUvarint5(b.buf[countAt:], uint64(b.count))
	payload := b.buf[frameHeaderSize:]
	binary.LittleEndian.PutUint32(b.buf[0:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(b.buf[4:], crc(b.buf[0:4]))
	binary.LittleEndian.PutUint32(b.buf[8:], crc(payload))
	return b.buf
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendBytes(b []byte, p []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(p)))
	return append(b, p...)
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// putFixedUvarint5 writes v (< 2^35) as a uvarint of exactly five bytes, which binary.Uvarint reads back.
func putFixedUvarint5(b []byte, v uint64) {
	for i := 0; i < 4; i++ {
		b[i] = byte(v&0x7f) | 0x80
		v >>= 7
	}
	b[4] = byte(v)
}

// frameCheck is the result of looking at the bytes at one offset.
type frameCheck int

const (
	frameOK        frameCheck = iota
	frameTruncated            // the data ends before the frame does
	frameBad                  // a checksum does not match, or the length is impossible
)

// checkFrame looks at the frame at the start of b and returns its verdict and total size (header included).
func checkFrame(b []byte) (frameCheck, int) {
	if len(b) < frameHeaderSize {
		return frameTruncated, 0
	}
	n := binary.LittleEndian.Uint32(b[0:])
	if binary.LittleEndian.Uint32(b[4:]) != crc(b[0:4]) {
		return frameBad, 0
	}
	if n == 0 || n > maxFrameSize {
		return frameBad, 0
	}
	size := frameHeaderSize + int(n)
	if len(b) < size {
		return frameTruncated, size
	}
	if binary.LittleEndian.Uint32(b[8:]) != crc(b[frameHeaderSize:size]) {
		return frameBad, size
	}
	return frameOK, size
}

// findFrameAfter reports whether any valid frame starts anywhere in b after its first byte. Recovery uses
// it to tell a torn tail (nothing valid follows) from corruption (valid data follows the damage).
func findFrameAfter(b []byte) (int, bool) {
	for off := 1; off+frameHeaderSize <= len(b); off++ {
		if b[off] == 0 && b[off+1] == 0 && b[off+2] == 0 && b[off+3] == 0 {
			continue // a zero length is never valid; this skips the zeroed space quickly
		}
		if binary.LittleEndian.Uint32(b[off+4:]) != crc(b[off:off+4]) {
			continue
		}
		if v, _ := checkFrame(b[off:]); v == frameOK {
			return off, true
		}
	}
	return 0, false
}

// frameHeader is the decoded start of a frame's payload.
type frameHeader struct {
	first eventstore.Position
	count int
	body  int // offset of the first event within the payload
}

func decodeFrameHeader(payload []byte) (frameHeader, error) {
	if len(payload) < 1 || payload[0] != frameKindCommit {
		return frameHeader{}, errors.New("unknown frame kind")
	}
	off := 1
	first, n := binary.Uvarint(payload[off:])
	if n <= 0 {
		return frameHeader{}, errors.New("bad first position")
	}
	off += n
	count, n := binary.Uvarint(payload[off:])
	if n <= 0 || count == 0 || count > uint64(len(payload)) {
		return frameHeader{}, errors.New("bad event count")
	}
	off += n
	return frameHeader{first: eventstore.Position(first), count: int(count), body: off}, nil
}

// entry is an event as decoded from the log, its byte slices pointing into the log.
type entry struct {
	stream       []byte
	revision     eventstore.Revision
	index, total int
	recorded     int64
	id           uuid.UUID
	typ          []byte
	data, meta   []byte
}

var errShortEntry = errors.New("event entry runs past the end of its frame")

// decodeEntry decodes the event at the start of b and returns it and its size.
func decodeEntry(b []byte) (entry, int, error) {
	var e entry
	off := 0
	next := func() (uint64, bool) {
		v, n := binary.Uvarint(b[off:])
		if n <= 0 {
			return 0, false
		}
		off += n
		return v, true
	}
	bytesField := func() ([]byte, bool) {
		l, ok := next()
		if !ok || l > uint64(len(b)-off) {
			return nil, false
		}
		p := b[off : off+int(l) : off+int(l)]
		off += int(l)
		return p, true
	}
	var ok bool
	if e.stream, ok = bytesField(); !ok {
		return e, 0, errShortEntry
	}
	rev, ok1 := next()
	idx, ok2 := next()
	tot, ok3 := next()
	rec, ok4 := next()
	if !ok1 || !ok2 || !ok3 || !ok4 || idx >= tot || tot > 1<<31 {
		return e, 0, errShortEntry
	}
	e.revision, e.index, e.total, e.recorded = eventstore.Revision(rev), int(idx), int(tot), int64(rec)
	if len(b)-off < 16 {
		return e, 0, errShortEntry
	}
	copy(e.id[:], b[off:off+16])
	off += 16
	if e.typ, ok = bytesField(); !ok {
		return e, 0, errShortEntry
	}
	if e.data, ok = bytesField(); !ok {
		return e, 0, errShortEntry
	}
	if e.meta, ok = bytesField(); !ok {
		return e, 0, errShortEntry
	}
	return e, off, nil
}

// recorded turns a decoded entry into a RecordedEvent that owns its bytes. types interns event type names,
// of which there are few, so reading does not allocate one string per event for them.
func (e *entry) recordedEvent(pos eventstore.Position, types *typeCache) eventstore.RecordedEvent {
	buf := make([]byte, len(e.data)+len(e.meta))
	copy(buf, e.data)
	copy(buf[len(e.data):], e.meta)
	r := eventstore.RecordedEvent{
		StreamID: string(e.stream),
		ID:       e.id,
		Type:     types.get(e.typ),
		Data:     buf[:len(e.data):len(e.data)],
		Metadata: buf[len(e.data):],
		Revision: e.revision,
		Position: pos,
		Recorded: time.Unix(0, e.recorded).UTC(),
	}
	if len(e.meta) == 0 {
		r.Metadata = nil
	}
	return r
}
