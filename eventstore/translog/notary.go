package translog

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// CheckpointsFile is the name, inside the translog directory, of the file of signed checkpoints: one JSON
// object a line, appended and fsynced before a checkpoint is served.
const CheckpointsFile = "checkpoints.jsonl"

// Record is one line of the checkpoints file.
type Record struct {
	Size   int64     `json:"size"`
	Note   string    `json:"note"`
	Signed time.Time `json:"signed"`
}

// Notary signs checkpoints of a Tree: at most every Every while the tree grows, and at once when asked
// (Urgent). Every checkpoint is kept durably before it is served, and checked against the tree on start.
type Notary struct {
	Tree   *Tree
	Signer note.Signer
	// Verifier is the verifier key of Signer, served to auditors.
	Verifier string
	// Path is the checkpoints file; empty keeps them in memory only.
	Path  string
	Every time.Duration
	// Now is the clock; time.Now if nil.
	Now func() time.Time
	// Logger reports checkpoints that could not be kept (a full disk); they are retried. slog.Default if nil.
	Logger *slog.Logger

	mu      sync.Mutex
	list    []SignedCheckpoint
	signed  []time.Time
	changed chan struct{}
	urgent  chan struct{}
	file    *os.File
	size    int64 // bytes of whole lines in file
}

// Open loads the checkpoints file (creating it if missing) and checks every checkpoint's signature. Call it
// before Run and before serving.
func (n *Notary) Open() error {
	n.changed = make(chan struct{})
	n.urgent = make(chan struct{}, 1)
	if n.Now == nil {
		n.Now = time.Now
	}
	if n.Every <= 0 {
		n.Every = 2 * time.Second
	}
	if n.Logger == nil {
		n.Logger = slog.Default()
	}
	if n.Path == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(n.Path), 0o755); err != nil {
		return fmt.Errorf("translog: %w", err)
	}
	recs, err := ReadCheckpoints(n.Path, n.Verifier)
	if err != nil {
		return err
	}
	for _, r := range recs {
		n.list = append(n.list, r.SignedCheckpoint)
		n.signed = append(n.signed, r.Signed)
	}
	n.file, err = os.OpenFile(n.Path, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("translog: %w", err)
	}
	// Append after the last whole line: a line torn by a crash or a full disk is overwritten.
	b, err := os.ReadFile(n.Path)
	if err != nil {
		return fmt.Errorf("translog: %w", err)
	}
	n.size = int64(bytes.LastIndexByte(b, '\n') + 1)
	if err := n.file.Truncate(n.size); err != nil {
		return fmt.Errorf("translog: %w", err)
	}
	return nil
}

// errKeep marks a failure to keep a checkpoint durably: retried, not fatal.
type errKeep struct{ err error }

func (e *errKeep) Error() string { return e.err.Error() }
func (e *errKeep) Unwrap() error { return e.err }

// signOrRetry signs; a checkpoint that could not be kept is reported and retried after retry.
func (n *Notary) signOrRetry(size int64, retry *time.Time) error {
	err := n.sign(size)
	var keep *errKeep
	if errors.As(err, &keep) {
		n.Logger.Error("translog: could not keep a checkpoint; retrying", "size", size, "err", err)
		*retry = n.Now().Add(n.Every)
		return nil
	}
	return err
}

// StoredCheckpoint is a checkpoint as read from a checkpoints file.
type StoredCheckpoint struct {
	SignedCheckpoint
	Signed time.Time
	Line   int
}

// ReadCheckpoints reads a checkpoints file and checks each checkpoint's signature against verifierKey. A
// missing file is no checkpoints. A torn last line (a crash while appending) is ignored.
func ReadCheckpoints(path, verifierKey string) ([]StoredCheckpoint, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("translog: %w", err)
	}
	var out []StoredCheckpoint
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	line := 0
	for sc.Scan() {
		line++
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			if !bytes.HasSuffix(b, []byte("\n")) && line == bytes.Count(b, []byte("\n"))+1 {
				break // torn last line
			}
			return nil, fmt.Errorf("translog: %s line %d: %w", path, line, err)
		}
		c, err := OpenCheckpoint([]byte(r.Note), verifierKey)
		if err != nil {
			return nil, fmt.Errorf("translog: %s line %d: %w", path, line, err)
		}
		if c.Size != r.Size {
			return nil, fmt.Errorf("translog: %s line %d: size %d but the signed checkpoint says %d", path, line, r.Size, c.Size)
		}
		if len(out) > 0 && c.Size <= out[len(out)-1].Size {
			return nil, fmt.Errorf("translog: %s line %d: checkpoints must grow (%d after %d)", path, line, c.Size, out[len(out)-1].Size)
		}
		out = append(out, StoredCheckpoint{SignedCheckpoint: c, Signed: r.Signed, Line: line})
	}
	return out, sc.Err()
}

// Latest returns the newest checkpoint, and false if none is signed yet.
func (n *Notary) Latest() (SignedCheckpoint, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.list) == 0 {
		return SignedCheckpoint{}, false
	}
	return n.list[len(n.list)-1], true
}

// All returns every checkpoint, oldest first.
func (n *Notary) All() []SignedCheckpoint {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]SignedCheckpoint(nil), n.list...)
}

// Covering returns the oldest checkpoint whose tree has at least size leaves.
func (n *Notary) Covering(size int64) (SignedCheckpoint, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	i := sort.Search(len(n.list), func(i int) bool { return n.list[i].Size >= size })
	if i == len(n.list) {
		return SignedCheckpoint{}, false
	}
	return n.list[i], true
}

// WaitCovering waits until a checkpoint covers size leaves, asking for one at once, and returns the oldest
// that does.
func (n *Notary) WaitCovering(ctx context.Context, size int64) (SignedCheckpoint, error) {
	for {
		n.mu.Lock()
		ch := n.changed
		n.mu.Unlock()
		if c, ok := n.Covering(size); ok {
			return c, nil
		}
		n.Urgent()
		select {
		case <-ch:
		case <-ctx.Done():
			return SignedCheckpoint{}, ctx.Err()
		}
	}
}

// Urgent asks for a checkpoint of the current tree at once (an allocation was recorded).
func (n *Notary) Urgent() {
	select {
	case n.urgent <- struct{}{}:
	default:
	}
}

// Run checks the stored checkpoints against the tree as it reaches them, then signs until ctx ends.
func (n *Notary) Run(ctx context.Context) error {
	defer func() {
		if n.file != nil {
			n.file.Close()
		}
	}()
	for _, c := range n.All() {
		if err := n.Tree.WaitSize(ctx, c.Size); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		root, err := n.Tree.Root(c.Size)
		if err != nil {
			return err
		}
		if root != c.Root {
			return fmt.Errorf("translog: the log no longer matches the signed checkpoint of size %d (root %s, the log gives %s): refusing to sign a fork", c.Size, c.Root, root)
		}
	}
	var last, retry time.Time
	if len(n.signed) > 0 {
		last = n.signed[len(n.signed)-1]
	}
	for {
		grown := n.Tree.Grown()
		size := n.Tree.Size()
		latest, _ := n.Latest()
		urgent := false
		if size > latest.Size {
			next := last.Add(n.Every)
			if retry.After(next) {
				next = retry
			}
			wait := next.Sub(n.Now())
			if wait <= 0 {
				if err := n.signOrRetry(size, &retry); err != nil {
					return err
				}
				last = n.Now()
				continue
			}
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-n.urgent:
				urgent = true
			case <-ctx.Done():
				t.Stop()
				return nil
			}
			t.Stop()
		} else {
			select {
			case <-grown:
			case <-n.urgent:
				urgent = true
			case <-ctx.Done():
				return nil
			}
		}
		if urgent && !n.Now().Before(retry) {
			if size := n.Tree.Size(); size > 0 {
				if l, _ := n.Latest(); size > l.Size {
					if err := n.signOrRetry(size, &retry); err != nil {
						return err
					}
					last = n.Now()
				}
			}
		}
	}
}

// sign signs the tree of the given size, keeps it durably, and publishes it.
func (n *Notary) sign(size int64) error {
	root, err := n.Tree.Root(size)
	if err != nil {
		return err
	}
	sc, err := Sign(Checkpoint{Origin: n.Signer.Name(), Size: size, Root: root}, n.Signer)
	if err != nil {
		return err
	}
	now := n.Now().UTC()
	if n.file != nil {
		line, err := json.Marshal(Record{Size: size, Note: sc.Note, Signed: now})
		if err != nil {
			return err
		}
		line = append(line, '\n')
		if _, err := n.file.WriteAt(line, n.size); err != nil {
			n.file.Truncate(n.size) // best effort: Open cuts a torn line anyway
			return &errKeep{fmt.Errorf("translog: write checkpoint: %w", err)}
		}
		if err := n.file.Sync(); err != nil {
			n.file.Truncate(n.size)
			return &errKeep{fmt.Errorf("translog: sync checkpoint: %w", err)}
		}
		n.size += int64(len(line))
	}
	n.mu.Lock()
	n.list = append(n.list, sc)
	n.signed = append(n.signed, now)
	close(n.changed)
	n.changed = make(chan struct{})
	n.mu.Unlock()
	return nil
}
