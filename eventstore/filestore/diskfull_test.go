package filestore_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/filestore"
	"github.com/pbledger/pbledger/eventstore/storetest"
)

// mountTmpfs mounts a tmpfs of the given size (e.g. "3m") on a fresh directory, unmounted when the test ends:
// a real small disk that fills up. It needs root (CI runs as root); elsewhere the test is skipped and says why.
func mountTmpfs(tb testing.TB, size string) string {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "tmpfs")
	if err := os.Mkdir(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		tb.Skipf("cannot mount a tmpfs to fill (needs root; uid %d): %v", os.Geteuid(), err)
	}
	tb.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			tb.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// fillUntilFull appends 4 KiB events until the disk refuses one, and returns those that were acknowledged.
func fillUntilFull(tb testing.TB, s *filestore.Store) ([]eventstore.EventData, error) {
	tb.Helper()
	var acked []eventstore.EventData
	for i := 0; i < 5000; i++ {
		e := storetest.Event("Fill", i)
		e.Data = []byte(`{"pad":"` + strings.Repeat("x", 4096) + `"}`)
		if _, err := s.Append(context.Background(), "fill", eventstore.Any(), e); err != nil {
			return acked, err
		}
		acked = append(acked, e)
	}
	tb.Fatal("the disk never filled up")
	return nil, nil
}

// Issue 8, item 11: on a full disk appends fail with ErrDiskFull and Health says so; once space is freed,
// writes resume without reopening the store, and the log holds exactly the acknowledged events.
func TestFullDiskRecoversWithoutRestart(t *testing.T) {
	for _, tt := range []struct {
		name  string
		retry time.Duration
	}{
		// The store notices the space by itself (Health turns nil before any append tries).
		{"found by the store's own probe", 20 * time.Millisecond},
		// No probe in the test's time: the next append itself cuts the torn tail and writes.
		{"found by the next append", time.Hour},
	} {
		t.Run(tt.name, func(t *testing.T) {
			mnt := mountTmpfs(t, "3m")
			ballast := filepath.Join(mnt, "ballast")
			if err := os.WriteFile(ballast, bytes.Repeat([]byte{1}, 1<<20), 0o644); err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(mnt, "log")
			quiet := slog.New(slog.DiscardHandler)
			s, err := filestore.Open(context.Background(), dir, filestore.Options{Logger: quiet, SegmentSize: 512 << 10, RetryInterval: tt.retry})
			if err != nil {
				t.Fatal(err)
			}
			acked, err := fillUntilFull(t, s)
			if !errors.Is(err, eventstore.ErrDiskFull) {
				t.Fatalf("after %d events: got %v, want ErrDiskFull", len(acked), err)
			}
			t.Logf("full after %d events: %v", len(acked), err)
			if strings.Contains(err.Error(), ".tmp") {
				t.Errorf("the error names a file that no longer exists: %v", err)
			}
			if h := s.Health(); !errors.Is(h, eventstore.ErrDiskFull) {
				t.Fatalf("Health: got %v, want ErrDiskFull", h)
			}
			e := storetest.Event("Fill", -1)
			if _, err := s.Append(context.Background(), "fill", eventstore.Any(), e); !errors.Is(err, eventstore.ErrDiskFull) {
				t.Fatalf("a second append on the full disk: got %v, want ErrDiskFull", err)
			}
			if err := os.Remove(ballast); err != nil {
				t.Fatal(err)
			}
			if tt.retry < time.Second {
				start := time.Now()
				for s.Health() != nil {
					if time.Since(start) > 10*time.Second {
						t.Fatalf("Health still %v after space was freed", s.Health())
					}
					time.Sleep(5 * time.Millisecond)
				}
			}
			more := fill(t, s, "after", 50)
			if h := s.Health(); h != nil {
				t.Fatalf("Health after writes resumed: %v", h)
			}
			head, _ := s.Head(context.Background())
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}

			// Reopened, the log is exactly what was acknowledged, in order, with nothing to cut off.
			var logged bytes.Buffer
			s2, err := filestore.Open(context.Background(), dir, filestore.Options{Logger: slog.New(slog.NewTextHandler(&logged, nil))})
			if err != nil {
				t.Fatalf("reopen: %v", err)
			}
			defer s2.Close()
			if logged.Len() > 0 {
				t.Fatalf("reopening repaired something: %s", logged.String())
			}
			if h2, _ := s2.Head(context.Background()); h2 != head || int(head) != len(acked)+len(more) {
				t.Fatalf("head %d after reopening, %d before; %d events were acknowledged", h2, head, len(acked)+len(more))
			}
			var want []string
			for _, e := range acked {
				want = append(want, e.ID.String())
			}
			if got := readStreamIDs(t, s2, "fill"); strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("stream fill after reopening: %d events, want the %d acknowledged", len(got), len(want))
			}
			if got := readStreamIDs(t, s2, "after"); len(got) != len(more) {
				t.Fatalf("stream after: %d events, want %d", len(got), len(more))
			}
		})
	}
}

// Issue 8, item 11, where a real disk cannot be made to fail at a chosen byte: the disk fills up in the middle
// of a frame, so half of it reaches the file. The next append must cut it off before writing (else the
// leftover would follow the new frame), and the reopened log holds exactly the acknowledged events with nothing
// to repair. Runs everywhere, root or not.
func TestFullDiskMidFrameIsCutBeforeTheNextWrite(t *testing.T) {
	dir := t.TempDir()
	quiet := slog.New(slog.DiscardHandler)
	s, err := filestore.Open(context.Background(), dir, filestore.Options{Logger: quiet, RetryInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	before := fill(t, s, "s", 10)
	seg := segments(t, dir)[0]
	_, end, err := filestore.FrameStarts(seg)
	if err != nil {
		t.Fatal(err)
	}
	filestore.SetWriteFault(s, func(f *os.File, b []byte, off int64) (int, error) {
		n, _ := f.WriteAt(b[:len(b)/2], off) // half a frame lands, then the disk is full
		return n, &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
	})
	big := storetest.Event("Big", 0)
	big.Data = []byte(`{"pad":"` + strings.Repeat("y", 2000) + `"}`)
	if _, err := s.Append(context.Background(), "s", eventstore.Any(), big); !errors.Is(err, eventstore.ErrDiskFull) {
		t.Fatalf("got %v, want ErrDiskFull", err)
	}
	if !errors.Is(s.Health(), eventstore.ErrDiskFull) {
		t.Fatalf("Health: got %v, want ErrDiskFull", s.Health())
	}
	raw, _ := os.ReadFile(seg)
	if bytes.Count(raw[end:], []byte("y")) == 0 {
		t.Fatal("the injected fault did not leave half a frame in the file")
	}

	filestore.SetWriteFault(s, nil) // space is freed
	after := fill(t, s, "s", 1)     // a short frame: shorter than the half frame it writes over
	after = append(after, fill(t, s, "s", 4)...)
	if h := s.Health(); h != nil {
		t.Fatalf("Health after a write succeeded: %v", h)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	s2, err := filestore.Open(context.Background(), dir, filestore.Options{Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s2.Close()
	if logged.Len() > 0 {
		t.Fatalf("reopening had to repair: %s", logged.String())
	}
	var want []string
	for _, e := range append(before, after...) {
		want = append(want, e.ID.String())
	}
	if got := readStreamIDs(t, s2, "s"); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("after reopening: %d events, want the %d acknowledged", len(got), len(want))
	}
	raw, _ = os.ReadFile(seg)
	if bytes.Contains(raw, []byte("yyyy")) {
		t.Fatal("the half frame is still in the file")
	}
}
