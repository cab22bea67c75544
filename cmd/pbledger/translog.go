package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/translog"
	pbhttp "github.com/pbledger/pbledger/http"
)

// Layout of the transparency log in a data directory.
const (
	translogDir   = "translog"       // derived: the tree's stored hashes; and the signed checkpoints
	logKeyFile    = "log-key.secret" // the checkpoint signing key (mode 0600); never in the log
	defaultOrigin = "pbledger.local/log"
)

// spareP gives the process one P more than it had, once: the low-priority follower's.
var spareP sync.Once

// transparency runs the tree follower and the notary of a store.
type transparency struct {
	log  *pbhttp.Transparency
	errs chan error // the first error of the follower or the notary
	stop func()     // stops both and waits for them
}

// startTransparency loads (or makes) the log key, and starts following the store and signing checkpoints
// into DATA/translog. The tree is rebuilt from the log on every start and checked against the hashes and
// checkpoints kept there.
func startTransparency(store eventstore.Store, dataDir, keyPath, origin string, every time.Duration, log *slog.Logger) (*transparency, error) {
	if keyPath == "" {
		keyPath = filepath.Join(dataDir, logKeyFile)
	}
	signer, vkey, err := translog.LoadOrCreateKey(keyPath, origin)
	if err != nil {
		return nil, err
	}
	tree := translog.NewTree()
	notary := &translog.Notary{Tree: tree, Signer: signer, Verifier: vkey,
		Path: filepath.Join(dataDir, translogDir, translog.CheckpointsFile), Every: every, Logger: log}
	if err := notary.Open(); err != nil {
		return nil, err
	}
	follower := &translog.Follower{Store: store, Tree: tree, Dir: filepath.Join(dataDir, translogDir),
		Urgent:      func(e *eventstore.RecordedEvent) bool { return e.Type == domain.EventAllocationRecorded },
		OnUrgent:    func(int64) { notary.Urgent() },
		LowPriority: true}
	// The follower hashes on a thread of its own at low priority; one P more than the cores lets the Go
	// scheduler run everything else beside it while the operating system holds that thread back (keeping
	// the tree current must not slow the appends, issue 7). Once per process: tests start many servers.
	spareP.Do(func() { runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + 1) })
	ctx, cancel := context.WithCancel(context.Background())
	t := &transparency{log: &pbhttp.Transparency{Tree: tree, Notary: notary}, errs: make(chan error, 2)}
	done := make(chan struct{}, 2)
	run := func(name string, f func() error) {
		defer func() { done <- struct{}{} }()
		if err := f(); err != nil && !errors.Is(err, context.Canceled) {
			t.errs <- fmt.Errorf("transparency log (%s): %w", name, err)
		}
	}
	go run("tree", func() error { return follower.Run(ctx, nil) })
	go run("checkpoints", func() error { return notary.Run(ctx) })
	t.stop = func() { cancel(); <-done; <-done }
	log.Info("transparency log", "verifier_key", vkey, "origin", signer.Name(), "sign_every", every)
	return t, nil
}

// checkTree re-hashes the whole log against the tree kept in DATA/translog (extending it if the log is longer),
// so that the offline tools refuse a log changed under its tree as the server does. A data directory without
// a tree gets one.
func checkTree(ctx context.Context, store eventstore.Store, dataDir string) error {
	f := &translog.Follower{Store: store, Tree: translog.NewTree(), Dir: filepath.Join(dataDir, translogDir)}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := f.Run(ctx, cancel); err != nil {
		return fmt.Errorf("%w (run `pbledger verify --data %s` to see what differs)", err, dataDir)
	}
	return nil
}
