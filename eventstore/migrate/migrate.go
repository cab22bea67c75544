// Package migrate copies an event log from one eventstore.Store to another, event for event, and checks the
// copy: the same events (IDs, streams, revisions, types, data, metadata) in the same global order. It works
// on any two backends (the embedded file store, KurrentDB through esdbstore) and resumes where an interrupted
// copy stopped.
//
// What a copy cannot keep: positions (each store numbers its own log; KurrentDB's have gaps) and recorded
// times (a store stamps the time it accepts an event). Everything pbledger decides uses the order of events,
// never their positions' values, so a server on the copy computes the same outcomes.
package migrate

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/translog"
)

// ErrMismatch: the destination is not a copy (or the beginning of a copy) of the source.
var ErrMismatch = errors.New("migrate: the destination does not match the source")

// Result says what Copy did.
type Result struct {
	// Skipped events were already in the destination (a resumed copy); Copied were appended now.
	Skipped, Copied int64
	// Appends is how many appends Copy made (events written together originally are appended together).
	Appends int64
}

const page = 1024

// Copy appends to `to` every event of `from` that it does not hold yet, in global order. The destination
// must be empty or hold the beginning of the source's log, as an interrupted Copy leaves it. Each append
// expects the stream's revision in the source, so a copy never interleaves with another writer unnoticed.
// Consecutive events of one stream with the same metadata (one write of pbledger's) are appended together,
// keeping a write atomic in the copy too. progress, if not nil, is called after every append with the events
// copied so far.
func Copy(ctx context.Context, from, to eventstore.Store, progress func(copied int64)) (Result, error) {
	var res Result
	// What the destination holds already: its count and last event.
	var last *eventstore.RecordedEvent
	err := scan(ctx, to, func(e *eventstore.RecordedEvent) error {
		res.Skipped++
		last = e
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("migrate: read the destination: %w", err)
	}
	var batch []eventstore.EventData
	var stream string
	var first eventstore.Revision
	size := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		exp := eventstore.NoStream()
		if first > 0 {
			exp = eventstore.Exact(first - 1)
		}
		if _, err := to.Append(ctx, stream, exp, batch...); err != nil {
			return fmt.Errorf("migrate: append %d events to %s at revision %d: %w", len(batch), stream, first, err)
		}
		res.Copied += int64(len(batch))
		res.Appends++
		if progress != nil {
			progress(res.Copied)
		}
		batch, size = batch[:0], 0
		return nil
	}
	var i int64
	err = scan(ctx, from, func(e *eventstore.RecordedEvent) error {
		i++
		if i < res.Skipped {
			return nil
		}
		if i == res.Skipped {
			if e.ID != last.ID || e.StreamID != last.StreamID || e.Revision != last.Revision {
				return fmt.Errorf("%w: its event %d is %s in %s, the source's is %s in %s", ErrMismatch, i, last.ID, last.StreamID, e.ID, e.StreamID)
			}
			return nil
		}
		d := eventstore.EventData{ID: e.ID, Type: e.Type, Data: e.Data, Metadata: e.Metadata}
		n := eventstore.EncodedSize(e.StreamID, []eventstore.EventData{d})
		if len(batch) > 0 && (e.StreamID != stream || e.Revision != first+eventstore.Revision(len(batch)) ||
			!bytes.Equal(e.Metadata, batch[0].Metadata) || size+n > eventstore.MaxAppendSize) {
			if err := flush(); err != nil {
				return err
			}
		}
		if len(batch) == 0 {
			stream, first = e.StreamID, e.Revision
		}
		batch = append(batch, d)
		size += n
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err == nil && i < res.Skipped {
		err = fmt.Errorf("%w: it holds %d events, the source only %d", ErrMismatch, res.Skipped, i)
	}
	return res, err
}

// Roots are the Merkle roots (eventstore/translog) over the n events Verify compared.
type Roots struct {
	// Source is the root of the source's log: an auditor holding a signed checkpoint of the source at this size
	// sees the same root, so the copy is of the history that checkpoint signed.
	Source tlog.Hash
	// Copy is the root of the copy's own log. It differs from Source only because each store stamps its own
	// recorded times (part of every leaf); the copy's server signs checkpoints of this root from now on.
	Copy tlog.Hash
}

// Verify reads both logs through and checks that they hold the same events in the same order. It returns
// the number of events.
func Verify(ctx context.Context, from, to eventstore.Store) (int64, error) {
	n, _, err := VerifyRoots(ctx, from, to)
	return n, err
}

// VerifyRoots is Verify that also computes both logs' Merkle roots, and checks them against each other: the
// copy's leaves, with the source's recorded times put back, must give the source's root exactly.
func VerifyRoots(ctx context.Context, from, to eventstore.Store) (int64, Roots, error) {
	var roots Roots
	srcTree, cpyTree, sameTree := translog.NewTree(), translog.NewTree(), translog.NewTree()
	src, cpy, same := translog.NewBuilder(srcTree), translog.NewBuilder(cpyTree), translog.NewBuilder(sameTree)
	n, err := verify(ctx, from, to, func(e, c *eventstore.RecordedEvent) error {
		if err := src.Add(e); err != nil {
			return err
		}
		if err := cpy.Add(c); err != nil {
			return err
		}
		back := *c
		back.Recorded = e.Recorded
		return same.Add(&back)
	})
	if err != nil || n == 0 {
		return n, roots, err
	}
	src.Flush()
	cpy.Flush()
	same.Flush()
	if roots.Source, err = srcTree.Root(n); err != nil {
		return n, roots, err
	}
	if roots.Copy, err = cpyTree.Root(n); err != nil {
		return n, roots, err
	}
	back, err := sameTree.Root(n)
	if err != nil {
		return n, roots, err
	}
	if back != roots.Source {
		return n, roots, fmt.Errorf("%w: the copy's Merkle root with the source's recorded times is %s, the source's is %s", ErrMismatch, back, roots.Source)
	}
	return n, roots, nil
}

// verify compares the two logs event by event, calling each (if not nil) with every pair it found equal.
func verify(ctx context.Context, from, to eventstore.Store, each func(e, c *eventstore.RecordedEvent) error) (int64, error) {
	type item struct {
		e   eventstore.RecordedEvent
		err error
	}
	ch := make(chan item, page)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(ch)
		err := scan(ctx, to, func(e *eventstore.RecordedEvent) error {
			select {
			case ch <- item{e: *e}:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
		if err != nil {
			select {
			case ch <- item{err: err}:
			case <-ctx.Done():
			}
		}
	}()
	var n int64
	err := scan(ctx, from, func(e *eventstore.RecordedEvent) error {
		n++
		got, ok := <-ch
		if !ok {
			return fmt.Errorf("%w: the copy ends after %d events", ErrMismatch, n-1)
		}
		if got.err != nil {
			return fmt.Errorf("migrate: read the copy: %w", got.err)
		}
		c := got.e
		if c.ID != e.ID || c.StreamID != e.StreamID || c.Revision != e.Revision || c.Type != e.Type ||
			!bytes.Equal(c.Data, e.Data) || !bytes.Equal(c.Metadata, e.Metadata) {
			return fmt.Errorf("%w: event %d is %s %s@%d in the source, %s %s@%d in the copy", ErrMismatch, n, e.ID, e.StreamID, e.Revision, c.ID, c.StreamID, c.Revision)
		}
		if each != nil {
			return each(e, &c)
		}
		return nil
	})
	if err != nil {
		return n, err
	}
	if extra, ok := <-ch; ok {
		if extra.err != nil {
			return n, fmt.Errorf("migrate: read the copy: %w", extra.err)
		}
		return n, fmt.Errorf("%w: the copy has more than the source's %d events", ErrMismatch, n)
	}
	return n, nil
}

// scan calls fn for every event of s in global order.
func scan(ctx context.Context, s eventstore.Store, fn func(*eventstore.RecordedEvent) error) error {
	for from := eventstore.Start; ; {
		recs, err := s.ReadAll(ctx, from, page)
		if err != nil {
			return err
		}
		for i := range recs {
			if err := fn(&recs[i]); err != nil {
				return err
			}
		}
		if len(recs) == 0 {
			return nil
		}
		from = recs[len(recs)-1].Position + 1
	}
}
