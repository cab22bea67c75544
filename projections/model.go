// Package projections turns the event log into the read models the public queries: cycles, rankings per
// district, district balances with citywide totals, proposals with their full history, the implementation
// tracker and the recorded outcomes.
//
// A Model is fed events in global order (by a Runner's catch-up subscription, or by a replay) and answers
// queries with the position it reflects. It keeps the domain's own aggregates, rebuilt through their Load,
// so the read side can never disagree with the rules the write side enforces; rankings before allocation are
// computed by the same code that computes the allocation.
package projections

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/ledger"
)

// Model is the read model. All methods are safe for concurrent use.
type Model struct {
	mu        sync.RWMutex
	pos       eventstore.Position
	lastID    uuid.UUID // ID of the event at pos, to check a checkpoint belongs to the log
	at        time.Time // when the event at pos was recorded
	cycles    map[domain.CycleID]*cycleView
	cycleIDs  []domain.CycleID // in the order opened
	proposals map[domain.ProposalID]*proposalView
	late      int64 // ballots recorded after voting closed: kept in the log, never counted
	unknown   int64 // events of types this build does not know
	applied   int64 // events applied by this Model value (not counted in checkpoints)

	waitMu  sync.Mutex    // guards changed; taken before mu when both are
	changed chan struct{} // closed when pos moves; nil until someone waits

	idemMu sync.Mutex
	idem   map[string]*idemRecord

	// The cycle and district of the last ballot applied, so a run of ballots in one district (an import, a
	// busy vote) skips the two lookups. Cleared whenever a cycle's views are replaced (restore).
	lastCycleID    domain.CycleID
	lastDistrictID domain.DistrictID
	lastCycle      *cycleView
	lastDistrict   *districtView

	rankMu sync.Mutex
	ranks  map[districtKey]*rankCache

	inputs InputSource // reads an allocated district's ballots back from the log; nil: not available
}

type districtKey struct {
	cycle    domain.CycleID
	district domain.DistrictID
}

type cycleView struct {
	agg        *domain.Cycle
	version    int
	votingOver bool
	districts  map[domain.DistrictID]*districtView
	// allocatedAt is the position of each district's AllocationRecorded.
	allocatedAt map[domain.DistrictID]eventstore.Position
}

type districtView struct {
	proposals []domain.ProposalID // in the order submitted
	ballots   map[domain.VoterKey]*ballotView
	voters    []domain.VoterKey           // in the order first cast, so inputs are built in a stable order
	votes     map[domain.ProposalID]int64 // counted ballots including each proposal
	// version counts changes that can move the ranking.
	version uint64
	// dropped is set once the district's allocation is recorded: its ballots can no longer change anything
	// the model shows, so they are let go (ballots and voters become nil) and only their number, counted,
	// and votes are kept. Who needs them reads them from the log (AllocatedInput).
	dropped bool
	counted int
}

// ballotCount is the number of ballots the district counts.
func (dv *districtView) ballotCount() int {
	if dv.dropped {
		return dv.counted
	}
	return len(dv.ballots)
}

// drop lets the district's per-ballot data go, keeping the totals.
func (dv *districtView) drop() {
	if dv.dropped {
		return
	}
	dv.counted = len(dv.ballots)
	dv.ballots, dv.voters, dv.dropped = nil, nil, true
}

type ballotView struct {
	agg     domain.Ballot // in the view, not beside it: one allocation per ballot
	version int
}

type proposalView struct {
	agg     *domain.Proposal
	version int
	history []HistoryEntry
}

// HistoryEntry is one event of a proposal's history, as the public sees it.
type HistoryEntry struct {
	Position eventstore.Position `json:"position"`
	Revision eventstore.Revision `json:"revision"`
	Type     string              `json:"type"`
	Recorded time.Time           `json:"recorded"`
	// EffectiveAt is when the event took effect (its metadata's effective_at; zero for events without one).
	EffectiveAt time.Time       `json:"effective_at,omitzero"`
	Principal   string          `json:"principal,omitempty"`
	Role        string          `json:"role,omitempty"`
	Command     string          `json:"command,omitempty"`
	RequestID   string          `json:"request_id,omitempty"`
	Data        json.RawMessage `json:"data"`
}

type idemRecord struct {
	hash string
	w    ledger.Written
}

// NewModel returns an empty model.
func NewModel() *Model {
	return &Model{
		cycles:    make(map[domain.CycleID]*cycleView),
		proposals: make(map[domain.ProposalID]*proposalView),
		idem:      make(map[string]*idemRecord),
		ranks:     make(map[districtKey]*rankCache),
	}
}

// Position returns the position of the last event applied, and when that event was recorded.
func (m *Model) Position() (eventstore.Position, time.Time) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.pos, m.at
}

// WaitFor waits until the model has applied position p, for a read that must see its own write. It returns
// ctx's error if that comes first.
func (m *Model) WaitFor(ctx context.Context, p eventstore.Position) error {
	for {
		m.waitMu.Lock()
		m.mu.RLock()
		pos := m.pos
		m.mu.RUnlock()
		if pos >= p {
			m.waitMu.Unlock()
			return nil
		}
		if m.changed == nil {
			m.changed = make(chan struct{})
		}
		ch := m.changed
		m.waitMu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Decoded is an event decoded for the model. Decoding is the costly part of applying an event and needs no
// lock, so catch-up decodes on one goroutine while another applies.
type Decoded struct {
	rec eventstore.RecordedEvent
	ev  domain.Event // nil for types this build does not know, and for ballots decoded into ballot
	// ballot holds a BallotCast's or BallotReplaced's fields when isBallot is set (ev is then nil): a ballot
	// is most events of a log, and this spares an interface value per ballot.
	ballot   domain.BallotCast
	isBallot bool
	meta     ledger.Metadata
	haveM    bool
	err      error
}

// Decode decodes a recorded event for ApplyDecoded.
func Decode(r eventstore.RecordedEvent) Decoded {
	var d Decoded
	decodeInto(&d, nil, &r)
	return d
}

// decodeInto decodes r into d with dec, or with domain.Decode when dec is nil. A Decoded
// is a few hundred bytes: catch-up decodes in place rather than copying it around.
func decodeInto(d *Decoded, dec *domain.Decoder, r *eventstore.RecordedEvent) {
	*d = Decoded{rec: *r}
	if !knownTypes[r.Type] {
		return
	}
	ballot := isBallot(r.Type)
	switch {
	case ballot && dec != nil:
		d.ballot, d.err = dec.DecodeBallot(r.Type, r.Data)
		d.isBallot = true
	case dec != nil:
		d.ev, d.err = dec.Decode(r.Type, r.Data)
	default:
		d.ev, d.err = domain.Decode(r.Type, r.Data)
	}
	// Metadata matters for proposals' history and for idempotency keys; ballots without a key skip it.
	if d.err == nil && (!ballot || mayHaveIdempotencyKey(r.Metadata)) {
		d.meta, _ = ledger.ParseMetadata(r.Metadata)
		d.haveM = true
	}
}

// mayHaveIdempotencyKey reports whether metadata may carry an idempotency key: whether it holds the key's
// name. Most metadata has no "y" at all, which one fast scan tells, before the search for the name.
func mayHaveIdempotencyKey(meta []byte) bool {
	return bytes.IndexByte(meta, 'y') >= 0 && bytes.Contains(meta, []byte(`"idempotency_key"`))
}

func isBallot(t string) bool { return t == domain.EventBallotCast || t == domain.EventBallotReplaced }

// Apply applies one event. Events must come in global order, each once. Events of types this build does not
// know are counted and skipped (another application may share the log); an event of a known type that does
// not decode, or that breaks an aggregate's history, is an error: the model stops there.
func (m *Model) Apply(r eventstore.RecordedEvent) error { return m.ApplyDecoded(Decode(r)) }

// ApplyDecoded is Apply for an event decoded with Decode.
func (m *Model) ApplyDecoded(d Decoded) error {
	if err := m.applyLocked(d); err != nil {
		return err
	}
	// After unlocking mu: WaitFor takes waitMu and then mu, so notify must not hold mu.
	m.notify()
	return nil
}

// applyBatch applies events decoded by CatchUp under one lock, and wakes WaitFor callers once.
func (m *Model) applyBatch(ds []Decoded) error {
	if len(ds) == 0 {
		return nil
	}
	err := func() error {
		m.mu.Lock()
		defer m.mu.Unlock()
		for i := range ds {
			if err := m.applyOne(&ds[i]); err != nil {
				return err
			}
		}
		return nil
	}()
	m.notify()
	return err
}

func (m *Model) applyLocked(d Decoded) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.applyOne(&d)
}

// applyOne applies d; the caller holds mu.
func (m *Model) applyOne(d *Decoded) error {
	r := &d.rec
	if r.Position <= m.pos {
		return fmt.Errorf("projections: event at position %d applied after position %d", r.Position, m.pos)
	}
	if d.err == nil {
		d.err = m.apply(d)
	}
	if d.err != nil {
		return fmt.Errorf("projections: position %d (%s %s): %w", r.Position, r.StreamID, r.Type, d.err)
	}
	m.pos, m.at, m.lastID = r.Position, r.Recorded, r.ID
	m.applied++
	return nil
}

// Applied returns how many events this model applied since it was made (a restored checkpoint's are not
// counted). Positions may have gaps, so this, not the position, is the count of events.
func (m *Model) Applied() int64 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.applied
}

// notify wakes WaitFor callers. The channel is made only when someone waits, so applying costs nothing
// when nobody does. The caller must not hold mu (WaitFor takes waitMu, then mu).
func (m *Model) notify() {
	m.waitMu.Lock()
	if m.changed != nil {
		close(m.changed)
		m.changed = nil
	}
	m.waitMu.Unlock()
}

var knownTypes = func() map[string]bool {
	m := map[string]bool{}
	for _, t := range domain.EventTypes() {
		m[t] = true
	}
	return m
}()

func (m *Model) apply(d *Decoded) error {
	r := &d.rec
	if d.isBallot {
		if d.haveM && d.meta.IdempotencyKey != "" {
			m.observeIdempotency(r, d.meta)
		}
		return m.applyBallot(d.ballot, r.Type == domain.EventBallotReplaced)
	}
	if d.ev == nil {
		if !ledger.IsIndexEvent(r.Type) { // the ledger's own indexes are known, and no read model's concern
			m.unknown++
		}
		return nil
	}
	if d.haveM && d.meta.IdempotencyKey != "" {
		m.observeIdempotency(r, d.meta)
	}
	switch e := d.ev.(type) {
	case domain.CycleOpened:
		if m.cycles[e.CycleID] != nil {
			return fmt.Errorf("cycle %q opened twice", e.CycleID)
		}
		cv := &cycleView{agg: &domain.Cycle{}, districts: map[domain.DistrictID]*districtView{}, allocatedAt: map[domain.DistrictID]eventstore.Position{}}
		if err := cv.agg.Load(e); err != nil {
			return err
		}
		cv.version = 1
		for _, d := range e.Districts {
			cv.districts[d.ID] = &districtView{ballots: map[domain.VoterKey]*ballotView{}, votes: map[domain.ProposalID]int64{}}
		}
		m.cycles[e.CycleID] = cv
		m.cycleIDs = append(m.cycleIDs, e.CycleID)
	case domain.PhaseAdvanced, domain.PhaseRescheduled, domain.AssessorRegistered, domain.LotDrawn, domain.AllocationRecorded, domain.ExclusionGroupDeclared:
		id := cycleOf(e)
		cv := m.cycles[id]
		if cv == nil {
			return fmt.Errorf("event for cycle %q, which was never opened", id)
		}
		if err := cv.agg.Load(e); err != nil {
			return err
		}
		cv.version++
		if pa, ok := e.(domain.PhaseAdvanced); ok && pa.From == domain.PhaseVoting {
			cv.votingOver = true
		}
		if a, ok := e.(domain.AllocationRecorded); ok {
			cv.allocatedAt[a.DistrictID] = r.Position
			if dv := cv.districts[a.DistrictID]; dv != nil {
				dv.drop()
			}
		}
		for _, d := range cv.districts {
			d.version++ // the phase and assessors change what rankings show
		}
	case domain.BallotCast:
		return m.applyBallot(e, false)
	case domain.BallotReplaced:
		return m.applyBallot(domain.BallotCast(e), true)
	case domain.VoterDistrictClaimed:
		// Only the write side needs claims; the ballot that follows is what counts.
	case domain.PersonalDataErased:
		// The audit record of an erasure; the key it names is gone, which is what readers see.
	default:
		return m.applyProposal(e, r, d.meta)
	}
	return nil
}

func cycleOf(e domain.Event) domain.CycleID {
	switch e := e.(type) {
	case domain.PhaseAdvanced:
		return e.CycleID
	case domain.PhaseRescheduled:
		return e.CycleID
	case domain.AssessorRegistered:
		return e.CycleID
	case domain.LotDrawn:
		return e.CycleID
	case domain.AllocationRecorded:
		return e.CycleID
	case domain.ExclusionGroupDeclared:
		return e.CycleID
	}
	return ""
}

// applyBallot applies a BallotCast, or a BallotReplaced (replaced) with e's fields. The ballot keeps
// e.Choices.
func (m *Model) applyBallot(e domain.BallotCast, replaced bool) error {
	dv := m.lastDistrict
	if e.CycleID != m.lastCycleID || e.DistrictID != m.lastDistrictID || dv == nil {
		// Ballots come in runs of one district (an import, a busy vote): remember the last one's view.
		cv := m.cycles[e.CycleID]
		if cv == nil {
			return fmt.Errorf("ballot for cycle %q, which was never opened", e.CycleID)
		}
		dv = cv.districts[e.DistrictID]
		if dv == nil {
			return fmt.Errorf("ballot for district %q, which cycle %q does not have", e.DistrictID, e.CycleID)
		}
		m.lastCycleID, m.lastDistrictID, m.lastDistrict, m.lastCycle = e.CycleID, e.DistrictID, dv, cv
	}
	cv := m.lastCycle
	if cv.votingOver || cv.agg.Phase() != domain.PhaseVoting {
		// The same rule as the allocation: only ballots recorded while voting was open count.
		m.late++
		return nil
	}
	bv := dv.ballots[e.Voter]
	if bv == nil {
		bv = &ballotView{}
		dv.ballots[e.Voter] = bv
		dv.voters = append(dv.voters, e.Voter)
	} else {
		for _, ch := range bv.agg.Choices() {
			dv.votes[ch.ProposalID]--
		}
	}
	if err := bv.agg.LoadBallot(e, replaced); err != nil {
		return err
	}
	for _, ch := range e.Choices {
		dv.votes[ch.ProposalID]++
	}
	bv.version++
	dv.version++
	return nil
}

func (m *Model) applyProposal(e domain.Event, r *eventstore.RecordedEvent, meta ledger.Metadata) error {
	pv := m.proposals[proposalOf(e)]
	if sub, ok := e.(domain.ProposalSubmitted); ok {
		if pv != nil {
			return fmt.Errorf("proposal %q submitted twice", sub.ProposalID)
		}
		cv := m.cycles[sub.CycleID]
		if cv == nil || cv.districts[sub.DistrictID] == nil {
			return fmt.Errorf("proposal %q for unknown cycle or district %q/%q", sub.ProposalID, sub.CycleID, sub.DistrictID)
		}
		pv = &proposalView{agg: &domain.Proposal{}}
		m.proposals[sub.ProposalID] = pv
		dv := cv.districts[sub.DistrictID]
		dv.proposals = append(dv.proposals, sub.ProposalID)
	}
	if pv == nil {
		return fmt.Errorf("event for proposal %q, which was never submitted", proposalOf(e))
	}
	if err := pv.agg.Load(e); err != nil {
		return err
	}
	pv.version++
	pv.history = append(pv.history, HistoryEntry{
		Position: r.Position, Revision: r.Revision, Type: r.Type, Recorded: r.Recorded, EffectiveAt: meta.EffectiveAt,
		Principal: meta.Principal, Role: meta.Role, Command: meta.Command, RequestID: meta.RequestID,
		Data: json.RawMessage(slices.Clone(r.Data)),
	})
	if cv := m.cycles[pv.agg.CycleID()]; cv != nil {
		if dv := cv.districts[pv.agg.DistrictID()]; dv != nil {
			dv.version++
		}
	}
	return nil
}

// proposalOf returns the proposal an event of a proposal stream is about.
func proposalOf(e domain.Event) domain.ProposalID {
	switch e := e.(type) {
	case domain.ProposalSubmitted:
		return e.ProposalID
	case domain.ProposalRevised:
		return e.ProposalID
	case domain.ProposalPublished:
		return e.ProposalID
	case domain.ProposalRejected:
		return e.ProposalID
	case domain.ProposalWithdrawn:
		return e.ProposalID
	case domain.ProposalScored:
		return e.ProposalID
	case domain.ProposalMarkedInfeasible:
		return e.ProposalID
	case domain.ProposalMarkedFeasible:
		return e.ProposalID
	case domain.CoFinancingPledged:
		return e.ProposalID
	case domain.MilestoneReported:
		return e.ProposalID
	}
	return ""
}

// observeIdempotency adds an event to the answer of the request that wrote it. The caller holds mu.
func (m *Model) observeIdempotency(r *eventstore.RecordedEvent, meta ledger.Metadata) {
	key := meta.Principal + "\x00" + meta.IdempotencyKey
	m.idemMu.Lock()
	defer m.idemMu.Unlock()
	rec := m.idem[key]
	if rec == nil {
		rec = &idemRecord{hash: meta.RequestHash, w: ledger.Written{Stream: r.StreamID}}
		m.idem[key] = rec
	}
	for _, we := range rec.w.Events {
		if we.Position == r.Position {
			return // the ledger already remembered this write
		}
	}
	rec.w.Events = append(rec.w.Events, ledger.WrittenEvent{Type: r.Type, Revision: r.Revision, Position: r.Position})
	rec.w.Revision, rec.w.Position = r.Revision, r.Position
}

// Lookup implements ledger.Idempotency.
func (m *Model) Lookup(principal, key string) (ledger.Written, string, bool) {
	m.idemMu.Lock()
	defer m.idemMu.Unlock()
	rec := m.idem[principal+"\x00"+key]
	if rec == nil {
		return ledger.Written{}, "", false
	}
	w := rec.w
	w.Events = slices.Clone(w.Events)
	return w, rec.hash, true
}

// Remember implements ledger.Idempotency.
func (m *Model) Remember(principal, key, hash string, w ledger.Written) {
	m.idemMu.Lock()
	defer m.idemMu.Unlock()
	w.Events = slices.Clone(w.Events)
	m.idem[principal+"\x00"+key] = &idemRecord{hash: hash, w: w}
}

// Stats are counters about what the model skipped.
type Stats struct {
	// LateBallots were recorded after voting closed; they stay in the log and are never counted.
	LateBallots int64 `json:"late_ballots"`
	// UnknownEvents have types this build does not know.
	UnknownEvents int64 `json:"unknown_events"`
}

// Stats returns the model's counters.
func (m *Model) Stats() Stats {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return Stats{LateBallots: m.late, UnknownEvents: m.unknown}
}
