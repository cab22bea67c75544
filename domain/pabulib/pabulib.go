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
	// Cost is the cost column, in whole currency units; Pabulib writes some costs as "1000.0", which Parse
	// accepts when the fraction is zero.
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

// Budget returns META budget in whole currency units. Budgets written with a zero fraction ("1000000.0",
// "1000000,00") are accepted; a fraction of a unit is an error, because money is counted in whole units.
func (inst *Instance) Budget() (int64, error) {
	v, ok := inst.Get("budget")
	if !ok {
		return 0, fmt.Errorf("pabulib: META has no budget")
	}
	b, err := parseWhole(v, false)
	if err != nil {
		return 0, fmt.Errorf("pabulib: META budget: %w", err)
	}
	return b, nil
}

// Selected returns the IDs of projects whose `selected` column is 1 (the official winners, where the file
// records them), in file order; nil when the file has no such column.
func (inst *Instance) Selected() []string {
	var ids []string
	for _, p := range inst.Projects {
		if strings.TrimSpace(p.Fields["selected"]) == "1" {
			ids = append(ids, p.ID)
		}
	}
	return ids
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
	MinSumCost, MaxSumCost     Limit // total cost of the projects on an approval ballot (knapsack voting)
	MinPoints, MaxPoints       Limit // points given to one project (cumulative, scoring)
	MinSumPoints, MaxSumPoints Limit // points on one ballot (cumulative)
}

// Limits reads the ballot limits from META. A limit with a fraction of a unit is an error.
func (inst *Instance) Limits() (Limits, error) {
	var l Limits
	for _, f := range []struct {
		key string
		dst *Limit
	}{
		{"min_length", &l.MinLength}, {"max_length", &l.MaxLength},
		{"min_sum_cost", &l.MinSumCost}, {"max_sum_cost", &l.MaxSumCost},
		{"min_points", &l.MinPoints}, {"max_points", &l.MaxPoints},
		{"min_sum_points", &l.MinSumPoints}, {"max_sum_points", &l.MaxSumPoints},
	} {
		v, ok := inst.Get(f.key)
		if !ok || v == "" {
			continue
		}
		n, err := parseWhole(v, true)
		if err != nil {
			return Limits{}, fmt.Errorf("pabulib: META %s: %w", f.key, err)
		}
		*f.dst = Limit{Value: n, Set: true}
	}
	return l, nil
}
