package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"slices"
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
	tieBreak := fs.String("tie-break", "", "order of the tie-breaks: "+strings.Join(outcome.TieBreakOrders(), ", ")+
		";\nlist-order follows the file's PROJECTS section (default: lowest-cost, then most votes, then the lot)")
	explain := fs.Bool("explain", false, "say why each project won or lost in numbers: the money left at its turn (greedy); what its\nsupporters could still pay and the cost at which it would have been funded (Equal Shares; recounts)")
	recounts := fs.Int("explain-recounts", -1, "with --explain, at most this many recounts for the costs at which losing projects\nwould have been funded (0 or unset: 64 per project; each is a full count)")
	var exclusive exclusionFlag
	fs.Var(&exclusive, "exclusive", "an exclusion `group` of greedy-exclusive: project IDs separated by ',' of which at most one\nis funded (repeat the flag for several groups)")
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
	if *increment > 0 {
		in.Rule.Increment = *increment * pabulib.Pow10(inst.Exponent)
	} else if _, declared := inst.Get(pabulib.MetaIncrement); !declared && *rule != "" {
		// The add1 completion steps one currency unit of the file unless the file says otherwise.
		in.Rule.Increment = 0
		if inst.Exponent > 0 && strings.HasPrefix(*rule, "equalshares/add1") {
			in.Rule.Increment = pabulib.Pow10(inst.Exponent)
		}
	}
	if *tieBreak != "" {
		in.Rule.TieBreak = *tieBreak
	}
	if in.Rule.TieBreak == outcome.TieOrderListOrder {
		if err := pabulib.SetListOrder(&in, inst); err != nil {
			return fmt.Errorf("%s: %w", *path, err)
		}
	}
	if len(exclusive) > 0 {
		in.Rule.Exclusive = exclusive
	}
	if *seed != "" {
		in.LotSeed = *seed
	}
	if _, recorded := inst.Get(pabulib.MetaLotSeed); !recorded && in.LotSeed == "" {
		in.LotSeed = defaultLotSeed(in)
	}
	res, err := outcome.Compute(in)
	if err != nil {
		return fmt.Errorf("%s: %w", *path, err)
	}
	report := newReport(*path, inst, res)
	if *explain {
		if report.Explanations, err = outcome.Explain(in, res, outcome.ExplainOptions{MaxRecounts: cmp.Or(max(*recounts, 0), 64*len(in.Projects))}); err != nil {
			return fmt.Errorf("%s: %w", *path, err)
		}
	}
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
	// RecordedInputDigest is the digest a pbledger export says the ledger recorded; MatchesRecorded says
	// whether this count's input digest is the same.
	RecordedInputDigest string   `json:"recorded_input_digest,omitempty"`
	MatchesRecorded     *bool    `json:"matches_recorded,omitempty"`
	OfficialWinners     []string `json:"official_winners,omitempty"`
	MatchesOfficial     *bool    `json:"matches_official,omitempty"`
	// SelectedValues counts the file's projects per `selected` value, when it has the column; values other
	// than 0 and 1 mark money from outside the rule and are not compared (see pabulib.Instance.Selected).
	SelectedValues map[string]int `json:"selected_values,omitempty"`
	// Explanations are the numbers behind each decision (with --explain), in project ID order.
	Explanations []outcome.Explanation `json:"explanations,omitempty"`
	// Notes say where the file was read more leniently than the format requires, or adapted.
	Notes []string `json:"notes,omitempty"`
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
	if d, ok := inst.Get(pabulib.MetaRecordedDigest); ok && d != "" {
		match := d == res.InputDigest
		r.RecordedInputDigest, r.MatchesRecorded = d, &match
	}
	r.SelectedValues = inst.SelectedValues()
	r.Notes = inst.Notes
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
	if len(r.Explanations) > 0 {
		fmt.Fprintln(w, "\nwhy, in numbers:")
		for _, x := range r.Explanations {
			var parts []string
			if x.Left != nil {
				parts = append(parts, fmt.Sprintf("%d left at its turn", *x.Left))
			}
			if x.SupportersCanPay != "" {
				can := x.SupportersCanPay
				if r, ok := new(big.Rat).SetString(can); ok {
					can = r.FloatString(2) // exact in --json
				}
				parts = append(parts, "its supporters could still pay "+can)
			}
			if x.FundedAtCost != nil {
				parts = append(parts, fmt.Sprintf("funded at a cost of %d or less", *x.FundedAtCost))
			}
			if len(parts) > 0 {
				fmt.Fprintf(w, "  %s: %s\n", x.Project, strings.Join(parts, "; "))
			}
		}
	}
	if r.MatchesOfficial != nil {
		verdict := "same winners as the file's selected column"
		if !*r.MatchesOfficial {
			verdict = "winners DIFFER from the file's selected column"
		}
		fmt.Fprintf(w, "official result: %s (%d projects)\n", verdict, len(r.OfficialWinners))
	}
	values := make([]string, 0, len(r.SelectedValues))
	for v := range r.SelectedValues {
		values = append(values, v)
	}
	slices.Sort(values)
	for _, v := range values {
		if v != "0" && v != "1" {
			fmt.Fprintf(w, "note: %d project(s) have selected = %s (funded from outside the rule); they are not compared\n", r.SelectedValues[v], v)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	fmt.Fprintf(w, "input digest: %s\nlot seed: %s\n", r.InputDigest, r.LotSeed)
	if r.MatchesRecorded != nil {
		verdict := "the same input the ledger recorded"
		if !*r.MatchesRecorded {
			verdict = "DIFFERS from the recorded " + r.RecordedInputDigest
		}
		fmt.Fprintf(w, "recorded input digest: %s\n", verdict)
	}
	return nil
}

// shorten cuts s to at most n runes, marking the cut.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// exclusionFlag collects --exclusive groups.
type exclusionFlag [][]string

func (e *exclusionFlag) String() string { return fmt.Sprint([][]string(*e)) }

func (e *exclusionFlag) Set(v string) error {
	var g []string
	for id := range strings.SplitSeq(v, ",") {
		if id = strings.TrimSpace(id); id != "" {
			g = append(g, id)
		}
	}
	if len(g) < 2 {
		return fmt.Errorf("an exclusion group names at least two projects, separated by ','")
	}
	*e = append(*e, g)
	return nil
}
