package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/esdbstore"
	"github.com/pbledger/pbledger/eventstore/filestore"
	"github.com/pbledger/pbledger/eventstore/migrate"
)

// openStoreSpec opens a store named on the command line: a KurrentDB connection string, or a data directory
// whose log/ is a file store (created if create is set).
func openStoreSpec(ctx context.Context, spec string, create bool, stderr io.Writer) (eventstore.Store, error) {
	if esdbstore.IsConnectionString(spec) {
		return esdbstore.Open(ctx, spec)
	}
	if _, err := os.Stat(spec); err != nil && !create {
		return nil, fmt.Errorf("data directory %s: %w", spec, err)
	}
	s, err := filestore.Open(ctx, filepath.Join(spec, logDir), filestore.Options{Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if errors.Is(err, filestore.ErrLocked) {
		return nil, fmt.Errorf("%w (stop the server on %s first)", err, spec)
	}
	return s, err
}

// runMigrate copies a log between stores, resumably, then checks the copy event by event.
func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "source: a data directory or a KurrentDB connection string")
	to := fs.String("to", "", "destination: a data directory (created if missing) or a KurrentDB connection string")
	verifyOnly := fs.Bool("verify", false, "only check that --to holds the same events as --from")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: pbledger migrate --from STORE --to STORE [--verify]")
		fmt.Fprintln(stderr, "Copies every event (IDs, streams, revisions, types, data, metadata, order) the destination lacks,")
		fmt.Fprintln(stderr, "resuming an interrupted copy, then reads both logs through and compares them event by event.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *from == "" || *to == "" || fs.NArg() > 0 {
		fs.Usage()
		return errors.New("--from and --to are required")
	}
	src, err := openStoreSpec(ctx, *from, false, stderr)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := openStoreSpec(ctx, *to, true, stderr)
	if err != nil {
		return err
	}
	defer dst.Close()
	start := time.Now()
	if !*verifyOnly {
		last := time.Now()
		res, err := migrate.Copy(ctx, src, dst, func(copied int64) {
			if isTerminal(stderr) && time.Since(last) > time.Second {
				fmt.Fprintf(stderr, "\rcopied %d events", copied)
				last = time.Now()
			}
		})
		if isTerminal(stderr) {
			fmt.Fprintln(stderr)
		}
		if err != nil {
			return fmt.Errorf("%w (run the same command again to resume)", err)
		}
		fmt.Fprintf(stdout, "copied %d events in %d appends (%d were already there) in %s\n", res.Copied, res.Appends, res.Skipped, time.Since(start).Round(time.Millisecond))
	}
	n, roots, err := migrate.VerifyRoots(ctx, src, dst)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "verified: the destination holds the source's %d events, in order, event for event\n", n)
	if n > 0 {
		fmt.Fprintf(stdout, "Merkle root of the source at size %d: %s (compare it with the source's signed checkpoint of that size)\n", n, roots.Source)
		fmt.Fprintf(stdout, "Merkle root of the copy at size %d: %s (its own recorded times; the copy's server signs this one)\n", n, roots.Copy)
	}
	return nil
}
