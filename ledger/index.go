package ledger

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/eventstore"
)

// A district's index stream lists the streams an allocation of the district must read: its proposals and its
// voters' ballot streams. It is an ordinary stream, so allocation reads only what it needs on every backend
// (never a scan of $all), and its cost does not grow with the rest of the log.
//
// The index is written ahead: an entry is appended before the first event of the stream it names. A crash
// between the two leaves an entry whose stream has no events (or none of the district's), which the reader
// skips; it never leaves a stream the index does not name. Entries may repeat (a retried command writes its
// entry again); readers deduplicate.
//
// An index is trusted only if it holds DistrictIndexOpened, which OpenCycle writes first, before the cycle
// itself. Cycles opened by builds that did not write indexes have no such event; Reindex (`pbledger
// reindex`, once, on upgrade) writes the entries they lack and then DistrictIndexOpened. Until then their
// allocation fails with ErrNotIndexed: the write path never scans the log instead.
const (
	// IndexStreamPrefix starts the name of every index stream: "index-<cycle>-<district>".
	IndexStreamPrefix = "index-"

	// EventDistrictIndexOpened starts a district's index. Data: IndexOpened.
	EventDistrictIndexOpened = "DistrictIndexOpened"
	// EventProposalsIndexed names proposals submitted to the district. Data: ProposalsIndexed.
	EventProposalsIndexed = "ProposalsIndexed"
	// EventVotersIndexed names voters whose ballot streams in the district may hold a ballot. Data:
	// VotersIndexed.
	EventVotersIndexed = "VotersIndexed"
)

// IndexStream names the index stream of a district.
func IndexStream(cycle domain.CycleID, district domain.DistrictID) string {
	return IndexStreamPrefix + string(cycle) + "-" + string(district)
}

// IsIndexEvent reports whether an event type is one of the index's. Projections skip them.
func IsIndexEvent(eventType string) bool {
	return eventType == EventDistrictIndexOpened || eventType == EventProposalsIndexed || eventType == EventVotersIndexed
}

// IndexOpened is the data of DistrictIndexOpened.
type IndexOpened struct {
	CycleID    domain.CycleID    `json:"cycle_id"`
	DistrictID domain.DistrictID `json:"district_id"`
}

// ProposalsIndexed is the data of ProposalsIndexed.
type ProposalsIndexed struct {
	Proposals []domain.ProposalID `json:"proposals"`
}

// VotersIndexed is the data of VotersIndexed.
type VotersIndexed struct {
	Voters []domain.VoterKey `json:"voters"`
}

// oneVoterIndexed is the body of a VotersIndexed event naming one voter, encoded without the cost of
// encoding/json when the key needs no escaping (a valid key never does): every first ballot writes one.
func oneVoterIndexed(v domain.VoterKey) any {
	const prefix, suffix = `{"voters":["`, `"]}`
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 || c == '<' || c == '>' || c == '&' {
			return VotersIndexed{Voters: []domain.VoterKey{v}}
		}
	}
	b := make([]byte, 0, len(prefix)+len(v)+len(suffix))
	return json.RawMessage(append(append(append(b, prefix...), v...), suffix...))
}

// indexAppend appends one index event, ahead of the write it announces. body is encoded as JSON (a
// json.RawMessage is taken as it is).
func (s *Service) indexAppend(ctx context.Context, req Request, stream, eventType string, body any) error {
	var data []byte
	var err error
	if raw, ok := body.(json.RawMessage); ok {
		data = raw
	} else if data, err = json.Marshal(body); err != nil {
		return fmt.Errorf("ledger: encode %s: %w", eventType, err)
	}
	meta, err := s.metadata(Metadata{Principal: req.Principal, Role: req.Role, RequestID: req.RequestID, Command: "Index", EffectiveAt: req.At})
	if err != nil {
		return err
	}
	ev := eventstore.EventData{ID: uuid.New(), Type: eventType, Data: data, Metadata: meta}
	if _, err := s.store.Append(context.WithoutCancel(ctx), stream, eventstore.Any(), ev); err != nil {
		return fmt.Errorf("ledger: append to %s: %w", stream, err)
	}
	return nil
}

// districtIndex is what a district's index stream names, each once, in the order first named.
type districtIndex struct {
	proposals []domain.ProposalID
	voters    []domain.VoterKey
}

// readIndex reads a district's index. trusted is false if the index holds no DistrictIndexOpened (the cycle
// was opened by a build that wrote no index, and Reindex has not completed it): then the caller must not rely
// on it.
func readIndex(ctx context.Context, store eventstore.Store, cycle domain.CycleID, district domain.DistrictID) (idx districtIndex, trusted bool, err error) {
	idx, trusted, _, err = readIndexRev(ctx, store, cycle, district)
	return idx, trusted, err
}

// readIndexRev is readIndex that also returns the index stream's last revision (nil: no stream).
func readIndexRev(ctx context.Context, store eventstore.Store, cycle domain.CycleID, district domain.DistrictID) (idx districtIndex, trusted bool, last *eventstore.Revision, err error) {
	stream := IndexStream(cycle, district)
	seenP := map[domain.ProposalID]bool{}
	seenV := map[domain.VoterKey]bool{}
	for from := eventstore.Revision(0); ; {
		recs, err := store.ReadStream(ctx, stream, eventstore.Forwards, from, 1024)
		if errors.Is(err, eventstore.ErrStreamNotFound) {
			return idx, false, nil, nil
		}
		if err != nil {
			return idx, false, nil, fmt.Errorf("ledger: read %s: %w", stream, err)
		}
		if len(recs) == 0 {
			return idx, trusted, last, nil
		}
		for _, r := range recs {
			rev := r.Revision
			last = &rev
			switch r.Type {
			case EventDistrictIndexOpened:
				trusted = true
			case EventProposalsIndexed:
				var e ProposalsIndexed
				if err := json.Unmarshal(r.Data, &e); err != nil {
					return idx, false, nil, fmt.Errorf("ledger: %s revision %d: %w", stream, r.Revision, err)
				}
				for _, id := range e.Proposals {
					if !seenP[id] {
						seenP[id] = true
						idx.proposals = append(idx.proposals, id)
					}
				}
			case EventVotersIndexed:
				var e VotersIndexed
				if v, ok := oneVoter(r.Data); ok {
					e.Voters = []domain.VoterKey{v}
				} else if err := json.Unmarshal(r.Data, &e); err != nil {
					return idx, false, nil, fmt.Errorf("ledger: %s revision %d: %w", stream, r.Revision, err)
				}
				for _, v := range e.Voters {
					if !seenV[v] {
						seenV[v] = true
						idx.voters = append(idx.voters, v)
					}
				}
			}
		}
		from = recs[len(recs)-1].Revision + 1
	}
}

// oneVoter reads VotersIndexed data naming one voter as CastBallot writes it, {"voters":["<key>"]}, without
// the cost of encoding/json (an allocation reads one such event per voter). ok is false for anything else,
// which the caller decodes in full.
func oneVoter(data []byte) (domain.VoterKey, bool) {
	const prefix, suffix = `{"voters":["`, `"]}`
	if len(data) <= len(prefix)+len(suffix) || string(data[:len(prefix)]) != prefix || string(data[len(data)-len(suffix):]) != suffix {
		return "", false
	}
	key := data[len(prefix) : len(data)-len(suffix)]
	for _, c := range key {
		// The characters of a valid ID; anything else (a quote, an escape) takes the full decoder.
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == ':' || c == '-') {
			return "", false
		}
	}
	return domain.VoterKey(key), true
}

// readUntil reads a stream's events at or before position until. A missing stream is no events.
func readUntil(ctx context.Context, store eventstore.Store, stream string, until eventstore.Position) ([]eventstore.RecordedEvent, error) {
	var out []eventstore.RecordedEvent
	for from := eventstore.Revision(0); ; {
		recs, err := store.ReadStream(ctx, stream, eventstore.Forwards, from, 1024)
		if errors.Is(err, eventstore.ErrStreamNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("ledger: read %s: %w", stream, err)
		}
		if len(recs) == 0 {
			return out, nil
		}
		for _, r := range recs {
			if r.Position > until {
				return out, nil
			}
			out = append(out, r)
		}
		from = recs[len(recs)-1].Revision + 1
	}
}

// indexedInput is DistrictInput through the district's index: it reads the cycle's stream, the streams of the
// proposals the index names and the ballot streams of the voters it names, and nothing else.
func indexedInput(ctx context.Context, store eventstore.Store, cycle domain.CycleID, district domain.DistrictID, until eventstore.Position, idx districtIndex) ([]*domain.Proposal, []*domain.Ballot, error) {
	// Ballots count only if recorded before the event that ended the voting phase.
	closed := until
	cycleRecs, err := readUntil(ctx, store, domain.CycleStream(cycle), until)
	if err != nil {
		return nil, nil, err
	}
	for _, r := range cycleRecs {
		if r.Type != domain.EventPhaseAdvanced {
			continue
		}
		e, err := domain.Decode(r.Type, r.Data)
		if err != nil {
			return nil, nil, fmt.Errorf("ledger: position %d: %w", r.Position, err)
		}
		if e.(domain.PhaseAdvanced).From == domain.PhaseVoting {
			closed = r.Position - 1
			break
		}
	}
	type loaded[T any] struct {
		first eventstore.Position
		agg   T
	}
	var proposals []loaded[*domain.Proposal]
	for _, id := range idx.proposals {
		recs, err := readUntil(ctx, store, domain.ProposalStream(id), until)
		if err != nil {
			return nil, nil, err
		}
		if len(recs) == 0 {
			continue // announced, never written
		}
		evs, err := decodeAll(recs)
		if err != nil {
			return nil, nil, err
		}
		if sub, ok := evs[0].(domain.ProposalSubmitted); !ok || sub.CycleID != cycle || sub.DistrictID != district {
			continue // a stale entry: the ID belongs to another district's proposal
		}
		p := &domain.Proposal{}
		if err := p.Load(evs...); err != nil {
			return nil, nil, fmt.Errorf("ledger: proposal %s: %w", id, err)
		}
		proposals = append(proposals, loaded[*domain.Proposal]{recs[0].Position, p})
	}
	var ballots []loaded[*domain.Ballot]
	for _, v := range idx.voters {
		recs, err := readUntil(ctx, store, domain.BallotStream(cycle, district, v), closed)
		if err != nil {
			return nil, nil, err
		}
		if len(recs) == 0 {
			continue
		}
		evs, err := decodeAll(recs)
		if err != nil {
			return nil, nil, err
		}
		b := &domain.Ballot{}
		if err := b.Load(evs...); err != nil {
			return nil, nil, fmt.Errorf("ledger: ballot of %s: %w", v, err)
		}
		ballots = append(ballots, loaded[*domain.Ballot]{recs[0].Position, b})
	}
	// The order of the log, as a scan would see them: the index's order can differ when writes raced.
	slices.SortFunc(proposals, func(a, b loaded[*domain.Proposal]) int { return cmpPos(a.first, b.first) })
	slices.SortFunc(ballots, func(a, b loaded[*domain.Ballot]) int { return cmpPos(a.first, b.first) })
	ps := make([]*domain.Proposal, len(proposals))
	for i, p := range proposals {
		ps[i] = p.agg
	}
	bs := make([]*domain.Ballot, len(ballots))
	for i, b := range ballots {
		bs[i] = b.agg
	}
	return ps, bs, nil
}

func cmpPos(a, b eventstore.Position) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func decodeAll(recs []eventstore.RecordedEvent) ([]domain.Event, error) {
	evs := make([]domain.Event, len(recs))
	for i, r := range recs {
		e, err := domain.Decode(r.Type, r.Data)
		if err != nil {
			return nil, fmt.Errorf("ledger: %s revision %d: %w", r.StreamID, r.Revision, err)
		}
		evs[i] = e
	}
	return evs, nil
}

// CoalesceIndex rewrites a run of an index stream's events with consecutive entries of one kind merged into
// events of up to max entries, in order: the index means the same, in fewer events. Merged events get new
// IDs and the metadata of the first event merged. The importer uses it when copying a file's log.
func CoalesceIndex(events []eventstore.RecordedEvent, max int) ([]eventstore.EventData, error) {
	var out []eventstore.EventData
	var kind string
	var meta []byte
	var proposals []domain.ProposalID
	var voters []domain.VoterKey
	flush := func() error {
		var body any
		switch kind {
		case EventProposalsIndexed:
			body = ProposalsIndexed{Proposals: proposals}
		case EventVotersIndexed:
			body = VotersIndexed{Voters: voters}
		default:
			return nil
		}
		data, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("ledger: encode %s: %w", kind, err)
		}
		out = append(out, eventstore.EventData{ID: uuid.New(), Type: kind, Data: data, Metadata: meta})
		kind, proposals, voters = "", nil, nil
		return nil
	}
	for _, r := range events {
		if r.Type != kind || len(proposals)+len(voters) >= max {
			if err := flush(); err != nil {
				return nil, err
			}
		}
		switch r.Type {
		case EventProposalsIndexed:
			var e ProposalsIndexed
			if err := json.Unmarshal(r.Data, &e); err != nil {
				return nil, fmt.Errorf("ledger: %s revision %d: %w", r.StreamID, r.Revision, err)
			}
			if kind == "" {
				kind, meta = r.Type, r.Metadata
			}
			proposals = append(proposals, e.Proposals...)
		case EventVotersIndexed:
			var e VotersIndexed
			if v, ok := oneVoter(r.Data); ok {
				e.Voters = []domain.VoterKey{v}
			} else if err := json.Unmarshal(r.Data, &e); err != nil {
				return nil, fmt.Errorf("ledger: %s revision %d: %w", r.StreamID, r.Revision, err)
			}
			if kind == "" {
				kind, meta = r.Type, r.Metadata
			}
			voters = append(voters, e.Voters...)
		default:
			out = append(out, eventstore.EventData{ID: r.ID, Type: r.Type, Data: r.Data, Metadata: r.Metadata})
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}

// DecodeIndexEvent checks that an index event's data is what its type says, strictly (no unknown fields),
// as domain.Decode does for the domain's events. Verifiers use it.
func DecodeIndexEvent(eventType string, data []byte) error {
	var v any
	switch eventType {
	case EventDistrictIndexOpened:
		v = &IndexOpened{}
	case EventProposalsIndexed:
		v = &ProposalsIndexed{}
	case EventVotersIndexed:
		v = &VotersIndexed{}
	default:
		return fmt.Errorf("ledger: %q is not an index event", eventType)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("ledger: decode %s: %w", eventType, err)
	}
	if dec.More() {
		return fmt.Errorf("ledger: decode %s: trailing data", eventType)
	}
	return nil
}
