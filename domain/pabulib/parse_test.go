package pabulib_test

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/domain/outcome"
	"github.com/pbledger/pbledger/domain/pabulib"
)

func mustParse(tb testing.TB, text string) *pabulib.Instance {
	tb.Helper()
	inst, err := pabulib.Parse(strings.NewReader(text))
	if err != nil {
		tb.Fatalf("Parse: %v", err)
	}
	return inst
}

const small = `META
key;value
description;Tiny
budget;100
vote_type;approval
rule;greedy
PROJECTS
project_id;cost;name
1;60;"Park; phase ""one"""
2;50;Library
VOTES
voter_id;vote;age
a;1,2;34
b;2;
`

func TestParseReadsEverything(t *testing.T) {
	t.Parallel()
	inst := mustParse(t, small)
	want := &pabulib.Instance{
		Meta: []pabulib.KV{
			{Key: "description", Value: "Tiny"}, {Key: "budget", Value: "100"},
			{Key: "vote_type", Value: "approval"}, {Key: "rule", Value: "greedy"},
		},
		ProjectColumns: []string{"project_id", "cost", "name"},
		Projects: []pabulib.Project{
			{ID: "1", Cost: 60, Fields: map[string]string{"name": `Park; phase "one"`}},
			{ID: "2", Cost: 50, Fields: map[string]string{"name": "Library"}},
		},
		VoteColumns: []string{"voter_id", "vote", "age"},
		Votes: []pabulib.Vote{
			{VoterID: "a", Projects: []string{"1", "2"}, Fields: map[string]string{"age": "34"}},
			{VoterID: "b", Projects: []string{"2"}, Fields: map[string]string{"age": ""}},
		},
	}
	if !reflect.DeepEqual(inst, want) {
		t.Errorf("got  %#v\nwant %#v", inst, want)
	}
}

func TestParseAcceptsFormatVariants(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		text   string
		adjust func(*pabulib.Instance) // what differs from the plain file
	}{
		{
			name:   "CRLF line endings",
			text:   strings.ReplaceAll(small, "\n", "\r\n"),
			adjust: func(i *pabulib.Instance) { i.CRLF = true },
		},
		{
			name:   "a byte order mark",
			text:   "\ufeff" + small,
			adjust: func(i *pabulib.Instance) { i.BOM = true },
		},
		{
			name: "blank and whitespace-only lines anywhere, trailing ones too",
			text: "\n  \n" + strings.Replace(strings.Replace(small, "PROJECTS\n", "\n\t\nPROJECTS\n\n", 1), "VOTES\n", "VOTES\n \n", 1) + "\n\n   \n",
		},
		{
			name: "lower-case section titles and header names with spaces",
			text: strings.NewReplacer("META\nkey;value", "meta\n key ; value ", "PROJECTS\nproject_id;cost;name", "Projects\n project_id ;cost; name", "VOTES\n", "votes\n").Replace(small),
		},
		{
			name: "no newline at the end",
			text: strings.TrimSuffix(small, "\n"),
		},
		{
			name: "a budget written with a zero fraction",
			text: strings.Replace(small, "budget;100", "budget;100.00", 1),
			adjust: func(i *pabulib.Instance) {
				i.Meta[1].Value = "100.00"
			},
		},
		{
			name: "costs written with a zero fraction, dot or comma",
			text: strings.Replace(strings.Replace(small, "1;60;", "1;60.0;", 1), "2;50;", `2;"50,00";`, 1),
		},
		{
			name: "a quoted field spanning two lines",
			text: strings.Replace(small, "2;50;Library", "2;50;\"Library\nand reading room\"", 1),
			adjust: func(i *pabulib.Instance) {
				i.Projects[1].Fields["name"] = "Library\nand reading room"
			},
		},
		{
			name: "spaces before a quoted field, as in the format's own examples",
			text: strings.Replace(small, `1;60;"Park`, `1;60; "Park`, 1),
		},
		{
			name: "spaces inside vote lists and a trailing comma",
			text: strings.Replace(small, "a;1,2;34", "a; 1 , 2, ;34", 1),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := mustParse(t, tt.text)
			want := mustParse(t, small)
			if tt.adjust != nil {
				tt.adjust(want)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %#v\nwant %#v", got, want)
			}
		})
	}
}

func TestParseVoteTypes(t *testing.T) {
	t.Parallel()
	head := func(vt string) string {
		return "META\nkey;value\nbudget;10\nvote_type;" + vt + "\nrule;greedy\nPROJECTS\nproject_id;cost\n1;5\n2;5\n3;5\nVOTES\n"
	}
	tests := []struct {
		name   string
		text   string
		votes  []pabulib.Vote
		vt     outcome.VoteType
		ballot []outcome.Choice
	}{
		{
			name:   "cumulative votes carry points",
			text:   head("cumulative") + "voter_id;vote;points\nv;3,1;2,1\n",
			votes:  []pabulib.Vote{{VoterID: "v", Projects: []string{"3", "1"}, Points: []int64{2, 1}}},
			vt:     outcome.Cumulative,
			ballot: []outcome.Choice{{Project: "3", Points: 2}, {Project: "1", Points: 1}},
		},
		{
			name:   "scoring votes may give negative points",
			text:   head("scoring") + "voter_id;vote;points\nv;2,3;1,-2\n",
			votes:  []pabulib.Vote{{VoterID: "v", Projects: []string{"2", "3"}, Points: []int64{1, -2}}},
			vt:     outcome.Scoring,
			ballot: []outcome.Choice{{Project: "2", Points: 1}, {Project: "3", Points: -2}},
		},
		{
			name:   "ordinal votes keep their ranking",
			text:   head("ordinal") + "voter_id;vote\nv;3,1,2\n",
			votes:  []pabulib.Vote{{VoterID: "v", Projects: []string{"3", "1", "2"}}},
			vt:     outcome.Ordinal,
			ballot: []outcome.Choice{{Project: "3"}, {Project: "1"}, {Project: "2"}},
		},
		{
			name:   "choose-1 votes become choose-one ballots",
			text:   head("choose-1") + "voter_id;vote\nv;2\n",
			votes:  []pabulib.Vote{{VoterID: "v", Projects: []string{"2"}}},
			vt:     outcome.ChooseOne,
			ballot: []outcome.Choice{{Project: "2"}},
		},
		{
			name:   "an empty vote is an empty ballot",
			text:   head("cumulative") + "voter_id;vote;points\nv;;\n",
			votes:  []pabulib.Vote{{VoterID: "v"}},
			vt:     outcome.Cumulative,
			ballot: []outcome.Choice{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			inst := mustParse(t, tt.text)
			if !reflect.DeepEqual(inst.Votes, tt.votes) {
				t.Errorf("votes: got %#v, want %#v", inst.Votes, tt.votes)
			}
			in, err := inst.OutcomeInput()
			if err != nil {
				t.Fatalf("OutcomeInput: %v", err)
			}
			if in.VoteType != tt.vt || in.Budget != 10 || in.Rule.Name != outcome.Greedy || len(in.Projects) != 3 {
				t.Errorf("input: got %s, budget %d, rule %s, %d projects", in.VoteType, in.Budget, in.Rule.Name, len(in.Projects))
			}
			if got := in.Ballots[0].Choices; !reflect.DeepEqual(got, tt.ballot) || in.Ballots[0].Voter != "v" {
				t.Errorf("ballot: got %v (voter %q), want %v", got, in.Ballots[0].Voter, tt.ballot)
			}
			if _, err := outcome.Compute(in); err != nil {
				t.Errorf("Compute: %v", err)
			}
		})
	}
}

func TestParseRefusesMalformedFiles(t *testing.T) {
	t.Parallel()
	meta := "META\nkey;value\nbudget;100\nvote_type;approval\nrule;greedy\n" // lines 1–5
	projects := "PROJECTS\nproject_id;cost\n1;60\n2;50\n"                    // lines 6–9
	tests := []struct {
		name   string
		text   string
		line   int
		reason string
	}{
		{"empty file", "", 1, "missing META section"},
		{"no META title", projects, 1, `expected the META section title, found "PROJECTS"`},
		{"wrong META header", "META\nname;value\n", 2, `META header must be "key;value"`},
		{"META row with a stray ';'", "META\nkey;value\ndescription;a;b\n", 3, "META row has 3 fields"},
		{"duplicate META key", meta + "budget;5\n" + projects, 6, `duplicate META key "budget" (first on line 3)`},
		{"no vote_type", "META\nkey;value\nbudget;100\n" + projects, 1, "META lacks vote_type"},
		{"unknown vote_type", "META\nkey;value\nbudget;100\nvote_type;knapsack\n" + projects, 4, `unknown vote_type "knapsack"`},
		{"no budget", "META\nkey;value\nvote_type;approval\n" + projects, 1, "META lacks budget"},
		{"a budget in scientific notation", "META\nkey;value\nbudget;1e6\nvote_type;approval\n" + projects, 3, `META budget: "1e6" is not a number`},
		{"a budget with more than 6 decimal places", "META\nkey;value\nbudget;1.1234567\nvote_type;approval\n" + projects, 3, `has 7 decimal places; at most 6`},
		{"no PROJECTS section", meta, 6, "missing PROJECTS section"},
		{"PROJECTS without cost", meta + "PROJECTS\nproject_id;name\n", 7, "PROJECTS header lacks the cost column"},
		{"a column named twice", meta + "PROJECTS\nproject_id;cost;cost\n", 7, `names column "cost" twice`},
		{"wrong column count", meta + "PROJECTS\nproject_id;cost\n1;60;x\n", 8, "PROJECTS row has 3 fields; the header has 2"},
		{"a cost that is not a number", meta + "PROJECTS\nproject_id;cost\n1;sixty\n", 8, `cost: "sixty" is not a number`},
		{"a negative cost", meta + "PROJECTS\nproject_id;cost\n1;-60.25\n", 8, `cost: "-60.25" is negative`},
		{"a negative cost", meta + "PROJECTS\nproject_id;cost\n1;-60\n", 8, `cost: "-60" is negative`},
		{"a duplicate project id", meta + projects + "1;70\n", 10, `duplicate project_id "1" (first on line 8)`},
		{"a project id with a comma", meta + "PROJECTS\nproject_id;cost\n1,2;60\n", 8, `project_id "1,2" contains ','`},
		{"no VOTES section", meta + projects, 10, "missing VOTES section"},
		{"VOTES without vote", meta + projects + "VOTES\nvoter_id;age\n", 11, "VOTES header lacks the vote column"},
		{"a vote for an unknown project", meta + projects + "VOTES\nvoter_id;vote\nv1;1,7\n", 12, `vote for unknown project "7"`},
		{"a duplicate voter", meta + projects + "VOTES\nvoter_id;vote\nv1;1\nv2;2\nv1;2\n", 14, `duplicate voter_id "v1" (first on line 12)`},
		{"an empty voter_id", meta + projects + "VOTES\nvoter_id;vote\n;1\n", 12, "empty voter_id"},
		{"cumulative without points", strings.Replace(meta, "approval", "cumulative", 1) + projects + "VOTES\nvoter_id;vote\n", 11, "needs a points column"},
		{"points that do not match the vote", meta + projects + "VOTES\nvoter_id;vote;points\nv1;1,2;3\n", 12, "vote lists 2 projects but 1 points"},
		{"negative cumulative points", strings.Replace(meta, "approval", "cumulative", 1) + projects + "VOTES\nvoter_id;vote;points\nv1;1;-3\n", 12, `points for project "1": "-3" is negative`},
		{"an unterminated quote", meta + "PROJECTS\nproject_id;cost;name\n1;60;\"Park\n2;50;x\n", 8, "quoted field is never closed"},
		{"wrong column count after a multi-line field", meta + "PROJECTS\nproject_id;cost;name\n1;60;\"a\nb\"\n2;50\n", 10, "PROJECTS row has 2 fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := pabulib.Parse(strings.NewReader(tt.text))
			var pe *pabulib.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("got %v, want a *ParseError", err)
			}
			if pe.Line != tt.line || !strings.Contains(pe.Reason, tt.reason) {
				t.Errorf("got line %d %q, want line %d containing %q", pe.Line, pe.Reason, tt.line, tt.reason)
			}
			if !strings.HasPrefix(err.Error(), "pabulib: line ") {
				t.Errorf("error text %q does not name the line", err)
			}
		})
	}
}

func TestBudgetAndLimits(t *testing.T) {
	t.Parallel()
	budgets := []struct {
		value string
		want  int64
		err   string
	}{
		{"1000000", 1000000, ""},
		{" 1000000.0 ", 1000000, ""},
		{"1000000,00", 1000000, ""},
		{"1000000.5", 0, "more than the file's currency exponent 0"},
		{"1e6", 0, "not a number"},
		{"", 0, "not a number"},
		{"99999999999999999999", 0, "too large"},
	}
	for _, tt := range budgets {
		t.Run("budget "+tt.value, func(t *testing.T) {
			t.Parallel()
			inst := &pabulib.Instance{Meta: []pabulib.KV{{Key: "budget", Value: tt.value}}}
			got, err := inst.Budget()
			switch {
			case tt.err == "" && (err != nil || got != tt.want):
				t.Errorf("got %d, %v; want %d", got, err, tt.want)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("got %d, %v; want an error containing %q", got, err, tt.err)
			}
		})
	}
	t.Run("limits are read from META", func(t *testing.T) {
		t.Parallel()
		inst := &pabulib.Instance{Meta: []pabulib.KV{
			{Key: "min_length", Value: "1"}, {Key: "max_length", Value: "15"}, {Key: "max_sum_cost", Value: "250000.0"},
			{Key: "max_points", Value: "3"}, {Key: "max_sum_points", Value: "7"},
		}}
		got, err := inst.Limits()
		if err != nil {
			t.Fatal(err)
		}
		want := pabulib.Limits{
			MinLength: pabulib.Limit{Value: 1, Set: true}, MaxLength: pabulib.Limit{Value: 15, Set: true},
			MaxSumCost: pabulib.Limit{Value: 250000, Set: true},
			MaxPoints:  pabulib.Limit{Value: 3, Set: true}, MaxSumPoints: pabulib.Limit{Value: 7, Set: true},
		}
		if got != want {
			t.Errorf("got %+v, want %+v", got, want)
		}
	})
	t.Run("a fractional limit is an error", func(t *testing.T) {
		t.Parallel()
		inst := &pabulib.Instance{Meta: []pabulib.KV{{Key: "max_sum_cost", Value: "10.5"}}}
		if _, err := inst.Limits(); err == nil || !strings.Contains(err.Error(), "max_sum_cost") {
			t.Errorf("got %v, want an error naming max_sum_cost", err)
		}
	})
}

func TestOutcomeInput(t *testing.T) {
	t.Parallel()
	t.Run("min_project_score_threshold becomes the minimum support", func(t *testing.T) {
		t.Parallel()
		inst := mustParse(t, strings.Replace(small, "rule;greedy", "rule;greedy-threshold\nmin_project_score_threshold;2", 1))
		in, err := inst.OutcomeInput()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(in.Rule, outcome.Rule{Name: outcome.GreedyThreshold, MinSupport: 2}) {
			t.Errorf("rule: got %+v", in.Rule)
		}
		res, err := outcome.Compute(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Winners; len(got) != 1 || got[0].Project != "2" {
			t.Errorf("winners: got %v, want only 2 (project 1 has one vote)", got)
		}
	})
	t.Run("a scoring default_score other than 0 is refused", func(t *testing.T) {
		t.Parallel()
		inst := mustParse(t, "META\nkey;value\nbudget;10\nvote_type;scoring\ndefault_score;1\nPROJECTS\nproject_id;cost\n1;5\nVOTES\nvoter_id;vote;points\n")
		if _, err := inst.OutcomeInput(); err == nil || !strings.Contains(err.Error(), "default_score") {
			t.Errorf("got %v, want an error about default_score", err)
		}
	})
	t.Run("Selected lists the projects marked selected", func(t *testing.T) {
		t.Parallel()
		inst := mustParse(t, strings.NewReplacer("project_id;cost;name", "project_id;cost;name;selected", `"Park; phase ""one"""`, `"Park; phase ""one""";1`, "Library", "Library;0").Replace(small))
		if got := inst.Selected(); !slices.Equal(got, []string{"1"}) {
			t.Errorf("got %v, want [1]", got)
		}
	})
}

func TestDecimalAmountsTakeTheExponentFromTheData(t *testing.T) {
	t.Parallel()
	text := "META\nkey;value\nbudget;1331751.11\nvote_type;approval\nmax_sum_cost;500000.5\nrule;greedy\n" +
		"PROJECTS\nproject_id;cost\n1;1000.0\n2;60.25\n3;7\nVOTES\nvoter_id;vote\nv1;1,2\n"
	inst := mustParse(t, text)
	if inst.Exponent != 2 {
		t.Fatalf("exponent: got %d, want 2 (the most decimal places written)", inst.Exponent)
	}
	var costs []int64
	for _, p := range inst.Projects {
		costs = append(costs, p.Cost)
	}
	if want := []int64{100000, 6025, 700}; !reflect.DeepEqual(costs, want) {
		t.Errorf("costs: got %v, want %v (grosze)", costs, want)
	}
	if b, err := inst.Budget(); err != nil || b != 133175111 {
		t.Errorf("budget: got %d, %v; want 133175111", b, err)
	}
	if l, err := inst.Limits(); err != nil || l.MaxSumCost.Value != 50000050 {
		t.Errorf("max_sum_cost: got %+v, %v; want 50000050", l.MaxSumCost, err)
	}
	in, err := inst.OutcomeInput()
	if err != nil {
		t.Fatal(err)
	}
	if in.Budget != 133175111 || in.Rule.Increment != 0 {
		t.Errorf("input: budget %d, increment %d; want 133175111 and none (greedy)", in.Budget, in.Rule.Increment)
	}
	inst.Meta[len(inst.Meta)-1].Value = "equalshares/add1"
	if in, err := inst.OutcomeInput(); err != nil || in.Rule.Increment != 100 {
		t.Errorf("under equalshares/add1: increment %d, %v; want 100 (one currency unit)", in.Rule.Increment, err)
	}
	var buf bytes.Buffer
	if err := pabulib.Write(&buf, inst); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "\n2;60.25\n") || !strings.Contains(buf.String(), "\n1;1000\n") {
		t.Errorf("written costs are not the decimals read:\n%s", buf.String())
	}
	if again := mustParse(t, buf.String()); again.Exponent != 2 || !reflect.DeepEqual(again.Projects, inst.Projects) {
		t.Errorf("read back: exponent %d, projects %v; want 2, %v", again.Exponent, again.Projects, inst.Projects)
	}
	if whole := mustParse(t, strings.Replace(strings.Replace(strings.Replace(text, "1331751.11", "1331751.00", 1), "60.25", "60", 1), "500000.5", "500000", 1)); whole.Exponent != 0 {
		t.Errorf("zero fractions: exponent %d, want 0", whole.Exponent)
	}
}

func TestDuplicateProjectsInAVoteAreReadOnceWithANote(t *testing.T) {
	t.Parallel()
	text := "META\nkey;value\nbudget;100\nvote_type;cumulative\nrule;greedy\n" +
		"PROJECTS\nproject_id;cost\n1;10\n2;20\nVOTES\nvoter_id;vote;points\nv1;1,2,1;3,1,2\nv2;2;1\nv3;2,2;1,1\n"
	inst := mustParse(t, text)
	want := []pabulib.Vote{
		{VoterID: "v1", Projects: []string{"1", "2"}, Points: []int64{3, 1}},
		{VoterID: "v2", Projects: []string{"2"}, Points: []int64{1}},
		{VoterID: "v3", Projects: []string{"2"}, Points: []int64{1}},
	}
	if !reflect.DeepEqual(inst.Votes, want) {
		t.Errorf("votes: got %+v, want %+v", inst.Votes, want)
	}
	if len(inst.Notes) != 1 || !strings.Contains(inst.Notes[0], "2 votes name a project more than once (the first on line 12)") ||
		!strings.Contains(inst.Notes[0], "vote with duplicated projects") {
		t.Errorf("notes: got %q, want one naming the 2 votes, the line and the checker's error", inst.Notes)
	}
}

// A greedy-exclusive file imports with its exclusion group as the budget commission's decision, and the
// ledger's allocation passes over the group's second project.
func TestImportRecordsExclusionGroups(t *testing.T) {
	t.Parallel()
	inst := mustParse(t, "META\nkey;value\nbudget;100\nvote_type;approval\nrule;greedy-exclusive\n"+
		"PROJECTS\nproject_id;cost\na;30\nb;20\nc;30\nVOTES\nvoter_id;vote\nv1;a,b,c\nv2;a,c\nv3;a\n")
	imp, err := pabulib.ToImportWith(inst, "x2022", pabulib.ImportOptions{Exclusive: [][]string{{"c", "a"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(imp.Exclusions) != 1 || len(imp.Exclusions[0].ProposalIDs) != 2 {
		t.Fatalf("exclusions: got %+v", imp.Exclusions)
	}
	a, err := imp.Check(true, "seed")
	if err != nil {
		t.Fatal(err)
	}
	var won []string
	for _, w := range a.Winners {
		won = append(won, string(w.ProposalID))
	}
	if want := []string{"x2022:a", "x2022:b"}; !slices.Equal(won, want) {
		t.Errorf("winners: got %v, want %v", won, want)
	}
	if len(a.Rule.Exclusive) != 1 {
		t.Errorf("the recorded rule does not carry the group: %+v", a.Rule)
	}
	if _, err := pabulib.ToImportWith(inst, "x2022", pabulib.ImportOptions{Exclusive: [][]string{{"a", "zz"}}}); err == nil {
		t.Errorf("a group naming an unknown project imports")
	}
	bad := mustParse(t, strings.Replace("META\nkey;value\nbudget;100\nvote_type;approval\nrule;greedy\nPROJECTS\nproject_id;cost\na;30\nc;30\nVOTES\nvoter_id;vote\nv1;a\n", "", "", 1))
	imp, err = pabulib.ToImportWith(bad, "x2022", pabulib.ImportOptions{Exclusive: [][]string{{"a", "c"}}})
	if err == nil {
		if _, err = imp.Check(false, ""); err == nil {
			t.Errorf("exclusion groups under rule greedy are accepted")
		}
	}
}

// Scoring ballots are recorded in the ledger, negative and zero scores included, and its allocation is the
// offline count's.
func TestImportRecordsScoringBallots(t *testing.T) {
	t.Parallel()
	inst := mustParse(t, "META\nkey;value\nbudget;50\nvote_type;scoring\nrule;greedy\nmin_points;-2\nmax_points;3\n"+
		"PROJECTS\nproject_id;cost\na;30\nb;20\nc;30\nVOTES\nvoter_id;vote;points\nv1;a,b,c;3,0,-2\nv2;c,b;3,1\nv3;a;1\n")
	imp, err := pabulib.ToImportWith(inst, "s2024", pabulib.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r := imp.Cycle.BallotRule; r.Type != domain.BallotScoring || r.MinScore != -2 || r.MaxScore != 3 {
		t.Errorf("ballot rule: got %+v, want scoring -2..3", r)
	}
	a, err := imp.Check(true, "seed")
	if err != nil {
		t.Fatal(err)
	}
	in, err := inst.OutcomeInput()
	if err != nil {
		t.Fatal(err)
	}
	res, err := outcome.Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	var ledger, offline []string
	for _, w := range a.Winners {
		ledger = append(ledger, strings.TrimPrefix(string(w.ProposalID), "s2024:"))
	}
	for _, w := range res.Winners {
		offline = append(offline, w.Project)
	}
	if !slices.Equal(ledger, offline) || !slices.Equal(offline, []string{"a", "b"}) {
		t.Errorf("winners: ledger %v, offline %v, want [a b] (a 4, b 1, c 1)", ledger, offline)
	}
	imp.Ballots[0].Choices[0].Points = 4
	if _, err := imp.Check(false, ""); !errors.Is(err, domain.ErrInvalidBallot) {
		t.Errorf("a score above max_score: got %v, want ErrInvalidBallot", err)
	}
}
