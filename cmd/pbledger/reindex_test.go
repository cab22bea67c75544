package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/filestore"
	"github.com/pbledger/pbledger/ledger"
)

func openLog(tb testing.TB, data string) *filestore.Store {
	tb.Helper()
	s, err := filestore.Open(context.Background(), filepath.Join(data, logDir), filestore.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// legacyCopy writes every event of src's log except the district indexes into a new data directory: the log
// a build from before indexes would have written.
func legacyCopy(tb testing.TB, src string) string {
	tb.Helper()
	ctx := context.Background()
	from, to := openLog(tb, src), openLog(tb, tb.TempDir())
	defer from.Close()
	defer to.Close()
	for pos := eventstore.Position(0); ; {
		recs, err := from.ReadAll(ctx, pos, 1000)
		if err != nil {
			tb.Fatal(err)
		}
		if len(recs) == 0 {
			break
		}
		for _, r := range recs {
			if strings.HasPrefix(r.StreamID, ledger.IndexStreamPrefix) {
				continue
			}
			if _, err := to.Append(ctx, r.StreamID, eventstore.Any(), eventstore.EventData{ID: r.ID, Type: r.Type, Data: r.Data, Metadata: r.Metadata}); err != nil {
				tb.Fatal(err)
			}
		}
		pos = recs[len(recs)-1].Position + 1
	}
	return filepath.Dir(to.Dir())
}

// A data directory written before district indexes: its districts cannot be allocated until `pbledger
// reindex` has run, then they read the same input as a directory indexed from the start.
func TestReindexUpgradesALegacyDataDirectory(t *testing.T) {
	data := t.TempDir()
	file := filepath.Join(pabulibDir(t), "poland_krakow_2018_bienczyce.pb")
	if _, err := runCmd(t, "import", "--data", data, "--no-allocate", "--cycle", "bienczyce", file); err != nil {
		t.Fatal(err)
	}
	legacy := legacyCopy(t, data)
	ctx := context.Background()
	input := func(data string) (int, int, error) {
		s := openLog(t, data)
		defer s.Close()
		p, b, err := ledger.DistrictInput(ctx, s, "bienczyce", districtOf(t, s), eventstore.Position(^uint64(0)))
		return len(p), len(b), err
	}
	wantP, wantB, err := input(data)
	if err != nil || wantB == 0 {
		t.Fatalf("the imported directory: %d ballots, %v", wantB, err)
	}
	if _, _, err := input(legacy); !errors.Is(err, ledger.ErrNotIndexed) {
		t.Fatalf("the legacy directory before reindex: %v, want ErrNotIndexed", err)
	}
	out, err := runCmd(t, "reindex", "--data", legacy)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "1 districts reindexed") {
		t.Errorf("reindex said %q", out)
	}
	gotP, gotB, err := input(legacy)
	if err != nil || gotP != wantP || gotB != wantB {
		t.Fatalf("after reindex: %d proposals and %d ballots (%v), want %d and %d", gotP, gotB, err, wantP, wantB)
	}
	if out, err := runCmd(t, "reindex", "--data", legacy); err != nil || !strings.Contains(out, "0 districts reindexed") {
		t.Fatalf("a second reindex: %q, %v", out, err)
	}
}

// districtOf returns the district of cycle bienczyce.
func districtOf(tb testing.TB, s eventstore.Store) domain.DistrictID {
	tb.Helper()
	recs, err := s.ReadStream(context.Background(), domain.CycleStream("bienczyce"), eventstore.Forwards, 0, 1)
	if err != nil {
		tb.Fatal(err)
	}
	e, err := domain.Decode(recs[0].Type, recs[0].Data)
	if err != nil {
		tb.Fatal(err)
	}
	return e.(domain.CycleOpened).Districts[0].ID
}

// The server finds the districts opened before indexes and reindexes them itself, in the background.
func TestServeReindexesALegacyDataDirectoryOnStart(t *testing.T) {
	data := t.TempDir()
	file := filepath.Join(pabulibDir(t), "poland_krakow_2018_bienczyce.pb")
	if _, err := runCmd(t, "import", "--data", data, "--no-allocate", "--cycle", "bienczyce", file); err != nil {
		t.Fatal(err)
	}
	legacy := legacyCopy(t, data)
	url, stop := startServerOn(t, legacy, "--transparency=false")
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(url + "/v1/events?after=0&limit=10000")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(body), ledger.EventDistrictIndexOpened) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the server did not reindex the legacy district")
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	s := openLog(t, legacy)
	defer s.Close()
	if ok, err := ledger.IndexTrusted(context.Background(), s, "bienczyce", districtOf(t, s)); err != nil || !ok {
		t.Fatalf("after serve, the index is trusted = %v (%v)", ok, err)
	}
	if _, b, err := ledger.DistrictInput(context.Background(), s, "bienczyce", districtOf(t, s), eventstore.Position(^uint64(0))); err != nil || len(b) == 0 {
		t.Fatalf("after serve: %d ballots, %v", len(b), err)
	}
}
