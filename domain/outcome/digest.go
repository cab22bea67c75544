package outcome

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"slices"
	"strconv"
)

// digestVersion opens the canonical encoding; a change of encoding must change it.
const digestVersion = "pbledger/outcome-input/v1"

// Digest returns the hex SHA-256 of the canonical encoding of in. It does not validate in.
//
// The encoding is UTF-8 text, one item per line ("\n"), every string written as a netstring
// "<byte length>:<bytes>" so that no separator inside a string can be misread:
//
//	pbledger/outcome-input/v1
//	budget <Budget>
//	vote-type <netstring VoteType>
//	rule <netstring Rule.Name> <Rule.MinSupport> <Rule.Increment, 0 written as 1>
//	lot-seed <netstring LotSeed>
//	projects <count>
//	<netstring ID> <Cost> <Weight as "p/q" or "p", nil written as 1> <netstring Excluded>   (one line per project, sorted by ID)
//	ballots <count>
//	<ballot>                                                                                  (one line per ballot, sorted bytewise)
//
// A ballot line lists its choices, each a netstring project ID followed, for cumulative and scoring ballots
// (and ballots of an unknown vote type), by "=<points>", separated by ",". Choices are sorted by project ID except on ordinal ballots (and ballots of
// an unknown vote type), where their order is the ranking and is kept. Voter keys are left out: they do not
// influence the outcome, so two inputs that differ only in who holds which ballot have the same digest.
// Because projects and ballots are sorted, permuting either does not change the digest.
//
// Parameters added later are written only when they are set, so that every input without them keeps the
// digest it had: a "tie-break <netstring Rule.TieBreak>" line after lot-seed; an "exclusive <count>" line
// followed by one line per group of Rule.Exclusive (each group's netstring IDs sorted and deduplicated, groups
// sorted); and " position <Position>" at the end of a project's line when Position is not zero.
func Digest(in Input) string {
	h := sha256.New()
	writeCanonical(h, in)
	return hex.EncodeToString(h.Sum(nil))
}

func writeCanonical(w io.Writer, in Input) {
	var b bytes.Buffer
	line := func(parts ...string) {
		for i, p := range parts {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(p)
		}
		b.WriteByte('\n')
	}
	inc := in.Rule.Increment
	if inc == 0 {
		inc = 1
	}
	line(digestVersion)
	line("budget", strconv.FormatInt(in.Budget, 10))
	line("vote-type", netstring(string(in.VoteType)))
	line("rule", netstring(string(in.Rule.Name)), strconv.FormatInt(in.Rule.MinSupport, 10), strconv.FormatInt(inc, 10))
	line("lot-seed", netstring(in.LotSeed))
	// Parameters added after v1 are written only when set, so that inputs without them keep their v1 digest.
	if in.Rule.TieBreak != "" {
		line("tie-break", netstring(in.Rule.TieBreak))
	}
	if len(in.Rule.Exclusive) > 0 {
		line("exclusive", strconv.Itoa(len(in.Rule.Exclusive)))
		for _, g := range canonicalGroups(in.Rule.Exclusive) {
			parts := make([]string, len(g))
			for i, id := range g {
				parts[i] = netstring(id)
			}
			line(parts...)
		}
	}

	ps := slices.Clone(in.Projects)
	slices.SortStableFunc(ps, func(a, b Project) int { return cmpString(a.ID, b.ID) })
	line("projects", strconv.Itoa(len(ps)))
	for _, p := range ps {
		weight := "1"
		if p.Weight != nil {
			weight = p.Weight.RatString()
		}
		if p.Position != 0 {
			line(netstring(p.ID), strconv.FormatInt(p.Cost, 10), weight, netstring(p.Excluded), "position", strconv.Itoa(p.Position))
			continue
		}
		line(netstring(p.ID), strconv.FormatInt(p.Cost, 10), weight, netstring(p.Excluded))
	}

	// Each project's netstring and rank in ID order, computed once: ballots mostly repeat the same IDs.
	rank := make(map[string]int32, len(ps))
	nets := make([]string, len(ps))
	for i, p := range ps {
		if _, dup := rank[p.ID]; !dup {
			rank[p.ID] = int32(i)
		}
		nets[i] = netstring(p.ID)
	}
	enc := ballotEncoder{vt: in.VoteType, rank: rank, nets: nets}
	ballots := make([]string, len(in.Ballots))
	for i, bl := range in.Ballots {
		ballots[i] = enc.encode(bl)
	}
	slices.Sort(ballots)
	line("ballots", strconv.Itoa(len(ballots)))
	w.Write(b.Bytes())
	for _, bl := range ballots {
		io.WriteString(w, bl)
		io.WriteString(w, "\n")
	}
}

// ballotEncoder writes ballot lines for writeCanonical.
type ballotEncoder struct {
	vt    VoteType
	rank  map[string]int32
	nets  []string
	order []int // scratch: choice indices in encoding order
	keys  []int32
	buf   []byte
}

func (e *ballotEncoder) encode(bl Ballot) string {
	points := e.vt == Cumulative || e.vt == Scoring
	ordered := !(e.vt == Approval || e.vt == ChooseOne || points)
	cs := bl.Choices
	e.order, e.keys = e.order[:0], e.keys[:0]
	known := true
	for i, c := range cs {
		e.order = append(e.order, i)
		r, ok := e.rank[c.Project]
		known = known && ok
		e.keys = append(e.keys, r)
	}
	if !ordered {
		if known {
			// Ranks follow ID order, so sorting by rank sorts by ID.
			slices.SortStableFunc(e.order, func(a, b int) int { return int(e.keys[a]) - int(e.keys[b]) })
		} else {
			slices.SortStableFunc(e.order, func(a, b int) int { return cmpString(cs[a].Project, cs[b].Project) })
		}
	}
	buf := e.buf[:0]
	for k, i := range e.order {
		if k > 0 {
			buf = append(buf, ',')
		}
		if known {
			buf = append(buf, e.nets[e.keys[i]]...)
		} else {
			buf = append(buf, netstring(cs[i].Project)...)
		}
		if points || (ordered && e.vt != Ordinal) {
			buf = append(buf, '=')
			buf = strconv.AppendInt(buf, cs[i].Points, 10)
		}
	}
	e.buf = buf
	return string(buf)
}

func netstring(s string) string {
	return strconv.Itoa(len(s)) + ":" + s
}

// canonicalGroups returns exclusion groups with each group sorted and deduplicated and the groups sorted, so
// that the order in which they were declared does not matter.
func canonicalGroups(groups [][]string) [][]string {
	out := make([][]string, 0, len(groups))
	for _, g := range groups {
		c := slices.Clone(g)
		slices.Sort(c)
		out = append(out, slices.Compact(c))
	}
	slices.SortFunc(out, func(a, b []string) int { return slices.Compare(a, b) })
	return out
}
