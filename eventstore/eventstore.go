// Package eventstore declares pbledger's event store: named streams of immutable events, every event also in
// one global order ("$all"), appended atomically against an expected revision.
//
// The interface is shaped after EventStoreDB/KurrentDB so that a backend over the official client is a thin
// mapping. Backends live in subpackages (filestore, the embedded default); every backend runs the one contract
// suite in eventstore/storetest.
package eventstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Position is an event's place in the global order. Positions grow strictly with every event; the first
// event of a store has a position greater than Start. A backend may leave gaps (EventStoreDB positions are log
// offsets); the file store numbers events 1, 2, 3, ….
type Position uint64

// Start is the position before the first event: reading all from Start reads everything, subscribing after
// Start delivers everything.
const Start Position = 0

// Revision is an event's place in its stream: the first event of a stream has revision 0.
type Revision uint64

// ExpectedRevision is what an append expects of its stream: any state, no stream, an existing stream, or an
// exact revision of the stream's last event. Build one with Any, NoStream, StreamExists or Exact.
type ExpectedRevision struct {
	kind expectKind
	rev  Revision
}

type expectKind uint8

const (
	expectAny expectKind = iota
	expectNoStream
	expectStreamExists
	expectExact
)

// Any accepts the stream in any state.
func Any() ExpectedRevision { return ExpectedRevision{kind: expectAny} }

// NoStream requires that the stream has no events yet.
func NoStream() ExpectedRevision { return ExpectedRevision{kind: expectNoStream} }

// StreamExists requires that the stream has at least one event.
func StreamExists() ExpectedRevision { return ExpectedRevision{kind: expectStreamExists} }

// Exact requires that the stream's last event has revision r.
func Exact(r Revision) ExpectedRevision { return ExpectedRevision{kind: expectExact, rev: r} }

// IsAny, IsNoStream, IsStreamExists and ExactRevision tell backends what was expected.
func (e ExpectedRevision) IsAny() bool          { return e.kind == expectAny }
func (e ExpectedRevision) IsNoStream() bool     { return e.kind == expectNoStream }
func (e ExpectedRevision) IsStreamExists() bool { return e.kind == expectStreamExists }

// ExactRevision returns the exact revision expected, and false if the expectation is not Exact.
func (e ExpectedRevision) ExactRevision() (Revision, bool) { return e.rev, e.kind == expectExact }

// Check reports whether a stream whose last revision is current (exists false: no stream) meets e.
func (e ExpectedRevision) Check(current Revision, exists bool) bool {
	switch e.kind {
	case expectNoStream:
		return !exists
	case expectStreamExists:
		return exists
	case expectExact:
		return exists && current == e.rev
	default:
		return true
	}
}

func (e ExpectedRevision) String() string {
	switch e.kind {
	case expectNoStream:
		return "no stream"
	case expectStreamExists:
		return "stream exists"
	case expectExact:
		return fmt.Sprintf("revision %d", e.rev)
	default:
		return "any"
	}
}

// EventData is an event to append.
type EventData struct {
	// ID identifies the event; appending the same IDs again as one write is an idempotent retry.
	ID uuid.UUID
	// Type names the event, e.g. "BallotCast". It is stored forever.
	Type string
	// Data is the event's JSON body.
	Data []byte
	// Metadata is JSON about the write: who did it, the request ID, causation. May be empty.
	Metadata []byte
}

// RecordedEvent is an event as the store holds it.
type RecordedEvent struct {
	StreamID string
	ID       uuid.UUID
	Type     string
	Data     []byte
	Metadata []byte
	Revision Revision
	Position Position
	// Recorded is when the store accepted the event (UTC).
	Recorded time.Time
}

// AppendResult is the outcome of a successful append.
type AppendResult struct {
	// NextRevision is the revision of the last event appended: the revision to expect next time.
	NextRevision Revision
	// Position is the global position of the last event appended.
	Position Position
}

// Direction is the direction of a read.
type Direction uint8

const (
	// Forwards reads from older to newer events.
	Forwards Direction = iota
	// Backwards reads from newer to older events.
	Backwards
)

// End, passed as the revision to read a stream backwards from, means the stream's last event.
const End Revision = ^Revision(0)

// Limits on what a single append may hold, shared by all backends so that callers see one behaviour.
const (
	// MaxStreamIDLen is the longest stream name, in bytes.
	MaxStreamIDLen = 1024
	// MaxTypeLen is the longest event type, in bytes.
	MaxTypeLen = 256
	// MaxAppendSize is the most bytes one append may take, counted by EncodedSize: its events' data,
	// metadata, types and stream name, and a fixed overhead per event.
	MaxAppendSize = 4 << 20
)

// Errors returned by stores. Check them with errors.Is.
var (
	// ErrWrongExpectedRevision: the stream was not in the state the append expected. The error is a
	// *WrongExpectedRevisionError, which carries the actual revision.
	ErrWrongExpectedRevision = errors.New("wrong expected revision")
	// ErrStreamNotFound: a read of a stream that has no events.
	ErrStreamNotFound = errors.New("stream not found")
	// ErrDuplicateEventID: an append holds an event ID that the store already holds, and it is not a retry
	// of that same write (or it holds one ID twice).
	ErrDuplicateEventID = errors.New("duplicate event id")
	// ErrInvalidAppend: an append that can never succeed: no events, an empty or oversized stream name or
	// type, a nil event ID, or more than MaxAppendSize bytes.
	ErrInvalidAppend = errors.New("invalid append")
	// ErrClosed: the store, or the subscription, was closed.
	ErrClosed = errors.New("event store closed")
	// ErrUnavailable: a networked store could not be reached, or has no leader now. The operation may be
	// retried; an append that failed this way may or may not have been written (retry it with the same
	// event IDs, which makes the retry idempotent).
	ErrUnavailable = errors.New("event store unavailable")
	// ErrAccessDenied: a networked store refused the credentials it was given for the operation.
	ErrAccessDenied = errors.New("event store access denied")
	// ErrDiskFull: the store has no space to write. Nothing of the append was stored; the store recovers by
	// itself once space is freed, so the caller may retry later.
	ErrDiskFull = errors.New("no space left to write the log")
)

// WrongExpectedRevisionError says what an append expected and what it found.
type WrongExpectedRevisionError struct {
	Stream   string
	Expected ExpectedRevision
	// Actual is the revision of the stream's last event; meaningful only if Exists.
	Actual Revision
	Exists bool
}

func (e *WrongExpectedRevisionError) Error() string {
	actual := "no stream"
	if e.Exists {
		actual = fmt.Sprintf("revision %d", e.Actual)
	}
	return fmt.Sprintf("append to %q: expected %s, stream is at %s: %v", e.Stream, e.Expected, actual, ErrWrongExpectedRevision)
}

// Is makes errors.Is(err, ErrWrongExpectedRevision) true.
func (e *WrongExpectedRevisionError) Is(target error) bool { return target == ErrWrongExpectedRevision }

// Store is an event store.
//
// All methods are safe for concurrent use. Every I/O method takes a context; a cancelled context makes a
// method return ctx.Err() (an append that was already handed to the disk may still complete).
type Store interface {
	// Append appends events to stream, atomically: after a crash either all of them are present or none.
	// It returns only once the events are durable. It returns *WrongExpectedRevisionError (errors.Is
	// ErrWrongExpectedRevision) if the stream is not as expected, ErrDuplicateEventID, ErrInvalidAppend,
	// ErrDiskFull or ErrClosed. If the events' IDs are exactly those of an earlier single append to the same stream, the
	// append is an idempotent retry: it writes nothing and returns that earlier append's result, whatever
	// is expected now.
	Append(ctx context.Context, stream string, expected ExpectedRevision, events ...EventData) (AppendResult, error)

	// ReadStream reads up to max events of stream, starting at revision from (inclusive) and going in
	// direction dir. Reading backwards from End starts at the stream's last event. A read past the end
	// returns no events and no error. It returns ErrStreamNotFound if the stream has no events.
	ReadStream(ctx context.Context, stream string, dir Direction, from Revision, max int) ([]RecordedEvent, error)

	// ReadAll reads up to max events in global order, starting at the first event whose position is at
	// least from.
	ReadAll(ctx context.Context, from Position, max int) ([]RecordedEvent, error)

	// Head returns the position of the last event in the store, or Start if it is empty.
	Head(ctx context.Context) (Position, error)

	// SubscribeAll delivers, in global order and exactly once, every event whose position is after after:
	// first those already stored (catch-up), then a CaughtUp signal, then new events as they are appended.
	// A slow subscriber never stalls appenders, and the store buffers nothing on its behalf: it reads the
	// log at the subscriber's own pace.
	SubscribeAll(ctx context.Context, after Position) (Subscription, error)

	// Close releases the store. Appends in flight finish or fail with ErrClosed; subscriptions end.
	Close() error
}

// Subscription is a stream of events from SubscribeAll.
type Subscription interface {
	// Next waits for the next message. It returns ctx.Err() if ctx ends first, and ErrClosed once the
	// subscription or its store is closed.
	Next(ctx context.Context) (Message, error)
	// Close ends the subscription.
	Close() error
}

// Message is what a subscription delivers: an event, or the signal that catch-up is done (CaughtUp true,
// Event nil). CaughtUp is delivered once, after the last event that was stored when the subscriber reached
// the head of the log.
type Message struct {
	Event    *RecordedEvent
	CaughtUp bool
}

// ValidateAppend checks what every backend refuses before it looks at the stream.
func ValidateAppend(stream string, events []EventData) error {
	if stream == "" || len(stream) > MaxStreamIDLen {
		return fmt.Errorf("%w: stream name must be 1 to %d bytes", ErrInvalidAppend, MaxStreamIDLen)
	}
	if stream[0] == '$' {
		// EventStoreDB reserves names starting with '$' for system streams; refusing them everywhere keeps
		// every backend's behaviour the same.
		return fmt.Errorf("%w: stream name %q starts with '$', which is reserved", ErrInvalidAppend, stream)
	}
	if len(events) == 0 {
		return fmt.Errorf("%w: no events", ErrInvalidAppend)
	}
	var seen map[uuid.UUID]struct{} // only for large appends; small ones compare pairwise
	if len(events) > 16 {
		seen = make(map[uuid.UUID]struct{}, len(events))
	}
	for i, e := range events {
		if e.ID == uuid.Nil {
			return fmt.Errorf("%w: event %d has no ID", ErrInvalidAppend, i)
		}
		dup := false
		if seen != nil {
			_, dup = seen[e.ID]
			seen[e.ID] = struct{}{}
		} else {
			for _, earlier := range events[:i] {
				dup = dup || earlier.ID == e.ID
			}
		}
		if dup {
			return fmt.Errorf("%w: event ID %s appears twice in one append", ErrDuplicateEventID, e.ID)
		}
		if e.Type == "" || len(e.Type) > MaxTypeLen {
			return fmt.Errorf("%w: event %d type must be 1 to %d bytes", ErrInvalidAppend, i, MaxTypeLen)
		}
	}
	if size := EncodedSize(stream, events); size > MaxAppendSize {
		return fmt.Errorf("%w: %d bytes, more than %d", ErrInvalidAppend, size, MaxAppendSize)
	}
	return nil
}

// EncodedSize is the size an append is counted as against MaxAppendSize: what a backend stores per event (the
// stream name, type, data and metadata) plus 64 bytes of per-event overhead, so that neither many tiny events
// nor a long stream name can make an append larger than a backend's record.
func EncodedSize(stream string, events []EventData) int {
	size := 0
	for i := range events {
		size += len(stream) + len(events[i].Type) + len(events[i].Data) + len(events[i].Metadata) + 64
	}
	return size
}
