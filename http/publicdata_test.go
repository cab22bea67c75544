package http_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/pbledger/pbledger/eventstore"
)

// PublicEventData, which the gRPC endpoint shows anonymous readers, withholds exactly what the feed does.
func TestPublicEventDataWithholdsLikeTheFeed(t *testing.T) {
	e := newEnv(t)
	hidden := strings.Replace(openCycle, `"name"`, `"hide_results_during_voting":true,"name"`, 1)
	e.vote(t, hidden)
	e.must(t, 201, "POST", "/v1/cycles/c1/ballots", "portal", ballot("r1", "p1", "p2"))
	recs, err := e.store.ReadAll(context.Background(), eventstore.Start, 10_000)
	if err != nil {
		t.Fatal(err)
	}
	ballots := 0
	for _, r := range recs {
		got := e.api.PublicEventData(context.Background(), r)
		if r.Type != "BallotCast" {
			if !bytes.Equal(got, r.Data) {
				t.Errorf("%s: data changed: %s", r.Type, got)
			}
			continue
		}
		ballots++
		if bytes.Contains(got, []byte(`"choices"`)) || !bytes.Contains(got, []byte(`"choices_withheld":true`)) {
			t.Errorf("ballot while voting: %s", got)
		}
	}
	if ballots != 1 {
		t.Fatalf("found %d ballots, want 1", ballots)
	}
}
