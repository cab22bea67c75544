package projections_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/domain/outcome"
	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/ledger"
	"github.com/pbledger/pbledger/projections"
)

// A cycle that hides results, limits districts and holds sealed personal data: the model withholds while
// voting, survives a checkpoint with all of it, skips claims and erasures, and publishes once voting closes.
func TestWithheldSurvivesCheckpointAndIsLiftedAfterVoting(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	store := mustStore(t, filepath.Join(dir, "log"))
	defer store.Close()
	cp := filepath.Join(dir, "checkpoint.gob")
	live := projections.NewModel()
	svc := ledger.New(store, live, ledger.Metrics{})
	stop := runUntilCaughtUp(t, &projections.Runner{Store: store, Model: live, CheckpointPath: cp, Logger: quiet})

	policy := domain.ResidentPolicy{VoterKeys: "v2", DistrictsPerVoter: 1, HideResultsDuringVoting: true}
	must(t)(svc.OpenCycle(ctx, req, domain.OpenCycle{CycleID: "h", Name: "Hidden", Currency: "KZT", CurrencyExponent: 2,
		Districts:  []domain.District{{ID: "a", Name: "A", Budget: 1000}, {ID: "b", Name: "B", Budget: 1000}},
		Plan:       []domain.Phase{domain.PhaseSubmission, domain.PhaseVoting, domain.PhaseAllocation, domain.PhaseImplementation, domain.PhaseClosed},
		BallotRule: domain.BallotRule{Type: domain.BallotApproval, MaxChoices: 2}, OutcomeRule: outcome.Rule{Name: outcome.Greedy},
		ResidentPolicy: policy}))
	sealed := &domain.Sealed{KeyID: "vauthor", Algorithm: "AES-256-GCM", Ciphertext: "AAAA"}
	for _, d := range []domain.DistrictID{"a", "b"} {
		id := domain.ProposalID("h." + string(d))
		must(t)(svc.SubmitProposal(ctx, req, domain.SubmitProposal{ProposalID: id, CycleID: "h", DistrictID: d, Author: "vauthor",
			ProposalContent: domain.ProposalContent{Title: "P", Cost: 100}, Personal: sealed}))
		must(t)(svc.PublishProposal(ctx, req, domain.PublishProposal{ProposalID: id, Moderator: "m"}))
	}
	must(t)(svc.AdvancePhase(ctx, req, domain.AdvancePhase{CycleID: "h", To: domain.PhaseVoting}))
	for v := 0; v < 6; v++ {
		d := domain.DistrictID([]string{"a", "b"}[v%2])
		must(t)(svc.CastBallot(ctx, req, domain.CastBallot{CycleID: "h", DistrictID: d, Voter: domain.VoterKey(fmt.Sprintf("v%d", v)),
			Choices: []domain.BallotChoice{{ProposalID: domain.ProposalID("h." + string(d))}}}))
	}
	must(t)(svc.RecordErasure(ctx, req, domain.PersonalDataErased{KeyID: "vother"}))
	head, _ := store.Head(ctx)
	if err := live.WaitFor(ctx, head); err != nil {
		t.Fatal(err)
	}
	stop() // checkpoint while voting

	restored := projections.NewModel()
	stop = runUntilCaughtUp(t, &projections.Runner{Store: store, Model: restored, CheckpointPath: cp, Logger: quiet})
	defer stop()
	for name, m := range map[string]*projections.Model{"live": live, "restored": restored} {
		if !m.Withheld("h") {
			t.Fatalf("%s: not withheld while voting", name)
		}
		rk, err := m.DistrictRanking("h", "a", 0)
		if err != nil || !rk.Withheld || rk.Ballots != 3 || rk.Entries[0].Votes != 0 || rk.Entries[0].Rank != 0 {
			t.Fatalf("%s ranking while voting: %+v %v", name, rk, err)
		}
		p, err := m.Proposal("h.a")
		if err != nil || p.Votes != 0 || !p.VotesWithheld || p.Personal == nil || *p.Personal != *sealed {
			t.Fatalf("%s proposal while voting: %+v %v", name, p, err)
		}
		c, _ := m.Cycle("h")
		if c.ResidentPolicy != policy {
			t.Fatalf("%s policy %+v, want %+v", name, c.ResidentPolicy, policy)
		}
	}
	svc2 := ledger.New(store, nil, ledger.Metrics{})
	closed, err := svc2.AdvancePhase(ctx, req, domain.AdvancePhase{CycleID: "h", To: domain.PhaseAllocation})
	if err != nil {
		t.Fatal(err)
	}
	if err := restored.WaitFor(ctx, closed.Position); err != nil {
		t.Fatal(err)
	}
	rk, _ := restored.DistrictRanking("h", "a", closed.Position)
	if restored.Withheld("h") || rk.Withheld || rk.Entries[0].Votes != 3 {
		t.Fatalf("after voting: withheld %v, ranking %+v", restored.Withheld("h"), rk)
	}
	rebuilt := projections.NewModel()
	if err := projections.CatchUp(ctx, store, rebuilt, eventstore.Position(^uint64(0)), zeroTime); err != nil {
		t.Fatal(err)
	}
	if s := rebuilt.Stats(); s.UnknownEvents != 0 {
		t.Fatalf("claims or erasures counted as unknown: %+v", s)
	}
}
