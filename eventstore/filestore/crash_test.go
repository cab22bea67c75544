package filestore_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/filestore"
)

// The crash test runs a child process (this test binary, re-executed) that appends from many goroutines
// and prints every acknowledged append, and kills it with SIGKILL at arbitrary moments. After every kill
// the log must hold every acknowledged event, intact and in order, no part of any append that is not
// wholly there, and appends must go on.

const (
	crashDirEnv  = "PBLEDGER_CRASH_DIR"
	crashSeedEnv = "PBLEDGER_CRASH_SEED"
	crashWriters = 12
)

// crashEvent is the body of every event the child writes: enough to check it on its own.
type crashEvent struct {
	Stream string `json:"stream"`
	Batch  string `json:"batch"` // the append's ID, shared by its events
	Index  int    `json:"index"`
	Count  int    `json:"count"`
	Pad    string `json:"pad"`
	Sum    string `json:"sum"` // sha256 of the fields above
}

func (e crashEvent) sum() string {
	h := sha256.Sum256([]byte(fmt.Sprintf("%s|%s|%d|%d|%s", e.Stream, e.Batch, e.Index, e.Count, e.Pad)))
	return hex.EncodeToString(h[:8])
}

// TestCrashChild is the child process; it does nothing when run as an ordinary test.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		return
	}
	seed, _ := strconv.ParseUint(os.Getenv(crashSeedEnv), 10, 64)
	// The index's tail is merged into a new index file every few dozen events, so kills also land while one
	// is being written or swapped in.
	defer filestore.SetFlushEvery(48)()
	s, err := filestore.Open(context.Background(), dir, filestore.Options{SegmentSize: 64 << 10, Logger: quietLogger()})
	if err != nil {
		fmt.Fprintf(os.Stdout, "open-error %v\n", err)
		os.Exit(3)
	}
	var out sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < crashWriters; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			stream := fmt.Sprintf("crash-%d", w)
			// Continue where the stream is: its last revision, or no stream.
			exp := eventstore.NoStream()
			if last, err := s.ReadStream(context.Background(), stream, eventstore.Backwards, eventstore.End, 1); err == nil && len(last) == 1 {
				exp = eventstore.Exact(last[0].Revision)
			}
			for {
				n := 1 + rng.IntN(4)
				batch := uuid.NewString()
				evs := make([]eventstore.EventData, n)
				for i := range evs {
					ce := crashEvent{Stream: stream, Batch: batch, Index: i, Count: n, Pad: strings.Repeat("p", rng.IntN(600))}
					ce.Sum = ce.sum()
					data, _ := json.Marshal(ce)
					evs[i] = eventstore.EventData{ID: uuid.New(), Type: "Crash", Data: data}
				}
				res, err := s.Append(context.Background(), stream, exp, evs...)
				if err != nil {
					fmt.Fprintf(os.Stdout, "append-error %v\n", err)
					os.Exit(4)
				}
				exp = eventstore.Exact(res.NextRevision)
				line := fmt.Sprintf("ack %s %d", stream, uint64(res.NextRevision)-uint64(n-1))
				for _, e := range evs {
					line += " " + e.ID.String()
				}
				out.Lock()
				os.Stdout.WriteString(line + "\n")
				out.Unlock()
			}
		}(w)
	}
	wg.Wait()
}

type ack struct {
	stream string
	first  eventstore.Revision
	ids    []string
}

func TestCrashRecovery(t *testing.T) {
	if os.Getenv(crashDirEnv) != "" {
		t.Skip("in the child")
	}
	rounds := 25
	if testing.Short() {
		rounds = 8
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(2026, 11))
	acked := map[string][]ack{} // stream → acknowledged appends in order
	totalAcks := 0
	for round := 0; round < rounds; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, crashSeedEnv+"="+strconv.Itoa(round))
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill at an arbitrary moment: sometimes while it opens and recovers, mostly after some acks.
		killAfterAcks := rng.IntN(400)
		if round%5 == 0 {
			killAfterAcks = -1
		}
		lines := make(chan string, 1024)
		go func() {
			sc := bufio.NewScanner(stdout)
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		if killAfterAcks < 0 {
			time.Sleep(time.Duration(rng.IntN(3000)) * time.Microsecond)
			cmd.Process.Signal(syscall.SIGKILL)
		}
		n := 0
		for line := range lines {
			fields := strings.Fields(line)
			if len(fields) == 0 {
				continue
			}
			if fields[0] != "ack" {
				cmd.Process.Signal(syscall.SIGKILL)
				t.Fatalf("round %d: child says %q", round, line)
			}
			first, _ := strconv.ParseUint(fields[2], 10, 64)
			acked[fields[1]] = append(acked[fields[1]], ack{stream: fields[1], first: eventstore.Revision(first), ids: fields[3:]})
			n++
			if n == killAfterAcks {
				cmd.Process.Signal(syscall.SIGKILL)
			}
		}
		cmd.Wait()
		totalAcks += n
		verifyAfterCrash(t, round, dir, acked)
	}
	if totalAcks < rounds*20 {
		t.Fatalf("only %d appends were acknowledged in %d rounds: the child did not get going", totalAcks, rounds)
	}
	t.Logf("%d rounds, %d acknowledged appends", rounds, totalAcks)
}

// verifyAfterCrash reopens the log and checks it against what was acknowledged.
func verifyAfterCrash(t *testing.T, round int, dir string, acked map[string][]ack) {
	t.Helper()
	s, err := filestore.Open(context.Background(), dir, filestore.Options{SegmentSize: 64 << 10, Logger: quietLogger()})
	if err != nil {
		t.Fatalf("round %d: reopen after kill: %v", round, err)
	}
	defer s.Close()
	// Every stored event is intact, and every append is there whole or not at all.
	var all []eventstore.RecordedEvent
	for from := eventstore.Position(1); ; {
		evs, err := s.ReadAll(context.Background(), from, 4096)
		if err != nil {
			t.Fatalf("round %d: read all: %v", round, err)
		}
		if len(evs) == 0 {
			break
		}
		all = append(all, evs...)
		from = evs[len(evs)-1].Position + 1
	}
	byStream := map[string][]eventstore.RecordedEvent{}
	for i, e := range all {
		if e.Position != eventstore.Position(i+1) {
			t.Fatalf("round %d: event %d has position %d", round, i, e.Position)
		}
		var ce crashEvent
		if err := json.Unmarshal(e.Data, &ce); err != nil || ce.Sum != ce.sum() || ce.Stream != e.StreamID {
			t.Fatalf("round %d: event at %d is damaged: %s", round, e.Position, e.Data)
		}
		if e.Revision != eventstore.Revision(len(byStream[e.StreamID])) {
			t.Fatalf("round %d: %s has revision %d at position %d, want %d", round, e.StreamID, e.Revision, e.Position, len(byStream[e.StreamID]))
		}
		byStream[e.StreamID] = append(byStream[e.StreamID], e)
	}
	for stream, evs := range byStream {
		for i := 0; i < len(evs); {
			var ce crashEvent
			json.Unmarshal(evs[i].Data, &ce)
			if ce.Index != 0 || i+ce.Count > len(evs) {
				t.Fatalf("round %d: %s: append %s is partial at revision %d", round, stream, ce.Batch, i)
			}
			for j := 0; j < ce.Count; j++ {
				var cj crashEvent
				json.Unmarshal(evs[i+j].Data, &cj)
				if cj.Batch != ce.Batch || cj.Index != j {
					t.Fatalf("round %d: %s: append %s is partial at revision %d", round, stream, ce.Batch, i+j)
				}
			}
			i += ce.Count
		}
	}
	// Every acknowledged event is present at its revision.
	for stream, acks := range acked {
		evs := byStream[stream]
		for _, a := range acks {
			for j, id := range a.ids {
				r := int(a.first) + j
				if r >= len(evs) || evs[r].ID.String() != id {
					t.Fatalf("round %d: acknowledged event %s of %s at revision %d is missing", round, id, stream, r)
				}
			}
		}
	}
}
