package outcome

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/bits"
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
	ps := writeHead(&b, in)

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
	writeLine(&b, "ballots", strconv.Itoa(len(ballots)))
	w.Write(b.Bytes())
	for _, bl := range ballots {
		io.WriteString(w, bl)
		io.WriteString(w, "\n")
	}
}

// writeHead writes the canonical encoding up to the ballots (not including their count) into b, and returns
// the projects in ID order.
func writeHead(b *bytes.Buffer, in Input) []Project {
	line := func(parts ...string) { writeLine(b, parts...) }
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
	return ps
}

// writeLine writes parts separated by spaces, and a newline.
func writeLine(b *bytes.Buffer, parts ...string) {
	for i, p := range parts {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(p)
	}
	b.WriteByte('\n')
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

// digest is Digest(p.in), computed from what prepare has worked out already. For approval and choose-one
// ballots (every Equal Shares count) prepare holds each ballot as the indices of its projects in ID order,
// which is the order of its choices in the canonical line, so no ballot is parsed or sorted again, and the
// lines are ordered without being compared as strings: a netstring is never a prefix of another one (its
// length comes first, ended by ":"), so the byte order of two lines is the order of their first differing
// project's netstring, or the shorter line first. Each project gets its rank (from 1) in the byte order of
// netstrings, each ballot a key of as many of its first ranks as fit in 64 bits (0 past its last choice), and
// the ballots are sorted by key and then by the ranks after. Other vote types are encoded by writeCanonical. TestPreparedDigest holds both to the same
// bytes.
func (p *prepared) digest() string {
	if p.sets == nil || len(p.projects) >= 1<<32 {
		return Digest(p.in)
	}
	var b bytes.Buffer
	writeHead(&b, p.in)
	writeLine(&b, "ballots", strconv.Itoa(len(p.sets)))

	nets := make([][]byte, len(p.projects))
	byNet := make([]int32, len(p.projects))
	for j := range p.projects {
		nets[j] = []byte(netstring(p.projects[j].ID))
		byNet[j] = int32(j)
	}
	slices.SortFunc(byNet, func(a, b int32) int { return bytes.Compare(nets[a], nets[b]) })
	rank := make([]uint64, len(p.projects)) // 1 + rank in netstring order; 0 stands for "no more choices"
	for r, j := range byNet {
		rank[j] = uint64(r) + 1
	}
	type ballotKey struct {
		key uint64
		i   int32
	}
	keys := make([]ballotKey, len(p.sets))
	size := b.Len()
	width := max(1, bits.Len(uint(len(p.projects)))) // bits of a rank (a district may have no project)
	slots := 64 / width                              // ranks in a key
	for i, set := range p.sets {
		var k uint64
		for n := range slots {
			k <<= width
			if n < len(set) {
				k |= rank[set[n]]
			}
		}
		keys[i] = ballotKey{k, int32(i)}
		for _, j := range set {
			size += len(nets[j]) + 1
		}
		if len(set) == 0 {
			size++
		}
	}
	slices.SortFunc(keys, func(x, y ballotKey) int {
		if c := cmp.Compare(x.key, y.key); c != 0 {
			return c
		}
		a, c := p.sets[x.i], p.sets[y.i]
		for n := slots; n < len(a) && n < len(c); n++ {
			if ra, rc := rank[a[n]], rank[c[n]]; ra != rc {
				return cmp.Compare(ra, rc)
			}
		}
		return cmp.Compare(len(a), len(c))
	})
	b.Grow(size - b.Len())
	for _, k := range keys {
		for n, j := range p.sets[k.i] {
			if n > 0 {
				b.WriteByte(',')
			}
			b.Write(nets[j])
		}
		b.WriteByte('\n')
	}
	sum := sha256.Sum256(b.Bytes())
	return hex.EncodeToString(sum[:])
}
