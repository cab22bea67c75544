package translog

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/filestore"
)

// TestLowPriorityFollowerHurriesWhenBehind checks the bound on a low-priority follower's lag: after it has
// caught up, a page of events recorded more than MaxLag ago makes it hash the rest at normal priority, while
// fresh events are all hashed at low priority.
func TestLowPriorityFollowerHurriesWhenBehind(t *testing.T) {
	if startLowPriority() == nil {
		t.Skip("no per-thread priority on this system")
	}
	for _, tc := range []struct {
		name     string
		age      time.Duration // how long ago the store records its events
		lowReads int
	}{
		{"fresh events: both pages at low priority", 0, 2},
		{"old events: the first page shows the lag, the second is hashed at normal priority", time.Hour, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := filestore.Open(context.Background(), t.TempDir(), filestore.Options{
				Now: func() time.Time { return time.Now().Add(-tc.age) }})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			tree := NewTree()
			f := &Follower{Store: s, Tree: tree, LowPriority: true, MaxLag: time.Minute, Rest: time.Millisecond}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			caughtUp := make(chan struct{})
			go func() { done <- f.Run(ctx, func() { close(caughtUp) }) }()
			<-caughtUp // with the empty log: from now on it follows
			// One append of 1 + 4096 + 903 events: the follower's subscription takes the first, then it
			// reads a full page and the rest.
			evs := make([]eventstore.EventData, 1+maxBatch+903)
			for i := range evs {
				evs[i] = eventstore.EventData{ID: uuid.New(), Type: "T", Data: []byte(fmt.Sprintf(`{"i":%d}`, i))}
			}
			if _, err := s.Append(context.Background(), "s", eventstore.Any(), evs...); err != nil {
				t.Fatal(err)
			}
			// Not WaitSize: a waiter makes the follower hurry.
			for deadline := time.Now().Add(10 * time.Second); tree.Size() < int64(len(evs)); time.Sleep(time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("the tree has %d leaves, want %d", tree.Size(), len(evs))
				}
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if f.lowReads != tc.lowReads {
				t.Fatalf("%d pages hashed at low priority, want %d", f.lowReads, tc.lowReads)
			}
		})
	}
}
