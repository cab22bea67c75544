package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/pbledger/pbledger/eventstore"
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

// closedSub stands in for a subscription that could not be made.
type closedSub struct{}

func (closedSub) Next(context.Context) (eventstore.Message, error) {
	return eventstore.Message{}, eventstore.ErrClosed
}
func (closedSub) Close() error { return nil }
