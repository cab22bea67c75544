package ledger_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/ledger"
	"github.com/pbledger/pbledger/upgrade"
)

// hookStore runs before once, just before the first append to an index stream that ends with
// DistrictIndexOpened (Reindex's), to put a write between Reindex's read of the index and its append.
type hookStore struct {
	eventstore.Store
	once   sync.Once
	before func()
}

func (s *hookStore) Append(ctx context.Context, stream string, exp eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if strings.HasPrefix(stream, ledger.IndexStreamPrefix) && len(events) > 1 && events[len(events)-1].Type == ledger.EventDistrictIndexOpened {
		s.once.Do(s.before)
	}
	return s.Store.Append(ctx, stream, exp, events...)
}

// voterEntries counts how many times c1/d's index names each voter, and whether it is trusted (holds
// DistrictIndexOpened).
func voterEntries(t *testing.T, store eventstore.Store) (map[domain.VoterKey]int, bool) {
	t.Helper()
	recs, err := store.ReadStream(context.Background(), ledger.IndexStream("c1", "d"), eventstore.Forwards, 0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	n := map[domain.VoterKey]int{}
	trusted := false
	for _, r := range recs {
		switch r.Type {
		case ledger.EventDistrictIndexOpened:
			trusted = true
		case ledger.EventVotersIndexed:
			var e ledger.VotersIndexed
			if err := json.Unmarshal(r.Data, &e); err != nil {
				t.Fatal(err)
			}
			for _, v := range e.Voters {
				n[v]++
			}
		}
	}
	return n, trusted
}

// legacyVoting writes cycle c1 as a build without indexes did (v0..v9, no index stream at all), then ten
// ballots by this build (v10..v19, whose entries it writes ahead, in an index that is still not trusted).
func legacyVoting(t *testing.T, store eventstore.Store) *ledger.Service {
	t.Helper()
	old := ledger.New(&countingStore{Store: store, dropIndex: true}, nil, ledger.Metrics{})
	voting(t, old)
	for i := 0; i < 10; i++ {
		castOK(t, old, cast(fmt.Sprintf("v%d", i), choicesOf(i)...))
	}
	svc := ledger.New(store, nil, ledger.Metrics{})
	for i := 10; i < 20; i++ {
		castOK(t, svc, cast(fmt.Sprintf("v%d", i), choicesOf(i)...))
	}
	if n, trusted := voterEntries(t, store); len(n) != 10 || trusted {
		t.Fatalf("before reindex the index names %d voters (trusted %v), want 10, untrusted", len(n), trusted)
	}
	return svc
}

func checkExactlyOnce(t *testing.T, store eventstore.Store, voters int) {
	t.Helper()
	n, trusted := voterEntries(t, store)
	if !trusted {
		t.Fatal("the index is not trusted after reindex")
	}
	if len(n) != voters {
		t.Errorf("the index names %d voters, want %d", len(n), voters)
	}
	for v, k := range n {
		if k != 1 {
			t.Errorf("voter %s is named %d times, want once", v, k)
		}
	}
	proposals, ballots, err := ledger.DistrictInput(context.Background(), store, "c1", "d", eventstore.Position(^uint64(0)))
	if err != nil {
		t.Fatal(err)
	}
	if len(proposals) != 3 || len(ballots) != voters {
		t.Errorf("input: %d proposals and %d ballots, want 3 and %d", len(proposals), len(ballots), voters)
	}
}

// A district opened by an old build, then voted in by this one: reindex adds only what the index lacks.
func TestReindexAddsOnlyTheMissingEntries(t *testing.T) {
	store := mustStore(t)
	legacyVoting(t, store)
	done, err := upgrade.Reindex(context.Background(), store, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(done) != 1 || done[0].Proposals != 3 || done[0].Voters != 10 {
		t.Fatalf("reindex did %+v, want 3 proposals and 10 voters", done)
	}
	checkExactlyOnce(t, store, 20)
}

// Ballots that land between Reindex's read of the index and its append make the append conflict; Reindex
// reads the index again and names each voter once.
func TestReindexRetriesWhenABallotLandsMeanwhile(t *testing.T) {
	plain := mustStore(t)
	svc := legacyVoting(t, plain)
	hooked := &hookStore{Store: plain, before: func() {
		for i := 20; i < 25; i++ {
			castOK(t, svc, cast(fmt.Sprintf("v%d", i), choicesOf(i)...))
		}
	}}
	if _, err := upgrade.Reindex(context.Background(), hooked, req); err != nil {
		t.Fatal(err)
	}
	checkExactlyOnce(t, plain, 25)
}

// Reindex while ballots are being cast: every ballot is named exactly once, whenever it landed.
func TestReindexWithConcurrentBallots(t *testing.T) {
	store := mustStore(t)
	svc := legacyVoting(t, store)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				v := 20 + g*20 + i
				if _, err := svc.CastBallot(context.Background(), req, cast(fmt.Sprintf("v%d", v), choicesOf(v)...)); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	if _, err := upgrade.Reindex(context.Background(), store, req); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	checkExactlyOnce(t, store, 100)
}
