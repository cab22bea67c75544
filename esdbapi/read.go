package esdbapi

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"

	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/pbledger/pbledger/eventstore"
)

// page is how many events one store read asks for.
const page = 1000

// Read implements Streams.Read: a read of a stream or of $all in either direction, or a catch-up
// subscription to either. A subscription's first message is its confirmation; the caught-up message follows
// the last event that was stored when the subscription reached the head of the log.
func (s *Server) Read(req *api.ReadReq, out api.Streams_ReadServer) error {
	ctx := out.Context()
	full, err := s.authenticate(ctx)
	if err != nil {
		return err
	}
	o := req.GetOptions()
	if o == nil {
		return status.Error(codes.InvalidArgument, "a read needs options")
	}
	r := reader{s: s, out: out, ctx: ctx, stringIDs: o.GetUuidOption().GetString_() != nil}
	if !full {
		r.public = s.cfg.PublicData
	}
	if r.filter, err = newFilter(o.GetFilter()); err != nil {
		return status.Errorf(codes.InvalidArgument, "filter: %v", err)
	}
	backwards := o.ReadDirection == api.ReadReq_Options_Backwards
	subscribe := o.GetSubscription() != nil
	switch so := o.StreamOption.(type) {
	case *api.ReadReq_Options_Stream:
		name := string(so.Stream.GetStreamIdentifier().GetStreamName())
		if subscribe {
			err = r.subscribeStream(ctx, name, so.Stream)
		} else {
			err = r.readStream(ctx, name, so.Stream, backwards, o.GetCount())
		}
	case *api.ReadReq_Options_All:
		if subscribe {
			err = r.subscribeAll(ctx, so.All)
		} else if backwards {
			err = r.readAllBackwards(ctx, so.All, o.GetCount())
		} else {
			err = r.readAllForwards(ctx, so.All, o.GetCount())
		}
	default:
		return status.Error(codes.InvalidArgument, "a read names a stream or $all")
	}
	if err != nil {
		if _, ok := status.FromError(err); ok {
			return err
		}
		return storeError(err)
	}
	return nil
}

type reader struct {
	s         *Server
	out       api.Streams_ReadServer
	ctx       context.Context
	stringIDs bool
	filter    func(*eventstore.RecordedEvent) bool
	public    func(context.Context, eventstore.RecordedEvent) []byte // nil: the data as stored
}

func (r *reader) send(e *eventstore.RecordedEvent) error {
	data := e.Data
	if r.public != nil {
		data = r.public(r.ctx, *e)
	}
	return r.out.Send(readEvent(e, data, r.stringIDs))
}

// newFilter builds the server-side filter of a read or subscription of $all: by stream name or event type, as
// prefixes or a regular expression.
func newFilter(f *api.ReadReq_Options_FilterOptions) (func(*eventstore.RecordedEvent) bool, error) {
	if f == nil {
		return func(*eventstore.RecordedEvent) bool { return true }, nil
	}
	var expr *api.ReadReq_Options_FilterOptions_Expression
	byType := false
	switch x := f.Filter.(type) {
	case *api.ReadReq_Options_FilterOptions_StreamIdentifier:
		expr = x.StreamIdentifier
	case *api.ReadReq_Options_FilterOptions_EventType:
		expr, byType = x.EventType, true
	default:
		return func(*eventstore.RecordedEvent) bool { return true }, nil
	}
	field := func(e *eventstore.RecordedEvent) string {
		if byType {
			return e.Type
		}
		return e.StreamID
	}
	if prefixes := expr.GetPrefix(); len(prefixes) > 0 {
		return func(e *eventstore.RecordedEvent) bool {
			return slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(field(e), p) })
		}, nil
	}
	if expr.GetRegex() == "" {
		return func(*eventstore.RecordedEvent) bool { return true }, nil
	}
	re, err := regexp.Compile(expr.GetRegex())
	if err != nil {
		return nil, err
	}
	return func(e *eventstore.RecordedEvent) bool { return re.MatchString(field(e)) }, nil
}

func (r *reader) readStream(ctx context.Context, name string, o *api.ReadReq_Options_StreamOptions, backwards bool, count uint64) error {
	dir := eventstore.Forwards
	from := eventstore.Revision(0)
	switch x := o.RevisionOption.(type) {
	case *api.ReadReq_Options_StreamOptions_Revision:
		from = eventstore.Revision(x.Revision)
	case *api.ReadReq_Options_StreamOptions_End:
		from = eventstore.End
	}
	if backwards {
		dir = eventstore.Backwards
	} else if from == eventstore.End {
		return nil // forwards from the end: nothing yet
	}
	first := true
	for count > 0 {
		evs, err := r.s.cfg.Store.ReadStream(ctx, name, dir, from, int(min(count, page)))
		if errors.Is(err, eventstore.ErrStreamNotFound) && first {
			return r.out.Send(&api.ReadResp{Content: &api.ReadResp_StreamNotFound_{StreamNotFound: &api.ReadResp_StreamNotFound{
				StreamIdentifier: o.GetStreamIdentifier()}}})
		}
		if err != nil {
			return err
		}
		first = false
		for i := range evs {
			if err := r.send(&evs[i]); err != nil {
				return err
			}
		}
		count -= uint64(len(evs))
		if len(evs) < page {
			return nil
		}
		last := evs[len(evs)-1].Revision
		if backwards {
			if last == 0 {
				return nil
			}
			from = last - 1
		} else {
			from = last + 1
		}
	}
	return nil
}

func (r *reader) readAllForwards(ctx context.Context, o *api.ReadReq_Options_AllOptions, count uint64) error {
	from := eventstore.Start
	switch x := o.AllOption.(type) {
	case *api.ReadReq_Options_AllOptions_Position:
		from = eventstore.Position(x.Position.GetCommitPosition())
	case *api.ReadReq_Options_AllOptions_End:
		return nil
	}
	for count > 0 {
		evs, err := r.s.cfg.Store.ReadAll(ctx, from, page)
		if err != nil {
			return err
		}
		for i := range evs {
			if count == 0 {
				return nil
			}
			if r.filter(&evs[i]) {
				if err := r.send(&evs[i]); err != nil {
					return err
				}
				count--
			}
		}
		if len(evs) < page {
			return nil
		}
		from = evs[len(evs)-1].Position + 1
	}
	return nil
}

// readAllBackwards reads $all from newest to oldest. The store reads $all only forwards and its positions may
// have gaps, so it reads forwards over windows below the upper bound, widening a window until it holds
// enough events or reaches the start of the log.
func (r *reader) readAllBackwards(ctx context.Context, o *api.ReadReq_Options_AllOptions, count uint64) error {
	var hi eventstore.Position // inclusive upper bound
	switch x := o.AllOption.(type) {
	case *api.ReadReq_Options_AllOptions_Position:
		if x.Position.GetCommitPosition() == 0 {
			return nil
		}
		hi = eventstore.Position(x.Position.GetCommitPosition()) - 1 // reading backwards from a position excludes it
	case *api.ReadReq_Options_AllOptions_Start:
		return nil
	default:
		h, err := r.s.cfg.Store.Head(ctx)
		if err != nil {
			return err
		}
		hi = h
	}
	for count > 0 && hi > eventstore.Start {
		need := int(min(count, page))
		span := eventstore.Position(need)
		for {
			lo := eventstore.Position(1)
			if hi > span {
				lo = hi - span + 1
			}
			evs, err := r.window(ctx, lo, hi)
			if err != nil {
				return err
			}
			if len(evs) < need && lo > 1 {
				span *= 4
				continue
			}
			n := 0
			for i := len(evs) - 1; i >= 0 && n < need; i-- {
				if err := r.send(&evs[i]); err != nil {
					return err
				}
				n++
				hi = evs[i].Position - 1
			}
			count -= uint64(n)
			if lo == 1 {
				return nil
			}
			break
		}
	}
	return nil
}

// window returns the events (that pass the filter) whose positions are in [lo, hi].
func (r *reader) window(ctx context.Context, lo, hi eventstore.Position) ([]eventstore.RecordedEvent, error) {
	var out []eventstore.RecordedEvent
	for from := lo; ; {
		evs, err := r.s.cfg.Store.ReadAll(ctx, from, page)
		if err != nil {
			return nil, err
		}
		for i := range evs {
			if evs[i].Position > hi {
				return out, nil
			}
			if r.filter(&evs[i]) {
				out = append(out, evs[i])
			}
		}
		if len(evs) < page {
			return out, nil
		}
		from = evs[len(evs)-1].Position + 1
	}
}

func (r *reader) confirm() error {
	return r.out.Send(&api.ReadResp{Content: &api.ReadResp_Confirmation{Confirmation: &api.ReadResp_SubscriptionConfirmation{
		SubscriptionId: uuid.NewString()}}})
}

func (r *reader) caughtUp() error {
	return r.out.Send(&api.ReadResp{Content: &api.ReadResp_CaughtUp_{CaughtUp: &api.ReadResp_CaughtUp{}}})
}

func (r *reader) subscribeAll(ctx context.Context, o *api.ReadReq_Options_AllOptions) error {
	after := eventstore.Start
	switch x := o.AllOption.(type) {
	case *api.ReadReq_Options_AllOptions_Position:
		after = eventstore.Position(x.Position.GetCommitPosition())
	case *api.ReadReq_Options_AllOptions_End:
		h, err := r.s.cfg.Store.Head(ctx)
		if err != nil {
			return err
		}
		after = h
	}
	sub, err := r.s.cfg.Store.SubscribeAll(ctx, after)
	if err != nil {
		return err
	}
	defer sub.Close()
	if err := r.confirm(); err != nil {
		return err
	}
	return r.follow(ctx, sub, true, func(e *eventstore.RecordedEvent) bool { return r.filter(e) })
}

// follow relays a subscription's messages until the client goes away or the store closes.
func (r *reader) follow(ctx context.Context, sub eventstore.Subscription, relayCaughtUp bool, keep func(*eventstore.RecordedEvent) bool) error {
	for {
		m, err := sub.Next(ctx)
		if ctx.Err() != nil {
			return nil // the client ended the subscription
		}
		if err != nil {
			return err
		}
		if m.CaughtUp {
			if !relayCaughtUp {
				continue
			}
			if err := r.caughtUp(); err != nil {
				return err
			}
			continue
		}
		if keep(m.Event) {
			if err := r.send(m.Event); err != nil {
				return err
			}
		}
	}
}

// subscribeStream is a catch-up subscription to one stream: the stream's events after the given revision are
// read from the stream, then the caught-up message, then new events from a subscription to $all that starts
// at the head found before the stream was read (events appended meanwhile are sent once, by revision).
func (r *reader) subscribeStream(ctx context.Context, name string, o *api.ReadReq_Options_StreamOptions) error {
	head, err := r.s.cfg.Store.Head(ctx)
	if err != nil {
		return err
	}
	next := eventstore.Revision(0) // the first revision to send
	catchUp := true
	switch x := o.RevisionOption.(type) {
	case *api.ReadReq_Options_StreamOptions_Revision:
		next = eventstore.Revision(x.Revision) + 1 // subscribing from a revision excludes it
	case *api.ReadReq_Options_StreamOptions_End:
		catchUp = false
		last, err := r.s.cfg.Store.ReadStream(ctx, name, eventstore.Backwards, eventstore.End, 1)
		if err != nil && !errors.Is(err, eventstore.ErrStreamNotFound) {
			return err
		}
		if len(last) == 1 {
			next = last[0].Revision + 1
		}
	}
	sub, err := r.s.cfg.Store.SubscribeAll(ctx, head)
	if err != nil {
		return err
	}
	defer sub.Close()
	if err := r.confirm(); err != nil {
		return err
	}
	for catchUp {
		evs, err := r.s.cfg.Store.ReadStream(ctx, name, eventstore.Forwards, next, page)
		if errors.Is(err, eventstore.ErrStreamNotFound) {
			break
		}
		if err != nil {
			return err
		}
		for i := range evs {
			if err := r.send(&evs[i]); err != nil {
				return err
			}
			next = evs[i].Revision + 1
		}
		if len(evs) < page {
			break
		}
	}
	if err := r.caughtUp(); err != nil {
		return err
	}
	return r.follow(ctx, sub, false, func(e *eventstore.RecordedEvent) bool {
		if e.StreamID != name || e.Revision < next {
			return false
		}
		next = e.Revision + 1
		return true
	})
}
