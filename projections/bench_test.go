package projections_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/domain/outcome"
	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/filestore"
	"github.com/pbledger/pbledger/ledger"
	"github.com/pbledger/pbledger/projections"
)

// rebuildEvents is the size of the log BenchmarkRebuild replays: a district of 100 proposals and ballots
// with three choices each, with metadata as the HTTP API writes it.
const rebuildBallots = 200_000

// prefillBallots writes a cycle and n ballots straight to the store (the ballots already valid), fast.
func prefillBallots(b *testing.B, n int) *filestore.Store {
	b.Helper()
	store := mustStore(b, b.TempDir())
	svc := ledger.New(store, nil, ledger.Metrics{})
	ctx := context.Background()
	must(b)(svc.OpenCycle(ctx, req, domain.OpenCycle{CycleID: "big", Name: "Big", Currency: "KZT", CurrencyExponent: 2,
		Districts: []domain.District{{ID: "d", Name: "D", Budget: 10_000_000}}, Plan: domain.StandardPlan(),
		BallotRule: domain.BallotRule{Type: domain.BallotApproval, MaxChoices: 5}, OutcomeRule: outcome.Rule{Name: outcome.Greedy},
		Assessment: domain.AssessmentPolicy{Scale: domain.ScoreScale{Min: 0, Max: 10}}}))
	for i := 0; i < 100; i++ {
		id := domain.ProposalID(fmt.Sprintf("p%03d", i))
		must(b)(svc.SubmitProposal(ctx, req, domain.SubmitProposal{ProposalID: id, CycleID: "big", DistrictID: "d", Author: "a",
			ProposalContent: domain.ProposalContent{Title: "Proposal", Cost: domain.Money(10_000 + 1000*i)}}))
		must(b)(svc.PublishProposal(ctx, req, domain.PublishProposal{ProposalID: id, Moderator: "m"}))
	}
	must(b)(svc.AdvancePhase(ctx, req, domain.AdvancePhase{CycleID: "big", To: domain.PhaseReview}))
	must(b)(svc.AdvancePhase(ctx, req, domain.AdvancePhase{CycleID: "big", To: domain.PhaseVoting}))
	meta := []byte(`{"principal":"almaty-portal","role":"gateway","request_id":"4f1c2d9a8b7e6f50a1b2c3d4","command":"CastBallot"}`)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for i := w; i < n; i += 8 {
				voter := domain.VoterKey(fmt.Sprintf("v%031x", i))
				bc := domain.BallotCast{CycleID: "big", DistrictID: "d", Voter: voter}
				for _, k := range rng.Perm(100)[:3] {
					bc.Choices = append(bc.Choices, domain.BallotChoice{ProposalID: domain.ProposalID(fmt.Sprintf("p%03d", k))})
				}
				typ, data, _ := domain.Encode(bc)
				if _, err := store.Append(ctx, domain.BallotStream("big", "d", voter), eventstore.NoStream(),
					eventstore.EventData{ID: uuid.New(), Type: typ, Data: data, Metadata: meta}); err != nil {
					b.Error(err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	return store
}

// readAllOnly hides a store's optional interfaces (eventstore.AllScanner): reads go through ReadAll, as on
// the backends that have no scanner.
type readAllOnly struct{ eventstore.Store }

// BenchmarkRebuild replays the whole log into a fresh model, as `pbledger rebuild` does: from the file
// store as it is (scan: pages of events read in place), and through ReadAll only (readall: the path of the
// backends without eventstore.AllScanner).
func BenchmarkRebuild(b *testing.B) {
	fs := prefillBallots(b, rebuildBallots)
	defer fs.Close()
	for _, c := range []struct {
		name  string
		store eventstore.Store
	}{{"scan", fs}, {"readall", readAllOnly{fs}}} {
		b.Run(c.name, func(b *testing.B) {
			s := c.store
			head, _ := s.Head(context.Background())
			runtime.GC()
			b.ResetTimer()
			cpu := processCPU()
			for i := 0; i < b.N; i++ {
				m := projections.NewModel()
				if err := projections.CatchUp(context.Background(), s, m, eventstore.Position(^uint64(0)), time.Time{}); err != nil {
					b.Fatal(err)
				}
			}
			cpu = processCPU() - cpu
			b.ReportMetric(float64(head)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
			// The CPU time of the whole process (every goroutine, the collector included) per event: on a
			// shared machine a steadier figure than the wall clock.
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(head)/float64(b.N), "cpu-ns/event")
		})
	}
}

// processCPU is the user+system time the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkModelMemory reports the heap a read model holds per ballot (docs/SCALING.md sizes a city's vote
// with it): the model of a 200,000-ballot district, measured after garbage collection.
func BenchmarkModelMemory(b *testing.B) {
	s := prefillBallots(b, rebuildBallots)
	defer s.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		m := projections.NewModel()
		if err := projections.CatchUp(context.Background(), s, m, eventstore.Position(^uint64(0)), time.Time{}); err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapInuse-before.HeapInuse)/rebuildBallots, "heap-bytes/ballot")
		runtime.KeepAlive(m)
	}
}
