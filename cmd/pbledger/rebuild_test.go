package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/projections"
)

// The rebuild's fast path (pages read in place, ballots decoded with a domain.Decoder and applied without
// Event values) builds exactly the model that applying the log one event at a time, decoded by
// encoding/json, builds, and so does the
// checkpoint it writes: the same rankings, balances and outcomes for real elections, allocated ones (whose
// ballots the model lets go) and ones still counting (whose ballots it keeps).
func TestRebuildMatchesEventByEventReplay(t *testing.T) {
	src := pabulibDir(t)
	files, _ := filepath.Glob(filepath.Join(src, "*.pb"))
	if len(files) < 4 {
		t.Fatalf("want the real Pabulib files in %s", src)
	}
	data := t.TempDir()
	half := len(files) / 2
	if out, err := runCmd(t, append([]string{"import", "--keep-going", "--data", data}, files[:half]...)...); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	if out, err := runCmd(t, append([]string{"import", "--keep-going", "--no-allocate", "--data", data}, files[half:]...)...); err != nil {
		t.Fatalf("import --no-allocate: %v\n%s", err, out)
	}
	if out, err := runCmd(t, "rebuild", "--data", data); err != nil || !strings.Contains(out, "rebuilt the read model") {
		t.Fatalf("rebuild: %v\n%s", err, out)
	}

	ctx := context.Background()
	store, err := openExistingLog(ctx, data, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	state := func(m *projections.Model) string {
		t.Helper()
		var b bytes.Buffer
		if err := printState(&b, m, time.Time{}, true); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}

	fast := projections.NewModel()
	if err := projections.CatchUp(ctx, store, fast, eventstore.Position(^uint64(0)), time.Time{}); err != nil {
		t.Fatal(err)
	}
	byEvent := projections.NewModel()
	for from := eventstore.Start; ; {
		recs, err := store.ReadAll(ctx, from, 500)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			break
		}
		for _, r := range recs {
			// A space before the JSON: the domain's fast ballot decoder refuses it, so every event of the
			// reference goes through encoding/json.
			r.Data = append([]byte(" "), r.Data...)
			if err := byEvent.Apply(r); err != nil {
				t.Fatal(err)
			}
		}
		from = recs[len(recs)-1].Position + 1
	}
	want := state(byEvent)
	if !strings.Contains(want, `"provisional": true`) || !strings.Contains(want, `"provisional": false`) {
		t.Fatalf("the test wants allocated districts and districts still counting:\n%.2000s", want)
	}
	if got := state(fast); got != want {
		t.Fatalf("CatchUp's model differs from the event-by-event one:\n%s", firstLineDiff(got, want))
	}

	// The checkpoint rebuild wrote, restored.
	restored := projections.NewModel()
	r := &projections.Runner{Store: store, Model: restored, CheckpointPath: filepath.Join(data, checkpointFile), Logger: quietLogger()}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(runCtx, cancel) }()
	<-runCtx.Done()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if restored.Applied() != 0 {
		t.Fatalf("the restored model applied %d events: the checkpoint was not used", restored.Applied())
	}
	if got := state(restored); got != want {
		t.Fatalf("the model restored from rebuild's checkpoint differs:\n%s", firstLineDiff(got, want))
	}
}

func firstLineDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return fmt.Sprintf("line %d:\n got %s\nwant %s", i+1, la[i], lb[i])
		}
	}
	return fmt.Sprintf("%d lines, want %d", len(la), len(lb))
}
