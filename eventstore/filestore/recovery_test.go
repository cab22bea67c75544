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

func TestTornTailIsCutOffAndReported(t *testing.T) {
	tests := []struct {
		name   string
		damage func(tb testing.TB, path string, lastFrame int64)
	}{
		{"cut mid-record", func(tb testing.TB, path string, lastFrame int64) {
			truncateTo(tb, path, fileSize(tb, path)-7)
		}},
		{"cut inside the frame header", func(tb testing.TB, path string, lastFrame int64) {
			truncateTo(tb, path, lastFrame+5)
		}},
		{"last frame zeroed, as when the size reached disk but the data did not", func(tb testing.TB, path string, lastFrame int64) {
			zero(tb, path, lastFrame, fileSize(tb, path)-lastFrame)
		}},
		{"last frame's second half zeroed", func(tb testing.TB, path string, lastFrame int64) {
			size := fileSize(tb, path)
			zero(tb, path, (lastFrame+size)/2, size-(lastFrame+size)/2)
		}},
		{"zeros after the last frame", func(tb testing.TB, path string, lastFrame int64) {
			appendBytes(tb, path, make([]byte, 4096))
		}},
		{"half a frame of garbage after the last frame", func(tb testing.TB, path string, lastFrame int64) {
			appendBytes(tb, path, []byte{0x30, 0, 0, 0, 1, 2, 3})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s := mustOpen(t, dir, filestore.Options{})
			want := fill(t, s, "tail", 20)
			head, _ := s.Head(context.Background())
			s.Close()
			path := segments(t, dir)[0]
			// Find where the last frame starts: the size before the last append.
			lastFrame := lastFrameOffset(t, dir)
			tt.damage(t, path, lastFrame)

			logger, logs := logBuffer()
			s = mustOpen(t, dir, filestore.Options{Logger: logger})
			defer s.Close()
			got := readStreamIDs(t, s, "tail")
			keep := len(want)
			if fileSize(t, path) <= lastFrame || tt.name != "zeros after the last frame" && tt.name != "half a frame of garbage after the last frame" {
				keep = len(want) - 1
			}
			if len(got) != keep {
				t.Fatalf("got %d events after recovery, want %d", len(got), keep)
			}
			for i := range got {
				if got[i] != want[i].ID.String() {
					t.Fatalf("event %d: got %s, want %s", i, got[i], want[i].ID)
				}
			}
			if !strings.Contains(logs.String(), "torn write") || !strings.Contains(logs.String(), path) {
				t.Errorf("recovery log %q does not report the torn write in %s", logs.String(), path)
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

// lastFrameOffset opens the store, appends nothing, and finds the last frame by replaying sizes: it
// reopens a copy of the log with one fewer event. Simpler: the frames are equal-sized here, so the last
// frame starts at size - (size - header) / frames.
func lastFrameOffset(tb testing.TB, dir string) int64 {
	tb.Helper()
	size := fileSize(tb, segments(tb, dir)[0])
	const header = 32
	return size - (size-header)/20
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

func appendBytes(tb testing.TB, path string, b []byte) {
	tb.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
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
	// Each append of fill is one frame of the same size, so frame k starts at header + k*frameSize.
	dir := t.TempDir()
	s := mustOpen(t, dir, filestore.Options{})
	fill(t, s, "c", 20)
	s.Close()
	path := segments(t, dir)[0]
	size := fileSize(t, path)
	frameSize := (size - 32) / 20
	pristine, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		at         int64
		wantOffset int64
	}{
		{"segment header", 3, 0},
		{"length of the first frame", 32 + 1, 32},
		{"checksum of the third frame", 32 + 2*frameSize + 9, 32 + 2*frameSize},
		{"payload of the tenth frame", 32 + 9*frameSize + 40, 32 + 9*frameSize},
		{"last byte of the second-to-last frame", 32 + 19*frameSize - 1, 32 + 18*frameSize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(path, pristine, 0o644); err != nil {
				t.Fatal(err)
			}
			flip(t, path, tt.at)
			_, err := filestore.Open(context.Background(), dir, filestore.Options{Logger: quietLogger()})
			var ce *filestore.CorruptionError
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want a *CorruptionError", err)
			}
			if ce.File != path || ce.Offset != tt.wantOffset {
				t.Fatalf("got %s at %d, want %s at %d", ce.File, ce.Offset, path, tt.wantOffset)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("message %q does not name the file", err)
			}
			// Nothing was "repaired": the file is as the damage left it.
			if got := fileSize(t, path); got != size {
				t.Errorf("file size changed from %d to %d", size, got)
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
		flip(t, path, fileSize(t, path)-2)
		_, err := filestore.Open(context.Background(), dir, filestore.Options{Logger: quietLogger()})
		var ce *filestore.CorruptionError
		if !errors.As(err, &ce) || ce.File != path {
			t.Fatalf("got %v, want a *CorruptionError in %s", err, path)
		}
		flip(t, path, fileSize(t, path)-2)
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
