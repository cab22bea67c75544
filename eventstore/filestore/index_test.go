package filestore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/filestore"
)

func allIDs(tb testing.TB, s eventstore.Store) []string {
	tb.Helper()
	recs, err := s.ReadAll(context.Background(), eventstore.Start, 1<<20)
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		out = append(out, r.StreamID+"/"+r.ID.String())
	}
	return out
}

// copyLog copies a store's files (not its lock) as a crash image would hold them.
func copyLog(tb testing.TB, from, to string) {
	tb.Helper()
	entries, err := os.ReadDir(from)
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() == "LOCK" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// Close writes the index; Open loads it instead of decoding the log, and then reads what came after it the
// usual way (here: appends of a run that never closed).
func TestOpenLoadsThePersistedIndex(t *testing.T) {
	dir := t.TempDir()
	opts := filestore.Options{SegmentSize: 4096}
	s := mustOpen(t, dir, opts)
	for _, stream := range []string{"a", "b", "c"} {
		fill(t, s, stream, 10)
	}
	want := allIDs(t, s)
	s.Close()

	s = mustOpen(t, dir, opts)
	if got := filestore.OpenedFromIndex(s); got != 30 {
		t.Fatalf("opened from the index up to %d, want 30", got)
	}
	if got := allIDs(t, s); !slices.Equal(got, want) {
		t.Fatalf("events differ after opening from the index")
	}
	more := fill(t, s, "b", 5)
	want = allIDs(t, s)
	crash := t.TempDir()
	copyLog(t, dir, crash) // the index still says 30
	s.Close()

	c := mustOpen(t, crash, opts)
	defer c.Close()
	if got := filestore.OpenedFromIndex(c); got != 30 {
		t.Fatalf("opened from the index up to %d, want 30", got)
	}
	if got := allIDs(t, c); !slices.Equal(got, want) {
		t.Fatalf("events after the index were not read back")
	}
	// The index knows revisions and event IDs: expectations and retries work across it.
	res, err := c.Append(context.Background(), "b", eventstore.Exact(13), more[4])
	if err != nil || res.Position != 35 || res.NextRevision != 14 {
		t.Fatalf("retry of the last append: %+v, %v; want the original result (position 35, revision 14)", res, err)
	}
	if _, err := c.Append(context.Background(), "a", eventstore.Exact(8), fill(t, mustOpenTemp(t), "x", 1)...); !errors.Is(err, eventstore.ErrWrongExpectedRevision) {
		t.Fatalf("append expecting an old revision: %v", err)
	}
}

func mustOpenTemp(t *testing.T) eventstore.Store {
	s := mustOpen(t, t.TempDir(), filestore.Options{})
	t.Cleanup(func() { s.Close() })
	return s
}

// A damaged index file, or one from another log, is ignored: the log is read as without it.
func TestDamagedIndexIsIgnored(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, filestore.Options{})
	fill(t, s, "a", 20)
	want := allIDs(t, s)
	s.Close()
	index := filepath.Join(dir, "index.pbi")
	st, err := os.Stat(index)
	if err != nil {
		t.Fatalf("no index written at close: %v", err)
	}
	flip(t, index, st.Size()/2)
	log, buf := logBuffer()
	s = mustOpen(t, dir, filestore.Options{Logger: log})
	if got := filestore.OpenedFromIndex(s); got != 0 {
		t.Fatalf("a damaged index was used (up to %d)", got)
	}
	if !strings.Contains(buf.String(), "ignoring the persisted index") {
		t.Fatalf("no warning about the damaged index: %s", buf)
	}
	if got := allIDs(t, s); !slices.Equal(got, want) {
		t.Fatal("events differ")
	}
	s.Close()

	// An index from another log of the same shape.
	other := t.TempDir()
	o := mustOpen(t, other, filestore.Options{})
	fill(t, o, "a", 20)
	o.Close()
	b, _ := os.ReadFile(filepath.Join(other, "index.pbi"))
	os.WriteFile(index, b, 0o644)
	s = mustOpen(t, dir, filestore.Options{})
	defer s.Close()
	if got := filestore.OpenedFromIndex(s); got != 0 {
		t.Fatalf("another log's index was used (up to %d)", got)
	}
	if got := allIDs(t, s); !slices.Equal(got, want) {
		t.Fatal("events differ")
	}
}

// With an index present, a damaged frame under it is still found (by the check that follows Open), and a
// torn tail is still cut off at Open.
func TestIndexDoesNotHideDamage(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, filestore.Options{})
	fill(t, s, "a", 20)
	s.Close()
	path := segments(t, dir)[0]
	starts, end := frameStarts(t, path)
	flip(t, path, starts[3]+20)
	log, buf := logBuffer()
	d := mustOpen(t, dir, filestore.Options{Logger: log})
	if got := filestore.OpenedFromIndex(d); got != 20 {
		t.Fatalf("opened from the index up to %d, want 20", got)
	}
	err := d.Checked(context.Background())
	var ce *filestore.CorruptionError
	if !errors.As(err, &ce) || ce.Offset != starts[3] || !strings.Contains(buf.String(), "damaged") {
		t.Fatalf("check: %v (log %q), want a *CorruptionError at offset %d, logged", err, buf, starts[3])
	}
	d.Close()
	flip(t, path, starts[3]+20) // repaired

	truncateTo(t, path, end-7) // the last frame torn
	log, buf = logBuffer()
	s = mustOpen(t, dir, filestore.Options{Logger: log})
	defer s.Close()
	if h, _ := s.Head(context.Background()); h != 19 || !strings.Contains(buf.String(), "torn write") {
		t.Fatalf("head %d after a torn tail, log %q; want 19 and a report", h, buf)
	}
}
