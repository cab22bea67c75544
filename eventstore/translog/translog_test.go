package translog_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/filestore"
	"github.com/pbledger/pbledger/eventstore/translog"
)

func mustStore(tb testing.TB, dir string) *filestore.Store {
	tb.Helper()
	s, err := filestore.Open(context.Background(), dir, filestore.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func mustAppend(tb testing.TB, s eventstore.Store, n int) {
	tb.Helper()
	for i := 0; i < n; i++ {
		_, err := s.Append(context.Background(), fmt.Sprintf("s-%d", i%7), eventstore.Any(),
			eventstore.EventData{ID: uuid.New(), Type: "T", Data: []byte(fmt.Sprintf(`{"i":%d}`, i))})
		if err != nil {
			tb.Fatal(err)
		}
	}
}

// follow runs a follower until the tree has n leaves, and returns the tree and a stop function.
func follow(tb testing.TB, s eventstore.Store, dir string, n int64) (*translog.Tree, func() error) {
	tb.Helper()
	tree := translog.NewTree()
	f := &translog.Follower{Store: s, Tree: tree, Dir: dir}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx, nil) }()
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if err := tree.WaitSize(wctx, n); err != nil {
		cancel()
		tb.Fatalf("tree did not reach %d: %v (follower: %v)", n, err, <-done)
	}
	return tree, func() error { cancel(); return <-done }
}

func TestLeafRoundTrip(t *testing.T) {
	e := eventstore.RecordedEvent{StreamID: "ballot-x", Revision: 3, ID: uuid.New(), Type: "BallotCast",
		Data: []byte(`{"a":1}`), Metadata: []byte(`{"m":2}`), Recorded: time.Unix(1700000000, 123456789).UTC()}
	got, err := translog.DecodeLeaf(translog.AppendLeaf(nil, &e))
	if err != nil {
		t.Fatal(err)
	}
	if got.StreamID != e.StreamID || got.Revision != e.Revision || got.ID != e.ID || got.Type != e.Type ||
		string(got.Data) != string(e.Data) || string(got.Metadata) != string(e.Metadata) || !got.Recorded.Equal(e.Recorded) {
		t.Fatalf("got %+v, want %+v", got, e)
	}
	if _, err := translog.DecodeLeaf([]byte{1, 200}); !errors.Is(err, translog.ErrBadLeaf) {
		t.Fatalf("got %v, want ErrBadLeaf", err)
	}
}

func TestTreeProofsAgainstTheLog(t *testing.T) {
	dir := t.TempDir()
	s := mustStore(t, filepath.Join(dir, "log"))
	defer s.Close()
	mustAppend(t, s, 100)
	tree, stop := follow(t, s, filepath.Join(dir, "translog"), 100)
	defer stop()
	recs, err := s.ReadAll(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	// The root is the RFC 6962 root of the leaf hashes, computed independently of the stored hashes.
	var leaves []tlog.Hash
	for i := range recs {
		leaves = append(leaves, translog.LeafHash(&recs[i]))
	}
	for _, n := range []int64{1, 2, 3, 7, 64, 100} {
		root, err := tree.Root(n)
		if err != nil {
			t.Fatal(err)
		}
		if want := rfc6962Root(leaves[:n]); root != want {
			t.Fatalf("size %d: root %s, want %s", n, root, want)
		}
		for _, i := range []int64{0, n / 2, n - 1} {
			p, err := tree.InclusionProof(i, n)
			if err != nil {
				t.Fatal(err)
			}
			if err := tlog.CheckRecord(p, n, root, i, leaves[i]); err != nil {
				t.Fatalf("leaf %d in %d: %v", i, n, err)
			}
			if err := tlog.CheckRecord(p, n, root, i, leaves[(i+1)%n]); err == nil && n > 1 {
				t.Fatalf("leaf %d in %d: a wrong leaf hash passed", i, n)
			}
		}
	}
	r40, _ := tree.Root(40)
	r100, _ := tree.Root(100)
	p, err := tree.ConsistencyProof(40, 100)
	if err != nil {
		t.Fatal(err)
	}
	if err := tlog.CheckTree(p, 100, r100, 40, r40); err != nil {
		t.Fatal(err)
	}
	if l, ok := tree.LeafAt(recs[57].Position); !ok || l != 57 {
		t.Fatalf("LeafAt = %d %v, want 57", l, ok)
	}
}

// rfc6962Root is RFC 6962's MTH, written out here only as the test's independent reference.
func rfc6962Root(leaves []tlog.Hash) tlog.Hash {
	if len(leaves) == 1 {
		return leaves[0]
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	return tlog.NodeHash(rfc6962Root(leaves[:k]), rfc6962Root(leaves[k:]))
}

func TestStoredHashesCheckedOnStart(t *testing.T) {
	dir := t.TempDir()
	s := mustStore(t, filepath.Join(dir, "log"))
	mustAppend(t, s, 50)
	_, stop := follow(t, s, filepath.Join(dir, "translog"), 50)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	s.Close()

	t.Run("same log: accepted and extended", func(t *testing.T) {
		s := mustStore(t, filepath.Join(dir, "log"))
		defer s.Close()
		mustAppend(t, s, 10)
		_, stop := follow(t, s, filepath.Join(dir, "translog"), 60)
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("another log: refused naming the leaf", func(t *testing.T) {
		other := mustStore(t, filepath.Join(t.TempDir(), "log"))
		defer other.Close()
		mustAppend(t, other, 60)
		tree := translog.NewTree()
		f := &translog.Follower{Store: other, Tree: tree, Dir: filepath.Join(dir, "translog")}
		err := f.Run(context.Background(), nil)
		var me *translog.MismatchError
		if !errors.As(err, &me) || me.Leaf != 0 {
			t.Fatalf("got %v, want a MismatchError at leaf 0", err)
		}
	})
}

func TestNotarySignsKeepsAndChecks(t *testing.T) {
	dir := t.TempDir()
	signer, vkey, err := translog.LoadOrCreateKey(filepath.Join(dir, "log-key.secret"), "example.org/log")
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(filepath.Join(dir, "log-key.secret")); fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	s := mustStore(t, filepath.Join(dir, "log"))
	defer s.Close()
	mustAppend(t, s, 30)
	tree, stop := follow(t, s, "", 30)
	defer stop()
	n := &translog.Notary{Tree: tree, Signer: signer, Verifier: vkey, Path: filepath.Join(dir, "cp.jsonl"), Every: time.Hour}
	if err := n.Open(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	c, err := n.WaitCovering(wctx, 30)
	if err != nil {
		t.Fatal(err)
	}
	if c.Size != 30 || !strings.HasPrefix(c.Note, "example.org/log\n30\n") {
		t.Fatalf("checkpoint %+v", c)
	}
	if _, err := translog.OpenCheckpoint([]byte(c.Note), vkey); err != nil {
		t.Fatal(err)
	}
	_, otherKey, _ := translog.LoadOrCreateKey(filepath.Join(dir, "other.secret"), "example.org/log")
	if _, err := translog.OpenCheckpoint([]byte(c.Note), otherKey); err == nil {
		t.Fatal("a checkpoint opened with another key")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	stored, err := translog.ReadCheckpoints(filepath.Join(dir, "cp.jsonl"), vkey)
	if err != nil || len(stored) != 1 || stored[0].Root != c.Root {
		t.Fatalf("stored %v, %v", stored, err)
	}
}
