package filestore_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/filestore"
	"github.com/pbledger/pbledger/eventstore/storetest"
)

// TestScanAllShowsWhatReadAllReads checks ScanAll against ReadAll: the same events, in the same order, from
// any position and page size; an error from fn stops the scan; a closed store refuses.
func TestScanAllShowsWhatReadAllReads(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t, t.TempDir(), filestore.Options{SegmentSize: 4096}) // small segments: the scan crosses them
	for i := 0; i < 300; i++ {
		ev := eventstore.EventData{ID: uuid.New(), Type: fmt.Sprintf("T%d", i%3), Data: []byte(fmt.Sprintf(`{"i":%d}`, i))}
		if i%2 == 0 {
			ev.Metadata = []byte(`{"by":"test"}`)
		}
		if _, err := s.Append(ctx, fmt.Sprintf("s-%d", i%7), eventstore.Any(), ev); err != nil {
			t.Fatal(err)
		}
	}
	for _, from := range []eventstore.Position{0, 1, 2, 150, 300, 301} {
		for _, max := range []int{1, 7, 1000, 10000} {
			want, err := s.ReadAll(ctx, from, max)
			if err != nil {
				t.Fatal(err)
			}
			var got []eventstore.RecordedEvent
			n, err := s.ScanAll(ctx, from, max, func(e *eventstore.RecordedEvent) error {
				c := *e
				c.Data = append([]byte(nil), e.Data...)
				if e.Metadata != nil {
					c.Metadata = append([]byte(nil), e.Metadata...)
				}
				got = append(got, c)
				return nil
			})
			if err != nil || n != len(want) {
				t.Fatalf("from %d max %d: ScanAll showed %d (%v), ReadAll read %d", from, max, n, err, len(want))
			}
			if len(want) > 0 && !reflect.DeepEqual(got, want) {
				t.Fatalf("from %d max %d: ScanAll and ReadAll differ", from, max)
			}
		}
	}
	stop := errors.New("stop")
	n, err := s.ScanAll(ctx, 0, 100, func(e *eventstore.RecordedEvent) error {
		if e.Position == 5 {
			return stop
		}
		return nil
	})
	if n != 4 || !errors.Is(err, stop) {
		t.Fatalf("a failing fn: %d, %v; want 4, stop", n, err)
	}
	s.Close()
	if _, err := s.ScanAll(ctx, 0, 100, func(*eventstore.RecordedEvent) error { return nil }); !errors.Is(err, eventstore.ErrClosed) {
		t.Fatalf("closed store: %v, want ErrClosed", err)
	}
}

// A ScanAll callback that reads from the store while another goroutine closes it gets ErrClosed; it used to
// wait for the store's lock, which Close held while it waited for the callback: a deadlock.
func TestScanCallbackReadsWhileTheStoreCloses(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t, t.TempDir(), filestore.Options{})
	defer s.Close()
	if _, err := s.Append(ctx, "a", eventstore.Any(), storetest.Event("E", 1), storetest.Event("E", 2)); err != nil {
		t.Fatal(err)
	}
	closed := make(chan struct{})
	scanned := make(chan error, 1)
	go func() {
		_, err := s.ScanAll(ctx, 1, 1, func(e *eventstore.RecordedEvent) error {
			go func() { s.Close(); close(closed) }()
			for deadline := time.Now().Add(10 * time.Second); !filestore.CloseWaitsForReaders(s); time.Sleep(time.Millisecond) {
				if time.Now().After(deadline) {
					return errors.New("Close never started waiting for the scan")
				}
			}
			if _, err := s.ReadStream(ctx, "a", eventstore.Forwards, 0, 10); !errors.Is(err, eventstore.ErrClosed) {
				return fmt.Errorf("a read from the callback during Close: %v, want ErrClosed", err)
			}
			return nil
		})
		scanned <- err
	}()
	select {
	case err := <-scanned:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("deadlock: the callback's read waits for Close, which waits for the callback")
	}
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return after the scan ended")
	}
}
