package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/pbledger/pbledger/domain"
	pbhttp "github.com/pbledger/pbledger/http"
	"github.com/pbledger/pbledger/ledger"
	"github.com/pbledger/pbledger/personal"
)

// runErase is `pbledger erase`: the offline twin of POST /v1/erasures, for an operator with the data
// directory (the server must be stopped, like every tool that opens it).
func runErase(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("erase", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", "./data", "data directory")
	secretPath := fs.String("voter-secret", "", "file holding the voter-key secret (default DATA/"+secretFile+")")
	proposal := fs.String("proposal", "", "erase the personal data of this proposal's author")
	cycle := fs.String("cycle", "", "with --resident: the cycle the author submitted in")
	resident := fs.String("resident", "", "with --cycle: the author's resident ID")
	reason := fs.String("reason", "", "the ground or ticket, recorded in the audit event (no personal data)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: pbledger erase --data DIR (--proposal ID | --cycle C --resident R) [--reason TEXT]")
		fmt.Fprintln(stderr, "Destroys the author's personal-data key (crypto-shredding) and appends a PersonalDataErased event.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if (*proposal == "") == (*cycle == "" || *resident == "") || (*proposal != "" && (*cycle != "" || *resident != "")) {
		fs.Usage()
		return errors.New("name either --proposal, or --cycle and --resident")
	}
	if *secretPath == "" {
		*secretPath = filepath.Join(*dataDir, secretFile)
	}
	store, err := openStore(ctx, *dataDir, stderr)
	if err != nil {
		return err
	}
	defer store.Close()
	svc := ledger.New(store, nil, ledger.Metrics{})
	vault, err := personal.Open(filepath.Join(*dataDir, personalKeys))
	if err != nil {
		return err
	}
	var keyID string
	if *proposal != "" {
		keyID, err = svc.ProposalPersonalKey(ctx, domain.ProposalID(*proposal))
	} else {
		if _, err := os.Stat(*secretPath); err != nil {
			return fmt.Errorf("the voter-key secret is needed to find a resident's key: %w", err)
		}
		var voters *pbhttp.VoterKeys
		if voters, err = loadVoterSecret(*secretPath); err != nil {
			return err
		}
		keyID, err = pbhttp.AuthorKeyID(ctx, svc, voters, domain.CycleID(*cycle), *resident)
	}
	if err != nil {
		return err
	}
	req := ledger.Request{Principal: "operator", Role: "admin", RequestID: "pbledger-erase"}
	w, err := pbhttp.ErasePersonalData(ctx, svc, vault, req, keyID, *reason)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "erased the personal data under key %s; audit event at position %d\n", keyID, w.Position)
	return nil
}
