// Package verify is the auditor's verifier: it re-reads every event of a log, recomputes the Merkle tree,
// checks signed checkpoints against it, replays the domain and recounts every recorded allocation. It reads
// a store (the operator's data directory, or a mirror made from the public API by Mirror) and imports nothing
// of the server: only the store interface, the transparency-log package and the domain.
package verify

import (
	"context"
	"fmt"
	"io"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/translog"
	"github.com/pbledger/pbledger/ledger"
)

// Problem is one discrepancy. Leaf is -1 when it cannot be pinned to a leaf.
type Problem struct {
	// Check names what failed: "checkpoint", "leaf", "decode", "allocation", "consistency", "key".
	Check    string              `json:"check"`
	Leaf     int64               `json:"leaf"`
	Position eventstore.Position `json:"position,omitempty"`
	Stream   string              `json:"stream,omitempty"`
	Revision eventstore.Revision `json:"revision"`
	// What says, in words, what differs.
	What string `json:"what"`
}

func (p Problem) String() string {
	if p.Leaf < 0 {
		return fmt.Sprintf("%s: %s", p.Check, p.What)
	}
	return fmt.Sprintf("%s: leaf %d (position %d, stream %s, revision %d): %s", p.Check, p.Leaf, p.Position, p.Stream, p.Revision, p.What)
}

// Report is what a verification found.
type Report struct {
	OK          bool      `json:"ok"`
	Events      int64     `json:"events"`
	TreeSize    int64     `json:"tree_size"`
	Root        tlog.Hash `json:"root"`
	Checkpoints int       `json:"checkpoints_checked"`
	// Latest is the newest checkpoint checked (size and root), the one an auditor saves as trusted.
	Latest      *translog.SignedCheckpoint `json:"-"`
	Allocations int                        `json:"allocations_recounted"`
	Problems    []Problem                  `json:"problems"`
	Seconds     float64                    `json:"seconds"`
	EventsPerS  float64                    `json:"events_per_second"`
	// Notes are facts worth knowing that are not discrepancies.
	Notes []string `json:"notes,omitempty"`
}

// Add records a problem.
func (r *Report) Add(p Problem) { r.Problems = append(r.Problems, p) }

// Err returns nil if the report has no problems, else an error naming the first.
func (r *Report) Err() error {
	if len(r.Problems) == 0 {
		return nil
	}
	more := ""
	if n := len(r.Problems); n > 1 {
		more = fmt.Sprintf(" (and %d more problems)", n-1)
	}
	return fmt.Errorf("verification failed: %s%s", r.Problems[0], more)
}

// Options say what to check a log against.
type Options struct {
	// Checkpoints are signed checkpoints already opened with the pinned verifier key. Each must match the
	// tree recomputed from the log.
	Checkpoints []translog.SignedCheckpoint
	// Reference, if set, gives the leaf hashes the operator recorded (the hashes file, or another copy); it
	// is used only to name the first leaf that differs when a checkpoint does not match, and only if its
	// own tree matches that checkpoint.
	Reference tlog.HashReader
	// ReferenceSize is how many leaves Reference holds.
	ReferenceSize int64
	// Progress, if not nil, receives progress lines (a terminal).
	Progress io.Writer
	// SkipRecount leaves allocations alone.
	SkipRecount bool
}

// Log verifies every event of store.
func Log(ctx context.Context, store eventstore.Store, opts Options) (*Report, error) {
	start := time.Now()
	rep := &Report{}
	tree := translog.NewTree()
	b := translog.NewBuilder(tree)
	var positions []eventstore.Position // per leaf; the rest of an event is read again to name it
	var allocations []int64             // leaves of AllocationRecorded events
	lastProgress := time.Now()
	for from := eventstore.Position(0); ; {
		recs, err := store.ReadAll(ctx, from, 4096)
		if err != nil {
			return nil, fmt.Errorf("verify: read the log: %w", err)
		}
		if len(recs) == 0 {
			break
		}
		for i := range recs {
			e := &recs[i]
			leaf := int64(len(positions))
			positions = append(positions, e.Position)
			if err := b.Add(e); err != nil {
				return nil, err
			}
			decodeErr := ledger.DecodeIndexEvent(e.Type, e.Data) // the ledger's district indexes (ledger/index.go)
			if !ledger.IsIndexEvent(e.Type) {
				_, decodeErr = domain.Decode(e.Type, e.Data)
			}
			if err := decodeErr; err != nil {
				rep.Add(Problem{Check: "decode", Leaf: leaf, Position: e.Position, Stream: e.StreamID, Revision: e.Revision,
					What: fmt.Sprintf("the event does not decode as a %s: %v", e.Type, err)})
			}
			if e.Type == domain.EventAllocationRecorded {
				allocations = append(allocations, leaf)
			}
		}
		if b.Pending() >= 4096 {
			b.Flush()
		}
		from = recs[len(recs)-1].Position + 1
		if opts.Progress != nil && time.Since(lastProgress) > 500*time.Millisecond {
			lastProgress = time.Now()
			fmt.Fprintf(opts.Progress, "\rhashed %d events", len(positions))
		}
	}
	b.Flush()
	if opts.Progress != nil {
		fmt.Fprintf(opts.Progress, "\rhashed %d events\n", len(positions))
	}
	rep.Events = int64(len(positions))
	rep.TreeSize = tree.Size()
	if rep.TreeSize > 0 {
		rep.Root, _ = tree.Root(rep.TreeSize)
	}
	info := func(leaf int64) Problem {
		p := Problem{Leaf: leaf}
		if leaf >= 0 && leaf < int64(len(positions)) {
			p.Position = positions[leaf]
			if recs, err := store.ReadAll(ctx, p.Position, 1); err == nil && len(recs) == 1 {
				p.Stream, p.Revision = recs[0].StreamID, recs[0].Revision
			}
		}
		return p
	}

	// Checkpoints: each signed root must be the root of the log's first Size leaves.
	for i := range opts.Checkpoints {
		c := opts.Checkpoints[i]
		rep.Checkpoints++
		if c.Size > rep.TreeSize {
			p := info(rep.TreeSize)
			p.Leaf = rep.TreeSize
			p.Check = "checkpoint"
			p.What = fmt.Sprintf("the checkpoint signed for %d events covers more than the %d the log holds: events were removed", c.Size, rep.TreeSize)
			if bad, what, ok := firstDifference(tree, opts, c, rep.TreeSize); ok {
				p = info(bad)
				p.Check, p.What = "checkpoint", what
			}
			rep.Add(p)
			break
		}
		root, err := tree.Root(c.Size)
		if err != nil {
			return nil, err
		}
		if root == c.Root {
			rep.Latest = &opts.Checkpoints[i]
			continue
		}
		p := Problem{Check: "checkpoint", Leaf: -1, What: fmt.Sprintf("the log's first %d events give root %s, the signed checkpoint says %s: the log was changed after it was signed", c.Size, root, c.Root)}
		if bad, what, ok := firstDifference(tree, opts, c, c.Size); ok {
			p = info(bad)
			p.Check, p.What = "checkpoint", what+fmt.Sprintf(" (the signed checkpoint of %d events does not match)", c.Size)
		}
		rep.Add(p)
		break // later checkpoints fail for the same reason
	}

	if !opts.SkipRecount {
		for _, leaf := range allocations {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			rep.Allocations++
			if what := recount(ctx, store, positions[leaf]); what != "" {
				p := info(leaf)
				p.Check, p.What = "allocation", what
				rep.Add(p)
			}
		}
	}
	rep.OK = len(rep.Problems) == 0
	rep.Seconds = time.Since(start).Seconds()
	if rep.Seconds > 0 {
		rep.EventsPerS = float64(rep.Events) / rep.Seconds
	}
	return rep, nil
}

// firstDifference names the first leaf of the log that differs from the reference hashes, when the reference
// itself matches the checkpoint (so the reference is what was signed).
func firstDifference(tree *translog.Tree, opts Options, c translog.SignedCheckpoint, logSize int64) (int64, string, bool) {
	if opts.Reference == nil || opts.ReferenceSize < c.Size {
		return 0, "", false
	}
	if root, err := tlog.TreeHash(c.Size, opts.Reference); err != nil || root != c.Root {
		return 0, "", false
	}
	ref := func(i int64) (tlog.Hash, bool) {
		if i >= c.Size {
			return tlog.Hash{}, false
		}
		h, err := opts.Reference.ReadHashes([]int64{tlog.StoredHashIndex(0, i)})
		if err != nil {
			return tlog.Hash{}, false
		}
		return h[0], true
	}
	have := func(i int64) (tlog.Hash, bool) {
		if i >= logSize {
			return tlog.Hash{}, false
		}
		h, err := tree.LeafHash(i)
		return h, err == nil
	}
	for i := int64(0); i < c.Size; i++ {
		r, _ := ref(i)
		h, ok := have(i)
		if ok && h == r {
			continue
		}
		if !ok {
			return i, fmt.Sprintf("the log ends at %d events but %d were signed: events were removed from the end", logSize, c.Size), true
		}
		rNext, okR := ref(i + 1)
		hNext, okH := have(i + 1)
		switch {
		case okR && h == rNext && okH && hNext == r:
			return i, "this event and the next were swapped: the log was reordered", true
		case okR && h == rNext:
			return i, "the event signed here is missing: an event was removed", true
		case okH && hNext == r:
			return i, "this event was not in the signed log: an event was inserted", true
		default:
			return i, "this event's bytes differ from the event that was signed: it was changed", true
		}
	}
	return 0, "", false
}

// recount recounts the allocation recorded at position at with the recount the ledger offers auditors
// (ledger.RecountAllocation: the cycle as it stood, the district's input read from the log up to the
// allocation, the declared rule and the recorded lot seed) and returns "" if it gives the recorded winners,
// amounts, ballots counted and input digest, else what differs.
func recount(ctx context.Context, store eventstore.Store, at eventstore.Position) string {
	recs, err := store.ReadAll(ctx, at, 1)
	if err != nil || len(recs) != 1 {
		return fmt.Sprintf("the allocation could not be read again: %v", err)
	}
	ev, err := domain.Decode(recs[0].Type, recs[0].Data)
	if err != nil {
		return fmt.Sprintf("the allocation does not decode: %v", err)
	}
	recorded, ok := ev.(domain.AllocationRecorded)
	if !ok {
		return "the event is not an allocation"
	}
	if recs[0].StreamID != domain.CycleStream(recorded.CycleID) {
		return fmt.Sprintf("the allocation of cycle %s is recorded in stream %s", recorded.CycleID, recs[0].StreamID)
	}
	rc, err := ledger.RecountAllocation(ctx, store, recorded.CycleID, recorded.DistrictID)
	if err != nil {
		return fmt.Sprintf("recounting %s/%s with its declared rule fails: %v", recorded.CycleID, recorded.DistrictID, err)
	}
	if rc.Position != recs[0].Position {
		return fmt.Sprintf("district %s/%s has another allocation recorded at position %d", recorded.CycleID, recorded.DistrictID, rc.Position)
	}
	if what := rc.Mismatch(); what != "" {
		return fmt.Sprintf("allocation of %s/%s does not follow from the log under rule %s: %s", recorded.CycleID, recorded.DistrictID, recorded.Rule.Name, what)
	}
	return ""
}
