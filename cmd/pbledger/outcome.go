package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/pbledger/pbledger/domain/outcome"
	"github.com/pbledger/pbledger/domain/pabulib"
)

// runOutcome is `pbledger outcome`: it counts a Pabulib file offline with the ledger's own rules, so anyone
// can check an official result, or see what another rule would have decided.
func runOutcome(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("outcome", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("pabulib", "", "the Pabulib `file` (.pb) to count (required)")
	rule := fs.String("rule", "", "outcome `rule`; default: the file's META rule")
	asJSON := fs.Bool("json", false, "print one JSON object instead of a table")
	seed := fs.String("lot-seed", "", "`seed` of the lot that breaks ties left after lowest cost and most votes;\n"+
		"default: the input digest of the file's budget, projects and ballots (computed with an empty rule\n"+
		"and seed), so the default depends only on the file's content and is the same for every rule")
	minSupport := fs.Int64("min-support", -1, "least support a project needs under greedy-threshold;\ndefault: META min_project_score_threshold, else 0")
	increment := fs.Int64("increment", 0, "per-voter budget step of the add1 completion, in the file's currency units (default 1)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: pbledger outcome --pabulib FILE [--rule RULE] [--json] [--lot-seed SEED]")
		fmt.Fprintln(stderr, "Computes the outcome of a participatory-budgeting vote stored as a Pabulib file:")
		fmt.Fprintln(stderr, "the winners in selection order and the money spent against the budget.")
		fmt.Fprintf(stderr, "Rules: %s.\n", ruleList())
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *path == "" {
		fs.Usage()
		return errors.New("--pabulib FILE is required")
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}

	inst, err := readPabulib(*path)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	in, err := inst.OutcomeInput()
	if err != nil {
		return fmt.Errorf("%s: %w", *path, err)
	}
	if *rule == "" {
		if !in.Rule.Name.Known() {
			return fmt.Errorf("%s: the file's META rule %q is not a rule pbledger knows; choose one with --rule: %s", *path, in.Rule.Name, ruleList())
		}
	} else {
		in.Rule.Name = outcome.RuleName(*rule)
		if !in.Rule.Name.Known() {
			return fmt.Errorf("unknown rule %q; known rules: %s", *rule, ruleList())
		}
	}
	if *minSupport >= 0 {
		in.Rule.MinSupport = *minSupport
	}
	in.Rule.Increment = *increment
	in.LotSeed = *seed
	if in.LotSeed == "" {
		in.LotSeed = defaultLotSeed(in)
	}
	res, err := outcome.Compute(in)
	if err != nil {
		return fmt.Errorf("%s: %w", *path, err)
	}
	report := newReport(*path, inst, res)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(report)
	}
	return report.writeTable(stdout)
}

// defaultLotSeed is the input digest of in without its rule and seed: deterministic, fixed by the file's
// content alone, and unknown to nobody who has the file.
func defaultLotSeed(in outcome.Input) string {
	in.Rule, in.LotSeed = outcome.Rule{}, ""
	return outcome.Digest(in)
}

func readPabulib(path string) (*pabulib.Instance, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	inst, err := pabulib.Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return inst, nil
}

func ruleList() string {
	names := make([]string, 0, len(outcome.Rules()))
	for _, r := range outcome.Rules() {
		names = append(names, string(r))
	}
	return strings.Join(names, ", ")
}

// report is what `pbledger outcome` prints; its JSON form is the --json output.
type report struct {
	File      string           `json:"file"`
	Rule      outcome.RuleName `json:"rule"`
	VoteType  outcome.VoteType `json:"vote_type"`
	Budget    int64            `json:"budget"`
	TotalCost int64            `json:"total_cost"`
	Left      int64            `json:"left"`
	// Winners are the funded project IDs in selection order.
	Winners []string `json:"winners"`
	// Funded details the winners, in the same order.
	Funded         []fundedProject     `json:"funded"`
	Decisions      []outcome.Decision  `json:"decisions"`
	TieBreaks      []outcome.TieBreak  `json:"tie_breaks"`
	PerVoterBudget string              `json:"per_voter_budget,omitempty"`
	Comparison     *outcome.Comparison `json:"comparison,omitempty"`
	BallotsCounted int                 `json:"ballots_counted"`
	InputDigest    string              `json:"input_digest"`
	LotSeed        string              `json:"lot_seed"`
	// OfficialWinners are the projects the file marks as selected, when it does; MatchesOfficial says whether
	// the computed winners are the same set.
	OfficialWinners []string `json:"official_winners,omitempty"`
	MatchesOfficial *bool    `json:"matches_official,omitempty"`
}

type fundedProject struct {
	Rank    int    `json:"rank"`
	Project string `json:"project"`
	Cost    int64  `json:"cost"`
	Support string `json:"support"`
	Votes   int64  `json:"votes"`
	Name    string `json:"name,omitempty"`
}

func newReport(path string, inst *pabulib.Instance, res outcome.Result) report {
	names := map[string]string{}
	for _, p := range inst.Projects {
		names[p.ID] = strings.TrimSpace(p.Fields["name"])
	}
	decisions := map[string]outcome.Decision{}
	for _, d := range res.Decisions {
		decisions[d.Project] = d
	}
	r := report{
		File:      filepath.Base(path),
		Rule:      res.Rule.Name,
		VoteType:  res.VoteType,
		Budget:    res.Budget,
		TotalCost: res.TotalCost,
		Left:      res.Budget - res.TotalCost,
		Winners:   make([]string, 0, len(res.Winners)),
		Funded:    make([]fundedProject, 0, len(res.Winners)),
		Decisions: res.Decisions,
		TieBreaks: res.TieBreaks,

		PerVoterBudget: res.PerVoterBudget,
		Comparison:     res.Comparison,
		BallotsCounted: res.BallotsCounted,
		InputDigest:    res.InputDigest,
		LotSeed:        res.LotSeed,
	}
	if r.TieBreaks == nil {
		r.TieBreaks = []outcome.TieBreak{}
	}
	won := map[string]bool{}
	for i, w := range res.Winners {
		d := decisions[w.Project]
		r.Winners = append(r.Winners, w.Project)
		r.Funded = append(r.Funded, fundedProject{
			Rank: i + 1, Project: w.Project, Cost: w.Funded, Support: d.Support, Votes: d.Votes, Name: names[w.Project],
		})
		won[w.Project] = true
	}
	if official := inst.Selected(); official != nil {
		r.OfficialWinners = official
		match := len(official) == len(r.Winners)
		for _, id := range official {
			match = match && won[id]
		}
		r.MatchesOfficial = &match
	}
	return r
}

func (r report) writeTable(w io.Writer) error {
	fmt.Fprintf(w, "%s: rule %s, %s ballots: %d\n", r.File, r.Rule, r.VoteType, r.BallotsCounted)
	if r.PerVoterBudget != "" {
		fmt.Fprintf(w, "per-voter budget: %s\n", r.PerVoterBudget)
	}
	if c := r.Comparison; c != nil {
		fmt.Fprintf(w, "comparison: %d ballots prefer Equal Shares, %d prefer greedy; chosen: %s\n", c.PreferEqualShares, c.PreferGreedy, c.Chosen)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "rank\tproject\tcost\tsupport\t name")
	for _, f := range r.Funded {
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t %s\n", f.Rank, f.Project, f.Cost, f.Support, shorten(f.Name, 70))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nspent %d of %d (%d left) on %d projects\n", r.TotalCost, r.Budget, r.Left, len(r.Winners))
	if len(r.TieBreaks) > 0 {
		fmt.Fprintf(w, "ties broken: %d (details with --json)\n", len(r.TieBreaks))
	}
	if r.MatchesOfficial != nil {
		verdict := "same winners as the file's selected column"
		if !*r.MatchesOfficial {
			verdict = "winners DIFFER from the file's selected column"
		}
		fmt.Fprintf(w, "official result: %s (%d projects)\n", verdict, len(r.OfficialWinners))
	}
	fmt.Fprintf(w, "input digest: %s\nlot seed: %s\n", r.InputDigest, r.LotSeed)
	return nil
}

// shorten cuts s to at most n runes, marking the cut.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
