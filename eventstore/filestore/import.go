package filestore

import (
	"context"
	"fmt"

	"github.com/pbledger/pbledger/eventstore"
)

// Import appends events recorded by another store, in the given order, keeping each one's stream, revision,
// ID, type, data, metadata and recorded time: the copy has the same global order and the same events, only
// positions may differ. Each event must be the next revision of its stream here. Events are handed to the
// writer without waiting for one another, so a long import is written in large group commits, not at the
// fsync rate. It returns once every event is durable, or the first error (events after a failed one may or
// may not have been appended).
func (s *Store) Import(ctx context.Context, events []eventstore.RecordedEvent) error {
	reqs := make([]*appendReq, 0, len(events))
	for i := range events {
		e := &events[i]
		data := []eventstore.EventData{{ID: e.ID, Type: e.Type, Data: e.Data, Metadata: e.Metadata}}
		if err := eventstore.ValidateAppend(e.StreamID, data); err != nil {
			return fmt.Errorf("filestore: import %s: %w", e.StreamID, err)
		}
		exp := eventstore.NoStream()
		if e.Revision > 0 {
			exp = eventstore.Exact(e.Revision - 1)
		}
		t := e.Recorded.UnixNano()
		if t == 0 {
			t = 1 // 0 means "now" to the writer; the epoch itself is recorded one nanosecond later
		}
		reqs = append(reqs, &appendReq{stream: e.StreamID, expected: exp, events: data,
			size: eventstore.EncodedSize(e.StreamID, data), recorded: t, done: make(chan appendResult, 1)})
	}
	sent := 0
	var first error
	for _, r := range reqs {
		if s.closed.Load() {
			first = fmt.Errorf("filestore: import: %w", eventstore.ErrClosed)
			break
		}
		select {
		case s.reqs <- r:
			sent++
		case <-s.done:
			first = fmt.Errorf("filestore: import: %w", eventstore.ErrClosed)
		case <-ctx.Done():
			first = ctx.Err()
		}
		if first != nil {
			break
		}
	}
	for _, r := range reqs[:sent] {
		select {
		case a := <-r.done:
			if a.err != nil && first == nil {
				first = a.err
			}
		case <-s.done:
			select {
			case a := <-r.done:
				if a.err != nil && first == nil {
					first = a.err
				}
			default:
				if first == nil {
					first = fmt.Errorf("filestore: import: %w", eventstore.ErrClosed)
				}
			}
		}
	}
	return first
}
