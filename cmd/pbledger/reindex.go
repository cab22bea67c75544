package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/ledger"
	"github.com/pbledger/pbledger/projections"
	"github.com/pbledger/pbledger/upgrade"
)

// runReindex is the one-off upgrade step for logs with cycles opened before district indexes existed: it
// completes their indexes (upgrade.Reindex), after which allocation reads only each district's index.
func runReindex(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("reindex", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", "./data", "data directory (the server must not be running on it)")
	storeSpec := fs.String("store", "", "a KurrentDB connection string instead of --data (servers of this build may keep running)")
	asJSON := fs.Bool("json", false, "print what was reindexed as JSON")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: pbledger reindex [--data DIR | --store esdb://...] [--json]")
		fmt.Fprintln(stderr, "Gives every district an index its allocation can trust: districts of cycles opened by builds older")
		fmt.Fprintln(stderr, "than district indexes get an entry for each of their proposals and ballots. Reads the whole log once;")
		fmt.Fprintln(stderr, "run it once after upgrading (a second run does nothing). docs/ADMIN.md, \"Upgrading\".")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errors.New("reindex takes no arguments")
	}
	spec := *dataDir
	if *storeSpec != "" {
		spec = *storeSpec
	}
	store, err := openStoreSpec(ctx, spec, false, stderr)
	if err != nil {
		return err
	}
	defer store.Close()
	req := ledger.Request{Principal: "reindex", Role: "system", RequestID: "reindex", At: time.Now().UTC()}
	done, err := upgrade.Reindex(ctx, store, req)
	if *asJSON {
		type districtJSON struct {
			Cycle     string `json:"cycle"`
			District  string `json:"district"`
			Proposals int    `json:"proposals_added"`
			Voters    int    `json:"voters_added"`
		}
		out := []districtJSON{}
		for _, d := range done {
			out = append(out, districtJSON{string(d.Cycle), string(d.District), d.Proposals, d.Voters})
		}
		if werr := writeJSONTo(stdout, out); werr != nil && err == nil {
			err = werr
		}
		return err
	}
	for _, d := range done {
		fmt.Fprintf(stdout, "%s/%s: indexed %d proposals and %d voters\n", d.Cycle, d.District, d.Proposals, d.Voters)
	}
	if err == nil {
		fmt.Fprintf(stdout, "%d districts reindexed; every district's index is complete\n", len(done))
	}
	return err
}

// reindexOnStart completes, in the background, the indexes of districts the read model knows whose index
// is not trusted (cycles opened by builds older than indexes): the one-off `pbledger reindex`, run by the
// server itself when it finds such a district, so an upgraded server needs no manual step. Until it is done,
// allocating such a district answers ErrNotIndexed. Checking costs one read per district.
func reindexOnStart(ctx context.Context, store eventstore.Store, model *projections.Model, log *slog.Logger) {
	cycles, _ := model.Cycles()
	legacy := 0
	for _, c := range cycles {
		detail, err := model.Cycle(c.ID)
		if err != nil {
			continue
		}
		for _, d := range detail.DistrictViews {
			ok, err := ledger.IndexTrusted(ctx, store, c.ID, d.ID)
			if err != nil {
				log.Warn("checking the district indexes", "err", err)
				return
			}
			if !ok {
				legacy++
			}
		}
	}
	if legacy == 0 {
		return
	}
	log.Info("reindexing districts opened by an older build (one scan of the log)", "districts", legacy)
	req := ledger.Request{Principal: "reindex", Role: "system", RequestID: "reindex-on-start", At: time.Now().UTC()}
	done, err := upgrade.Reindex(ctx, store, req)
	if err != nil {
		log.Error("reindex failed; run pbledger reindex", "err", err, "reindexed", len(done))
		return
	}
	log.Info("reindexed", "districts", len(done))
}
