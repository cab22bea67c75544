package verify_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/uuid"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/filestore"
	"github.com/pbledger/pbledger/eventstore/translog"
	"github.com/pbledger/pbledger/verify"
)

// BenchmarkVerifyLog measures the offline verifier on a log of 1,000,000 ballots (about 330 bytes each, with
// metadata): read every event, decode it, hash it into the tree, and check a signed checkpoint of the whole
// log. The log is written once, outside the timer, in PBLEDGER_BENCH_DIR if set.
func BenchmarkVerifyLog(b *testing.B) {
	const n = 1_000_000
	dir := b.TempDir()
	if d := os.Getenv("PBLEDGER_BENCH_DIR"); d != "" {
		var err error
		if dir, err = os.MkdirTemp(d, "verify"); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { os.RemoveAll(dir) })
	}
	ctx := context.Background()
	s, err := filestore.Open(ctx, filepath.Join(dir, "log"), filestore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	meta := []byte(`{"principal":"demo-portal","role":"gateway","request_id":"3b9f7c1e6a554d9e9a3c0e6f"}`)
	for i := 0; i < n; i += 1000 {
		evs := make([]eventstore.EventData, 1000)
		for j := range evs {
			voter := fmt.Sprintf("v%032x", i+j)
			_, data, err := domain.Encode(domain.BallotCast{CycleID: "bench-2026", DistrictID: "almaly", Voter: domain.VoterKey(voter),
				Choices: []domain.BallotChoice{{ProposalID: domain.ProposalID(fmt.Sprintf("bench-2026.almaly.%02d", (i+j)%40))}, {ProposalID: "bench-2026.almaly.41"}}})
			if err != nil {
				b.Fatal(err)
			}
			evs[j] = eventstore.EventData{ID: uuid.New(), Type: domain.EventBallotCast, Data: data, Metadata: meta}
		}
		if _, err := s.Append(ctx, fmt.Sprintf("ballot-bench-%d", i/1000), eventstore.NoStream(), evs...); err != nil {
			b.Fatal(err)
		}
	}
	// The checkpoint the verifier checks: signed over the tree a follower builds.
	tree := translog.NewTree()
	fctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- (&translog.Follower{Store: s, Tree: tree}).Run(fctx, stop) }()
	<-fctx.Done()
	<-done
	signer, _, err := translog.LoadOrCreateKey(filepath.Join(dir, "key"), "bench/log")
	if err != nil {
		b.Fatal(err)
	}
	root, _ := tree.Root(n)
	cp, err := translog.Sign(translog.Checkpoint{Origin: "bench/log", Size: n, Root: root}, signer)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rep, err := verify.Log(ctx, s, verify.Options{Checkpoints: []translog.SignedCheckpoint{cp}})
		if err != nil || !rep.OK || rep.Events != n {
			b.Fatalf("report %+v, %v", rep, err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
}
