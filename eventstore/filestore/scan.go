package filestore

import (
	"context"
	"fmt"
	"time"

	"github.com/pbledger/pbledger/eventstore"
)

var _ eventstore.AllScanner = (*Store)(nil)

// ScanAll implements eventstore.AllScanner: each event's Data and Metadata are views of the mapped log,
// valid only during fn (the scan holds off Close until it returns). Only the stream name is allocated.
//
// fn must not call Close: Close waits for the scan to end, so that deadlocks. fn may read from the store
// (ReadStream, ReadAll, another ScanAll): if another goroutine closes the store meanwhile, those reads
// fail with eventstore.ErrClosed and Close waits for fn to return. It is still simplest to collect what is
// needed during the scan and act on it after ScanAll returns.
func (s *Store) ScanAll(ctx context.Context, from eventstore.Position, max int, fn func(e *eventstore.RecordedEvent) error) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	snap, err := s.snapshot(nil)
	if err != nil {
		return 0, fmt.Errorf("filestore: scan all: %w", err)
	}
	defer snap.done()
	if from < 1 {
		from = 1
	}
	if max > maxReadBatch {
		max = maxReadBatch
	}
	var r eventstore.RecordedEvent
	n := 0
	if from <= snap.committed && max > 0 {
		// Like ReadAll: the segments the scan has left behind need not stay resident (the last one, being
		// written, always does).
		first := snap.loc(from).seg
		defer func() {
			if n == 0 {
				return
			}
			for seg := first; seg < snap.loc(from+eventstore.Position(n)-1).seg && int(seg) < len(snap.segs)-1; seg++ {
				release(snap.segs[seg])
			}
		}()
	}
	for p := from; p <= snap.committed && n < max; p++ {
		l := snap.loc(p)
		e, _, err := decodeEntry(snap.segs[l.seg][l.off:])
		if err != nil {
			return n, fmt.Errorf("filestore: read position %d: %w", p, err)
		}
		if r.StreamID != string(e.stream) { // consecutive events of one stream share the name
			r.StreamID = string(e.stream)
		}
		if r.Type != string(e.typ) { // and mostly the type: no lookup in the shared cache (a lock) then
			r.Type = s.types.get(e.typ)
		}
		r.ID, r.Revision, r.Position = e.id, e.revision, p
		r.Data, r.Metadata = e.data, e.meta
		if len(e.meta) == 0 {
			r.Metadata = nil
		}
		r.Recorded = time.Unix(0, e.recorded).UTC()
		if err := fn(&r); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
