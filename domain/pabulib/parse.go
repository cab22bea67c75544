package pabulib

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Parse reads a .pb file. A malformed file gives a *ParseError with the line number and the reason: a missing
// or misplaced section, a header without its mandatory columns, a row with the wrong number of fields, a cost
// or budget that is not a number, a duplicate project ID, META key or voter ID, a vote for an unknown project,
// an unterminated quoted field, and so on. Costs and budgets may be decimals (see Instance.Exponent); a vote
// naming a project twice is read with the project once, and Instance.Notes says so. Errors reading r are returned as they are.
//
// Parse checks what the format itself requires, not the ballot rules the file declares (see Limits).
func Parse(r io.Reader) (*Instance, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return parse(string(b))
}

// record is one logical line: its fields and the line it starts on.
type record struct {
	fields      []string
	firstQuoted bool
	line        int
}

// scanner splits a file into records, CSV-style with ';'.
type scanner struct {
	s    string
	pos  int
	line int // line number at pos
}

// next returns the next record that is not blank; ok is false at the end of the input.
func (sc *scanner) next() (rec record, ok bool, err error) {
	// Skip blank lines.
	for sc.pos < len(sc.s) {
		end := strings.IndexByte(sc.s[sc.pos:], '\n')
		var ln string
		if end < 0 {
			ln = sc.s[sc.pos:]
		} else {
			ln = sc.s[sc.pos : sc.pos+end]
		}
		if strings.TrimSpace(ln) != "" {
			break
		}
		if end < 0 {
			sc.pos = len(sc.s)
		} else {
			sc.pos += end + 1
			sc.line++
		}
	}
	if sc.pos >= len(sc.s) {
		return record{}, false, nil
	}
	rec.line = sc.line
	for {
		field, quoted, term, err := sc.field(rec.line)
		if err != nil {
			return record{}, false, err
		}
		if len(rec.fields) == 0 {
			rec.firstQuoted = quoted
		}
		rec.fields = append(rec.fields, field)
		if term != ';' {
			return rec, true, nil
		}
	}
}

// field reads one field and its terminator: ';', '\n' or 0 at the end of the input. A field is quoted when
// its first character other than spaces and tabs is '"'; the spaces before the quote are dropped, "" inside
// stands for ", and anything between the closing quote and the separator is kept as written (as Python's csv
// module does, which wrote most Pabulib files).
func (sc *scanner) field(recLine int) (string, bool, byte, error) {
	s := sc.s
	j := sc.pos
	for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
		j++
	}
	var b strings.Builder
	quoted := j < len(s) && s[j] == '"'
	if quoted {
		j++
		for {
			k := strings.IndexByte(s[j:], '"')
			if k < 0 {
				return "", false, 0, &ParseError{Line: recLine, Reason: "quoted field is never closed"}
			}
			seg := s[j : j+k]
			sc.line += strings.Count(seg, "\n")
			b.WriteString(seg)
			j += k + 1
			if j < len(s) && s[j] == '"' {
				b.WriteByte('"')
				j++
				continue
			}
			break
		}
		sc.pos = j
	}
	// The unquoted field, or what follows the closing quote.
	k := sc.pos
	for k < len(s) && s[k] != ';' && s[k] != '\n' {
		k++
	}
	rest := s[sc.pos:k]
	var term byte
	switch {
	case k == len(s):
		sc.pos = k
	case s[k] == ';':
		term = ';'
		sc.pos = k + 1
	default:
		term = '\n'
		sc.pos = k + 1
		sc.line++
	}
	if term != ';' {
		rest = strings.TrimSuffix(rest, "\r") // the CR of a CRLF line ending
	}
	if !quoted {
		return rest, false, term, nil
	}
	b.WriteString(rest)
	return b.String(), true, term, nil
}

// Section titles, in the order a file must have them.
const (
	secMeta     = "META"
	secProjects = "PROJECTS"
	secVotes    = "VOTES"
)

// isTitle reports whether rec is the section title want: an unquoted first field equal to it (any case,
// spaces ignored) and nothing else but empty fields.
func isTitle(rec record, want string) bool {
	if rec.firstQuoted || !strings.EqualFold(strings.TrimSpace(rec.fields[0]), want) {
		return false
	}
	for _, f := range rec.fields[1:] {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

func perr(line int, format string, args ...any) *ParseError {
	return &ParseError{Line: line, Reason: fmt.Sprintf(format, args...)}
}

func parse(s string) (*Instance, error) {
	inst := &Instance{}
	if rest, ok := strings.CutPrefix(s, "\ufeff"); ok {
		inst.BOM = true
		s = rest
	}
	if i := strings.IndexByte(s, '\n'); i > 0 && s[i-1] == '\r' {
		inst.CRLF = true
	}
	sc := &scanner{s: s, line: 1}
	next := func() (record, bool, error) { return sc.next() }

	// META
	rec, ok, err := next()
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, perr(sc.line, "empty file: missing META section")
	}
	if !isTitle(rec, secMeta) {
		return nil, perr(rec.line, "expected the META section title, found %q", rec.fields[0])
	}
	metaLine := rec.line
	header, err := readHeader(next, secMeta, rec.line)
	if err != nil {
		return nil, err
	}
	if len(header.fields) != 2 || !strings.EqualFold(strings.TrimSpace(header.fields[0]), "key") || !strings.EqualFold(strings.TrimSpace(header.fields[1]), "value") {
		return nil, perr(header.line, "META header must be \"key;value\", found %q", strings.Join(header.fields, ";"))
	}
	keyLine := map[string]int{}
	for {
		rec, ok, err = next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, perr(sc.line, "missing PROJECTS section")
		}
		if isTitle(rec, secProjects) {
			break
		}
		if len(rec.fields) != 2 {
			return nil, perr(rec.line, "META row has %d fields; it must have 2 (key;value) — quote values that contain ';'", len(rec.fields))
		}
		key := strings.TrimSpace(rec.fields[0])
		if key == "" {
			return nil, perr(rec.line, "META row has an empty key")
		}
		if first, dup := keyLine[key]; dup {
			return nil, perr(rec.line, "duplicate META key %q (first on line %d)", key, first)
		}
		keyLine[key] = rec.line
		inst.Meta = append(inst.Meta, KV{Key: key, Value: rec.fields[1]})
	}
	voteType, err := checkMeta(inst, keyLine, metaLine)
	if err != nil {
		return nil, err
	}

	// PROJECTS
	header, err = readHeader(next, secProjects, rec.line)
	if err != nil {
		return nil, err
	}
	inst.ProjectColumns, err = columns(header, secProjects, "project_id", "cost")
	if err != nil {
		return nil, err
	}
	projectLine := map[string]int{}
	var costs []decimalAmount
	var costLines []int
	for {
		rec, ok, err = next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, perr(sc.line, "missing VOTES section")
		}
		if isTitle(rec, secVotes) {
			break
		}
		p, cost, err := parseProject(rec, inst.ProjectColumns)
		if err != nil {
			return nil, err
		}
		if first, dup := projectLine[p.ID]; dup {
			return nil, perr(rec.line, "duplicate project_id %q (first on line %d)", p.ID, first)
		}
		projectLine[p.ID] = rec.line
		inst.Projects = append(inst.Projects, p)
		costs = append(costs, cost)
		costLines = append(costLines, rec.line)
	}
	if err := setExponent(inst, costs, costLines); err != nil {
		return nil, err
	}

	// VOTES
	header, err = readHeader(next, secVotes, rec.line)
	if err != nil {
		return nil, err
	}
	inst.VoteColumns, err = columns(header, secVotes, "voter_id", "vote")
	if err != nil {
		return nil, err
	}
	hasPoints := false
	for _, c := range inst.VoteColumns {
		hasPoints = hasPoints || c == "points"
	}
	if (voteType == VoteCumulative || voteType == VoteScoring) && !hasPoints {
		return nil, perr(header.line, "vote_type %s needs a points column in VOTES", voteType)
	}
	// About one vote a line: sizing the table and the list from the lines left saves growing them vote by vote.
	lines := strings.Count(sc.s[sc.pos:], "\n") + 1
	voterLine := make(map[string]int, lines)
	inst.Votes = make([]Vote, 0, lines)
	dupVotes, dupFirst := 0, 0
	for {
		rec, ok, err = next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		v, dups, err := parseVote(rec, inst.VoteColumns, projectLine, voteType)
		if err != nil {
			return nil, err
		}
		if dups > 0 {
			dupVotes++
			if dupFirst == 0 {
				dupFirst = rec.line
			}
		}
		if first, dup := voterLine[v.VoterID]; dup {
			return nil, perr(rec.line, "duplicate voter_id %q (first on line %d)", v.VoterID, first)
		}
		voterLine[v.VoterID] = rec.line
		inst.Votes = append(inst.Votes, v)
	}
	if dupVotes > 0 {
		inst.Notes = append(inst.Notes, fmt.Sprintf("%d votes name a project more than once (the first on line %d); each project is read once, "+
			"at its first place, with its first points. The format's checker (pabulib/checker, check_duplicated_votes) "+
			"reports such a vote as the error \"vote with duplicated projects\"; the library publishes these files "+
			"as they were counted, and a project listed twice is one approval.", dupVotes, dupFirst))
	}
	return inst, nil
}

func readHeader(next func() (record, bool, error), section string, titleLine int) (record, error) {
	rec, ok, err := next()
	if err != nil {
		return record{}, err
	}
	if !ok {
		return record{}, perr(titleLine, "%s section has no header line", section)
	}
	return rec, nil
}

// columns checks a PROJECTS or VOTES header and returns its trimmed column names.
func columns(header record, section string, required ...string) ([]string, error) {
	cols := make([]string, len(header.fields))
	seen := map[string]bool{}
	for i, f := range header.fields {
		c := strings.TrimSpace(f)
		if c == "" {
			return nil, perr(header.line, "%s header has an empty column name (column %d)", section, i+1)
		}
		if seen[c] {
			return nil, perr(header.line, "%s header names column %q twice", section, c)
		}
		seen[c] = true
		cols[i] = c
	}
	for _, r := range required {
		if !seen[r] {
			return nil, perr(header.line, "%s header lacks the %s column", section, r)
		}
	}
	return cols, nil
}

// checkMeta validates the META keys the rest of the file depends on and returns the vote type.
func checkMeta(inst *Instance, keyLine map[string]int, metaLine int) (string, error) {
	vt, ok := inst.Get("vote_type")
	if !ok {
		return "", perr(metaLine, "META lacks vote_type")
	}
	switch vt {
	case VoteApproval, VoteChooseOne, VoteCumulative, VoteOrdinal, VoteScoring:
	default:
		return "", perr(keyLine["vote_type"], "unknown vote_type %q (known: approval, choose-1, cumulative, ordinal, scoring)", vt)
	}
	if _, ok := inst.Get("budget"); !ok {
		return "", perr(metaLine, "META lacks budget")
	}
	if _, err := parseDecimal(inst.Meta[metaIndex(inst, "budget")].Value); err != nil {
		return "", perr(keyLine["budget"], "META budget: %v", err)
	}
	for _, k := range []string{"min_sum_cost", "max_sum_cost"} {
		if v, ok := inst.Get(k); ok && v != "" {
			if _, err := parseDecimal(v); err != nil {
				return "", perr(keyLine[k], "META %s: %v", k, err)
			}
		}
	}
	return vt, nil
}

// metaIndex returns the index of META key in inst.Meta, or -1.
func metaIndex(inst *Instance, key string) int {
	for i, kv := range inst.Meta {
		if kv.Key == key {
			return i
		}
	}
	return -1
}

// setExponent finds the file's currency exponent (see Instance.Exponent) and scales the projects' costs to it.
func setExponent(inst *Instance, costs []decimalAmount, lines []int) error {
	exp := 0
	for _, k := range []string{"budget", "min_sum_cost", "max_sum_cost"} {
		if v, ok := inst.Get(k); ok && v != "" {
			d, _ := parseDecimal(v) // checkMeta checked the syntax
			exp = max(exp, d.places)
		}
	}
	for _, c := range costs {
		exp = max(exp, c.places)
	}
	// A pbledger export declares its cycle's exponent, which a district whose amounts happen to be whole
	// would not show.
	if v, ok := inst.Get(MetaCurrencyExponent); ok && v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > MaxExponent {
			return perr(1, "META %s: %q is not an exponent 0..%d", MetaCurrencyExponent, v, MaxExponent)
		}
		exp = max(exp, n)
	}
	inst.Exponent = exp
	if _, err := inst.Budget(); err != nil {
		return perr(1, "%s", strings.TrimPrefix(err.Error(), "pabulib: "))
	}
	for i, c := range costs {
		n, err := c.scale(exp)
		if err != nil {
			return perr(lines[i], "cost: %v", err)
		}
		inst.Projects[i].Cost = n
	}
	return nil
}

func parseProject(rec record, cols []string) (Project, decimalAmount, error) {
	if len(rec.fields) != len(cols) {
		return Project{}, decimalAmount{}, perr(rec.line, "PROJECTS row has %d fields; the header has %d", len(rec.fields), len(cols))
	}
	var p Project
	var cost decimalAmount
	for i, c := range cols {
		v := rec.fields[i]
		switch c {
		case "project_id":
			p.ID = strings.TrimSpace(v)
			switch {
			case p.ID == "":
				return Project{}, decimalAmount{}, perr(rec.line, "empty project_id")
			case strings.Contains(p.ID, ","):
				return Project{}, decimalAmount{}, perr(rec.line, "project_id %q contains ',', which vote lists use as separator", p.ID)
			}
		case "cost":
			d, err := parseDecimal(v)
			if err != nil {
				return Project{}, decimalAmount{}, perr(rec.line, "cost: %v", err)
			}
			cost = d
		default:
			if p.Fields == nil {
				p.Fields = make(map[string]string, len(cols)-2)
			}
			p.Fields[c] = v
		}
	}
	return p, cost, nil
}

// parseVote reads one VOTES row. A project named more than once is kept at its first place (and with its
// first points); dups counts the repeats dropped.
func parseVote(rec record, cols []string, projects map[string]int, voteType string) (v Vote, dups int, err error) {
	if len(rec.fields) != len(cols) {
		return Vote{}, 0, perr(rec.line, "VOTES row has %d fields; the header has %d", len(rec.fields), len(cols))
	}
	var points string
	hasPoints := false
	for i, c := range cols {
		f := rec.fields[i]
		switch c {
		case "voter_id":
			v.VoterID = strings.TrimSpace(f)
			if v.VoterID == "" {
				return Vote{}, 0, perr(rec.line, "empty voter_id")
			}
		case "vote":
			v.Projects = splitList(f)
		case "points":
			points, hasPoints = f, true
		default:
			if v.Fields == nil {
				v.Fields = make(map[string]string, len(cols)-2)
			}
			v.Fields[c] = f
		}
	}
	for _, id := range v.Projects {
		if _, ok := projects[id]; !ok {
			return Vote{}, 0, perr(rec.line, "vote for unknown project %q", id)
		}
	}
	if hasPoints {
		ps := splitList(points)
		if len(ps) != len(v.Projects) {
			return Vote{}, 0, perr(rec.line, "vote lists %d projects but %d points", len(v.Projects), len(ps))
		}
		if len(ps) > 0 {
			v.Points = make([]int64, len(ps))
		}
		for i, s := range ps {
			n, err := parseWhole(s, voteType == VoteScoring)
			if err != nil {
				return Vote{}, 0, perr(rec.line, "points for project %q: %v", v.Projects[i], err)
			}
			v.Points[i] = n
		}
	}
	if len(v.Projects) > 1 {
		var seen map[string]bool // for long lists; a short one is searched
		if len(v.Projects) > 16 {
			seen = make(map[string]bool, len(v.Projects))
		}
		keep := 0
		for i, id := range v.Projects {
			if seen != nil && seen[id] || seen == nil && slices.Contains(v.Projects[:keep], id) {
				dups++
				continue
			}
			if seen != nil {
				seen[id] = true
			}
			v.Projects[keep] = id
			if v.Points != nil {
				v.Points[keep] = v.Points[i]
			}
			keep++
		}
		v.Projects = v.Projects[:keep]
		if v.Points != nil {
			v.Points = v.Points[:keep]
		}
	}
	return v, dups, nil
}

// splitList splits a vote or points list at ',', trims the items and drops empty ones; nil when empty.
func splitList(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// parseWhole parses a whole number written as digits, optionally with a zero fraction after '.' or ','
// ("1000", "1000.0", "1000,00"); signed only if allowNegative.
func parseWhole(s string, allowNegative bool) (int64, error) {
	t := strings.TrimSpace(s)
	neg := false
	if rest, ok := strings.CutPrefix(t, "-"); ok && allowNegative {
		neg, t = true, rest
	}
	intPart, frac := t, ""
	if i := strings.IndexAny(t, ".,"); i >= 0 {
		intPart, frac = t[:i], t[i+1:]
	}
	if intPart == "" || strings.Trim(intPart, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" {
		if !allowNegative && strings.HasPrefix(t, "-") {
			return 0, fmt.Errorf("%q is negative", s)
		}
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if strings.Trim(frac, "0") != "" {
		return 0, fmt.Errorf("%q is not a whole number of currency units or points", s)
	}
	var n int64
	for _, d := range intPart {
		if n > (math.MaxInt64-int64(d-'0'))/10 {
			return 0, fmt.Errorf("%q is too large", s)
		}
		n = n*10 + int64(d-'0')
	}
	if neg {
		n = -n
	}
	return n, nil
}
