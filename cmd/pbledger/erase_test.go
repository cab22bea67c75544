package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/domain/outcome"
	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/filestore"
	pbhttp "github.com/pbledger/pbledger/http"
	"github.com/pbledger/pbledger/ledger"
	"github.com/pbledger/pbledger/personal"
)

// `pbledger erase` destroys an author's key and audits it, by proposal or by cycle and resident ID.
func TestEraseCommand(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	if _, err := loadVoterSecret(filepath.Join(data, secretFile)); err != nil {
		t.Fatal(err)
	}
	voters, err := loadVoterSecret(filepath.Join(data, secretFile))
	if err != nil {
		t.Fatal(err)
	}
	store, err := filestore.Open(ctx, filepath.Join(data, logDir), filestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	vault, err := personal.Open(filepath.Join(data, personalKeys))
	if err != nil {
		t.Fatal(err)
	}
	svc := ledger.New(store, nil, ledger.Metrics{})
	req := ledger.Request{Principal: "test", Role: "admin", RequestID: "t"}
	if _, err := svc.OpenCycle(ctx, req, domain.OpenCycle{CycleID: "c1", Name: "C", Currency: "KZT", CurrencyExponent: 2,
		Districts: []domain.District{{ID: "d1", Name: "D", Budget: 1000}}, Plan: []domain.Phase{domain.PhaseSubmission, domain.PhaseReview, domain.PhaseVoting, domain.PhaseAllocation, domain.PhaseImplementation, domain.PhaseClosed},
		BallotRule: domain.BallotRule{Type: domain.BallotApproval}, OutcomeRule: outcome.Rule{Name: outcome.Greedy}, ResidentPolicy: domain.ResidentPolicy{VoterKeys: domain.VoterKeysV2}}); err != nil {
		t.Fatal(err)
	}
	var sealed []*domain.Sealed
	for i, resident := range []string{"alice", "bob"} {
		key, err := pbhttp.AuthorKeyID(ctx, svc, voters, "c1", resident)
		if err != nil {
			t.Fatal(err)
		}
		s, err := vault.Seal(key, personal.Data{Name: resident})
		if err != nil {
			t.Fatal(err)
		}
		sealed = append(sealed, s)
		if _, err := svc.SubmitProposal(ctx, req, domain.SubmitProposal{ProposalID: domain.ProposalID("p" + string(rune('1'+i))), CycleID: "c1", DistrictID: "d1",
			Author: domain.VoterKey(key), ProposalContent: domain.ProposalContent{Title: "T", Cost: 10}, Personal: s}); err != nil {
			t.Fatal(err)
		}
	}
	store.Close()

	if out, err := runCmd(t, "erase", "--data", data); err == nil {
		t.Fatalf("erase with nothing named succeeded: %s", out)
	}
	out, err := runCmd(t, "erase", "--data", data, "--proposal", "p1", "--reason", "ticket 9")
	if err != nil || !strings.Contains(out, "erased") {
		t.Fatalf("erase --proposal: %v\n%s", err, out)
	}
	if out, err := runCmd(t, "erase", "--data", data, "--cycle", "c1", "--resident", "bob"); err != nil {
		t.Fatalf("erase --cycle --resident: %v\n%s", err, out)
	}
	if _, err := runCmd(t, "erase", "--data", data, "--proposal", "p1"); err == nil {
		t.Fatal("a second erasure of the same key succeeded")
	}
	v2, _ := personal.Open(filepath.Join(data, personalKeys))
	for _, s := range sealed {
		if _, err := v2.Open(s); !errors.Is(err, personal.ErrErased) {
			t.Errorf("key %s: got %v, want erased", s.KeyID, err)
		}
	}
	store, err = filestore.Open(ctx, filepath.Join(data, logDir), filestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	recs, err := store.ReadStream(ctx, domain.ErasureStream, eventstore.Forwards, 0, 10)
	if err != nil || len(recs) != 2 || recs[0].Type != domain.EventPersonalDataErased || !strings.Contains(string(recs[0].Data), "ticket 9") {
		t.Fatalf("audit events: %v %v", recs, err)
	}
	if _, err := os.Stat(filepath.Join(data, personalKeys)); err != nil {
		t.Fatal(err)
	}
}
