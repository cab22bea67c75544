// Package memstore is an event store held in memory: nothing is durable. pbledger's importer uses it to run a
// whole file through the ledger (validation, allocation) before anything reaches the real store, so a refused
// file writes nothing; tests may use it too. It runs the eventstore contract suite like every backend.
package memstore

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/pbledger/pbledger/eventstore"
)

// errNotFound is returned for every missing stream: readers of the importer's store ask for many.
var errNotFound = fmt.Errorf("memstore: read: %w", eventstore.ErrStreamNotFound)

// Store is an in-memory event store. Create it with New. Positions are 1, 2, 3, … with no gaps.
type Store struct {
	d      *data
	closed chan struct{}
	once   sync.Once
	now    func() time.Time
}

// data is the log, shared by a store and the stores reopened from it (for the contract suite).
type data struct {
	mu       sync.RWMutex
	events   []eventstore.RecordedEvent // events[p-1] is the event at position p
	appends  []int                      // appends[p-1] is the number of events of the append starting at p, or 0
	streams  map[string][]eventstore.Position
	ids      map[uuid.UUID]eventstore.Position
	notify   chan struct{} // closed and replaced on every append
	meta     [4][]byte     // the last metadata stored: appends of one request share them
	nextMeta int
}

// New returns an empty store.
func New() *Store { return NewSized(0, 0) }

// NewSized returns an empty store with room for about events events in about streams streams, so that a
// caller who knows how much it will write (the importer, from the file it read) does not pay for the store's
// tables growing step by step. The store grows past these sizes as needed.
func NewSized(events, streams int) *Store {
	return &Store{
		d: &data{
			events:  make([]eventstore.RecordedEvent, 0, events),
			appends: make([]int, 0, events),
			streams: make(map[string][]eventstore.Position, streams),
			ids:     make(map[uuid.UUID]eventstore.Position, events),
			notify:  make(chan struct{}),
		},
		closed: make(chan struct{}),
		now:    time.Now,
	}
}

func (s *Store) isClosed() bool {
	select {
	case <-s.closed:
		return true
	default:
		return false
	}
}

// Append implements eventstore.Store.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if err := ctx.Err(); err != nil {
		return eventstore.AppendResult{}, err
	}
	if s.isClosed() {
		return eventstore.AppendResult{}, fmt.Errorf("memstore: append %s: %w", stream, eventstore.ErrClosed)
	}
	if err := eventstore.ValidateAppend(stream, events); err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("memstore: append %s: %w", stream, err)
	}
	d := s.d
	d.mu.Lock()
	defer d.mu.Unlock()
	if p, ok := d.ids[events[0].ID]; ok {
		if res, same := d.sameWrite(stream, events, p); same {
			return res, nil
		}
	}
	for _, e := range events {
		if p, ok := d.ids[e.ID]; ok {
			return eventstore.AppendResult{}, fmt.Errorf("memstore: append %s: %w: %s is already stored at position %d", stream, eventstore.ErrDuplicateEventID, e.ID, p)
		}
	}
	positions := d.streams[stream]
	current, exists := eventstore.Revision(len(positions))-1, len(positions) > 0
	if !expected.Check(current, exists) {
		return eventstore.AppendResult{}, fmt.Errorf("memstore: %w", &eventstore.WrongExpectedRevisionError{Stream: stream, Expected: expected, Actual: current, Exists: exists})
	}
	if len(positions) > 0 {
		stream = d.events[positions[0]-1].StreamID // one copy of the name per stream, not one per event
	}
	now := s.now().UTC()
	first := eventstore.Position(len(d.events) + 1)
	for i, e := range events {
		pos := first + eventstore.Position(i)
		rev := eventstore.Revision(len(positions))
		positions = append(positions, pos)
		d.ids[e.ID] = pos
		d.events = append(d.events, eventstore.RecordedEvent{StreamID: stream, ID: e.ID, Type: e.Type,
			Data: clone(e.Data), Metadata: d.sharedMeta(e.Metadata), Revision: rev, Position: pos, Recorded: now})
		n := 0
		if i == 0 {
			n = len(events)
		}
		d.appends = append(d.appends, n)
	}
	d.streams[stream] = positions
	close(d.notify)
	d.notify = make(chan struct{})
	last := first + eventstore.Position(len(events)-1)
	return eventstore.AppendResult{NextRevision: eventstore.Revision(len(positions) - 1), Position: last}, nil
}

// sameWrite reports whether events repeat exactly the append to stream that started at position p.
func (d *data) sameWrite(stream string, events []eventstore.EventData, p eventstore.Position) (eventstore.AppendResult, bool) {
	if d.appends[p-1] != len(events) {
		return eventstore.AppendResult{}, false
	}
	for i, e := range events {
		r := d.events[int(p)-1+i]
		if r.StreamID != stream || r.ID != e.ID {
			return eventstore.AppendResult{}, false
		}
	}
	last := d.events[int(p)-2+len(events)]
	return eventstore.AppendResult{NextRevision: last.Revision, Position: last.Position}, true
}

// sharedMeta returns a stored copy of metadata m, the same one as for a recent event with equal metadata.
func (d *data) sharedMeta(m []byte) []byte {
	if m == nil {
		return nil
	}
	for _, x := range d.meta {
		if x != nil && bytes.Equal(x, m) {
			return x
		}
	}
	c := clone(m)
	d.meta[d.nextMeta%len(d.meta)] = c
	d.nextMeta++
	return c
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}

// ReadStream implements eventstore.Store.
func (s *Store) ReadStream(ctx context.Context, stream string, dir eventstore.Direction, from eventstore.Revision, max int) ([]eventstore.RecordedEvent, error) {
	if err := s.readable(ctx); err != nil {
		return nil, err
	}
	d := s.d
	d.mu.RLock()
	defer d.mu.RUnlock()
	positions, ok := d.streams[stream]
	if !ok {
		return nil, errNotFound
	}
	var out []eventstore.RecordedEvent
	if dir == eventstore.Forwards {
		for r := from; r < eventstore.Revision(len(positions)) && len(out) < max; r++ {
			out = append(out, d.events[positions[r]-1])
		}
		return out, nil
	}
	if from >= eventstore.Revision(len(positions)) {
		from = eventstore.Revision(len(positions)) - 1
	}
	for r := int64(from); r >= 0 && len(out) < max; r-- {
		out = append(out, d.events[positions[r]-1])
	}
	return out, nil
}

// ReadAll implements eventstore.Store.
func (s *Store) ReadAll(ctx context.Context, from eventstore.Position, max int) ([]eventstore.RecordedEvent, error) {
	if err := s.readable(ctx); err != nil {
		return nil, err
	}
	d := s.d
	d.mu.RLock()
	defer d.mu.RUnlock()
	if from == 0 {
		from = 1
	}
	if int(from) > len(d.events) || max <= 0 {
		return nil, nil
	}
	end := min(len(d.events), int(from)-1+max)
	return append([]eventstore.RecordedEvent(nil), d.events[from-1:end]...), nil
}

// Log returns every event in the store, in the log's order, without copying them: the slice and its events
// are shared with the store and must not be changed. Events appended later are not in it. The importer uses
// it to copy a file's events to the real store without a second copy of them in memory.
func (s *Store) Log() []eventstore.RecordedEvent {
	s.d.mu.RLock()
	defer s.d.mu.RUnlock()
	return s.d.events[:len(s.d.events):len(s.d.events)]
}

// Head implements eventstore.Store.
func (s *Store) Head(ctx context.Context) (eventstore.Position, error) {
	if err := s.readable(ctx); err != nil {
		return 0, err
	}
	s.d.mu.RLock()
	defer s.d.mu.RUnlock()
	return eventstore.Position(len(s.d.events)), nil
}

var _ eventstore.Ordinals = (*Store)(nil)

// Ordinal implements eventstore.Ordinals: positions are 1, 2, 3, … with no gaps.
func (s *Store) Ordinal(p eventstore.Position) (int64, bool) {
	if p == eventstore.Start {
		return 0, false
	}
	return int64(p - 1), true
}

func (s *Store) readable(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.isClosed() {
		return fmt.Errorf("memstore: %w", eventstore.ErrClosed)
	}
	return nil
}

// SubscribeAll implements eventstore.Store.
func (s *Store) SubscribeAll(ctx context.Context, after eventstore.Position) (eventstore.Subscription, error) {
	if err := s.readable(ctx); err != nil {
		return nil, err
	}
	return &subscription{s: s, cursor: after, closed: make(chan struct{})}, nil
}

// Close implements eventstore.Store.
func (s *Store) Close() error {
	s.once.Do(func() {
		close(s.closed)
		s.d.mu.Lock()
		close(s.d.notify)
		s.d.notify = make(chan struct{})
		s.d.mu.Unlock()
	})
	return nil
}

type subscription struct {
	s         *Store
	mu        sync.Mutex
	cursor    eventstore.Position
	buf       []eventstore.RecordedEvent
	caughtUp  bool
	closed    chan struct{}
	closeOnce sync.Once
}

// Next implements eventstore.Subscription.
func (sub *subscription) Next(ctx context.Context) (eventstore.Message, error) {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	for {
		select {
		case <-sub.closed:
			return eventstore.Message{}, eventstore.ErrClosed
		default:
		}
		if sub.s.isClosed() {
			return eventstore.Message{}, eventstore.ErrClosed
		}
		if len(sub.buf) > 0 {
			e := sub.buf[0]
			sub.buf = sub.buf[1:]
			sub.cursor = e.Position
			return eventstore.Message{Event: &e}, nil
		}
		d := sub.s.d
		d.mu.RLock()
		wait, head := d.notify, eventstore.Position(len(d.events))
		d.mu.RUnlock()
		if head > sub.cursor {
			evs, err := sub.s.ReadAll(ctx, sub.cursor+1, 512)
			if err != nil {
				return eventstore.Message{}, err
			}
			sub.buf = evs
			continue
		}
		if !sub.caughtUp {
			sub.caughtUp = true
			return eventstore.Message{CaughtUp: true}, nil
		}
		select {
		case <-wait:
		case <-sub.closed:
			return eventstore.Message{}, eventstore.ErrClosed
		case <-ctx.Done():
			return eventstore.Message{}, ctx.Err()
		}
	}
}

// Close implements eventstore.Subscription.
func (sub *subscription) Close() error {
	sub.closeOnce.Do(func() { close(sub.closed) })
	return nil
}
