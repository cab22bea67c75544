package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/domain/outcome"
	"github.com/pbledger/pbledger/domain/pabulib"
	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/memstore"
	"github.com/pbledger/pbledger/ledger"
)

// The importer streams: it reads one file, runs all of its commands — allocation included — through the
// ledger against an in-memory store, and only if every one of them succeeds copies the events to the data
// directory's store. Then it lets the file go. So a refused file writes nothing, memory holds one file at a
// time, and a file's cost does not depend on what the log already holds (allocation reads the file's own
// streams, in memory).

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", "./data", "data directory")
	rule := fs.String("rule", "", "outcome rule for the imported cycles (default: each file's META rule)")
	noAllocate := fs.Bool("no-allocate", false, "stop in the allocation phase instead of recording the outcome")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file (for performance work)")
	memProfile := fs.String("memprofile", "", "write a heap profile to this file, taken when the heap in use was at its largest after a file was prepared (for performance work)")
	exclusionsFile := fs.String("exclusions", "", "`file` of exclusion groups for greedy-exclusive files, as scripts/corpus-exclusions.txt;\nrecorded as the budget commission's decisions")
	tieBreak := fs.String("tie-break", "", "tie-break order of the imported cycles' rule: "+strings.Join(outcome.TieBreakOrders(), ", ")+
		";\nlist-order follows each file's PROJECTS section, which reproduces every tie of the Pabulib library (docs/CORPUS.md)")
	keepGoing := fs.Bool("keep-going", false, "when a file is refused, say why and go on with the next (nothing of it is written)")
	cycle := fs.String("cycle", "", "the cycle ID to import a single file as (default: derived from the file name)")
	asJSON := fs.Bool("json", false, "print what was imported as JSON")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: pbledger import --data DIR [--rule RULE] [--tie-break ORDER] [--exclusions FILE] [--no-allocate] [--keep-going] [--cycle ID] [--json] FILE.pb...")
		fmt.Fprintln(stderr, "Imports each Pabulib file as a cycle with one district, its proposals and ballots. The cycle ID is the")
		fmt.Fprintln(stderr, "file's name, transliterated where needed (\"Kraków 2018.pb\" → Krakow_2018), or --cycle for one file.")
		fmt.Fprintln(stderr, "A file is checked completely (allocation included) before anything of it is written.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("no files to import")
	}
	if *cycle != "" && fs.NArg() > 1 {
		return fmt.Errorf("--cycle names the cycle of one file; %d files were given", fs.NArg())
	}
	if *rule != "" && !outcome.RuleName(*rule).Known() {
		return fmt.Errorf("unknown rule %q (known: %v)", *rule, outcome.Rules())
	}
	exclusions := map[string][][]string{}
	if *exclusionsFile != "" {
		var err error
		if exclusions, err = readExclusions(*exclusionsFile); err != nil {
			return err
		}
	}
	opts := func(path string) pabulib.ImportOptions {
		return pabulib.ImportOptions{Rule: outcome.RuleName(*rule), TieBreak: *tieBreak, Exclusive: exclusions[filepath.Base(path)]}
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	// The importer's live heap is the store's index (no pointers, so the collector does not scan it) plus
	// at most two files' events. The collector's heap goal is 2 × live (GOGC=100), capped by a soft limit of
	// importMemoryLimit — but never below importLimitHeadroom × the live heap measured after each file, so
	// the collector cannot run back to back when the live heap nears the limit (with a fixed limit of
	// 768 MiB files took several times longer at the end of the library than at its start). docs/SCALE.md.
	// GOGC or GOMEMLIMIT set in the environment win: then the collector runs as they say.
	gcTuned := os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == ""
	if gcTuned {
		defer debug.SetGCPercent(debug.SetGCPercent(100))
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(importMemoryLimit))
	}
	if err := os.MkdirAll(*dataDir, 0o755); err != nil {
		return err
	}
	store, err := openStore(ctx, *dataDir, stderr)
	if err != nil {
		return err
	}
	defer store.Close()

	prog := newProgress(stderr, fs.Args())
	defer prog.done()
	// The next file is parsed and run through the ledger in memory while this one is written: the one
	// needs a core, the other mostly the other core and the disk. At most two files are in memory at once:
	// the one being written and the one being prepared (the channel has no buffer, so the next is not
	// started before this one is handed over).
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type ready struct {
		path string
		f    *preparedFile
		err  error
		took time.Duration
	}
	next := make(chan ready)
	var heap heapPeak
	go func() {
		defer close(next)
		for _, path := range fs.Args() {
			start := time.Now()
			f, err := prepareFile(ctx, path, domain.CycleID(*cycle), opts(path), !*noAllocate)
			if *memProfile != "" {
				heap.sample(*memProfile)
			}
			select {
			case next <- ready{path, f, err, time.Since(start)}:
			case <-ctx.Done():
				return
			}
		}
	}()
	refused := 0
	type importedJSON struct {
		File      string              `json:"file"`
		Cycle     domain.CycleID      `json:"cycle"`
		District  domain.DistrictID   `json:"district"`
		Proposals int                 `json:"proposals"`
		Ballots   int                 `json:"ballots"`
		Position  eventstore.Position `json:"position"`
		Seconds   float64             `json:"seconds"`
		Notes     []string            `json:"notes,omitempty"`
	}
	var done []importedJSON
	for r := range next {
		if err := ctx.Err(); err != nil {
			return err
		}
		start := time.Now()
		err := r.err
		var res imported
		if err == nil {
			res, err = r.f.write(ctx, store)
		}
		r.f = nil
		if gcTuned {
			adaptMemoryLimit()
		}
		prog.clear()
		if err != nil {
			if !*keepGoing {
				return err
			}
			refused++
			fmt.Fprintf(stderr, "refused (nothing written): %v\n", err)
			prog.file(r.path, 0)
			continue
		}
		took := r.took + time.Since(start)
		if *asJSON {
			done = append(done, importedJSON{File: r.path, Cycle: res.cycle, District: res.district, Proposals: res.proposals,
				Ballots: res.ballots, Position: res.position, Seconds: took.Seconds(), Notes: res.notes})
		} else {
			fmt.Fprintf(stdout, "%s: cycle %s, district %s, %s proposals, %s ballots, up to position %d (%s)\n", r.path, res.cycle, res.district,
				groupDigits(int64(res.proposals)), groupDigits(int64(res.ballots)), res.position, took.Round(time.Millisecond))
			for _, n := range res.notes {
				fmt.Fprintf(stdout, "  note: %s\n", n)
			}
		}
		prog.file(r.path, res.ballots)
	}
	if *asJSON {
		if err := writeJSONTo(stdout, done); err != nil {
			return err
		}
	}
	if refused > 0 {
		return fmt.Errorf("%d of %d files refused (nothing of them was written)", refused, fs.NArg())
	}
	return nil
}

// importMemoryLimit is the importer's soft memory limit (the Go runtime's GOMEMLIMIT) while its live heap
// is small enough; see adaptMemoryLimit.
const importMemoryLimit = 768 << 20

// adaptMemoryLimit raises the soft memory limit to 1.25 × the live heap plus 64 MiB if that is more than
// importMemoryLimit, so the collector always has room to work in.
func adaptMemoryLimit() {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	live := int64(sample[0].Value.Uint64())
	debug.SetMemoryLimit(max(importMemoryLimit, live+live/4+64<<20))
}

// imported is what importFile reports.
type imported struct {
	cycle     domain.CycleID
	district  domain.DistrictID
	proposals int
	ballots   int
	position  eventstore.Position
	notes     []string
}

// preparedFile is a file run through the ledger in memory, ready to be written.
type preparedFile struct {
	path string
	res  imported
	mem  *memstore.Store
}

// prepareFile parses a file (as cycle id; "" derives it from the file's name) and runs all of its commands (allocation too, if allocate) through the ledger
// against an in-memory store. An error means the file is refused; nothing has been written anywhere.
func prepareFile(ctx context.Context, path string, id domain.CycleID, opts pabulib.ImportOptions, allocate bool) (*preparedFile, error) {
	inst, err := readPabulib(path)
	if err != nil {
		return nil, err
	}
	imp, err := instanceForImportWith(path, inst, id, opts)
	if err != nil {
		return nil, err
	}
	return prepareParsed(ctx, path, imp, allocate)
}

// prepareParsed is prepareFile for a file already parsed.
func prepareParsed(ctx context.Context, path string, imp *pabulib.Import, allocate bool) (*preparedFile, error) {
	// Each ballot is about two events (its index entry and itself) in a stream of its own; each proposal
	// three (submitted, published, its index entry).
	events, streams := 2*len(imp.Ballots)+3*len(imp.Proposals)+64, len(imp.Ballots)+len(imp.Proposals)+16
	f := &preparedFile{path: path, mem: memstore.NewSized(events, streams),
		res: imported{cycle: imp.Cycle.CycleID, district: imp.Cycle.Districts[0].ID, proposals: len(imp.Proposals), ballots: len(imp.Ballots), notes: imp.Notes}}
	svc := ledger.New(f.mem, nil, ledger.Metrics{})
	// One time for the whole file: its events take effect when it is imported, and one metadata encoding
	// serves every command (ledger.Service caches the last one).
	req := ledger.Request{Principal: "import", Role: "system", RequestID: "import:" + filepath.Base(path), At: time.Now()}
	// A file whose official outcome no declared rule determines is imported without allocation.
	if _, err := ImportCycle(ctx, svc, req, imp, allocate && !imp.Undetermined); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// write copies the file's events to dst and lets them go. It refuses, writing nothing, if the file's cycle
// (or any of its proposals) is already in dst; otherwise an error is a failure of dst itself.
func (f *preparedFile) write(ctx context.Context, dst eventstore.Store) (imported, error) {
	defer f.mem.Close()
	pos, err := copyLog(ctx, f.mem, dst)
	f.mem = nil
	if err != nil {
		return f.res, fmt.Errorf("%s: %w", f.path, err)
	}
	f.res.position = pos
	return f.res, nil
}

// copyConcurrency is how many appends the importer keeps in flight: the file store commits all that arrive
// during one fdatasync together.
const copyConcurrency = 256

// maxIndexBatch is how many entries the importer puts in one index event.
const maxIndexBatch = 2000

// copyLog appends every event of src to dst, keeping what the log's order means: events of a cycle's stream
// are written in order, one append at a time, and the events between two of them (proposals, ballots,
// indexes) are written before the next — concurrently, since they are in distinct streams. Index entries are
// coalesced into events of up to maxIndexBatch entries and written ahead of the streams they name. Before
// writing anything it checks that none of src's cycle and proposal streams exists in dst.
func copyLog(ctx context.Context, src *memstore.Store, dst eventstore.Store) (eventstore.Position, error) {
	events := src.Log()
	seen := map[string]bool{}
	for _, e := range events {
		if seen[e.StreamID] || !strings.HasPrefix(e.StreamID, domain.CycleStreamPrefix) && !strings.HasPrefix(e.StreamID, domain.ProposalStreamPrefix) {
			continue // the other streams (ballots, claims, indexes) are named after their cycle, which is checked
		}
		seen[e.StreamID] = true
		_, err := dst.ReadStream(ctx, e.StreamID, eventstore.Forwards, 0, 1)
		if err == nil {
			return 0, fmt.Errorf("%s already exists in the data directory (imported before?)", e.StreamID)
		}
		if !errors.Is(err, eventstore.ErrStreamNotFound) {
			return 0, err
		}
	}
	w := &copier{ctx: ctx, dst: dst, written: map[string]int{}}
	isCycle := func(e eventstore.RecordedEvent) bool { return strings.HasPrefix(e.StreamID, domain.CycleStreamPrefix) }
	for i := 0; i < len(events); {
		if isCycle(events[i]) {
			j := i + 1
			for j < len(events) && events[j].StreamID == events[i].StreamID {
				j++
			}
			if err := w.append(events[i].StreamID, toData(events[i:j]), int64(events[i].Revision)); err != nil {
				return 0, err
			}
			i = j
			continue
		}
		j := i
		for j < len(events) && !isCycle(events[j]) {
			j++
		}
		if err := w.segment(events[i:j]); err != nil {
			return 0, err
		}
		i = j
	}
	return w.last, nil
}

type copier struct {
	ctx     context.Context
	dst     eventstore.Store
	mu      sync.Mutex
	written map[string]int // events written to each index stream so far
	last    eventstore.Position
}

func toData(recs []eventstore.RecordedEvent) []eventstore.EventData {
	out := make([]eventstore.EventData, len(recs))
	for i, r := range recs {
		out[i] = eventstore.EventData{ID: r.ID, Type: r.Type, Data: r.Data, Metadata: r.Metadata}
	}
	return out
}

// append writes events to stream in appends that fit MaxAppendSize, each expecting the stream as this copy
// left it. first is the revision of the first event in the source: the copy writes each stream from its
// start, so it is the revision in dst too — except for index streams, whose events are coalesced (first < 0:
// their revisions are counted in w.written).
func (w *copier) append(stream string, events []eventstore.EventData, first int64) error {
	for len(events) > 0 {
		n, size := 0, 0
		for n < len(events) {
			s := eventstore.EncodedSize(stream, events[n:n+1])
			if n > 0 && size+s > eventstore.MaxAppendSize {
				break
			}
			size += s
			n++
		}
		done := first
		if first < 0 {
			w.mu.Lock()
			done = int64(w.written[stream])
			w.mu.Unlock()
		}
		exp := eventstore.NoStream()
		if done > 0 {
			exp = eventstore.Exact(eventstore.Revision(done - 1))
		}
		res, err := w.dst.Append(w.ctx, stream, exp, events[:n]...)
		if err != nil {
			return fmt.Errorf("writing to the data directory: %w", err)
		}
		w.mu.Lock()
		if first < 0 {
			w.written[stream] += n
		} else {
			first += int64(n)
		}
		w.last = max(w.last, res.Position)
		w.mu.Unlock()
		events = events[n:]
	}
	return nil
}

// segment writes events of distinct non-cycle streams: first the indexes (coalesced), then the rest, each
// group with many appends in flight so the store can commit them together.
func (w *copier) segment(events []eventstore.RecordedEvent) error {
	// The events of each stream, in order, by their index in events. Most streams of a segment are ballots
	// with one event each; a stream with more (the district's index: one event per ballot) keeps the
	// indexes of the rest, and its events are gathered only when it is written.
	type group struct {
		stream string
		first  int32
		rest   []int32
	}
	at := make(map[string]int, len(events))
	var groups []group
	for k := range events {
		s := events[k].StreamID
		i, ok := at[s]
		if !ok {
			at[s] = len(groups)
			groups = append(groups, group{stream: s, first: int32(k)})
			continue
		}
		groups[i].rest = append(groups[i].rest, int32(k))
	}
	at = nil
	recs := func(g group) []eventstore.RecordedEvent {
		if len(g.rest) == 0 {
			return events[g.first : g.first+1 : g.first+1]
		}
		out := make([]eventstore.RecordedEvent, 0, 1+len(g.rest))
		out = append(out, events[g.first])
		for _, k := range g.rest {
			out = append(out, events[k])
		}
		return out
	}
	isIndex := func(g group) bool { return strings.HasPrefix(g.stream, ledger.IndexStreamPrefix) }
	// write writes the groups that are index streams (indexes) or the others, many appends in flight.
	write := func(indexes bool, data func([]eventstore.RecordedEvent) ([]eventstore.EventData, error)) error {
		jobs := make(chan group)
		var wg sync.WaitGroup
		var once sync.Once
		var first error
		n := 0
		for _, g := range groups {
			if isIndex(g) == indexes {
				n++
			}
		}
		for range min(copyConcurrency, n) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for g := range jobs {
					evs, err := data(recs(g))
					if err == nil {
						rev := int64(events[g.first].Revision)
						if indexes {
							rev = -1 // coalesced: counted by the copier
						}
						err = w.append(g.stream, evs, rev)
					}
					if err != nil {
						once.Do(func() { first = err })
					}
				}
			}()
		}
		for _, g := range groups {
			if isIndex(g) == indexes {
				jobs <- g
			}
		}
		close(jobs)
		wg.Wait()
		return first
	}
	if err := write(true, coalesceIndex); err != nil {
		return err
	}
	return write(false, func(recs []eventstore.RecordedEvent) ([]eventstore.EventData, error) { return toData(recs), nil })
}

func coalesceIndex(recs []eventstore.RecordedEvent) ([]eventstore.EventData, error) {
	return ledger.CoalesceIndex(recs, maxIndexBatch)
}

// progress reports the import's progress on stderr when stderr is a terminal, one line rewritten in place:
// files done, ballots per second, and the time left estimated from the bytes still to read.
type progress struct {
	w          io.Writer
	on         bool
	start      time.Time
	files      int
	totalFiles int
	bytes      int64
	totalBytes int64
	ballots    int
	shown      bool
}

func newProgress(stderr io.Writer, paths []string) *progress {
	p := &progress{w: stderr, start: time.Now(), totalFiles: len(paths)}
	if f, ok := stderr.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.on = true
		}
	}
	if p.on {
		for _, path := range paths {
			if st, err := os.Stat(path); err == nil {
				p.totalBytes += st.Size()
			}
		}
	}
	return p
}

// file records that a file is done (imported or refused) and redraws the line.
func (p *progress) file(path string, ballots int) {
	p.files++
	p.ballots += ballots
	if !p.on {
		return
	}
	if st, err := os.Stat(path); err == nil {
		p.bytes += st.Size()
	}
	el := time.Since(p.start)
	rate := float64(p.ballots) / max(el.Seconds(), 1e-3)
	eta := "?"
	if p.bytes > 0 {
		eta = (time.Duration(float64(el) * float64(p.totalBytes-p.bytes) / float64(p.bytes))).Round(time.Second).String()
	}
	fmt.Fprintf(p.w, "\r\033[K%d/%d files, %d ballots, %.0f ballots/s, %s elapsed, ETA %s", p.files, p.totalFiles, p.ballots, rate, el.Round(time.Second), eta)
	p.shown = true
}

// clear removes the progress line before other output, to be redrawn by the next file.
func (p *progress) clear() {
	if p.on && p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown = false
	}
}

func (p *progress) done() { p.clear() }

// heapPeak writes a heap profile each time the heap in use is larger than at any earlier sample, so the file
// ends up holding the profile of the largest heap sampled. It is for performance work only: each sample reads
// the runtime's memory statistics.
type heapPeak struct{ max uint64 }

func (h *heapPeak) sample(path string) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if ms.HeapInuse <= h.max {
		return
	}
	h.max = ms.HeapInuse
	f, err := os.Create(path)
	if err != nil {
		return
	}
	defer f.Close()
	_ = pprof.Lookup("heap").WriteTo(f, 0)
}
