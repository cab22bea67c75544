package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/eventstore"
)

// ErrNotIndexed is returned by DistrictInput (so by Allocate and recounts) for a district whose index is not
// trusted: its cycle was opened by a build older than district indexes, and Reindex has not been run on the
// log since. The write path never scans the log in its place.
var ErrNotIndexed = errors.New("the district has no index: its cycle was opened by an older build; run `pbledger reindex` once")

// Reindexed is what Reindex did to one district.
type Reindexed struct {
	Cycle    domain.CycleID
	District domain.DistrictID
	// Proposals and Voters are the entries Reindex added: the district's streams its index did not name.
	Proposals int
	Voters    int
}

// Reindex gives every district of the log an index it can trust. A district whose cycle was opened by a
// build that wrote no index (its index stream lacks DistrictIndexOpened) gets, in one append, an entry for
// each of its proposal and ballot streams the index does not name yet, then DistrictIndexOpened, which marks
// the index complete. Districts indexed already are left alone, so a second run does nothing.
//
// It reads the whole log once: it is a one-off upgrade step, not part of any command. It may run while
// servers of this build write (a KurrentDB store shared by several): they announce each new stream in the
// index before writing it, so a stream written after the scan is named by its own entry, and one written
// before it is named by Reindex only if its entry is missing. The append expects the index stream's revision
// as read; if an entry lands meanwhile, the district is read and done again. So each stream is named exactly
// once. Servers of older builds, which write no entries, must be stopped first.
func Reindex(ctx context.Context, store eventstore.Store, req Request) ([]Reindexed, error) {
	type streams struct {
		cycle     domain.CycleID
		district  domain.DistrictID
		proposals []domain.ProposalID
		voters    []domain.VoterKey
		seenV     map[domain.VoterKey]bool
	}
	type districtKey struct {
		cycle    domain.CycleID
		district domain.DistrictID
	}
	legacy := map[districtKey]*streams{} // the districts found without a trusted index
	var order []districtKey
	key := func(c domain.CycleID, d domain.DistrictID) districtKey { return districtKey{c, d} }
	for from := eventstore.Position(0); ; {
		recs, err := store.ReadAll(ctx, from, 4096)
		if err != nil {
			return nil, fmt.Errorf("ledger: reindex: read the log: %w", err)
		}
		if len(recs) == 0 {
			break
		}
		for _, r := range recs {
			switch {
			case r.Type == domain.EventCycleOpened && strings.HasPrefix(r.StreamID, domain.CycleStreamPrefix):
				e, err := domain.Decode(r.Type, r.Data)
				if err != nil {
					return nil, fmt.Errorf("ledger: reindex: position %d: %w", r.Position, err)
				}
				opened := e.(domain.CycleOpened)
				for _, d := range opened.Districts {
					trusted, err := IndexTrusted(ctx, store, opened.CycleID, d.ID)
					if err != nil {
						return nil, err
					}
					if k := key(opened.CycleID, d.ID); !trusted && legacy[k] == nil {
						legacy[k] = &streams{cycle: opened.CycleID, district: d.ID, seenV: map[domain.VoterKey]bool{}}
						order = append(order, k)
					}
				}
			case r.Type == domain.EventProposalSubmitted && strings.HasPrefix(r.StreamID, domain.ProposalStreamPrefix):
				e, err := domain.Decode(r.Type, r.Data)
				if err != nil {
					return nil, fmt.Errorf("ledger: reindex: position %d: %w", r.Position, err)
				}
				sub := e.(domain.ProposalSubmitted)
				if s := legacy[key(sub.CycleID, sub.DistrictID)]; s != nil && r.Revision == 0 {
					s.proposals = append(s.proposals, domain.ProposalID(strings.TrimPrefix(r.StreamID, domain.ProposalStreamPrefix)))
				}
			case r.Revision == 0:
				c, d, voter, ok := domain.ParseBallotStream(r.StreamID)
				if !ok || domain.BallotStream(c, d, voter) != r.StreamID {
					continue
				}
				if s := legacy[key(c, d)]; s != nil && !s.seenV[voter] {
					s.seenV[voter] = true
					s.voters = append(s.voters, voter)
				}
			}
		}
		from = recs[len(recs)-1].Position + 1
	}
	var done []Reindexed
	for _, k := range order {
		s := legacy[k]
		r, err := reindexDistrict(ctx, store, req, s.cycle, s.district, s.proposals, s.voters)
		if err != nil {
			return done, err
		}
		done = append(done, r)
	}
	return done, nil
}

// maxReindexEntries is how many entries Reindex puts in one index event.
const maxReindexEntries = 2000

// reindexDistrict appends, in one append expecting the index as read, an entry for each of the streams the
// index does not name and then DistrictIndexOpened; on a conflict it reads the index again.
func reindexDistrict(ctx context.Context, store eventstore.Store, req Request, cycle domain.CycleID, district domain.DistrictID, proposals []domain.ProposalID, voters []domain.VoterKey) (Reindexed, error) {
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
