// Package ledger is pbledger's application layer: it runs the domain's commands against the event store.
//
// For each command it loads the aggregates the command needs, lets the domain decide, and appends the
// recorded events to the aggregate's stream with the revision it loaded (so a concurrent change is a
// conflict, never a lost update). Every event's metadata names the principal and the request.
//
// Several Services, in several processes, may write to one store at once (pbledger servers sharing a
// KurrentDB store): every invariant comes from the store, not from one process's memory. Each command loads
// the streams it decides on and appends with the revision it loaded, so a concurrent change is a conflict;
// the cached state of a cycle is brought up to date from its stream before a command uses it. A ballot counts
// only if its position is before the event that closed voting (the rule allocation applies), so after
// appending a ballot the Service reads the cycle's new events and answers "voting closed" if a phase change
// from another writer got in first. A retry of a keyed request that another process already answered is
// recognised by its event IDs in the stream and answered as the first time. Within one process the Service
// also serialises what it can: a phase change waits for the ballots and proposal commands in flight.
//
// The calendar follows the same rule: every server runs a Scheduler, whose phase changes expect the cycle
// stream's revision, so exactly one of them records each; and the domain refuses a ballot after the voting
// deadline by the command's time (Request.At), whatever phase a server has cached.
package ledger

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/eventstore"
)

// Metadata is stored with every event: who did it and in which request. It is JSON in the store and part of
// the public record, so its fields never change meaning.
type Metadata struct {
	// Principal names the authenticated caller (a token's name), e.g. "almaty-portal".
	Principal string `json:"principal"`
	// Role is the principal's role: gateway, moderator, assessor, admin, or "system" for imports.
	Role string `json:"role"`
	// RequestID identifies the HTTP request (or the import run).
	RequestID string `json:"request_id,omitempty"`
	// Command names the command that recorded the event, e.g. "CastBallot".
	Command string `json:"command,omitempty"`
	// IdempotencyKey is the client's Idempotency-Key, if it sent one.
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	// RequestHash is the SHA-256 of the request (method, path, body) that carried IdempotencyKey.
	RequestHash string `json:"request_hash,omitempty"`
	// EffectiveAt is when the event took effect: the time of the command that recorded it. It is the
	// recording time for live requests and the historical time for imported or back-filled history; replay
	// --until TIME goes by it. Events written before it existed have none (their recording time counts).
	EffectiveAt time.Time `json:"effective_at,omitzero"`
}

// ParseMetadata reads an event's metadata; empty metadata is the zero Metadata.
func ParseMetadata(b []byte) (Metadata, error) {
	var m Metadata
	if len(b) == 0 {
		return m, nil
	}
	err := json.Unmarshal(b, &m)
	return m, err
}

// WrittenEvent is one event a write appended.
type WrittenEvent struct {
	Type     string              `json:"type"`
	Revision eventstore.Revision `json:"revision"`
	Position eventstore.Position `json:"position"`
}

// Written is the answer to a write: what was appended where. It is a pure function of the appended events,
// so the answer to a retried request can be rebuilt from the log.
type Written struct {
	// Stream is the aggregate's stream, e.g. "proposal-p1".
	Stream string `json:"stream"`
	// Revision is the stream's revision after the write (use it in If-Match).
	Revision eventstore.Revision `json:"revision"`
	// Position is the global position of the last event appended (use it in ?min_position=).
	Position eventstore.Position `json:"position"`
	Events   []WrittenEvent      `json:"events"`
}

// Idempotency remembers the answers to requests made with an Idempotency-Key. The projections keep it (it is a
// read model of the events' metadata, rebuilt with them); the Service also tells it about every write at once,
// so that a retry right after the first answer finds it.
type Idempotency interface {
	// Lookup returns the answer recorded for the principal's key and the hash of the request that made it.
	Lookup(principal, key string) (w Written, requestHash string, ok bool)
	// Remember records an answer.
	Remember(principal, key, requestHash string, w Written)
}

// Request is what the Service needs to know about the caller of a command.
type Request struct {
	Principal string
	Role      string
	RequestID string
	// At is the command's time: the domain judges deadlines by it and events record it as their
	// EffectiveAt. Zero means now. Only trusted callers in the process (imports, the demo, tests) set it;
	// the HTTP layer never does.
	At time.Time
	// IdempotencyKey and RequestHash come from the Idempotency-Key header and the request itself. They are
	// written into the public log, so the HTTP layer passes keyed digests of them.
	IdempotencyKey string
	RequestHash    string
	// LegacyIdempotencyKey and LegacyRequestHash are the key and hash as logs written before they were keyed
	// hold them (the raw key; an unkeyed SHA-256 of the request). They are only looked up, never written, so
	// that a retry of a request answered before the upgrade still gets its first answer.
	LegacyIdempotencyKey string
	LegacyRequestHash    string
	// IfMatch, if set, is what the caller expects of the command's stream (If-Match).
	IfMatch *Precondition
}

// Precondition is an If-Match condition (RFC 9110 §13.1.1) on a command's stream: it holds when the stream
// exists and Any is set ("*"), or when the stream's revision is one of Revisions. An empty one never holds.
type Precondition struct {
	Any       bool
	Revisions []eventstore.Revision
}

// MatchRevision is the precondition that the stream is at revision rev.
func MatchRevision(rev eventstore.Revision) *Precondition {
	return &Precondition{Revisions: []eventstore.Revision{rev}}
}

// holds reports whether a stream of version events (0: it does not exist) meets the condition.
func (p *Precondition) holds(version int) bool {
	if version == 0 {
		return false
	}
	if p.Any {
		return true
	}
	for _, r := range p.Revisions {
		if r == eventstore.Revision(version-1) {
			return true
		}
	}
	return false
}

// Errors of the application layer. Check them with errors.Is.
var (
	// ErrPreconditionFailed: If-Match named a revision the stream is not at. The error is a
	// *PreconditionError carrying the current revision.
	ErrPreconditionFailed = errors.New("precondition failed")
	// ErrIdempotencyKeyReused: an Idempotency-Key was reused for a different request.
	ErrIdempotencyKeyReused = errors.New("idempotency key reused for a different request")
)

// PreconditionError is returned when If-Match does not hold.
type PreconditionError struct {
	Stream string
	// Current is the stream's last revision; Exists is false if the stream has no events.
	Current eventstore.Revision
	Exists  bool
	// Wanted is the condition that did not hold.
	Wanted Precondition
}

func (e *PreconditionError) Error() string {
	want := "*"
	if !e.Wanted.Any {
		revs := make([]string, len(e.Wanted.Revisions))
		for i, r := range e.Wanted.Revisions {
			revs[i] = strconv.FormatUint(uint64(r), 10)
		}
		want = "revision " + strings.Join(revs, " or ")
		if len(revs) == 0 {
			want = "a revision it cannot be at (weak or foreign entity tags never match)"
		}
	}
	if !e.Exists {
		return fmt.Sprintf("If-Match: %s does not exist yet, %s was expected", e.Stream, want)
	}
	return fmt.Sprintf("If-Match: %s is at revision %d, not %s", e.Stream, e.Current, want)
}

// Is makes errors.Is(err, ErrPreconditionFailed) true.
func (e *PreconditionError) Is(target error) bool { return target == ErrPreconditionFailed }

// Metrics is what the Service reports; nil fields are skipped.
type Metrics struct {
	// Appended is called after every successful append with the event types and how long the append took.
	Appended func(types []string, took time.Duration)
	// AppendFailed is called when the store refuses or fails an append, with the error. A conflict
	// (eventstore.ErrWrongExpectedRevision) is a normal outcome of concurrency, not a failure, and is not
	// reported.
	AppendFailed func(err error)
}

// Service runs commands. Create it with New.
type Service struct {
	store   eventstore.Store
	idem    Idempotency
	metrics Metrics
	stripes [64]sync.Mutex // serialises requests with the same idempotency key

	// The last metadata encoded, a few of them: a run of one request's writes reuses them (an import's
	// ballots alternate between the CastBallot and Index commands' metadata).
	recentMeta [4]atomic.Pointer[encodedMeta]
	nextMeta   atomic.Uint32

	mu        sync.Mutex
	cycles    map[domain.CycleID]*cycleEntry
	proposals map[domain.ProposalID]*proposalEntry
}

// cycleEntry holds the current state of a cycle. The aggregate behind cur is never changed once stored: a
// command works on a fresh copy and swaps it in after the append, so readers need no lock on it. lock orders
// commands: cycle commands hold it exclusively, proposal and ballot commands hold it shared.
type cycleEntry struct {
	lock sync.RWMutex
	cur  atomic.Pointer[domain.Cycle]
}

type proposalEntry struct {
	mu  sync.Mutex
	cur atomic.Pointer[domain.Proposal]
}

// New returns a Service over store. idem may be nil, in which case Idempotency-Key is remembered only in
// memory for this process's life.
func New(store eventstore.Store, idem Idempotency, m Metrics) *Service {
	if idem == nil {
		idem = NewMemoryIdempotency()
	}
	return &Service{
		store:     store,
		idem:      idem,
		metrics:   m,
		cycles:    make(map[domain.CycleID]*cycleEntry),
		proposals: make(map[domain.ProposalID]*proposalEntry),
	}
}

func (s *Service) cycleEntry(id domain.CycleID) *cycleEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.cycles[id]
	if e == nil {
		e = &cycleEntry{}
		s.cycles[id] = e
	}
	return e
}

func (s *Service) proposalEntry(id domain.ProposalID) *proposalEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.proposals[id]
	if e == nil {
		e = &proposalEntry{}
		s.proposals[id] = e
	}
	return e
}

// openedCycle returns the entry of a cycle that exists, or, for one that does not, its empty state (for the
// domain to say so) and no entry: requests naming unknown cycles must not grow the cache.
func (s *Service) openedCycle(ctx context.Context, id domain.CycleID) (*cycleEntry, *domain.Cycle, error) {
	s.mu.Lock()
	e := s.cycles[id]
	s.mu.Unlock()
	if e != nil {
		return e, nil, nil
	}
	c, err := s.loadCycle(ctx, id)
	if err != nil || !c.Opened() {
		return nil, c, err
	}
	return s.cycleEntry(id), nil, nil
}

// readStream reads a whole stream and decodes its events. A missing stream is no events.
func (s *Service) readStream(ctx context.Context, stream string) ([]domain.Event, error) {
	var out []domain.Event
	for from := eventstore.Revision(0); ; {
		recs, err := s.store.ReadStream(ctx, stream, eventstore.Forwards, from, 1000)
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
			e, err := domain.Decode(r.Type, r.Data)
			if err != nil {
				return nil, fmt.Errorf("ledger: %s revision %d: %w", stream, r.Revision, err)
			}
			out = append(out, e)
		}
		from = recs[len(recs)-1].Revision + 1
	}
}

func (s *Service) loadCycle(ctx context.Context, id domain.CycleID) (*domain.Cycle, error) {
	evs, err := s.readStream(ctx, domain.CycleStream(id))
	if err != nil {
		return nil, err
	}
	c := &domain.Cycle{}
	if err := c.Load(evs...); err != nil {
		return nil, fmt.Errorf("ledger: load cycle %s: %w", id, err)
	}
	return c, nil
}

func (s *Service) loadProposal(ctx context.Context, id domain.ProposalID) (*domain.Proposal, error) {
	evs, err := s.readStream(ctx, domain.ProposalStream(id))
	if err != nil {
		return nil, err
	}
	p := &domain.Proposal{}
	if err := p.Load(evs...); err != nil {
		return nil, fmt.Errorf("ledger: load proposal %s: %w", id, err)
	}
	return p, nil
}

// currentCycle returns the cycle's current state, loading it on first use. The caller holds e.lock.
func (s *Service) currentCycle(ctx context.Context, id domain.CycleID, e *cycleEntry) (*domain.Cycle, error) {
	if c := e.cur.Load(); c != nil {
		// Another writer may have changed the cycle: look for events after the cached state.
		recs, err := s.store.ReadStream(ctx, domain.CycleStream(id), eventstore.Forwards, eventstore.Revision(c.Version()), 1)
		if err != nil && !errors.Is(err, eventstore.ErrStreamNotFound) {
			return nil, fmt.Errorf("ledger: read %s: %w", domain.CycleStream(id), err)
		}
		if len(recs) == 0 {
			return c, nil
		}
	}
	c, err := s.loadCycle(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.Opened() {
		e.cur.Store(c)
	}
	return c, nil
}

// currentProposal returns a proposal's current state, loading it on first use.
// Only proposals that exist get a cache entry: ballots may name any ID, and the cache must not grow with them.
func (s *Service) currentProposal(ctx context.Context, id domain.ProposalID) (*domain.Proposal, error) {
	s.mu.Lock()
	e := s.proposals[id]
	s.mu.Unlock()
	if e != nil {
		if p := e.cur.Load(); p != nil {
			return p, nil
		}
	}
	p, err := s.loadProposal(ctx, id)
	if err != nil || !p.Submitted() {
		return p, err
	}
	e = s.proposalEntry(id)
	e.mu.Lock()
	defer e.mu.Unlock()
	if cur := e.cur.Load(); cur != nil {
		return cur, nil // a command stored a newer state meanwhile
	}
	e.cur.Store(p)
	return p, nil
}

// expected turns an aggregate's version (its number of events) into the expectation for appending to it.
func expected(version int) eventstore.ExpectedRevision {
	if version == 0 {
		return eventstore.NoStream()
	}
	return eventstore.Exact(eventstore.Revision(version - 1))
}

// checkIfMatch compares If-Match with the version the command loaded.
func checkIfMatch(req Request, stream string, version int) error {
	if req.IfMatch == nil {
		return nil
	}
	if !req.IfMatch.holds(version) {
		pe := &PreconditionError{Stream: stream, Wanted: *req.IfMatch, Exists: version > 0}
		if version > 0 {
			pe.Current = eventstore.Revision(version - 1)
		}
		return pe
	}
	return nil
}

// idempotent runs write once per (principal, Idempotency-Key): a repeat of the same request gets the first
// answer and appends nothing; the same key with another request is ErrIdempotencyKeyReused.
//
// A keyed request that fails (a conflict, a domain error) may be the retry of a write already in the log: stream
// is searched for its events, and if they are there their answer is returned, once check (if any) accepts it.
func (s *Service) idempotent(ctx context.Context, req Request, stream string, check func(Written) error, write func() (Written, error)) (Written, error) {
	if req.IdempotencyKey == "" {
		return write()
	}
	h := sha256.Sum256([]byte(req.Principal + "\x00" + req.IdempotencyKey))
	mu := &s.stripes[h[0]%byte(len(s.stripes))]
	mu.Lock()
	defer mu.Unlock()
	if w, hash, ok := s.idem.Lookup(req.Principal, req.IdempotencyKey); ok {
		if hash != req.RequestHash {
			return Written{}, fmt.Errorf("ledger: key %q: %w", req.IdempotencyKey, ErrIdempotencyKeyReused)
		}
		return w, nil
	}
	if req.LegacyIdempotencyKey != "" {
		if w, hash, ok := s.idem.Lookup(req.Principal, req.LegacyIdempotencyKey); ok {
			if hash != req.LegacyRequestHash {
				return Written{}, fmt.Errorf("ledger: key %q: %w", req.IdempotencyKey, ErrIdempotencyKeyReused)
			}
			return w, nil
		}
	}
	w, err := write()
	if err != nil && stream != "" {
		// A retry of a request another process answered (or whose answer this process lost) finds the
		// first write's events in the stream, by the IDs derived from the key.
		if pw, ok, perr := s.priorWrite(ctx, req, stream); perr != nil {
			return Written{}, perr
		} else if ok {
			w, err = pw, nil
			if check != nil {
				if err = check(pw); err != nil {
					return Written{}, err
				}
			}
		}
	}
	if err == nil {
		s.idem.Remember(req.Principal, req.IdempotencyKey, req.RequestHash, w)
	}
	return w, err
}

// priorWrite looks in stream for the events a keyed request appends and, if an earlier request with the same
// key appended them, rebuilds its answer. A different request under the same key is ErrIdempotencyKeyReused.
func (s *Service) priorWrite(ctx context.Context, req Request, stream string) (Written, bool, error) {
	first := eventIDs(req, 1)[0]
	var found []eventstore.RecordedEvent
	for from := eventstore.Revision(0); ; {
		recs, err := s.store.ReadStream(ctx, stream, eventstore.Forwards, from, 1000)
		if errors.Is(err, eventstore.ErrStreamNotFound) {
			return Written{}, false, nil
		}
		if err != nil {
			return Written{}, false, fmt.Errorf("ledger: read %s: %w", stream, err)
		}
		for i, r := range recs {
			if found == nil && r.ID == first {
				found = recs[i:]
				break
			}
		}
		if found != nil || len(recs) < 1000 {
			break
		}
		from = recs[len(recs)-1].Revision + 1
	}
	if found == nil {
		return Written{}, false, nil
	}
	meta, err := ParseMetadata(found[0].Metadata)
	if err != nil || meta.RequestHash != req.RequestHash || meta.Principal != req.Principal {
		return Written{}, false, fmt.Errorf("ledger: key %q: %w", req.IdempotencyKey, ErrIdempotencyKeyReused)
	}
	ids := eventIDs(req, len(found))
	n := 0
	for n < len(found) && found[n].ID == ids[n] {
		n++
	}
	found = found[:n]
	last := found[n-1]
	w := Written{Stream: stream, Revision: last.Revision, Position: last.Position, Events: make([]WrittenEvent, n)}
	for i, r := range found {
		w.Events[i] = WrittenEvent{Type: r.Type, Revision: r.Revision, Position: r.Position}
	}
	return w, true, nil
}

// eventIDs returns the IDs for a write's events: derived from the idempotency key when there is one (so even
// a retry that slipped past the index is recognised by the store as the same write), random otherwise.
func eventIDs(req Request, n int) []uuid.UUID {
	ids := make([]uuid.UUID, n)
	for i := range ids {
		if req.IdempotencyKey != "" {
			ids[i] = uuid.NewSHA1(idNamespace, []byte(fmt.Sprintf("%s\x00%s\x00%d", req.Principal, req.IdempotencyKey, i)))
		} else {
			ids[i] = uuid.New()
		}
	}
	return ids
}

// idNamespace is the UUID namespace of event IDs derived from idempotency keys.
var idNamespace = uuid.MustParse("6f1e0c52-8a43-4a8e-9a55-2f7b0e6d1c90")

type encodedMeta struct {
	m    Metadata
	json []byte
}

// metadata encodes m, reusing a recent encoding when it is the same (an import writes millions of events
// with a few metadata). The bytes are shared and must not be changed.
func (s *Service) metadata(m Metadata) ([]byte, error) {
	for i := range s.recentMeta {
		if e := s.recentMeta[i].Load(); e != nil && e.m == m {
			return e.json, nil
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("ledger: metadata: %w", err)
	}
	i := s.nextMeta.Add(1) % uint32(len(s.recentMeta))
	s.recentMeta[i].Store(&encodedMeta{m: m, json: b})
	return b, nil
}

// append encodes and appends events to stream, and returns the answer.
func (s *Service) append(ctx context.Context, req Request, command, stream string, exp eventstore.ExpectedRevision, events []domain.Event) (Written, error) {
	return s.appendWithIDs(ctx, req, command, stream, exp, events, eventIDs(req, len(events)))
}

// appendWithIDs is append with the events' IDs chosen by the caller.
func (s *Service) appendWithIDs(ctx context.Context, req Request, command, stream string, exp eventstore.ExpectedRevision, events []domain.Event, ids []uuid.UUID) (Written, error) {
	meta, err := s.metadata(Metadata{
		Principal: req.Principal, Role: req.Role, RequestID: req.RequestID, Command: command,
		IdempotencyKey: req.IdempotencyKey, RequestHash: req.RequestHash, EffectiveAt: req.At,
	})
	if err != nil {
		return Written{}, err
	}
	data := make([]eventstore.EventData, len(events))
	types := make([]string, len(events))
	for i, e := range events {
		typ, body, err := domain.Encode(e)
		if err != nil {
			return Written{}, fmt.Errorf("ledger: encode %s: %w", e.EventType(), err)
		}
		data[i] = eventstore.EventData{ID: ids[i], Type: typ, Data: body, Metadata: meta}
		types[i] = typ
	}
	start := time.Now()
	// Not cancelled with the request: once handed to the store an append may complete anyway, and the caller
	// must know whether it did, or it would drop its cached state while the write still lands.
	res, err := s.store.Append(context.WithoutCancel(ctx), stream, exp, data...)
	if err != nil {
		if s.metrics.AppendFailed != nil && !errors.Is(err, eventstore.ErrWrongExpectedRevision) {
			s.metrics.AppendFailed(err)
		}
		return Written{}, fmt.Errorf("ledger: %s: append to %s: %w", command, stream, err)
	}
	if s.metrics.Appended != nil {
		s.metrics.Appended(types, time.Since(start))
	}
	n := len(events)
	w := Written{Stream: stream, Revision: res.NextRevision, Position: res.Position, Events: make([]WrittenEvent, n)}
	w.Events[n-1] = WrittenEvent{Type: types[n-1], Revision: res.NextRevision, Position: res.Position}
	if n > 1 {
		// Positions may have gaps: the earlier events' positions are read back, not computed.
		first := res.NextRevision - eventstore.Revision(n-1)
		recs, err := s.store.ReadStream(context.WithoutCancel(ctx), stream, eventstore.Forwards, first, n)
		if err != nil || len(recs) != n {
			return Written{}, fmt.Errorf("ledger: %s: read back %s from revision %d: got %d events, %w", command, stream, first, len(recs), err)
		}
		for i, r := range recs {
			w.Events[i] = WrittenEvent{Type: types[i], Revision: r.Revision, Position: r.Position}
		}
	}
	return w, nil
}

// NewLotSeed draws a lot: 128 random bits, hex. It is recorded (LotDrawn) before counting.
func NewLotSeed() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("ledger: draw lot: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// IDFromStream returns the aggregate ID a stream name carries ("proposal-p1" → "p1").
func IDFromStream(stream string) string {
	for _, prefix := range []string{domain.CycleStreamPrefix, domain.ProposalStreamPrefix} {
		if id, ok := strings.CutPrefix(stream, prefix); ok {
			return id
		}
	}
	if _, _, voter, ok := domain.ParseBallotStream(stream); ok {
		return string(voter)
	}
	return stream
}

// MemoryIdempotency is an in-memory Idempotency, for tools and tests.
type MemoryIdempotency struct {
	mu sync.Mutex
	m  map[string]memoryRecord
}

type memoryRecord struct {
	w    Written
	hash string
}

// NewMemoryIdempotency returns an empty MemoryIdempotency.
func NewMemoryIdempotency() *MemoryIdempotency {
	return &MemoryIdempotency{m: make(map[string]memoryRecord)}
}

// Lookup implements Idempotency.
func (m *MemoryIdempotency) Lookup(principal, key string) (Written, string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.m[principal+"\x00"+key]
	return r.w, r.hash, ok
}

// Remember implements Idempotency.
func (m *MemoryIdempotency) Remember(principal, key, hash string, w Written) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.m[principal+"\x00"+key] = memoryRecord{w: w, hash: hash}
}

// NewProposalID returns the ID for a proposal submitted without one: derived from the request's
// Idempotency-Key when it has one (so a retry names the same proposal), random otherwise.
func NewProposalID(req Request) domain.ProposalID {
	if req.IdempotencyKey != "" {
		return domain.ProposalID(uuid.NewSHA1(idNamespace, []byte(req.Principal+"\x00"+req.IdempotencyKey+"\x00proposal")).String())
	}
	return domain.ProposalID(uuid.NewString())
}
