package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/domain/outcome"
	"github.com/pbledger/pbledger/domain/pabulib"
)

// runCorpus is `pbledger corpus DIR`: it counts every Pabulib file of a directory the way `pbledger outcome`
// does, checks that `pbledger import` would accept exactly the same files, and prints how many were read,
// compared with their official winners and reproduced, per rule and vote type, with the slowest files.
func runCorpus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("corpus", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print one JSON object per file (JSON lines) instead of the table")
	slowest := fs.Int("slowest", 10, "how many of the slowest files to list")
	exclusionsFile := fs.String("exclusions", "", "`file` of declared exclusion groups: lines \"NAME.pb GROUP [GROUP...]\", each GROUP\nproject IDs separated by ','; '#' starts a comment")
	tieBreak := fs.String("tie-break", "", "`order` of tie-breaks: lowest-cost, highest-cost or list-order (the file's PROJECTS order);\ndefault: the file's pbledger_tie_break, else lowest-cost")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: pbledger corpus [--tie-break ORDER] [--exclusions FILE] [--json] [--slowest N] DIR")
		fmt.Fprintln(stderr, "Counts every .pb file under DIR as `pbledger outcome` would (no flags), compares the winners with")
		fmt.Fprintln(stderr, "each file's official ones (selected = 1) and prints the table of docs/CORPUS.md.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("exactly one DIR is required")
	}
	var paths []string
	err := filepath.WalkDir(fs.Arg(0), func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(d.Name(), ".pb") {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return fmt.Errorf("no .pb files under %s", fs.Arg(0))
	}
	slices.Sort(paths)
	exclusions := map[string][][]string{}
	if *exclusionsFile != "" {
		if exclusions, err = readExclusions(*exclusionsFile); err != nil {
			return err
		}
	}
	enc := json.NewEncoder(stdout)
	var rows []corpusRow
	start := time.Now()
	for i, p := range paths {
		if err := ctx.Err(); err != nil {
			return err
		}
		row := countCorpusFile(p, *tieBreak, exclusions[filepath.Base(p)])
		rows = append(rows, row)
		if *asJSON {
			if err := enc.Encode(row); err != nil {
				return err
			}
		}
		if isTerminal(stderr) {
			fmt.Fprintf(stderr, "\r%d/%d files, %s", i+1, len(paths), time.Since(start).Round(time.Second))
		}
	}
	if isTerminal(stderr) {
		fmt.Fprintln(stderr)
	}
	if *asJSON {
		return nil
	}
	return writeCorpusTable(stdout, rows, *slowest, time.Since(start))
}

// isTerminal reports whether w is a character device (a terminal), where progress is worth printing.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// corpusRow is what `pbledger corpus` learns about one file.
type corpusRow struct {
	File     string `json:"file"`
	Rule     string `json:"rule"`      // META rule as written
	VoteType string `json:"vote_type"` // META vote_type as written
	// Refused is the reason the file could not be counted; empty when it was read.
	Refused string `json:"refused,omitempty"`
	// ImportRefused is the reason `pbledger import` would refuse the file; it must equal Refused being set.
	ImportRefused string `json:"import_refused,omitempty"`
	// LedgerDiffers says how the ledger's allocation of the imported file differs from the offline count;
	// empty when they fund the same projects.
	LedgerDiffers string `json:"ledger_differs,omitempty"`
	// CountedAs is the rule the file was counted under: its META rule, or greedy where that rule does not
	// determine the outcome (greedy-custom, unknown).
	CountedAs string `json:"counted_as,omitempty"`
	// Compared is true when the file has official winners and its META rule determines them.
	Compared bool `json:"compared"`
	Equal    bool `json:"equal"`
	// Missing and Extra are the official winners not computed, and the computed winners not official.
	Missing []string `json:"missing,omitempty"`
	Extra   []string `json:"extra,omitempty"`
	Notes   []string `json:"notes,omitempty"`
	// SplitTies counts the ties whose projects were partly funded; SplitTiesDiffer those where the funded
	// ones are not the official ones.
	SplitTies       int           `json:"split_ties,omitempty"`
	SplitTiesDiffer int           `json:"split_ties_differ,omitempty"`
	Ballots         int           `json:"ballots"`
	Elapsed         time.Duration `json:"elapsed_ns"`
}

// countCorpusFile counts one file as `pbledger outcome` does with no flags.
func countCorpusFile(path, tieBreak string, exclusive [][]string) corpusRow {
	t0 := time.Now()
	row := corpusRow{File: filepath.Base(path)}
	defer func() { row.Elapsed = time.Since(t0) }()
	inst, err := readPabulib(path)
	if err != nil {
		row.Refused = strings.TrimPrefix(err.Error(), path+": ")
		row.ImportRefused = row.Refused // import parses the same way
		row.Elapsed = time.Since(t0)
		return row
	}
	row.Notes = inst.Notes
	row.Rule, row.VoteType = inst.Rule(), inst.VoteType()
	var recorded *domain.AllocationRecorded
	opts := pabulib.ImportOptions{TieBreak: tieBreak}
	if inst.Rule() == string(outcome.GreedyExclusive) {
		opts.Exclusive = exclusive
	}
	imp, err := instanceForImportWith(path, inst, "", opts)
	if err != nil {
		row.ImportRefused = err.Error()
	} else if recorded, err = imp.Check(true, "corpus"); err != nil {
		row.ImportRefused = err.Error()
	}
	in, err := inst.OutcomeInput()
	if err != nil {
		row.Refused = err.Error()
		row.Elapsed = time.Since(t0)
		return row
	}
	row.Ballots = len(in.Ballots)
	determined := in.Rule.Name.Known()
	if !determined {
		in.Rule.Name = outcome.Greedy
	}
	row.CountedAs = string(in.Rule.Name)
	if tieBreak != "" {
		in.Rule.TieBreak = tieBreak
	}
	if in.Rule.TieBreak == outcome.TieOrderListOrder {
		if err := pabulib.SetListOrder(&in, inst); err != nil {
			row.Refused = err.Error()
			return row
		}
	}
	if in.Rule.Name == outcome.GreedyExclusive && len(exclusive) > 0 {
		in.Rule.Exclusive = exclusive
		row.Notes = append(row.Notes, fmt.Sprintf("exclusion groups declared: %v", exclusive))
	}
	in.LotSeed = defaultLotSeed(in)
	res, err := outcome.Compute(in)
	if err != nil {
		row.Refused = err.Error()
		row.Elapsed = time.Since(t0)
		return row
	}
	if recorded != nil {
		// The ledger's allocation of the imported file must fund the same projects as the offline count.
		ref := map[domain.ProposalID]string{}
		for _, p := range imp.Proposals {
			ref[p.ProposalID] = p.ExternalRef
		}
		var ledgerWon, offline []string
		for _, w := range recorded.Winners {
			ledgerWon = append(ledgerWon, ref[w.ProposalID])
		}
		for _, w := range res.Winners {
			offline = append(offline, w.Project)
		}
		slices.Sort(ledgerWon)
		slices.Sort(offline)
		if !slices.Equal(ledgerWon, offline) {
			row.LedgerDiffers = fmt.Sprintf("the ledger funds %v, the offline count %v", ledgerWon, offline)
		}
	}
	official := inst.Selected()
	if official == nil || !determined {
		row.Elapsed = time.Since(t0)
		return row
	}
	row.Compared = true
	won := map[string]bool{}
	for _, w := range res.Winners {
		won[w.Project] = true
	}
	off := map[string]bool{}
	for _, id := range official {
		off[id] = true
		if !won[id] {
			row.Missing = append(row.Missing, id)
		}
	}
	for _, w := range res.Winners {
		if !off[w.Project] {
			row.Extra = append(row.Extra, w.Project)
		}
	}
	row.Equal = len(row.Missing) == 0 && len(row.Extra) == 0
	for _, tb := range res.TieBreaks {
		var in, out int
		for _, id := range tb.Projects {
			if won[id] {
				in++
			} else {
				out++
			}
		}
		if in > 0 && out > 0 {
			agree := true
			for _, id := range tb.Projects {
				agree = agree && won[id] == off[id]
			}
			row.SplitTies++
			if !agree {
				row.SplitTiesDiffer++
			}
		}
	}
	row.Elapsed = time.Since(t0)
	return row
}

func pct(a, b int) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f %%", 100*float64(a)/float64(b))
}

func writeCorpusTable(w io.Writer, rows []corpusRow, slowest int, total time.Duration) error {
	var read, compared, equal, importMismatch, splitFiles, splitDiffer, ledgerDiffer int
	refusals := map[string]int{}
	type key struct{ rule, vt string }
	type tally struct{ files, read, compared, equal int }
	per := map[key]*tally{}
	for _, r := range rows {
		k := key{r.Rule, r.VoteType}
		if per[k] == nil {
			per[k] = &tally{}
		}
		t := per[k]
		t.files++
		if (r.Refused == "") != (r.ImportRefused == "") {
			importMismatch++
		}
		if r.LedgerDiffers != "" {
			ledgerDiffer++
		}
		if r.Refused != "" {
			refusals[refusalKind(r.Refused)]++
			continue
		}
		read++
		t.read++
		if r.SplitTies > 0 {
			splitFiles++
			if r.SplitTiesDiffer > 0 {
				splitDiffer++
			}
		}
		if r.Compared {
			compared++
			t.compared++
			if r.Equal {
				equal++
				t.equal++
			}
		}
	}
	fmt.Fprintf(w, "| what | files |\n|---|---|\n")
	fmt.Fprintf(w, "| files | %d |\n", len(rows))
	fmt.Fprintf(w, "| read (counted under their META rule, or greedy where it is greedy-custom or unknown) | %d (%s) |\n", read, pct(read, len(rows)))
	fmt.Fprintf(w, "| refused | %d |\n", len(rows)-read)
	fmt.Fprintf(w, "| `outcome` and `import` disagree on accepting | %d |\n", importMismatch)
	fmt.Fprintf(w, "| imported files whose allocation in the ledger differs from the offline count | %d |\n", ledgerDiffer)
	fmt.Fprintf(w, "| compared (official winners, META rule determines them) | %d |\n", compared)
	fmt.Fprintf(w, "| equal (same winners as selected = 1) | %d (%s) |\n", equal, pct(equal, compared))
	fmt.Fprintf(w, "| compared files with a split tie (tied projects partly funded) | %d |\n", splitFiles)
	fmt.Fprintf(w, "| … where the tie went another way than the city's | %d |\n", splitDiffer)
	fmt.Fprintf(w, "| time, all files, one core | %s |\n\n", total.Round(100*time.Millisecond))

	if len(refusals) > 0 {
		fmt.Fprintf(w, "Refused, by reason:\n\n| reason | files |\n|---|---|\n")
		var kinds []string
		for k := range refusals {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		for _, k := range kinds {
			fmt.Fprintf(w, "| %s | %d |\n", k, refusals[k])
		}
		fmt.Fprintln(w)
	}

	fmt.Fprintf(w, "Per META rule and vote type:\n\n| rule | vote type | files | read | compared | equal |\n|---|---|---:|---:|---:|---:|\n")
	keys := make([]key, 0, len(per))
	for k := range per {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		if c := cmp.Compare(per[b].files, per[a].files); c != 0 {
			return c
		}
		return cmp.Or(cmp.Compare(a.rule, b.rule), cmp.Compare(a.vt, b.vt))
	})
	for _, k := range keys {
		t := per[k]
		fmt.Fprintf(w, "| %s | %s | %d | %d | %d | %d |\n", k.rule, k.vt, t.files, t.read, t.compared, t.equal)
	}
	fmt.Fprintln(w)

	var differ []corpusRow
	for _, r := range rows {
		if r.Compared && !r.Equal {
			differ = append(differ, r)
		}
	}
	if len(differ) > 0 {
		fmt.Fprintf(w, "Differing from the official winners:\n\n| file | rule | official, not computed | computed, not official |\n|---|---|---|---|\n")
		for _, r := range differ {
			fmt.Fprintf(w, "| %s | %s | %s | %s |\n", r.File, r.Rule, strings.Join(r.Missing, ", "), strings.Join(r.Extra, ", "))
		}
		fmt.Fprintln(w)
	}
	var mism []corpusRow
	for _, r := range rows {
		if (r.Refused == "") != (r.ImportRefused == "") {
			mism = append(mism, r)
		}
	}
	if len(mism) > 0 {
		fmt.Fprintf(w, "Accepted by one of `outcome` and `import` only:\n\n| file | outcome | import |\n|---|---|---|\n")
		for _, r := range mism {
			fmt.Fprintf(w, "| %s | %s | %s |\n", r.File, cmp.Or(r.Refused, "counts it"), cmp.Or(r.ImportRefused, "imports it"))
		}
		fmt.Fprintln(w)
	}
	var ldiff []corpusRow
	for _, r := range rows {
		if r.LedgerDiffers != "" {
			ldiff = append(ldiff, r)
		}
	}
	if len(ldiff) > 0 {
		fmt.Fprintf(w, "Ledger allocation differing from the offline count:\n\n| file | difference |\n|---|---|\n")
		for _, r := range ldiff {
			fmt.Fprintf(w, "| %s | %s |\n", r.File, r.LedgerDiffers)
		}
		fmt.Fprintln(w)
	}
	var ref []corpusRow
	for _, r := range rows {
		if r.Refused != "" {
			ref = append(ref, r)
		}
	}
	if len(ref) > 0 {
		fmt.Fprintf(w, "Refused files:\n\n| file | reason |\n|---|---|\n")
		for _, r := range ref {
			fmt.Fprintf(w, "| %s | %s |\n", r.File, strings.ReplaceAll(r.Refused, "|", "\\|"))
		}
		fmt.Fprintln(w)
	}

	bySpeed := slices.Clone(rows)
	slices.SortFunc(bySpeed, func(a, b corpusRow) int { return cmp.Compare(b.Elapsed, a.Elapsed) })
	fmt.Fprintf(w, "Slowest files (parse, count, and the import run through the domain in memory, allocation included):\n\n")
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	fmt.Fprintln(tw, "| file\t| rule\t| ballots\t| time\t|")
	fmt.Fprintln(tw, "|---\t|---\t|---:\t|---:\t|")
	for _, r := range bySpeed[:min(slowest, len(bySpeed))] {
		fmt.Fprintf(tw, "| %s\t| %s\t| %d\t| %s\t|\n", r.File, cmp.Or(r.CountedAs, r.Rule), r.Ballots, r.Elapsed.Round(time.Millisecond))
	}
	return tw.Flush()
}

// refusalKind shortens a refusal to its kind, for the summary: the reason without line numbers and values.
func refusalKind(reason string) string {
	s := reason
	if i := strings.Index(s, "line "); i >= 0 {
		if j := strings.Index(s[i:], ": "); j >= 0 {
			s = s[i+j+2:]
		}
	}
	if i := strings.IndexAny(s, "\"0123456789"); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(strings.TrimPrefix(s, "pabulib: "))
}

// readExclusions reads a file of declared exclusion groups (see the --exclusions flag).
func readExclusions(path string) (map[string][][]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string][][]string{}
	for i, ln := range strings.Split(string(b), "\n") {
		if j := strings.IndexByte(ln, '#'); j >= 0 {
			ln = ln[:j]
		}
		f := strings.Fields(ln)
		if len(f) == 0 {
			continue
		}
		if len(f) < 2 {
			return nil, fmt.Errorf("%s:%d: want a file name and at least one group", path, i+1)
		}
		for _, g := range f[1:] {
			var e exclusionFlag
			if err := e.Set(g); err != nil {
				return nil, fmt.Errorf("%s:%d: %w", path, i+1, err)
			}
			out[f[0]] = append(out[f[0]], e...)
		}
	}
	return out, nil
}
