package projections

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/eventstore"
)

// CatchUp applies the log from the model's position up to position until, or to the head. When untilTime is
// not zero it applies only the events that took effect at or before it (EffectiveAt, see EffectiveTime): the
// state as it stood then, even for history that was recorded later (an import, the demo). One goroutine reads,
// decodeWorkers decode batches side by side, and this one applies them in order, so a rebuild uses every core.
//
// The reader takes pages of events from the store without copying each event on its own when the store is
// an eventstore.AllScanner: the page's bytes are copied into one buffer per batch, which is used again once
// the batch is applied (nothing the model keeps points into it). Each decoding goroutine has a
// domain.Decoder, so the names that recur (cycles, districts, proposals) are allocated once, not per ballot.
func CatchUp(ctx context.Context, store eventstore.Store, m *Model, until eventstore.Position, untilTime time.Time) error {
	from, _ := m.Position()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Each batch read is a future: decoded by a worker, applied in the order read, then reused.
	futures := make(chan *catchUpBatch, 2*decodeWorkers)
	work := make(chan *catchUpBatch, decodeWorkers)
	free := make(chan *catchUpBatch, 3*decodeWorkers+2)
	var wg sync.WaitGroup
	for range decodeWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var dec domain.Decoder
			for b := range work {
				b.out = slices.Grow(b.out[:0], len(b.recs))[:len(b.recs)]
				for i := range b.recs {
					decodeInto(&b.out[i], &dec, &b.recs[i])
				}
				close(b.done)
			}
		}()
	}
	go func() {
		defer func() { close(work); wg.Wait(); close(futures) }()
		send := func(b *catchUpBatch) bool {
			select {
			case futures <- b:
				return true
			case <-ctx.Done():
				return false
			}
		}
		scanner, _ := store.(eventstore.AllScanner)
		for from++; ; {
			var b *catchUpBatch
			select {
			case b = <-free:
				b.reset()
			default:
				b = &catchUpBatch{}
			}
			b.done = make(chan struct{})
			var stop bool
			var next eventstore.Position
			var err error
			if scanner != nil {
				stop, next, err = b.scan(ctx, scanner, from, until, untilTime)
			} else {
				stop, next, err = b.read(ctx, store, from, until, untilTime)
			}
			if err != nil {
				b.err = fmt.Errorf("projections: read from %d: %w", from, err)
				close(b.done)
				send(b)
				return
			}
			if next == 0 { // nothing more in the log
				return
			}
			if !send(b) {
				return
			}
			select {
			case work <- b:
			case <-ctx.Done():
				return
			}
			if stop {
				return
			}
			from = next
		}
	}()
	for b := range futures {
		select {
		case <-b.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if b.err != nil {
			return b.err
		}
		if err := m.applyBatch(b.out); err != nil {
			return err
		}
		select {
		case free <- b:
		default:
		}
	}
	return ctx.Err()
}

// decodeWorkers is how many batches CatchUp decodes at once: decoding costs about twice what applying does.
const decodeWorkers = 2

// catchUpBatch is one page of the log on its way through CatchUp.
type catchUpBatch struct {
	recs  []eventstore.RecordedEvent
	arena []byte // the bytes recs point into, when they were scanned
	out   []Decoded
	err   error
	done  chan struct{} // closed once out (or err) is set
}

// reset empties a batch that was applied, for the next page. Nothing of the batch is kept by the model: it
// copies what it keeps of an event's data and metadata.
func (b *catchUpBatch) reset() {
	clear(b.recs)
	b.recs = b.recs[:0]
	clear(b.out)
	b.out = b.out[:0]
	b.arena = b.arena[:0]
	b.err = nil
}

// catchUpPage is how many events a batch holds.
const catchUpPage = 1024

// errPageEnd stops a scan at until.
var errPageEnd = errors.New("projections: end of the page")

// scan fills the batch from a scanner, copying each event's bytes into the batch's arena. It returns next,
// the position to read from next (0 when there was nothing to read), and stop when until was reached.
func (b *catchUpBatch) scan(ctx context.Context, s eventstore.AllScanner, from, until eventstore.Position, untilTime time.Time) (stop bool, next eventstore.Position, err error) {
	n, err := s.ScanAll(ctx, from, catchUpPage, func(e *eventstore.RecordedEvent) error {
		if e.Position > until {
			stop = true
			return errPageEnd
		}
		next = e.Position + 1
		if !untilTime.IsZero() && EffectiveTime(*e).After(untilTime) {
			return nil
		}
		r := *e
		r.Data = b.keep(e.Data)
		if e.Metadata != nil {
			r.Metadata = b.keep(e.Metadata)
		}
		b.recs = append(b.recs, r)
		return nil
	})
	if errors.Is(err, errPageEnd) {
		err = nil
	}
	if err != nil {
		return false, 0, err
	}
	if n == 0 && !stop {
		return false, 0, nil
	}
	if stop && next == 0 {
		next = from // nothing of the page was in range: a batch with no events, then stop
	}
	return stop, next, nil
}

// keep copies p into the arena and returns the copy. When the arena is full a larger one is started; the
// earlier events keep pointing into the old one, which stays valid.
func (b *catchUpBatch) keep(p []byte) []byte {
	if len(b.arena)+len(p) > cap(b.arena) {
		b.arena = make([]byte, 0, max(2*cap(b.arena), len(p), 64<<10))
	}
	start := len(b.arena)
	b.arena = append(b.arena, p...)
	return b.arena[start:len(b.arena):len(b.arena)]
}

// read fills the batch from ReadAll, for stores that cannot scan.
func (b *catchUpBatch) read(ctx context.Context, store eventstore.Store, from, until eventstore.Position, untilTime time.Time) (stop bool, next eventstore.Position, err error) {
	recs, err := store.ReadAll(ctx, from, catchUpPage)
	if err != nil {
		return false, 0, err
	}
	if len(recs) == 0 {
		return false, 0, nil
	}
	next = recs[len(recs)-1].Position + 1
	for i, rec := range recs {
		if rec.Position > until {
			stop, recs = true, recs[:i]
			break
		}
	}
	if untilTime.IsZero() {
		b.recs = append(b.recs, recs...)
		return stop, next, nil
	}
	// Only the events in effect by untilTime; later ones are skipped rather than a stop, since history
	// recorded later (an import, the demo) may carry earlier dates.
	for _, rec := range recs {
		if !EffectiveTime(rec).After(untilTime) {
			b.recs = append(b.recs, rec)
		}
	}
	return stop, next, nil
}
