package filestore

import (
	"context"
	"fmt"
	"sync"

	"github.com/pbledger/pbledger/eventstore"
)

// maxReadBatch caps how many events one read returns, whatever max the caller asked for, so that one
// read never holds much memory; callers page with the position or revision of the last event.
const maxReadBatch = 4096

// snapshot is what a read needs from the index, taken under the lock and used without it. It holds
// readers (shared) until done: the mappings it refers to stay mapped until then.
type snapshot struct {
	base      []loc // the places of positions 1 to len(base), from the persisted index
	tail      []loc // then these
	segs      [][]byte
	committed eventstore.Position
	s         *Store
	ix        *diskIndex // the index file base is a view of, held until done
}

// loc returns where the event at position p starts.
func (sn *snapshot) loc(p eventstore.Position) loc {
	if n := eventstore.Position(len(sn.base)); p > n {
		return sn.tail[p-n-1]
	}
	return sn.base[p-1]
}

// done lets Close (and flushIndex) unmap what the snapshot refers to.
func (sn *snapshot) done() {
	sn.ix.drop()
	sn.s.readers.RUnlock()
}

// snapshot takes a snapshot; the caller must call done. fn, if not nil, is called with mu held.
func (s *Store) snapshot(fn func()) (snapshot, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed.Load() || s.unmapped {
		return snapshot{}, eventstore.ErrClosed
	}
	segs := make([][]byte, len(s.segments))
	for i, seg := range s.segments {
		segs[i] = seg.data
	}
	sn := snapshot{segs: segs, committed: s.committed, s: s}
	n := s.baseN()
	if s.base != nil {
		sn.base = s.base.locs
		sn.ix = s.base
		sn.ix.acquire()
	}
	sn.tail = s.tlocs[:s.committed-n]
	if fn != nil {
		fn()
	}
	// Taken while mu is held: Close, which takes mu and then readers to unmap everything, waits for this
	// snapshot to be done.
	s.readers.RLock()
	return sn, nil
}

// entryAt decodes the entry at position p. The caller holds s.mu.
func (s *Store) entryAt(p eventstore.Position) (entry, error) {
	l := s.locAt(p)
	e, _, err := decodeEntry(s.segments[l.seg].data[l.off:s.segments[l.seg].size])
	return e, err
}

// read decodes positions, which must all be committed, into recorded events; n is how many there are at
// most, so that the result is allocated once.
func (s *Store) read(snap *snapshot, n int, positions func(yield func(eventstore.Position) bool)) ([]eventstore.RecordedEvent, error) {
	var out []eventstore.RecordedEvent
	if n > 0 {
		out = make([]eventstore.RecordedEvent, 0, n)
	}
	var err error
	positions(func(p eventstore.Position) bool {
		l := snap.loc(p)
		var e entry
		e, _, err = decodeEntry(snap.segs[l.seg][l.off:])
		if err != nil {
			err = fmt.Errorf("filestore: read position %d: %w", p, err)
			return false
		}
		out = append(out, e.recordedEvent(p, &s.types))
		return true
	})
	return out, err
}

// ReadStream implements eventstore.Store.
func (s *Store) ReadStream(ctx context.Context, stream string, dir eventstore.Direction, from eventstore.Revision, max int) ([]eventstore.RecordedEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if max > maxReadBatch {
		max = maxReadBatch
	}
	var positions []eventstore.Position
	found := false
	snap, err := s.snapshot(func() {
		st, ok := s.stream(stream)
		if !ok {
			return
		}
		last := st.len() - 1
		for last >= 0 && s.posAt(st, last) > s.committed {
			last--
		}
		if last < 0 {
			return
		}
		found = true
		if dir == eventstore.Backwards {
			r := last
			if from < eventstore.Revision(last) {
				r = int(from)
			}
			for ; r >= 0 && len(positions) < max; r-- {
				positions = append(positions, s.posAt(st, r))
			}
			return
		}
		if from > eventstore.Revision(last) {
			return
		}
		for r := int(from); r <= last && len(positions) < max; r++ {
			positions = append(positions, s.posAt(st, r))
		}
	})
	if err != nil {
		return nil, fmt.Errorf("filestore: read %s: %w", stream, err)
	}
	defer snap.done()
	if !found {
		return nil, fmt.Errorf("filestore: read %s: %w", stream, eventstore.ErrStreamNotFound)
	}
	return s.read(&snap, len(positions), func(yield func(eventstore.Position) bool) {
		for _, p := range positions {
			if !yield(p) {
				return
			}
		}
	})
}

// ReadAll implements eventstore.Store.
func (s *Store) ReadAll(ctx context.Context, from eventstore.Position, max int) ([]eventstore.RecordedEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	snap, err := s.snapshot(nil)
	if err != nil {
		return nil, fmt.Errorf("filestore: read all: %w", err)
	}
	defer snap.done()
	if from < 1 {
		from = 1
	}
	if max > maxReadBatch {
		max = maxReadBatch
	}
	n := 0
	if from <= snap.committed && max > 0 {
		n = int(min(snap.committed-from+1, eventstore.Position(max)))
	}
	out, err := s.read(&snap, n, func(yield func(eventstore.Position) bool) {
		for p, n := from, 0; p <= snap.committed && n < max; p, n = p+1, n+1 {
			if !yield(p) {
				return
			}
		}
	})
	if err == nil && len(out) > 0 {
		// A reader of $all goes through the log in order: the segments it has left behind need not stay
		// resident (the last one, being written, always does).
		from, to := snap.loc(out[0].Position).seg, snap.loc(out[len(out)-1].Position).seg
		for seg := from; seg < to && int(seg) < len(snap.segs)-1; seg++ {
			release(snap.segs[seg])
		}
	}
	return out, err
}

// Head implements eventstore.Store.
func (s *Store) Head(ctx context.Context) (eventstore.Position, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed.Load() {
		return 0, fmt.Errorf("filestore: head: %w", eventstore.ErrClosed)
	}
	return s.committed, nil
}

// SubscribeAll implements eventstore.Store. The subscription reads the log itself, a batch at a time, so a
// slow subscriber costs the store nothing but its cursor.
func (s *Store) SubscribeAll(ctx context.Context, after eventstore.Position) (eventstore.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.closed.Load() {
		return nil, fmt.Errorf("filestore: subscribe: %w", eventstore.ErrClosed)
	}
	return &subscription{s: s, cursor: after, closed: make(chan struct{})}, nil
}

// subscriptionBatch is how many events a subscription reads ahead at most.
const subscriptionBatch = 512

type subscription struct {
	s         *Store
	mu        sync.Mutex // Next is not for concurrent use, but Close may race with it
	cursor    eventstore.Position
	buf       []eventstore.RecordedEvent
	caughtUp  bool
	closed    chan struct{}
	closeOnce sync.Once
}

func (sub *subscription) Next(ctx context.Context) (eventstore.Message, error) {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	for {
		select {
		case <-sub.closed:
			return eventstore.Message{}, eventstore.ErrClosed
		default:
		}
		if len(sub.buf) > 0 {
			e := sub.buf[0]
			sub.buf[0] = eventstore.RecordedEvent{}
			sub.buf = sub.buf[1:]
			sub.cursor = e.Position
			return eventstore.Message{Event: &e}, nil
		}
		// Take the notification channel before looking at the head, so a commit between the two wakes us.
		sub.s.mu.RLock()
		wait, head := sub.s.notify, sub.s.committed
		sub.s.mu.RUnlock()
		if sub.s.closed.Load() {
			return eventstore.Message{}, eventstore.ErrClosed
		}
		if head > sub.cursor {
			events, err := sub.s.ReadAll(ctx, sub.cursor+1, subscriptionBatch)
			if err != nil {
				return eventstore.Message{}, err
			}
			sub.buf = events
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

func (sub *subscription) Close() error {
	sub.closeOnce.Do(func() { close(sub.closed) })
	return nil
}
