package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/domain/outcome"
	"github.com/pbledger/pbledger/domain/pabulib"
	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/filestore"
	pbhttp "github.com/pbledger/pbledger/http"
	"github.com/pbledger/pbledger/ledger"
	"github.com/pbledger/pbledger/projections"
)

// ErrNoLog is returned by the tools that read a log (replay, rebuild) when the data directory holds none.
var ErrNoLog = errors.New("no event log")

// openExistingLog opens the data directory's log for a tool that reads it (replay, rebuild, and any future
// verify): a directory without a log is refused, and nothing is created in it — opening would otherwise make
// an empty store and report on it as if it were the real one (a typo in --data).
func openExistingLog(ctx context.Context, dataDir string, stderr io.Writer) (*filestore.Store, error) {
	segs, err := filepath.Glob(filepath.Join(dataDir, logDir, "*.seg"))
	if err != nil {
		return nil, err
	}
	if len(segs) == 0 {
		if _, err := os.Stat(dataDir); err != nil {
			return nil, fmt.Errorf("data directory %s: %w", dataDir, err)
		}
		return nil, fmt.Errorf("%s holds %w (no segment files in %s); is --data the right directory?", dataDir, ErrNoLog, filepath.Join(dataDir, logDir))
	}
	return openStore(ctx, dataDir, stderr)
}

// openStore opens the data directory's log for a tool, creating an empty one if there is none; the server
// must not be running on it.
func openStore(ctx context.Context, dataDir string, stderr io.Writer) (*filestore.Store, error) {
	dir := filepath.Join(dataDir, logDir)
	if _, err := os.Stat(dataDir); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", dataDir, err)
	}
	s, err := filestore.Open(ctx, dir, filestore.Options{Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if errors.Is(err, filestore.ErrLocked) {
		return nil, fmt.Errorf("%w (stop the server first, or work on a copy of the data directory)", err)
	}
	return s, err
}

// ---- import ----

// parseForImport reads a Pabulib file as the commands that import it as cycle id (by default the file's base
// name) under rule (by default the file's own).
func parseForImport(path string, id domain.CycleID, rule outcome.RuleName) (*pabulib.Import, error) {
	inst, err := readPabulib(path)
	if err != nil {
		return nil, err
	}
	return instanceForImport(path, inst, id, rule)
}

// instanceForImport is parseForImport on a file already parsed.
func instanceForImport(path string, inst *pabulib.Instance, id domain.CycleID, rule outcome.RuleName) (*pabulib.Import, error) {
	return instanceForImportWith(path, inst, id, pabulib.ImportOptions{Rule: rule})
}

// instanceForImportWith is instanceForImport with every import option. The cycle ID is by default made from
// the file's base name (pabulib.CycleIDFor).
func instanceForImportWith(path string, inst *pabulib.Instance, id domain.CycleID, opts pabulib.ImportOptions) (*pabulib.Import, error) {
	if id == "" {
		id = cycleIDFromFile(path)
	}
	if err := id.Validate(); err != nil {
		return nil, fmt.Errorf("%s: the file name does not make a cycle ID (%w); choose one with --cycle", path, err)
	}
	imp, err := pabulib.ToImportWith(inst, id, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return imp, nil
}

// cycleIDFromFile derives a cycle ID from a file's name (pabulib.CycleIDFor): the base name without its
// extension when that is an ID already (poland_wieliczka_2023.pb → poland_wieliczka_2023), else its
// transliteration (Kraków 2018.pb → Krakow_2018).
func cycleIDFromFile(path string) domain.CycleID {
	return pabulib.CycleIDFor(strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)))
}

// ImportCycle runs an import's commands through the ledger: open, submit and publish every proposal, vote,
// and (if allocate) record the outcome. Ballots are cast by 32 workers at once, as a portal would.
func ImportCycle(ctx context.Context, svc *ledger.Service, req ledger.Request, imp *pabulib.Import, allocate bool) (ledger.Written, error) {
	// imp is not used after the ballots are cast, so its ballots can be collected during the allocation.
	id, district := imp.Cycle.CycleID, imp.Cycle.Districts[0].ID
	w, err := svc.OpenCycle(ctx, req, imp.Cycle)
	if err != nil {
		return w, err
	}
	for _, p := range imp.Proposals {
		if _, err := svc.SubmitProposal(ctx, req, p); err != nil {
			return w, fmt.Errorf("project %s: %w", p.ExternalRef, err)
		}
		if _, err := svc.PublishProposal(ctx, req, domain.PublishProposal{ProposalID: p.ProposalID, Moderator: "import"}); err != nil {
			return w, fmt.Errorf("project %s: %w", p.ExternalRef, err)
		}
	}
	for _, x := range imp.Exclusions {
		if _, err := svc.DeclareExclusionGroup(ctx, req, x); err != nil {
			return w, fmt.Errorf("exclusion group: %w", err)
		}
	}
	if w, err = svc.AdvancePhase(ctx, req, domain.AdvancePhase{CycleID: id, To: domain.PhaseVoting}); err != nil {
		return w, err
	}
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	next := make(chan domain.CastBallot)
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range next {
				if _, err := svc.CastBallot(ctx, req, b); err != nil {
					once.Do(func() { firstErr = fmt.Errorf("ballot of voter %s: %w", b.Voter, err) })
				}
			}
		}()
	}
	for _, b := range imp.Ballots {
		next <- b
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return w, firstErr
	}
	if w, err = svc.AdvancePhase(ctx, req, domain.AdvancePhase{CycleID: id, To: domain.PhaseAllocation}); err != nil {
		return w, err
	}
	if !allocate {
		return w, nil
	}
	return svc.Allocate(ctx, req, id, district)
}

// ---- replay and rebuild ----

func runReplay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", "./data", "data directory")
	until := fs.String("until", "", "a log position (e.g. 1200), a date (2025-09-01: the state at the end of that day), a local time (2025-09-01T18:00) or an RFC 3339 time (2025-09-01T18:00:00+05:00)")
	tz := fs.String("tz", "UTC", "the IANA time zone for a date or local time in --until, e.g. Asia/Almaty")
	asJSON := fs.Bool("json", false, "print JSON instead of tables")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: pbledger replay --data DIR --until POSITION|DATE|TIME [--tz ZONE] [--json]")
		fmt.Fprintln(stderr, "Prints every cycle's rankings and balances as they stood at a log position, or on a date: by a time,")
		fmt.Fprintln(stderr, "it counts the events that had taken effect then (their effective_at), even if recorded later.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *until == "" {
		fs.Usage()
		return errors.New("--until POSITION|DATE|TIME is required")
	}
	pos, at, err := parseUntil(*until, *tz)
	if err != nil {
		return err
	}
	store, err := openExistingLog(ctx, *dataDir, stderr)
	if err != nil {
		return err
	}
	defer store.Close()
	m := projections.NewModel()
	if err := projections.CatchUp(ctx, store, m, pos, at); err != nil {
		return err
	}
	return printState(stdout, m, at, *asJSON)
}

// parseUntil reads replay's --until: a position, or a time. A date alone is the end of that day in zone.
func parseUntil(until, zone string) (eventstore.Position, time.Time, error) {
	if n, err := strconv.ParseUint(until, 10, 64); err == nil {
		return eventstore.Position(n), time.Time{}, nil
	}
	all := eventstore.Position(^uint64(0))
	if t, err := time.Parse(time.RFC3339Nano, until); err == nil {
		return all, t, nil
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("--tz %q is not a known IANA time zone (e.g. Asia/Almaty, UTC)", zone)
	}
	if d, err := time.ParseInLocation(time.DateOnly, until, loc); err == nil {
		return all, d.AddDate(0, 0, 1).Add(-time.Nanosecond), nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, until, loc); err == nil {
			return all, t, nil
		}
	}
	return 0, time.Time{}, fmt.Errorf("--until %q is not a position (1200), a date (2025-09-01), a local time (2025-09-01T18:00) or an RFC 3339 time", until)
}

// printState prints every cycle's rankings and balances as the model has them.
func printState(w io.Writer, m *projections.Model, asOf time.Time, asJSON bool) error {
	cycles, at := m.Cycles()
	type district struct {
		Ranking projections.Ranking `json:"ranking"`
		Balance projections.Balance `json:"balance"`
	}
	type cycle struct {
		ID        domain.CycleID      `json:"id"`
		Phase     domain.Phase        `json:"phase"`
		Districts []district          `json:"districts"`
		Totals    projections.Balance `json:"totals"`
	}
	var out struct {
		// AsOf is the --until time, when it was one: the events in effect then are counted.
		AsOf     *time.Time          `json:"as_of,omitempty"`
		Position eventstore.Position `json:"position"`
		Recorded time.Time           `json:"recorded"`
		Cycles   []cycle             `json:"cycles"`
	}
	out.Position, out.Recorded = at.Position, at.Recorded
	if !asOf.IsZero() {
		out.AsOf = &asOf
	}
	for _, c := range cycles {
		d, err := m.Cycle(c.ID)
		if err != nil {
			return err
		}
		cy := cycle{ID: c.ID, Phase: d.Phase, Totals: d.Totals}
		for _, dv := range d.DistrictViews {
			rk, err := m.DistrictRanking(c.ID, dv.ID, 0)
			if err != nil {
				return err
			}
			cy.Districts = append(cy.Districts, district{Ranking: rk, Balance: dv.Balance})
		}
		out.Cycles = append(out.Cycles, cy)
	}
	if asJSON {
		return writeJSONTo(w, out)
	}
	if out.AsOf != nil {
		fmt.Fprintf(w, "As of %s: the events in effect by then (the last of them at log position %d)\n", asOf.Format(time.RFC3339), out.Position)
	} else {
		fmt.Fprintf(w, "As of log position %d (recorded %s)\n", out.Position, out.Recorded.Format(time.RFC3339))
	}
	for _, c := range out.Cycles {
		d, _ := m.Cycle(c.ID)
		money := func(v domain.Money) string { return pbhttp.FormatMoney(v, d.CurrencyExponent, d.Currency) }
		fmt.Fprintf(w, "\n== %s (%s), phase %s\n", c.ID, d.Name, c.Phase)
		if cal := d.Calendar; cal != nil {
			var dates []string
			for _, pd := range cal.Schedule {
				dates = append(dates, fmt.Sprintf("%s %s", pd.Phase, pd.Starts.Format("2006-01-02 15:04")))
			}
			fmt.Fprintf(w, "   calendar (%s): %s\n", cal.TimeZone, strings.Join(dates, ", "))
		}
		for _, dist := range c.Districts {
			rk, b := dist.Ranking, dist.Balance
			kind := "recorded outcome"
			if rk.Provisional {
				kind = "provisional ranking"
			}
			fmt.Fprintf(w, "\n-- %s: %s under %s, %d ballots\n", rk.DistrictName, kind, rk.Rule.Name, rk.Ballots)
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "rank\tproposal\tvotes\tsupport\tcost\tfunded\tresult\t")
			for _, e := range rk.Entries {
				rank := "-"
				if e.Rank > 0 {
					rank = strconv.Itoa(e.Rank)
				}
				result := e.Reason
				if e.Reason == "" {
					result = string(e.Status)
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t\n", rank, e.ProposalID, e.Votes, e.SupportExact, money(e.PublicCost), money(e.Funded), result)
			}
			tw.Flush()
			fmt.Fprintf(w, "   budget %s, allocated %s, co-financed %s, spent %s, remaining %s\n",
				money(b.Budget), money(b.Allocated), money(b.CoFinanced), money(b.Spent), money(b.Remaining))
		}
		t := c.Totals
		fmt.Fprintf(w, "\n   citywide: budget %s, allocated %s, co-financed %s, spent %s, remaining %s (%d of %d districts allocated)\n",
			money(t.Budget), money(t.Allocated), money(t.CoFinanced), money(t.Spent), money(t.Remaining), t.DistrictsAllocated, t.DistrictsTotal)
	}
	return nil
}

func runRebuild(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rebuild", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", "./data", "data directory")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file (for performance work)")
	if err := fs.Parse(args); err != nil {
		return err
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
	if os.Getenv("GOMEMLIMIT") == "" {
		// A soft limit, so the garbage the opening and the tree check leave (the collector's goal is twice the
		// live heap, and the opening's live heap is the store's index) is collected before the heap nears
		// 2 GB. The read model's own live heap is far below it (docs/BENCHMARKS.md).
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(rebuildMemoryLimit))
	}
	opened := time.Now()
	store, err := openExistingLog(ctx, *dataDir, stderr)
	if err != nil {
		return err
	}
	defer store.Close()
	fmt.Fprintf(stdout, "opened the log in %s\n", time.Since(opened).Round(time.Millisecond))
	// The log is checked against its transparency tree (translog.go: a log changed under its tree is refused)
	// while the read model is rebuilt, on the other core; the checkpoint is written only if both succeed.
	start, cpu := time.Now(), processCPU()
	treeCtx, cancelTree := context.WithCancel(ctx)
	defer cancelTree()
	type treeResult struct {
		err  error
		took time.Duration
	}
	treeDone := make(chan treeResult, 1)
	go func() {
		err := checkTree(treeCtx, store, *dataDir)
		treeDone <- treeResult{err, time.Since(start)}
	}()
	m := projections.NewModel()
	head, _ := store.Head(ctx)
	prog := startProgress(stderr, "rebuild", "events", int64(head), func() int64 {
		p, _ := m.Position()
		return int64(p)
	})
	err = projections.CatchUp(ctx, store, m, eventstore.Position(^uint64(0)), time.Time{})
	prog.Stop()
	if err != nil {
		cancelTree()
		<-treeDone
		return err
	}
	took := time.Since(start)
	tree := <-treeDone
	if tree.err != nil {
		return tree.err
	}
	fmt.Fprintf(stdout, "checked the log against its transparency tree in %s (beside the rebuild)\n", tree.took.Round(time.Millisecond))
	cpu = processCPU() - cpu
	pos, _ := m.Position()
	path := filepath.Join(*dataDir, checkpointFile)
	written := time.Now()
	if err := projections.WriteCheckpoint(m, path); err != nil {
		return err
	}
	wrote := time.Since(written)
	n := m.Applied() // positions may have gaps: count the events
	rate := 0.0
	if took > 0 {
		rate = float64(n) / took.Seconds()
	}
	if *asJSON {
		return writeJSONTo(stdout, map[string]any{"events": n, "position": pos, "seconds": took.Seconds(), "events_per_second": rate, "checkpoint": path, "checkpoint_seconds": wrote.Seconds(), "cpu_seconds": cpu.Seconds()})
	}
	fmt.Fprintf(stdout, "rebuilt the read model from %s events (up to position %d) in %s (%s events/s); with the tree check, %s of CPU; checkpoint %s written in %s\n",
		groupDigits(int64(n)), pos, took.Round(time.Millisecond), groupDigits(int64(rate)), cpu.Round(time.Millisecond), path, wrote.Round(time.Millisecond))
	return nil
}

// rebuildMemoryLimit is rebuild's soft memory limit when GOMEMLIMIT is not set.
const rebuildMemoryLimit = 1792 << 20

// processCPU is the user and system time the process has used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// ---- token ----

// runTokenEntry is `pbledger token --name N --role R`: print a token and its entry, edit nothing.
func runTokenEntry(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("name", "", "the principal's name, written into every event it records (e.g. almaty-portal)")
	role := fs.String("role", "", "gateway, moderator, assessor, admin or store (appends through another server's gRPC endpoint)")
	assessor := fs.String("assessor", "", "for an assessor token: the assessor ID it acts as")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := domain.OfficialID(*name).Validate(); err != nil {
		return fmt.Errorf("--name: %w", err)
	}
	token, entry, err := pbhttp.NewToken(*name, pbhttp.Role(*role), *assessor)
	if err != nil {
		return err
	}
	if _, err := pbhttp.ParseTokens(strings.NewReader(`{"tokens":[` + entry + `]}`)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "token (give it to %s; it is not stored anywhere): %s\n", *name, token)
	fmt.Fprintf(stdout, "add this entry to the tokens file's \"tokens\" list:\n%s\n", entry)
	return nil
}

func writeJSONTo(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
