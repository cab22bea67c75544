package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/ledger"
	"github.com/pbledger/pbledger/projections"
)

// startScheduler runs the calendar: every `every` it advances the cycles whose next phase's date has come.
// The returned function stops it and waits until it has.
func startScheduler(ctx context.Context, svc *ledger.Service, model *projections.Model, every time.Duration, log *slog.Logger) (stop func()) {
	if every <= 0 {
		return func() {}
	}
	sc := &ledger.Scheduler{
		Service: svc,
		Every:   every,
		Logger:  log,
		Cycles: func() []domain.CycleID {
			cs, _ := model.Cycles()
			ids := make([]domain.CycleID, 0, len(cs))
			for _, c := range cs {
				if c.Calendar != nil {
					ids = append(ids, c.ID)
				}
			}
			return ids
		},
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc.Run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}
