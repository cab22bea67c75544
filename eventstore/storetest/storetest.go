// Package storetest is the contract suite every eventstore.Store backend runs: the rules of
// eventstore.Store, checked the same way for the embedded file store and for EventStoreDB.
//
// The suite uses its own, unique stream names and reads the global log only from the head it found when
// each test started, so it can run against a shared server that already holds events.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pbledger/pbledger/eventstore"
)

// Backend tells the suite how to get stores.
type Backend struct {
	// Open returns a store for one test. The test closes it.
	Open func(tb testing.TB) eventstore.Store
	// Reopen closes s and opens the same data again.
	Reopen func(tb testing.TB, s eventstore.Store) eventstore.Store
	// Dense says the backend numbers positions 1, 2, 3, … with no gaps, as the file store does.
	Dense bool
}

// Run runs the whole contract suite against b.
func Run(t *testing.T, b Backend) {
	tests := []struct {
		name string
		fn   func(t *testing.T, b Backend)
	}{
		{"AppendThenReadStream", testAppendThenReadStream},
		{"ReadStreamDirections", testReadStreamDirections},
		{"ReadStreamMissing", testReadStreamMissing},
		{"ExpectedRevision", testExpectedRevision},
		{"FailedAppendStoresNothing", testFailedAppendStoresNothing},
		{"IdempotentRetry", testIdempotentRetry},
		{"ReadAllInGlobalOrder", testReadAll},
		{"SubscribeCatchUpThenLive", testSubscribeCatchUpThenLive},
		{"SubscribeRacingAppends", testSubscribeRacingAppends},
		{"SlowSubscriberDoesNotStallAppends", testSlowSubscriber},
		{"ConcurrentExactAppendsOneWinsEachRound", testConcurrentExact},
		{"ConcurrentAppendsToManyStreams", testConcurrentManyStreams},
		{"ReopenKeepsEverything", testReopen},
		{"CancelledContext", testCancelledContext},
		{"Closed", testClosed},
		{"OrdinalsCountTheGlobalOrder", testOrdinals},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, b) })
	}
}

func open(t *testing.T, b Backend) eventstore.Store {
	t.Helper()
	s := b.Open(t)
	t.Cleanup(func() { s.Close() })
	return s
}

// ctx returns a context that only guards against a hung test; no assertion depends on it.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

func streamName(prefix string) string { return prefix + "-" + uuid.NewString() }

// Event returns an event with a fresh ID, the given type and a JSON body holding n.
func Event(typ string, n int) eventstore.EventData {
	return eventstore.EventData{
		ID:       uuid.New(),
		Type:     typ,
		Data:     []byte(fmt.Sprintf(`{"n":%d}`, n)),
		Metadata: []byte(fmt.Sprintf(`{"principal":"test","request":"r%d"}`, n)),
	}
}

func events(typ string, from, n int) []eventstore.EventData {
	out := make([]eventstore.EventData, n)
	for i := range out {
		out[i] = Event(typ, from+i)
	}
	return out
}

func mustAppend(tb testing.TB, s eventstore.Store, stream string, exp eventstore.ExpectedRevision, evs ...eventstore.EventData) eventstore.AppendResult {
	tb.Helper()
	res, err := s.Append(context.Background(), stream, exp, evs...)
	if err != nil {
		tb.Fatalf("append %s (%s): %v", stream, exp, err)
	}
	return res
}

func mustReadStream(tb testing.TB, s eventstore.Store, stream string, dir eventstore.Direction, from eventstore.Revision, max int) []eventstore.RecordedEvent {
	tb.Helper()
	evs, err := s.ReadStream(context.Background(), stream, dir, from, max)
	if err != nil {
		tb.Fatalf("read %s: %v", stream, err)
	}
	return evs
}

func mustHead(tb testing.TB, s eventstore.Store) eventstore.Position {
	tb.Helper()
	h, err := s.Head(context.Background())
	if err != nil {
		tb.Fatalf("head: %v", err)
	}
	return h
}

// readAllAfter reads every event after position after, paging.
func readAllAfter(tb testing.TB, s eventstore.Store, after eventstore.Position) []eventstore.RecordedEvent {
	tb.Helper()
	var out []eventstore.RecordedEvent
	from := after + 1
	for {
		evs, err := s.ReadAll(context.Background(), from, 1000)
		if err != nil {
			tb.Fatalf("read all from %d: %v", from, err)
		}
		if len(evs) == 0 {
			return out
		}
		out = append(out, evs...)
		from = evs[len(evs)-1].Position + 1
	}
}

func sameEvent(tb testing.TB, got eventstore.RecordedEvent, want eventstore.EventData) {
	tb.Helper()
	if got.ID != want.ID || got.Type != want.Type || !bytes.Equal(got.Data, want.Data) || !bytes.Equal(got.Metadata, want.Metadata) {
		tb.Fatalf("got event %s %q %s %s, want %s %q %s %s", got.ID, got.Type, got.Data, got.Metadata, want.ID, want.Type, want.Data, want.Metadata)
	}
}

func testAppendThenReadStream(t *testing.T, b Backend) {
	s := open(t, b)
	stream := streamName("append")
	want := events("Thing", 0, 3)
	before := time.Now().Add(-time.Minute)
	res := mustAppend(t, s, stream, eventstore.NoStream(), want...)
	if res.NextRevision != 2 {
		t.Fatalf("got next revision %d, want 2", res.NextRevision)
	}
	got := mustReadStream(t, s, stream, eventstore.Forwards, 0, 10)
	if len(got) != 3 {
		t.Fatalf("got %d events, want 3", len(got))
	}
	for i, e := range got {
		sameEvent(t, e, want[i])
		if e.StreamID != stream {
			t.Errorf("event %d: got stream %q, want %q", i, e.StreamID, stream)
		}
		if e.Revision != eventstore.Revision(i) {
			t.Errorf("event %d: got revision %d, want %d", i, e.Revision, i)
		}
		if i > 0 && e.Position <= got[i-1].Position {
			t.Errorf("event %d: position %d not after %d", i, e.Position, got[i-1].Position)
		}
		if e.Recorded.Before(before) || e.Recorded.After(time.Now().Add(time.Minute)) {
			t.Errorf("event %d: recorded %v, not about now", i, e.Recorded)
		}
	}
	if res.Position != got[2].Position {
		t.Errorf("got result position %d, want the last event's %d", res.Position, got[2].Position)
	}
	if b.Dense && got[1].Position != got[0].Position+1 {
		t.Errorf("dense backend: positions %d then %d", got[0].Position, got[1].Position)
	}
	res2 := mustAppend(t, s, stream, eventstore.Exact(2), Event("Thing", 3))
	if res2.NextRevision != 3 || res2.Position <= res.Position {
		t.Errorf("second append: got %+v after %+v", res2, res)
	}
	if h := mustHead(t, s); h < res2.Position {
		t.Errorf("head %d is before the last append's position %d", h, res2.Position)
	}
}

func testReadStreamDirections(t *testing.T, b Backend) {
	s := open(t, b)
	stream := streamName("dirs")
	mustAppend(t, s, stream, eventstore.NoStream(), events("Thing", 0, 5)...)
	revs := func(evs []eventstore.RecordedEvent) []eventstore.Revision {
		out := []eventstore.Revision{}
		for _, e := range evs {
			out = append(out, e.Revision)
		}
		return out
	}
	tests := []struct {
		name string
		dir  eventstore.Direction
		from eventstore.Revision
		max  int
		want []eventstore.Revision
	}{
		{"forwards from start", eventstore.Forwards, 0, 100, []eventstore.Revision{0, 1, 2, 3, 4}},
		{"forwards from middle with limit", eventstore.Forwards, 2, 2, []eventstore.Revision{2, 3}},
		{"forwards past end is empty", eventstore.Forwards, 5, 10, []eventstore.Revision{}},
		{"backwards from end", eventstore.Backwards, eventstore.End, 3, []eventstore.Revision{4, 3, 2}},
		{"backwards from middle to start", eventstore.Backwards, 1, 10, []eventstore.Revision{1, 0}},
		{"backwards from beyond end starts at last", eventstore.Backwards, 99, 1, []eventstore.Revision{4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := revs(mustReadStream(t, s, stream, tt.dir, tt.from, tt.max))
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("got revisions %v, want %v", got, tt.want)
			}
		})
	}
}

func testReadStreamMissing(t *testing.T, b Backend) {
	s := open(t, b)
	for _, dir := range []eventstore.Direction{eventstore.Forwards, eventstore.Backwards} {
		_, err := s.ReadStream(ctx(t), streamName("missing"), dir, 0, 10)
		if !errors.Is(err, eventstore.ErrStreamNotFound) {
			t.Fatalf("direction %d: got %v, want ErrStreamNotFound", dir, err)
		}
	}
}

func testExpectedRevision(t *testing.T, b Backend) {
	s := open(t, b)
	existing := streamName("exp")
	mustAppend(t, s, existing, eventstore.NoStream(), events("Thing", 0, 2)...) // at revision 1
	tests := []struct {
		name       string
		exists     bool
		expected   eventstore.ExpectedRevision
		wantOK     bool
		wantActual eventstore.Revision
	}{
		{"any on new stream succeeds", false, eventstore.Any(), true, 0},
		{"no stream on new stream succeeds", false, eventstore.NoStream(), true, 0},
		{"stream exists on new stream fails", false, eventstore.StreamExists(), false, 0},
		{"exact 0 on new stream fails", false, eventstore.Exact(0), false, 0},
		{"any on existing stream succeeds", true, eventstore.Any(), true, 0},
		{"no stream on existing stream fails", true, eventstore.NoStream(), false, 1},
		{"stream exists on existing stream succeeds", true, eventstore.StreamExists(), true, 0},
		{"exact current revision succeeds", true, eventstore.Exact(1), true, 0},
		{"exact older revision fails", true, eventstore.Exact(0), false, 1},
		{"exact future revision fails", true, eventstore.Exact(7), false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stream := streamName("exp")
			if tt.exists {
				stream = streamName("exp")
				mustAppend(t, s, stream, eventstore.NoStream(), events("Thing", 0, 2)...)
			}
			res, err := s.Append(ctx(t), stream, tt.expected, Event("Thing", 9))
			if tt.wantOK {
				if err != nil {
					t.Fatalf("got %v, want success", err)
				}
				wantRev := eventstore.Revision(0)
				if tt.exists {
					wantRev = 2
				}
				if res.NextRevision != wantRev {
					t.Fatalf("got next revision %d, want %d", res.NextRevision, wantRev)
				}
				return
			}
			if !errors.Is(err, eventstore.ErrWrongExpectedRevision) {
				t.Fatalf("got %v, want ErrWrongExpectedRevision", err)
			}
			var wrong *eventstore.WrongExpectedRevisionError
			if !errors.As(err, &wrong) {
				t.Fatalf("got %T, want *WrongExpectedRevisionError", err)
			}
			if wrong.Exists != tt.exists || (tt.exists && wrong.Actual != tt.wantActual) {
				t.Fatalf("got actual %d (exists %v), want %d (exists %v)", wrong.Actual, wrong.Exists, tt.wantActual, tt.exists)
			}
		})
	}
}

func testFailedAppendStoresNothing(t *testing.T, b Backend) {
	s := open(t, b)
	stream := streamName("fail")
	mustAppend(t, s, stream, eventstore.NoStream(), Event("Thing", 0))
	head := mustHead(t, s)
	big := Event("Thing", 1)
	big.Data = bytes.Repeat([]byte("x"), eventstore.MaxAppendSize+1)
	dupID := Event("Thing", 2)
	// Many tiny events count by their encoded size, stream name included, not only by their data.
	tiny := make([]eventstore.EventData, 40_000)
	for i := range tiny {
		tiny[i] = eventstore.EventData{ID: uuid.New(), Type: "x"}
	}
	longStream := strings.Repeat("s", 100)
	tests := []struct {
		name   string
		stream string
		exp    eventstore.ExpectedRevision
		evs    []eventstore.EventData
		want   error
	}{
		{"wrong revision", stream, eventstore.Exact(5), events("Thing", 0, 3), eventstore.ErrWrongExpectedRevision},
		{"no events", stream, eventstore.Any(), nil, eventstore.ErrInvalidAppend},
		{"empty stream name", "", eventstore.Any(), events("Thing", 0, 1), eventstore.ErrInvalidAppend},
		{"reserved stream name", "$system", eventstore.Any(), events("Thing", 0, 1), eventstore.ErrInvalidAppend},
		{"nil event id", stream, eventstore.Any(), []eventstore.EventData{{Type: "Thing", Data: []byte("{}")}}, eventstore.ErrInvalidAppend},
		{"empty type", stream, eventstore.Any(), []eventstore.EventData{{ID: uuid.New(), Data: []byte("{}")}}, eventstore.ErrInvalidAppend},
		{"too large", stream, eventstore.Any(), []eventstore.EventData{big}, eventstore.ErrInvalidAppend},
		{"same id twice in one append", stream, eventstore.Any(), []eventstore.EventData{dupID, dupID}, eventstore.ErrDuplicateEventID},
		{"too many events for the size limit", longStream, eventstore.Any(), tiny, eventstore.ErrInvalidAppend},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Append(ctx(t), tt.stream, tt.exp, tt.evs...)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if h := mustHead(t, s); h != head {
				t.Fatalf("head moved from %d to %d", head, h)
			}
			if got := mustReadStream(t, s, stream, eventstore.Forwards, 0, 100); len(got) != 1 {
				t.Fatalf("stream has %d events, want 1", len(got))
			}
		})
	}
}

func testIdempotentRetry(t *testing.T, b Backend) {
	s := open(t, b)
	stream := streamName("idem")
	first := events("Thing", 0, 2)
	res := mustAppend(t, s, stream, eventstore.NoStream(), first...)
	head := mustHead(t, s)
	t.Run("same write with same expectation returns the first result", func(t *testing.T) {
		got := mustAppend(t, s, stream, eventstore.NoStream(), first...)
		if got != res {
			t.Fatalf("got %+v, want %+v", got, res)
		}
	})
	t.Run("same write with any returns the first result", func(t *testing.T) {
		got := mustAppend(t, s, stream, eventstore.Any(), first...)
		if got != res {
			t.Fatalf("got %+v, want %+v", got, res)
		}
	})
	if h := mustHead(t, s); h != head {
		t.Fatalf("retries moved the head from %d to %d", head, h)
	}
	if got := mustReadStream(t, s, stream, eventstore.Forwards, 0, 100); len(got) != 2 {
		t.Fatalf("stream has %d events after retries, want 2", len(got))
	}
	t.Run("a later write's retry returns its own result", func(t *testing.T) {
		second := events("Thing", 2, 1)
		r2 := mustAppend(t, s, stream, eventstore.Exact(1), second...)
		got := mustAppend(t, s, stream, eventstore.Exact(1), second...)
		if got != r2 || r2.NextRevision != 2 {
			t.Fatalf("got %+v, want %+v at revision 2", got, r2)
		}
	})
}

func testReadAll(t *testing.T, b Backend) {
	s := open(t, b)
	start := mustHead(t, s)
	a, c := streamName("all-a"), streamName("all-b")
	var want []eventstore.EventData
	for i := 0; i < 5; i++ {
		ea, eb := Event("A", i), Event("B", i)
		mustAppend(t, s, a, eventstore.Any(), ea)
		mustAppend(t, s, c, eventstore.Any(), eb)
		want = append(want, ea, eb)
	}
	got := readAllAfter(t, s, start)
	got = onlyStreams(got, a, c)
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d", len(got), len(want))
	}
	for i := range got {
		sameEvent(t, got[i], want[i])
		if i > 0 && got[i].Position <= got[i-1].Position {
			t.Fatalf("position %d not after %d", got[i].Position, got[i-1].Position)
		}
	}
	t.Run("limit and paging", func(t *testing.T) {
		page, err := s.ReadAll(ctx(t), got[3].Position, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) != 2 || page[0].ID != got[3].ID {
			t.Fatalf("got %d events starting %v, want 2 starting at %s", len(page), page, got[3].ID)
		}
	})
	t.Run("from beyond the head is empty", func(t *testing.T) {
		page, err := s.ReadAll(ctx(t), mustHead(t, s)+1, 10)
		if err != nil || len(page) != 0 {
			t.Fatalf("got %d events and %v, want none", len(page), err)
		}
	})
}

func onlyStreams(evs []eventstore.RecordedEvent, streams ...string) []eventstore.RecordedEvent {
	keep := map[string]bool{}
	for _, s := range streams {
		keep[s] = true
	}
	var out []eventstore.RecordedEvent
	for _, e := range evs {
		if keep[e.StreamID] {
			out = append(out, e)
		}
	}
	return out
}

// collect reads messages from sub until it has n events of the given streams (CaughtUp markers are
// counted in caughtUp).
func collect(t *testing.T, sub eventstore.Subscription, n int, streams map[string]bool) (evs []eventstore.RecordedEvent, caughtUp int) {
	t.Helper()
	c := ctx(t)
	for len(evs) < n {
		m, err := sub.Next(c)
		if err != nil {
			t.Fatalf("subscription after %d of %d events: %v", len(evs), n, err)
		}
		if m.CaughtUp {
			caughtUp++
			continue
		}
		if streams == nil || streams[m.Event.StreamID] {
			evs = append(evs, *m.Event)
		}
	}
	return evs, caughtUp
}

func testSubscribeCatchUpThenLive(t *testing.T, b Backend) {
	s := open(t, b)
	start := mustHead(t, s)
	stream := streamName("sub")
	old := events("Old", 0, 5)
	mustAppend(t, s, stream, eventstore.NoStream(), old...)
	sub, err := s.SubscribeAll(ctx(t), start)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	// Catch-up: the five old events (and anything else already stored), then CaughtUp.
	var got []eventstore.RecordedEvent
	c := ctx(t)
	for {
		m, err := sub.Next(c)
		if err != nil {
			t.Fatal(err)
		}
		if m.CaughtUp {
			break
		}
		if m.Event.StreamID == stream {
			got = append(got, *m.Event)
		}
	}
	if len(got) != len(old) {
		t.Fatalf("caught up with %d events, want %d", len(got), len(old))
	}
	for i := range got {
		sameEvent(t, got[i], old[i])
	}
	// Live.
	live := events("New", 5, 3)
	mustAppend(t, s, stream, eventstore.Exact(4), live[0])
	mustAppend(t, s, stream, eventstore.Exact(5), live[1:]...)
	gotLive, caught := collect(t, sub, 3, map[string]bool{stream: true})
	if caught != 0 {
		t.Fatalf("got %d more CaughtUp signals, want none", caught)
	}
	for i := range gotLive {
		sameEvent(t, gotLive[i], live[i])
	}
	t.Run("subscribing after a position skips up to it", func(t *testing.T) {
		sub2, err := s.SubscribeAll(ctx(t), gotLive[0].Position)
		if err != nil {
			t.Fatal(err)
		}
		defer sub2.Close()
		evs, _ := collect(t, sub2, 2, map[string]bool{stream: true})
		sameEvent(t, evs[0], live[1])
		sameEvent(t, evs[1], live[2])
	})
}

func testSubscribeRacingAppends(t *testing.T, b Backend) {
	s := open(t, b)
	start := mustHead(t, s)
	const writers, perWriter = 8, 150
	streams := map[string]bool{}
	names := make([]string, writers)
	for i := range names {
		names[i] = streamName(fmt.Sprintf("race%d", i))
		streams[names[i]] = true
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	startWriters := make(chan struct{})
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			<-startWriters
			for i := 0; i < perWriter; i++ {
				if _, err := s.Append(context.Background(), names[w], eventstore.Any(), Event("Race", i)); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	close(startWriters)
	// Subscribe while the writers run: some events are caught up, some arrive live.
	mustHeadWait := func() {
		for mustHead(t, s) == start {
			time.Sleep(time.Millisecond)
		}
	}
	mustHeadWait()
	sub, err := s.SubscribeAll(ctx(t), start)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	got, _ := collect(t, sub, writers*perWriter, streams)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seen := map[uuid.UUID]bool{}
	next := map[string]eventstore.Revision{}
	for i, e := range got {
		if seen[e.ID] {
			t.Fatalf("event %s delivered twice", e.ID)
		}
		seen[e.ID] = true
		if i > 0 && e.Position <= got[i-1].Position {
			t.Fatalf("position %d delivered after %d", e.Position, got[i-1].Position)
		}
		if e.Revision != next[e.StreamID] {
			t.Fatalf("stream %s: got revision %d, want %d", e.StreamID, e.Revision, next[e.StreamID])
		}
		next[e.StreamID]++
	}
	stored := onlyStreams(readAllAfter(t, s, start), names...)
	if len(stored) != len(got) {
		t.Fatalf("subscription delivered %d events, store holds %d", len(got), len(stored))
	}
}

func testSlowSubscriber(t *testing.T, b Backend) {
	s := open(t, b)
	start := mustHead(t, s)
	sub, err := s.SubscribeAll(ctx(t), start)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	// The subscriber reads nothing while 2,000 events are appended: the appends must all complete.
	stream := streamName("slow")
	for i := 0; i < 200; i++ {
		mustAppend(t, s, stream, eventstore.Any(), events("Slow", i*10, 10)...)
	}
	got, _ := collect(t, sub, 2000, map[string]bool{stream: true})
	if got[1999].Revision != 1999 {
		t.Fatalf("last event has revision %d, want 1999", got[1999].Revision)
	}
}

func testConcurrentExact(t *testing.T, b Backend) {
	s := open(t, b)
	stream := streamName("exact")
	const racers, rounds = 8, 40
	for round := 0; round < rounds; round++ {
		expected := eventstore.NoStream()
		if round > 0 {
			expected = eventstore.Exact(eventstore.Revision(round - 1))
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins, conflicts := 0, 0
		var other error
		gate := make(chan struct{})
		for r := 0; r < racers; r++ {
			wg.Add(1)
			go func(r int) {
				defer wg.Done()
				<-gate
				_, err := s.Append(context.Background(), stream, expected, Event("Race", round*racers+r))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					wins++
				case errors.Is(err, eventstore.ErrWrongExpectedRevision):
					conflicts++
				default:
					other = err
				}
			}(r)
		}
		close(gate)
		wg.Wait()
		if other != nil {
			t.Fatalf("round %d: %v", round, other)
		}
		if wins != 1 || conflicts != racers-1 {
			t.Fatalf("round %d: %d appends won and %d conflicted, want exactly 1 and %d", round, wins, conflicts, racers-1)
		}
	}
	if got := mustReadStream(t, s, stream, eventstore.Forwards, 0, 1000); len(got) != rounds {
		t.Fatalf("stream has %d events, want %d", len(got), rounds)
	}
}

func testConcurrentManyStreams(t *testing.T, b Backend) {
	s := open(t, b)
	const writers, perWriter = 16, 50
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	names := make([]string, writers)
	for w := range names {
		names[w] = streamName(fmt.Sprintf("many%d", w))
	}
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < perWriter; i++ {
				exp := eventstore.NoStream()
				if i > 0 {
					exp = eventstore.Exact(eventstore.Revision(i - 1))
				}
				res, err := s.Append(context.Background(), names[w], exp, Event("Many", i))
				if err != nil {
					errs <- err
					return
				}
				if res.NextRevision != eventstore.Revision(i) {
					errs <- fmt.Errorf("stream %d append %d: got revision %d", w, i, res.NextRevision)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, name := range names {
		got := mustReadStream(t, s, name, eventstore.Forwards, 0, 1000)
		if len(got) != perWriter {
			t.Fatalf("%s: got %d events, want %d", name, len(got), perWriter)
		}
	}
}

func testReopen(t *testing.T, b Backend) {
	s := b.Open(t)
	start := mustHead(t, s)
	stream := streamName("reopen")
	for i := 0; i < 10; i++ {
		mustAppend(t, s, stream, eventstore.Any(), events("Keep", i*3, 3)...)
	}
	before := readAllAfter(t, s, start)
	s = b.Reopen(t, s)
	defer s.Close()
	after := readAllAfter(t, s, start)
	if len(after) != len(before) {
		t.Fatalf("after reopen: %d events, want %d", len(after), len(before))
	}
	for i := range before {
		x, y := before[i], after[i]
		if x.ID != y.ID || x.StreamID != y.StreamID || x.Revision != y.Revision || x.Position != y.Position ||
			x.Type != y.Type || !bytes.Equal(x.Data, y.Data) || !bytes.Equal(x.Metadata, y.Metadata) || !x.Recorded.Equal(y.Recorded) {
			t.Fatalf("event %d changed across reopen: %+v became %+v", i, x, y)
		}
	}
	next := Event("Keep", 30)
	res := mustAppend(t, s, stream, eventstore.Exact(29), next)
	if res.NextRevision != 30 {
		t.Fatalf("append after reopen: got revision %d, want 30", res.NextRevision)
	}
	// Idempotency survives a reopen too: a retry of a write from before it changes nothing.
	s = b.Reopen(t, s)
	if again := mustAppend(t, s, stream, eventstore.Exact(29), next); again != res {
		t.Fatalf("retry after reopen: got %+v, want %+v", again, res)
	}
	if h := mustHead(t, s); h != res.Position && b.Dense {
		t.Fatalf("retry after reopen moved the head to %d, want %d", h, res.Position)
	}
}

func testCancelledContext(t *testing.T, b Backend) {
	s := open(t, b)
	c, cancel := context.WithCancel(context.Background())
	cancel()
	stream := streamName("cancel")
	if _, err := s.Append(c, stream, eventstore.Any(), Event("X", 0)); !errors.Is(err, context.Canceled) {
		t.Errorf("append: got %v, want context.Canceled", err)
	}
	if _, err := s.ReadAll(c, eventstore.Start, 10); !errors.Is(err, context.Canceled) {
		t.Errorf("read all: got %v, want context.Canceled", err)
	}
	if _, err := s.ReadStream(c, stream, eventstore.Forwards, 0, 10); !errors.Is(err, context.Canceled) {
		t.Errorf("read stream: got %v, want context.Canceled", err)
	}
	sub, err := s.SubscribeAll(context.Background(), mustHead(t, s))
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if m, err := sub.Next(ctx(t)); err != nil || !m.CaughtUp {
		t.Fatalf("got %+v, %v; want CaughtUp", m, err)
	}
	if _, err := sub.Next(c); !errors.Is(err, context.Canceled) {
		t.Errorf("subscription next: got %v, want context.Canceled", err)
	}
}

func testClosed(t *testing.T, b Backend) {
	s := b.Open(t)
	sub, err := s.SubscribeAll(ctx(t), mustHead(t, s))
	if err != nil {
		t.Fatal(err)
	}
	if m, err := sub.Next(ctx(t)); err != nil || !m.CaughtUp {
		t.Fatalf("got %+v, %v; want CaughtUp", m, err)
	}
	waiting := make(chan error, 1)
	go func() {
		_, err := sub.Next(context.Background())
		waiting <- err
	}()
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if err := <-waiting; !errors.Is(err, eventstore.ErrClosed) {
		t.Errorf("waiting subscriber: got %v, want ErrClosed", err)
	}
	if _, err := s.Append(ctx(t), streamName("closed"), eventstore.Any(), Event("X", 0)); !errors.Is(err, eventstore.ErrClosed) {
		t.Errorf("append: got %v, want ErrClosed", err)
	}
	if _, err := s.ReadAll(ctx(t), eventstore.Start, 1); !errors.Is(err, eventstore.ErrClosed) {
		t.Errorf("read all: got %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
}

// testOrdinals checks eventstore.Ordinals, for a backend that has it: the ordinal of every event is its index
// in the whole global order, read from Start, and an append's position gives its last event's ordinal.
func testOrdinals(t *testing.T, b Backend) {
	s := open(t, b)
	ord, ok := s.(eventstore.Ordinals)
	if !ok {
		t.Skip("the backend does not implement eventstore.Ordinals")
	}
	if _, ok := ord.Ordinal(eventstore.Start); ok {
		t.Fatalf("Ordinal(Start) is ok; Start is no event's position")
	}
	a, c := streamName("ord-a"), streamName("ord-b")
	var lasts []eventstore.Position
	for i := 0; i < 4; i++ {
		lasts = append(lasts, mustAppend(t, s, a, eventstore.Any(), events("A", 3*i, 3)...).Position)
		lasts = append(lasts, mustAppend(t, s, c, eventstore.Any(), Event("B", i)).Position)
	}
	all := readAllAfter(t, s, eventstore.Start)
	index := map[eventstore.Position]int64{}
	for i, e := range all {
		got, ok := ord.Ordinal(e.Position)
		if !ok || got != int64(i) {
			t.Fatalf("Ordinal(%d) = %d, %v; the event is number %d of the global order", e.Position, got, ok, i)
		}
		index[e.Position] = int64(i)
	}
	for _, p := range lasts {
		if got, _ := ord.Ordinal(p); got != index[p] {
			t.Fatalf("Ordinal of an append's position %d = %d, want %d", p, got, index[p])
		}
	}
	if got, _ := ord.Ordinal(mustHead(t, s)); got != int64(len(all)-1) {
		t.Fatalf("Ordinal(Head) = %d, want %d (the store holds %d events)", got, len(all)-1, len(all))
	}
}
