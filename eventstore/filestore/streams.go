package filestore

import (
	"github.com/google/uuid"

	"github.com/pbledger/pbledger/eventstore"
)

// streamTable maps stream names to their positions in the tail of the log that the persisted index does not
// cover (see index.go), without keeping the names in memory: a log of millions
// of one-event streams (a ballot each) would otherwise hold every name twice, once on disk and once on the
// heap. Streams are found by a 64-bit hash of the name, and a hit is confirmed by comparing the name with
// the one stored in the log at the stream's first position (or, for a stream created by the commit being
// built, with pendingNames). The rare stream whose hash another stream already has is kept by name in
// exact. A stream with one event costs one map slot and no allocation, and the map holds no pointers, so
// the garbage collector never scans it: its cost does not grow with the log.
type streamTable struct {
	key     hashKey // of the hash of names
	byHash  map[uint64]streamEntry
	exact   map[string]streamEntry
	multi   [][]eventstore.Position        // the positions of streams with more than one event
	pending map[eventstore.Position]string // names of streams created by the commit being built, by first position
	// nameIs reports whether the stream whose first event is at committed position p is called name.
	nameIs func(p eventstore.Position, name string) bool
}

// streamEntry is a stream's positions: first alone, or, once there are several, all of them in
// multi[more-1].
type streamEntry struct {
	first eventstore.Position
	more  uint32
}

// len returns the number of the stream's events.
func (t *streamTable) len(e streamEntry) int {
	if e.more != 0 {
		return len(t.multi[e.more-1])
	}
	return 1
}

// positions returns the stream's positions; the slice must not be changed.
func (t *streamTable) positions(e streamEntry) []eventstore.Position {
	if e.more != 0 {
		return t.multi[e.more-1]
	}
	return []eventstore.Position{e.first}
}

func newStreamTable(key hashKey, nameIs func(eventstore.Position, string) bool) *streamTable {
	return &streamTable{key: key, byHash: map[uint64]streamEntry{}, nameIs: nameIs}
}

// hash is the keyed hash of stream names (siphash.go), the one the persisted index records. A stream whose
// hash another stream already has only costs an entry in exact.
func (t *streamTable) hash(name string) uint64 { return streamHash(t.key, name) }

// is reports whether the entry found by hash is the stream called name.
func (t *streamTable) is(e streamEntry, name string) bool {
	if n, ok := t.pending[e.first]; ok {
		return n == name
	}
	return t.nameIs(e.first, name)
}

// get returns the stream's entry. The caller holds the store's lock.
func (t *streamTable) get(name string) (streamEntry, bool) {
	if len(t.exact) > 0 {
		if e, ok := t.exact[name]; ok {
			return e, true
		}
	}
	e, ok := t.byHash[t.hash(name)]
	if !ok || !t.is(e, name) {
		return streamEntry{}, false
	}
	return e, true
}

// add appends position p to the stream, creating it (p is then its first position) if it has no events. A
// stream created here while a commit is being built must be named in pending until the commit is in the log
// (addPending does both).
func (t *streamTable) add(name string, p eventstore.Position) (created bool) {
	if e, ok := t.exact[name]; ok {
		t.exact[name] = t.with(e, p)
		return false
	}
	h := t.hash(name)
	e, ok := t.byHash[h]
	switch {
	case !ok:
		t.byHash[h] = streamEntry{first: p}
		return true
	case t.is(e, name):
		t.byHash[h] = t.with(e, p)
		return false
	default: // another stream has this hash
		if t.exact == nil {
			t.exact = map[string]streamEntry{}
		}
		t.exact[name] = streamEntry{first: p}
		return true
	}
}

// with adds position p to the stream of entry e and returns the entry to store.
func (t *streamTable) with(e streamEntry, p eventstore.Position) streamEntry {
	if e.more == 0 {
		t.multi = append(t.multi, []eventstore.Position{e.first, p})
		e.more = uint32(len(t.multi))
		return e
	}
	t.multi[e.more-1] = append(t.multi[e.more-1], p)
	return e
}

// addPending is add for a commit being built: the name is remembered until clearPending.
func (t *streamTable) addPending(name string, p eventstore.Position) (created bool) {
	created = t.add(name, p)
	if created {
		if t.pending == nil {
			t.pending = map[eventstore.Position]string{}
		}
		t.pending[p] = name
	}
	return created
}

// clearPending forgets the names of the streams created by the commit, once it is in the log (or undone).
func (t *streamTable) clearPending() {
	clear(t.pending)
}

// undo removes the last n positions of the stream, and the stream itself if created.
func (t *streamTable) undo(name string, n int, created bool) {
	if e, ok := t.exact[name]; ok {
		if created {
			delete(t.exact, name)
		} else {
			t.multi[e.more-1] = t.multi[e.more-1][:len(t.multi[e.more-1])-n]
		}
		return
	}
	h := t.hash(name)
	e := t.byHash[h]
	if created {
		delete(t.byHash, h)
		return
	}
	t.multi[e.more-1] = t.multi[e.more-1][:len(t.multi[e.more-1])-n]
}

// all calls fn for every stream with the hash of its name.
func (t *streamTable) all(fn func(h uint64, e streamEntry)) {
	for h, e := range t.byHash {
		fn(h, e)
	}
	for name, e := range t.exact {
		fn(t.hash(name), e)
	}
}

// at returns the stream's i-th position in the table.
func (t *streamTable) at(e streamEntry, i int) eventstore.Position {
	if e.more != 0 {
		return t.multi[e.more-1][i]
	}
	return e.first
}

// streamView is a stream as the store knows it: its part in the persisted index (base) followed by its part
// in the tail indexed in memory.
type streamView struct {
	base    baseStream
	tail    streamEntry
	tailLen int
}

// len returns the number of the stream's events.
func (v streamView) len() int { return v.base.len() + v.tailLen }

// stream finds the stream called name. The caller holds mu.
func (s *Store) stream(name string) (streamView, bool) {
	var v streamView
	b, inBase := s.base.stream(name, s.streamNameIs)
	v.base = b
	e, inTail := s.streams.get(name)
	if inTail {
		v.tail, v.tailLen = e, s.streams.len(e)
	}
	return v, inBase || inTail
}

// posAt returns the position of revision rev of the stream. The caller holds mu.
func (s *Store) posAt(v streamView, rev int) eventstore.Position {
	if n := v.base.len(); rev < n {
		return v.base.at(rev)
	} else {
		rev -= n
	}
	return s.streams.at(v.tail, rev)
}

// idPos returns the position of the event with the ID, committed or in the commit being built. The
// caller holds mu.
func (s *Store) idPos(id uuid.UUID) (eventstore.Position, bool) {
	if p, ok := s.ids[id]; ok {
		return p, true
	}
	return s.base.id(id, s.idIs)
}

// idIs reports whether the committed event at position p has the ID.
func (s *Store) idIs(p eventstore.Position, id uuid.UUID) bool {
	e, err := s.entryAt(p)
	return err == nil && e.id == id
}
