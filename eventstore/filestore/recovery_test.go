package filestore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/filestore"
	"github.com/pbledger/pbledger/eventstore/storetest"
)

// fill appends n single-event appends (one frame each) to stream and returns the events.
func fill(tb testing.TB, s eventstore.Store, stream string, n int) []eventstore.EventData {
	tb.Helper()
	var out []eventstore.EventData
	for i := 0; i < n; i++ {
		// Equal sizes make every frame the same length, so tests can compute where frames start.
		e := storetest.Event("Fill", 0)
		e.Data = []byte(fmt.Sprintf(`{"n":%06d}`, i))
		if _, err := s.Append(context.Background(), stream, eventstore.Any(), e); err != nil {
			tb.Fatalf("append %d: %v", i, err)
		}
		out = append(out, e)
	}
	return out
}

func segments(tb testing.TB, dir string) []string {
	tb.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.seg"))
	if err != nil {
		tb.Fatal(err)
	}
	sort.Strings(m)
	return m
}

func readStreamIDs(tb testing.TB, s eventstore.Store, stream string) []string {
	tb.Helper()
	evs, err := s.ReadStream(context.Background(), stream, eventstore.Forwards, 0, 100000)
	if err != nil {
		tb.Fatalf("read %s: %v", stream, err)
	}
	var ids []string
	for _, e := range evs {
		ids = append(ids, e.ID.String())
	}
	return ids
}

func TestSecondOpenIsRefused(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, filestore.Options{})
	_, err := filestore.Open(context.Background(), dir, filestore.Options{Logger: quietLogger()})
	if !errors.Is(err, filestore.ErrLocked) {
		t.Fatalf("second open: got %v, want ErrLocked", err)
	}
	if !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "pid") {
		t.Errorf("error %q should name the directory and the owner's pid", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	mustOpen(t, dir, filestore.Options{}).Close()
}

// logBuffer captures what recovery logs.
func logBuffer() (*slog.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	return slog.New(slog.NewTextHandler(&buf, nil)), &buf
}

func frameStarts(tb testing.TB, path string) ([]int64, int64) {
	tb.Helper()
	starts, end, err := filestore.FrameStarts(path)
	if err != nil {
		tb.Fatal(err)
	}
	return starts, end
}

func TestTornTailIsCutOffAndReported(t *testing.T) {
	// Each case damages the log after 20 single-event commits; lastFrame and end are where the last
	// frame starts and ends. The file goes on with zeros after end (see zeroAhead).
	tests := []struct {
		name     string
		damage   func(tb testing.TB, path string, lastFrame, end int64)
		keepLast bool // the last frame survives
		reported bool // recovery logs a torn write
	}{
		{"cut mid-record", func(tb testing.TB, path string, lastFrame, end int64) {
			truncateTo(tb, path, end-7)
		}, false, true},
		{"cut inside the frame header", func(tb testing.TB, path string, lastFrame, end int64) {
			truncateTo(tb, path, lastFrame+5)
		}, false, true},
		{"cut right after the frame header", func(tb testing.TB, path string, lastFrame, end int64) {
			truncateTo(tb, path, lastFrame+12)
		}, false, true},
		{"last frame zeroed, as when the data never reached the disk", func(tb testing.TB, path string, lastFrame, end int64) {
			zero(tb, path, lastFrame, end-lastFrame)
		}, false, false},
		{"last frame's second half zeroed", func(tb testing.TB, path string, lastFrame, end int64) {
			zero(tb, path, (lastFrame+end)/2, end-(lastFrame+end)/2)
		}, false, true},
		{"file cut exactly after the last frame", func(tb testing.TB, path string, lastFrame, end int64) {
			truncateTo(tb, path, end)
		}, true, false},
		{"garbage after the last frame", func(tb testing.TB, path string, lastFrame, end int64) {
			writeAt(tb, path, end, []byte{0x30, 0, 0, 0, 1, 2, 3})
		}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s := mustOpen(t, dir, filestore.Options{})
			want := fill(t, s, "tail", 20)
			head, _ := s.Head(context.Background())
			s.Close()
			path := segments(t, dir)[0]
			starts, end := frameStarts(t, path)
			if len(starts) != 20 {
				t.Fatalf("found %d frames, want 20", len(starts))
			}
			tt.damage(t, path, starts[19], end)

			logger, logs := logBuffer()
			s = mustOpen(t, dir, filestore.Options{Logger: logger})
			defer s.Close()
			got := readStreamIDs(t, s, "tail")
			keep := len(want) - 1
			if tt.keepLast {
				keep = len(want)
			}
			if len(got) != keep {
				t.Fatalf("got %d events after recovery, want %d", len(got), keep)
			}
			for i := range got {
				if got[i] != want[i].ID.String() {
					t.Fatalf("event %d: got %s, want %s", i, got[i], want[i].ID)
				}
			}
			reported := strings.Contains(logs.String(), "torn write") && strings.Contains(logs.String(), path)
			if reported != tt.reported {
				t.Errorf("recovery log %q: reported a torn write in %s = %v, want %v", logs.String(), path, reported, tt.reported)
			}
			// Appends continue where the intact log ends.
			res, err := s.Append(context.Background(), "tail", eventstore.Exact(eventstore.Revision(keep-1)), storetest.Event("After", 0))
			if err != nil {
				t.Fatalf("append after recovery: %v", err)
			}
			if wantPos := head - eventstore.Position(len(want)-keep) + 1; res.Position != wantPos {
				t.Fatalf("got position %d after recovery, want %d", res.Position, wantPos)
			}
			s.Close()
			s = mustOpen(t, dir, filestore.Options{})
			if got := readStreamIDs(t, s, "tail"); len(got) != keep+1 {
				t.Fatalf("after a second reopen: %d events, want %d", len(got), keep+1)
			}
		})
	}
}

func fileSize(tb testing.TB, path string) int64 {
	tb.Helper()
	st, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	return st.Size()
}

func truncateTo(tb testing.TB, path string, size int64) {
	tb.Helper()
	if err := os.Truncate(path, size); err != nil {
		tb.Fatal(err)
	}
}

func zero(tb testing.TB, path string, off, n int64) {
	tb.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(make([]byte, n), off); err != nil {
		tb.Fatal(err)
	}
}

func writeAt(tb testing.TB, path string, off int64, b []byte) {
	tb.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		tb.Fatal(err)
	}
}

func flip(tb testing.TB, path string, off int64) {
	tb.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		tb.Fatal(err)
	}
	b[0] ^= 0x5a
	if _, err := f.WriteAt(b, off); err != nil {
		tb.Fatal(err)
	}
}

func TestCorruptionBeforeTheTailIsAnErrorNamingFileAndOffset(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, filestore.Options{})
	fill(t, s, "c", 20)
	s.Close()
	path := segments(t, dir)[0]
	size := fileSize(t, path)
	frames, _ := frameStarts(t, path)
	pristine, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	index := filepath.Join(dir, "index.pbi")
	pristineIndex, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		at         int64
		wantOffset int64
	}{
		{"segment header", 3, 0},
		{"length of the first frame", frames[0] + 1, frames[0]},
		{"checksum of the third frame", frames[2] + 9, frames[2]},
		{"payload of the tenth frame", frames[9] + 40, frames[9]},
		{"last byte of the second-to-last frame", frames[19] - 1, frames[18]},
	}
	for _, tt := range tests {
		// Without the persisted index Open reads and checks everything, and fails.
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(path, pristine, 0o644); err != nil {
				t.Fatal(err)
			}
			os.Remove(index)
			flip(t, path, tt.at)
			_, err := filestore.Open(context.Background(), dir, filestore.Options{Logger: quietLogger()})
			var ce *filestore.CorruptionError
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want a *CorruptionError", err)
			}
			if ce.File != path || ce.Offset != tt.wantOffset {
				t.Fatalf("got %s at %d, want %s at %d", ce.File, ce.Offset, path, tt.wantOffset)
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), fmt.Sprint(tt.wantOffset)) {
				t.Errorf("message %q does not name the file and offset", err)
			}
			// Nothing was "repaired": the file is as the damage left it.
			if got := fileSize(t, path); got != size {
				t.Errorf("file size changed from %d to %d", size, got)
			}
		})
		// With it, Open fails at once or the check that follows it finds the damage, and appends stop.
		t.Run(tt.name+" under the persisted index", func(t *testing.T) {
			if err := os.WriteFile(path, pristine, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(index, pristineIndex, 0o644); err != nil {
				t.Fatal(err)
			}
			flip(t, path, tt.at)
			s, err := filestore.Open(context.Background(), dir, filestore.Options{Logger: quietLogger()})
			if err == nil {
				err = s.Checked(context.Background())
				if _, aerr := s.Append(context.Background(), "c", eventstore.Any(), fill(t, mustOpenTemp(t), "x", 1)...); aerr == nil {
					t.Error("an append was accepted after damage was found")
				}
				s.Close()
			}
			var ce *filestore.CorruptionError
			if !errors.As(err, &ce) || ce.File != path || ce.Offset != tt.wantOffset {
				t.Fatalf("got %v, want a *CorruptionError in %s at %d", err, path, tt.wantOffset)
			}
		})
	}
}

func TestCorruptionInAnEarlierSegment(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, filestore.Options{SegmentSize: 2048})
	fill(t, s, "c", 40)
	s.Close()
	segs := segments(t, dir)
	if len(segs) < 3 {
		t.Fatalf("got %d segments, want several", len(segs))
	}
	t.Run("damaged last frame of a middle segment", func(t *testing.T) {
		path := segs[1]
		_, end := frameStarts(t, path)
		flip(t, path, end-2)
		_, err := filestore.Open(context.Background(), dir, filestore.Options{Logger: quietLogger()})
		var ce *filestore.CorruptionError
		if !errors.As(err, &ce) || ce.File != path {
			t.Fatalf("got %v, want a *CorruptionError in %s", err, path)
		}
		flip(t, path, end-2)
	})
	t.Run("missing middle segment", func(t *testing.T) {
		if err := os.Rename(segs[1], segs[1]+".away"); err != nil {
			t.Fatal(err)
		}
		defer os.Rename(segs[1]+".away", segs[1])
		_, err := filestore.Open(context.Background(), dir, filestore.Options{Logger: quietLogger()})
		var ce *filestore.CorruptionError
		if !errors.As(err, &ce) || ce.File != segs[2] || !strings.Contains(ce.Reason, "missing") {
			t.Fatalf("got %v, want a *CorruptionError naming %s and a missing segment", err, segs[2])
		}
	})
	t.Run("intact again", func(t *testing.T) {
		s := mustOpen(t, dir, filestore.Options{SegmentSize: 2048})
		defer s.Close()
		if got := readStreamIDs(t, s, "c"); len(got) != 40 {
			t.Fatalf("got %d events, want 40", len(got))
		}
	})
}

func TestSegmentsRollAndReadAcrossThem(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, filestore.Options{SegmentSize: 1024})
	want := fill(t, s, "roll", 100)
	// One append larger than a whole segment still goes in, alone in its segment.
	big := storetest.Event("Big", 0)
	big.Data = bytes.Repeat([]byte("x"), 10000)
	if _, err := s.Append(context.Background(), "roll", eventstore.Any(), big); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if n := len(segments(t, dir)); n < 10 {
		t.Fatalf("got %d segments, want at least 10", n)
	}
	s = mustOpen(t, dir, filestore.Options{SegmentSize: 1024})
	defer s.Close()
	got := readStreamIDs(t, s, "roll")
	if len(got) != len(want)+1 || got[100] != big.ID.String() {
		t.Fatalf("got %d events, want %d ending with the big one", len(got), len(want)+1)
	}
	for i := range want {
		if got[i] != want[i].ID.String() {
			t.Fatalf("event %d: got %s, want %s", i, got[i], want[i].ID)
		}
	}
}

func TestUnfinishedSegmentCreationIsDiscarded(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, filestore.Options{})
	fill(t, s, "tmp", 3)
	s.Close()
	tmp := filepath.Join(dir, "00000000000000000004.seg.tmp")
	if err := os.WriteFile(tmp, []byte("PBLEDG"), 0o644); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, dir, filestore.Options{})
	defer s.Close()
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Fatalf("leftover %s still there: %v", tmp, err)
	}
	if got := readStreamIDs(t, s, "tmp"); len(got) != 3 {
		t.Fatalf("got %d events, want 3", len(got))
	}
}

func TestUnknownFormatVersionIsRefused(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, filestore.Options{})
	fill(t, s, "v", 1)
	s.Close()
	path := segments(t, dir)[0]
	b, _ := os.ReadFile(path)
	b[8] = 9 // version 9; the header checksum now fails too, so rewrite it as a future writer would
	os.WriteFile(path, b, 0o644)
	_, err := filestore.Open(context.Background(), dir, filestore.Options{Logger: quietLogger()})
	var ce *filestore.CorruptionError
	if !errors.As(err, &ce) || ce.File != path {
		t.Fatalf("got %v, want an error naming %s", err, path)
	}
}

// A first append larger than a whole segment gets a segment mapped for it, and reads back after a reopen.
func TestFrameLargerThanASegmentOnAnEmptyStore(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, filestore.Options{SegmentSize: 4096})
	big := storetest.Event("Big", 0)
	big.Data = bytes.Repeat([]byte("y"), 100_000)
	if _, err := s.Append(context.Background(), "big", eventstore.NoStream(), big); err != nil {
		t.Fatal(err)
	}
	small := fill(t, s, "big", 3)
	check := func(s eventstore.Store) {
		t.Helper()
		evs, err := s.ReadAll(context.Background(), 1, 10)
		if err != nil || len(evs) != 4 || !bytes.Equal(evs[0].Data, big.Data) || evs[3].ID != small[2].ID {
			t.Fatalf("got %d events, %v", len(evs), err)
		}
	}
	check(s)
	s.Close()
	s = mustOpen(t, dir, filestore.Options{SegmentSize: 4096})
	defer s.Close()
	check(s)
}

// A retry of an append that is in the same group commit is answered only once that commit is durable:
// every answer, retry or not, is at or below the head when it arrives.
func TestRetriesAreAcknowledgedOnlyWhenDurable(t *testing.T) {
	s := mustOpen(t, t.TempDir(), filestore.Options{})
	defer s.Close()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 8*100*3)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				e := storetest.Event("Retry", i)
				stream := fmt.Sprintf("retry-%d-%d", w, i)
				var inner sync.WaitGroup
				for k := 0; k < 3; k++ { // the original and two retries at once
					inner.Add(1)
					go func() {
						defer inner.Done()
						res, err := s.Append(ctx, stream, eventstore.NoStream(), e)
						if err != nil {
							errs <- err
							return
						}
						if h, _ := s.Head(ctx); h < res.Position {
							errs <- fmt.Errorf("answered position %d while the head was %d", res.Position, h)
						}
					}()
				}
				inner.Wait()
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
