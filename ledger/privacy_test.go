package ledger_test

import (
	"context"
	"errors"
	"testing"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/domain/outcome"
	"github.com/pbledger/pbledger/ledger"
)

// A retry of a request answered before keys were keyed still gets its first answer: the legacy key and hash
// are looked up (never written).
func TestLegacyIdempotencyKeysAreRecognised(t *testing.T) {
	ctx := context.Background()
	store := mustStore(t)
	idem := ledger.NewMemoryIdempotency()
	first := ledger.Written{Stream: "ballot-c1-d-v1", Revision: 0, Position: 42}
	idem.Remember("portal", "raw-key", "legacy-hash", first)
	svc := ledger.New(store, idem, ledger.Metrics{})
	voting(t, svc)
	head, _ := store.Head(ctx)
	r := ledger.Request{Principal: "portal", Role: "gateway", IdempotencyKey: "keyed-key", RequestHash: "keyed-hash",
		LegacyIdempotencyKey: "raw-key", LegacyRequestHash: "legacy-hash"}
	w, err := svc.CastBallot(ctx, r, cast("v1", "p1"))
	if err != nil || w.Position != first.Position || w.Stream != first.Stream {
		t.Fatalf("retry across the upgrade: got %+v, %v; want the first answer %+v", w, err, first)
	}
	if h, _ := store.Head(ctx); h != head {
		t.Fatalf("the retry appended: head %d, was %d", h, head)
	}
	r.LegacyRequestHash = "another-request"
	if _, err := svc.CastBallot(ctx, r, cast("v1", "p2")); !errors.Is(err, ledger.ErrIdempotencyKeyReused) {
		t.Fatalf("legacy key with another request: got %v, want ErrIdempotencyKeyReused", err)
	}
}

// The district claim is taken under the store's expected revision: a second district is refused, the same
// district again (a replacement) is not.
func TestDistrictClaims(t *testing.T) {
	ctx := context.Background()
	svc := ledger.New(mustStore(t), nil, ledger.Metrics{})
	w, err := svc.OpenCycle(ctx, req, domain.OpenCycle{CycleID: "c2", Name: "C2", Currency: "KZT", CurrencyExponent: 2,
		Districts:  []domain.District{{ID: "d", Name: "D", Budget: 1000}, {ID: "e", Name: "E", Budget: 1000}},
		Plan:       []domain.Phase{domain.PhaseSubmission, domain.PhaseVoting, domain.PhaseAllocation, domain.PhaseImplementation, domain.PhaseClosed},
		BallotRule: domain.BallotRule{Type: domain.BallotApproval, MaxChoices: 2}, OutcomeRule: outcome.Rule{Name: outcome.Greedy},
		AllowBallotReplacement: true, ResidentPolicy: domain.ResidentPolicy{DistrictsPerVoter: 1}})
	mustOK(t, w, err)
	for _, p := range []struct {
		id domain.ProposalID
		d  domain.DistrictID
	}{{"q1", "d"}, {"q2", "e"}} {
		w, err := svc.SubmitProposal(ctx, req, domain.SubmitProposal{ProposalID: p.id, CycleID: "c2", DistrictID: p.d, Author: "a1",
			ProposalContent: domain.ProposalContent{Title: "P", Cost: 10}})
		mustOK(t, w, err)
		w, err = svc.PublishProposal(ctx, req, domain.PublishProposal{ProposalID: p.id, Moderator: "m1"})
		mustOK(t, w, err)
	}
	w, err = svc.AdvancePhase(ctx, req, domain.AdvancePhase{CycleID: "c2", To: domain.PhaseVoting})
	mustOK(t, w, err)
	ballot := func(d domain.DistrictID, p domain.ProposalID) domain.CastBallot {
		return domain.CastBallot{CycleID: "c2", DistrictID: d, Voter: "v1", Choices: []domain.BallotChoice{{ProposalID: p}}}
	}
	w, err = svc.CastBallot(ctx, req, ballot("d", "q1"))
	mustOK(t, w, err)
	w, err = svc.CastBallot(ctx, req, ballot("d", "q1")) // a replacement: same district
	mustOK(t, w, err)
	if _, err := svc.CastBallot(ctx, req, ballot("e", "q2")); !errors.Is(err, domain.ErrDistrictLimit) {
		t.Fatalf("a second district: got %v, want ErrDistrictLimit", err)
	}
	p, err := svc.ResidentPolicy(ctx, "c2")
	if err != nil || p.DistrictsPerVoter != 1 {
		t.Fatalf("ResidentPolicy: %+v %v", p, err)
	}
	if _, err := svc.ResidentPolicy(ctx, "nope"); !errors.Is(err, domain.ErrUnknownCycle) {
		t.Fatalf("ResidentPolicy of an unknown cycle: %v", err)
	}
}
