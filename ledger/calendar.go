package ledger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/eventstore"
)

// stamped returns req with At set (to now when the caller left it zero).
func (r Request) stamped() Request {
	if r.At.IsZero() {
		r.At = time.Now()
	}
	return r
}

// checkCalendar checks what the domain cannot without the time zone database: that the cycle's time zone
// exists and that every date of its schedule is written with that zone's offset at that date, so that a
// date typed with last year's offset (Almaty moved from +06:00 to +05:00 in 2024) is caught when the cycle
// opens rather than an hour off on voting day.
func checkCalendar(cmd domain.OpenCycle) error {
	if cmd.TimeZone == "" {
		return nil
	}
	loc, err := time.LoadLocation(cmd.TimeZone)
	if err != nil {
		return &domain.Error{Code: domain.CodeInvalid, Err: domain.ErrInvalid,
			Message: fmt.Sprintf("time_zone %q is not a known IANA time zone; use a name such as \"Asia/Almaty\"", cmd.TimeZone)}
	}
	for _, d := range cmd.Schedule {
		if err := checkOffset(loc, cmd.TimeZone, "schedule: phase "+fmt.Sprintf("%q", d.Phase)+" starts", d.Starts); err != nil {
			return err
		}
	}
	return nil
}

// checkOffset reports an error unless t is written with zone's offset at t; what names the date.
func checkOffset(loc *time.Location, zone, what string, t time.Time) error {
	_, offset := t.Zone()
	if _, want := t.In(loc).Zone(); offset != want {
		return &domain.Error{Code: domain.CodeInvalid, Err: domain.ErrInvalid,
			Message: fmt.Sprintf("%s at %s, but %s is at UTC%s on that date; write it as %s",
				what, t.Format(time.RFC3339), zone, t.In(loc).Format("-07:00"), t.In(loc).Format(time.RFC3339))}
	}
	return nil
}

// AdvanceDue advances a cycle to its next phase if the calendar says it is due at req.At (now when zero).
// advanced is false when nothing was due. Several servers may call it for the same cycle at the same moment:
// the append expects the cycle stream's revision it loaded and the command names the phase it moves to, so
// exactly one of them records the PhaseAdvanced; the others get a conflict (ErrWrongExpectedRevision or
// ErrWrongPhase), which means the work is done.
func (s *Service) AdvanceDue(ctx context.Context, req Request, id domain.CycleID) (w Written, advanced bool, err error) {
	req = req.stamped()
	ce, _, err := s.openedCycle(ctx, id)
	if err != nil || ce == nil {
		return Written{}, false, err
	}
	ce.lock.RLock()
	c, err := s.currentCycle(ctx, id, ce)
	ce.lock.RUnlock()
	if err != nil {
		return Written{}, false, err
	}
	if _, due := c.DuePhase(req.At); !due {
		return Written{}, false, nil
	}
	// The cached state said a move is due; decide again on the state loaded from the store.
	w, err = s.cycleCommand(ctx, req, id, "AdvancePhase", func(c *domain.Cycle) error {
		next, due := c.DuePhase(req.At)
		if !due {
			return errNotDue
		}
		return c.AdvancePhase(domain.AdvancePhase{CycleID: id, To: next, Scheduled: true, At: req.At})
	})
	switch {
	case errors.Is(err, errNotDue):
		ce.cur.Store(nil) // the cache was behind the store: reload it next time
		return Written{}, false, nil
	case errors.Is(err, eventstore.ErrWrongExpectedRevision):
		return Written{}, false, nil // another server advanced it first
	case err != nil:
		return Written{}, false, err
	}
	return w, true, nil
}

var errNotDue = errors.New("no phase change is due")

// Scheduler advances cycles' phases when their dates come. Run one in every server: they agree through the
// store (see AdvanceDue).
type Scheduler struct {
	Service *Service
	// Cycles lists the cycles to watch (the read model's list).
	Cycles func() []domain.CycleID
	// Every is how often to look; default one second.
	Every time.Duration
	// Request names the scheduler in the events' metadata; default principal "scheduler", role "system".
	Request Request
	Logger  *slog.Logger
	// Advanced, if set, is called after each phase change the scheduler recorded.
	Advanced func(id domain.CycleID, w Written)
}

// Run looks for due phase changes until ctx ends.
func (sc *Scheduler) Run(ctx context.Context) {
	every := sc.Every
	if every <= 0 {
		every = time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	failing := map[domain.CycleID]string{}
	for {
		for _, id := range sc.Cycles() {
			if ctx.Err() != nil {
				return
			}
			if err := sc.Tick(ctx, id, time.Time{}); err != nil {
				// A due change the domain refuses (e.g. allocation not finished) is retried each tick but
				// logged once per distinct reason.
				if msg := err.Error(); failing[id] != msg && sc.Logger != nil {
					sc.Logger.Warn("scheduled phase change refused", "cycle", id, "err", err)
					failing[id] = msg
				}
			} else {
				delete(failing, id)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Tick advances one cycle as far as its calendar says at now (zero: the current time), one phase per due
// date that has passed.
func (sc *Scheduler) Tick(ctx context.Context, id domain.CycleID, now time.Time) error {
	req := sc.Request
	if req.Principal == "" {
		req.Principal, req.Role = "scheduler", "system"
	}
	for range 16 { // at most the plan's length
		req.At = now
		req.RequestID = "schedule:" + string(id)
		w, advanced, err := sc.Service.AdvanceDue(ctx, req, id)
		if err != nil || !advanced {
			return err
		}
		if sc.Advanced != nil {
			sc.Advanced(id, w)
		}
		if sc.Logger != nil {
			sc.Logger.Info("phase advanced by the calendar", "cycle", id, "position", w.Position)
		}
	}
	return nil
}
