// Package esdbstore is an eventstore.Store over KurrentDB/EventStoreDB, through the official Go client
// (github.com/EventStore/EventStore-Client-Go/v4/esdb).
//
// The mapping is thin because eventstore.Store is shaped after EventStoreDB: streams, expected revisions,
// $all in commit order, catch-up subscriptions. Positions are the server's commit positions, which are log
// offsets: they grow with every event but leave gaps. System events (streams or types starting with '$') are
// the server's own and are never returned: reads of $all skip them and subscriptions filter them out on the
// server.
//
// Errors are the contract's: a wrong expected version is *eventstore.WrongExpectedRevisionError, a missing
// stream eventstore.ErrStreamNotFound, refused credentials eventstore.ErrAccessDenied, an unreachable server or
// one without a leader eventstore.ErrUnavailable, each wrapping the client's error.
package esdbstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/pbledger/pbledger/eventstore"
)

// Store is an eventstore.Store on a KurrentDB/EventStoreDB server or cluster. Create it with Open.
type Store struct {
	client *esdb.Client

	mu       sync.Mutex
	closed   bool
	subs     map[*subscription]struct{}
	done     chan struct{} // closed by Close
	inflight sync.WaitGroup
	base     context.Context // cancelled by Close, ending calls in flight
	stop     context.CancelFunc
	seen     positions
}

// positions remembers the prepare positions of recently seen events by their commit positions. KurrentDB
// reads $all only from a valid position (an event's commit and prepare pair) and rejects an offset inside a
// record, while the contract's callers page with "the last position + 1": such a read starts at the last
// event, a valid position, and skips it.
type positions struct {
	mu    sync.Mutex
	m     map[uint64]uint64
	order []uint64
}

const positionsKept = 1 << 14

func (p *positions) add(pos esdb.Position) {
	if pos.Commit == ^uint64(0) { // not known (older servers' stream reads)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = make(map[uint64]uint64, positionsKept)
	}
	if _, ok := p.m[pos.Commit]; ok {
		return
	}
	if len(p.order) >= positionsKept {
		delete(p.m, p.order[0])
		p.order = p.order[1:]
	}
	p.m[pos.Commit] = pos.Prepare
	p.order = append(p.order, pos.Commit)
}

// from returns where to start reading $all to get the events at or after commit position from.
func (p *positions) from(from uint64) esdb.Position {
	p.mu.Lock()
	defer p.mu.Unlock()
	if prep, ok := p.m[from-1]; ok && from > 0 {
		return esdb.Position{Commit: from - 1, Prepare: prep}
	}
	if prep, ok := p.m[from]; ok {
		return esdb.Position{Commit: from, Prepare: prep}
	}
	return esdb.Position{Commit: from, Prepare: from}
}

// at returns the valid position of the event at commit position pos, as well as it is known.
func (p *positions) at(pos uint64) esdb.Position {
	p.mu.Lock()
	defer p.mu.Unlock()
	if prep, ok := p.m[pos]; ok {
		return esdb.Position{Commit: pos, Prepare: prep}
	}
	return esdb.Position{Commit: pos, Prepare: pos}
}

// Open connects to the server a KurrentDB connection string names, e.g. "esdb://127.0.0.1:2113?tls=false",
// "esdb://admin:changeit@node1:2113,node2:2113,node3:2113?tlsCAFile=ca.crt" or "kurrentdb+discover://…".
// The client connects lazily: an unreachable server shows as ErrUnavailable on the first call.
func Open(ctx context.Context, connectionString string) (*Store, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cs := connectionString
	// KurrentDB's new scheme names are the same protocol; the v4 client knows the old ones.
	for _, p := range [][2]string{{"kurrentdb+discover://", "esdb+discover://"}, {"kurrentdb://", "esdb://"}, {"kurrent://", "esdb://"}} {
		if rest, ok := strings.CutPrefix(cs, p[0]); ok {
			cs = p[1] + rest
		}
	}
	conf, err := esdb.ParseConnectionString(cs)
	if err != nil {
		return nil, fmt.Errorf("esdbstore: connection string: %w", err)
	}
	conf.Logger = esdb.NoopLogging()
	client, err := esdb.NewClient(conf)
	if err != nil {
		return nil, fmt.Errorf("esdbstore: %w", err)
	}
	base, stop := context.WithCancel(context.WithoutCancel(ctx))
	return &Store{client: client, subs: map[*subscription]struct{}{}, done: make(chan struct{}), base: base, stop: stop}, nil
}

// IsConnectionString reports whether s looks like a KurrentDB/EventStoreDB connection string (as opposed to a
// directory).
func IsConnectionString(s string) bool {
	for _, p := range []string{"esdb://", "esdb+discover://", "kurrentdb://", "kurrentdb+discover://", "kurrent://"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// begin starts a call: it fails if ctx is done or the store closed, and otherwise returns a context that
// Close also cancels, and the function that ends the call. Close waits for calls in flight, since the
// client must not be used once closed.
func (s *Store) begin(ctx context.Context) (context.Context, func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, nil, eventstore.ErrClosed
	}
	s.inflight.Add(1)
	c, cancel := context.WithCancel(ctx)
	unhook := context.AfterFunc(s.base, cancel)
	var once sync.Once
	return c, func() { once.Do(func() { unhook(); cancel(); s.inflight.Done() }) }, nil
}

// mapError turns the client's error into the contract's, keeping the client's as the cause.
func (s *Store) mapError(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return fmt.Errorf("esdbstore: %s: %w", op, eventstore.ErrClosed)
	}
	var e *esdb.Error
	if errors.As(err, &e) {
		switch e.Code() {
		case esdb.ErrorCodeResourceNotFound:
			return fmt.Errorf("esdbstore: %s: %w (%v)", op, eventstore.ErrStreamNotFound, err)
		case esdb.ErrorCodeAccessDenied, esdb.ErrorCodeUnauthenticated:
			return fmt.Errorf("esdbstore: %s: %w (%v)", op, eventstore.ErrAccessDenied, err)
		case esdb.ErrorUnavailable, esdb.ErrorCodeNotLeader, esdb.ErrorCodeDeadlineExceeded, esdb.ErrorAborted:
			return fmt.Errorf("esdbstore: %s: %w (%v)", op, eventstore.ErrUnavailable, err)
		case esdb.ErrorCodeResourceAlreadyExists:
			return fmt.Errorf("esdbstore: %s: %w (%v)", op, eventstore.ErrDuplicateEventID, err)
		case esdb.ErrorCodeConnectionClosed:
			return fmt.Errorf("esdbstore: %s: %w (%v)", op, eventstore.ErrClosed, err)
		}
	}
	// Subscriptions report the transport's own status when the connection drops.
	switch status.Code(err) {
	case codes.Unavailable, codes.Aborted:
		return fmt.Errorf("esdbstore: %s: %w (%v)", op, eventstore.ErrUnavailable, err)
	case codes.PermissionDenied, codes.Unauthenticated:
		return fmt.Errorf("esdbstore: %s: %w (%v)", op, eventstore.ErrAccessDenied, err)
	}
	return fmt.Errorf("esdbstore: %s: %w", op, err)
}

func expectedRevision(e eventstore.ExpectedRevision) esdb.ExpectedRevision {
	switch {
	case e.IsNoStream():
		return esdb.NoStream{}
	case e.IsStreamExists():
		return esdb.StreamExists{}
	}
	if r, ok := e.ExactRevision(); ok {
		return esdb.Revision(uint64(r))
	}
	return esdb.Any{}
}

// wrongVersion matches the client's description of a wrong expected version; the v4 client carries the
// actual revision only in its message.
var wrongVersion = regexp.MustCompile(`expecting '[^']*' but got '([^']*)'`)

// Append implements eventstore.Store.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if err := eventstore.ValidateAppend(stream, events); err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("esdbstore: append %s: %w", stream, err)
	}
	outer := ctx
	ctx, end, err := s.begin(ctx)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	defer end()
	data := make([]esdb.EventData, len(events))
	for i, e := range events {
		ct := esdb.ContentTypeBinary
		if json.Valid(e.Data) {
			ct = esdb.ContentTypeJson
		}
		data[i] = esdb.EventData{EventID: e.ID, EventType: e.Type, ContentType: ct, Data: e.Data, Metadata: e.Metadata}
	}
	res, err := s.client.AppendToStream(ctx, stream, esdb.AppendToStreamOptions{ExpectedRevision: expectedRevision(expected)}, data...)
	if err != nil {
		var e *esdb.Error
		if errors.As(err, &e) && e.Code() == esdb.ErrorCodeWrongExpectedVersion {
			end()
			return eventstore.AppendResult{}, s.wrongExpected(outer, stream, expected, err)
		}
		return eventstore.AppendResult{}, s.mapError(outer, "append "+stream, err)
	}
	s.seen.add(esdb.Position{Commit: res.CommitPosition, Prepare: res.PreparePosition})
	return eventstore.AppendResult{NextRevision: eventstore.Revision(res.NextExpectedVersion), Position: eventstore.Position(res.CommitPosition)}, nil
}

// wrongExpected builds the contract's error from the client's, reading the stream's last revision if the
// message does not carry it.
func (s *Store) wrongExpected(ctx context.Context, stream string, expected eventstore.ExpectedRevision, cause error) error {
	w := &eventstore.WrongExpectedRevisionError{Stream: stream, Expected: expected}
	if m := wrongVersion.FindStringSubmatch(cause.Error()); m != nil {
		if n, err := strconv.ParseUint(m[1], 10, 64); err == nil {
			w.Actual, w.Exists = eventstore.Revision(n), true
		} else if m[1] != "no_stream" && m[1] != "-1" {
			m = nil
		}
	}
	if !w.Exists {
		// Not in the message (or "no stream"): ask the stream itself.
		last, err := s.ReadStream(ctx, stream, eventstore.Backwards, eventstore.End, 1)
		if err == nil && len(last) == 1 {
			w.Actual, w.Exists = last[0].Revision, true
		}
	}
	return fmt.Errorf("esdbstore: %w", w)
}

func recorded(e *esdb.RecordedEvent) eventstore.RecordedEvent {
	return eventstore.RecordedEvent{
		StreamID: e.StreamID,
		ID:       e.EventID,
		Type:     e.EventType,
		Data:     nonNil(e.Data),
		Metadata: nonNil(e.UserMetadata),
		Revision: eventstore.Revision(e.EventNumber),
		Position: eventstore.Position(e.Position.Commit),
		Recorded: e.CreatedDate.UTC(),
	}
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// system reports whether an event is the server's own: pbledger never writes to '$' streams or types.
func system(e *esdb.RecordedEvent) bool {
	return strings.HasPrefix(e.StreamID, "$") || strings.HasPrefix(e.EventType, "$")
}

// ReadStream implements eventstore.Store.
func (s *Store) ReadStream(ctx context.Context, stream string, dir eventstore.Direction, from eventstore.Revision, max int) ([]eventstore.RecordedEvent, error) {
	outer := ctx
	ctx, end, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer end()
	opts := esdb.ReadStreamOptions{Direction: esdb.Forwards, From: esdb.Revision(uint64(from))}
	if dir == eventstore.Backwards {
		opts.Direction = esdb.Backwards
		if from == eventstore.End {
			opts.From = esdb.End{}
		}
	}
	if max <= 0 {
		max = 1
	}
	rs, err := s.client.ReadStream(ctx, stream, opts, uint64(max))
	if err != nil {
		return nil, s.mapError(outer, "read "+stream, err)
	}
	defer rs.Close()
	out := []eventstore.RecordedEvent{}
	for {
		ev, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, s.mapError(outer, "read "+stream, err)
		}
		if e := ev.OriginalEvent(); e != nil {
			s.seen.add(e.Position)
			out = append(out, recorded(e))
		}
	}
}

// ReadAll implements eventstore.Store. Reading starts at from, which need not be an event's position: events
// before it are skipped.
func (s *Store) ReadAll(ctx context.Context, from eventstore.Position, max int) ([]eventstore.RecordedEvent, error) {
	outer := ctx
	ctx, end, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer end()
	out := []eventstore.RecordedEvent{}
	if max <= 0 {
		return out, nil
	}
	var pos esdb.AllPosition = esdb.Start{}
	if from > 0 {
		pos = s.seen.from(uint64(from))
	}
	for {
		rs, err := s.client.ReadAll(ctx, esdb.ReadAllOptions{Direction: esdb.Forwards, From: pos}, uint64(max+1))
		if err != nil {
			return nil, s.mapError(outer, "read $all", err)
		}
		n := 0
		var last *esdb.RecordedEvent
		for {
			ev, err := rs.Recv()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				rs.Close()
				return nil, s.mapError(outer, "read $all", err)
			}
			e := ev.OriginalEvent()
			if e == nil {
				continue
			}
			n++
			last = e
			s.seen.add(e.Position)
			if system(e) || eventstore.Position(e.Position.Commit) < from || (len(out) > 0 && eventstore.Position(e.Position.Commit) <= out[len(out)-1].Position) {
				continue
			}
			if len(out) < max {
				out = append(out, recorded(e))
			}
		}
		rs.Close()
		// A page short of what was asked is the end of the log; a full page that was partly system events (or
		// started at the event before from) needs another.
		if n < max+1 || len(out) >= max || last == nil {
			return out, nil
		}
		pos = esdb.Position{Commit: last.Position.Commit, Prepare: last.Position.Prepare}
	}
}

// Head implements eventstore.Store: the position of the last event that is not the server's own.
func (s *Store) Head(ctx context.Context) (eventstore.Position, error) {
	outer := ctx
	ctx, end, err := s.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer end()
	var pos esdb.AllPosition = esdb.End{}
	const page = 64
	for {
		rs, err := s.client.ReadAll(ctx, esdb.ReadAllOptions{Direction: esdb.Backwards, From: pos}, page)
		if err != nil {
			return 0, s.mapError(outer, "head", err)
		}
		n := 0
		var last *esdb.RecordedEvent
		for {
			ev, err := rs.Recv()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				rs.Close()
				return 0, s.mapError(outer, "head", err)
			}
			e := ev.OriginalEvent()
			if e == nil {
				continue
			}
			n++
			if !system(e) {
				rs.Close()
				return eventstore.Position(e.Position.Commit), nil
			}
			last = e
		}
		rs.Close()
		if n < page || last == nil {
			return eventstore.Start, nil
		}
		pos = esdb.Position{Commit: last.Position.Commit, Prepare: last.Position.Prepare}
	}
}

// SubscribeAll implements eventstore.Store with a catch-up subscription to $all that the server filters to
// non-system events. The server says when the subscription has caught up (KurrentDB/EventStoreDB 23.10 and
// later, and pbledger's own endpoint); the client's flow control keeps a slow subscriber from holding more
// than a few messages.
func (s *Store) SubscribeAll(ctx context.Context, after eventstore.Position) (eventstore.Subscription, error) {
	outer := ctx
	ctx, end, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer end()
	var from esdb.AllPosition = esdb.Start{}
	if after > 0 {
		from = s.seen.at(uint64(after)) // subscribing from an event's position delivers what follows it
	}
	subCtx, cancel := context.WithCancel(s.base)
	inner, err := s.client.SubscribeToAll(subCtx, esdb.SubscribeToAllOptions{From: from, Filter: esdb.ExcludeSystemEventsFilter()})
	if err != nil {
		cancel()
		return nil, s.mapError(outer, "subscribe $all", err)
	}
	sub := &subscription{store: s, inner: inner, cancel: cancel, after: after, msgs: make(chan subMsg), done: make(chan struct{})}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		inner.Close()
		cancel()
		return nil, eventstore.ErrClosed
	}
	s.subs[sub] = struct{}{}
	s.mu.Unlock()
	go sub.pump()
	return sub, nil
}

type subMsg struct {
	m   eventstore.Message
	err error
}

type subscription struct {
	store  *Store
	inner  *esdb.Subscription
	cancel context.CancelFunc
	after  eventstore.Position
	msgs   chan subMsg // unbuffered: the pump holds at most one message
	once   sync.Once
	done   chan struct{}
}

// pump turns the client's blocking Recv into messages for Next, one at a time.
func (sub *subscription) pump() {
	caughtUp := false
	last := sub.after
	for {
		ev := sub.inner.Recv()
		var m subMsg
		switch {
		case ev.SubscriptionDropped != nil:
			m.err = ev.SubscriptionDropped.Error
		case ev.EventAppeared != nil:
			e := ev.EventAppeared.OriginalEvent()
			if e == nil || system(e) || eventstore.Position(e.Position.Commit) <= last {
				continue
			}
			sub.store.seen.add(e.Position)
			r := recorded(e)
			last = r.Position
			m.m.Event = &r
		case ev.CaughtUp != nil:
			if caughtUp {
				continue
			}
			caughtUp = true
			m.m.CaughtUp = true
		default:
			continue // checkpoints and fell-behind notices
		}
		select {
		case sub.msgs <- m:
		case <-sub.done:
			return
		}
		if m.err != nil {
			return
		}
	}
}

// Next implements eventstore.Subscription.
func (sub *subscription) Next(ctx context.Context) (eventstore.Message, error) {
	if err := ctx.Err(); err != nil {
		return eventstore.Message{}, err
	}
	select {
	case m := <-sub.msgs:
		if m.err != nil {
			select {
			case <-sub.done:
				return eventstore.Message{}, eventstore.ErrClosed
			default:
			}
			return eventstore.Message{}, sub.store.mapError(ctx, "subscription", m.err)
		}
		return m.m, nil
	case <-sub.done:
		return eventstore.Message{}, eventstore.ErrClosed
	case <-ctx.Done():
		return eventstore.Message{}, ctx.Err()
	}
}

// Close implements eventstore.Subscription.
func (sub *subscription) Close() error {
	sub.once.Do(func() {
		close(sub.done)
		sub.inner.Close()
		sub.cancel()
		sub.store.mu.Lock()
		delete(sub.store.subs, sub)
		sub.store.mu.Unlock()
	})
	return nil
}

// Close implements eventstore.Store: it ends every subscription and closes the connection.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	subs := make([]*subscription, 0, len(s.subs))
	for sub := range s.subs {
		subs = append(subs, sub)
	}
	close(s.done)
	s.mu.Unlock()
	for _, sub := range subs {
		sub.Close()
	}
	s.stop()
	s.inflight.Wait()
	return s.client.Close()
}

var _ eventstore.Store = (*Store)(nil)
