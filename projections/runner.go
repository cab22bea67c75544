package projections

import (
	"bufio"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/ledger"
)

// Runner feeds a Model from a store with a catch-up subscription and persists the model with its position
// (the checkpoint), so a restart applies only what is new.
type Runner struct {
	Store eventstore.Store
	Model *Model
	// CheckpointPath is where the checkpoint is kept; empty means none (every start replays the whole log).
	CheckpointPath string
	// CheckpointEvery and CheckpointInterval say how often to write the checkpoint: after that many events
	// or that much time with new events, whichever comes later (defaults 100,000 and 30 s).
	CheckpointEvery    int
	CheckpointInterval time.Duration
	Logger             *slog.Logger
}

// checkpointFormat is the version of the checkpoint file. A checkpoint of another version is ignored and the
// model rebuilt from the log: the checkpoint is a cache, the log is the truth.
const checkpointFormat = 2

// Run loads the checkpoint, catches the model up and keeps it current until ctx ends, then writes a final
// checkpoint. caughtUp, if not nil, is called once, when the model has applied everything that was in the
// log when Run reached the head. Run returns nil when ctx ends, or the error that stopped the model.
func (r *Runner) Run(ctx context.Context, caughtUp func()) error {
	log := r.Logger
	if log == nil {
		log = slog.Default()
	}
	every, interval := r.CheckpointEvery, r.CheckpointInterval
	if every <= 0 {
		every = 100_000
	}
	if interval <= 0 {
		interval = 30 * time.Second
	}
	if r.CheckpointPath != "" {
		if err := r.loadCheckpoint(ctx, log); err != nil {
			return err
		}
	}
	// The bulk of the log goes through the two-goroutine pipeline; the subscription then delivers what came
	// after, and everything new.
	began := time.Now()
	first := r.Model.Applied()
	if err := CatchUp(ctx, r.Store, r.Model, eventstore.Position(^uint64(0)), time.Time{}); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	start, _ := r.Model.Position()
	sub, err := r.Store.SubscribeAll(ctx, start)
	if err != nil {
		return fmt.Errorf("projections: subscribe after %d: %w", start, err)
	}
	defer func() { sub.Close() }()
	applied, sinceCheckpoint, lastCheckpoint := 0, 0, time.Now()
	for {
		msg, err := sub.Next(ctx)
		for errors.Is(err, eventstore.ErrUnavailable) && ctx.Err() == nil {
			// A networked store lost its connection or its leader (a KurrentDB election): subscribe again
			// after the last event applied, while reads keep being served from the model as it stands.
			pos, _ := r.Model.Position()
			log.Warn("projections: store unavailable; resubscribing", "after", pos, "err", err)
			sub.Close()
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
			if sub, err = r.Store.SubscribeAll(ctx, pos); err == nil {
				msg, err = sub.Next(ctx)
			} else {
				sub = closedSub{}
			}
		}
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, eventstore.ErrClosed) {
				if r.CheckpointPath != "" && sinceCheckpoint > 0 {
					if err := r.WriteCheckpoint(); err != nil {
						log.Error("projections: final checkpoint", "err", err)
					}
				}
				return nil
			}
			return fmt.Errorf("projections: subscription: %w", err)
		}
		if msg.CaughtUp {
			pos, _ := r.Model.Position()
			took := time.Since(began)
			log.Info("projections caught up", "position", pos, "applied", r.Model.Applied()-first, "took", took.Round(time.Millisecond))
			if caughtUp != nil {
				caughtUp()
				caughtUp = nil
			}
			// Whatever the catch-up replayed (all of the log, on a cold start) is not replayed again at the
			// next start: checkpoint now, not only after the next CheckpointEvery events.
			if r.CheckpointPath != "" && r.Model.Applied() != first {
				if err := r.WriteCheckpoint(); err != nil {
					log.Error("projections: checkpoint", "err", err)
				}
				sinceCheckpoint, lastCheckpoint = 0, time.Now()
			}
			continue
		}
		if err := r.Model.Apply(*msg.Event); err != nil {
			return err
		}
		applied++
		sinceCheckpoint++
		if r.CheckpointPath != "" && sinceCheckpoint >= every && time.Since(lastCheckpoint) >= interval {
			if err := r.WriteCheckpoint(); err != nil {
				log.Error("projections: checkpoint", "err", err)
			}
			sinceCheckpoint, lastCheckpoint = 0, time.Now()
		}
	}
}

// CatchUp applies the log from the model's position up to position until, or to the head. When untilTime is
// not zero it applies only the events that took effect at or before it (EffectiveAt, see EffectiveTime): the
// state as it stood then, even for history that was recorded later (an import, the demo). One goroutine reads,
// decodeWorkers decode batches side by side, and this one applies them in order, so a rebuild uses every core.
func CatchUp(ctx context.Context, store eventstore.Store, m *Model, until eventstore.Position, untilTime time.Time) error {
	from, _ := m.Position()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type batch struct {
		events []Decoded
		err    error
	}
	// Each batch read is a future: decoded by a worker, applied in the order read.
	futures := make(chan chan batch, 2*decodeWorkers)
	work := make(chan func(), decodeWorkers)
	var wg sync.WaitGroup
	for range decodeWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range work {
				f()
			}
		}()
	}
	go func() {
		defer func() { close(work); wg.Wait(); close(futures) }()
		send := func(f chan batch) bool {
			select {
			case futures <- f:
				return true
			case <-ctx.Done():
				return false
			}
		}
		for from++; ; {
			recs, err := store.ReadAll(ctx, from, 1024)
			if err != nil {
				f := make(chan batch, 1)
				f <- batch{err: fmt.Errorf("projections: read from %d: %w", from, err)}
				send(f)
				return
			}
			if len(recs) == 0 {
				return
			}
			stop := false
			n := len(recs)
			for i, rec := range recs {
				if rec.Position > until {
					stop, n = true, i
					break
				}
			}
			next := recs[len(recs)-1].Position + 1
			recs = recs[:n]
			if !untilTime.IsZero() {
				// Only the events in effect by untilTime; later ones are skipped rather than a stop, since
				// history recorded later (an import, the demo) may carry earlier dates.
				var kept []eventstore.RecordedEvent
				for _, rec := range recs {
					if !EffectiveTime(rec).After(untilTime) {
						kept = append(kept, rec)
					}
				}
				recs = kept
			}
			f := make(chan batch, 1)
			if !send(f) {
				return
			}
			select {
			case work <- func() {
				out := make([]Decoded, len(recs))
				for i, rec := range recs {
					out[i] = Decode(rec)
				}
				f <- batch{events: out}
			}:
			case <-ctx.Done():
				return
			}
			if stop {
				return
			}
			from = next
		}
	}()
	for f := range futures {
		var b batch
		select {
		case b = <-f:
		case <-ctx.Done():
			return ctx.Err()
		}
		if b.err != nil {
			return b.err
		}
		for _, d := range b.events {
			if err := m.ApplyDecoded(d); err != nil {
				return err
			}
		}
	}
	return ctx.Err()
}

// decodeWorkers is how many batches CatchUp decodes at once: decoding costs about twice what applying does.
const decodeWorkers = 2

// checkpoint is the persisted model.
type checkpoint struct {
	Format    int
	Position  eventstore.Position
	LastID    uuid.UUID
	At        time.Time
	Cycles    []cycleSnap
	Proposals []proposalSnap
	Idem      []idemSnap
	Late      int64
	Unknown   int64
}

type cycleSnap struct {
	State       domain.CycleState
	Version     int
	VotingOver  bool
	AllocatedAt map[domain.DistrictID]eventstore.Position
	Districts   []districtSnap
}

type districtSnap struct {
	ID        domain.DistrictID
	Proposals []domain.ProposalID
	Version   uint64
	Ballots   []ballotSnap // in the order first cast; none once Dropped
	// Dropped, Counted and Votes: the district's allocation is recorded and its ballots were let go
	// (districtView.drop); Counted and Votes are what remains of them.
	Dropped bool
	Counted int
	Votes   map[domain.ProposalID]int64
}

type ballotSnap struct {
	State   domain.BallotState
	Version int
}

type proposalSnap struct {
	State   domain.ProposalState
	Version int
	History []HistoryEntry
}

type idemSnap struct {
	Key, Hash string
	W         ledger.Written
}

// snapshot copies the model into a checkpoint.
func (m *Model) snapshot() checkpoint {
	m.mu.RLock()
	defer m.mu.RUnlock()
	cp := checkpoint{Format: checkpointFormat, Position: m.pos, LastID: m.lastID, At: m.at, Late: m.late, Unknown: m.unknown}
	for _, id := range m.cycleIDs {
		cv := m.cycles[id]
		cs := cycleSnap{State: cv.agg.State(), Version: cv.version, VotingOver: cv.votingOver, AllocatedAt: maps.Clone(cv.allocatedAt)}
		for _, d := range cs.State.Districts {
			dv := cv.districts[d.ID]
			ds := districtSnap{ID: d.ID, Proposals: slices.Clone(dv.proposals), Version: dv.version}
			if dv.dropped {
				ds.Dropped, ds.Counted, ds.Votes = true, dv.counted, maps.Clone(dv.votes)
			}
			for _, v := range dv.voters {
				bv := dv.ballots[v]
				ds.Ballots = append(ds.Ballots, ballotSnap{State: bv.agg.State(), Version: bv.version})
			}
			cs.Districts = append(cs.Districts, ds)
		}
		cp.Cycles = append(cp.Cycles, cs)
		for _, ds := range cs.Districts {
			for _, pid := range ds.Proposals {
				pv := m.proposals[pid]
				cp.Proposals = append(cp.Proposals, proposalSnap{State: pv.agg.State(), Version: pv.version, History: slices.Clone(pv.history)})
			}
		}
	}
	m.idemMu.Lock()
	for k, rec := range m.idem {
		cp.Idem = append(cp.Idem, idemSnap{Key: k, Hash: rec.hash, W: rec.w})
	}
	m.idemMu.Unlock()
	return cp
}

// restore replaces the (empty) model's contents with a checkpoint's.
func (m *Model) restore(cp checkpoint) error {
	if err := m.restoreLocked(cp); err != nil {
		return err
	}
	m.notify()
	return nil
}

func (m *Model) restoreLocked(cp checkpoint) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.pos != 0 {
		return errors.New("projections: restore into a model that is not empty")
	}
	proposals := map[domain.ProposalID]*proposalView{}
	for _, ps := range cp.Proposals {
		p, err := domain.RestoreProposal(ps.State, ps.Version)
		if err != nil {
			return err
		}
		proposals[ps.State.ID] = &proposalView{agg: p, version: ps.Version, history: ps.History}
	}
	cycles := map[domain.CycleID]*cycleView{}
	var ids []domain.CycleID
	for _, cs := range cp.Cycles {
		c, err := domain.RestoreCycle(cs.State, cs.Version)
		if err != nil {
			return err
		}
		cv := &cycleView{agg: c, version: cs.Version, votingOver: cs.VotingOver, allocatedAt: cs.AllocatedAt,
			districts: map[domain.DistrictID]*districtView{}}
		if cv.allocatedAt == nil {
			cv.allocatedAt = map[domain.DistrictID]eventstore.Position{}
		}
		for _, ds := range cs.Districts {
			dv := &districtView{proposals: ds.Proposals, version: ds.Version, ballots: map[domain.VoterKey]*ballotView{}, votes: map[domain.ProposalID]int64{}}
			for _, bs := range ds.Ballots {
				b, err := domain.RestoreBallot(bs.State, bs.Version)
				if err != nil {
					return err
				}
				dv.ballots[bs.State.Voter] = &ballotView{agg: b, version: bs.Version}
				dv.voters = append(dv.voters, bs.State.Voter)
				for _, ch := range bs.State.Choices {
					dv.votes[ch.ProposalID]++
				}
			}
			if ds.Dropped {
				dv.dropped, dv.counted, dv.ballots = true, ds.Counted, nil
				if ds.Votes != nil {
					dv.votes = ds.Votes
				}
			}
			for _, pid := range ds.Proposals {
				if proposals[pid] == nil {
					return fmt.Errorf("projections: checkpoint lists proposal %q without its state", pid)
				}
			}
			cv.districts[ds.ID] = dv
		}
		cycles[cs.State.ID] = cv
		ids = append(ids, cs.State.ID)
	}
	m.cycles, m.cycleIDs, m.proposals = cycles, ids, proposals
	m.pos, m.lastID, m.at, m.late, m.unknown = cp.Position, cp.LastID, cp.At, cp.Late, cp.Unknown
	m.idemMu.Lock()
	for _, is := range cp.Idem {
		m.idem[is.Key] = &idemRecord{hash: is.Hash, w: is.W}
	}
	m.idemMu.Unlock()
	return nil
}

// WriteCheckpoint writes the model and its position to CheckpointPath, atomically: a crash leaves the old
// checkpoint or the new one, never a torn one.
func (r *Runner) WriteCheckpoint() error {
	return WriteCheckpoint(r.Model, r.CheckpointPath)
}

// WriteCheckpoint writes m to path atomically.
func WriteCheckpoint(m *Model, path string) error {
	cp := m.snapshot()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("projections: checkpoint: %w", err)
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("projections: checkpoint: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	err = gob.NewEncoder(w).Encode(cp)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("projections: checkpoint %s: %w", path, err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// loadCheckpoint restores the model from the checkpoint if there is a usable one. A checkpoint that does not
// match the log (another log, or a log restored from an older backup) or cannot be read is set aside and the
// model is rebuilt from the log.
func (r *Runner) loadCheckpoint(ctx context.Context, log *slog.Logger) error {
	f, err := os.Open(r.CheckpointPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("projections: checkpoint: %w", err)
	}
	defer f.Close()
	var cp checkpoint
	if err := gob.NewDecoder(bufio.NewReaderSize(f, 1<<20)).Decode(&cp); err != nil {
		log.Warn("projections: checkpoint unreadable; rebuilding from the log", "file", r.CheckpointPath, "err", err)
		return nil
	}
	if cp.Format != checkpointFormat {
		log.Warn("projections: checkpoint of another format; rebuilding from the log", "file", r.CheckpointPath, "format", cp.Format)
		return nil
	}
	if cp.Position > 0 {
		recs, err := r.Store.ReadAll(ctx, cp.Position, 1)
		if err != nil {
			return fmt.Errorf("projections: check checkpoint against the log: %w", err)
		}
		if len(recs) == 0 || recs[0].Position != cp.Position || recs[0].ID != cp.LastID {
			log.Warn("projections: checkpoint does not match the log; rebuilding from the log", "file", r.CheckpointPath, "position", cp.Position)
			return nil
		}
	}
	if err := r.Model.restore(cp); err != nil {
		// restore changes nothing unless it succeeds, so the model is still empty.
		log.Warn("projections: checkpoint inconsistent; rebuilding from the log", "file", r.CheckpointPath, "err", err)
		return nil
	}
	log.Info("projections: checkpoint loaded", "position", cp.Position)
	return nil
}

// closedSub stands in for a subscription that could not be made.
type closedSub struct{}

func (closedSub) Next(context.Context) (eventstore.Message, error) {
	return eventstore.Message{}, eventstore.ErrClosed
}
func (closedSub) Close() error { return nil }
