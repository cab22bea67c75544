// Package pabulib reads and writes participatory-budgeting instances in the Pabulib .pb format
// (pabulib.org/format) and turns them into the input of the outcome rules.
//
// A .pb file is UTF-8 text with three sections, META, PROJECTS and VOTES, in that order; each is a title line,
// a header line naming the columns, and rows. Fields are separated by ';' and quoted CSV-style when they
// contain ';' or '"' ("a;b", with "" for a quote inside). Parse keeps everything the file says — every META
// key in order, every column of every project and vote — so that Write gives back an equivalent file and
// Parse(Write(inst)) equals inst. It accepts LF or CRLF line endings, a UTF-8 byte order mark, blank lines
// and spaces around ';' (the format's own examples have them), and refuses malformed files with a *ParseError
// naming the line.
//
// The package depends only on the standard library and domain/outcome.
package pabulib

import (
	"fmt"
	"strings"
)

// Instance is one .pb file.
type Instance struct {
	// Meta holds the META section's key/value pairs in file order. Keys are trimmed of spaces; values are
	// kept as written (helpers such as Budget trim them).
	Meta []KV
	// ProjectColumns is the PROJECTS header, trimmed, in file order; it includes "project_id" and "cost".
	ProjectColumns []string
	// Projects are the PROJECTS rows in file order.
	Projects []Project
	// VoteColumns is the VOTES header, trimmed, in file order; it includes "voter_id" and "vote".
	VoteColumns []string
	// Votes are the VOTES rows in file order.
	Votes []Vote
	// BOM and CRLF record the file's byte order mark and line endings, so Write can reproduce them.
	BOM  bool
	CRLF bool
	// Exponent is the currency exponent the file's amounts are counted in, taken from the data: the most
	// decimal places (trailing zeros aside) written in META budget, min_sum_cost, max_sum_cost and any
	// project's cost. It is 0 for most files (whole złoty, euros, …) and 2 for Kraków 2023–2025 and Warsaw
	// 2017, whose costs and budgets carry grosze. Every amount of the Instance (Project.Cost, Budget, Limits)
	// is an exact integer count of 10^-Exponent currency units.
	Exponent int
	// Notes say where Parse read the file more leniently than the format requires and what it did (duplicate
	// projects in a vote read once). They are not written back by Write.
	Notes []string
}

// KV is one META entry.
type KV struct {
	Key   string
	Value string
}

// Project is one PROJECTS row.
type Project struct {
	// ID is the project_id column, trimmed.
	ID string
	// Cost is the cost column, in units of 10^-Instance.Exponent of the currency ("1643824.66" is 164382466
	// when the exponent is 2); "1000.0" and "1000,00" are read as whole numbers.
	Cost int64
	// Fields holds every other column by name, as written (name, votes, score, selected, category, …).
	// Parse sets a key for every column; nil when there are no other columns.
	Fields map[string]string
}

// Vote is one VOTES row.
type Vote struct {
	// VoterID is the voter_id column, trimmed.
	VoterID string
	// Projects is the vote column split at ',' and trimmed, in order (the ranking, for ordinal votes);
	// nil for an empty vote.
	Projects []string
	// Points is the points column, parallel to Projects; nil when the file has no points column or the vote
	// is empty.
	Points []int64
	// Fields holds every other column by name, as written (age, sex, voting_method, …); nil when there are none.
	Fields map[string]string
}

// ParseError is a malformed file. Line is 1-based: the line where the offending record starts.
type ParseError struct {
	Line   int
	Reason string
}

// Error says "pabulib: line N: reason"; callers add the file name.
func (e *ParseError) Error() string {
	return fmt.Sprintf("pabulib: line %d: %s", e.Line, e.Reason)
}

// Pabulib vote types (META vote_type).
const (
	VoteApproval   = "approval"
	VoteChooseOne  = "choose-1"
	VoteCumulative = "cumulative"
	VoteOrdinal    = "ordinal"
	VoteScoring    = "scoring"
)

// Get returns the trimmed value of META key, and whether the key is present.
func (inst *Instance) Get(key string) (string, bool) {
	for _, kv := range inst.Meta {
		if kv.Key == key {
			return strings.TrimSpace(kv.Value), true
		}
	}
	return "", false
}

// VoteType returns META vote_type (approval, choose-1, cumulative, ordinal or scoring in valid files).
func (inst *Instance) VoteType() string {
	v, _ := inst.Get("vote_type")
	return v
}

// Rule returns META rule, the rule the organisers used ("greedy", "equalshares/add1", "unknown", …).
func (inst *Instance) Rule() string {
	v, _ := inst.Get("rule")
	return v
}

// Budget returns META budget in units of 10^-Exponent of the currency. Budgets written with a zero fraction
// ("1000000.0", "1000000,00") are whole numbers; more decimal places than Exponent are an error (Parse sets
// Exponent so that this never happens on a parsed file).
func (inst *Instance) Budget() (int64, error) {
	v, ok := inst.Get("budget")
	if !ok {
		return 0, fmt.Errorf("pabulib: META has no budget")
	}
	b, err := parseMoney(v, inst.Exponent)
	if err != nil {
		return 0, fmt.Errorf("pabulib: META budget: %w", err)
	}
	return b, nil
}

// Selected returns the IDs of projects whose `selected` column is 1 (the official winners, where the file
// records them), in file order; nil when no project has selected = 1.
//
// Pabulib's `selected` column is 1 for projects the rule funded and 0 for the others; a few files use 2 and
// 3 for projects funded with money from outside the rule (Gdynia 2020's "Projekt +1" funded from savings,
// Poznań's reserve). Those are not winners of the rule, so Selected leaves them out; SelectedValues tells
// them apart.
func (inst *Instance) Selected() []string {
	var ids []string
	for _, p := range inst.Projects {
		if strings.TrimSpace(p.Fields["selected"]) == "1" {
			ids = append(ids, p.ID)
		}
	}
	return ids
}

// SelectedValues counts the projects per value of the `selected` column (trimmed), e.g. {"0": 40, "1": 12,
// "2": 1}; nil when the file has no such column.
func (inst *Instance) SelectedValues() map[string]int {
	var m map[string]int
	for _, p := range inst.Projects {
		v, ok := p.Fields["selected"]
		if !ok {
			continue
		}
		if m == nil {
			m = map[string]int{}
		}
		m[strings.TrimSpace(v)]++
	}
	return m
}

// Limit is an optional ballot limit from META.
type Limit struct {
	Value int64
	Set   bool
}

// Limits are the ballot rules a file declares in META. They constrain how ballots were cast; the outcome
// rules do not use them, and Parse does not enforce them (real files record ballots as counted, even where
// they break the declared limits).
type Limits struct {
	MinLength, MaxLength       Limit // number of projects on a ballot
	MinSumCost, MaxSumCost     Limit // total cost of the projects on an approval ballot (knapsack voting), in 10^-Exponent units
	MinPoints, MaxPoints       Limit // points given to one project (cumulative, scoring)
	MinSumPoints, MaxSumPoints Limit // points on one ballot (cumulative)
}

// Limits reads the ballot limits from META. Cost limits are amounts of money (decimals up to Exponent
// places); the others must be whole numbers.
func (inst *Instance) Limits() (Limits, error) {
	var l Limits
	for _, f := range []struct {
		key   string
		dst   *Limit
		money bool
	}{
		{"min_length", &l.MinLength, false}, {"max_length", &l.MaxLength, false},
		{"min_sum_cost", &l.MinSumCost, true}, {"max_sum_cost", &l.MaxSumCost, true},
		{"min_points", &l.MinPoints, false}, {"max_points", &l.MaxPoints, false},
		{"min_sum_points", &l.MinSumPoints, false}, {"max_sum_points", &l.MaxSumPoints, false},
	} {
		v, ok := inst.Get(f.key)
		if !ok || v == "" {
			continue
		}
		var n int64
		var err error
		if f.money {
			n, err = parseMoney(v, inst.Exponent)
		} else {
			n, err = parseWhole(v, true)
		}
		if err != nil {
			return Limits{}, fmt.Errorf("pabulib: META %s: %w", f.key, err)
		}
		*f.dst = Limit{Value: n, Set: true}
	}
	return l, nil
}
