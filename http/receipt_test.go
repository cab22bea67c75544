package http_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/translog"
	pbhttp "github.com/pbledger/pbledger/http"
)

// logEnv is a server with a transparency log whose follower and notary start only when asked.
type logEnv struct {
	*env
	tree   *translog.Tree
	notary *translog.Notary
}

func newLogEnv(tb testing.TB, hideOrdinals bool) *logEnv {
	tb.Helper()
	dir := tb.TempDir()
	signer, vkey, err := translog.LoadOrCreateKey(filepath.Join(dir, "log-key.secret"), "test.local/log")
	if err != nil {
		tb.Fatal(err)
	}
	tree := translog.NewTree()
	notary := &translog.Notary{Tree: tree, Signer: signer, Verifier: vkey, Path: filepath.Join(dir, translog.CheckpointsFile), Every: time.Hour}
	if err := notary.Open(); err != nil {
		tb.Fatal(err)
	}
	e := newEnvWith(tb, func(c *pbhttp.Config) {
		c.Log = &pbhttp.Transparency{Tree: tree, Notary: notary}
		if hideOrdinals {
			c.Store = plainStore{c.Store}
		}
	})
	return &logEnv{env: e, tree: tree, notary: notary}
}

// startLog starts the follower and the notary; they stop when the test ends.
func (e *logEnv) startLog(tb testing.TB) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 2)
	go func() { done <- (&translog.Follower{Store: e.store, Tree: e.tree}).Run(ctx, nil) }()
	go func() { done <- e.notary.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		for range 2 {
			if err := <-done; err != nil {
				tb.Errorf("transparency log: %v", err)
			}
		}
	})
}

// plainStore hides every optional interface of the store it holds (eventstore.Ordinals among them), as a
// backend without them would be.
type plainStore struct{ eventstore.Store }

type receipt struct {
	Leaf     int64     `json:"leaf"`
	LeafHash tlog.Hash `json:"leaf_hash"`
	ProofURL string    `json:"proof_url"`
	CheckURL string    `json:"check_url"`
}

// castWithReceipt casts a ballot and returns its receipt and position.
func (e *logEnv) castWithReceipt(tb testing.TB, resident string, headers ...string) (receipt, eventstore.Position) {
	tb.Helper()
	r := e.must(tb, 201, "POST", "/v1/cycles/c1/ballots", "portal", ballot(resident, "p1"), headers...)
	var ans struct {
		Receipt *receipt `json:"receipt"`
	}
	if err := json.Unmarshal(r.body, &ans); err != nil || ans.Receipt == nil {
		tb.Fatalf("the ballot's answer has no receipt: %s", r.body)
	}
	pos, err := strconv.ParseUint(r.header.Get("X-Pbledger-Position"), 10, 64)
	if err != nil {
		tb.Fatal(err)
	}
	return *ans.Receipt, eventstore.Position(pos)
}

// checkReceipt checks a receipt against the tree and against its proof: the leaf is the ballot's place in
// the tree, the hash is the tree's, and the served inclusion proof leads to a signed checkpoint's root.
func (e *logEnv) checkReceipt(tb testing.TB, rc receipt, pos eventstore.Position) {
	tb.Helper()
	if want := fmt.Sprintf("/v1/receipts/%d", rc.Leaf); rc.ProofURL != want {
		tb.Fatalf("proof_url %q, want %q", rc.ProofURL, want)
	}
	var proof struct {
		LeafHash   tlog.Hash        `json:"leaf_hash"`
		Size       int64            `json:"size"`
		Root       tlog.Hash        `json:"root"`
		Proof      tlog.RecordProof `json:"proof"`
		Position   uint64           `json:"position"`
		Checkpoint struct {
			Note string `json:"note"`
		} `json:"checkpoint"`
	}
	if err := json.Unmarshal(e.must(tb, 200, "GET", rc.ProofURL, "", "").body, &proof); err != nil {
		tb.Fatal(err)
	}
	if got, err := e.tree.Position(rc.Leaf); err != nil || got != pos {
		tb.Fatalf("leaf %d is at position %d (%v) in the tree; the ballot is at %d", rc.Leaf, got, err, pos)
	}
	if got, err := e.tree.LeafHash(rc.Leaf); err != nil || got != rc.LeafHash {
		tb.Fatalf("the tree's hash of leaf %d is %s (%v); the receipt's %s", rc.Leaf, got, err, rc.LeafHash)
	}
	if proof.LeafHash != rc.LeafHash || proof.Position != uint64(pos) {
		tb.Fatalf("the proof is of hash %s at position %d; the receipt's %s at %d", proof.LeafHash, proof.Position, rc.LeafHash, pos)
	}
	cp, err := translog.OpenCheckpoint([]byte(proof.Checkpoint.Note), e.notary.Verifier)
	if err != nil {
		tb.Fatal(err)
	}
	if cp.Size != proof.Size || cp.Root != proof.Root || rc.Leaf >= cp.Size {
		tb.Fatalf("checkpoint %d %s, proof against %d %s, leaf %d", cp.Size, cp.Root, proof.Size, proof.Root, rc.Leaf)
	}
	if err := tlog.CheckRecord(proof.Proof, cp.Size, cp.Root, rc.Leaf, rc.LeafHash); err != nil {
		tb.Fatalf("the receipt does not verify against the signed checkpoint: %v", err)
	}
}

func TestReceiptsWithoutWaitingForTheTree(t *testing.T) {
	e := newLogEnv(t, false)
	e.voting(t)
	// The follower is not running: the tree is empty, so every receipt below was made without it.
	type given struct {
		rc  receipt
		pos eventstore.Position
	}
	var got []given
	for _, resident := range []string{"r1", "r2", "r3"} {
		rc, pos := e.castWithReceipt(t, resident)
		got = append(got, given{rc, pos})
	}
	if n := e.tree.Size(); n != 0 {
		t.Fatalf("the tree has %d leaves; the follower never ran", n)
	}
	// A voter who asks for the proof at once waits for the tree and the checkpoint, then gets it.
	e.startLog(t)
	for _, g := range got {
		e.checkReceipt(t, g.rc, g.pos)
	}
	t.Run("a leaf the log does not have is not found", func(t *testing.T) {
		e.must(t, 404, "GET", fmt.Sprintf("/v1/receipts/%d", got[2].rc.Leaf+1), "", "")
	})
	t.Run("a receipt while the tree runs is the same", func(t *testing.T) {
		rc, pos := e.castWithReceipt(t, "r4")
		e.checkReceipt(t, rc, pos)
	})
	t.Run("a retried ballot gets the first answer's receipt", func(t *testing.T) {
		first, pos := e.castWithReceipt(t, "r5", "Idempotency-Key", "r5-ballot")
		e.castWithReceipt(t, "r6") // the log moves on
		again, againPos := e.castWithReceipt(t, "r5", "Idempotency-Key", "r5-ballot")
		if again != first || againPos != pos {
			t.Fatalf("retry: receipt %+v at %d, first answer's %+v at %d", again, againPos, first, pos)
		}
		e.checkReceipt(t, again, againPos)
	})
}

func TestReceiptsOnAStoreWithoutOrdinalsWaitForTheTree(t *testing.T) {
	e := newLogEnv(t, true)
	e.startLog(t)
	e.voting(t)
	for _, resident := range []string{"r1", "r2"} {
		rc, pos := e.castWithReceipt(t, resident)
		e.checkReceipt(t, rc, pos)
	}
}
