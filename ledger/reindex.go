package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/eventstore"
)

// ErrNotIndexed is returned by DistrictInput (so by Allocate and recounts) for a district whose index is not
// trusted: its cycle was opened by a build older than district indexes, and `pbledger reindex` (package
// upgrade) has not been run on the log since. The write path never scans the log in its place.
var ErrNotIndexed = errors.New("the district has no index: its cycle was opened by an older build; run `pbledger reindex` once")

// Reindexed is what ReindexDistrict did to one district.
type Reindexed struct {
	Cycle    domain.CycleID
	District domain.DistrictID
	// Proposals and Voters are the entries ReindexDistrict added: the district's streams its index did not name.
	Proposals int
	Voters    int
}

// maxReindexEntries is how many entries ReindexDistrict puts in one index event.
const maxReindexEntries = 2000

// ReindexDistrict gives one district an index it can trust: given every proposal and ballot stream of the
// district (found by a one-off scan of the log, package upgrade), it appends, expecting the index as read, an
// entry for each stream the index does not name yet and then DistrictIndexOpened; on a conflict (an entry
// landed meanwhile) it reads the index again, so each stream is named exactly once. A district indexed
// already is left alone.
//
// It may run while servers of this build write (a KurrentDB store shared by several): they announce each new
// stream in the index before writing it, so a stream written after the scan is named by its own entry, and
// one written before it is named here only if its entry is missing. Servers of older builds, which write no
// entries, must be stopped first.
func ReindexDistrict(ctx context.Context, store eventstore.Store, req Request, cycle domain.CycleID, district domain.DistrictID, proposals []domain.ProposalID, voters []domain.VoterKey) (Reindexed, error) {
	stream := IndexStream(cycle, district)
	done := Reindexed{Cycle: cycle, District: district}
	svc := New(store, nil, Metrics{})
	for {
		idx, trusted, last, err := readIndexRev(ctx, store, cycle, district)
		if err != nil {
			return done, err
		}
		if trusted {
			return done, nil // another reindex got there first
		}
		missingP := slices.DeleteFunc(slices.Clone(proposals), func(p domain.ProposalID) bool { return slices.Contains(idx.proposals, p) })
		named := make(map[domain.VoterKey]bool, len(idx.voters))
		for _, v := range idx.voters {
			named[v] = true
		}
		missingV := slices.DeleteFunc(slices.Clone(voters), func(v domain.VoterKey) bool { return named[v] })
		meta, err := svc.metadata(Metadata{Principal: req.Principal, Role: req.Role, RequestID: req.RequestID, Command: "Reindex", EffectiveAt: reindexTime(req)})
		if err != nil {
			return done, err
		}
		var evs []eventstore.EventData
		add := func(typ string, body any) error {
			data, err := json.Marshal(body)
			if err != nil {
				return fmt.Errorf("ledger: encode %s: %w", typ, err)
			}
			evs = append(evs, eventstore.EventData{ID: uuid.New(), Type: typ, Data: data, Metadata: meta})
			return nil
		}
		for ps := missingP; len(ps) > 0; ps = ps[min(len(ps), maxReindexEntries):] {
			if err := add(EventProposalsIndexed, ProposalsIndexed{Proposals: ps[:min(len(ps), maxReindexEntries)]}); err != nil {
				return done, err
			}
		}
		for vs := missingV; len(vs) > 0; vs = vs[min(len(vs), maxReindexEntries):] {
			if err := add(EventVotersIndexed, VotersIndexed{Voters: vs[:min(len(vs), maxReindexEntries)]}); err != nil {
				return done, err
			}
		}
		if err := add(EventDistrictIndexOpened, IndexOpened{CycleID: cycle, DistrictID: district}); err != nil {
			return done, err
		}
		exp := eventstore.NoStream()
		if last != nil {
			exp = eventstore.Exact(*last)
		}
		if err := appendSized(ctx, store, stream, exp, evs); errors.Is(err, eventstore.ErrWrongExpectedRevision) {
			continue // an entry landed meanwhile: read the index again
		} else if err != nil {
			return done, fmt.Errorf("ledger: reindex %s: %w", stream, err)
		}
		done.Proposals, done.Voters = len(missingP), len(missingV)
		return done, nil
	}
}

// appendSized appends events as one append if they fit eventstore.MaxAppendSize; a larger set is written in
// several appends, each expecting the revision the one before left, with DistrictIndexOpened last, so the
// index is trusted only once all its entries are in.
func appendSized(ctx context.Context, store eventstore.Store, stream string, exp eventstore.ExpectedRevision, evs []eventstore.EventData) error {
	for len(evs) > 0 {
		n, size := 0, 0
		for n < len(evs) {
			s := eventstore.EncodedSize(stream, evs[n:n+1])
			if n > 0 && size+s > eventstore.MaxAppendSize {
				break
			}
			size += s
			n++
		}
		res, err := store.Append(context.WithoutCancel(ctx), stream, exp, evs[:n]...)
		if err != nil {
			return err
		}
		exp = eventstore.Exact(res.NextRevision)
		evs = evs[n:]
	}
	return nil
}

func reindexTime(req Request) time.Time {
	if req.At.IsZero() {
		return time.Now().UTC()
	}
	return req.At
}

// IndexTrusted reports whether a district's index is complete (holds DistrictIndexOpened). It reads one event
// for a district opened by this build; only an index without the marker is read through.
func IndexTrusted(ctx context.Context, store eventstore.Store, cycle domain.CycleID, district domain.DistrictID) (bool, error) {
	stream := IndexStream(cycle, district)
	for from, n := eventstore.Revision(0), 1; ; n = 1024 {
		recs, err := store.ReadStream(ctx, stream, eventstore.Forwards, from, n)
		if errors.Is(err, eventstore.ErrStreamNotFound) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("ledger: read %s: %w", stream, err)
		}
		if len(recs) == 0 {
			return false, nil
		}
		for _, r := range recs {
			if r.Type == EventDistrictIndexOpened {
				return true, nil
			}
		}
		from = recs[len(recs)-1].Revision + 1
	}
}
