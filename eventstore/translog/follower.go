package translog

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/pbledger/pbledger/eventstore"
)

// HashesFile is the name, inside a Follower's directory, of the file of stored hashes.
const HashesFile = "hashes"

// maxBatch is how many leaves a Follower hashes before publishing them even while it is behind.
const maxBatch = 4096

// Follower keeps a Tree current with a store: it reads the whole global order from the start (ScanAll pages
// if the store is an eventstore.AllScanner, else ReadAll pages, and SubscribeAll to wait for appends when it
// has seen them all), hashes each event as the next leaf and
// publishes leaves in batches, at the latest when it reaches the head of the log. Appends never wait for it.
type Follower struct {
	Store eventstore.Store
	Tree  *Tree
	// Dir, if not empty, is where the stored hashes are kept (the file HashesFile). Hashes found there are
	// checked against the log as it is read again: a difference stops the follower with a *MismatchError.
	Dir string
	// Urgent, if set, marks events that must be covered by a checkpoint at once (allocations); after
	// publishing a batch holding one, the follower calls OnUrgent with the tree's size. Urgent must not keep
	// the event: it may be a view of the store's own bytes (eventstore.AllScanner).
	Urgent   func(e *eventstore.RecordedEvent) bool
	OnUrgent func(size int64)
	// Rest is how long the follower rests after reaching the head of the log before it reads again, unless
	// someone waits for the tree (a receipt, a proof) or an urgent event came: resting lets events gather,
	// so that under heavy appends the tree is built in large batches, with few wake-ups. Default 20 ms;
	// negative: never rest.
	Rest time.Duration
	// LowPriority, if set, has the follower hash on an OS thread of its own at the lowest CPU priority (nice
	// 19; Linux only, elsewhere it is ignored) while it keeps up with the log, so that the appends never wait
	// for a processor while it hashes: the operating system gives it the time they leave. For that the process
	// needs a P to spare, GOMAXPROCS one more than the cores (serve sets it). It hashes at normal priority,
	// on its own goroutine, when it starts (the catch-up), when someone waits for the tree (a proof) and
	// whenever it is more than MaxLag behind, so its lag stays bounded on a saturated machine too.
	LowPriority bool
	// MaxLag is how far behind the log (the age of the last event hashed, by its recorded time, while more
	// events wait) a LowPriority follower may fall before it hashes at normal priority. Default 250 ms.
	MaxLag time.Duration

	lowReads int // pages of events hashed on the low-priority thread (for tests)
}

// Run follows the store until ctx ends (it then returns nil) or an error stops it. caughtUp, if not nil, is
// called once when the tree first covers the whole log as it stood at the start.
func (f *Follower) Run(ctx context.Context, caughtUp func()) (err error) {
	defer func() {
		if err != nil {
			f.Tree.fail(err)
		}
	}()
	var hf *hashFile
	if f.Dir != "" {
		if err := os.MkdirAll(f.Dir, 0o755); err != nil {
			return fmt.Errorf("translog: %w", err)
		}
		if hf, err = openHashFile(filepath.Join(f.Dir, HashesFile)); err != nil {
			return err
		}
		defer hf.f.Close()
	}
	if f.Tree.Size() != 0 {
		return fmt.Errorf("translog: a follower must start with an empty tree")
	}
	b := NewBuilder(f.Tree)
	rest := f.Rest
	if rest == 0 {
		rest = 20 * time.Millisecond
	}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	urgent := false
	flush := func() error {
		if b.Pending() == 0 {
			return nil
		}
		lastPos := b.pos[len(b.pos)-1]
		if hf == nil {
			b.Flush()
		} else {
			bad, ok, err := b.flushTo(hf)
			if err != nil {
				return err
			}
			if !ok {
				level, n := tlog.SplitStoredHashIndex(bad)
				leaf := n << level
				pos, _ := f.Tree.Position(leaf)
				if pos == 0 {
					pos = lastPos
				}
				return &MismatchError{Leaf: leaf, Position: pos}
			}
		}
		if urgent && f.OnUrgent != nil {
			f.OnUrgent(f.Tree.Size())
		}
		urgent = false
		return nil
	}
	// Read the log in pages while there is more; at the head, rest (events gather), then look again; when
	// nothing came, wait on a subscription, which wakes at the next append.
	var at eventstore.Position // the position of the last event hashed
	var atTime time.Time       // and its recorded time
	add := func(e *eventstore.RecordedEvent) error {
		if err := b.Add(e); err != nil {
			return err
		}
		if f.Urgent != nil && f.Urgent(e) {
			urgent = true
		}
		at, atTime = e.Position, e.Recorded
		return nil
	}
	stopped := func(err error) error {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("translog: follow the log: %w", err)
	}
	// read hashes the next page of events and returns how many there were: without copying them if the
	// store is an eventstore.AllScanner (add keeps nothing of an event but its position), else from ReadAll.
	// yield says whether to yield the processor now and then (not on the low-priority thread: its P is the
	// spare one, and the operating system already puts it last).
	scanner, _ := f.Store.(eventstore.AllScanner)
	var addErr error
	read := func(yield bool) (int, error) {
		if scanner != nil {
			addErr = nil
			k := 0
			n, err := scanner.ScanAll(ctx, at+1, maxBatch, func(e *eventstore.RecordedEvent) error {
				if k++; yield && k%yieldEvery == 0 {
					// Hashing a page takes milliseconds: let the store's writer, woken by its fsync, have
					// this processor instead of waiting for the page to end.
					runtime.Gosched()
				}
				addErr = add(e)
				return addErr
			})
			if addErr != nil {
				return n, addErr
			}
			if err != nil {
				return n, stopped(err)
			}
			return n, nil
		}
		recs, err := f.Store.ReadAll(ctx, at+1, maxBatch)
		if err != nil {
			return 0, stopped(err)
		}
		for i := range recs {
			if err := add(&recs[i]); err != nil {
				return i, err
			}
		}
		return len(recs), nil
	}
	var low *lowPriority
	if f.LowPriority {
		if low = startLowPriority(); low != nil {
			defer low.stop()
		}
	}
	maxLag := f.MaxLag
	if maxLag <= 0 {
		maxLag = 250 * time.Millisecond
	}
	hurry := true // normal priority: at first (the catch-up), when someone waits, when far behind
	for {
		var got int
		var err error
		if low != nil && !hurry {
			low.run(func() { got, err = read(false) })
			if got > 0 {
				f.lowReads++
			}
		} else {
			got, err = read(true)
		}
		if err != nil || ctx.Err() != nil {
			return err // nil once ctx ends
		}
		wanted := false // someone waits for the tree
		select {
		case <-f.Tree.wanted:
			wanted = true
		default:
		}
		if got == maxBatch {
			if err := flush(); err != nil {
				return err
			}
			// More events wait: if someone waits for them, or they have waited more than maxLag, hash at
			// normal priority until the head.
			hurry = hurry || wanted || time.Since(atTime) > maxLag
			continue
		}
		// At the head of the log.
		hurry = false
		wasUrgent := urgent
		if err := flush(); err != nil {
			return err
		}
		if caughtUp != nil {
			if hf != nil {
				if have := tlog.StoredHashCount(f.Tree.Size()) * tlog.HashSize; have < hf.oldSize {
					return &MismatchError{Leaf: f.Tree.Size(), Position: at}
				}
			}
			caughtUp()
			caughtUp = nil
		}
		if wanted {
			hurry = true
			continue
		}
		if got > 0 && rest > 0 && !wasUrgent {
			timer.Reset(rest)
			select {
			case <-timer.C:
			case <-f.Tree.wanted:
				timer.Stop()
				hurry = true
			case <-ctx.Done():
				return nil
			}
			continue
		}
		if got > 0 {
			continue
		}
		// Nothing new: wait for the next append.
		sub, err := f.Store.SubscribeAll(ctx, at)
		if err != nil {
			return stopped(err)
		}
		for {
			m, err := sub.Next(ctx)
			if err != nil {
				sub.Close()
				return stopped(err)
			}
			if m.Event != nil {
				err = add(m.Event)
				sub.Close()
				if err != nil {
					return err
				}
				break
			}
		}
	}
}

// yieldEvery is how many events the follower hashes between yields of its processor (about 0.1 ms of work).
const yieldEvery = 128
