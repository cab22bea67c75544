package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/domain/outcome"
	"github.com/pbledger/pbledger/domain/pabulib"
	"github.com/pbledger/pbledger/ledger"
)

// runExport is `pbledger export`: it recounts a district's recorded allocation from the log alone
// (ledger.RecountAllocation) and writes its input as a Pabulib file that recounts exactly, or as JSON, so an
// auditor needs no server.
func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", "./data", "data directory")
	cycle := fs.String("cycle", "", "the `cycle` ID (required)")
	district := fs.String("district", "", "the `district` ID (required)")
	format := fs.String("format", "pabulib", "`pabulib` (a .pb file `pbledger outcome --pabulib` recounts with no flags) or json")
	out := fs.String("out", "", "write to `file` instead of standard output")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: pbledger export --data DIR --cycle C --district D [--format pabulib|json] [--out FILE]")
		fmt.Fprintln(stderr, "Exports a counted district's outcome input, with every parameter of the recorded count, from the log.")
		fmt.Fprintln(stderr, "Exits non-zero if the recount from the log differs from the recorded allocation.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *cycle == "" || *district == "" || fs.NArg() > 0 {
		fs.Usage()
		return errors.New("--cycle and --district are required, and nothing else")
	}
	if *format != "pabulib" && *format != "json" {
		return fmt.Errorf("unknown format %q (pabulib, json)", *format)
	}
	store, err := openStore(ctx, *dataDir, stderr)
	if err != nil {
		return err
	}
	defer store.Close()
	rc, err := ledger.RecountAllocation(ctx, store, domain.CycleID(*cycle), domain.DistrictID(*district))
	if err != nil {
		return err
	}
	w := stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	if *format == "json" {
		err = writeJSONTo(w, exportJSON{Cycle: rc.Cycle.ID(), District: domain.DistrictID(*district),
			Currency: rc.Cycle.State().Currency, CurrencyExponent: rc.Cycle.State().CurrencyExponent,
			LogPosition: uint64(rc.Position), Recorded: rc.Recorded, Input: rc.Input, Recount: rc.Result, Mismatch: rc.Mismatch()})
	} else {
		err = pabulib.Write(w, exportInstance(rc))
	}
	if err != nil {
		return err
	}
	if m := rc.Mismatch(); m != "" {
		return fmt.Errorf("the recount from the log differs from the recorded allocation: %s", m)
	}
	return nil
}

// exportJSON is the JSON form of `pbledger export`.
type exportJSON struct {
	Cycle            domain.CycleID    `json:"cycle"`
	District         domain.DistrictID `json:"district"`
	Currency         string            `json:"currency"`
	CurrencyExponent int               `json:"currency_exponent"`
	// LogPosition is the position of the AllocationRecorded event; the input is the log before it.
	LogPosition uint64                    `json:"log_position"`
	Recorded    domain.AllocationRecorded `json:"recorded"`
	Input       outcome.Input             `json:"input"`
	Recount     outcome.Result            `json:"recount"`
	// Mismatch is empty when the recount equals the recorded allocation.
	Mismatch string `json:"mismatch"`
}

// exportInstance is the Pabulib form of a recount: FromInput with the cycle's description and the recorded
// digest.
func exportInstance(rc *ledger.Recount) *pabulib.Instance {
	st := rc.Cycle.State()
	name := string(rc.Recorded.DistrictID)
	for _, d := range st.Districts {
		if d.ID == rc.Recorded.DistrictID {
			name = d.Name
		}
	}
	meta := []pabulib.KV{
		{Key: "description", Value: st.Name + ", " + name},
		{Key: "unit", Value: st.Name},
		{Key: "district", Value: name},
		{Key: "instance", Value: string(rc.Cycle.ID()) + "/" + string(rc.Recorded.DistrictID)},
		{Key: "currency", Value: st.Currency},
		{Key: "log_position", Value: fmt.Sprint(uint64(rc.Position))},
		{Key: pabulib.MetaRecordedDigest, Value: rc.Recorded.InputDigest},
	}
	return pabulib.FromInput(rc.Input, st.CurrencyExponent, meta)
}
