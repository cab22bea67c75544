package translog

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"sort"
	"sync"
	"unsafe"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/pbledger/pbledger/eventstore"
)

// Tree is the Merkle tree over the log as far as a Follower has read it. Its methods are safe for concurrent
// use; proofs are computed by golang.org/x/mod/sumdb/tlog from the stored hashes kept in memory.
type Tree struct {
	mu sync.RWMutex
	// hashes holds tlog's stored hashes in tlog's storage order, in chunks so that growing never copies;
	// nHashes of them are published. The Builder writes past nHashes without the lock (readers never look
	// there) and publishes under it.
	hashes  [][]tlog.Hash
	nHashes int64
	// positions holds the store position of every leaf, in chunks of 2^chunkBits so that growing never
	// copies (nor holds the lock for long); nLeaves of them are published.
	positions [][]eventstore.Position
	nLeaves   int64
	grown     chan struct{} // closed and replaced whenever the tree grows
	failed    error         // set if the follower stopped on an error
	// wanted is signalled by waiters, so that a follower resting between batches catches up at once.
	wanted chan struct{}
}

// chunkBits sets the chunk size of the stored hashes: 2^16 hashes, 2 MiB.
const chunkBits = 16

func (t *Tree) hashAt(x int64) tlog.Hash { return t.hashes[x>>chunkBits][x&(1<<chunkBits-1)] }

// positionAt returns the store position of leaf i. The caller holds t.mu.
func (t *Tree) positionAt(i int64) eventstore.Position {
	return t.positions[i>>chunkBits][i&(1<<chunkBits-1)]
}

// NewTree returns an empty tree.
func NewTree() *Tree { return &Tree{grown: make(chan struct{}), wanted: make(chan struct{}, 1)} }

// want tells a resting follower that someone waits for the tree.
func (t *Tree) want() {
	select {
	case t.wanted <- struct{}{}:
	default:
	}
}

// ErrNotYet is returned for leaves or sizes the tree does not have (yet).
var ErrNotYet = errors.New("translog: the tree does not reach that far")

// Size returns the number of leaves.
func (t *Tree) Size() int64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.nLeaves
}

// Head returns the number of leaves and the store position of the last one (Start if empty).
func (t *Tree) Head() (int64, eventstore.Position) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.nLeaves == 0 {
		return 0, eventstore.Start
	}
	return t.nLeaves, t.positionAt(t.nLeaves - 1)
}

// ReadHashes implements tlog.HashReader over the stored hashes.
func (t *Tree) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.readHashes(indexes)
}

func (t *Tree) readHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= t.nHashes {
			return nil, fmt.Errorf("%w: stored hash %d", ErrNotYet, x)
		}
		out[i] = t.hashAt(x)
	}
	return out, nil
}

// Root returns the root hash of the tree of the first n leaves.
func (t *Tree) Root(n int64) (tlog.Hash, error) {
	if n > t.Size() {
		return tlog.Hash{}, fmt.Errorf("%w: size %d", ErrNotYet, n)
	}
	return tlog.TreeHash(n, t)
}

// LeafHash returns the hash of leaf i.
func (t *Tree) LeafHash(i int64) (tlog.Hash, error) {
	h, err := t.ReadHashes([]int64{tlog.StoredHashIndex(0, i)})
	if err != nil {
		return tlog.Hash{}, fmt.Errorf("%w: leaf %d", ErrNotYet, i)
	}
	return h[0], nil
}

// InclusionProof proves that leaf i is in the tree of size n.
func (t *Tree) InclusionProof(i, n int64) (tlog.RecordProof, error) {
	if n > t.Size() {
		return nil, fmt.Errorf("%w: size %d", ErrNotYet, n)
	}
	return tlog.ProveRecord(n, i, t)
}

// ConsistencyProof proves that the tree of size n1 is a prefix of the tree of size n2.
func (t *Tree) ConsistencyProof(n1, n2 int64) (tlog.TreeProof, error) {
	if n2 > t.Size() {
		return nil, fmt.Errorf("%w: size %d", ErrNotYet, n2)
	}
	return tlog.ProveTree(n2, n1, t)
}

// Position returns the store position of leaf i.
func (t *Tree) Position(i int64) (eventstore.Position, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if i < 0 || i >= t.nLeaves {
		return 0, fmt.Errorf("%w: leaf %d", ErrNotYet, i)
	}
	return t.positionAt(i), nil
}

// LeafAt returns the index of the leaf of the event at store position p, and false if the tree has not
// reached p or no event is there.
func (t *Tree) LeafAt(p eventstore.Position) (int64, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	n := int(t.nLeaves)
	i := sort.Search(n, func(i int) bool { return t.positionAt(int64(i)) >= p })
	if i < n && t.positionAt(int64(i)) == p {
		return int64(i), true
	}
	return 0, false
}

// WaitPosition waits until the tree holds the event at store position p (or a later one), and returns the
// tree's size then.
func (t *Tree) WaitPosition(ctx context.Context, p eventstore.Position) (int64, error) {
	for {
		t.mu.RLock()
		n, grown, failed := t.nLeaves, t.grown, t.failed
		reached := n > 0 && t.positionAt(n-1) >= p
		t.mu.RUnlock()
		if reached {
			return n, nil
		}
		if failed != nil {
			return 0, failed
		}
		t.want()
		select {
		case <-grown:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

// WaitSize waits until the tree has at least n leaves.
func (t *Tree) WaitSize(ctx context.Context, n int64) error {
	for {
		t.mu.RLock()
		size, grown, failed := t.nLeaves, t.grown, t.failed
		t.mu.RUnlock()
		if size >= n {
			return nil
		}
		if failed != nil {
			return failed
		}
		t.want()
		select {
		case <-grown:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Grown returns a channel closed the next time the tree grows.
func (t *Tree) Grown() <-chan struct{} {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.grown
}

// Builder adds leaves to a tree in batches. Only one Builder may extend a tree, and it is not safe for
// concurrent use; readers of the Tree see a batch once Flush returns.
//
// Adding a leaf allocates nothing: the leaf's bytes are encoded into a buffer the builder keeps, and its
// stored hashes (the leaf hash, then the hash of every subtree the leaf completes) are written straight into
// the tree's chunks, computed with tlog.RecordHash and tlog.NodeHash at the indexes tlog.StoredHashIndex
// gives — the same hashes, in the same order, as tlog.StoredHashesForRecordHash returns (a test checks it),
// without its per-call slices.
type Builder struct {
	t       *Tree
	pos     []eventstore.Position // positions of the leaves not yet published
	written int64                 // stored hashes written, published or not
	leaves  int64                 // leaves added, published or not
	buf     []byte                // the leaf being encoded, reused
	added   []tlog.Hash           // what Flush returns, reused
}

// NewBuilder returns a builder that extends t.
func NewBuilder(t *Tree) *Builder {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return &Builder{t: t, written: t.nHashes, leaves: t.nLeaves}
}

// Add hashes one event as the next leaf. The leaf becomes visible at the next Flush.
func (b *Builder) Add(e *eventstore.RecordedEvent) error {
	// RFC 6962's 0x00 and the leaf in one buffer, hashed in one call: tlog.RecordHash(leaf) would write the
	// prefix and the leaf into a hash state in two pieces (a test checks that the hashes are the same).
	b.buf = AppendLeaf(append(b.buf[:0], 0x00), e)
	return b.AddHash(sha256.Sum256(b.buf), e.Position)
}

// AddHash adds a leaf by its hash.
func (b *Builder) AddHash(h tlog.Hash, p eventstore.Position) error {
	n := b.leaves
	if b.written != tlog.StoredHashIndex(0, n) {
		return fmt.Errorf("translog: the builder has %d stored hashes for %d leaves", b.written, n)
	}
	b.put(h)
	// Leaf n completes one subtree per trailing 1 bit of n: at level l, the subtree whose left half is the
	// complete subtree n>>l - 1 of that level, stored earlier.
	for level := 0; n>>level&1 == 1; level++ {
		h = tlog.NodeHash(b.t.hashAt(tlog.StoredHashIndex(level, n>>level-1)), h)
		b.put(h)
	}
	b.leaves++
	b.pos = append(b.pos, p)
	return nil
}

// put writes the next stored hash past the published ones. The builder is the tree's only writer, so it
// reads its own writes (hashAt above) without the lock; readers never look past the published ones.
func (b *Builder) put(h tlog.Hash) {
	t := b.t
	c := int(b.written >> chunkBits)
	if c == len(t.hashes) {
		t.mu.Lock()
		t.hashes = append(t.hashes, make([]tlog.Hash, 1<<chunkBits))
		t.mu.Unlock()
	}
	t.hashes[c][b.written&(1<<chunkBits-1)] = h
	b.written++
}

// Pending returns how many leaves wait for Flush.
func (b *Builder) Pending() int { return len(b.pos) }

// Flush publishes the batch and returns the stored hashes it added (for persisting) and the index of the
// first of them. The returned slice is the builder's own: it is valid until the next Flush.
func (b *Builder) Flush() ([]tlog.Hash, int64) {
	if len(b.pos) == 0 {
		return nil, 0
	}
	first := b.publish()
	b.added = b.added[:0]
	for x := first; x < b.written; {
		// Copy chunk by chunk.
		c, i := x>>chunkBits, x&(1<<chunkBits-1)
		end := min(int64(1<<chunkBits), i+b.written-x)
		b.added = append(b.added, b.t.hashes[c][i:end]...)
		x += end - i
	}
	return b.added, first
}

// publish makes the batch visible and returns the index of the first stored hash it added; the batch's
// hashes are the tree's from there to b.written, which only the builder writes. The caller has checked that
// the batch is not empty.
func (b *Builder) publish() int64 {
	t := b.t
	t.mu.Lock()
	first := t.nHashes
	t.nHashes = b.written
	for _, p := range b.pos {
		c := int(t.nLeaves >> chunkBits)
		if c == len(t.positions) {
			t.positions = append(t.positions, make([]eventstore.Position, 1<<chunkBits))
		}
		t.positions[c][t.nLeaves&(1<<chunkBits-1)] = p
		t.nLeaves++
	}
	close(t.grown)
	t.grown = make(chan struct{})
	t.mu.Unlock()
	b.pos = b.pos[:0]
	return first
}

// flushTo publishes the batch and hands its stored hashes to hf (checked against the old file, or appended
// to it) straight from the tree's chunks, without copying them. It returns what hf.add returns.
func (b *Builder) flushTo(hf *hashFile) (bad int64, ok bool, err error) {
	first := b.publish()
	for x := first; x < b.written; {
		c, i := x>>chunkBits, x&(1<<chunkBits-1)
		end := min(int64(1<<chunkBits), i+b.written-x)
		if bad, ok, err = hf.add(b.t.hashes[c][i:end], x); !ok || err != nil {
			return bad, ok, err
		}
		x += end - i
	}
	return 0, true, nil
}

// fail records that the tree stops growing, and wakes waiters.
func (t *Tree) fail(err error) {
	t.mu.Lock()
	t.failed = err
	close(t.grown)
	t.grown = make(chan struct{})
	t.mu.Unlock()
}

// hashFile is the file of stored hashes a Follower keeps: derived data, 32 bytes per stored hash in tlog's
// order, appended without fsync (it is rebuilt from the log when missing or short). What the file held at
// start is read back batch by batch as the log is hashed again, not held in memory (it is 64 bytes an event).
type hashFile struct {
	f       *os.File
	oldSize int64  // bytes the file held at start, whole hashes only: checked against what the log gives
	size    int64  // bytes written, whole hashes only
	broken  bool   // a write failed (a full disk): nothing more is written this run; the next start extends it
	old     []byte // the old bytes of a batch, reused
}

func openHashFile(path string) (*hashFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("translog: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("translog: %w", err)
	}
	size := st.Size() / tlog.HashSize * tlog.HashSize
	if err := f.Truncate(size); err != nil {
		f.Close()
		return nil, fmt.Errorf("translog: %w", err)
	}
	return &hashFile{f: f, oldSize: size, size: size}, nil
}

// MismatchError says that the hashes kept on disk disagree with the log: the log changed under the tree.
type MismatchError struct {
	Leaf     int64 // the first leaf (or the leaf whose subtree) disagrees; -1 if unknown
	Position eventstore.Position
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("translog: the log differs from the tree kept in translog/hashes at leaf %d (position %d): events were changed, removed or inserted since they were hashed", e.Leaf, e.Position)
}

// add checks new stored hashes against the old file and appends those beyond it. A mismatch gives the index
// of the first stored hash that differs and ok false; err is a failure to read the old file.
func (h *hashFile) add(hs []tlog.Hash, firstIndex int64) (bad int64, ok bool, err error) {
	checked := 0 // how many of hs the old file holds
	if start := firstIndex * tlog.HashSize; start < h.oldSize {
		checked = int(min(int64(len(hs)), (h.oldSize-start)/tlog.HashSize))
		if cap(h.old) < checked*tlog.HashSize {
			h.old = make([]byte, checked*tlog.HashSize)
		}
		old := h.old[:checked*tlog.HashSize]
		if _, err := h.f.ReadAt(old, start); err != nil {
			return 0, false, fmt.Errorf("translog: read the stored hashes: %w", err)
		}
		if checked > 0 && !bytes.Equal(old, unsafe.Slice(&hs[0][0], len(old))) {
			for i := range checked {
				if string(old[i*tlog.HashSize:(i+1)*tlog.HashSize]) != string(hs[i][:]) {
					return firstIndex + int64(i), false, nil
				}
			}
		}
	}
	// The hashes' own memory, written as it is: a tlog.Hash is 32 bytes with no padding.
	var fresh []byte
	if rest := hs[checked:]; len(rest) > 0 {
		fresh = unsafe.Slice(&rest[0][0], len(rest)*tlog.HashSize)
	}
	if len(fresh) > 0 && !h.broken {
		// Derived data, so no fsync; a failed write is cut off, and the next start extends the file from
		// the log.
		if _, err := h.f.WriteAt(fresh, h.size); err != nil {
			h.f.Truncate(h.size)
			h.broken = true
		} else {
			h.size += int64(len(fresh))
		}
	}
	return 0, true, nil
}
