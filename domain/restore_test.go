package domain_test

import (
	"reflect"
	"testing"

	"github.com/pbledger/pbledger/domain"
)

// A restored aggregate must be indistinguishable from the one whose State it was restored from.
func TestRestoreGivesTheSameAggregate(t *testing.T) {
	c, ps, bs := gated(t)
	c.ClearChanges()
	rc, err := domain.RestoreCycle(c.State(), c.Version())
	mustOK(t, err)
	if !reflect.DeepEqual(rc.State(), c.State()) || rc.Version() != c.Version() {
		t.Fatalf("restored cycle state\n%+v\nwant\n%+v", rc.State(), c.State())
	}
	var rps []*domain.Proposal
	for _, p := range ps {
		p.ClearChanges()
		rp, err := domain.RestoreProposal(p.State(), p.Version())
		mustOK(t, err)
		if !reflect.DeepEqual(rp.State(), p.State()) || rp.Version() != p.Version() || rp.Votable() != p.Votable() {
			t.Fatalf("restored proposal state\n%+v\nwant\n%+v", rp.State(), p.State())
		}
		if (rp.MeanScore() == nil) != (p.MeanScore() == nil) || rp.MeanScore() != nil && rp.MeanScore().Cmp(p.MeanScore()) != 0 {
			t.Fatalf("proposal %s: restored mean %v, want %v", p.ID(), rp.MeanScore(), p.MeanScore())
		}
		rps = append(rps, rp)
	}
	var rbs []*domain.Ballot
	for _, b := range bs {
		b.ClearChanges()
		rb, err := domain.RestoreBallot(b.State(), b.Version())
		mustOK(t, err)
		if !reflect.DeepEqual(rb.State(), b.State()) || rb.Version() != b.Version() {
			t.Fatalf("restored ballot state\n%+v\nwant\n%+v", rb.State(), b.State())
		}
		rbs = append(rbs, rb)
	}
	// The same command on the originals and on the restored copies records the same events.
	cmd := domain.AllocateDistrict{CycleID: c.ID(), DistrictID: "north", LotSeed: "seed"}
	mustOK(t, c.Allocate(cmd, ps, bs))
	mustOK(t, rc.Allocate(cmd, rps, rbs))
	if !reflect.DeepEqual(rc.Changes(), c.Changes()) {
		t.Fatalf("restored cycle recorded\n%+v\nwant\n%+v", rc.Changes(), c.Changes())
	}
	t.Run("empty aggregates", func(t *testing.T) {
		ec, err := domain.RestoreCycle(domain.CycleState{}, 0)
		mustOK(t, err)
		ep, err := domain.RestoreProposal(domain.ProposalState{}, 0)
		mustOK(t, err)
		eb, err := domain.RestoreBallot(domain.BallotState{}, 0)
		mustOK(t, err)
		if ec.Opened() || ep.Submitted() || eb.IsCast() {
			t.Fatal("an empty state restored as a non-empty aggregate")
		}
	})
	t.Run("inconsistent state is refused", func(t *testing.T) {
		st := ps[0].State()
		st.Pledged++
		if _, err := domain.RestoreProposal(st, 1); domain.ErrorCode(err) != domain.CodeInternal {
			t.Fatalf("got %v, want an internal error", err)
		}
		cs := c.State()
		cs.Phase = "nowhere"
		if _, err := domain.RestoreCycle(cs, 1); domain.ErrorCode(err) != domain.CodeInternal {
			t.Fatalf("got %v, want an internal error", err)
		}
	})
}
