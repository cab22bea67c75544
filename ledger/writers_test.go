package ledger_test

import (
	"context"
	"errors"
	"testing"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/ledger"
)

// Two Services on one store stand for two pbledger servers sharing a KurrentDB store: neither may rely on
// what it remembers.
func TestTwoWritersOneStore(t *testing.T) {
	store := mustStore(t)
	a := ledger.New(store, nil, ledger.Metrics{})
	b := ledger.New(store, nil, ledger.Metrics{})
	voting(t, a)
	ctx := context.Background()
	keyed := ledger.Request{Principal: "portal", Role: "gateway", RequestID: "r1", IdempotencyKey: "k1", RequestHash: "h1"}

	t.Run("a retry through the other writer gets the first answer", func(t *testing.T) {
		first, err := a.CastBallot(ctx, keyed, cast("v1", "p1"))
		if err != nil {
			t.Fatal(err)
		}
		again, err := b.CastBallot(ctx, keyed, cast("v1", "p1"))
		if err != nil {
			t.Fatalf("retry through b: %v", err)
		}
		if again.Position != first.Position || again.Revision != first.Revision || len(again.Events) != 1 {
			t.Fatalf("got %+v, want %+v", again, first)
		}
		other := keyed
		other.RequestHash = "h2"
		if _, err := b.CastBallot(ctx, other, cast("v1", "p2")); !errors.Is(err, ledger.ErrIdempotencyKeyReused) {
			t.Fatalf("the key reused for another request through b: got %v, want ErrIdempotencyKeyReused", err)
		}
	})

	t.Run("a phase change through one writer is seen by the other", func(t *testing.T) {
		// b caches the cycle (in voting) by casting a ballot, then a closes voting.
		if _, err := b.CastBallot(ctx, req, cast("v2", "p1")); err != nil {
			t.Fatal(err)
		}
		if _, err := a.AdvancePhase(ctx, req, domain.AdvancePhase{CycleID: "c1", To: domain.PhaseAllocation}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.CastBallot(ctx, req, cast("v3", "p1")); !errors.Is(err, domain.ErrVotingClosed) {
			t.Fatalf("ballot through b after a closed voting: got %v, want ErrVotingClosed", err)
		}
		// The allocation counts v1 and v2 only.
		_, ballots, err := a.DistrictInput(ctx, "c1", "d", eventstore.Position(^uint64(0)))
		if err != nil {
			t.Fatal(err)
		}
		if len(ballots) != 2 {
			t.Fatalf("allocation input has %d ballots, want 2", len(ballots))
		}
	})
}
